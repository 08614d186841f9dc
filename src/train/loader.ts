// Minibatches from a Split, reshuffled every epoch from a seeded stream, normalised on the way in.
//   BatchLoader (dense):  x batch (B, …sampleShape) float32, copied from a normalised copy of the split
//   SparseBatchLoader:    x batch a SparseBatch: a view (the batch's sample indices) on the sparse
//                         form of the normalised split, made once (layers/sparse-input.ts); for data
//                         that is mostly one value, which a first Linear layer multiplies over its
//                         non-zeros only (chooseInputPath decides)
//   y batch: Int32Array (B) of class indices
// A loader owns its batch buffers (the full batch size and the last, smaller remainder) and one
// permutation array; nothing is allocated per batch or per epoch.
import { allocateFor, backend } from '../backend.js';
import type { Split } from '../data/types.js';
import type { Module } from '../layers/module.js';
import { SparseRows, rowIndices, type SparseBatch } from '../layers/sparse-input.js';
import type { Random } from '../random.js';
import { HandgradError, Tensor, shapeSize } from '../tensor.js';
import { NORMALIZE_MODES, type NormalizeMode } from './config.js';

/** x ↦ (x − mean[f]) / std[f]; one value of each for 'global', one per feature for 'per-feature'. */
export interface Normalization {
  /** 'none', 'global' or 'per-feature'. */
  mode: NormalizeMode;
  /** The mean subtracted: one value ('global') or one per feature. */
  mean: number[];
  /** The standard deviation divided by: one value ('global') or one per feature. */
  std: number[];
}

/**
 * Computes the normalisation of a training split: the mean and standard deviation of all its
 * values ('global', like torchvision's Normalize((0.1307,), (0.3081,)) for MNIST) or of each
 * feature over the samples ('per-feature'). A standard deviation below 1e-6 (a pixel that is
 * always 0) is replaced by 1 so it is only shifted.
 */
export function computeNormalization(split: Split, features: number, mode: NormalizeMode): Normalization {
  if (mode === 'none') return { mode, mean: [0], std: [1] };
  const { x, n } = split;
  if (n === 0) throw new HandgradError('computeNormalization: the training split is empty');
  if (x.length !== n * features) throw new HandgradError(`computeNormalization: the split holds ${x.length} values, expected ${n} samples × ${features} features`);
  const fix = (s: number): number => (s < 1e-6 ? 1 : s);
  if (mode === 'global') {
    // Two passes in float64: mean, then the (population) variance around it.
    let sum = 0;
    for (let i = 0; i < x.length; i++) sum += x[i]!;
    const mean = sum / x.length;
    let ss = 0;
    for (let i = 0; i < x.length; i++) ss += (x[i]! - mean) ** 2;
    return { mode, mean: [mean], std: [fix(Math.sqrt(ss / x.length))] };
  }
  const mean = new Float64Array(features);
  const ss = new Float64Array(features);
  for (let s = 0; s < n; s++) for (let f = 0; f < features; f++) mean[f]! += x[s * features + f]!;
  for (let f = 0; f < features; f++) mean[f]! /= n;
  for (let s = 0; s < n; s++) for (let f = 0; f < features; f++) ss[f]! += (x[s * features + f]! - mean[f]!) ** 2;
  return { mode, mean: Array.from(mean), std: Array.from(ss, (v) => fix(Math.sqrt(v / n))) };
}

/**
 * Checks a normalisation read back from a config against the number of features: a known mode,
 * mean and std arrays of one length (1 or `features`) holding finite numbers, std > 0.
 */
export function checkNormalization(norm: Normalization, features: number, source: string): Normalization {
  const finite = (a: unknown): a is number[] => Array.isArray(a) && a.every((v) => typeof v === 'number' && Number.isFinite(v));
  const ok = typeof norm === 'object' && norm !== null && NORMALIZE_MODES.includes(norm.mode) && finite(norm.mean) && finite(norm.std) &&
    norm.mean.length === norm.std.length && (norm.mean.length === 1 || norm.mean.length === features) && norm.std.every((s) => s > 0);
  if (!ok) {
    throw new HandgradError(
      `${source}: the normalisation must hold mean and std arrays of length 1 or ${features} with std > 0, of finite numbers, and a mode (${NORMALIZE_MODES.join(', ')})`,
      { code: 'invalid-option', subject: { option: 'normalization' } },
    );
  }
  return norm;
}

