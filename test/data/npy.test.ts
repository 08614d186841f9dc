// NPY / NPZ: fixtures written by numpy 1.24 (test/data/fixtures/make_fixtures.py), files written
// by hand here, and corrupt / truncated versions of both.
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { npzDataset, parseNpy, parseNpz, writeNpy } from '../../src/data/npy.js';
import { dataError, expected, fixture, scaled } from './helpers.js';

describe('parseNpy on numpy-written files', () => {
  it('float32, C order, 3-D', () => {
    const a = parseNpy(fixture('f4_c.npy'), 'f4_c.npy');
    expect(a.dtype).toBe('f4');
    expect(a.shape).toEqual([2, 3, 4]);
    expect([...a.data]).toEqual(Array.from({ length: 24 }, (_, i) => Math.fround(Math.fround(i) / 23)));
  });

  it('float64, Fortran order, is transposed into C order', () => {
    const a = parseNpy(fixture('f8_fortran.npy'), 'f8_fortran.npy');
    expect(a.shape).toEqual([2, 3]);
    expect([...a.data]).toEqual([0, 1, 2, 3, 4, 5]); // np.arange(6).reshape(2, 3) read row by row
  });

  it('int64 with values beyond 2^32, and big-endian int32', () => {
    expect([...parseNpy(fixture('i8.npy'), 'i8.npy').data]).toEqual([0n, -1n, 2n ** 40n, 7n]);
    const be = parseNpy(fixture('be_i4.npy'), 'be_i4.npy');
    expect(be.dtype).toBe('i4');
    expect([...be.data]).toEqual([1, -2, 3]);
  });

  it('format versions 2.0 and 3.0', () => {
    for (const f of ['u1_v2.npy', 'u1_v3.npy']) {
      const a = parseNpy(fixture(f), f);
      expect(a.shape).toEqual([3, 4, 4]);
      expect([...a.data]).toEqual(expected.x_test_u8);
    }
  });
});

