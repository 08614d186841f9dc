// RMSprop exactly as torch.optim.RMSprop:
//   g ← ∇ + wd·p (wd ≠ 0);  v ← αv + (1 − α)g²;
//   centered: ḡ ← αḡ + (1 − α)g, r = √(v − ḡ²) + ε;  otherwise r = √v + ε   (ε after the root);
//   momentum μ > 0: b ← μb + g/r, p ← p − lr·b;  otherwise p ← p − lr·g/r.

import { allocateFor, kernelsFor } from '../backend.js';
import type { FloatArray } from '../tensor.js';
import type { Parameter } from '../parameter.js';
import { bufferToArray, checkHyper, loadBuffer, Optimizer, type OptimizerState } from './optimizer.js';

/** Options of {@link RMSprop} (PyTorch's names and defaults). */
export interface RMSpropOptions {
  /** Default 0.01, as PyTorch. */
  lr?: number;
  /** Smoothing constant of the running mean of g², in [0, 1]. Default 0.99. */
  alpha?: number;
  /** Added to the root mean square. Default 1e-8. */
  eps?: number;
  /** L2 penalty wd: g ← ∇ + wd·p (default 0). */
  weightDecay?: number;
  /** μ, the momentum factor (default 0: none). */
  momentum?: number;
  /** Normalise by the variance of g (the centred RMS) instead of E[g²]. Default false. */
  centered?: boolean;
}

/**
 * RMSprop, exactly as torch.optim.RMSprop: g ← ∇ + wd·p; v ← αv + (1 − α)g²; r = √v + ε
 * (centred: √(v − ḡ²) + ε with ḡ ← αḡ + (1 − α)g); p ← p − lr·g/r, or through a momentum buffer
 * b ← μb + g/r, p ← p − lr·b.
 */
export class RMSprop extends Optimizer {
  readonly kind = 'rmsprop';
  private _lr: number;
  /** α, the smoothing constant of the running mean of g². */
  readonly alpha: number;
  /** ε, added after the root. */
  readonly eps: number;
  /** The L2 penalty wd. */
  readonly weightDecay: number;
  /** μ, the momentum factor. */
  readonly momentum: number;
  /** Whether the denominator is the centred RMS. */
  readonly centered: boolean;
  private readonly squareAvg: FloatArray[];
  /** Running means of g (centered only; empty otherwise). */
  private readonly gradAvg: FloatArray[];
  /** Momentum buffers (momentum > 0 only; empty otherwise). */
  private readonly buffers: FloatArray[];

  /** RMSprop over `params`: lr 0.01, alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, not centred by default. */
  constructor(params: Parameter[], options: RMSpropOptions = {}) {
    super(params, 'RMSprop');
    this._lr = checkHyper('RMSprop', 'lr', options.lr ?? 1e-2, 0);
    this.alpha = checkHyper('RMSprop', 'alpha', options.alpha ?? 0.99, 0, 1);
    this.eps = checkHyper('RMSprop', 'eps', options.eps ?? 1e-8, 0);
    this.weightDecay = checkHyper('RMSprop', 'weightDecay', options.weightDecay ?? 0, 0);
    this.momentum = checkHyper('RMSprop', 'momentum', options.momentum ?? 0, 0);
    this.centered = options.centered ?? false;
    const sized = (used: boolean): FloatArray[] => params.map((p) => allocateFor(p.value.dtype, used ? p.value.size : 0));
    this.squareAvg = sized(true);
    this.gradAvg = sized(this.centered);
    this.buffers = sized(this.momentum > 0);
  }

  get lr(): number {
    return this._lr;
  }
  set lr(value: number) {
    this._lr = checkHyper('RMSprop', 'lr', value, 0);
  }

  step(): void {
    this.stepCount++;
    const h = { lr: this._lr, alpha: this.alpha, eps: this.eps, weightDecay: this.weightDecay, momentum: this.momentum, centered: this.centered };
    this.params.forEach((p, i) => kernelsFor(p.value.dtype).rmspropStep(p.value.storage, p.grad.storage, this.squareAvg[i]!, this.gradAvg[i]!, this.buffers[i]!, h));
  }

  state(): OptimizerState {
    return {
      type: this.kind, step: this.stepCount,
      buffers: this.squareAvg.map((v, i) => ({
        squareAvg: bufferToArray(v),
        ...(this.centered ? { gradAvg: bufferToArray(this.gradAvg[i]!) } : {}),
        ...(this.momentum > 0 ? { momentum: bufferToArray(this.buffers[i]!) } : {}),
      })),
    };
  }

  loadState(state: OptimizerState): void {
    this.checkStateType(state);
    this.squareAvg.forEach((b, i) => loadBuffer('RMSprop', b, state.buffers[i]?.squareAvg, 'squareAvg', i));
    if (this.centered) this.gradAvg.forEach((b, i) => loadBuffer('RMSprop', b, state.buffers[i]?.gradAvg, 'gradAvg', i));
    if (this.momentum > 0) this.buffers.forEach((b, i) => loadBuffer('RMSprop', b, state.buffers[i]?.momentum, 'momentum', i));
    this.stepCount = state.step;
  }
}
