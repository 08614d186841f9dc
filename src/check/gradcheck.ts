// gradcheck: compares a layer's hand-written backward with central finite differences in
// float64, like torch.autograd.gradcheck.
//
// For a layer y = f(x; θ) we check the scalar L = Σ_i y_i · r_i for a fixed random r, so
// dL/dy = r and one backward(r) gives dL/dx and dL/dθ. Each entry v of x and θ is then nudged:
//   numeric = (L(v + ε) − L(v − ε)) / 2ε   (error O(ε²) plus roundoff O(δ/ε)),
// and compared with the analytic value by the relative error
//   |analytic − numeric| / max(|analytic|, |numeric|, floor).

import { Random } from '../random.js';
import { HandgradError, Tensor, type DType } from '../tensor.js';
import { Embedding } from '../layers/embedding.js';
import type { Loss } from '../layers/losses.js';
import type { Module } from '../layers/module.js';

/** Options of {@link gradcheck} and {@link gradcheckLoss}. */
export interface GradcheckOptions {
  /** Finite-difference step. Default 1e-5 (truncation ~ε², roundoff ~1e-16/ε balance near here). */
  eps?: number;
  /** Largest relative error that passes. Default 1e-6. */
  tolerance?: number;
  /** Denominator floor of the relative error, so near-zero gradients compare absolutely. Default 1e-4. */
  floor?: number;
  /** Seed of the projection r. Default 0. */
  seed?: number;
  /** Check the input (default true; false for inputs that are not differentiable, like Embedding's indices). */
  checkInput?: boolean;
  /** Check the parameters too (default true). */
  checkParameters?: boolean;
  /** Called before every forward (e.g. to give Dropout the same mask each time). */
  beforeForward?: () => void;
  /** Largest number of entries per tensor to nudge (a seeded sample beyond it). Default: all. */
  maxEntries?: number;
  /**
   * Parameter entries the layer holds constant by definition, though the output depends on them
   * (Embedding's padding row, which PyTorch never trains): their analytic gradient is compared
   * with 0 instead of the finite difference. Called with the dotted parameter name. Default: the
   * padding rows of every Embedding inside the layer (constantEntriesOf).
   */
  constantEntries?: (parameter: string, index: number) => boolean;
}

/**
 * The comparison for one tensor (the input or one parameter): the analytic gradient from backward
 * against central finite differences, at the checked entries.
 */
export interface GradcheckEntry {
  /** 'input' or a parameter name like 'weight'. */
  tensor: string;
  /** The largest relative error over the checked entries. */
  maxRelativeError: number;
  /** Where it occurred (flat index). */
  worstIndex: number;
  /** The analytic value at worstIndex. */
  analytic: number;
  /** The finite-difference value at worstIndex. */
  numeric: number;
  /** The number of entries compared. */
  checked: number;
  /** Whether maxRelativeError is within the tolerance. */
  passed: boolean;
}

/** The outcome of a gradient check of one layer or loss. */
export interface GradcheckResult {
  /** The layer's description, e.g. "Linear(4 → 3)". */
  layer: string;
  /** Whether every entry passed. */
  passed: boolean;
  /** One entry per checked tensor: the input (if checked), then each parameter. */
  entries: GradcheckEntry[];
}

function withDefaults(o: GradcheckOptions) {
  return {
    eps: o.eps ?? 1e-5,
    tolerance: o.tolerance ?? 1e-6,
    floor: o.floor ?? 1e-4,
    seed: o.seed ?? 0,
    checkInput: o.checkInput ?? true,
    checkParameters: o.checkParameters ?? true,
    beforeForward: o.beforeForward ?? (() => {}),
    maxEntries: o.maxEntries ?? Infinity,
    constantEntries: o.constantEntries,
  };
}

function entriesToCheck(size: number, max: number, rng: Random): number[] {
  if (size <= max) return Array.from({ length: size }, (_, i) => i);
  const perm = rng.permutation(size);
  return Array.from(perm.subarray(0, max)).sort((a, b) => a - b);
}

function compare(
  tensor: string, analytic: ArrayLike<number>, numeric: (i: number) => number, indices: number[],
  floor: number, tolerance: number,
): GradcheckEntry {
  let worst = 0;
  let worstIndex = -1;
  let wa = 0;
  let wn = 0;
  for (const i of indices) {
    const a = analytic[i]!;
    const n = numeric(i);
    const err = Number.isFinite(a) && Number.isFinite(n) ? Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), floor) : Infinity;
    if (err > worst || worstIndex < 0) {
      worst = err;
      worstIndex = i;
      wa = a;
      wn = n;
    }
  }
  return { tensor, maxRelativeError: worst, worstIndex, analytic: wa, numeric: wn, checked: indices.length, passed: worst <= tolerance };
}

