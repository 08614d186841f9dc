// Tensor: a shape and a flat, row-major Float32Array or Float64Array. Batch first:
// a batch of vectors is [batch, features], a batch of images [batch, channels, height, width].
// No autograd, no graph: gradients are computed by each layer's hand-written backward.

import { HandgradError } from './errors.js';
import { globalRandom, type Random } from './random.js';
import { formatTensor, type PrintOptions } from './tensor-format.js';

export { HandgradError };
/**
 * The element type of a tensor: 'float32' (Float32Array, the default) or 'float64' (Float64Array,
 * used by gradient checks).
 */
export type DType = 'float32' | 'float64';
/** The storage of a tensor: a Float32Array or a Float64Array. */
export type FloatArray = Float32Array | Float64Array;

/** Number of elements of a shape (1 for a scalar shape []). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A shape as error messages spell it: "[2, 3]". */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

// ---- storage a device backend mirrors ------------------------------------------------------
// A device backend (webgpu) keeps a tensor's values in device memory and hands out a host array
// as its mirror: kernels take the mirror and the backend finds the device buffer behind it. The
// host may read or write the mirror only after `onHost` (which `Tensor.data` calls): it brings the
// device's newer values over and lets the next kernel that reads the array upload it again.
// Backends whose arrays are plain host memory (ref, wasm) register nothing and pay one branch.

/** What a device backend registers for the ArrayBuffer behind each mirror it allocates. */
export interface HostMirror {
  /** Makes the host array current (reading the device's values if newer) and host-writable. */
  toHost(): void;
}

const mirrors = new WeakMap<ArrayBufferLike, HostMirror>();
let anyMirror = false;

/** Registers `buffer` as a device backend's mirror (see HostMirror). */
export function registerHostMirror(buffer: ArrayBufferLike, mirror: HostMirror): void {
  mirrors.set(buffer, mirror);
  anyMirror = true;
}

/**
 * Returns `a` with its values current on the host, for reading or writing: call it before touching
 * a backend-allocated array that is not read through `Tensor.data` (optimiser buffers, label blocks).
 */
export function onHost<T extends ArrayBufferView>(a: T): T {
  if (anyMirror) mirrors.get(a.buffer)?.toHost();
  return a;
}

export function allocate(dtype: DType, size: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

function checkShape(shape: readonly number[], what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new HandgradError(`${what}: shape ${shapeString(shape)} must hold non-negative integers`);
    }
  }
}

/** "[1][0]": the index path of element `j` of a level whose outer dimensions are `dims`. */
function indexPath(j: number, dims: readonly number[]): string {
  const idx: number[] = [];
  for (let d = dims.length - 1; d >= 0; d--) {
    idx.push(j % dims[d]!);
    j = Math.floor(j / dims[d]!);
  }
  return idx.reverse().map((i) => `[${i}]`).join('');
}

function kindOfValue(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * The numbers of `data` in row-major order and the shape its nesting gives. Nesting is walked one
 * level at a time (no recursion); every array of a level must have the length of the level's
 * first, and every leaf must be a number.
 */
function flattenNumbers(data: unknown): { flat: ArrayLike<number>; inferred: number[] } {
  if (isNumberArrayView(data)) return { flat: data, inferred: [data.length] };
  if (ArrayBuffer.isView(data)) throw new HandgradError(`Tensor.fromArray: a ${data.constructor.name} is not an array of numbers`);
  if (!Array.isArray(data)) throw new HandgradError(`Tensor.fromArray: expected an array or a typed array of numbers, got ${kindOfValue(data)}`);
  // The shape is the lengths along the first elements: data.length, data[0].length, …
  const dims: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) {
    dims.push(level.length);
    if (level.length === 0) break;
  }
  let current: unknown[] = [data];
  for (let d = 0; d < dims.length; d++) {
    const next: unknown[] = [];
    // paths are spelled only for a message: computing them costs O(depth)
    const at = (j: number): string => indexPath(j, dims.slice(0, d)) || 'the array';
    for (let j = 0; j < current.length; j++) {
      const a = current[j];
      if (!Array.isArray(a)) throw new HandgradError(`Tensor.fromArray: ${at(j)} is ${kindOfValue(a)} where an array of ${dims[d]} is expected (${at(0)} is one): ragged nesting`);
      if (a.length !== dims[d]) throw new HandgradError(`Tensor.fromArray: ragged array: ${at(j)} has ${a.length} elements but ${at(0)} has ${dims[d]}`);
      for (let i = 0; i < a.length; i++) next.push(a[i]);
    }
    current = next;
  }
  const flat: number[] = [];
  for (let j = 0; j < current.length; j++) {
    const v = current[j];
    if (typeof v !== 'number') throw new HandgradError(`Tensor.fromArray: element ${indexPath(j, dims)} is ${kindOfValue(v)}; expected a number`);
    flat.push(v);
  }
  return { flat, inferred: dims };
}

