// ReduceLROnPlateau as torch.optim.lr_scheduler.ReduceLROnPlateau: step(metric) once per epoch;
// when the metric has not improved for more than `patience` epochs, lr ← max(lr·factor, minLr)
// (skipped when the change is at most eps), then `cooldown` epochs pass before bad epochs count
// again. Improvement is judged against the best value so far:
//   min/rel: a < best·(1 − threshold)    min/abs: a < best − threshold
//   max/rel: a > best·(1 + threshold)    max/abs: a > best + threshold

import { HandgradError } from '../errors.js';
import type { Optimizer } from './optimizer.js';
import { checkInt, checkOption, LRScheduler } from './scheduler.js';

/** ReduceLROnPlateau's options (PyTorch's names in camelCase, its defaults). */
export interface ReduceLROnPlateauOptions {
  /** 'min' (default): the metric should fall; 'max': rise. */
  mode?: 'min' | 'max';
  /** lr ← lr·factor on a plateau. Default 0.1. */
  factor?: number;
  /** Epochs without improvement before the lr is reduced. Default 10. */
  patience?: number;
  /** The least improvement that counts. Default 1e-4. */
  threshold?: number;
  /** 'rel' (default): relative to the best; 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs after a reduction before bad epochs count again. Default 0. */
  cooldown?: number;
  /** The lower bound of the lr. Default 0. */
  minLr?: number;
  /** A reduction smaller than this is skipped. Default 1e-8. */
  eps?: number;
}

/** Reduces the lr when a metric stops improving, as torch.optim.lr_scheduler.ReduceLROnPlateau. */
export class ReduceLROnPlateau extends LRScheduler {
  readonly kind = 'plateau';
  /** 'min' (default): the metric should fall; 'max': rise. */
  readonly mode: 'min' | 'max';
  /** lr ← lr·factor on a plateau. Default 0.1. */
  readonly factor: number;
  /** Epochs without improvement before the lr is reduced. Default 10. */
  readonly patience: number;
  /** The least improvement that counts. Default 1e-4. */
  readonly threshold: number;
  /** 'rel' (default): relative to the best; 'abs': absolute. */
  readonly thresholdMode: 'rel' | 'abs';
  /** Epochs after a reduction before bad epochs count again. Default 0. */
  readonly cooldown: number;
  /** The lower bound of the lr. Default 0. */
  readonly minLr: number;
  /** A reduction smaller than this is skipped. Default 1e-8. */
  readonly eps: number;
  /** The best metric so far (±∞ before the first). */
  best: number;
  /** Epochs since the metric last improved. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;

  /** Checks the options (PyTorch's defaults for those left out); the lr stays the optimiser's until a plateau. */
  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    const what = 'ReduceLROnPlateau';
    super(optimizer, what);
    const choice = <T extends string>(name: string, v: T | undefined, values: readonly T[], dflt: T): T => {
      if (v === undefined) return dflt;
      if (!values.includes(v)) throw new HandgradError(`${what}: ${name} must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`, { code: 'invalid-option', subject: { option: name } });
      return v;
    };
    this.mode = choice('mode', options.mode, ['min', 'max'] as const, 'min');
    this.factor = checkOption(what, 'factor', options.factor ?? 0.1, 0);
    if (this.factor >= 1) throw new HandgradError(`${what}: factor must be < 1, got ${this.factor}`, { code: 'invalid-option', subject: { option: 'factor' } });
    this.patience = checkInt(what, 'patience', options.patience ?? 10, 0);
    this.threshold = checkOption(what, 'threshold', options.threshold ?? 1e-4, 0);
    this.thresholdMode = choice('thresholdMode', options.thresholdMode, ['rel', 'abs'] as const, 'rel');
    this.cooldown = checkInt(what, 'cooldown', options.cooldown ?? 0, 0);
    this.minLr = checkOption(what, 'minLr', options.minLr ?? 0, 0);
    this.eps = checkOption(what, 'eps', options.eps ?? 1e-8, 0);
    this.best = this.worst();
    // PyTorch's starts at last_epoch 0 without a first step: the lr is the optimiser's
    this.lastEpoch = 0;
  }

  private worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  /** One epoch's metric (e.g. the validation loss). */
  override step(metric?: number): void {
    if (typeof metric !== 'number' || Number.isNaN(metric)) {
      throw new HandgradError(`ReduceLROnPlateau.step: expected the epoch's metric (a number, e.g. the validation loss), got ${String(metric)}`);
    }
    this.lastEpoch++;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      const old = this.optimizer.lr;
      const next = Math.max(old * this.factor, this.minLr);
      if (old - next > this.eps) this.setLr(next);
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  protected nextLr(): number {
    return this.optimizer.lr;
  }

  /** The counters beyond lastEpoch and lr that a checkpoint must keep (none by default). */
  protected override extraState(): Record<string, number> {
    // JSON has no Infinity: a best not yet set (±∞) is saved as bestSet 0
    return { best: Number.isFinite(this.best) ? this.best : 0, bestSet: Number.isFinite(this.best) ? 1 : 0, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter };
  }

  /** Loads what extraState() saved. */
  protected override loadExtra(extra: Record<string, unknown>): void {
    const num = (name: string): number => {
      const v = extra[name];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new HandgradError(`ReduceLROnPlateau.loadState: '${name}' must be a finite number, got ${String(v)}`);
      return v;
    };
    this.best = num('bestSet') === 1 ? num('best') : this.worst();
    this.numBadEpochs = num('numBadEpochs');
    this.cooldownCounter = num('cooldownCounter');
  }
}
