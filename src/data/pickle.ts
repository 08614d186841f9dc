// A *safe* reader of pickled numpy arrays, written for the course's omniglot_12.pkl:
//   ((trainX, trainY), (testX, testY))   — numpy arrays, pickled by Python 3 (protocols 2–5).
//
// Python's pickle format is a program for a small stack machine; unpickling normally imports
// and calls whatever the program names (that is how `os.system` ends up running). This is a
// virtual machine that knows only the opcodes such a file needs and an allow-list of exactly
// the globals numpy uses to rebuild an array; each "call" is done by our own code, never by
// looking anything up. Any other global, any other opcode, or an allowed callable given
// arguments numpy would not write, is refused with an error naming the opcode or global and
// its byte offset. Nothing is ever executed. Browser-safe.
//
// How numpy 1.24 pickles an ndarray:
//   protocols 2–4:  _reconstruct(ndarray, (0,), b'b')  then BUILD with
//                   (1, shape, dtype, is_fortran, raw_bytes)
//                   (protocol 2 has no bytes type: raw_bytes is _codecs.encode(str, 'latin1'))
//   protocol 5:     numpy.core.numeric._frombuffer(buffer, dtype, shape, order) with the buffer
//                   in-band as BYTEARRAY8 (out-of-band buffers are refused)
//   a dtype:        numpy.dtype('f4', False, True) then BUILD with
//                   (3, '<', None, None, None, -1, -1, 0)   (version, byte order, subarray,
//                   names, fields, elsize, alignment, flags)
// numpy ≥ 2 writes the same under the module name numpy._core; both spellings are allowed.

import { arraysToDataset, decodeArray, type NdArray } from './arrays.js';
import { DataError, needBytes } from './errors.js';
import type { Dataset } from './types.js';

// ---- values on the machine's stack ------------------------------------------------------

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyTuple | PyGlobal | PyDType | PyNdArray | PyLongText;

/**
 * A long string kept as its UTF-8 bytes. Protocol 2 carries an array's raw bytes as the text
 * argument of _codecs.encode(text, 'latin1'); for a large array that text would exceed what a
 * JavaScript string can hold, so it is never made into one.
 */
export class PyLongText {
  constructor(readonly utf8: Uint8Array) {}
}
const LONG_TEXT = 1 << 16;

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
/** One of the allowed globals (a name, never a function). */
export class PyGlobal {
  constructor(readonly name: AllowedGlobal) {}
}
/** numpy.dtype(kind, False, True), completed by BUILD with its byte order. */
export class PyDType {
  order = '|';
  built = false;
  constructor(readonly kind: string) {}
  get descr(): string {
    return this.order + this.kind;
  }
}
/** An ndarray: empty after _reconstruct, filled by BUILD; full after _frombuffer. */
export class PyNdArray {
  array: NdArray | undefined;
}

const ALLOWED = [
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.core.numeric._frombuffer',
  'numpy._core.numeric._frombuffer',
  'numpy.ndarray',
  'numpy.dtype',
  '_codecs.encode',
] as const;
type AllowedGlobal = (typeof ALLOWED)[number];

/** The dtype kinds a data set may use (no objects, no strings, no structured types). */
const ALLOWED_KINDS = new Set(['b1', 'u1', 'i1', 'i2', 'u2', 'i4', 'u4', 'i8', 'u8', 'f4', 'f8']);

// Every opcode of pickle protocols 0–5, by byte, so a refusal can name what it saw.
const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT',
  0x4a: 'BININT', 0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID',
  0x51: 'BINPERSID', 0x52: 'REDUCE', 0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND', 0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT',
  0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET', 0x69: 'INST', 0x6a: 'LONG_BINGET',
  0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT',
  0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1',
  0x86: 'TUPLE2', 0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4',
  0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

function opName(op: number): string {
  const ch = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : '';
  return `${OPCODE_NAMES[op] ?? 'unknown opcode'} (0x${op.toString(16).padStart(2, '0')}${ch})`;
}

/** A short description of a value for error messages: "tuple(2)", "ndarray f4 (6, 16)". */
export function describe(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (v instanceof PyTuple) return `tuple(${v.items.map(describe).join(', ')})`;
  if (v instanceof PyGlobal) return v.name;
  if (v instanceof PyDType) return `dtype('${v.descr}')`;
  if (v instanceof PyNdArray) return v.array ? `ndarray ${v.array.dtype} (${v.array.shape.join(', ')})` : 'ndarray (unbuilt)';
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (typeof v === 'string') return JSON.stringify(v.length > 20 ? v.slice(0, 20) + '…' : v);
  if (v instanceof PyLongText) return `str(${v.utf8.length} UTF-8 bytes)`;
  return String(v);
}

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Runs the pickle program in `bytes` on the safe machine and returns the object it builds.
 * Throws a DataError naming the file, the byte offset and the opcode or global at fault.
 */
