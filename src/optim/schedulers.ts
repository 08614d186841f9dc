// The closed-schedule learning-rate schedulers, as torch.optim.lr_scheduler writes them (the
// chainable form: each step's lr from the previous one), with PyTorch's options in camelCase and
// its defaults. t is lastEpoch, lr₀ the base lr.
//   StepLR             lrₜ = lrₜ₋₁ · γ when t > 0 and t mod stepSize = 0            (lr₀ γ^⌊t/stepSize⌋)
//   MultiStepLR        lrₜ = lrₜ₋₁ · γ^(times t is a milestone)                      (lr₀ γ^#{m ≤ t})
//   ExponentialLR      lrₜ = lrₜ₋₁ · γ for t > 0                                     (lr₀ γᵗ)
//   LinearLR           lr₀ · s at t = 0, then lrₜ₋₁ · (1 + (e − s) / (T·s + (t − 1)(e − s))) up to T
//                                                                                   (lr₀ (s + (e − s) min(t, T)/T))
//   CosineAnnealingLR  lrₜ = (1 + cos(πt/T)) / (1 + cos(π(t−1)/T)) · (lrₜ₋₁ − η) + η,
//                      and at t − 1 − T ≡ 0 mod 2T: lrₜ₋₁ + (lr₀ − η)(1 − cos(π/T))/2
//                                                                                   (η + (lr₀ − η)(1 + cos(πt/T))/2)
// The recursive form and the closed form differ in the last bits; these are PyTorch's numbers.

import { HandgradError } from '../errors.js';
import type { Optimizer } from './optimizer.js';
import { checkInt, checkOption, LRScheduler } from './scheduler.js';

/** StepLR's options. */
export interface StepLROptions {
  /** The period of the decay, in steps. */
  stepSize: number;
  /** The multiplicative factor of the decay. */
  gamma?: number;
}

/** lr × gamma every stepSize steps, as torch.optim.lr_scheduler.StepLR. */
export class StepLR extends LRScheduler {
  readonly kind = 'step';
  /** The period of the decay, in steps. */
  readonly stepSize: number;
  /** The multiplicative factor of the decay. */
  readonly gamma: number;
  /** Checks the options (PyTorch's defaults for those left out) and makes the first step. */
  constructor(optimizer: Optimizer, options: StepLROptions) {
    super(optimizer, 'StepLR');
    this.stepSize = checkInt('StepLR', 'stepSize', options?.stepSize, 1);
    this.gamma = checkOption('StepLR', 'gamma', options.gamma ?? 0.1, 0);
    this.start();
  }
  protected nextLr(): number {
    const t = this.lastEpoch;
    return t === 0 || t % this.stepSize !== 0 ? this.optimizer.lr : this.optimizer.lr * this.gamma;
  }
}

/** MultiStepLR's options. */
export interface MultiStepLROptions {
  /** The step indices at which the lr decays (increasing). */
  milestones: number[];
  /** The multiplicative factor of the decay. */
  gamma?: number;
}

/** lr × gamma at each milestone, as torch.optim.lr_scheduler.MultiStepLR. */
export class MultiStepLR extends LRScheduler {
  readonly kind = 'multistep';
  /** The step indices at which the lr decays (increasing). */
  readonly milestones: readonly number[];
  /** The multiplicative factor of the decay. */
  readonly gamma: number;
  /** Checks the options (PyTorch's defaults for those left out) and makes the first step. */
  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    super(optimizer, 'MultiStepLR');
    const m = options?.milestones;
    if (!Array.isArray(m) || m.length === 0) throw new HandgradError('MultiStepLR: milestones must be a non-empty list of step indices', { code: 'invalid-option', subject: { option: 'milestones' } });
    m.forEach((v, i) => checkInt('MultiStepLR', `milestones[${i}]`, v, 0));
    for (let i = 1; i < m.length; i++) {
      if (m[i]! < m[i - 1]!) throw new HandgradError(`MultiStepLR: milestones must be increasing, got ${m.join(', ')}`, { code: 'invalid-option', subject: { option: 'milestones' } });
    }
    this.milestones = [...m];
    this.gamma = checkOption('MultiStepLR', 'gamma', options.gamma ?? 0.1, 0);
    this.start();
  }
  protected nextLr(): number {
    // PyTorch counts repeated milestones: a milestone given twice multiplies by γ².
    const times = this.milestones.filter((m) => m === this.lastEpoch).length;
    return times === 0 ? this.optimizer.lr : this.optimizer.lr * this.gamma ** times;
  }
}

