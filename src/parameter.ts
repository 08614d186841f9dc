// A parameter: a named value tensor and the gradient tensor that backward passes accumulate
// into. Layers create them (Module.addParameter); optimisers update them and see nothing else of
// a layer.
//
// Lazy zeroing. Optimizer.zeroGrad() clears gradients lazily, as PyTorch's
// zero_grad(set_to_none=True) drops them: it only marks a parameter made by createParameter, and
// reading `p.grad` then fills the zeros. A backward that overwrites the whole gradient (Linear's
// dW = dyᵀx as a GEMM with beta = 0, see gradTarget) skips both the fill and the read of stale
// values. Read gradients through `p.grad`, not through a Tensor kept from before zeroGrad().

import { kernelsFor } from './backend.js';
import type { Tensor } from './tensor.js';

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
