// SCHEDULES: the registry a training run chooses its learning-rate schedule from by name. A
// schedule config is plain JSON, { type, ...options } with the scheduler's options in camelCase
// (PyTorch's names); each entry says which options it reads, which it takes positionally in the
// command line's short form ('step:30:0.1'), whether it steps once per optimiser step or once
// per epoch, and how it is built for a run of `epochs` epochs of `stepsPerEpoch` steps.

import { HandgradError } from '../errors.js';
import { isOwnKey, isRecord, ownKeys } from '../lookup.js';
import { Tensor } from '../tensor.js';
import { OneCycleLR } from './onecycle.js';
import type { Optimizer } from './optimizer.js';
import { ReduceLROnPlateau } from './plateau.js';
import type { LRScheduler } from './scheduler.js';
import { CosineAnnealingLR, ExponentialLR, LinearLR, MultiStepLR, StepLR } from './schedulers.js';
import { SGD } from './sgd.js';

/** The name of a registered schedule. */
export type ScheduleName = 'step' | 'multistep' | 'exp' | 'cosine' | 'onecycle' | 'plateau' | 'warmup';
/** The value of a schedule option. */
export type ScheduleValue = number | number[] | string | boolean;
/** A schedule by name with its options, e.g. { type: 'step', stepSize: 30, gamma: 0.1 }. */
export interface ScheduleConfig {
  /** The registry name. */
  type: ScheduleName;
  [option: string]: ScheduleValue;
}

/** What an option holds: an integer, a number, a list of integers, a boolean, or one of some words. */
type OptionKind = 'int' | 'number' | 'ints' | 'bool' | readonly string[];

/** The run a schedule is built for. */
export interface ScheduleContext {
  /** Epochs of the run. */
  epochs: number;
  /** Optimiser steps per epoch. */
  stepsPerEpoch: number;
}

/** An entry of SCHEDULES. */
export interface ScheduleSpec {
  /** The scheduler's class name. */
  readonly label: string;
  /** One line for the command line's help: the short form, then what it does. */
  readonly help: string;
  /** 'step': step() after every optimiser step; 'epoch': after every epoch (plateau: with the epoch's metric). */
  readonly interval: 'step' | 'epoch';
  /** The options it reads and what each holds. */
  readonly options: Readonly<Record<string, OptionKind>>;
  /** The options the short form 'name:a:b' gives positionally, in order. */
  readonly args: readonly string[];
  /** The options without a default. */
  readonly required: readonly string[];
  /** The scheduler for an optimiser, a checked config and the run. */
  build(optimizer: Optimizer, o: Options, ctx: ScheduleContext): LRScheduler;
}

/** Typed reads of a checked config's options (absent ones undefined, so the scheduler's default applies). */
class Options {
  constructor(private readonly c: ScheduleConfig) {}
  num(name: string): number | undefined {
    const v = this.c[name];
    return typeof v === 'number' ? v : undefined;
  }
  ints(name: string): number[] {
    const v = this.c[name];
    return Array.isArray(v) ? v : [];
  }
  bool(name: string): boolean | undefined {
    const v = this.c[name];
    return typeof v === 'boolean' ? v : undefined;
  }
  word<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.c[name];
    return values.find((w) => w === v);
  }
}

