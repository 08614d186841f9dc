// The flags of `handgrad train` that set a field of the TrainConfig, each declared once with the
// field it sets, its parser and its help: the command's options, the config, the check that a
// resumed run's typed flags agree with its checkpoint, and the wording of config errors all
// derive from this table.

import type { Command } from 'commander';
import { HandgradError, nn, optim, training } from '../index.js';
import { UsageError } from './errors.js';
import { parseChoice, parseIntList, parseNumber, typedOnCommandLine, SEED_RULE, DATA_HELP, type BackendFlags } from './flags.js';

type TrainConfig = training.TrainConfig;
const DEFAULT_CONFIG = training.DEFAULT_CONFIG;

/** A TrainConfig being filled from the flags. */
interface Draft {
  model: Partial<training.ModelSpec>;
  rest: Partial<Omit<TrainConfig, 'model'>>;
}

/**
 * A flag that sets a field of the TrainConfig: declared once with the field it sets, its parser
 * and help; the resume checks and the wording of config errors derive from it.
 */
interface ConfigFlag {
  /** commander's option spec, e.g. '--lr <x>' (a switch has no <value>) */
  spec: string;
  /** The config field it sets, as the library names it in errors ('lr', 'model.hidden'). */
  field: string;
  help: string;
  default?: string;
  /** Fixed by a run's checkpoint: with --resume a typed value must agree with the run's. */
  fixedOnResume: boolean;
  apply(raw: string | true, d: Draft): void;
  /** The run's value differs from this typed one: the run's value as text, else null. */
  differs(raw: string | true, c: TrainConfig): string | null;
}

function configFlag<T>(
  spec: string, field: string, help: string, dflt: T | undefined, parse: (raw: string | true) => T, read: (c: TrainConfig) => T | undefined,
  write: (d: Draft, v: T) => void, fixedOnResume = true,
): ConfigFlag {
  return {
    spec, field, help, fixedOnResume, ...(dflt !== undefined ? { default: String(dflt) } : {}),
    apply: (raw, d) => write(d, parse(raw)),
    differs: (raw, c) => {
      const theirs = read(c);
      return JSON.stringify(parse(raw)) === JSON.stringify(theirs) ? null : theirs === undefined ? `none (${c.optimizer} does not read it)` : String(theirs);
    },
  };
}

const text = (raw: string | true): string => String(raw);
const MAX_WIDTH = 100_000;
const { MODEL_KINDS, MODEL_KIND_NAMES } = training;
const { OPTIMIZERS, OPTIMIZER_NAMES } = optim;

