// The optimisers, and OPTIMIZERS: the registry a training run chooses its optimiser from by name.
// Each entry says which hyper-parameters the optimiser reads (with the values a run uses when its
// config leaves one out), which combinations it refuses, its help text, and how it is built. A
// name without an entry does not compile; a hyper-parameter given to an optimiser that does not
// read it is refused, never silently ignored.

import { HandgradError } from '../errors.js';
import { isOwnKey, ownKeys } from '../lookup.js';
import type { Parameter } from '../parameter.js';
import { Adam, AdamW } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';

export { Optimizer, type OptimizerState } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { LRScheduler, type SchedulerState } from './scheduler.js';
export {
  StepLR, MultiStepLR, ExponentialLR, LinearLR, CosineAnnealingLR,
  type StepLROptions, type MultiStepLROptions, type ExponentialLROptions, type LinearLROptions, type CosineAnnealingLROptions,
} from './schedulers.js';
export { OneCycleLR, type OneCycleLROptions, type AnnealStrategy } from './onecycle.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './plateau.js';
export {
  SCHEDULES, SCHEDULE_NAMES, buildSchedule, resolveSchedule, parseSchedule,
  type ScheduleName, type ScheduleConfig, type ScheduleSpec, type ScheduleContext, type ScheduleValue,
} from './schedules.js';

/** The optimisers by name, as training configs and the CLI's --optimizer spell them. */
export type OptimizerName = 'sgd' | 'adam' | 'adamw' | 'rmsprop';

/** The hyper-parameters a training config may give its optimiser; each optimiser reads some. */
export interface OptimizerHyper {
  /** The learning rate (required). */
  lr: number;
  /** Momentum factor μ (SGD, RMSprop). */
  momentum?: number;
  /** Weight decay (all). */
  weightDecay?: number;
  /** Nesterov momentum (SGD). */
  nesterov?: boolean;
  /** [β₁, β₂] (Adam, AdamW). */
  betas?: [number, number];
  /** ε of the denominator (Adam, AdamW, RMSprop). */
  eps?: number;
  /** Smoothing constant of the mean of g² (RMSprop). */
  alpha?: number;
  /** Centred RMS (RMSprop). */
  centered?: boolean;
}

type HyperName = Exclude<keyof OptimizerHyper, 'lr'>;

/** What the {@link OPTIMIZERS} registry holds for each optimiser. */
export interface OptimizerSpec {
  /** The name in messages and plot titles. */
  readonly label: string;
  /** One line for the command line's help. */
  readonly help: string;
  /** The hyper-parameters it reads beyond lr, each with the value a run takes when none is given. */
  readonly defaults: { readonly [K in HyperName]?: OptimizerHyper[K] };
  /** A combination of values it refuses: the option at fault and why, or null. */
  readonly check?: (h: OptimizerHyper) => { option: HyperName; problem: string } | null;
  /** Makes the optimiser over `params` with the hyper-parameters `h` (missing ones take its defaults). */
  build(params: Parameter[], h: OptimizerHyper): Optimizer;
}