type NumberArrayView = Float32Array | Float64Array | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array;

function isNumberArrayView(v: unknown): v is NumberArrayView {
  return v instanceof Float32Array || v instanceof Float64Array || v instanceof Int8Array || v instanceof Uint8Array || v instanceof Uint8ClampedArray
    || v instanceof Int16Array || v instanceof Uint16Array || v instanceof Int32Array || v instanceof Uint32Array;
}

/** Options of {@link Tensor.randn} and {@link Tensor.rand}. */
export interface RandomTensorOptions {
  /** The element type (default 'float32'). */
  dtype?: DType;
  /** The stream to draw from (default the library's {@link globalRandom}). */
  rng?: Random;
}

function randomDtype(options: RandomTensorOptions, what: string): DType {
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new HandgradError(`${what}: unknown dtype ${JSON.stringify(String(dtype))}; expected 'float32' or 'float64'`);
  }
  return dtype;
}

/**
 * An n-dimensional array of numbers: a `shape` and a flat, row-major Float32Array or Float64Array
 * (`data`). Batch first: a batch of vectors is [batch, features], a batch of images
 * [batch, channels, height, width]. There is no autograd: each layer's hand-written backward
 * computes the gradients. Prints its values like PyTorch (see {@link Tensor.toString}).
 *
 * ```ts
 * const t = Tensor.fromArray([[1, 2, 3], [4, 5, 6]]); // shape [2, 3], float32
 * console.log(String(Tensor.randn([2, 3])));
 * ```
 */
export class Tensor {
  /** The size of each dimension, outermost first ([] for a scalar); frozen. */
  readonly shape: readonly number[];
  readonly #data: FloatArray;

  /** Wraps `data` (not copied). Its length must equal the product of `shape`. */
  constructor(data: FloatArray, shape: readonly number[]) {
    checkShape(shape, 'Tensor');
    if (data.length !== shapeSize(shape)) {
      throw new HandgradError(
        `Tensor: data has ${data.length} elements but shape ${shapeString(shape)} needs ${shapeSize(shape)}`,
      );
    }
    this.#data = data;
    this.shape = Object.freeze([...shape]);
  }

  /** The values, current on the host and free to read or write (see onHost). */
  get data(): FloatArray {
    return onHost(this.#data);
  }

  /**
   * The array itself, as the backend holds it: what layers pass to kernels. Its host values may be
   * stale while a device backend holds newer ones; read values through `data`.
   */
  get storage(): FloatArray {
    return this.#data;
  }

  /** 'float32' or 'float64', from the type of the storage. */
  get dtype(): DType {
    return dtypeOf(this.#data);
  }

  /** The number of elements: the product of the shape. */
  get size(): number {
    return this.#data.length;
  }

  /** The number of dimensions: shape.length. */
  get rank(): number {
    return this.shape.length;
  }

  /**
   * Copies `data` into a new tensor: a typed array or an array of numbers (shape [n] unless
   * given), or nested arrays of numbers whose structure is the shape. Refuses what is not a
   * number (naming the element's index path), ragged nesting, and unknown dtypes.
   */
  static fromArray(data: ArrayLike<number> | readonly unknown[], shape?: readonly number[], dtype: DType = 'float32'): Tensor {
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new HandgradError(`Tensor.fromArray: unknown dtype ${JSON.stringify(String(dtype))}; expected 'float32' or 'float64'`);
    }
    const { flat, inferred } = flattenNumbers(data);
    const s = shape ?? inferred;
    if (!Array.isArray(s)) throw new HandgradError(`Tensor.fromArray: the shape must be an array of integers, got ${typeof s}`);
    checkShape(s, 'Tensor.fromArray');
    if (flat.length !== shapeSize(s)) {
      throw new HandgradError(
        `Tensor.fromArray: got ${flat.length} values but shape ${shapeString(s)} needs ${shapeSize(s)}`,
      );
    }
    const out = allocate(dtype, flat.length);
    for (let i = 0; i < flat.length; i++) out[i] = flat[i]!;
    return new Tensor(out, s);
  }

  /** A new tensor of `shape` filled with zeros (dtype default 'float32'). */
  static zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    checkShape(shape, 'Tensor.zeros');
    return new Tensor(allocate(dtype, shapeSize(shape)), shape);
  }

