// What the allowed globals of the safe pickle machine (pickle.ts) stand for: each "call" and
// BUILD is done here by our own code, with its arguments checked against what numpy writes.
// Browser-safe.

import { clip, decodeArray, type NdArray } from './arrays.js';
import { describe, describeArgs, PyDType, PyGlobal, PyLongText, PyNdArray, PyTuple, type AllowedGlobal, type PyValue } from './pickle-values.js';

export type Fail = (msg: string) => never;

/** The dtype kinds a data set may use (no objects, no strings, no structured types). */
const ALLOWED_KINDS = new Set(['b1', 'u1', 'i1', 'i2', 'u2', 'i4', 'u4', 'i8', 'u8', 'f4', 'f8']);

/** The calls the allowed globals stand for, done by our own code with checked arguments. */
export function call(name: AllowedGlobal, args: PyValue[], fail: Fail): PyValue {
  switch (name) {
    case 'numpy.core.multiarray._reconstruct':
    case 'numpy._core.multiarray._reconstruct': {
      // _reconstruct(numpy.ndarray, (0,), b'b'): an empty array that BUILD fills
      const [cls] = args;
      if (args.length !== 3 || !(cls instanceof PyGlobal) || cls.name !== 'numpy.ndarray') {
        fail(`${name} called with ${describeArgs(args)}; expected (numpy.ndarray, (0,), b'b')`);
      }
      return new PyNdArray();
    }
    case 'numpy.dtype': {
      // dtype('f4', False, True)
      const [kind] = args;
      if (typeof kind !== 'string' || args.length < 1 || args.length > 3) fail(`numpy.dtype called with ${describeArgs(args)}; expected ('f4', False, True)`);
      if (!ALLOWED_KINDS.has(kind as string)) {
        fail(`numpy.dtype('${clip(kind as string, 40)}') is not allowed: only numeric dtypes (${[...ALLOWED_KINDS].join(', ')}) are read`);
      }
      return new PyDType(kind as string);
    }
    case '_codecs.encode': {
      // Protocol 2 writes bytes as _codecs.encode(text, 'latin1'): each character is one byte.
      const [s, enc] = args;
      if (args.length !== 2 || (typeof s !== 'string' && !(s instanceof PyLongText)) || enc !== 'latin1') {
        fail(`_codecs.encode called with ${describeArgs(args)}; expected (str, 'latin1')`);
      }
      if (s instanceof PyLongText) return utf8ToLatin1(s.utf8, fail);
      const str = s as string;
      const out = new Uint8Array(str.length);
      for (let i = 0; i < str.length; i++) {
        const c = str.charCodeAt(i);
        if (c > 0xff) fail(`_codecs.encode: character ${i} (U+${c.toString(16)}) is not latin1`);
        out[i] = c;
      }
      return out;
    }
    case 'numpy.core.numeric._frombuffer':
    case 'numpy._core.numeric._frombuffer': {
      // _frombuffer(buffer, dtype, shape, order)
      const [buf, dt, shape, order] = args;
      if (args.length !== 4 || !(buf instanceof Uint8Array) || !(dt instanceof PyDType) || !isIntTuple(shape) || (order !== 'C' && order !== 'F')) {
        fail(`${name} called with ${describeArgs(args)}; expected (bytes, dtype, shape, 'C' | 'F')`);
      }
      const a = new PyNdArray();
      a.array = toArray(buf as Uint8Array, dt as PyDType, shape as PyTuple, order === 'F', fail);
      return a;
    }
    default:
      // Unreachable: the allow-list and this switch list the same names.
      return fail(`no implementation for allowed global ${name as string}`);
  }
}

/** UTF-8 text whose code points are all ≤ U+00FF → one byte per code point. */
function utf8ToLatin1(u: Uint8Array, fail: Fail): Uint8Array {
  const out = new Uint8Array(u.length);
  let n = 0;
  for (let i = 0; i < u.length; i++) {
    const b = u[i]!;
    if (b < 0x80) out[n++] = b;
    else if ((b === 0xc2 || b === 0xc3) && i + 1 < u.length && (u[i + 1]! & 0xc0) === 0x80) out[n++] = ((b & 0x1f) << 6) | (u[++i]! & 0x3f);
    else fail(`_codecs.encode: UTF-8 byte ${i} of the text starts a character beyond U+00FF (not latin1)`);
  }
  return out.slice(0, n);
}

export function build(obj: PyValue, state: PyValue, fail: Fail): void {
  if (obj instanceof PyDType) {
    // (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
    const s = state instanceof PyTuple ? state.items : undefined;
    if (!s || s.length < 8 || typeof s[1] !== 'string' || !['<', '>', '|', '='].includes(s[1]) || s[2] !== null || s[3] !== null || s[4] !== null) {
      fail(`BUILD of ${describe(obj)} with state ${describe(state)}: only plain numeric dtypes (no subarray, names or fields) are read`);
    }
    obj.order = s![1] as string;
    obj.built = true;
    return;
  }
  if (obj instanceof PyNdArray) {
    // (version, shape, dtype, is_fortran, raw bytes)
    const s = state instanceof PyTuple ? state.items : undefined;
    if (!s || s.length !== 5 || !isIntTuple(s[1]) || !(s[2] instanceof PyDType) || typeof s[3] !== 'boolean' || !(s[4] instanceof Uint8Array)) {
      fail(
        `BUILD of an ndarray with state ${describe(state)}; expected (1, shape, dtype, is_fortran, raw bytes) — object arrays are not read`,
      );
    }
    if (obj.array) fail('BUILD of an ndarray that is already built');
    obj.array = toArray(s![4] as Uint8Array, s![2] as PyDType, s![1] as PyTuple, s![3] as boolean, fail);
    return;
  }
  fail(`BUILD on ${describe(obj)}: only numpy dtypes and arrays may be built`);
}

function isIntTuple(v: PyValue | undefined): v is PyTuple {
  return v instanceof PyTuple && v.items.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0);
}

function toArray(raw: Uint8Array, dt: PyDType, shape: PyTuple, fortran: boolean, fail: Fail): NdArray {
  const dims = shape.items as number[];
  let n = 1;
  for (const d of dims) n *= d;
  const size = Number(dt.kind.slice(1));
  if (raw.length !== n * size) {
    fail(`array of dtype ${dt.descr} and shape (${dims.join(', ')}) needs ${n * size} bytes but its buffer holds ${raw.length}`);
  }
  return decodeArray('pickle', raw, 0, dt.descr, dims, fortran);
}