/** The registry of optimisers by {@link OptimizerName}; a training config names one. */
export const OPTIMIZERS = {
  sgd: {
    label: 'SGD',
    help: 'SGD with momentum, b ← μb + g (PyTorch\'s; momentum default 0.9 here, nesterov, weight decay)',
    defaults: { momentum: 0.9, weightDecay: 0, nesterov: false },
    check: (h) => (h.nesterov === true && !((h.momentum ?? 0) > 0) ? { option: 'nesterov', problem: 'needs a momentum > 0' } : null),
    build: (params, h) => new SGD(params, { lr: h.lr, momentum: h.momentum, weightDecay: h.weightDecay, nesterov: h.nesterov }),
  },
  adam: {
    label: 'Adam',
    help: 'Adam (PyTorch\'s; betas 0.9/0.999, eps 1e-8, L2 weight decay added to the gradient)',
    defaults: { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 },
    build: (params, h) => new Adam(params, { lr: h.lr, betas: h.betas, eps: h.eps, weightDecay: h.weightDecay }),
  },
  adamw: {
    label: 'AdamW',
    help: 'AdamW (PyTorch\'s; decoupled weight decay, default 0.01)',
    defaults: { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 },
    build: (params, h) => new AdamW(params, { lr: h.lr, betas: h.betas, eps: h.eps, weightDecay: h.weightDecay }),
  },
  rmsprop: {
    label: 'RMSprop',
    help: 'RMSprop (PyTorch\'s; alpha 0.99, eps 1e-8 after the root, momentum 0, centered false)',
    defaults: { alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false },
    build: (params, h) => new RMSprop(params, {
      lr: h.lr, alpha: h.alpha, eps: h.eps, weightDecay: h.weightDecay, momentum: h.momentum, centered: h.centered,
    }),
  },
} satisfies Record<OptimizerName, OptimizerSpec>;

/** Every {@link OptimizerName}, in registry order. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ownKeys(OPTIMIZERS);

/** The range of each hyper-parameter, as a test and the words for it. */
const RANGES: { [K in keyof OptimizerHyper]-?: [(v: unknown) => boolean, string] } = {
  lr: [(v) => isFinite(v) && v > 0, 'a number > 0'],
  momentum: [(v) => isFinite(v) && v >= 0 && v <= 1, 'a number in [0, 1]'],
  weightDecay: [(v) => isFinite(v) && v >= 0, 'a number ≥ 0'],
  nesterov: [(v) => typeof v === 'boolean', 'true or false'],
  betas: [(v) => Array.isArray(v) && v.length === 2 && v.every((b) => isFinite(b) && b >= 0 && b < 1), 'a pair of numbers in [0, 1)'],
  eps: [(v) => isFinite(v) && v >= 0, 'a number ≥ 0'],
  alpha: [(v) => isFinite(v) && v >= 0 && v <= 1, 'a number in [0, 1]'],
  centered: [(v) => typeof v === 'boolean', 'true or false'],
};

function isFinite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** True when `name` is a registered optimiser (an own key of OPTIMIZERS). */
export function isOptimizerName(name: unknown): name is OptimizerName {
  return isOwnKey(OPTIMIZERS, name);
}

/**
 * The hyper-parameters optimiser `name` trains with: the given ones checked, its defaults filled
 * in, and nothing it does not read. Errors are HandgradErrors with code 'invalid-option' and
 * subject.option naming the field; `source` starts each message.
 */
export function resolveOptimizerHyper(name: OptimizerName, given: OptimizerHyper, source = 'optimizer'): OptimizerHyper {
  const spec: OptimizerSpec = OPTIMIZERS[name];
  const bad = (option: keyof OptimizerHyper, problem: string): never => {
    throw new HandgradError(`${source}: ${option} ${problem}`, { code: 'invalid-option', subject: { option, optimizer: name } });
  };
  for (const key of ownKeys(RANGES)) {
    const v = given[key];
    if (v === undefined) continue;
    const [ok, expected] = RANGES[key];
    if (!ok(v)) bad(key, `must be ${expected}, got ${JSON.stringify(v)}`);
    if (key !== 'lr' && !Object.hasOwn(spec.defaults, key)) {
      const reads = ['lr', ...ownKeys(spec.defaults)].join(', ');
      bad(key, `does not apply to ${name} (${spec.label} reads ${reads})`);
    }
  }
  if (given.lr === undefined) bad('lr', 'is missing');
  const filled: OptimizerHyper = { lr: given.lr };
  for (const key of ownKeys(spec.defaults)) setHyper(filled, key, given[key] ?? spec.defaults[key]);
  const fault = spec.check?.(filled);
  if (fault) bad(fault.option, fault.problem);
  return filled;
}

function setHyper<K extends HyperName>(h: OptimizerHyper, key: K, value: OptimizerHyper[K]): void {
  h[key] = value;
}
