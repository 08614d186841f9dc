// A parameter: a named value tensor and the gradient tensor that backward passes accumulate
// into. Layers create them (Module.addParameter); optimisers update them and see nothing else of
// a layer.
//
// Lazy zeroing. Optimizer.zeroGrad() clears gradients lazily, as PyTorch's
// zero_grad(set_to_none=True) drops them: it only marks a parameter made by createParameter, and
// reading `p.grad` then fills the zeros. A backward that overwrites the whole gradient (Linear's
// dW = dyᵀx as a GEMM with beta = 0, see gradTarget) skips both the fill and the read of stale
// values. Read gradients through `p.grad`, not through a Tensor kept from before zeroGrad().
//
// Deferred gradients and a second copy of the value. A layer may leave its gradient to be written
// later (deferGradient: the sparse first layer keeps the batch's columns and dy, sparse-packed.ts):
// reading `p.grad`, a backward into it, or an optimiser's step writes it then, and a plain SGD
// step may instead apply it to the value without ever writing it (pendingGradient). The same layer
// may keep its weight a second time in another layout and step that copy only (markValueStale):
// reading `p.value` then writes the value back first. Every read of `p.value`, and every optimiser
// step, counts as a possible write (valueVersion), so that the layer knows when its copy is stale.
// Read values through `p.value` each time, as gradients through `p.grad`.

import { allocateFor, kernelsFor } from './backend.js';
import { onHost, Tensor, type DType, type FloatArray } from './tensor.js';

/**
 * A trained tensor of a layer and the gradient that backward passes accumulate into
 * (`value` and `grad` have the same shape and dtype).
 */
export interface Parameter {
  /** Name inside its layer: 'weight' or 'bias'. */
  readonly name: string;
  /** The current value, updated in place by optimisers. */
  value: Tensor;
  /**
   * dL/dvalue, accumulated by backward; zero after zeroGrad(). Read it through `p.grad` each time
   * (the zeroing is lazy).
   */
  grad: Tensor;
}

/** A gradient a backward pass left to be written later (see the top of this file). */
export interface DeferredGradient {
  /** grad ← beta·grad + ∇, ∇ the gradient left by the backward. */
  materialize(grad: FloatArray, beta: 0 | 1): void;
  /** value ← value − lr·∇ (plain SGD) without writing the gradient; false when it cannot. */
  sgdStep(lr: number): boolean;
}

/** A parameter whose gradient is zeroed lazily. */
class LazyZeroParameter implements Parameter {
  readonly name: string;
  #value: Tensor;
  #grad: Tensor;
  /** zeroGrad() was called and nothing has been written since: the gradient reads as zeros. */
  #zeroPending = false;
  /** A gradient left by a backward, not yet written into #grad, and the beta to write it with. */
  #deferred: DeferredGradient | null = null;
  #deferredBeta: 0 | 1 = 1;
  /** Writes #value from a newer copy (markValueStale); null while #value is current. */
  #unpack: ((value: FloatArray) => void) | null = null;
  /** Counts reads of `value` and optimiser steps: any of them may have changed the value. */
  version = 0;

  constructor(name: string, value: Tensor, grad: Tensor) {
    this.name = name;
    this.#value = value;
    this.#grad = grad;
  }

