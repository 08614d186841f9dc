// N-dimensional arrays as the file readers find them (NPY, NPZ, pickled numpy arrays, IDX), and
// the one place where such arrays become a `Dataset`: pixel scaling to [0, 1], classes from the
// labels (labels.ts), train/test agreement. Browser-safe.
//
// Budget: an array holds at most MAX_ELEMENTS elements, checked from the shape a header states
// before anything is allocated or inflated.

import { DataError } from './errors.js';
import { classesOf, labelsToInt } from './labels.js';
import type { Dataset, NdArray, NdData, Split } from './types.js';

export type { NdArray, NdData } from './types.js';

const ITEM_SIZES = new Map<string, number>([
  ['b1', 1], ['u1', 1], ['i1', 1], ['i2', 2], ['u2', 2], ['i4', 4], ['u4', 4], ['i8', 8], ['u8', 8], ['f4', 4], ['f8', 8],
]);

/** The most elements one array may hold: 2²⁷, 512 MB once scaled to float32. */
export const MAX_ELEMENTS = 2 ** 27;
/** The most dimensions one array may have (numpy 2's own limit). */
export const MAX_DIMS = 64;

export function shapeProduct(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A numpy dtype string split into byte order and kind: '<f4' → ('<', 'f4'); '?' → ('=', 'b1'). */
function splitDescr(descr: string): { order: string; kind: string } {
  let order = descr[0] ?? '';
  let kind = descr;
  if (order === '<' || order === '>' || order === '|' || order === '=') kind = descr.slice(1);
  else order = '=';
  // numpy spells booleans '?' and single bytes 'b'/'B' in some places.
  if (kind === '?') kind = 'b1';
  if (kind === 'b') kind = 'i1';
  if (kind === 'B') kind = 'u1';
  return { order, kind };
}

/**
 * The bytes an array of dtype `descr` and `shape` needs, after checking the dtype, the shape
 * (non-negative safe integers) and MAX_ELEMENTS. Allocates nothing.
 */
export function arrayBytes(file: string, descr: string, shape: readonly number[], offset?: number): number {
  const size = ITEM_SIZES.get(splitDescr(descr).kind);
  if (size === undefined) {
    throw new DataError(
      file,
      `unsupported dtype '${clip(descr)}' (expected one of ${[...ITEM_SIZES.keys()].join(', ')}, any byte order)`,
      offset,
    );
  }
  if (shape.length > MAX_DIMS) throw new DataError(file, `an array of ${shape.length} dimensions; at most ${MAX_DIMS} are read`, offset);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new DataError(file, `bad shape (${clip(shape.join(', '))})`, offset);
  }
  const count = shapeProduct(shape);
  if (count > MAX_ELEMENTS) {
    throw new DataError(file, `an array of shape (${clip(shape.join(', '))}) has ${count} elements, more than the ${MAX_ELEMENTS} a reader accepts`, offset);
  }
  return count * size;
}

/** At most `max` characters of a text from a file, for messages. */
export function clip(text: string, max = 120): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/**
 * Decodes `count` elements of numpy dtype `descr` ('<f4', '>i8', '|u1', 'f4', …) starting at
 * `offset` into a fresh, aligned typed array in native order; transposes Fortran-order data
 * into C order. Checks the dtype, the shape, the element budget and that the bytes are there.
 */
