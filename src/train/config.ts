// What a training run is: the model spec, the optimiser and its hyper-parameters, the data, the
// seed. A TrainConfig is plain JSON; it is written to config.json and into every checkpoint, so
// a run can be resumed, evaluated or repeated from it alone. The process that runs it (which
// kernel backend, how many threads) is not part of it.
//
// Models are named by the model-kind registry (models/kinds.ts), built as LayerConfig objects
// through the one layer registry (layers/registry.ts), so a checkpoint rebuilds exactly the
// network that was trained; optimisers are named by the optimiser registry (optim/index.ts).

import { DROPOUT_MODES, type SequentialConfig, type LayerConfig } from '../layers/config.js';
import { Dropout, type DropoutMode } from '../layers/dropout.js';
import { layerFromConfig } from '../layers/registry.js';
import type { Module } from '../layers/module.js';
import { isOwnKey, isRecord } from '../lookup.js';
import { modelLayers, resolveModelSpec, storedModelSpec, type ModelSpec } from '../models/kinds.js';
import {
  OPTIMIZER_NAMES, isOptimizerName, resolveOptimizerHyper, resolveSchedule, type OptimizerHyper, type OptimizerName, type ScheduleConfig,
} from '../optim/index.js';
import { globalRandom, Random } from '../random.js';
import { HandgradError, shapeSize, shapeString } from '../tensor.js';

export type { OptimizerName } from '../optim/index.js';

/** How inputs are normalised, from the training split: 'none'; 'global' (one mean and std over every feature); 'per-feature' (one per feature). */
export type NormalizeMode = 'none' | 'global' | 'per-feature';
/** Every {@link NormalizeMode}. */
export const NORMALIZE_MODES: readonly NormalizeMode[] = ['none', 'global', 'per-feature'];

/**
 * A training run. The optimiser's hyper-parameters (lr, momentum, weightDecay, nesterov, betas,
 * eps, alpha, centered) are the ones its registry entry reads: after resolveConfig, exactly those
 * are present, each given or at the optimiser's default.
 */
export interface TrainConfig extends OptimizerHyper {
  /** The network: a registered model kind with its sizes, or layer configs. */
  model: ModelSpec;
  /** The data set: a registered name or a path (resolved by the data readers). */
  data: string;
  /** The optimiser by registry name (default 'sgd'). */
  optimizer: OptimizerName;
  /** Dropout probability after each hidden activation (0 = none). */
  dropout: number;
  /** Dropout's scaling, 'inverted' (default, PyTorch's) or 'cmu'. */
  dropoutMode: DropoutMode;
  /** Samples per minibatch (default 64). */
  batchSize: number;
  /** Passes over the training split (default 10). */
  epochs: number;
  /** Seeds the initial weights, the shuffling and the dropout masks (default 0). */
  seed: number;
  /** Input normalisation, computed on the training split. */
  normalize: NormalizeMode;
  /** The learning-rate schedule (optim/schedules.ts), or null for a constant lr. */
  lrSchedule: ScheduleConfig | null;
  /** Clip the gradients' total 2-norm to this before every step (0 = no clipping). */
  clipGradNorm: number;
  /** The fraction of the training data held out as a seeded validation split (0 = none). */
  val: number;
  /** Stop after this many epochs without a better validation loss, keeping the best epoch's weights (0 = never). */
  earlyStop: number;
}

/** The fields every run has, with their defaults (the optimiser's own come from its registry entry). */
const RUN_DEFAULTS = {
  model: { kind: 'mlp', hidden: [128], activation: 'relu' },
  data: 'mnist',
  optimizer: 'sgd',
  lr: 0.01,
  dropout: 0,
  dropoutMode: 'inverted',
  batchSize: 64,
  epochs: 10,
  seed: 0,
  normalize: 'global',
  lrSchedule: null,
  clipGradNorm: 0,
  val: 0,
  earlyStop: 0,
} as const satisfies Omit<TrainConfig, Exclude<keyof OptimizerHyper, 'lr'>>;

/** Fields of configs written by older versions that describe the process, not the run: dropped. */
const PROCESS_FIELDS = ['backend', 'threads'];
const OPTIMIZER_FIELDS: readonly (keyof OptimizerHyper)[] = ['lr', 'momentum', 'weightDecay', 'nesterov', 'betas', 'eps', 'alpha', 'centered'];

/**
 * Fills the defaults in and checks every field of a config (from code, a file or a checkpoint);
 * errors are HandgradErrors with code 'invalid-option' whose subject.option names the field
 * ('lr', 'model.hidden', …), and unknown fields are refused.
 */