/**
 * Checks `layer`'s backward at `input` against finite differences in float64. The layer's
 * parameters and buffers are converted to float64 for the check and converted back afterwards
 * (exactly, since float32 → float64 → float32 is lossless); the buffers end as they began; the
 * layer's gradients are zeroed.
 */
export function gradcheck(layer: Module, input: Tensor, options: GradcheckOptions = {}): GradcheckResult {
  const o = withDefaults(options);
  const constant = o.constantEntries ?? constantEntriesOf(layer);
  const originalDtype: DType = layer.parameters()[0]?.value.dtype ?? layer.namedBuffers()[0]?.[1].dtype ?? 'float64';
  // every forward below may move buffers (BatchNorm's running statistics in training): keep them
  const buffers = layer.namedBuffers().map(([, t]) => t.data.slice());
  layer.to('float64');
  try {
    const x = input.to('float64');
    const rng = new Random(o.seed);
    const loss = (): number => {
      o.beforeForward();
      const y = layer.forward(x);
      let s = 0;
      for (let i = 0; i < y.size; i++) s += y.data[i]! * r[i]!;
      return s;
    };
    // Analytic: one forward, then backward(r).
    o.beforeForward();
    const y0 = layer.forward(x);
    const r = new Float64Array(y0.size);
    rng.fillNormal(r);
    layer.zeroGrad();
    const dx = layer.backward(new Tensor(r, y0.shape)).clone();
    const entries: GradcheckEntry[] = [];

    const numericAt = (data: Float64Array, i: number): number => {
      const v = data[i]!;
      data[i] = v + o.eps;
      const up = loss();
      data[i] = v - o.eps;
      const down = loss();
      data[i] = v;
      return (up - down) / (2 * o.eps);
    };

    if (o.checkInput) {
      entries.push(compare('input', dx.data, (i) => numericAt(x.data as Float64Array, i), entriesToCheck(x.size, o.maxEntries, rng), o.floor, o.tolerance));
    }
    if (o.checkParameters) {
      for (const [name, p] of layer.namedParameters()) {
        const analytic = p.grad.data.slice();
        const data = p.value.data as Float64Array;
        const numeric = (i: number): number => (constant(name, i) ? 0 : numericAt(data, i));
        entries.push(compare(name, analytic, numeric, entriesToCheck(p.value.size, o.maxEntries, rng), o.floor, o.tolerance));
      }
    }
    layer.zeroGrad();
    return { layer: layer.describe(), passed: entries.every((e) => e.passed), entries };
  } finally {
    layer.to(originalDtype);
    layer.namedBuffers().forEach(([, t], i) => t.data.set(buffers[i]!));
  }
}

/**
 * The parameter entries of `layer` (dotted names) that no backward trains: the padding row of
 * each Embedding with a paddingIdx.
 */
export function constantEntriesOf(layer: Module): (parameter: string, index: number) => boolean {
  const rows = new Map<string, [number, number]>();
  const walk = (m: Module, prefix: string): void => {
    if (m instanceof Embedding && m.paddingIdx !== null) rows.set(`${prefix}weight`, [m.paddingIdx, m.embeddingDim]);
    for (const [name, child] of m.children()) walk(child, `${prefix}${name}.`);
  };
  walk(layer, '');
  return (parameter, index) => {
    const r = rows.get(parameter);
    return r !== undefined && Math.floor(index / r[1]) === r[0];
  };
}

/**
 * Checks a loss's backward: dL/dprediction against finite differences of forward(prediction, target).
 */
export function gradcheckLoss(loss: Loss, prediction: Tensor, target: Tensor | ArrayLike<number>, options: GradcheckOptions = {}): GradcheckResult {
  const o = withDefaults(options);
  const p = prediction.to('float64');
  const t = target instanceof Tensor ? target.to('float64') : target;
  loss.forward(p, t);
  const analytic = loss.backward().data.slice();
  const data = p.data as Float64Array;
  const numeric = (i: number): number => {
    const v = data[i]!;
    data[i] = v + o.eps;
    const up = loss.forward(p, t);
    data[i] = v - o.eps;
    const down = loss.forward(p, t);
    data[i] = v;
    return (up - down) / (2 * o.eps);
  };
  const entry = compare('prediction', analytic, numeric, entriesToCheck(p.size, o.maxEntries, new Random(o.seed)), o.floor, o.tolerance);
  return { layer: loss.describe(), passed: entry.passed, entries: [entry] };
}

/** Throws a HandgradError listing every failing tensor (for use in scripts and tests). */
export function assertGradcheck(result: GradcheckResult): void {
  if (result.passed) return;
  const bad = result.entries.filter((e) => !e.passed)
    .map((e) => `${e.tensor}: max relative error ${e.maxRelativeError.toExponential(2)} at index ${e.worstIndex} (analytic ${e.analytic}, numeric ${e.numeric})`);
  throw new HandgradError(`gradcheck failed for ${result.layer}:\n  ${bad.join('\n  ')}`);
}