describe('writeNpy / parseNpy round trip and errors', () => {
  const data = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
  const good = writeNpy('<f4', [3, 2], data);

  it('round-trips a hand-written file; the header pads data to 64 bytes', () => {
    expect((good.length - data.length) % 64).toBe(0);
    expect([...parseNpy(good, 'x.npy').data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('bad magic names byte 0', () => {
    const bad = good.slice();
    bad[1] = 0x58;
    const e = dataError(() => parseNpy(bad, 'bad.npy'));
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/bad\.npy: byte 0: not an NPY file/);
  });

  it('a truncated header, and truncated data, name their byte', () => {
    const h = dataError(() => parseNpy(good.subarray(0, 40), 'h.npy'));
    expect(h.offset).toBe(10);
    expect(h.message).toMatch(/truncated: the NPY header needs 118 bytes but only 30 remain/);
    const d = dataError(() => parseNpy(good.subarray(0, good.length - 5), 'd.npy'));
    expect(d.offset).toBe(128);
    expect(d.message).toMatch(/shape \(3, 2\) needs 24 bytes of data but only 19 remain/);
  });

  it('refuses unknown dtypes and malformed headers, pointing into the header', () => {
    const obj = dataError(() => parseNpy(writeNpy('|O', [1], new Uint8Array(8)), 'o.npy'));
    expect(obj.message).toMatch(/unsupported dtype '\|O'/);
    const text = writeNpy('<f4', [3, 2], data);
    // corrupt the 'shape' tuple: "(3, 2)" → "(3, x)"
    const at = new TextDecoder('latin1').decode(text).indexOf('(3, 2)') + 4;
    text[at] = 0x78;
    const e = dataError(() => parseNpy(text, 's.npy'));
    expect(e.offset).toBe(at);
    expect(e.message).toMatch(/expected a non-negative integer in the shape tuple/);
  });
});

describe('NPZ', () => {
  for (const f of ['tiny.npz', 'tiny_compressed.npz']) {
    it(`reads numpy's ${f} (Keras mnist.npz layout) into a Dataset`, () => {
      const ds = npzDataset(fixture(f), f, { name: 'tiny' });
      expect(ds.sampleShape).toEqual([1, 4, 4]);
      expect(ds.classes).toEqual(['0', '1', '2']);
      expect([...ds.train.y]).toEqual(expected.y_train);
      expect([...ds.test.y]).toEqual(expected.y_test);
      expect(ds.train.x).toEqual(scaled(expected.x_train_u8));
      expect(ds.test.x).toEqual(scaled(expected.x_test_u8));
    });
  }

  it('reads a zip written here by hand', () => {
    const zip = zipSync({
      'x_train.npy': writeNpy('|u1', [2, 3], new Uint8Array([0, 51, 255, 0, 0, 0])),
      'y_train.npy': writeNpy('<i8', [2], new Uint8Array(new BigInt64Array([1n, 0n]).buffer)),
      'x_test.npy': writeNpy('|u1', [1, 3], new Uint8Array([255, 255, 255])),
      'y_test.npy': writeNpy('<i8', [1], new Uint8Array(new BigInt64Array([1n]).buffer)),
    });
    const ds = npzDataset(zip, 'hand.npz', { name: 'hand' });
    expect(ds.sampleShape).toEqual([3]);
    expect([...ds.train.x]).toEqual([0, Math.fround(51 / 255), 1, 0, 0, 0]);
    expect([...ds.train.y]).toEqual([1, 0]);
    expect(parseNpz(zip, 'hand.npz').size).toBe(4);
  });

  it('names the missing arrays', () => {
    const zip = zipSync({ 'x_train.npy': writeNpy('|u1', [1, 1], new Uint8Array(1)) });
    const e = dataError(() => npzDataset(zip, 'part.npz', { name: 'p' }));
    expect(e.message).toMatch(/part\.npz: NPZ lacks y_train, x_test, y_test/);
  });

  it('a truncated archive is an error naming the file', () => {
    const bytes = fixture('tiny_compressed.npz');
    const e = dataError(() => parseNpz(bytes.subarray(0, 300), 'cut.npz'));
    expect(e.message).toMatch(/cut\.npz: zip archive is corrupt or truncated/);
  });

  it('a corrupt member names the archive member and its byte', () => {
    const zip = zipSync({ 'x_train.npy': (() => { const b = writeNpy('|u1', [1, 1], new Uint8Array(1)); b[6] = 9; return b; })() }, { level: 0 });
    const e = dataError(() => parseNpz(zip, 'v.npz'));
    expect(e.file).toBe('v.npz:x_train.npy');
    expect(e.offset).toBe(6);
    expect(e.message).toMatch(/unsupported NPY format version 9\.0/);
  });

  it('labels beyond the given classes, or train/test shapes that disagree, are refused', () => {
    const mk = (xTest: Uint8Array, testShape: number[], yTest: number[]) =>
      zipSync({
        'x_train.npy': writeNpy('|u1', [2, 2], new Uint8Array(4)),
        'y_train.npy': writeNpy('|u1', [2], new Uint8Array([0, 1])),
        'x_test.npy': writeNpy('|u1', testShape, xTest),
        'y_test.npy': writeNpy('|u1', [yTest.length], Uint8Array.from(yTest)),
      });
    const labels = dataError(() => npzDataset(mk(new Uint8Array(2), [1, 2], [5]), 'l.npz', { name: 'l', classes: ['a', 'b'] }));
    expect(labels.message).toMatch(/l\.npz:y_test: label 0 is 5, outside \[0, 2\)/);
    const shapes = dataError(() => npzDataset(mk(new Uint8Array(3), [1, 3], [0]), 's.npz', { name: 's' }));
    expect(shapes.message).toMatch(/train and test samples differ in shape: .*\(2, 2\).*\(1, 3\)/);
  });
});
