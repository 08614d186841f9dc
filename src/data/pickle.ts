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
//
// Budgets: a pickle is a program, and a tiny one can describe a huge structure (40 DUP + TUPLE2
// pairs make a tuple with 2⁴⁰ leaves through shared references). Nothing here walks such a
// structure: the stack, the memo and the nesting of tuples are capped (MAX_STACK, MAX_MEMO,
// MAX_DEPTH), a GLOBAL's text line is capped (MAX_NAME), and describe() — the only recursive
// walk, used in messages — stops at a depth, a number of items per tuple and a length.

import { arraysToDataset, clip, type NdArray } from './arrays.js';
import { DataError, needBytes } from './errors.js';
import { build, call } from './pickle-calls.js';
import { ALLOWED, describe, PyGlobal, PyLongText, PyNdArray, PyTuple, type AllowedGlobal, type PyValue } from './pickle-values.js';
import type { Dataset } from './types.js';

export { describe, PyDType, PyGlobal, PyLongText, PyNdArray, PyTuple, type PyValue } from './pickle-values.js';

// ---- the machine -----------------------------------------------------------------------

/** Strings longer than this stay UTF-8 bytes (PyLongText). */
const LONG_TEXT = 1 << 16;
/** Values on the stack at once (numpy's pickles use a handful). */
const MAX_STACK = 1 << 16;
/** Memo entries (numpy's pickles use tens). */
const MAX_MEMO = 1 << 16;
/** Bytes of a GLOBAL's module or name line; numpy's names are under 40. */
const MAX_NAME = 256;
/** Levels of nested tuples (numpy's pickles use three). */
const MAX_DEPTH = 64;

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
    const found = bytes.subarray(pos, pos + MAX_NAME + 1).indexOf(0x0a);
    if (found < 0) {
      if (pos + MAX_NAME < bytes.length) fail(`${opName(bytes[at]!)}: a name longer than ${MAX_NAME} bytes; numpy's module and class names are short`);
      fail('truncated: a text argument has no terminating newline');
    }
    const end = pos + found;
    let s = '';
    for (let i = pos; i < end; i++) s += String.fromCharCode(bytes[i]!);
    pos = end + 1;
    return s;
  };
  const push = (v: PyValue): void => {
    if (stack.length >= MAX_STACK) fail(`more than ${MAX_STACK} values on the stack; numpy's pickles use a handful`);
    stack.push(v);
  };
  const tuple = (items: PyValue[]): PyTuple => {
    const t = new PyTuple(items);
    if (t.depth > MAX_DEPTH) fail(`tuples nested more than ${MAX_DEPTH} deep; numpy's pickles nest three`);
    return t;
  };
  const memoize = (k: number, v: PyValue): void => {
    if (memo.size >= MAX_MEMO && !memo.has(k)) fail(`more than ${MAX_MEMO} memo entries; numpy's pickles use tens`);
    memo.set(k, v);
  };
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
        `refusing global '${clip(name)}' (${opName(bytes[at]!)}): only numpy array reconstruction is allowed (${ALLOWED.join(', ')})`,
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
      case 0x28: // MARK
        if (stack.length >= MAX_STACK) fail(`more than ${MAX_STACK} values on the stack; numpy's pickles use a handful`);
        marks.push(stack.length);
        stack.push(MARK);
        break;
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
      case 0x29: push(tuple([])); break; // EMPTY_TUPLE
      case 0x85: { const a = pop(); push(tuple([a])); break; } // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); push(tuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push(tuple([a, b, c])); break; } // TUPLE3
      case 0x74: push(tuple(popMark())); break; // TUPLE
      // ---- memo
      case 0x71: memoize(u8(), top()); break; // BINPUT
      case 0x72: memoize(u32(), top()); break; // LONG_BINPUT
      case 0x94: memoize(memo.size, top()); break; // MEMOIZE
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
