// The data-format registry (DATA_FORMATS): sniffing by name and by first bytes, and one data set
// from the files that make it, in any order, with messages that name the files and what was
// expected. The playground reads dropped files through parseDataFiles; loadDataset reads paths
// through the same entries.

import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DATA_FORMATS, DATA_FORMAT_NAMES, parseDataFiles, sniffDataFile, type DataFile } from '../../src/data/formats.js';
import { writeIdxU8 } from '../../src/data/idx.js';
import { writeNpy } from '../../src/data/npy.js';
import { dataError, expected, fixture, scaled } from './helpers.js';

const idxSet = (gz: boolean): DataFile[] => {
  const f = (name: string, shape: number[], values: number[]): DataFile => {
    const raw = writeIdxU8(shape, Uint8Array.from(values));
    return { name: gz ? `${name}.gz` : name, bytes: gz ? gzipSync(raw) : raw };
  };
  return [
    f('t10k-labels-idx1-ubyte', [3], expected.y_test),
    f('train-images-idx3-ubyte', [6, 4, 4], expected.x_train_u8),
    f('t10k-images-idx3-ubyte', [3, 4, 4], expected.x_test_u8),
    f('train-labels-idx1-ubyte', [6], expected.y_train),
  ];
};

const npySet = (): DataFile[] => [
  { name: 'data/y_test.npy', bytes: writeNpy('|u1', [3], Uint8Array.from(expected.y_test)) },
  { name: 'data/x_train.npy', bytes: writeNpy('|u1', [6, 4, 4], Uint8Array.from(expected.x_train_u8)) },
  { name: 'data/y_train.npy', bytes: writeNpy('|u1', [6], Uint8Array.from(expected.y_train)) },
  { name: 'data/x_test.npy', bytes: writeNpy('|u1', [3, 4, 4], Uint8Array.from(expected.x_test_u8)) },
];

describe('DATA_FORMATS', () => {
  it('lists each format once, with its files', () => {
    expect(DATA_FORMAT_NAMES).toEqual(['npz', 'npy', 'idx', 'pickle']);
    expect(DATA_FORMAT_NAMES.map((k) => DATA_FORMATS[k].roles.length)).toEqual([1, 4, 4, 1]);
  });

  it('sniffs a file by its name first, then by its first bytes', () => {
    const npz = fixture('tiny.npz');
    const pkl = fixture('omni_p4.pkl');
    const idx = idxSet(true)[1]!.bytes;
    expect(sniffDataFile({ name: 'tiny.npz', bytes: npz })).toBe('npz');
    expect(sniffDataFile({ name: 'upload.bin', bytes: npz })).toBe('npz');
    expect(sniffDataFile({ name: 'upload.bin', bytes: pkl })).toBe('pickle');
    expect(sniffDataFile({ name: 'blob', bytes: idx })).toBe('idx');
    expect(sniffDataFile({ name: 'C:\\data\\x_test.npy', bytes: new Uint8Array([1, 2]) })).toBe('npy');
    // a name says more than bytes: a zip named .pkl is read (and refused) as a pickle
    expect(sniffDataFile({ name: 'odd.pkl', bytes: npz })).toBe('pickle');
    expect(sniffDataFile({ name: 'notes.txt', bytes: new TextEncoder().encode('hello') })).toBeNull();
  });

  it('reads one .npz, one pickle, four IDX files (raw or gzipped, any order), four .npy files', () => {
    for (const files of [[{ name: 'tiny.npz', bytes: fixture('tiny.npz') }], [{ name: 'omni_p4.pkl', bytes: fixture('omni_p4.pkl') }], idxSet(false), idxSet(true), npySet()]) {
      const ds = parseDataFiles(files);
      expect(ds.train.x, files[0]!.name).toEqual(scaled(expected.x_train_u8));
      expect(Array.from(ds.train.y)).toEqual(expected.y_train);
      expect(Array.from(ds.test.y)).toEqual(expected.y_test);
    }
    expect(parseDataFiles([{ name: 'tiny.npz', bytes: fixture('tiny.npz') }]).name).toBe('tiny');
    expect(parseDataFiles(idxSet(true)).name).toBe('IDX files');
    expect(parseDataFiles(idxSet(true), { name: 'fashion' }).name).toBe('fashion');
    expect(parseDataFiles(idxSet(false)).sampleShape).toEqual([1, 4, 4]);
  });

  it('says what is missing, mixed or unknown, naming the files', () => {
    const idx = idxSet(true);
    expect(dataError(() => parseDataFiles(idx.slice(0, 3))).message).toMatch(/a data set is 4 IDX files \(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte\), got 3/);
    expect(dataError(() => parseDataFiles([npySet()[0]!])).message).toMatch(/an \.npy file holds one array, and a data set is 4 NPY files \(x_train\.npy/);
    expect(dataError(() => parseDataFiles([...idx.slice(0, 3), { name: 'tiny.npz', bytes: fixture('tiny.npz') }])).message)
      .toMatch(/^tiny\.npz: is NPZ while t10k-labels-idx1-ubyte\.gz is IDX: the files of one data set share one format/);
    expect(dataError(() => parseDataFiles([{ name: 'notes.txt', bytes: new Uint8Array([104, 105]) }])).message)
      .toMatch(/^notes\.txt: byte 0: format not recognised from its name or its first bytes; a data set is an \.npz/);
    const renamed = idx.map((f, i) => (i === 0 ? { ...f, name: 'train-labels-copy-idx1-ubyte.gz' } : f));
    expect(dataError(() => parseDataFiles(renamed)).message).toMatch(/IDX: expected one file named like train-labels-idx1-ubyte; train-labels-copy-idx1-ubyte\.gz and train-labels-idx1-ubyte\.gz both match/);
    expect(dataError(() => parseDataFiles([])).message).toMatch(/no files given/);
  });
});