export function unpickle(bytes: Uint8Array, file: string): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;
  let at = 0; // offset of the current opcode, for errors

  const fail = (msg: string, offset = at): never => {
    throw new DataError(file, `pickle: ${msg}`, offset);
  };
  const need = (n: number, what: string): void => needBytes(file, bytes, pos, n, `${what} of ${opName(bytes[at]!)} at byte ${at}`);
  const u8 = (): number => { need(1, 'argument'); return bytes[pos++]!; };
  const u16 = (): number => { need(2, 'argument'); const v = view.getUint16(pos, true); pos += 2; return v; };
  const i32 = (): number => { need(4, 'argument'); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u32 = (): number => { need(4, 'argument'); const v = view.getUint32(pos, true); pos += 4; return v; };
  const u64 = (): number => {
    need(8, 'argument');
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length - pos)) fail(`truncated: ${opName(bytes[at]!)} announces ${v} bytes but only ${bytes.length - pos} remain (file has ${bytes.length} bytes)`);
    return Number(v);
  };
  const take = (n: number, what: string): Uint8Array => {
    need(n, what);
    const b = bytes.subarray(pos, pos + n); // a view: nothing here writes into it
    pos += n;
    return b;
  };
  const text = (n: number): string | PyLongText => {
    const b = take(n, 'string');
    if (n > LONG_TEXT) return new PyLongText(b);
    try {
      return utf8.decode(b);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('truncated: a text argument has no terminating newline');
    let s = '';
    for (let i = pos; i < end; i++) s += String.fromCharCode(bytes[i]!);
    pos = end + 1;
    return s;
  };
  const push = (v: PyValue): void => { stack.push(v); };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined) return fail(`${opName(bytes[at]!)} on an empty stack`);
    if (v === MARK) return fail(`${opName(bytes[at]!)} found a MARK where a value was expected`);
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) return fail(`${opName(bytes[at]!)} on an empty stack`);
    return v;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) return fail(`${opName(bytes[at]!)} without a MARK`);
    // stack[m] is the MARK itself; the values pushed after it follow
    return stack.splice(m).slice(1) as PyValue[];
  };
  const global = (name: string): PyGlobal => {
    if (!(ALLOWED as readonly string[]).includes(name)) {
      fail(
        `refusing global '${name}' (${opName(bytes[at]!)}): only numpy array reconstruction is allowed (${ALLOWED.join(', ')})`,
      );
    }
    return new PyGlobal(name as AllowedGlobal);
  };

  for (;;) {
    at = pos;
    if (pos >= bytes.length) fail(`truncated: the pickle ends without a STOP opcode (file has ${bytes.length} bytes)`);
    const op = bytes[pos++]!;
    switch (op) {
      case 0x80: { // PROTO n
        const v = u8();
        if (v < 2 || v > 5) fail(`pickle protocol ${v} is not supported (expected 2–5)`);
        break;
      }
      case 0x95: u64(); break; // FRAME n: a framing hint only, the opcodes follow inline
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length !== 0) fail(`STOP with ${stack.length} values on the stack (expected 1)`);
        return pop();
      }
      case 0x28: marks.push(stack.length); stack.push(MARK); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      // ---- constants
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x4a: push(i32()); break; // BININT
      case 0x8a: { // LONG1: n-byte little-endian two's complement
        const n = u8();
        const b = take(n, 'integer');
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (n > 0 && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: { need(8, 'float'); push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      // ---- strings and bytes
      case 0x8c: push(text(u8())); break; // SHORT_BINUNICODE
      case 0x58: push(text(u32())); break; // BINUNICODE
      case 0x8d: push(text(u64())); break; // BINUNICODE8
      case 0x43: push(take(u8(), 'bytes')); break; // SHORT_BINBYTES
      case 0x42: push(take(u32(), 'bytes')); break; // BINBYTES
      case 0x8e: push(take(u64(), 'bytes')); break; // BINBYTES8
      case 0x96: push(take(u64(), 'bytearray')); break; // BYTEARRAY8 (protocol 5 in-band buffer)
      // ---- tuples
      case 0x29: push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x85: { const a = pop(); push(new PyTuple([a])); break; } // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x74: push(new PyTuple(popMark())); break; // TUPLE
      // ---- memo
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo key ${k} was never stored`);
        push(memo.get(k)!);
        break;
      }
      // ---- globals, calls, state
      case 0x63: { // GLOBAL "module\nname\n"
        const mod = line();
        const name = line();
        push(global(`${mod}.${name}`));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const mod = pop();
        if (typeof mod !== 'string' || typeof name !== 'string') fail(`STACK_GLOBAL expects two strings, got ${describe(mod)}, ${describe(name)}`);
        push(global(`${mod as string}.${name as string}`));
        break;
      }
      case 0x52: { // REDUCE: callable(*args)
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PyGlobal)) fail(`REDUCE on ${describe(fn)}: only the allowed numpy globals may be called`);
        if (!(args instanceof PyTuple)) fail(`REDUCE of ${(fn as PyGlobal).name} with non-tuple arguments ${describe(args)}`);
        push(call((fn as PyGlobal).name, (args as PyTuple).items, fail));
        break;
      }
      case 0x62: { // BUILD: obj.__setstate__(state)
        const state = pop();
        const obj = top();
        build(obj, state, fail);
        break;
      }
      case 0x97: case 0x98:
        fail(`${opName(op)}: out-of-band buffers are not supported; pickle with protocol 5 in-band (the default) or protocol 4`);
        break;
      default:
        fail(`refusing ${opName(op)}: not an opcode that pickled numpy arrays need`);
    }
  }
}

type Fail = (msg: string) => never;

/** The calls the allowed globals stand for, done by our own code with checked arguments. */
function call(name: AllowedGlobal, args: PyValue[], fail: Fail): PyValue {
  switch (name) {
    case 'numpy.core.multiarray._reconstruct':
    case 'numpy._core.multiarray._reconstruct': {
      // _reconstruct(numpy.ndarray, (0,), b'b'): an empty array that BUILD fills
      const [cls] = args;
      if (args.length !== 3 || !(cls instanceof PyGlobal) || cls.name !== 'numpy.ndarray') {
        fail(`${name} called with (${args.map(describe).join(', ')}); expected (numpy.ndarray, (0,), b'b')`);
      }
      return new PyNdArray();
    }
    case 'numpy.dtype': {
      // dtype('f4', False, True)
      const [kind] = args;
      if (typeof kind !== 'string' || args.length < 1 || args.length > 3) fail(`numpy.dtype called with (${args.map(describe).join(', ')}); expected ('f4', False, True)`);
      if (!ALLOWED_KINDS.has(kind as string)) {
        fail(`numpy.dtype('${kind as string}') is not allowed: only numeric dtypes (${[...ALLOWED_KINDS].join(', ')}) are read`);
      }
      return new PyDType(kind as string);
    }
    case '_codecs.encode': {
      // Protocol 2 writes bytes as _codecs.encode(text, 'latin1'): each character is one byte.
      const [s, enc] = args;
      if (args.length !== 2 || (typeof s !== 'string' && !(s instanceof PyLongText)) || enc !== 'latin1') {
        fail(`_codecs.encode called with (${args.map(describe).join(', ')}); expected (str, 'latin1')`);
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
        fail(`${name} called with (${args.map(describe).join(', ')}); expected (bytes, dtype, shape, 'C' | 'F')`);
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

function build(obj: PyValue, state: PyValue, fail: Fail): void {
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

// ---- the data set ------------------------------------------------------------------------

export interface PickleDatasetOptions {
  name?: string;
  classes?: string[];
  source?: Record<string, unknown>;
}

/**
 * Reads a pickle of ((trainX, trainY), (testX, testY)) — the course's omniglot_12.pkl — or of the
 * flat tuple (trainX, trainY, testX, testY), into a Dataset. Omniglot-12's samples are flattened
 * 105×105 images, so sampleShape is [11025]; class names are '0'…'11' (the pickle holds none).
 */
export function pickleDataset(bytes: Uint8Array, file: string, options: PickleDatasetOptions = {}): Dataset {
  const root = unpickle(bytes, file);
  let parts: PyValue[] | undefined;
  if (root instanceof PyTuple && root.items.length === 2) {
    const [tr, te] = root.items;
    if (tr instanceof PyTuple && te instanceof PyTuple && tr.items.length === 2 && te.items.length === 2) {
      parts = [...tr.items, ...te.items];
    }
  } else if (root instanceof PyTuple && root.items.length === 4) {
    parts = root.items;
  }
  if (!parts || !parts.every((p) => p instanceof PyNdArray && p.array)) {
    throw new DataError(file, `pickle holds ${describe(root)}; expected ((trainX, trainY), (testX, testY)) of numpy arrays`);
  }
  const [xTrain, yTrain, xTest, yTest] = parts.map((p) => (p as PyNdArray).array!) as [NdArray, NdArray, NdArray, NdArray];
  return arraysToDataset(
    file,
    { xTrain, yTrain, xTest, yTest },
    {
      name: options.name ?? 'omniglot12',
      ...(options.classes ? { classes: options.classes } : {}),
      partNames: [`${file}: trainX`, `${file}: trainY`, `${file}: testX`, `${file}: testY`],
      source: { format: 'pickle', file, ...options.source },
    },
  );
}
