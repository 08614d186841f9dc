// OneCycleLR as torch.optim.lr_scheduler.OneCycleLR: the lr rises from maxLr/divFactor to maxLr
// over the first pctStart of the steps, then falls to maxLr/(divFactor·finalDivFactor).
// Phases (end steps as PyTorch computes them, N = totalSteps, p = pctStart):
//   two-phase    [0, pN − 1]: initial → max;  (pN − 1, N − 1]: max → min
//   three-phase  [0, pN − 1]: initial → max;  (pN − 1, 2pN − 2]: max → initial;  (2pN − 2, N − 1]: initial → min
// within a phase, pct = (t − start)/(end − start) and the lr is
//   cos:     end + (start − end)/2 · (cos(π·pct) + 1)
//   linear:  (end − start)·pct + start
// It is a closed form of t (not chainable). Momentum is not cycled (PyTorch's cycle_momentum):
// the optimiser's momentum stays as configured.

import { HandgradError } from '../errors.js';
import type { Optimizer } from './optimizer.js';
import { checkInt, checkOption, LRScheduler } from './scheduler.js';

/** How OneCycleLR anneals within a phase: 'cos' or 'linear'. */
export type AnnealStrategy = 'cos' | 'linear';

/** OneCycleLR's options (PyTorch's names in camelCase). */
export interface OneCycleLROptions {
  /** The peak learning rate. */
  maxLr: number;
  /** The number of steps in the cycle. */
  totalSteps: number;
  /** The fraction of the steps spent rising. Default 0.3. */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: AnnealStrategy;
  /** The initial lr is maxLr / divFactor. Default 25. */
  divFactor?: number;
  /** The final lr is the initial lr / finalDivFactor. Default 1e4. */
  finalDivFactor?: number;
  /** Three phases (up, down to the initial lr, down to the minimum) instead of two. Default false. */
  threePhase?: boolean;
  /** Must be false: momentum cycling is not implemented (PyTorch's default is true). */
  cycleMomentum?: boolean;
}

interface Phase {
  endStep: number;
  startLr: number;
  endLr: number;
}

/** The one-cycle policy, as torch.optim.lr_scheduler.OneCycleLR (without momentum cycling). */
export class OneCycleLR extends LRScheduler {
  readonly kind = 'onecycle';
  /** The peak learning rate. */
  readonly maxLr: number;
  /** The number of steps in the cycle. */
  readonly totalSteps: number;
  /** The lr of the first step: maxLr / divFactor. */
  readonly initialLr: number;
  /** The lr of the last step: initialLr / finalDivFactor. */
  readonly minLr: number;
  /** 'cos' or 'linear'. */
  readonly annealStrategy: AnnealStrategy;
  private readonly phases: Phase[];

  /** Checks the options (PyTorch's defaults for those left out) and makes the first step. */
  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    const what = 'OneCycleLR';
    const maxLr = checkOption(what, 'maxLr', options?.maxLr, 0, Infinity, true);
    const divFactor = checkOption(what, 'divFactor', options.divFactor ?? 25, 0, Infinity, true);
    super(optimizer, what, maxLr / divFactor);
    this.maxLr = maxLr;
    this.totalSteps = checkInt(what, 'totalSteps', options.totalSteps, 1);
    const pct = checkOption(what, 'pctStart', options.pctStart ?? 0.3, 0, 1);
    const finalDivFactor = checkOption(what, 'finalDivFactor', options.finalDivFactor ?? 1e4, 0, Infinity, true);
    const anneal = options.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') throw new HandgradError(`${what}: annealStrategy must be 'cos' or 'linear', got ${JSON.stringify(anneal)}`, { code: 'invalid-option', subject: { option: 'annealStrategy' } });
    if (options.cycleMomentum === true) throw new HandgradError(`${what}: cycleMomentum is not supported; the optimiser's momentum stays fixed (pass cycleMomentum: false)`, { code: 'invalid-option', subject: { option: 'cycleMomentum' } });
    this.annealStrategy = anneal;
    this.initialLr = maxLr / divFactor;
    this.minLr = this.initialLr / finalDivFactor;
    const N = this.totalSteps;
    this.phases = options.threePhase === true
      ? [
        { endStep: pct * N - 1, startLr: this.initialLr, endLr: maxLr },
        { endStep: 2 * pct * N - 2, startLr: maxLr, endLr: this.initialLr },
        { endStep: N - 1, startLr: this.initialLr, endLr: this.minLr },
      ]
      : [
        { endStep: pct * N - 1, startLr: this.initialLr, endLr: maxLr },
        { endStep: N - 1, startLr: maxLr, endLr: this.minLr },
      ];
    this.start();
  }

  protected nextLr(): number {
    const t = this.lastEpoch;
    if (t > this.totalSteps) throw new HandgradError(`OneCycleLR: stepped ${t + 1} times, but totalSteps is ${this.totalSteps}`);
    let startStep = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const phase = this.phases[i]!;
      if (t <= phase.endStep || i === this.phases.length - 1) {
        const pct = (t - startStep) / (phase.endStep - startStep);
        return this.anneal(phase.startLr, phase.endLr, pct);
      }
      startStep = phase.endStep;
    }
    return this.optimizer.lr;
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    const cosOut = Math.cos(Math.PI * pct) + 1;
    return end + ((start - end) / 2) * cosOut;
  }
}