export function decodeArray(
  file: string,
  bytes: Uint8Array,
  offset: number,
  descr: string,
  shape: number[],
  fortranOrder: boolean,
): NdArray {
  const nbytes = arrayBytes(file, descr, shape, offset);
  const { order, kind } = splitDescr(descr);
  const size = ITEM_SIZES.get(kind)!;
  const count = nbytes / size;
  if (offset + nbytes > bytes.length) {
    throw new DataError(
      file,
      `truncated: a ${descr} array of shape (${shape.join(', ')}) needs ${nbytes} bytes of data but only ${Math.max(0, bytes.length - offset)} remain`,
      offset,
    );
  }
  const little = order !== '>'; // '=' is native = little on every platform we run on
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, nbytes);
  let data: NdData;
  if (little && size > 1) {
    // native order: copy the bytes into a fresh (hence aligned) buffer and view it
    const buf = bytes.slice(offset, offset + nbytes).buffer;
    const Ctor = { i2: Int16Array, u2: Uint16Array, i4: Int32Array, u4: Uint32Array, i8: BigInt64Array, u8: BigUint64Array, f4: Float32Array, f8: Float64Array }[kind]!;
    const arr: NdArray = { dtype: kind, shape: [...shape], data: new Ctor(buf) };
    return fortranOrder && shape.length > 1 ? fortranToC(arr) : arr;
  }
  switch (kind) {
    case 'b1':
    case 'u1':
      data = bytes.slice(offset, offset + nbytes);
      break;
    case 'i1':
      data = new Int8Array(bytes.slice(offset, offset + nbytes).buffer);
      break;
    case 'i2': { const a = new Int16Array(count); for (let i = 0; i < count; i++) a[i] = view.getInt16(2 * i, little); data = a; break; }
    case 'u2': { const a = new Uint16Array(count); for (let i = 0; i < count; i++) a[i] = view.getUint16(2 * i, little); data = a; break; }
    case 'i4': { const a = new Int32Array(count); for (let i = 0; i < count; i++) a[i] = view.getInt32(4 * i, little); data = a; break; }
    case 'u4': { const a = new Uint32Array(count); for (let i = 0; i < count; i++) a[i] = view.getUint32(4 * i, little); data = a; break; }
    case 'i8': { const a = new BigInt64Array(count); for (let i = 0; i < count; i++) a[i] = view.getBigInt64(8 * i, little); data = a; break; }
    case 'u8': { const a = new BigUint64Array(count); for (let i = 0; i < count; i++) a[i] = view.getBigUint64(8 * i, little); data = a; break; }
    case 'f4': { const a = new Float32Array(count); for (let i = 0; i < count; i++) a[i] = view.getFloat32(4 * i, little); data = a; break; }
    default: { const a = new Float64Array(count); for (let i = 0; i < count; i++) a[i] = view.getFloat64(8 * i, little); data = a; break; }
  }
  const arr: NdArray = { dtype: kind, shape: [...shape], data };
  return fortranOrder && shape.length > 1 ? fortranToC(arr) : arr;
}

/** Fortran (column-major) to C (row-major) order: element (i0..ik) sits at Σ i_j·∏_{l<j} d_l. */
function fortranToC(a: NdArray): NdArray {
  const src = a.data;
  // slice() makes an array of the source's own type to write into
  if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    const out = src.slice();
    forEachFortranIndex(a.shape, (c, f) => { out[c] = src[f]!; });
    return { dtype: a.dtype, shape: [...a.shape], data: out };
  }
  const out = src.slice();
  forEachFortranIndex(a.shape, (c, f) => { out[c] = src[f]!; });
  return { dtype: a.dtype, shape: [...a.shape], data: out };
}

/** Calls `visit(c, f)` for every element: c its row-major index, f its column-major one. */
function forEachFortranIndex(shape: readonly number[], visit: (c: number, f: number) => void): void {
  const n = shapeProduct(shape);
  const k = shape.length;
  const fStride = new Array<number>(k);
  let s = 1;
  for (let j = 0; j < k; j++) { fStride[j] = s; s *= shape[j]!; }
  const idx = new Array<number>(k).fill(0);
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let j = 0; j < k; j++) f += idx[j]! * fStride[j]!;
    visit(c, f);
    // advance the row-major multi-index
    for (let j = k - 1; j >= 0; j--) {
      if (++idx[j]! < shape[j]!) break;
      idx[j] = 0;
    }
  }
}

/** The elements as plain numbers (64-bit integers converted; exact up to 2^53). */
function asNumbers(a: NdData): Exclude<NdData, BigInt64Array | BigUint64Array> | Float64Array {
  if (a instanceof BigInt64Array || a instanceof BigUint64Array) return Float64Array.from(a, (v) => Number(v));
  return a;
}

/**
 * Pixels to Float32 in [0, 1]: integer images are divided by 255 (they must lie in [0, 255]);
 * float images already in [0, 1] are kept, float images in [0, 255] are divided by 255.
 * Anything else is refused: a reader must not hand the loader data it will misread.
 * Returns the scale applied, for the data set's `source`.
 */
