// What a training run is: the model spec, the optimiser and its hyper-parameters, the data, the
// seed. A TrainConfig is plain JSON; it is written to config.json and into every checkpoint, so
// a run can be resumed, evaluated or repeated from it alone.
//
// Models are described as LayerConfig objects and built by the one layer registry
// (layers/registry.ts), so a checkpoint rebuilds exactly the network that was trained.

import type { DropoutMode } from '../layers/dropout.js';
import type { LayerConfig } from '../layers/module.js';
import { Dropout } from '../layers/dropout.js';
import { layerFromConfig } from '../layers/registry.js';
import type { Module } from '../layers/module.js';
import { ACTIVATION_NAMES, type ActivationName } from '../models/mlp.js';
import { globalRandom, Random } from '../random.js';
import { HandgradError, shapeSize, shapeString } from '../tensor.js';

export const MODEL_KINDS = ['mlp', 'single-layer-mlp', 'two-layer-mlp', 'cnn'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/**
 * A model by name.
 *   mlp:              in → [Linear → act → (Dropout)] × hidden.length → Linear → classes
 *   single-layer-mlp: the CMU SingleLayerMLP, one hidden ReLU layer (default width 60)
 *   two-layer-mlp:    the CMU TwoLayerMLP, two hidden ReLU layers (default 60, 60)
 *   cnn:              conv 1→8 3×3 pad 1, ReLU, maxpool 2, conv 8→16 3×3 pad 1, ReLU, maxpool 2,
 *                     flatten, linear 16·(H/4)·(W/4) → 64, ReLU, (Dropout), linear 64 → classes
 */
export interface ModelSpec {
  kind: ModelKind;
  /** Hidden widths (MLPs). */
  hidden?: number[];
  /** Hidden activation (MLPs). Default 'relu'. */
  activation?: ActivationName;
}

export type OptimizerName = 'sgd' | 'adam';
export type NormalizeMode = 'none' | 'global' | 'per-feature';

export interface TrainConfig {
  model: ModelSpec;
  /** The data set: a registered name or a path (resolved by the data readers). */
  data: string;
  optimizer: OptimizerName;
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  /** Dropout probability after each hidden activation (0 = none). */
  dropout: number;
  dropoutMode: DropoutMode;
  batchSize: number;
  epochs: number;
  seed: number;
  /** Input normalisation, computed on the training split. */
  normalize: NormalizeMode;
  /** Kernel backend: 'auto' (wasm when WebAssembly SIMD is there, else ref), 'ref' or 'wasm'. */
  backend: string;
  /** Threads for the backend (passed on; the reference backend ignores it). */
  threads?: number;
  /**
   * Always run the first layer on dense batches. Otherwise a first Linear layer runs on the
   * sparse form of data that is mostly one value (loader.ts: chooseInputPath), with the same
   * results up to float32 summation order. Default false.
   */
  dense?: boolean;
}

/** The defaults: a bare `handgrad train` (784-128-10 on the embedded MNIST). */
export const DEFAULT_CONFIG: TrainConfig = {
  model: { kind: 'mlp', hidden: [128], activation: 'relu' },
  data: 'mnist',
  optimizer: 'sgd',
  lr: 0.01,
  momentum: 0.9,
  weightDecay: 0,
  nesterov: false,
  dropout: 0,
  dropoutMode: 'inverted',
  batchSize: 64,
  epochs: 10,
  seed: 0,
  normalize: 'global',
  backend: 'auto',
  dense: false,
};

/** Fills the defaults in and checks every field; errors name the field and what was expected. */
export function resolveConfig(partial: Partial<TrainConfig> = {}): TrainConfig {
  const c: TrainConfig = { ...DEFAULT_CONFIG, ...partial, model: { ...(partial.model ?? DEFAULT_CONFIG.model) } };
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new HandgradError(`train config: ${field} must be ${expected}, got ${JSON.stringify(got)}`);
  };
  const num = (field: keyof TrainConfig, min: number, max = Infinity, maxExclusive = false, integer = false): void => {
    const v = c[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (maxExclusive ? v >= max : v > max) || (integer && !Number.isInteger(v))) {
      bad(field, `${integer ? 'an integer' : 'a number'} ${max === Infinity ? `≥ ${min}` : `in [${min}, ${max}${maxExclusive ? ')' : ']'}`}`, v);
    }
  };
  if (!MODEL_KINDS.includes(c.model.kind)) bad('model.kind', `one of ${MODEL_KINDS.join(', ')}`, c.model.kind);
  if (c.model.hidden !== undefined && (!Array.isArray(c.model.hidden) || !c.model.hidden.every((h) => Number.isInteger(h) && h >= 1))) {
    bad('model.hidden', 'a list of positive integers', c.model.hidden);
  }
  if (c.model.activation !== undefined && !ACTIVATION_NAMES.includes(c.model.activation)) bad('model.activation', `one of ${ACTIVATION_NAMES.join(', ')}`, c.model.activation);
  if (c.optimizer !== 'sgd' && c.optimizer !== 'adam') bad('optimizer', "'sgd' or 'adam'", c.optimizer);
  num('lr', 0);
  if (c.lr === 0) bad('lr', 'a number > 0', c.lr);
  num('momentum', 0, 1);
  num('weightDecay', 0);
  num('dropout', 0, 1, true);
  if (c.dropoutMode !== 'inverted' && c.dropoutMode !== 'cmu') bad('dropoutMode', "'inverted' or 'cmu'", c.dropoutMode);
  num('batchSize', 1, Infinity, false, true);
  num('epochs', 1, Infinity, false, true);
  num('seed', 0, 2 ** 32 - 1, false, true);
  if (c.normalize !== 'none' && c.normalize !== 'global' && c.normalize !== 'per-feature') bad('normalize', "'none', 'global' or 'per-feature'", c.normalize);
  if (typeof c.nesterov !== 'boolean') bad('nesterov', 'true or false', c.nesterov);
  if (c.nesterov && (c.optimizer !== 'sgd' || c.momentum === 0)) bad('nesterov', 'used only with sgd and a momentum > 0', c.nesterov);
  if (typeof c.backend !== 'string') bad('backend', "'auto', 'ref' or 'wasm'", c.backend);
  if (c.dense !== undefined && typeof c.dense !== 'boolean') bad('dense', 'true or false', c.dense);
  if (c.threads !== undefined) num('threads', 1, 1024, false, true);
  return c;
}

/**
 * The LayerConfig of a model for samples of `sampleShape` ([features] or [channels, H, W]) and
 * `classes` outputs. Dropout (p > 0) follows every hidden activation.
 */
export function modelConfig(spec: ModelSpec, sampleShape: readonly number[], classes: number, dropout = 0, dropoutMode: DropoutMode = 'inverted'): LayerConfig {
  if (!Number.isInteger(classes) || classes < 2) throw new HandgradError(`buildModel: expected at least 2 classes, got ${classes}`);
  const layers: LayerConfig[] = [];
  const drop = (): void => {
    if (dropout > 0) layers.push({ type: 'Dropout', p: dropout, mode: dropoutMode });
  };
  const act = (name: ActivationName): LayerConfig => {
    switch (name) {
      case 'relu': return { type: 'ReLU' };
      case 'leaky-relu': return { type: 'LeakyReLU' };
      case 'sigmoid': return { type: 'Sigmoid' };
      case 'tanh': return { type: 'Tanh' };
      case 'gelu': return { type: 'GELU' };
      case 'gelu-tanh': return { type: 'GELU', approximate: 'tanh' };
      case 'softplus': return { type: 'Softplus' };
      case 'identity': return { type: 'Identity' };
    }
  };
  if (spec.kind === 'cnn') {
    if (sampleShape.length !== 3 && !(sampleShape.length === 1 && Number.isInteger(Math.sqrt(sampleShape[0]!)))) {
      throw new HandgradError(`buildModel: the cnn needs image samples [channels, height, width], got samples of shape ${shapeString(sampleShape)}`);
    }
    // Flat square samples ([784]) are read as [1, 28, 28].
    const [C, H, W] = sampleShape.length === 3 ? (sampleShape as [number, number, number]) : [1, Math.sqrt(sampleShape[0]!), Math.sqrt(sampleShape[0]!)];
    if (H < 4 || W < 4) throw new HandgradError(`buildModel: the cnn needs images of at least 4×4, got ${H}×${W}`);
    // Two 'same' convolutions keep H×W; each 2×2 max-pool halves it (rounding down).
    const flat = 16 * Math.floor(Math.floor(H / 2) / 2) * Math.floor(Math.floor(W / 2) / 2);
    layers.push(
      { type: 'Conv2d', inChannels: C, outChannels: 8, kernelSize: [3, 3], stride: [1, 1], padding: [1, 1] },
      { type: 'ReLU' },
      { type: 'MaxPool2d', kernelSize: [2, 2] },
      { type: 'Conv2d', inChannels: 8, outChannels: 16, kernelSize: [3, 3], stride: [1, 1], padding: [1, 1] },
      { type: 'ReLU' },
      { type: 'MaxPool2d', kernelSize: [2, 2] },
      { type: 'Flatten' },
      { type: 'Linear', inFeatures: flat, outFeatures: 64 },
      { type: 'ReLU' },
    );
    drop();
    layers.push({ type: 'Linear', inFeatures: 64, outFeatures: classes });
    return { type: 'Sequential', layers };
  }
  const defaults: Record<string, number[]> = { mlp: [128], 'single-layer-mlp': [60], 'two-layer-mlp': [60, 60] };
  const hidden = spec.hidden ?? defaults[spec.kind]!;
  if (spec.kind === 'single-layer-mlp' && hidden.length !== 1) throw new HandgradError(`buildModel: single-layer-mlp has one hidden layer, got widths ${hidden.join(',')}`);
  if (spec.kind === 'two-layer-mlp' && hidden.length !== 2) throw new HandgradError(`buildModel: two-layer-mlp has two hidden layers, got widths ${hidden.join(',')}`);
  const activation = spec.kind === 'mlp' ? spec.activation ?? 'relu' : 'relu';
  // MLPs take flat samples (the loader lays images out as [B, C·H·W], see modelInputShape), so
  // the parameter names match PyTorch's nn.Sequential of Linear layers: "0.weight", "2.weight", …
  let width = shapeSize(sampleShape);
  for (const h of hidden) {
    layers.push({ type: 'Linear', inFeatures: width, outFeatures: h }, act(activation));
    drop();
    width = h;
  }
  layers.push({ type: 'Linear', inFeatures: width, outFeatures: classes });
  return { type: 'Sequential', layers };
}

/**
 * The shape the loader gives the model for samples of `sampleShape`: [C, H, W] when the first
 * layer is a Conv2d (flat square samples [H·W] read as [1, H, W]), else flat [features].
 */
export function modelInputShape(config: LayerConfig, sampleShape: readonly number[]): number[] {
  const first = Array.isArray(config.layers) ? (config.layers as LayerConfig[])[0] : config;
  const size = shapeSize(sampleShape);
  if (first?.type === 'Conv2d') {
    if (sampleShape.length === 3) return [...sampleShape];
    const side = Math.sqrt(size);
    if (!Number.isInteger(side)) throw new HandgradError(`buildModel: a convolutional model needs image samples, got samples of shape ${shapeString(sampleShape)}`);
    return [1, side, side];
  }
  return [size];
}

export interface BuildOptions {
  dropout?: number;
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

/** Builds a model from its LayerConfig (e.g. read back from config.json); see buildModel. */
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

/** The three seeded streams of a run, derived from its one seed. */
export function runStreams(seed: number): { init: Random; shuffle: Random; dropout: Random } {
  return { init: new Random(seed), shuffle: new Random(seed + 0x5eed0001), dropout: new Random(seed + 0x5eed0002) };
}