/** Writes sample `src` (features values of `x`), normalised, into `out` at `at`. */
export function normalizeInto(x: Float32Array, srcOffset: number, features: number, norm: Normalization, out: Float32Array | Float64Array, at: number): void {
  const { mean, std } = norm;
  if (mean.length === 1) {
    const m = mean[0]!;
    const inv = 1 / std[0]!;
    for (let f = 0; f < features; f++) out[at + f] = (x[srcOffset + f]! - m) * inv;
  } else {
    for (let f = 0; f < features; f++) out[at + f] = (x[srcOffset + f]! - mean[f]!) / std[f]!;
  }
}

/** What a model takes: a dense batch, or a sparse one (its first layer takes it: Module.forwardSparse). */
export type ModelInput = Tensor | SparseBatch;

/** model.forward on a dense batch, model.forwardSparse on a sparse one. */
export function forwardInput(model: Module, x: ModelInput): Tensor {
  return x instanceof Tensor ? model.forward(x) : model.forwardSparse(x);
}

/** A minibatch: samples, in the model's input shape (or in sparse form), and their labels. */
export interface Batch<X extends ModelInput = Tensor> {
  /** (n, …sampleShape), or the sparse batch of n rows */
  x: X;
  /** n class indices */
  y: Int32Array;
  /** Samples in this batch (the last batch of an epoch may be smaller). */
  n: number;
}

/** Options of a {@link BatchLoader}. */
export interface LoaderOptions {
  /** Samples per batch (a positive integer). */
  batchSize: number;
  /** Reshuffle every epoch from `rng` (training). Without it the order is 0, 1, 2, … */
  shuffle?: boolean;
  /** The stream that shuffles (required with `shuffle`). */
  rng?: Random;
  /** The normalisation applied to each sample (default: none). */
  normalization?: Normalization;
}

/** The sample order of a loader's epochs and its cut into batches (shared by the dense and sparse loaders). */
abstract class Minibatches<X extends ModelInput> {
  /** The split read. */
  readonly split: Split;
  /** Samples per full batch. */
  readonly batchSize: number;
  /** Number of batches per epoch (the last one may be smaller). */
  readonly batches: number;
  private readonly shuffle: boolean;
  private readonly rng: Random | null;
  /** The sample order of the current epoch. */
  protected readonly order: Int32Array;

  /** Checks `split` and `options`; `order` allocates the array of the epoch's sample order. */
  constructor(split: Split, features: number, options: LoaderOptions, order: (n: number) => Int32Array) {
    const { batchSize } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new HandgradError(`BatchLoader: batchSize must be a positive integer, got ${batchSize}`);
    if (split.n < 1) throw new HandgradError('BatchLoader: the split holds no samples');
    if (split.x.length !== split.n * features) {
      throw new HandgradError(`BatchLoader: the split holds ${split.x.length} values, expected ${split.n} samples × ${features}`);
    }
    if (split.y.length !== split.n) throw new HandgradError(`BatchLoader: the split holds ${split.y.length} labels for ${split.n} samples`);
    if (options.shuffle && !options.rng) throw new HandgradError('BatchLoader: shuffling needs a seeded Random (options.rng)');
    this.split = split;
    this.batchSize = Math.min(batchSize, split.n);
    this.batches = Math.ceil(split.n / this.batchSize);
    this.shuffle = options.shuffle ?? false;
    this.rng = options.rng ?? null;
    this.order = order(split.n);
    for (let i = 0; i < split.n; i++) this.order[i] = i;
  }

  /** Starts an epoch: draws a new order from the stream when shuffling (n − 1 draws, Fisher–Yates). */
  startEpoch(): void {
    if (this.shuffle) this.rng!.permutation(this.split.n, this.order);
  }

  /** The sample indices of this epoch, in order (a view; valid until the next startEpoch). */
  get indices(): Int32Array {
    return this.order;
  }

  /** Fills and returns batch `b` of the current epoch (the returned object is reused). */
  batch(b: number): Batch<X> {
    if (!Number.isInteger(b) || b < 0 || b >= this.batches) throw new HandgradError(`BatchLoader: batch ${b} out of range [0, ${this.batches})`);
    return this.fill(b, b * this.batchSize);
  }

  /** Batch b's object, filled with the samples order[start …]. */
  protected abstract fill(b: number, start: number): Batch<X>;
}