/** The schedule registry: each schedule by name (see ScheduleSpec). */
export const SCHEDULES = {
  step: {
    required: ['stepSize'],
    label: 'StepLR', interval: 'epoch', args: ['stepSize', 'gamma'],
    help: 'step:STEP_SIZE[:GAMMA] — lr × gamma (default 0.1) every STEP_SIZE epochs',
    options: { stepSize: 'int', gamma: 'number' },
    build: (opt, o) => new StepLR(opt, { stepSize: o.num('stepSize') ?? NaN, gamma: o.num('gamma') }),
  },
  multistep: {
    required: ['milestones'],
    label: 'MultiStepLR', interval: 'epoch', args: ['milestones', 'gamma'],
    help: 'multistep:E1,E2,…[:GAMMA] — lr × gamma (default 0.1) at each listed epoch',
    options: { milestones: 'ints', gamma: 'number' },
    build: (opt, o) => new MultiStepLR(opt, { milestones: o.ints('milestones'), gamma: o.num('gamma') }),
  },
  exp: {
    required: ['gamma'],
    label: 'ExponentialLR', interval: 'epoch', args: ['gamma'],
    help: 'exp:GAMMA — lr × GAMMA every epoch',
    options: { gamma: 'number' },
    build: (opt, o) => new ExponentialLR(opt, { gamma: o.num('gamma') ?? NaN }),
  },
  cosine: {
    required: [],
    label: 'CosineAnnealingLR', interval: 'step', args: ['etaMin'],
    help: 'cosine[:ETA_MIN] — cosine from --lr down to ETA_MIN (default 0) over the whole run, per step',
    options: { tMax: 'int', etaMin: 'number' },
    build: (opt, o, ctx) => new CosineAnnealingLR(opt, { tMax: o.num('tMax') ?? ctx.epochs * ctx.stepsPerEpoch, etaMin: o.num('etaMin') }),
  },
  onecycle: {
    required: [],
    label: 'OneCycleLR', interval: 'step', args: ['pctStart'],
    help: 'onecycle[:PCT_START] — one cycle up to --lr and down over the whole run, per step (cos annealing, div factor 25, no momentum cycling)',
    options: {
      totalSteps: 'int', pctStart: 'number', annealStrategy: ['cos', 'linear'], divFactor: 'number', finalDivFactor: 'number', threePhase: 'bool', cycleMomentum: 'bool',
    },
    build: (opt, o, ctx) => new OneCycleLR(opt, {
      maxLr: opt.lr, totalSteps: o.num('totalSteps') ?? ctx.epochs * ctx.stepsPerEpoch, pctStart: o.num('pctStart'),
      annealStrategy: o.word('annealStrategy', ['cos', 'linear'] as const), divFactor: o.num('divFactor'), finalDivFactor: o.num('finalDivFactor'),
      threePhase: o.bool('threePhase'), cycleMomentum: o.bool('cycleMomentum'),
    }),
  },
  plateau: {
    required: [],
    label: 'ReduceLROnPlateau', interval: 'epoch', args: ['patience', 'factor'],
    help: 'plateau:PATIENCE[:FACTOR] — lr × FACTOR (default 0.1) when the validation loss (training loss without --val) has not improved for PATIENCE epochs',
    options: { patience: 'int', factor: 'number', threshold: 'number', thresholdMode: ['rel', 'abs'], cooldown: 'int', minLr: 'number', eps: 'number' },
    build: (opt, o) => new ReduceLROnPlateau(opt, {
      patience: o.num('patience'), factor: o.num('factor'), threshold: o.num('threshold'), thresholdMode: o.word('thresholdMode', ['rel', 'abs'] as const),
      cooldown: o.num('cooldown'), minLr: o.num('minLr'), eps: o.num('eps'),
    }),
  },
  warmup: {
    required: [],
    label: 'LinearLR', interval: 'step', args: ['totalIters', 'startFactor'],
    help: 'warmup:STEPS[:START_FACTOR] — lr rises linearly from START_FACTOR (default 1/3) × --lr to --lr over the first STEPS steps',
    options: { totalIters: 'int', startFactor: 'number', endFactor: 'number' },
    build: (opt, o) => new LinearLR(opt, { totalIters: o.num('totalIters'), startFactor: o.num('startFactor'), endFactor: o.num('endFactor') }),
  },
} satisfies Record<ScheduleName, ScheduleSpec>;

/** The registered schedule names, in definition order. */
export const SCHEDULE_NAMES: readonly ScheduleName[] = ownKeys(SCHEDULES);

function invalid(source: string, option: string, problem: string): never {
  throw new HandgradError(`${source}: ${option} ${problem}`, { code: 'invalid-option', subject: { option } });
}

function holds(kind: OptionKind, v: unknown): boolean {
  if (kind === 'int') return typeof v === 'number' && Number.isInteger(v);
  if (kind === 'number') return typeof v === 'number' && Number.isFinite(v);
  if (kind === 'ints') return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x));
  if (kind === 'bool') return typeof v === 'boolean';
  return kind.some((w) => w === v);
}

function describe(kind: OptionKind): string {
  if (kind === 'int') return 'an integer';
  if (kind === 'number') return 'a finite number';
  if (kind === 'ints') return 'a list of integers';
  if (kind === 'bool') return 'true or false';
  return `one of ${kind.join(', ')}`;
}