  /** A new tensor of `shape` filled with `value` (dtype default 'float32'). */
  static full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
    const t = Tensor.zeros(shape, dtype);
    t.data.fill(value);
    return t;
  }

  /** A rank-0 tensor (shape []) holding `value` (dtype default 'float32'). */
  static scalar(value: number, dtype: DType = 'float32'): Tensor {
    return Tensor.fromArray([value], [], dtype);
  }

  /**
   * A tensor of `shape` drawn from the standard normal N(0, 1), like `torch.randn`: from
   * `options.rng`, or the library's default stream {@link globalRandom} (seed it with
   * `manualSeed`). dtype defaults to 'float32'.
   */
  static randn(shape: readonly number[], options: RandomTensorOptions = {}): Tensor {
    const t = Tensor.zeros(shape, randomDtype(options, 'Tensor.randn'));
    (options.rng ?? globalRandom).fillNormal(t.data);
    return t;
  }

  /**
   * A tensor of `shape` drawn uniformly from [0, 1), like `torch.rand`: from `options.rng`, or the
   * library's default stream {@link globalRandom}. dtype defaults to 'float32'.
   */
  static rand(shape: readonly number[], options: RandomTensorOptions = {}): Tensor {
    const t = Tensor.zeros(shape, randomDtype(options, 'Tensor.rand'));
    (options.rng ?? globalRandom).fillUniform(t.data, 0, 1);
    return t;
  }

  /**
   * The 1-D tensor start, start + step, … up to but excluding `end`, like `torch.arange`:
   * `arange(5)` is [0, 1, 2, 3, 4]; `arange(1, 2, 0.25)` is [1, 1.25, 1.5, 1.75]. Its length is
   * ⌈(end − start) / step⌉; step defaults to 1 and must not be 0, dtype to 'float32'.
   */
  static arange(end: number): Tensor;
  static arange(start: number, end: number, step?: number, dtype?: DType): Tensor;
  static arange(startOrEnd: number, end?: number, step = 1, dtype: DType = 'float32'): Tensor {
    const start = end === undefined ? 0 : startOrEnd;
    const stop = end ?? startOrEnd;
    if (![start, stop, step].every(Number.isFinite) || step === 0) {
      throw new HandgradError(`Tensor.arange: start ${start}, end ${stop} and step ${step} must be finite numbers and step non-zero`);
    }
    const n = Math.max(0, Math.ceil((stop - start) / step));
    const t = Tensor.zeros([n], dtype);
    const d = t.data;
    for (let i = 0; i < n; i++) d[i] = start + i * step;
    return t;
  }

  /** A view with another shape over the same data (no copy). */
  reshape(shape: readonly number[]): Tensor {
    const s = [...shape];
    const infer = s.indexOf(-1);
    if (infer >= 0) {
      const rest = shapeSize(s.filter((_, i) => i !== infer));
      s[infer] = rest === 0 ? 0 : this.size / rest;
    }
    if (shapeSize(s) !== this.size) {
      throw new HandgradError(`Tensor.reshape: cannot view ${shapeString(this.shape)} as ${shapeString(shape)}`);
    }
    return new Tensor(this.#data, s);
  }

  /** A copy with its own data (same shape and dtype). */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** A copy in another dtype (a copy even when the dtype is the same). */
  to(dtype: DType): Tensor {
    const out = allocate(dtype, this.size);
    out.set(this.data);
    return new Tensor(out, this.shape);
  }

  /** Nested JS arrays, like torch's tolist(). */
  toArray(): unknown {
    const data = this.data;
    const build = (offset: number, dim: number): unknown => {
      if (dim === this.shape.length) return data[offset];
      const stride = shapeSize(this.shape.slice(dim + 1));
      const out: unknown[] = [];
      for (let i = 0; i < this.shape[dim]!; i++) out.push(build(offset + i * stride, dim + 1));
      return out;
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new HandgradError(`Tensor.item: tensor of shape ${shapeString(this.shape)} has ${this.size} elements, expected 1`);
    return this.data[0]!;
  }

  /**
   * The values as PyTorch prints them, then the shape and dtype:
   * `tensor([[0., 1., 2.], [3., 4., 5.]], shape=[2, 3], dtype=float32)` (rows on lines of their
   * own). Past `options.threshold` (1000) elements only the first and last `edgeitems` (3) of each
   * dimension print, around `...`. `String(t)`, template strings and Node's `console.log` use it.
   */
  toString(options?: PrintOptions): string {
    return formatTensor(this.data, this.shape, this.dtype, options);
  }

  /** Node's `util.inspect` (and so `console.log`) prints the tensor's {@link Tensor.toString}. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** True when two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