/**
 * Cuts a split into minibatches of the model's input shape, normalised, shuffled every epoch when
 * asked. The batch tensors are reused from batch to batch (no allocation per batch).
 */
export class BatchLoader extends Minibatches<Tensor> {
  /** The shape of one sample in the batches. */
  readonly sampleShape: readonly number[];
  /** Values per sample: the product of sampleShape. */
  readonly features: number;
  private readonly norm: Normalization;
  private readonly full: Batch;
  private readonly rest: Batch | null;
  /** The split's x normalised once (the first batch makes it): a batch is then row copies. */
  private normalized: Float32Array | null = null;

  /** A loader over `split` whose batches have shape [n, ...sampleShape]. */
  constructor(split: Split, sampleShape: readonly number[], options: LoaderOptions) {
    const features = shapeSize(sampleShape);
    super(split, features, options, (n) => new Int32Array(n));
    this.features = features;
    this.sampleShape = [...sampleShape];
    this.norm = options.normalization ?? { mode: 'none', mean: [0], std: [1] };
    // batch storage from the backend that runs the kernels (WASM memory for the wasm backend)
    const make = (n: number): Batch => ({ x: new Tensor(allocateFor('float32', n * features), [n, ...sampleShape]), y: new Int32Array(n), n });
    this.full = make(this.batchSize);
    const r = split.n % this.batchSize;
    this.rest = r === 0 ? null : make(r);
  }

  protected fill(_b: number, start: number): Batch {
    const out = start + this.batchSize <= this.split.n ? this.full : this.rest!;
    const F = this.features;
    const xd = out.x.data;
    const src = this.normalizedX();
    // one native copy per sample (a JS loop storing element by element into WASM's shared
    // memory costs 10× more: 4 ms for a batch of 64 × 11025)
    for (let i = 0; i < out.n; i++) {
      const s = this.order[start + i]!;
      xd.set(src.subarray(s * F, (s + 1) * F), i * F);
      out.y[i] = this.split.y[s]!;
    }
    return out;
  }

  /** x itself without normalisation, else a normalised copy made once (same arithmetic as normalizeInto). */
  private normalizedX(): Float32Array {
    const { mean, std } = this.norm;
    if (mean.length === 1 && mean[0] === 0 && std[0] === 1) return this.split.x;
    if (!this.normalized) {
      const F = this.features;
      const out = new Float32Array(this.split.x.length);
      for (let s = 0; s < this.split.n; s++) normalizeInto(this.split.x, s * F, F, this.norm, out, s * F);
      this.normalized = out;
    }
    return this.normalized;
  }
}

/**
 * Batches of a split in sparse form (flat samples of `features` values): the normalised split is
 * made sparse once, in the constructor (SparseRows: the entries that differ from `background`),
 * and a batch is a view, the batch's sample indices, on it. The index array lives in backend
 * storage, so the wasm kernels read a batch in place.
 */
export class SparseBatchLoader extends Minibatches<SparseBatch> {
  /** Values per sample. */
  readonly features: number;
  /** The normalised split in sparse form, made once. */
  readonly matrix: SparseRows;
  /** One prepared batch object per batch of the epoch (its rows a view on the order). */
  private readonly prepared: Batch<SparseBatch>[];

  /** A loader over `split` (samples of `features` values) that stores the entries that differ from `options.background`. */
  constructor(split: Split, features: number, options: LoaderOptions & { background: number }) {
    super(split, features, options, rowIndices);
    this.features = features;
    const norm = options.normalization ?? { mode: 'none', mean: [0], std: [1] };
    this.matrix = SparseRows.fromDense(split.x, split.n, features, { background: options.background, mean: norm.mean, std: norm.std });
    this.prepared = Array.from({ length: this.batches }, (_, b) => {
      const start = b * this.batchSize;
      const n = Math.min(this.batchSize, split.n - start);
      return { x: { matrix: this.matrix, rows: this.order.subarray(start, start + n) }, y: new Int32Array(n), n };
    });
  }

  protected fill(b: number, start: number): Batch<SparseBatch> {
    const out = this.prepared[b]!;
    for (let i = 0; i < out.n; i++) out.y[i] = this.split.y[this.order[start + i]!]!;
    return out;
  }
}

/** Below this fraction of entries that differ from the most common value, the first layer runs sparse. */
export const SPARSE_BELOW = 0.3;

