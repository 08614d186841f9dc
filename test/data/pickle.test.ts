// The safe pickle reader: numpy 1.24's pickles of ((trainX, trainY), (testX, testY)) with
// protocols 2–5 (fixtures written by Python), and hostile or broken pickles written here by
// hand as bytes. Nothing here is ever run by Python; the reader must refuse, not execute.
import { describe, expect, it } from 'vitest';
import { type PyNdArray, PyTuple, pickleDataset, unpickle } from '../../src/data/pickle.js';
import { dataError, expected, fixture, scaled } from './helpers.js';

const enc = new TextEncoder();
/** Concatenates strings (latin1 bytes) and byte arrays. */
function bytes(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) => (typeof p === 'string' ? Uint8Array.from(p, (c) => c.charCodeAt(0)) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}
const shortUnicode = (s: string) => bytes([0x8c, enc.encode(s).length], enc.encode(s));

describe('numpy pickles, protocols 2–5', () => {
  for (const f of ['omni_p2.pkl', 'omni_p3.pkl', 'omni_p4.pkl', 'omni_p5.pkl', 'omni_p5_fortran.pkl']) {
    it(`${f} → the same Dataset`, () => {
      const ds = pickleDataset(fixture(f), f);
      expect(ds.name).toBe('omniglot12');
      expect(ds.sampleShape).toEqual([16]);
      expect(ds.classes).toEqual(['0', '1', '2']);
      expect(ds.train.n).toBe(6);
      expect(ds.test.n).toBe(3);
      expect([...ds.train.y]).toEqual(expected.y_train);
      expect([...ds.test.y]).toEqual(expected.y_test);
      expect(ds.train.x).toEqual(scaled(expected.x_train_u8));
      expect(ds.test.x).toEqual(scaled(expected.x_test_u8));
      expect(ds.source['pixelScale']).toBe('none'); // already in [0, 1]
    });
  }

  it('unpickle exposes the structure: tuples of arrays with dtypes and shapes', () => {
    const root = unpickle(fixture('omni_p2.pkl'), 'p2');
    expect(root).toBeInstanceOf(PyTuple);
    const train = (root as PyTuple).items[0] as PyTuple;
    const x = (train.items[0] as PyNdArray).array!;
    const y = (train.items[1] as PyNdArray).array!;
    expect([x.dtype, x.shape]).toEqual(['f8', [6, 16]]);
    expect([y.dtype, y.shape]).toEqual(['i8', [6]]);
  });
});

describe('protocol 2, written by hand: an array larger than a JS string would hold comfortably', () => {
  it('reads the latin1 text of _codecs.encode straight from its UTF-8 bytes', () => {
    const n = 70000; // above the reader's 64 KiB long-text threshold
    const raw = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256);
    const utf8 = enc.encode(Array.from(raw, (b) => String.fromCharCode(b)).join(''));
    const u32 = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
    const binunicode = (b: Uint8Array) => bytes('X', u32(b.length), b);
    const pkl = bytes(
      [0x80, 2],
      'cnumpy.core.multiarray\n_reconstruct\n', 'cnumpy\nndarray\n', [0x4b, 0, 0x85], 'C', [1], 'b', [0x87], 'R',
      '(', [0x4b, 1], 'J', u32(n), [0x85],
      'cnumpy\ndtype\n', binunicode(enc.encode('u1')), [0x89, 0x88, 0x87], 'R',
      '(', [0x4b, 3], binunicode(enc.encode('|')), 'NNN', 'J', u32(0xffffffff), 'J', u32(0xffffffff), [0x4b, 0], 't', 'b',
      [0x89], 'c_codecs\nencode\n', binunicode(utf8), binunicode(enc.encode('latin1')), [0x86], 'R',
      't', 'b', '.',
    );
    expect(utf8.length).toBeGreaterThan(n); // bytes ≥ 0x80 take two UTF-8 bytes
    const a = (unpickle(pkl, 'long.pkl') as PyNdArray).array!;
    expect([a.dtype, a.shape]).toEqual(['u1', [n]]);
    expect(a.data).toEqual(raw);
  });
});

