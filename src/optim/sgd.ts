// SGD exactly as torch.optim.SGD:
//   g ← ∇ + wd·p (wd ≠ 0);  b ← g (first step) or μ·b + (1 − dampening)·g;  g ← g + μ·b (nesterov) or b;
//   p ← p − lr·g.
// With dampening 0 this is the CMU rule G_M ← α·G_M + G, W ← W − lr·G_M.

import { kernelsFor } from '../backend.js';
import { HandgradError, type FloatArray } from '../tensor.js';
import { flatRuns, pendingGradient, type FlatParameters, type Parameter } from '../parameter.js';
import { bufferToArray, checkHyper, loadBuffer, Optimizer, type OptimizerState } from './optimizer.js';

/** Options of {@link SGD} (PyTorch's names and defaults). */
export interface SGDOptions {
  /** The learning rate (required, ≥ 0). */
  lr: number;
  /** μ, the momentum factor (default 0: none). */
  momentum?: number;
  /** Dampening of the momentum, in [0, 1] (default 0). */
  dampening?: number;
  /** L2 penalty wd: g ← ∇ + wd·p (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent, exactly as torch.optim.SGD: g ← ∇ + wd·p;
 * b ← g (first step) or μ·b + (1 − dampening)·g; g ← g + μ·b (nesterov) or b; p ← p − lr·g.
 */
export class SGD extends Optimizer {
  readonly kind = 'sgd';
  private _lr: number;
  /** μ, the momentum factor. */
  readonly momentum: number;
  /** Dampening of the momentum. */
  readonly dampening: number;
  /** The L2 penalty wd. */
  readonly weightDecay: number;
  /** Whether the momentum is Nesterov's. */
  readonly nesterov: boolean;
  private readonly buffers: FloatArray[];
  /** The momentum buffers as one array laid out like the flat parameters (null: not flat, or no momentum). */
  private readonly flatBuffer: FloatArray | null;
  /** The parameters whose deferred gradient this step applied itself (reused from step to step). */
  private readonly fused = new Set<Parameter>();
  private runCache: { flat: FlatParameters; fused: Parameter[]; views: [FloatArray, FloatArray][] } | null = null;

  /** SGD over `params` with `options.lr` (required) and momentum, dampening, weightDecay (default 0), nesterov (default false). */
  constructor(params: Parameter[], options: SGDOptions) {
    super(params, 'SGD');
    this._lr = checkHyper('SGD', 'lr', options?.lr, 0);
    this.momentum = checkHyper('SGD', 'momentum', options.momentum ?? 0, 0);
    this.dampening = checkHyper('SGD', 'dampening', options.dampening ?? 0, 0, 1);
    this.weightDecay = checkHyper('SGD', 'weightDecay', options.weightDecay ?? 0, 0);
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new HandgradError(`SGD: nesterov momentum requires a momentum > 0 and zero dampening (as in PyTorch), got momentum ${this.momentum} and dampening ${this.dampening}`);
    }
    const { all, each } = this.stateBuffers((i) => (this.momentum !== 0 ? params[i]!.value.size : 0));
    this.buffers = each;
    this.flatBuffer = all;
  }

  get lr(): number {
    return this._lr;
  }
  set lr(value: number) {
    this._lr = checkHyper('SGD', 'lr', value, 0);
  }

  step(): void {
    const h = {
      lr: this._lr, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay,
      nesterov: this.nesterov, firstStep: this.stepCount === 0,
    };
    // Plain SGD applies a gradient a layer deferred (parameter.ts) straight to the value, where the
    // layer can: p ← p − lr·∇ with the same bits, and no gradient written or read back.
    const fused = this.fused;
    fused.clear();
    if (this.momentum === 0 && this.weightDecay === 0) {
      for (const p of this.params) if (pendingGradient(p)?.sgdStep(this._lr)) fused.add(p);
    }
    const flat = this.flatForStep(fused);
    if (flat) {
      // every parameter in one call (one threaded job); the buffer is empty without momentum
      const k = kernelsFor(flat.dtype);
      const buffer = this.flatBuffer ?? this.buffers[0]!;
      if (fused.size === 0) k.sgdStep(flat.values, flat.grads, buffer, h);
      // or every other one, a call per run of them in the flat arrays (no momentum: buffer is empty)
      else for (const [values, grads] of this.runViews(flat)) k.sgdStep(values, grads, buffer, h);
    } else {
      this.params.forEach((p, i) => {
        if (!fused.has(p)) kernelsFor(p.value.dtype).sgdStep(p.value.storage, p.grad.storage, this.buffers[i]!, h);
      });
    }
    this.stepCount++;
  }

  /** The flat arrays' views over every parameter but the fused ones, made again only when those change. */
  private runViews(flat: FlatParameters): [FloatArray, FloatArray][] {
    const c = this.runCache;
    let same = c !== null && c.flat === flat && c.fused.length === this.fused.size;
    for (let i = 0; same && i < c!.fused.length; i++) same = this.fused.has(c!.fused[i]!);
    if (same) return c!.views;
    const views = flatRuns(flat, this.params, this.fused).map(([a, b]): [FloatArray, FloatArray] => [flat.values.subarray(a, b), flat.grads.subarray(a, b)]);
    this.runCache = { flat, fused: [...this.fused], views };
    return views;
  }

  state(): OptimizerState {
    return { type: this.kind, step: this.stepCount, buffers: this.buffers.map((b) => ({ momentum: bufferToArray(b) })) };
  }

  loadState(state: OptimizerState): void {
    this.checkStateType(state);
    this.buffers.forEach((b, i) => loadBuffer('SGD', b, state.buffers[i]?.momentum, 'momentum', i));
    this.stepCount = state.step;
  }
}