/** Which form the first layer takes its batches in, and why (recorded with the run). */
export interface InputPath {
  /** The form of the first layer's batches. */
  path: 'sparse' | 'dense';
  /** One line: the rule's numbers, or what forced the choice. */
  reason: string;
  /** The training split's most common value and the fraction of its entries that differ from it (null when not looked at). */
  background: number | null;
  /** The fraction of the training split's entries that differ from `background`. */
  nonBackground: number | null;
  /** Bytes of the sparse form of the training and test splits, and of the dense normalised copies it replaces (sparse path). */
  sparseBytes?: number;
  /** Bytes of the dense normalised copies of the splits the sparse form replaces. */
  denseBytes?: number;
}

/**
 * The value that fills more than half of `x`, and how many entries hold it (Boyer–Moore majority
 * vote, then a count): null when no value fills more than half. NaN is never a majority.
 */
export function majorityValue(x: ArrayLike<number>): { value: number; count: number } | null {
  if (x.length === 0) return null;
  let candidate = x[0]!;
  let votes = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (votes === 0) {
      candidate = v;
      votes = 1;
    } else if (v === candidate) votes++;
    else votes--;
  }
  let count = 0;
  for (let i = 0; i < x.length; i++) if (x[i] === candidate) count++;
  return 2 * count > x.length ? { value: candidate, count } : null;
}

/**
 * Sparse when the model's first layer takes sparse batches (a Linear), `dense` is not asked for,
 * the backend runs the sparse products where its arrays live (webgpu's are host rows), and fewer
 * than SPARSE_BELOW of the training split's entries differ from its most common value.
 */
export function chooseInputPath(train: Split, model: Module, dense: boolean): InputPath {
  if (dense) return { path: 'dense', reason: 'asked for with --dense', background: null, nonBackground: null };
  if (!model.acceptsSparse()) return { path: 'dense', reason: `the first layer takes dense batches only (${model.describe().slice(0, 60)})`, background: null, nonBackground: null };
  const b = backend();
  if (b.runsOnHost?.('sparseGemmForward') || b.runsOnHost?.('sparseGemmBackward')) {
    return { path: 'dense', reason: `the ${b.name} backend runs the sparse products on the host, away from its arrays`, background: null, nonBackground: null };
  }
  const m = majorityValue(train.x);
  if (!m) return { path: 'dense', reason: 'no value fills more than half of the training data', background: null, nonBackground: null };
  const frac = 1 - m.count / train.x.length;
  const pct = `${(100 * frac).toFixed(1)} % of the training entries differ from ${m.value}`;
  if (frac >= SPARSE_BELOW) return { path: 'dense', reason: `${pct} (sparse below ${100 * SPARSE_BELOW} %)`, background: m.value, nonBackground: frac };
  return { path: 'sparse', reason: pct, background: m.value, nonBackground: frac };
}

/** The fraction of `x`'s entries that differ from `background`. */
export function nonBackgroundFraction(x: ArrayLike<number>, background: number): number {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== background) n++;
  return x.length ? n / x.length : 0;
}

/** A dense or a sparse loader: the same epochs, batches of either form. */
export type Loader = BatchLoader | SparseBatchLoader;

/**
 * A loader of `split` in the form `path` gives the first layer: sparse (the split made sparse
 * once) on the sparse path when the split is as sparse as the rule asks (under SPARSE_BELOW of
 * its entries differ from the training split's background), dense otherwise.
 */
export function loaderFor(split: Split, sampleShape: readonly number[], options: LoaderOptions, path: InputPath): Loader {
  const b = path.background;
  if (path.path === 'sparse' && b !== null && nonBackgroundFraction(split.x, b) < SPARSE_BELOW) {
    return new SparseBatchLoader(split, shapeSize(sampleShape), { ...options, background: b });
  }
  return new BatchLoader(split, sampleShape, options);
}

/** Bytes of the sparse forms of the sparse loaders among `loaders`, and of the dense float32 copies they replace. */
export function sparseMemory(loaders: readonly (Loader | null)[]): { sparseBytes: number; denseBytes: number } {
  let sparseBytes = 0;
  let denseBytes = 0;
  for (const l of loaders) {
    if (!(l instanceof SparseBatchLoader)) continue;
    sparseBytes += l.matrix.bytes;
    denseBytes += 4 * l.split.x.length;
  }
  return { sparseBytes, denseBytes };
}
