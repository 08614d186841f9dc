// IDX reader: hand-written files (raw and gzipped), corrupt and truncated ones, label ranges.
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { idxDataset, parseIdx, writeIdxU8 } from '../../src/data/idx.js';
import { dataError } from './helpers.js';

function images(n: number, h: number, w: number, seed: number): Uint8Array {
  const d = new Uint8Array(n * h * w);
  for (let i = 0; i < d.length; i++) d[i] = (i * 37 + seed * 11) % 256;
  return d;
}

describe('parseIdx', () => {
  it('reads a hand-written image file: header, dims, elements', () => {
    const px = images(3, 2, 4, 1);
    const bytes = writeIdxU8([3, 2, 4], px);
    // magic 00 00 08 03, then big-endian 3, 2, 4
    expect([...bytes.subarray(0, 16)]).toEqual([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 4]);
    const a = parseIdx(bytes, 'imgs');
    expect(a.dtype).toBe('u1');
    expect(a.shape).toEqual([3, 2, 4]);
    expect([...a.data]).toEqual([...px]);
  });

  it('inflates gzip detected by magic bytes, whatever the name', () => {
    const px = images(2, 3, 3, 2);
    const a = parseIdx(gzipSync(writeIdxU8([2, 3, 3], px)), 'no-extension');
    expect([...a.data]).toEqual([...px]);
  });

  it('reads big-endian int32 and float32 IDX too', () => {
    const bytes = new Uint8Array(4 + 4 + 8);
    const v = new DataView(bytes.buffer);
    v.setUint32(0, 0x00000d01, false); // f32, 1 dim
    v.setUint32(4, 2, false);
    v.setFloat32(8, 1.5, false);
    v.setFloat32(12, -2.25, false);
    const a = parseIdx(bytes, 'f');
    expect(a.dtype).toBe('f4');
    expect([...a.data]).toEqual([1.5, -2.25]);
  });

  it('names file and byte for a bad magic number', () => {
    const bytes = writeIdxU8([2], new Uint8Array([1, 2]));
    bytes[2] = 0x07;
    const e = dataError(() => parseIdx(bytes, 'labels.idx'));
    expect(e.file).toBe('labels.idx');
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/labels\.idx: byte 0: bad IDX magic number 0x00000701; expected 0x00000803/);
  });

  it('refuses the wrong number of dimensions for images', () => {
    const e = dataError(() => parseIdx(writeIdxU8([4], new Uint8Array(4)), 'x', { dims: 3 }));
    expect(e.offset).toBe(3);
    expect(e.message).toMatch(/says 1 dimensions; expected 3/);
  });

  it('names the byte where truncated header or data end', () => {
    const full = writeIdxU8([2, 2, 2], images(2, 2, 2, 3));
    const header = dataError(() => parseIdx(full.subarray(0, 10), 'cut-header'));
    expect(header.offset).toBe(4);
    expect(header.message).toMatch(/truncated: the header's 3 dimension sizes needs 12 bytes but only 6 remain/);
    const data = dataError(() => parseIdx(full.subarray(0, full.length - 3), 'cut-data'));
    expect(data.offset).toBe(16);
    expect(data.message).toMatch(/needs 8 bytes of data but only 5 remain/);
  });

  it('refuses trailing bytes after the announced elements', () => {
    const full = writeIdxU8([2], new Uint8Array([1, 2]));
    const longer = new Uint8Array(full.length + 2);
    longer.set(full);
    const e = dataError(() => parseIdx(longer, 'long'));
    expect(e.offset).toBe(10);
    expect(e.message).toMatch(/2 bytes of trailing data/);
  });

  it('reports a truncated gzip stream by file name', () => {
    const gz = gzipSync(writeIdxU8([50, 4, 4], images(50, 4, 4, 4)));
    const e = dataError(() => parseIdx(gz.subarray(0, gz.length >> 1), 'train-images-idx3-ubyte.gz'));
    expect(e.message).toMatch(/train-images-idx3-ubyte\.gz: gzip data is corrupt or truncated/);
  });
});

describe('idxDataset', () => {
  const files = {
    trainImages: writeIdxU8([4, 3, 2], images(4, 3, 2, 5)),
    trainLabels: writeIdxU8([4], new Uint8Array([0, 2, 1, 2])),
    testImages: gzipSync(writeIdxU8([2, 3, 2], images(2, 3, 2, 6))),
    testLabels: writeIdxU8([2], new Uint8Array([1, 0])),
  };

  it('builds a Dataset: pixels / 255, [1, h, w], labels', () => {
    const ds = idxDataset(files, { name: 'tiny', classes: ['a', 'b', 'c'] });
    expect(ds.sampleShape).toEqual([1, 3, 2]);
    expect(ds.train.n).toBe(4);
    expect(ds.test.n).toBe(2);
    expect([...ds.train.y]).toEqual([0, 2, 1, 2]);
    const px = images(4, 3, 2, 5);
    for (let i = 0; i < px.length; i++) expect(ds.train.x[i]).toBe(Math.fround(px[i]! / 255));
    expect(ds.classes).toEqual(['a', 'b', 'c']);
  });

  it('names the label file and the label byte when a label is out of range', () => {
    const bad = { ...files, testLabels: writeIdxU8([2], new Uint8Array([1, 7])) };
    const e = dataError(() => idxDataset(bad, {
      name: 'tiny', classes: ['a', 'b', 'c'],
      files: { trainImages: 'tri', trainLabels: 'trl', testImages: 'tei', testLabels: 'tel.gz' },
    }));
    expect(e.file).toBe('tel.gz');
    expect(e.offset).toBe(9); // 8-byte header + label 1
    expect(e.message).toMatch(/label 1 is 7, outside \[0, 3\) for 3 classes/);
    // gzipped: the byte is one of the decompressed stream, and the message says so
    const gz = dataError(() => idxDataset({ ...bad, testLabels: gzipSync(bad.testLabels) }, {
      name: 'tiny', classes: ['a', 'b', 'c'],
      files: { trainImages: 'tri', trainLabels: 'trl', testImages: 'tei', testLabels: 'tel.gz' },
    }));
    expect(gz.message).toMatch(/^tel\.gz \(after gunzip\): byte 9: label 1 is 7/);
  });

  it('refuses images and labels of different counts', () => {
    const bad = { ...files, trainLabels: writeIdxU8([3], new Uint8Array([0, 1, 2])) };
    const e = dataError(() => idxDataset(bad, { name: 'tiny' }));
    expect(e.message).toMatch(/holds 3 labels but train-images-idx3-ubyte holds 4 images/);
  });

  it('refuses train and test images of different sizes', () => {
    const bad = { ...files, testImages: writeIdxU8([2, 2, 3], images(2, 2, 3, 1)) };
    const e = dataError(() => idxDataset(bad, { name: 'tiny' }));
    expect(e.message).toMatch(/train and test samples differ in shape/);
  });
});
