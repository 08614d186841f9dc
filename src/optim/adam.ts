// Adam and AdamW exactly as torch.optim.Adam / AdamW:
//   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
// Adam adds wd·p to g; AdamW instead shrinks p ← p(1 − lr·wd) before the update.

import { kernelsFor } from '../backend.js';
import type { FloatArray } from '../tensor.js';
import type { Parameter } from '../parameter.js';
import { bufferToArray, checkHyper, loadBuffer, Optimizer, type OptimizerState } from './optimizer.js';

/** Options of {@link Adam} and {@link AdamW} (PyTorch's names and defaults). */
export interface AdamOptions {
  /** The learning rate (default 1e-3). */
  lr?: number;
  /** [β₁, β₂], the decay rates of the first and second moments, each in [0, 1) (default [0.9, 0.999]). */
  betas?: [number, number];
  /** ε, added to the denominator (default 1e-8). */
  eps?: number;
  /** Weight decay wd (default 0 for Adam, 0.01 for AdamW). */
  weightDecay?: number;
}

/** Adam or AdamW: the names, the default weight decay, and how the decay is applied. */
export interface AdamVariant {
  kind: 'adam' | 'adamw';
  label: 'Adam' | 'AdamW';
  defaultWeightDecay: number;
  decoupled: boolean;
}
const ADAM: AdamVariant = { kind: 'adam', label: 'Adam', defaultWeightDecay: 0, decoupled: false };
const ADAMW: AdamVariant = { kind: 'adamw', label: 'AdamW', defaultWeightDecay: 0.01, decoupled: true };

/**
 * Adam, exactly as torch.optim.Adam: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
 * p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε), with g = ∇ + wd·p.
 */
export class Adam extends Optimizer {
  readonly kind: 'adam' | 'adamw';
  private _lr: number;
  /** β₁, the decay rate of the first moment. */
  readonly beta1: number;
  /** β₂, the decay rate of the second moment. */
  readonly beta2: number;
  /** ε, added to the denominator. */
  readonly eps: number;
  /** The weight decay wd. */
  readonly weightDecay: number;
  /** True for AdamW: the decay shrinks p ← p(1 − lr·wd) instead of adding wd·p to the gradient. */
  protected readonly decoupled: boolean;
  private readonly m: FloatArray[];
  private readonly v: FloatArray[];
  /** m and v as single arrays laid out like the flat parameters (null when they are not flat). */
  private readonly flatM: FloatArray | null;
  private readonly flatV: FloatArray | null;

  /** Adam over `params`: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0 by default (`variant` is set by AdamW). */
  constructor(params: Parameter[], options: AdamOptions = {}, variant: AdamVariant = ADAM) {
    super(params, variant.label);
    const what = variant.label;
    this.kind = variant.kind;
    this.decoupled = variant.decoupled;
    const defaultWeightDecay = variant.defaultWeightDecay;
    this._lr = checkHyper(what, 'lr', options.lr ?? 1e-3, 0);
    const [b1, b2] = options.betas ?? [0.9, 0.999];
    this.beta1 = checkHyper(what, 'betas[0]', b1, 0, 1, true);
    this.beta2 = checkHyper(what, 'betas[1]', b2, 0, 1, true);
    this.eps = checkHyper(what, 'eps', options.eps ?? 1e-8, 0);
    this.weightDecay = checkHyper(what, 'weightDecay', options.weightDecay ?? defaultWeightDecay, 0);
    const m = this.stateBuffers((i) => params[i]!.value.size);
    const v = this.stateBuffers((i) => params[i]!.value.size);
    this.m = m.each;
    this.v = v.each;
    this.flatM = m.all;
    this.flatV = v.all;
  }

  get lr(): number {
    return this._lr;
  }
  set lr(value: number) {
    this._lr = checkHyper(this.label, 'lr', value, 0);
  }

  step(): void {
    this.stepCount++;
    const h = {
      lr: this._lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps,
      weightDecay: this.weightDecay, decoupled: this.decoupled, step: this.stepCount,
    };
    const flat = this.flatForStep();
    if (flat && this.flatM && this.flatV) kernelsFor(flat.dtype).adamStep(flat.values, flat.grads, this.flatM, this.flatV, h);
    else this.params.forEach((p, i) => kernelsFor(p.value.dtype).adamStep(p.value.storage, p.grad.storage, this.m[i]!, this.v[i]!, h));
  }

  state(): OptimizerState {
    return {
      type: this.kind, step: this.stepCount,
      buffers: this.m.map((m, i) => ({ expAvg: bufferToArray(m), expAvgSq: bufferToArray(this.v[i]!) })),
    };
  }

  loadState(state: OptimizerState): void {
    const what = this.label;
    this.checkStateType(state);
    this.m.forEach((b, i) => loadBuffer(what, b, state.buffers[i]?.expAvg, 'expAvg', i));
    this.v.forEach((b, i) => loadBuffer(what, b, state.buffers[i]?.expAvgSq, 'expAvgSq', i));
    this.stepCount = state.step;
  }
}

/** AdamW: decoupled weight decay; PyTorch's default weight decay for AdamW is 0.01. */
export class AdamW extends Adam {
  /** AdamW over `params`: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.01 by default. */
  constructor(params: Parameter[], options: AdamOptions = {}) {
    super(params, options, ADAMW);
  }
}