/** ExponentialLR's options. */
export interface ExponentialLROptions {
  /** The multiplicative factor of the decay. */
  gamma: number;
}

/** lr × gamma every step, as torch.optim.lr_scheduler.ExponentialLR. */
export class ExponentialLR extends LRScheduler {
  readonly kind = 'exp';
  /** The multiplicative factor of the decay. */
  readonly gamma: number;
  /** Checks the options (PyTorch's defaults for those left out) and makes the first step. */
  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    super(optimizer, 'ExponentialLR');
    this.gamma = checkOption('ExponentialLR', 'gamma', options?.gamma, 0);
    this.start();
  }
  protected nextLr(): number {
    return this.lastEpoch === 0 ? this.optimizer.lr : this.optimizer.lr * this.gamma;
  }
}

/** LinearLR's options. */
export interface LinearLROptions {
  /** The lr factor of the first step. Default 1/3. */
  startFactor?: number;
  /** The lr factor after totalIters steps. Default 1. */
  endFactor?: number;
  /** The number of steps of the linear change. Default 5. */
  totalIters?: number;
}

/** A linear change of the lr factor (a warm-up), as torch.optim.lr_scheduler.LinearLR. */
export class LinearLR extends LRScheduler {
  readonly kind = 'warmup';
  /** The lr factor of the first step. Default 1/3. */
  readonly startFactor: number;
  /** The lr factor after totalIters steps. Default 1. */
  readonly endFactor: number;
  /** The number of steps of the linear change. Default 5. */
  readonly totalIters: number;
  /** Checks the options (PyTorch's defaults for those left out) and makes the first step. */
  constructor(optimizer: Optimizer, options: LinearLROptions = {}) {
    super(optimizer, 'LinearLR');
    // a start factor of 0 would divide by zero in the chainable form (PyTorch's does too)
    this.startFactor = checkOption('LinearLR', 'startFactor', options.startFactor ?? 1 / 3, 0, 1, true);
    this.endFactor = checkOption('LinearLR', 'endFactor', options.endFactor ?? 1, 0, 1);
    this.totalIters = checkInt('LinearLR', 'totalIters', options.totalIters ?? 5, 1);
    this.start();
  }
  protected nextLr(): number {
    const t = this.lastEpoch;
    const { startFactor: s, endFactor: e, totalIters: T } = this;
    if (t === 0) return this.optimizer.lr * s;
    if (t > T) return this.optimizer.lr;
    return this.optimizer.lr * (1 + (e - s) / (T * s + (t - 1) * (e - s)));
  }
}

/** CosineAnnealingLR's options. */
export interface CosineAnnealingLROptions {
  /** The number of steps of a half cosine period. */
  tMax: number;
  /** The minimum lr. Default 0. */
  etaMin?: number;
}

/** Cosine annealing, in PyTorch's recursive form, as torch.optim.lr_scheduler.CosineAnnealingLR. */
export class CosineAnnealingLR extends LRScheduler {
  readonly kind = 'cosine';
  /** The number of steps of a half cosine period. */
  readonly tMax: number;
  /** The minimum lr. Default 0. */
  readonly etaMin: number;
  /** Checks the options (PyTorch's defaults for those left out) and makes the first step. */
  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    super(optimizer, 'CosineAnnealingLR');
    this.tMax = checkInt('CosineAnnealingLR', 'tMax', options?.tMax, 1);
    this.etaMin = checkOption('CosineAnnealingLR', 'etaMin', options.etaMin ?? 0, 0);
    this.start();
  }
  protected nextLr(): number {
    const t = this.lastEpoch;
    const T = this.tMax;
    const eta = this.etaMin;
    const lr = this.optimizer.lr;
    if (t === 0) return lr;
    if ((t - 1 - T) % (2 * T) === 0) return lr + ((this.baseLr - eta) * (1 - Math.cos(Math.PI / T))) / 2;
    return ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (lr - eta) + eta;
  }
}
