// The learning-rate schedulers' common part, as torch.optim.lr_scheduler's: a scheduler owns the
// optimiser's lr. Constructing one takes the optimiser's lr as the base lr and makes the first
// step (lastEpoch −1 → 0), which sets the lr of the first optimiser step; every step() after
// that advances lastEpoch by one and sets the next lr. Most schedules are written, as PyTorch
// writes them, in the chainable form lrₜ = f(lrₜ₋₁), so the numbers are PyTorch's to the last
// bit wherever the arithmetic is the same. state()/loadState() carry what a checkpoint needs.

import { HandgradError } from '../errors.js';
import { isRecord } from '../lookup.js';
import { Optimizer } from './optimizer.js';

/** A scheduler's state: its registry name, its position, the lr it set, and its own counters. */
export interface SchedulerState {
  /** The scheduler's registry name. */
  type: string;
  /** Steps taken (PyTorch's last_epoch). */
  lastEpoch: number;
  /** The lr the scheduler set last. */
  lr: number;
  /** Counters of the stateful schedules (ReduceLROnPlateau's best, bad epochs, cooldown). */
  extra: Record<string, number>;
}

/** The base of every learning-rate scheduler: it owns the optimiser's lr. */
export abstract class LRScheduler {
  /** The registry name (optim/schedules.ts), saved as the state's type. */
  abstract readonly kind: string;
  /** The optimiser whose lr the schedule sets. */
  readonly optimizer: Optimizer;
  /** The name in messages: 'StepLR', … */
  readonly label: string;
  /** PyTorch's initial_lr: the lr the schedule is relative to. */
  readonly baseLr: number;
  /** Steps taken, −1 before the first (the constructor's). */
  lastEpoch = -1;

  /** Takes the optimiser's lr (or `baseLr`) as the base lr; each subclass then makes the first step. */
  constructor(optimizer: Optimizer, label: string, baseLr?: number) {
    if (!(optimizer instanceof Optimizer)) throw new HandgradError(`${label}: expected an optimiser (e.g. new optim.SGD(…)), got ${typeof optimizer}`);
    this.optimizer = optimizer;
    this.label = label;
    this.baseLr = baseLr ?? optimizer.lr;
  }

  /** The first step, PyTorch's _initial_step: each subclass calls it once its fields are set. */
  protected start(): void {
    this.step();
  }

  /** Advances the schedule by one step (or epoch) and sets the optimiser's lr. */
  step(metric?: number): void {
    void metric;
    this.lastEpoch++;
    this.setLr(this.nextLr());
  }

  /** The lr of step lastEpoch, from the lr in use (the chainable form). */
  protected abstract nextLr(): number;

  /** The optimiser's current lr: the one its next step uses (PyTorch's get_last_lr()). */
  get lr(): number {
    return this.optimizer.lr;
  }

  /** Sets the optimiser's lr, refusing a non-finite or negative one. */
  protected setLr(lr: number): void {
    if (!Number.isFinite(lr) || lr < 0) throw new HandgradError(`${this.label}: the schedule reached lr ${lr} at step ${this.lastEpoch}, expected a finite number ≥ 0`);
    this.optimizer.lr = lr;
  }

  /** The state a checkpoint keeps. */
  state(): SchedulerState {
    return { type: this.kind, lastEpoch: this.lastEpoch, lr: this.optimizer.lr, extra: this.extraState() };
  }

  /** Continues from a saved state (of the same scheduler). */
  loadState(state: SchedulerState): void {
    if (!isRecord(state) || state.type !== this.kind) {
      throw new HandgradError(`${this.label}.loadState: the saved state is for ${isRecord(state) ? String(state.type) : typeof state}, not ${this.label} ('${this.kind}')`);
    }
    if (!Number.isInteger(state.lastEpoch) || state.lastEpoch < 0) throw new HandgradError(`${this.label}.loadState: lastEpoch must be an integer ≥ 0, got ${String(state.lastEpoch)}`);
    this.lastEpoch = state.lastEpoch;
    this.setLr(state.lr);
    this.loadExtra(isRecord(state.extra) ? state.extra : {});
  }

  /** The counters beyond lastEpoch and lr that a checkpoint must keep (none by default). */
  protected extraState(): Record<string, number> {
    return {};
  }

  /** Loads what extraState() saved. */
  protected loadExtra(extra: Record<string, unknown>): void {
    void extra;
  }
}

/** Throws unless `value` is a finite number in [min, max] (min exclusive when asked). */
export function checkOption(what: string, name: string, value: number, min: number, max = Infinity, minExclusive = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (minExclusive ? value <= min : value < min) || value > max) {
    const range = max === Infinity ? `${minExclusive ? '>' : '≥'} ${min}` : `in ${minExclusive ? '(' : '['}${min}, ${max}]`;
    throw new HandgradError(`${what}: ${name} must be a finite number ${range}, got ${String(value)}`, { code: 'invalid-option', subject: { option: name } });
  }
  return value;
}

/** Throws unless `value` is an integer ≥ min. */
export function checkInt(what: string, name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new HandgradError(`${what}: ${name} must be an integer ≥ ${min}, got ${String(value)}`, { code: 'invalid-option', subject: { option: name } });
  }
  return value;
}