  get value(): Tensor {
    if (this.#unpack) {
      const unpack = this.#unpack;
      this.#unpack = null;
      unpack(this.#value.storage);
    }
    this.version++;
    return this.#value;
  }

  set value(t: Tensor) {
    this.#value = t;
    this.#unpack = null;
    this.version++;
  }

  /** The value tensor as it is, with no write-back and no count (the owner of a newer copy, the flat layout's checks). */
  peekValue(): Tensor {
    return this.#value;
  }

  /** The gradient tensor as it is, with no zeros and no deferred gradient written. */
  peekGrad(): Tensor {
    return this.#grad;
  }

  markValueStale(unpack: (value: FloatArray) => void): void {
    this.#unpack = unpack;
  }

  get grad(): Tensor {
    if (this.#zeroPending) {
      this.#zeroPending = false;
      kernelsFor(this.#grad.dtype).fill(this.#grad.storage, 0);
    }
    this.flushDeferred();
    return this.#grad;
  }

  set grad(t: Tensor) {
    this.#grad = t;
    this.#zeroPending = false;
    this.#deferred = null;
  }

  markZero(): void {
    this.#zeroPending = true;
    this.#deferred = null;
  }

  /** Writes a deferred gradient into #grad (no-op when none is pending). */
  flushDeferred(): void {
    const d = this.#deferred;
    if (!d) return;
    this.#deferred = null;
    d.materialize(this.#grad.storage, this.#deferredBeta);
  }

  defer(d: DeferredGradient): void {
    this.flushDeferred();
    this.#deferredBeta = this.#zeroPending ? 0 : 1;
    this.#zeroPending = false;
    this.#deferred = d;
  }

  /** The deferred gradient when it is the whole gradient (written over zeros), else null. */
  pending(): DeferredGradient | null {
    return this.#deferred && this.#deferredBeta === 0 ? this.#deferred : null;
  }

  /** The flat arrays this parameter's value and gradient are views of (kept alive with it). */
  storage: FlatParameters | null = null;

  takeTarget(): { grad: Tensor; beta: 0 | 1 } {
    this.flushDeferred();
    const beta = this.#zeroPending ? 0 : 1;
    this.#zeroPending = false;
    return { grad: this.#grad, beta };
  }
}

/** Sets a parameter's gradient to zero (lazily for a layer's own parameters). */
export function zeroGradOf(p: Parameter): void {
  if (p instanceof LazyZeroParameter) p.markZero();
  else kernelsFor(p.grad.dtype).fill(p.grad.storage, 0);
}

/**
 * Leaves `p`'s gradient of this backward to be written later by `d` (see the top of this file).
 * Call flushGradient(p) before overwriting anything an earlier deferred gradient of `p` reads.
 * Returns false (nothing deferred) for a parameter not made by createParameter.
 */
export function deferGradient(p: Parameter, d: DeferredGradient): boolean {
  if (!(p instanceof LazyZeroParameter)) return false;
  p.defer(d);
  return true;
}

/** Writes `p`'s deferred gradient, if one is pending, into its gradient. */
export function flushGradient(p: Parameter): void {
  if (p instanceof LazyZeroParameter) p.flushDeferred();
}

/** `p`'s deferred gradient when it is the whole gradient (a plain SGD step may apply it directly), else null. */
export function pendingGradient(p: Parameter): DeferredGradient | null {
  return p instanceof LazyZeroParameter ? p.pending() : null;
}

/** The value tensor with no write-back from a newer copy and no version count (that copy's owner). */
export function peekValue(p: Parameter): Tensor {
  return p instanceof LazyZeroParameter ? p.peekValue() : p.value;
}

/** How many times `p.value` was read or an optimiser stepped `p` (−1: not counted, treat as always changed). */
export function valueVersion(p: Parameter): number {
  return p instanceof LazyZeroParameter ? p.version : -1;
}

/**
 * Says that `p`'s value lives newer in its owner's copy: the next read of `p.value` calls
 * `unpack(value)` first. False (nothing marked) for a parameter not made by createParameter.
 */
export function markValueStale(p: Parameter, unpack: (value: FloatArray) => void): boolean {
  if (!(p instanceof LazyZeroParameter)) return false;
  p.markValueStale(unpack);
  return true;
}

/**
 * The gradient to accumulate into with a kernel that takes beta (grad ← beta·grad + Δ), and the
 * beta to use: 0 right after zeroGrad() (nothing to read; the caller MUST then write every
 * element), 1 otherwise. Gradients still accumulate across backward calls, as the contract says.
 */
export function gradTarget(p: Parameter): { grad: Tensor; beta: 0 | 1 } {
  return p instanceof LazyZeroParameter ? p.takeTarget() : { grad: p.grad, beta: 1 };
}

/** A parameter whose gradient zeroGradOf() clears lazily (value and grad of one shape and dtype). */
export function createParameter(name: string, value: Tensor, grad: Tensor): Parameter {
  return new LazyZeroParameter(name, value, grad);
}

/**
 * One contiguous allocation for the values of a list of parameters and one for their gradients,
 * each parameter's value and gradient a view of its slice (`offsets[i]`, 16-float aligned: the
 * gaps hold zeros, which every optimiser step leaves at zero). An optimiser then updates all of
 * them in one kernel call, on the worker pool as one job.
 */
export interface FlatParameters {
  readonly dtype: DType;
  readonly values: FloatArray;
  readonly grads: FloatArray;
  /** Start of parameter i in both arrays. */
  readonly offsets: readonly number[];
  /** The views handed to the parameters (value, gradient), to tell whether one was replaced since. */
  readonly valueViews: readonly FloatArray[];
  readonly gradViews: readonly FloatArray[];
}

/**
 * Moves the values and gradients of `params` into one flat allocation each (copying both) and
 * makes every parameter view its slice; null (nothing moved) unless the parameters are distinct,
 * of one dtype and made by createParameter. Moving them again (a second optimiser on the same
 * model) makes new flat arrays: views made before are left as they are, and an optimiser finds
 * out with flatIsCurrent.
 */
export function flattenParameters(params: readonly Parameter[]): FlatParameters | null {
  if (params.length === 0 || new Set(params).size !== params.length) return null;
  const lazy: LazyZeroParameter[] = [];
  for (const p of params) {
    if (!(p instanceof LazyZeroParameter)) return null;
    lazy.push(p);
  }
  const dtype = lazy[0]!.value.dtype;
  if (lazy.some((p) => p.value.dtype !== dtype)) return null;
  const offsets: number[] = [];
  let n = 0;
  for (const p of lazy) {
    offsets.push(n);
    n += Math.ceil(p.value.size / 16) * 16;
  }
  const values = allocateFor(dtype, n);
  const grads = allocateFor(dtype, n);
  // written here on the host (a device backend uploads them before its next kernel reads them)
  onHost(values);
  onHost(grads);
  const valueViews: FloatArray[] = [];
  const gradViews: FloatArray[] = [];
  const flat: FlatParameters = { dtype, values, grads, offsets, valueViews, gradViews };
  lazy.forEach((p, i) => {
    const o = offsets[i]!, size = p.value.size;
    const v = values.subarray(o, o + size), g = grads.subarray(o, o + size);
    v.set(p.value.data);
    const pending = p.takeTarget().beta === 0;
    g.set(p.grad.data);
    p.value = new Tensor(v, p.value.shape);
    p.grad = new Tensor(g, p.grad.shape);
    if (pending) p.markZero();
    p.storage = flat;
    valueViews.push(v);
    gradViews.push(g);
  });
  return flat;
}

/**
 * True while every parameter still views `flat` (nothing replaced its value or gradient, as
 * Module.to() does). Reads nothing through `p.value` or `p.grad`: a caller about to step the flat
 * arrays reads those first (Optimizer.flatForStep), which writes lazy zeros, deferred gradients
 * and values kept newer elsewhere into them.
 */
export function flatIsCurrent(params: readonly Parameter[], flat: FlatParameters): boolean {
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    const value = p instanceof LazyZeroParameter ? p.peekValue() : p.value;
    const grad = p instanceof LazyZeroParameter ? p.peekGrad() : p.grad;
    if (value.storage !== flat.valueViews[i] || grad.storage !== flat.gradViews[i]) return false;
  }
  return true;
}

/**
 * The ranges [start, end) of the flat arrays that hold every parameter but those in `skip`, as
 * few as possible (neighbours merged, gaps between them included: they hold zeros). One range,
 * the whole arrays, when nothing is skipped.
 */
export function flatRuns(flat: FlatParameters, params: readonly Parameter[], skip: ReadonlySet<Parameter>): [number, number][] {
  if (skip.size === 0) return [[0, flat.values.length]];
  const runs: [number, number][] = [];
  params.forEach((p, i) => {
    if (skip.has(p)) return;
    const start = flat.offsets[i]!;
    const end = i + 1 < params.length ? flat.offsets[i + 1]! : flat.values.length;
    const last = runs[runs.length - 1];
    if (last && last[1] === start) last[1] = end;
    else runs.push([start, end]);
  });
  return runs;
}