export const CONFIG_FLAGS: readonly ConfigFlag[] = [
  configFlag('--model <kind>', 'model.kind', `model: ${MODEL_KIND_NAMES.map((k) => `${k} (${MODEL_KINDS[k].help})`).join('; ')}`, DEFAULT_CONFIG.model.kind,
    (r) => parseChoice('--model', text(r), MODEL_KIND_NAMES), (c) => c.model.kind, (d, v) => (d.model.kind = v)),
  configFlag('--hidden <widths>', 'model.hidden', "hidden layer widths, e.g. 60,60 (default: the model's, 128 for mlp)", undefined,
    (r) => parseIntList('--hidden', text(r), MAX_WIDTH), (c) => c.model.hidden, (d, v) => (d.model.hidden = v)),
  configFlag('--activation <name>', 'model.activation', `hidden activation of mlp and nyu: ${nn.ACTIVATION_NAMES.join(', ')}`, 'relu',
    (r) => parseChoice('--activation', text(r), nn.ACTIVATION_NAMES), (c) => c.model.activation ?? 'relu', (d, v) => (d.model.activation = v)),
  configFlag('--data <name|path>', 'data', DATA_HELP, DEFAULT_CONFIG.data, text, (c) => c.data, (d, v) => (d.rest.data = v)),
  configFlag('--optimizer <name>', 'optimizer', `optimizer: ${OPTIMIZER_NAMES.map((k) => `${k} (${OPTIMIZERS[k].help})`).join('; ')}`, DEFAULT_CONFIG.optimizer,
    (r) => parseChoice('--optimizer', text(r), OPTIMIZER_NAMES), (c) => c.optimizer, (d, v) => (d.rest.optimizer = v)),
  configFlag('--lr <x>', 'lr', 'learning rate', DEFAULT_CONFIG.lr,
    (r) => parseNumber('--lr', text(r), { min: 0, minExclusive: true }), (c) => c.lr, (d, v) => (d.rest.lr = v)),
  configFlag('--momentum <x>', 'momentum', `momentum in [0, 1] of sgd (default ${OPTIMIZERS.sgd.defaults.momentum}) and rmsprop (default ${OPTIMIZERS.rmsprop.defaults.momentum})`, undefined,
    (r) => parseNumber('--momentum', text(r), { min: 0, max: 1 }), (c) => c.momentum, (d, v) => (d.rest.momentum = v)),
  configFlag('--weight-decay <x>', 'weightDecay', `weight decay (default ${OPTIMIZERS.sgd.defaults.weightDecay}; adamw ${OPTIMIZERS.adamw.defaults.weightDecay})`, undefined,
    (r) => parseNumber('--weight-decay', text(r), { min: 0 }), (c) => c.weightDecay, (d, v) => (d.rest.weightDecay = v)),
  configFlag('--nesterov', 'nesterov', 'Nesterov momentum (sgd)', undefined, (r) => r === true, (c) => c.nesterov, (d, v) => (d.rest.nesterov = v)),
  configFlag('--dropout <p>', 'dropout', 'dropout probability after each hidden activation, in [0, 1)', DEFAULT_CONFIG.dropout,
    (r) => parseNumber('--dropout', text(r), { min: 0, max: 1, maxExclusive: true }), (c) => c.dropout, (d, v) => (d.rest.dropout = v)),
  configFlag('--dropout-mode <mode>', 'dropoutMode', 'inverted (PyTorch: scale by 1/(1-p) in training) or cmu (scale by 1-p at inference)', DEFAULT_CONFIG.dropoutMode,
    (r) => parseChoice('--dropout-mode', text(r), ['inverted', 'cmu'] as const), (c) => c.dropoutMode, (d, v) => (d.rest.dropoutMode = v)),
  configFlag('--batch-size <n>', 'batchSize', 'minibatch size', DEFAULT_CONFIG.batchSize,
    (r) => parseNumber('--batch-size', text(r), { min: 1, max: 1_000_000, integer: true }), (c) => c.batchSize, (d, v) => (d.rest.batchSize = v)),
  configFlag('--epochs <n>', 'epochs', 'number of epochs (with --resume: the total the run is continued to)', DEFAULT_CONFIG.epochs,
    (r) => parseNumber('--epochs', text(r), { min: 1, integer: true }), (c) => c.epochs, (d, v) => (d.rest.epochs = v), false),
  configFlag('--seed <n>', 'seed', 'seed of the initial weights, the shuffling and the dropout masks', DEFAULT_CONFIG.seed,
    (r) => parseNumber('--seed', text(r), SEED_RULE), (c) => c.seed, (d, v) => (d.rest.seed = v)),
  configFlag('--lr-schedule <spec>', 'lrSchedule', `learning-rate schedule: ${optim.SCHEDULE_NAMES.map((k) => optim.SCHEDULES[k].help).join('; ')}`, undefined,
    parseSchedule, (c) => c.lrSchedule ?? undefined, (d, v) => (d.rest.lrSchedule = v)),
  configFlag('--clip-grad-norm <x>', 'clipGradNorm', "clip the gradients' total 2-norm to x before every step (default: no clipping)", undefined,
    (r) => parseNumber('--clip-grad-norm', text(r), { min: 0, minExclusive: true }), (c) => c.clipGradNorm, (d, v) => (d.rest.clipGradNorm = v)),
  configFlag('--val <fraction>', 'val', 'hold out this fraction of the training data (seeded) for validation metrics and --early-stop (default: none)', undefined,
    (r) => parseNumber('--val', text(r), { min: 0, minExclusive: true, max: 1, maxExclusive: true }), (c) => c.val, (d, v) => (d.rest.val = v)),
  configFlag('--early-stop <patience>', 'earlyStop', 'stop after this many epochs without a better validation loss and keep the best epoch\'s weights (needs --val)', undefined,
    (r) => parseNumber('--early-stop', text(r), { min: 1, integer: true }), (c) => c.earlyStop, (d, v) => (d.rest.earlyStop = v)),
  configFlag('--batch-norm', 'model.batchNorm', 'BatchNorm after every hidden Linear / convolution, before the activation', undefined,
    (r) => r === true, (c) => c.model.batchNorm ?? false, (d, v) => (d.model.batchNorm = v)),
  configFlag('--normalize <mode>', 'normalize', 'input normalisation from the training split: none, global, per-feature', DEFAULT_CONFIG.normalize,
    (r) => parseChoice('--normalize', text(r), training.NORMALIZE_MODES), (c) => c.normalize, (d, v) => (d.rest.normalize = v)),
];

