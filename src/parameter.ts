// A parameter: a named value tensor and the gradient tensor that backward passes accumulate
// into. Layers create them (Module.addParameter); optimisers update them and see nothing else of
// a layer.
//
// Lazy zeroing. Optimizer.zeroGrad() clears gradients lazily, as PyTorch's
// zero_grad(set_to_none=True) drops them: it only marks a parameter made by createParameter, and
// reading `p.grad` then fills the zeros. A backward that overwrites the whole gradient (Linear's
// dW = dyᵀx as a GEMM with beta = 0, see gradTarget) skips both the fill and the read of stale
// values. Read gradients through `p.grad`, not through a Tensor kept from before zeroGrad().

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

/** A parameter whose gradient is zeroed lazily. */
class LazyZeroParameter implements Parameter {
  readonly name: string;
  value: Tensor;
  #grad: Tensor;
  /** zeroGrad() was called and nothing has been written since: the gradient reads as zeros. */
  #zeroPending = false;

  constructor(name: string, value: Tensor, grad: Tensor) {
    this.name = name;
    this.value = value;
    this.#grad = grad;
  }

  get grad(): Tensor {
    if (this.#zeroPending) {
      this.#zeroPending = false;
      kernelsFor(this.#grad.dtype).fill(this.#grad.storage, 0);
    }
    return this.#grad;
  }

  set grad(t: Tensor) {
    this.#grad = t;
    this.#zeroPending = false;
  }

  markZero(): void {
    this.#zeroPending = true;
  }

  /** The flat arrays this parameter's value and gradient are views of (kept alive with it). */
  storage: FlatParameters | null = null;

  takeTarget(): { grad: Tensor; beta: 0 | 1 } {
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
 * Module.to() does), after writing the zeros of gradients cleared lazily: the flat gradient is
 * then the gradient of every parameter.
 */
export function flatIsCurrent(params: readonly Parameter[], flat: FlatParameters): boolean {
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (p.value.storage !== flat.valueViews[i] || p.grad.storage !== flat.gradViews[i]) return false;
  }
  return true;
}
