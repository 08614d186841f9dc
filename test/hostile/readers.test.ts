// Hostile input to the readers and the library API, in-process: each case must end in a
// HandgradError (a DataError for the data readers) that names the file and the problem, in a
// bounded message, quickly. The cases that exhaust memory or hang run through the CLI in child
// processes (cli.test.ts).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.js';
import { gunzipIdx, idxDataset, isIdxFile, maybeGunzip, parseIdx } from '../../src/data/idx.js';
import { MAX_CLASSES } from '../../src/data/labels.js';
import { npzDataset, parseNpy, parseNpz, writeNpy } from '../../src/data/npy.js';
import { describe as describePickle, pickleDataset, unpickle } from '../../src/data/pickle.js';
import { crc32 } from '../../src/io/crc32.js';
import { decodePng } from '../../src/io/png-node.js';
import { readRegularFile } from '../../src/io/read-node.js';
import { checkFinite, readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { HandgradError, Tensor } from '../../src/tensor.js';
import { readModelFile } from '../../src/train/bundle-node.js';
import * as f from './files.js';
import { tempDir } from './harness.js';

/**
 * Runs `fn`, expects a HandgradError of class `type` within `ms`, returns it. The default budget
 * (10 s) is a third of the 30 s a refusal may take at most, and 5–20× what these cases take on an
 * idle 2-core machine: it holds on a loaded CI host and still fails for the unbounded readers
 * (whose worst cases ran 33 s or exhausted memory).
 */
function refused<E extends HandgradError>(fn: () => unknown, type: new (...a: never[]) => E = HandgradError as never, ms = 10_000): E {
  const t0 = performance.now();
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  const took = performance.now() - t0;
  expect(error, 'expected a refusal').toBeInstanceOf(type);
  expect((error as Error).message.length, (error as Error).message.slice(0, 300)).toBeLessThan(600);
  expect(took, `refused in ${took.toFixed(0)} ms: ${(error as Error).message}`).toBeLessThan(ms);
  return error as E;
}

describe('pickles that describe huge structures', () => {
  it('10⁶ nested tuples are refused at the 65th level', () => {
    expect(refused(() => pickleDataset(f.pickleNestedTuples(1_000_000), 'n.pkl'), DataError, 500).message).toBe(
      "n.pkl: byte 67: pickle: tuples nested more than 64 deep; numpy's pickles nest three",
    );
  });

  it('2⁴⁰ and 2²² leaves by shared references: bounded messages', () => {
    for (const pkl of [f.pickleDoublings(40), f.pickleDoublings(22)]) {
      const e = refused(() => pickleDataset(pkl, 'p.pkl'), DataError);
      expect(e.message).toMatch(/^p\.pkl: pickle holds tuple\(.*; expected \(\(trainX, trainY\), \(testX, testY\)\)/);
      expect(e.message.length).toBeLessThan(350);
    }
    expect(describePickle(unpickle(f.pickleDoublings(40), 'd')).length).toBeLessThanOrEqual(201);
  });

  it('a 5 MB GLOBAL name, and a 5 MB STACK_GLOBAL module name, are not echoed', () => {
    const g = refused(() => unpickle(f.pickleLongGlobal(5_000_000), 'g.pkl'), DataError);
    expect(g.message).toMatch(/g\.pkl: byte 2: pickle: GLOBAL \(0x63 'c'\): a name longer than 256 bytes/);
    const s = refused(() => unpickle(f.pickleLongStackGlobal(5_000_000), 's.pkl'), DataError);
    expect(s.message).toMatch(/STACK_GLOBAL expects two strings, got str\(5000000 UTF-8 bytes\), "x"/);
    const named = refused(() => unpickle(f.bytes([0x80, 4, 0x58], [0, 1, 0, 0], f.repeat('m', 256), [0x8c, 1], 'x', [0x93], '.'), 'n.pkl'), DataError);
    expect(named.message).toMatch(/refusing global 'm{120}… \(258 characters\)'/);
  });

  it('the stack and the memo are capped', () => {
    expect(refused(() => unpickle(f.pickleMarks(100_000), 'm.pkl'), DataError).message).toMatch(/more than 65536 values on the stack/);
    expect(refused(() => unpickle(f.pickleMemo(70_000), 'memo.pkl'), DataError).message).toMatch(/more than 65536 memo entries/);
  });
});

describe('gzip: budgets, CRC-32, ISIZE, several members', () => {
  const raw = f.idxFiles().trainImages;
  const good = gzipSync(raw);

  it('a flipped CRC-32, a flipped ISIZE, a flipped data bit are refused', () => {
    const crc = good.slice();
    crc[crc.length - 8]! ^= 1;
    expect(refused(() => parseIdx(crc, 'c.gz'), DataError).message).toMatch(/^c\.gz: byte \d+: gzip data: CRC-32 of the inflated data is 0x[0-9a-f]{8} but the trailer records 0x[0-9a-f]{8}/);
    const isize = good.slice();
    isize[isize.length - 1]! ^= 0x80;
    expect(refused(() => parseIdx(isize, 'i.gz'), DataError).message).toMatch(/inflates to 3856 bytes but the trailer records ISIZE \d+ \(the size mod 2\^32\)/);
    const storedGz = gzipSync(raw, { level: 0 });
    storedGz[100]! ^= 4; // a pixel inside the stored block
    expect(refused(() => parseIdx(storedGz, 'd.gz'), DataError).message).toMatch(/CRC-32 of the inflated data/);
  });

  it('an ISIZE that is right only mod 2³² is accepted exactly when the size matches mod 2³²', () => {
    // the trailer of a member whose output is n bytes records n mod 2³²: 2³² + 3856 would pass;
    // a stream that inflates past the IDX header's size is refused before the trailer is read
    const lying = f.gzipHeadThenZeros(f.idxImageHeader(60, 8, 8), 2 ** 20, false);
    expect(refused(() => parseIdx(lying, 'l.gz'), DataError).message).toMatch(/inflates to more than the 3856 bytes its IDX header announces/);
  });

  it('valid multi-member gzip is one stream; every member is checked', () => {
    const multi = f.bytes(gzipSync(raw.subarray(0, 7)), gzipSync(raw.subarray(7, 2000)), gzipSync(raw.subarray(2000)));
    expect(parseIdx(multi, 'm.gz').data).toEqual(parseIdx(raw, 'm').data);
    const second = multi.slice();
    second[gzipSync(raw.subarray(0, 7)).length + gzipSync(raw.subarray(7, 2000)).length - 6]! ^= 1;
    expect(refused(() => parseIdx(second, 'm2.gz'), DataError).message).toMatch(/gzip member 2 of 3 \(from byte \d+\): CRC-32/);
  });

  it('trailing garbage, a cut trailer and a cut stream are refused', () => {
    for (const [what, bytes] of [
      ['garbage', f.bytes(good, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])],
      ['2 bytes of garbage', f.bytes(good, [0, 0])],
      ['cut trailer', good.subarray(0, good.length - 3)],
      ['cut stream', good.subarray(0, good.length >> 1)],
    ] as const) {
      expect(() => parseIdx(bytes, `${what}.gz`), what).toThrow(DataError);
    }
  });

  it('a header announcing more elements than a reader accepts is refused as soon as it is out', () => {
    const huge = f.gzipHeadThenZeros(f.idxImageHeader(6_000_000, 28, 28), 10_000_000, false);
    expect(refused(() => parseIdx(huge, 'h.gz'), DataError).message).toBe(
      'h.gz (after gunzip): byte 4: an array of shape (6000000, 28, 28) has 4704000000 elements, more than the 134217728 a reader accepts',
    );
  });

  it('sniffing a gzip bomb inflates only its first bytes; the IDX header bounds the rest', () => {
    const bomb = f.gzipHeadThenZeros(f.idxImageHeader(60, 8, 8), 1_500_000_000, false);
    const t0 = performance.now();
    expect(isIdxFile(bomb)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(refused(() => gunzipIdx(bomb, 'b.gz', 3), DataError).message).toMatch(/more than the 3856 bytes/);
    // with nothing inside to say the size, the cap applies (MAX_INFLATED_BYTES; 1 MB here)
    expect(refused(() => maybeGunzip(f.gzipHeadThenZeros(new Uint8Array(1), 5_000_000, false), 'z.gz', 1_000_000), DataError).message)
      .toMatch(/^z\.gz: inflates to more than 1000000 bytes, the most this reader accepts/);
  });
});

describe('zip / NPZ: only used members, sizes and CRC-32 from the directory', () => {
  const y = f.labels(40, 4);
  const members = (): ReturnType<typeof f.stored>[] => [
    f.stored('x_train.npy', f.npyU1([40, 8, 8], f.images(y, 8))),
    f.stored('y_train.npy', f.npyI8(y)),
    f.stored('x_test.npy', f.npyU1([40, 8, 8], f.images(y, 8))),
    f.stored('y_test.npy', f.npyI8(y)),
  ];

  it('a flipped bit in a stored or a deflated member fails its CRC-32', () => {
    const zip = f.zipOf(members());
    zip[300]! ^= 1;
    expect(refused(() => npzDataset(zip, 's.npz', { name: 's' }), DataError).message).toMatch(/member 'x_train\.npy': CRC-32 of its data is 0x[0-9a-f]{8} but the directory records/);
    const npy = f.npyU1([40, 8, 8], f.images(y, 8));
    const deflated = f.zipOf([{ name: 'x_train.npy', data: deflateSync(npy), method: 8, size: npy.length, crc: crc32(npy) ^ 1 }]);
    expect(refused(() => parseNpz(deflated, 'd.npz'), DataError).message).toMatch(/CRC-32 of its data/);
  });

  it('an unused 2 GiB member is never inflated; asked for, it is refused at its first bytes', () => {
    const zip = f.npzWithUnusedBomb(2 ** 31);
    const t0 = performance.now();
    expect(npzDataset(zip, 'u.npz', { name: 'u' }).train.n).toBe(40);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(refused(() => parseNpz(zip, 'u.npz'), DataError).message).toMatch(/u\.npz: byte \d+: member 'junk\.npy' records 2147483648 bytes of data, more than the \d+ this reader accepts/);
    // within the cap, the member's own first bytes refuse it: they are not an NPY header
    const small = f.zipOf([{ name: 'junk.npy', data: f.deflateZeros(2 ** 29), method: 8, size: 2 ** 29, crc: 0 }]);
    expect(refused(() => parseNpz(small, 's.npz'), DataError).message).toMatch(/s\.npz:junk\.npy: byte 0: not an NPY file/);
  });

  it('a directory that lies about a size, an encrypted or bzip2 member, a duplicate name, a missing end record', () => {
    const sizeLie = members();
    sizeLie[0] = { ...sizeLie[0]!, method: 0, size: sizeLie[0]!.size + 1 };
    expect(refused(() => npzDataset(f.zipOf(sizeLie), 'z.npz', { name: 'z' }), DataError).message).toMatch(/is stored but records \d+ bytes of data in \d+/);
    const zip = f.zipOf(members());
    const dir = zip.length - 22 - members().reduce((n, m) => n + 46 + m.name.length, 0);
    const enc = zip.slice();
    enc[dir + 8]! |= 1;
    expect(refused(() => npzDataset(enc, 'e.npz', { name: 'e' }), DataError).message).toMatch(/member 'x_train\.npy' is encrypted/);
    const bz = zip.slice();
    bz[dir + 10] = 12;
    expect(refused(() => npzDataset(bz, 'b.npz', { name: 'b' }), DataError).message).toMatch(/uses compression method 12; only stored \(0\) and deflated \(8\)/);
    const twice = f.zipOf([...members(), members()[0]!]);
    expect(refused(() => npzDataset(twice, 't.npz', { name: 't' }), DataError).message).toMatch(/member 'x_train\.npy' appears twice/);
    expect(refused(() => npzDataset(zip.subarray(0, zip.length - 10), 'c.npz', { name: 'c' }), DataError).message).toMatch(/zip archive is corrupt or truncated: no end-of-central-directory record/);
    const count = zip.slice();
    count[count.length - 12] = 0xff; // 255 entries in a directory of 4
    count[count.length - 14] = 0xff;
    expect(refused(() => npzDataset(count, 'n.npz', { name: 'n' }), DataError).message).toMatch(/255 entries cannot fit in a central directory/);
  });

  it('zip64 sizes in the central directory are read', () => {
    const data = f.npyU1([40, 8, 8], f.images(y, 8));
    const zip = f.zipOf([{ name: 'x_train.npy', data, method: 0, size: data.length, crc: crc32(data) }]);
    // rewrite the entry's sizes as 0xffffffff with a zip64 extra field holding them
    const dirAt = zip.length - 22 - (46 + 11);
    const head = zip.subarray(0, dirAt);
    const entry = zip.slice(dirAt, zip.length - 22);
    const view = new DataView(entry.buffer);
    view.setUint32(20, 0xffffffff, true);
    view.setUint32(24, 0xffffffff, true);
    view.setUint16(30, 20, true);
    const extra = new Uint8Array(20);
    const ev = new DataView(extra.buffer);
    ev.setUint16(0, 1, true);
    ev.setUint16(2, 16, true);
    ev.setBigUint64(4, BigInt(data.length), true);
    ev.setBigUint64(12, BigInt(data.length), true);
    const dir = f.bytes(entry, extra);
    const end = new Uint8Array(22);
    const endView = new DataView(end.buffer);
    endView.setUint32(0, 0x06054b50, true);
    endView.setUint16(8, 1, true);
    endView.setUint16(10, 1, true);
    endView.setUint32(12, dir.length, true);
    endView.setUint32(16, head.length, true);
    expect(parseNpz(f.bytes(head, dir, end), 'z64.npz').get('x_train')!.shape).toEqual([40, 8, 8]);
  });
});

describe('NPY headers', () => {
  it('a header over 64 KiB, too many dimensions, too many elements', () => {
    const big = new Uint8Array(12 + 70000);
    big.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(big.buffer).setUint32(8, 70000, true);
    expect(refused(() => parseNpy(big, 'h.npy'), DataError).message).toMatch(/NPY header length 70000 is more than the 65536 bytes read/);
    const dims = `{'descr': '|u1', 'fortran_order': False, 'shape': (${'1, '.repeat(100)}), }`;
    const many = f.bytes([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, dims.length & 255, dims.length >> 8], dims);
    expect(refused(() => parseNpy(many, 'd.npy'), DataError).message).toMatch(/more than 64 dimensions/);
    expect(refused(() => parseNpy(f.npyU1([0]).slice(0, 10), 'short.npy'), DataError).message).toMatch(/truncated/);
    const huge = `{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }`;
    expect(refused(() => parseNpy(f.bytes([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, huge.length, 0], huge), 'e.npy'), DataError).message).toMatch(/10000000000 elements, more than the 134217728/);
  });
});

describe('labels: classes from the labels present, capped, with warnings', () => {
  it('one flipped label byte among 70000: 11 classes, and a warning naming the label', () => {
    const tr = f.labels(60000, 10, [[123, 250]]);
    const te = f.labels(10000, 10);
    const files = {
      trainImages: f.bytes(f.idxImageHeader(60000, 1, 1), new Uint8Array(60000)),
      trainLabels: f.bytes([0, 0, 8, 1, 0, 0, 0xea, 0x60], Uint8Array.from(tr)),
      testImages: f.bytes(f.idxImageHeader(10000, 1, 1), new Uint8Array(10000)),
      testLabels: f.bytes([0, 0, 8, 1, 0, 0, 0x27, 0x10], Uint8Array.from(te)),
    };
    const ds = idxDataset(files, { name: 'flip' });
    expect(ds.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '250']);
    expect(ds.train.y[123]).toBe(10);
    expect(ds.warnings).toEqual([
      'train-labels-idx1-ubyte and t10k-labels-idx1-ubyte: the labels are not 0…10 but 0–9, 250; the 11 classes are these labels in increasing order',
      "t10k-labels-idx1-ubyte: no samples of class '250'",
      'train-labels-idx1-ubyte and t10k-labels-idx1-ubyte: label 250 occurs once among 70000 labels (the median class 7000 times): a corrupted label?',
    ]);
  });

  it(`more than ${MAX_CLASSES} distinct labels, negative and fractional labels are refused`, () => {
    const many = Array.from({ length: MAX_CLASSES + 1 }, (_, i) => i);
    expect(refused(() => npzDataset(f.labelNpz(many, [0], 1), 'm.npz', { name: 'm' }), DataError).message).toMatch(/more than 10000 distinct labels/);
    expect(refused(() => npzDataset(f.labelNpz([0, -1], [0], 1), 'n.npz', { name: 'n' }), DataError).message).toMatch(/label 1 is -1; expected a non-negative integer class index/);
    const frac = zipSync({
      'x_train.npy': f.npyU1([2, 1]), 'y_train.npy': f.npyU1([2]),
      'x_test.npy': f.npyU1([1, 1]), 'y_test.npy': writeNpy('<f8', [1], new Uint8Array(new Float64Array([0.5]).buffer)),
    });
    expect(refused(() => npzDataset(frac, 'f.npz', { name: 'f' }), DataError).message).toMatch(/f\.npz:y_test: label 0 is 0\.5; expected a non-negative integer/);
  });
});

describe('PNG: the size is checked before decoding', () => {
  it('50000×50000 is refused from its header, an interlaced bomb from its data', () => {
    const e = refused(() => decodePng(f.blackPng(50000, 50000), 'big.png'), HandgradError, 1000);
    expect(e.message).toMatch(/^big\.png: byte 16: the image is 50000×50000 \(2500000000 pixels\), more than the 16777216 this reader decodes/);
    expect(refused(() => decodePng(f.interlacedBombPng(100_000_000), 'i.png')).message).toMatch(/i\.png: image data inflates to more than 79 bytes/);
    expect(decodePng(f.blackPng(9, 5), 'ok.png')).toMatchObject({ width: 9, height: 5 });
  });
});

describe('safetensors: the header is checked against a schema before anything is allocated', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['an inherited name as dtype', f.safetensorsOf({ a: { dtype: 'toString', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'a': unknown dtype "toString"/],
    ['constructor as dtype', f.safetensorsOf({ a: { dtype: 'constructor', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /unknown dtype "constructor"/],
    ['a dimension of 1e300', f.safetensorsOf({ a: { dtype: 'F32', shape: [1e300], data_offsets: [0, 4] } }, new Uint8Array(4)), /shape must be a list of at most 64 non-negative integers/],
    ['65 dimensions', f.safetensorsOf({ a: { dtype: 'F32', shape: new Array(65).fill(1), data_offsets: [0, 4] } }, new Uint8Array(4)), /at most 64/],
    ['an offset beyond 2^53', f.safetensorsOf('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 18014398509481988]}}', new Uint8Array(4)), /data_offsets must be/],
    ['20000×20000 F32 claimed over 16 bytes', f.safetensorsOf({ a: { dtype: 'F32', shape: [20000, 20000], data_offsets: [0, 1600000000] } }, new Uint8Array(16)), /run past the 16 data bytes of the file/],
    ['a size that does not match', f.safetensorsOf({ a: { dtype: 'F32', shape: [20000, 20000], data_offsets: [0, 16] } }, new Uint8Array(16)), /F32 \[20000, 20000\] needs 1600000000 bytes/],
    ['metadata with __proto__', f.safetensorsOf('{"__metadata__": {"__proto__": "x"}}'), /may not hold the key "__proto__"/],
    ['a 200 KB tensor name', f.safetensorsOf({ ['n'.repeat(200_000)]: { dtype: 'F99', shape: [], data_offsets: [0, 0] } }), /tensor 'n{80}… \(200000 characters\)': unknown dtype/],
  ];
  for (const [what, bytes, message] of cases) {
    it(what, () => {
      expect(refused(() => readSafetensors(bytes, 'w.safetensors')).message).toMatch(message);
    });
  }

  it('a header over 16 MiB is refused from its length; a 15 MB shape is refused in a short message', () => {
    const long = f.safetensorsOf('{}');
    new DataView(long.buffer).setBigUint64(0, BigInt(16 * 2 ** 20 + 8), true);
    expect(refused(() => readSafetensors(long, 'l.safetensors')).message).toMatch(/^l\.safetensors: byte 0: header length 16777224 is larger than the 16777216 bytes \(16 MiB\) read/);
    const shape = f.safetensorsOf(`{"a":{"dtype":"F32","shape":[${'0,'.repeat(7_500_000)}0],"data_offsets":[0,0]}}`);
    const e = refused(() => readSafetensors(shape, 's.safetensors'), HandgradError, 5000);
    expect(e.message).toMatch(/tensor 'a': shape must be a list of at most 64 non-negative integers, got \[0,0,0,0,0,0,0,0,… \(7500001 items\)\]/);
  });

  it('a tensor named __proto__ is just a name', () => {
    const t = readSafetensors(f.safetensorsOf('{"__proto__": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', new Uint8Array(4)));
    expect([...t.tensors.keys()]).toEqual(['__proto__']);
  });

  it('weights holding NaN or ∞ are refused, naming the tensor and the element', () => {
    const w = new Map([['0.weight', Tensor.fromArray([1, 2, NaN, Infinity])], ['0.bias', Tensor.fromArray([0])]]);
    expect(refused(() => checkFinite(w, 'm.safetensors')).message).toBe(
      "m.safetensors: tensor '0.weight' holds NaN at element 2 (2 of its 4 values are not finite): the weights are unusable (did training diverge?)",
    );
    const dir = tempDir('nan-weights');
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(w));
    expect(refused(() => readModelFile(join(dir, 'model.safetensors'))).message).toMatch(/model\.safetensors: tensor '0\.weight' holds NaN at element 2/);
  });
});

describe('Tensor.fromArray refuses what is not an array of numbers', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['a string element', () => Tensor.fromArray([1, 'a' as unknown as number]), /element \[1\] is the string "a"; expected a number/],
    ['a nested string', () => Tensor.fromArray([[1, 2], [3, '4']]), /element \[1\]\[1\] is the string "4"/],
    ['a ragged array', () => Tensor.fromArray([[1, 2, 3], [4, 5]]), /ragged array: \[1\] has 2 elements but \[0\] has 3/],
    ['mixed depth', () => Tensor.fromArray([[1, 2], 3]), /\[1\] is a number where an array of 2 is expected/],
    ['a number where an array ends', () => Tensor.fromArray([[1, [2]], [3, 4]]), /element \[0\]\[1\] is an array; expected a number/],
    ['an unknown dtype', () => Tensor.fromArray([1], [1], 'int8' as 'float32'), /unknown dtype "int8"; expected 'float32' or 'float64'/],
    ['a string as data', () => Tensor.fromArray('abc' as unknown as number[]), /expected an array or a typed array of numbers, got the string "abc"/],
    ['a BigInt64Array', () => Tensor.fromArray(new BigInt64Array(2) as unknown as number[]), /a BigInt64Array is not an array of numbers/],
    ['null and undefined elements', () => Tensor.fromArray([null, undefined] as unknown as number[]), /element \[0\] is null/],
  ];
  for (const [what, fn, message] of cases) {
    it(what, () => {
      expect(refused(fn).message).toMatch(/^Tensor\.fromArray: /);
      expect(refused(fn).message).toMatch(message);
    });
  }

  it('nesting 10⁵ deep is walked without recursion', () => {
    let deep: unknown = [1];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(Tensor.fromArray(deep as number[]).size).toBe(1);
  });
});

describe('readRegularFile', () => {
  const dir = tempDir('regular');
  it('names a directory, a missing file, an empty file and a file over its limit', () => {
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'ten'), '0123456789');
    expect(refused(() => readRegularFile(join(dir, 'd'))).message).toMatch(/d: is a directory, not a regular file/);
    expect(refused(() => readRegularFile(join(dir, 'nope'))).message).toMatch(/nope: no such file/);
    expect(refused(() => readRegularFile(join(dir, 'empty'))).message).toMatch(/empty: its size is 0 bytes/);
    expect(refused(() => readRegularFile(join(dir, 'ten'), { maxBytes: 9 })).message).toMatch(/ten: the file has 10 bytes, more than the 9 accepted/);
    expect(new TextDecoder().decode(readRegularFile(join(dir, 'ten')))).toBe('0123456789');
  });
});