/** --lr-schedule's short form ('step:30:0.1', 'cosine', …) as a checked schedule config. */
function parseSchedule(raw: string | true): optim.ScheduleConfig {
  try {
    return optim.resolveSchedule(optim.parseSchedule(text(raw), '--lr-schedule'), '--lr-schedule');
  } catch (e) {
    throw e instanceof HandgradError ? new UsageError(e.message) : e;
  }
}

/** The flag of a spec: '--weight-decay <x>' → '--weight-decay'. */
function keyFlag(spec: string): string {
  return spec.split(' ')[0]!;
}

/** commander's key of a flag: '--weight-decay <x>' → 'weightDecay'. */
function keyOf(spec: string): string {
  return keyFlag(spec).replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export interface TrainFlags extends BackendFlags {
  dataDir?: string;
  out?: string;
  name?: string;
  resume?: boolean;
  quiet?: boolean;
  progress?: boolean;
  [config: string]: string | boolean | undefined;
}

/** Turns the flags into a TrainConfig; every bad value is a UsageError naming the flag. */
export function configFromFlags(f: TrainFlags): TrainConfig {
  const d: Draft = { model: {}, rest: {} };
  for (const flag of CONFIG_FLAGS) {
    const raw = f[keyOf(flag.spec)];
    if (raw !== undefined && raw !== false) flag.apply(raw, d);
  }
  const kind = d.model.kind ?? DEFAULT_CONFIG.model.kind;
  // --activation has a default; only a kind that reads it gets it, and a typed one elsewhere is refused
  const { activation = 'relu', ...model } = d.model;
  const reads = MODEL_KINDS[kind].reads.activation;
  if (!reads && activation !== 'relu') throw new UsageError(`--activation applies to --model ${MODEL_KIND_NAMES.filter((k) => MODEL_KINDS[k].reads.activation).join(' and ')} (${kind} uses relu)`);
  try {
    return training.resolveConfig({ ...d.rest, model: { ...model, kind, ...(reads ? { activation } : {}) } });
  } catch (e) {
    throw configError(e);
  }
}

/** A config error as the command line says it: 'train config: lr must be …' → '--lr must be …'. */
function configError(e: unknown): unknown {
  if (!(e instanceof HandgradError)) return e;
  const option = e.code === 'invalid-option' ? e.subject.option : undefined;
  const flag = CONFIG_FLAGS.find((f) => f.field === option || (typeof option === 'string' && option.startsWith(`${f.field}.`)));
  if (typeof option !== 'string' || !flag) return new UsageError(e.message);
  return new UsageError(e.message.replace(`train config: ${option} `, `${keyFlag(flag.spec)} `));
}

/** With --resume: the run's config `saved`, where every flag typed on the command line must agree with it. */
export function resumedConfig(saved: TrainConfig, config: TrainConfig, f: TrainFlags, cmd: Command): TrainConfig {
  for (const flag of CONFIG_FLAGS) {
    const key = keyOf(flag.spec);
    const raw = f[key];
    if (!flag.fixedOnResume || !typedOnCommandLine(cmd, key) || raw === undefined || raw === false) continue;
    const theirs = flag.differs(raw, saved);
    if (theirs !== null) {
      throw new UsageError(`--resume: ${keyFlag(flag.spec)} ${String(raw)} differs from the run's ${theirs}; resume with the run's settings or start a new run`);
    }
  }
  return { ...saved, epochs: typedOnCommandLine(cmd, 'epochs') ? config.epochs : saved.epochs };
}
