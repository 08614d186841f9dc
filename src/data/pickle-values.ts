// The values on the safe pickle machine's stack (pickle.ts), the allow-list of globals, and
// describe(): a bounded description of a value for error messages. Browser-safe.

import { clip, type NdArray } from './arrays.js';

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyTuple | PyGlobal | PyDType | PyNdArray | PyLongText;

/**
 * A long string kept as its UTF-8 bytes. Protocol 2 carries an array's raw bytes as the text
 * argument of _codecs.encode(text, 'latin1'); for a large array that text would exceed what a
 * JavaScript string can hold, so it is never made into one.
 */
export class PyLongText {
  constructor(readonly utf8: Uint8Array) {}
}

export class PyTuple {
  /** Levels of tuples, this one included: 1 + the deepest item's. */
  readonly depth: number;
  constructor(readonly items: PyValue[]) {
    let d = 0;
    for (const item of items) if (item instanceof PyTuple && item.depth > d) d = item.depth;
    this.depth = d + 1;
  }
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

export const ALLOWED = [
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.core.numeric._frombuffer',
  'numpy._core.numeric._frombuffer',
  'numpy.ndarray',
  'numpy.dtype',
  '_codecs.encode',
] as const;
export type AllowedGlobal = (typeof ALLOWED)[number];

/** How far describe() looks: nesting depth, items per tuple, characters in all. */
const DESCRIBE_DEPTH = 4;
const DESCRIBE_ITEMS = 6;
const DESCRIBE_CHARS = 200;

/**
 * A short description of a value for error messages: "tuple(2)", "ndarray f4 (6, 16)". Bounded
 * whatever the value: tuples deeper than DESCRIBE_DEPTH show as "tuple(…)", only the first
 * DESCRIBE_ITEMS items of a tuple are shown, and the text stops near DESCRIBE_CHARS.
 */
export function describe(v: PyValue | undefined): string {
  const text = describeWithin(v, DESCRIBE_DEPTH, { left: DESCRIBE_CHARS });
  return text.length <= DESCRIBE_CHARS ? text : `${text.slice(0, DESCRIBE_CHARS)}…`;
}

function describeWithin(v: PyValue | undefined, depth: number, budget: { left: number }): string {
  if (v instanceof PyTuple) {
    if (depth === 0 || budget.left <= 0) return v.items.length === 0 ? 'tuple()' : 'tuple(…)';
    const parts: string[] = [];
    for (const item of v.items.slice(0, DESCRIBE_ITEMS)) {
      if (budget.left <= 0) break;
      const d = describeWithin(item, depth - 1, budget);
      budget.left -= d.length + 2;
      parts.push(d);
    }
    if (parts.length < v.items.length) parts.push(`… ${v.items.length - parts.length} more`);
    return `tuple(${parts.join(', ')})`;
  }
  return describeLeaf(v);
}

function describeLeaf(v: Exclude<PyValue, PyTuple> | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (v instanceof PyGlobal) return v.name;
  if (v instanceof PyDType) return `dtype('${v.descr}')`;
  if (v instanceof PyNdArray) return v.array ? `ndarray ${v.array.dtype} (${clip(v.array.shape.join(', '), 60)})` : 'ndarray (unbuilt)';
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (typeof v === 'string') return JSON.stringify(v.length > 20 ? v.slice(0, 20) + '…' : v);
  if (v instanceof PyLongText) return `str(${v.utf8.length} UTF-8 bytes)`;
  return clip(String(v), 40);
}

/** Call arguments for messages, bounded like describe(): "(numpy.dtype, tuple(0), bytes(1))". */
export function describeArgs(args: PyValue[]): string {
  return describe(new PyTuple(args)).slice('tuple'.length);
}