export function resolveConfig(partial: Partial<TrainConfig> = {}): TrainConfig {
  const given: unknown = partial;
  const bad = (option: string, expected: string, got: unknown): never => {
    throw new HandgradError(`train config: ${option} must be ${expected}, got ${JSON.stringify(got) ?? 'nothing'}`, { code: 'invalid-option', subject: { option } });
  };
  if (!isRecord(given)) return bad('(the config)', 'an object', given);
  const field = (name: string): unknown => (Object.hasOwn(given, name) ? given[name] : undefined);
  for (const key of Object.keys(given)) {
    if (!isOwnKey(RUN_DEFAULTS, key) && !OPTIMIZER_FIELDS.some((f) => f === key) && !PROCESS_FIELDS.includes(key)) {
      throw new HandgradError(`train config: unknown field '${key.slice(0, 40)}'`, { code: 'invalid-option', subject: { option: key.slice(0, 40) } });
    }
  }
  const pick = (name: keyof typeof RUN_DEFAULTS): unknown => field(name) ?? RUN_DEFAULTS[name];
  const int = (name: 'batchSize' | 'epochs' | 'seed' | 'earlyStop', min: number, max: number): number => {
    const v = pick(name);
    return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : bad(name, `an integer in [${min}, ${max}]`, v);
  };
  const choice = <T extends string>(name: 'dropoutMode' | 'normalize', values: readonly T[]): T => {
    const v = pick(name);
    return values.find((c) => c === v) ?? bad(name, `one of ${values.join(', ')}`, v);
  };
  const data = pick('data');
  if (typeof data !== 'string' || data === '') bad('data', 'a data set name or path', data);
  const optimizer = pick('optimizer');
  if (!isOptimizerName(optimizer)) return bad('optimizer', `one of ${OPTIMIZER_NAMES.join(', ')}`, optimizer);
  const dropout = pick('dropout');
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) bad('dropout', 'a number in [0, 1)', dropout);
  const clip = pick('clipGradNorm');
  if (typeof clip !== 'number' || !Number.isFinite(clip) || clip < 0) bad('clipGradNorm', 'a number ≥ 0 (0: no clipping)', clip);
  const val = pick('val');
  if (typeof val !== 'number' || !(val >= 0 && val < 1)) bad('val', 'a fraction in [0, 1) (0: no validation split)', val);
  const earlyStop = int('earlyStop', 0, 2 ** 24);
  if (earlyStop > 0 && val === 0) {
    throw new HandgradError('train config: earlyStop needs a validation split (val > 0): early stopping never looks at the test set', { code: 'invalid-option', subject: { option: 'earlyStop' } });
  }
  const epochs = int('epochs', 1, 2 ** 24);
  const schedule = pick('lrSchedule');
  const lrSchedule = schedule === null ? null : resolveSchedule(schedule, 'train config', { epochs, stepsPerEpoch: 1 });
  const hyper: OptimizerHyper = { lr: partial.lr ?? RUN_DEFAULTS.lr };
  for (const key of OPTIMIZER_FIELDS) if (key !== 'lr' && field(key) !== undefined) copyHyper(hyper, partial, key);
  return {
    model: storedModelSpec(resolveModelSpec(pick('model'), 'train config')),
    data: String(data),
    optimizer,
    ...resolveOptimizerHyper(optimizer, hyper, 'train config'),
    dropout: Number(dropout),
    dropoutMode: choice('dropoutMode', DROPOUT_MODES),
    batchSize: int('batchSize', 1, 2 ** 24),
    epochs,
    seed: int('seed', 0, 2 ** 32 - 1),
    normalize: choice('normalize', NORMALIZE_MODES),
    lrSchedule,
    clipGradNorm: Number(clip),
    val: Number(val),
    earlyStop,
  };
}

function copyHyper<K extends keyof OptimizerHyper>(to: OptimizerHyper, from: Partial<OptimizerHyper>, key: K): void {
  const v = from[key];
  if (v !== undefined) to[key] = v;
}

/** The defaults: a bare `handgrad train` (784-128-10, SGD with momentum 0.9, on the embedded MNIST). */
export const DEFAULT_CONFIG: TrainConfig = resolveConfig();

/**
 * The LayerConfig of a model for samples of `sampleShape` ([features] or [channels, H, W]) and
 * `classes` outputs (MODEL_KINDS builds it). Dropout (p > 0) follows every hidden activation.
 */
export function modelConfig(spec: ModelSpec, sampleShape: readonly number[], classes: number, dropout = 0, dropoutMode: DropoutMode = 'inverted'): SequentialConfig {
  const config = modelLayers(spec, sampleShape, classes, { p: dropout, mode: dropoutMode });
  if (config.type !== 'Sequential') throw new HandgradError(`buildModel: the ${spec.kind} model is not a Sequential`);
  return config;
}