describe('hostile pickles are refused, never run', () => {
  it('protocol 0 os.system via GLOBAL + REDUCE: refused at the GLOBAL, byte 0', () => {
    const evil = bytes("cos\nsystem\n(S'echo pwned'\ntR.");
    const e = dataError(() => unpickle(evil, 'evil0.pkl'));
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/evil0\.pkl: byte 0: pickle: refusing global 'os\.system' \(GLOBAL \(0x63 'c'\)\)/);
  });

  it('protocol 2 posix.system after PROTO: refused at byte 2', () => {
    const evil = bytes([0x80, 2], 'cposix\nsystem\n', 'X', [10, 0, 0, 0], 'echo pwned', [0x85], 'R.');
    const e = dataError(() => unpickle(evil, 'evil2.pkl'));
    expect(e.offset).toBe(2);
    expect(e.message).toMatch(/refusing global 'posix\.system'/);
  });

  it('protocol 4 builtins.eval via STACK_GLOBAL: refused at the STACK_GLOBAL', () => {
    const body = bytes(shortUnicode('builtins'), [0x94], shortUnicode('eval'), [0x94], [0x93], shortUnicode('1+1'), [0x85], 'R.');
    const evil = bytes([0x80, 4, 0x95], new Uint8Array(new BigUint64Array([BigInt(body.length)]).buffer), body);
    const e = dataError(() => unpickle(evil, 'evil4.pkl'));
    const at = 11 + 10 + 1 + 6 + 1; // PROTO+FRAME, 'builtins', MEMOIZE, 'eval', MEMOIZE
    expect(e.offset).toBe(at);
    expect(e.message).toMatch(new RegExp(`byte ${at}: pickle: refusing global 'builtins\\.eval' \\(STACK_GLOBAL`));
  });

  it('a numpy-looking global outside the allow-list is refused too', () => {
    const e = dataError(() => unpickle(bytes([0x80, 2], 'cnumpy\nload\n.'), 'np.pkl'));
    expect(e.message).toMatch(/refusing global 'numpy\.load'/);
  });

  it('INST, OBJ, NEWOBJ and unknown opcodes are refused by name', () => {
    const inst = dataError(() => unpickle(bytes([0x80, 2], '(ios\nsystem\nS\'x\'\n.'), 'inst.pkl'));
    expect(inst.offset).toBe(3);
    expect(inst.message).toMatch(/refusing INST \(0x69 'i'\)/);
    const newobj = dataError(() => unpickle(bytes([0x80, 2, 0x4e, 0x29, 0x81, 0x2e]), 'newobj.pkl'));
    expect(newobj.offset).toBe(4);
    expect(newobj.message).toMatch(/refusing NEWOBJ \(0x81\)/);
    const unknown = dataError(() => unpickle(bytes([0x80, 2, 0xff]), 'ff.pkl'));
    expect(unknown.message).toMatch(/byte 2: pickle: refusing unknown opcode \(0xff\)/);
  });

  it('REDUCE on something that is not an allowed global is refused', () => {
    const e = dataError(() => unpickle(bytes([0x80, 2], shortUnicode('os.system'), [0x29], 'R.'), 'r.pkl'));
    expect(e.offset).toBe(14);
    expect(e.message).toMatch(/REDUCE on "os\.system": only the allowed numpy globals may be called/);
  });

  it('allowed callables with arguments numpy would not write are refused', () => {
    const codec = dataError(() => unpickle(bytes([0x80, 2], 'c_codecs\nencode\n', shortUnicode('x'), shortUnicode('rot13'), [0x86], 'R.'), 'c.pkl'));
    expect(codec.message).toMatch(/_codecs\.encode called with \("x", "rot13"\); expected \(str, 'latin1'\)/);
    const objDtype = dataError(() => unpickle(bytes([0x80, 2], 'cnumpy\ndtype\n', shortUnicode('O8'), [0x89, 0x88, 0x87], 'R.'), 'o.pkl'));
    expect(objDtype.message).toMatch(/numpy\.dtype\('O8'\) is not allowed/);
    const recon = dataError(() => unpickle(bytes([0x80, 2], 'cnumpy.core.multiarray\n_reconstruct\n', 'cnumpy\ndtype\n', [0x4b, 0, 0x85], 'C', [1], 'b', [0x87], 'R.'), 'rc.pkl'));
    expect(recon.message).toMatch(/_reconstruct called with \(numpy\.dtype, tuple\(0\), bytes\(1\)\); expected \(numpy\.ndarray/);
  });

  it('BUILD on anything but a dtype or an ndarray is refused', () => {
    const e = dataError(() => unpickle(bytes([0x80, 2, 0x29, 0x29, 0x62, 0x2e]), 'b.pkl'));
    expect(e.offset).toBe(4);
    expect(e.message).toMatch(/BUILD on tuple\(\): only numpy dtypes and arrays may be built/);
  });

  it('out-of-band buffers (protocol 5 NEXT_BUFFER) are refused', () => {
    const e = dataError(() => unpickle(bytes([0x80, 5, 0x97, 0x2e]), 'oob.pkl'));
    expect(e.message).toMatch(/NEXT_BUFFER \(0x97\): out-of-band buffers are not supported/);
  });
});

describe('broken pickles name the byte', () => {
  it('truncated numpy pickles of every protocol', () => {
    for (const f of ['omni_p2.pkl', 'omni_p3.pkl', 'omni_p4.pkl', 'omni_p5.pkl']) {
      const full = fixture(f);
      for (const cut of [1, 5, full.length >> 1, full.length - 1]) {
        const e = dataError(() => pickleDataset(full.subarray(0, cut), f));
        expect(e.message).toMatch(/truncated/);
        expect(e.offset).toBeLessThanOrEqual(cut);
      }
    }
  });

  it('a corrupt module name in a real pickle is refused as a global', () => {
    const b = fixture('omni_p4.pkl').slice();
    const at = new TextDecoder('latin1').decode(b).indexOf('numpy.core.multiarray');
    b[at + 4] = 0x30; // 'numpy' → 'nump0'
    const e = dataError(() => pickleDataset(b, 'corrupt.pkl'));
    expect(e.message).toMatch(/refusing global 'nump0\.core\.multiarray\._reconstruct'/);
  });

  it('an array buffer of the wrong length is refused', () => {
    const b = fixture('omni_p5.pkl').slice();
    // the first BYTEARRAY8 holds trainX: 6·16 float32 = 384 bytes; claim 383
    const at = b.indexOf(0x96);
    const len = new DataView(b.buffer).getBigUint64(at + 1, true);
    expect(len).toBe(384n);
    new DataView(b.buffer).setBigUint64(at + 1, 383n, true);
    const e = dataError(() => pickleDataset(b, 'len.pkl'));
    expect(e.message).toMatch(/len\.pkl: byte \d+: pickle: /);
  });

  it('a well-formed pickle of something else says what it holds and what was expected', () => {
    const e = dataError(() => pickleDataset(bytes([0x80, 2, 0x4b, 1, 0x4b, 2, 0x86, 0x2e]), 'pair.pkl'));
    expect(e.message).toMatch(/pair\.pkl: pickle holds tuple\(1, 2\); expected \(\(trainX, trainY\), \(testX, testY\)\)/);
  });
});