/** A scheduler for the context of a run; `config` is checked first (see resolveSchedule). */
export function buildSchedule(optimizer: Optimizer, config: ScheduleConfig, ctx: ScheduleContext, source = 'lrSchedule'): LRScheduler {
  const c = resolveSchedule(config, source);
  const spec: ScheduleSpec = SCHEDULES[c.type];
  return spec.build(optimizer, new Options(c), ctx);
}

/**
 * Checks a schedule config from outside (a config file, a checkpoint, code): a known type, only
 * the options it reads, each of the right kind, and the values its scheduler accepts (it is
 * built once on a scratch optimiser). Errors: HandgradError, code 'invalid-option', subject.option
 * 'lrSchedule' or 'lrSchedule.<option>'.
 */
export function resolveSchedule(config: unknown, source = 'lrSchedule', ctx: ScheduleContext = { epochs: 1, stepsPerEpoch: 1 }): ScheduleConfig {
  if (!isRecord(config)) return invalid(source, 'lrSchedule', `must be an object { type, …options }, got ${JSON.stringify(config) ?? 'nothing'}`);
  const type = config.type;
  if (!isOwnKey(SCHEDULES, type)) return invalid(source, 'lrSchedule', `type must be one of ${SCHEDULE_NAMES.join(', ')}, got ${JSON.stringify(type) ?? 'nothing'}`);
  const spec: ScheduleSpec = SCHEDULES[type];
  const out: ScheduleConfig = { type };
  for (const [key, v] of Object.entries(config)) {
    if (key === 'type') continue;
    if (!Object.hasOwn(spec.options, key)) invalid(source, `lrSchedule.${key.slice(0, 40)}`, `does not apply to ${type} (${spec.label} reads ${Object.keys(spec.options).join(', ')})`);
    const kind = spec.options[key]!;
    if (!holds(kind, v)) invalid(source, `lrSchedule.${key}`, `must be ${describe(kind)}, got ${JSON.stringify(v)}`);
    out[key] = Array.isArray(v) ? v.map(Number) : (v as ScheduleValue);
  }
  for (const key of spec.required) if (!Object.hasOwn(out, key)) invalid(source, `lrSchedule.${key}`, `is missing (${spec.help.split(' — ')[0]})`);
  try {
    spec.build(new SGD([scratchParameter()], { lr: 1 }), new Options(out), ctx);
  } catch (e) {
    if (!(e instanceof HandgradError)) throw e;
    const option = e.subject.option;
    throw new HandgradError(`${source}: lrSchedule: ${e.message}`, { code: 'invalid-option', subject: { option: typeof option === 'string' ? `lrSchedule.${option}` : 'lrSchedule' } });
  }
  return out;
}

function scratchParameter(): { name: string; value: Tensor; grad: Tensor } {
  return { name: 'scratch', value: new Tensor(new Float64Array(1), [1]), grad: new Tensor(new Float64Array(1), [1]) };
}

/**
 * The short form of the command line, 'name[:a[:b]]' with the entry's positional options
 * ('step:30:0.1', 'multistep:30,60:0.1', 'cosine', 'plateau:5:0.5', 'warmup:500'), as a config.
 */
export function parseSchedule(text: string, source = '--lr-schedule'): ScheduleConfig {
  const bad = (problem: string): never => {
    throw new HandgradError(`${source} ${problem}`, { code: 'invalid-option', subject: { option: 'lrSchedule' } });
  };
  const [name, ...args] = text.split(':');
  if (!isOwnKey(SCHEDULES, name)) return bad(`must start with one of ${SCHEDULE_NAMES.join(', ')}, got '${text.slice(0, 40)}'`);
  const spec: ScheduleSpec = SCHEDULES[name];
  if (args.length > spec.args.length) bad(`${name} takes at most ${spec.args.length} value${spec.args.length === 1 ? '' : 's'} (${spec.help.split(' — ')[0]}), got '${text.slice(0, 40)}'`);
  const config: ScheduleConfig = { type: name };
  args.forEach((raw, i) => {
    const option = spec.args[i]!;
    const kind = spec.options[option]!;
    const number = (s: string): number => (s.trim() === '' ? NaN : Number(s));
    const v = kind === 'ints' ? raw.split(',').map(number) : number(raw);
    if (!holds(kind, v)) bad(`${name}: ${option} must be ${describe(kind)}, got '${raw}' (${spec.help.split(' — ')[0]})`);
    config[option] = v;
  });
  return config;
}