/**
 * The shape the loader gives the model for samples of `sampleShape`: [C, H, W] when the first
 * layer is a Conv2d (flat square samples [H·W] read as [1, H, W]), else flat [features].
 */
export function modelInputShape(config: LayerConfig, sampleShape: readonly number[]): number[] {
  const first = config.type === 'Sequential' ? config.layers[0] : config;
  const size = shapeSize(sampleShape);
  if (first?.type === 'Conv2d') {
    if (sampleShape.length === 3) return [...sampleShape];
    const side = Math.sqrt(size);
    if (!Number.isInteger(side)) throw new HandgradError(`buildModel: a convolutional model needs image samples, got samples of shape ${shapeString(sampleShape)}`);
    return [1, side, side];
  }
  return [size];
}

/** The first Linear or Conv2d of a model, depth first (the layer that fixes the input's size). */
function firstWeightedLayer(config: LayerConfig): LayerConfig | null {
  if (config.type === 'Linear' || config.type === 'Conv2d') return config;
  if (config.type !== 'Sequential') return null;
  for (const l of config.layers) {
    const f = firstWeightedLayer(l);
    if (f) return f;
  }
  return null;
}

/**
 * Throws unless the model takes samples of `sampleShape`: its first Linear takes as many features,
 * its first Conv2d as many channels. Checked on the config, before the model is built, so a model
 * too wide for the data is refused without allocating its weights.
 */
export function checkModelInput(config: LayerConfig, sampleShape: readonly number[], source: string): void {
  const input = modelInputShape(config, sampleShape);
  const first = firstWeightedLayer(config);
  const [wants, has] = first?.type === 'Linear' ? [first.inFeatures, input[input.length - 1]]
    : first?.type === 'Conv2d' ? [first.inChannels, input[0]] : [undefined, undefined];
  if (wants !== has) {
    const what = first?.type === 'Linear' ? 'features' : 'channels';
    throw new HandgradError(`${source}: the model's first layer takes ${wants} input ${what}, but the data's samples of shape ${shapeString(sampleShape)} have ${has}`);
  }
}

/** Options of building a model from a config. */
export interface BuildOptions {
  /** Dropout probability after each hidden activation (default 0: none). */
  dropout?: number;
  /** Dropout's scaling (default 'inverted'). */
  dropoutMode?: DropoutMode;
  /** The stream the initial weights are drawn from (advanced as it is used). Default: a new Random(0). */
  initRng?: Random;
  /** The stream every Dropout layer draws its masks from. Default: a new Random(1). */
  dropoutRng?: Random;
}

/**
 * Builds a model from a spec through the layer registry, drawing the initial weights from
 * `initRng` (layer by layer, in order, exactly as the constructors draw them) and giving every
 * Dropout layer `dropoutRng`.
 */
export function buildModel(spec: ModelSpec, sampleShape: readonly number[], classes: number, options: BuildOptions = {}): Module {
  return buildFromConfig(modelConfig(spec, sampleShape, classes, options.dropout ?? 0, options.dropoutMode ?? 'inverted'), options);
}

/** Builds a model from its LayerConfig (e.g. read back from config.json, checked first); see buildModel. */
export function buildFromConfig(config: LayerConfig, options: Pick<BuildOptions, 'initRng' | 'dropoutRng'> = {}): Module {
  const initRng = options.initRng ?? new Random(0);
  // The registry's constructors draw from the global stream; lend it initRng's state for the
  // build and give it its own state back afterwards, so building has no effect on it.
  const saved = globalRandom.getState();
  let model: Module;
  try {
    globalRandom.setState(initRng.getState());
    model = layerFromConfig(config);
    initRng.setState(globalRandom.getState());
  } finally {
    globalRandom.setState(saved);
  }
  const dropoutRng = options.dropoutRng ?? new Random(1);
  for (const d of dropoutLayers(model)) d.generator = dropoutRng;
  return model;
}

/** Every Dropout layer of a model, depth first. */
export function dropoutLayers(m: Module): Dropout[] {
  const out: Dropout[] = [];
  const walk = (x: Module): void => {
    if (x instanceof Dropout) out.push(x);
    for (const [, c] of x.children()) walk(c);
  };
  walk(m);
  return out;
}

/** The seeded streams of a run, derived from its one seed (the validation split's drawn once, when the run starts). */
export function runStreams(seed: number): { init: Random; shuffle: Random; dropout: Random; split: Random } {
  return { init: new Random(seed), shuffle: new Random(seed + 0x5eed0001), dropout: new Random(seed + 0x5eed0002), split: new Random(seed + 0x5eed0003) };
}