export function pixelsToUnit(file: string, what: string, a: NdArray): { x: Float32Array; scale: number } {
  const n = a.data.length;
  if (a.data instanceof Uint8Array && a.dtype === 'u1') {
    // the common case (IDX, Keras npz): bytes are always in [0, 255]
    const x = new Float32Array(n);
    const src = a.data;
    for (let i = 0; i < n; i++) x[i] = src[i]! / 255;
    return { x, scale: 1 / 255 };
  }
  const d = asNumbers(a.data);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = d[i]!;
    if (!Number.isFinite(v)) throw new DataError(file, `${what}: element ${i} is ${v}; pixels must be finite`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return { x: new Float32Array(0), scale: 1 };
  const isFloat = a.dtype === 'f4' || a.dtype === 'f8';
  let scale: number;
  if (isFloat && min >= 0 && max <= 1) scale = 1;
  else if (min >= 0 && max <= 255) scale = a.dtype === 'b1' ? 1 : 1 / 255;
  else {
    throw new DataError(
      file,
      `${what}: pixel values span [${min}, ${max}]; expected integers in [0, 255] or floats in [0, 1] or [0, 255]`,
    );
  }
  const x = new Float32Array(n);
  if (scale === 1) x.set(d);
  else for (let i = 0; i < n; i++) x[i] = d[i]! * scale;
  return { x, scale };
}

/** Sample shape as the Dataset states it: (h, w) images become [1, h, w]; vectors stay [d]. */
export function sampleShapeOf(shape: readonly number[]): number[] {
  const rest = shape.slice(1);
  return rest.length === 2 ? [1, rest[0]!, rest[1]!] : rest;
}

export interface ArraysToDatasetOptions {
  name: string;
  /** Class names; default: the labels present (labels.ts). */
  classes?: string[];
  source?: Record<string, unknown>;
  /** Names of the four parts in messages (default x_train, y_train, x_test, y_test). */
  partNames?: [string, string, string, string];
  /** The labels' name in warnings about both splits (default `file`). */
  labelsName?: string;
}

/**
 * The common end of every reader: four arrays → a checked `Dataset`.
 *  - x_*: (n, ...sample) pixels, y_*: (n) labels or (n, classes) one-hot
 *  - n of x and y agree, train and test samples have the same shape
 *  - every label lies in [0, classes.length); the classes come from the labels when not given
 * Warnings about the labels (labels.ts) are returned in `warnings`.
 */
export function arraysToDataset(
  file: string,
  parts: { xTrain: NdArray; yTrain: NdArray; xTest: NdArray; yTest: NdArray },
  options: ArraysToDatasetOptions,
): Dataset {
  const names = options.partNames ?? ['x_train', 'y_train', 'x_test', 'y_test'];
  const { xTrain, yTrain, xTest, yTest } = parts;
  for (const [a, nm] of [[xTrain, names[0]], [xTest, names[2]]] as const) {
    if (a.shape.length < 2) {
      throw new DataError(file, `${nm} has shape (${a.shape.join(', ')}); expected (n, ...sample shape) with at least 2 dims`);
    }
  }
  const trainSample = xTrain.shape.slice(1);
  const testSample = xTest.shape.slice(1);
  if (trainSample.join(',') !== testSample.join(',')) {
    throw new DataError(
      file,
      `train and test samples differ in shape: ${names[0]} is (${xTrain.shape.join(', ')}), ${names[2]} is (${xTest.shape.join(', ')})`,
    );
  }
  const lTr = labelsToInt(file, names[1], yTrain);
  const lTe = labelsToInt(file, names[3], yTest);
  const yTr = lTr.y;
  const yTe = lTe.y;
  if (lTr.width !== lTe.width) {
    throw new DataError(file, `${names[1]} and ${names[3]} disagree: ${lTr.width ? `one-hot of ${lTr.width} columns` : '1-D'} vs ${lTe.width ? `one-hot of ${lTe.width} columns` : '1-D'}`);
  }
  if (yTr.length !== xTrain.shape[0]) {
    throw new DataError(file, `${names[0]} holds ${xTrain.shape[0]} samples but ${names[1]} holds ${yTr.length} labels`);
  }
  if (yTe.length !== xTest.shape[0]) {
    throw new DataError(file, `${names[2]} holds ${xTest.shape[0]} samples but ${names[3]} holds ${yTe.length} labels`);
  }
  const { classes, warnings } = classesOf(options.labelsName ?? file, [{ what: names[1], y: yTr }, { what: names[3], y: yTe }], { names: options.classes, width: lTr.width });
  const tr = pixelsToUnit(file, names[0], xTrain);
  const te = pixelsToUnit(file, names[2], xTest);
  const train: Split = { x: tr.x, y: yTr, n: yTr.length };
  const test: Split = { x: te.x, y: yTe, n: yTe.length };
  return {
    name: options.name,
    sampleShape: sampleShapeOf(xTrain.shape),
    classes,
    train,
    test,
    source: { ...options.source, pixelScale: tr.scale === 1 ? 'none' : '1/255' },
    warnings,
  };
}
