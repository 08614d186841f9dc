// The model bundle: one safetensors file that holds a trained classifier whole, so that `eval`,
// `predict`, `dream`, the playground and PyTorch can use it with nothing beside it.
//
//   tensors      the model's state dict under PyTorch's names ("0.weight", "0.bias", …), so
//                safetensors.torch.load_file + load_state_dict fills the same nn.Sequential
//   __metadata__ (strings; JSON where structured)
//     format         "handgrad-model"
//     version        "1"
//     model          the LayerConfig that rebuilds the network through the layer registry
//     normalization  {mode, mean, std}: x ↦ (x − mean) / std, applied to every input
//     classes        the class names, index = label
//     data           {name, sampleShape, spec?, dataDir?, trainSize?, testSize?}: the data set
//     epoch          completed epochs (optional)
//     training       how it was trained, e.g. the TrainConfig (optional, free-form JSON)
//
// Browser-safe: bytes in, bytes out. Node's file wrappers are in bundle-node.ts.

import { checkFinite, readSafetensors, writeSafetensors } from '../io/safetensors.js';
import type { LayerConfig, Module } from '../layers/module.js';
import { HandgradError, Tensor, shapeSize, shapeString } from '../tensor.js';
import { validateLayerConfig } from '../layers/config.js';
import { buildFromConfig, checkModelInput, modelInputShape } from './config.js';
import { checkNormalization, type Normalization } from './loader.js';
import { loadWeights, type TrainingSession } from './loop.js';

/** The `format` metadata of a model bundle. */
export const BUNDLE_FORMAT = 'handgrad-model';
const BUNDLE_VERSION = '1';
const NORMALIZE_MODES: readonly string[] = ['none', 'global', 'per-feature'];
/** Samples larger than this (2²⁴ values, 64 MB as float32) are refused before anything is built. */
const MAX_SAMPLE_SIZE = 2 ** 24;

/** The data set a bundled model was trained on: what evaluating it again or feeding it needs. */
export interface BundleData {
  /** Short name: 'mnist', 'fashion-mnist', a file's name. */
  name: string;
  /** The shape of one sample as the data set stores it ([1, 28, 28], [784]). */
  sampleShape: number[];
  /** How to load it again: a registered name or a path. */
  spec?: string;
  /** The folder its files were found in. */
  dataDir?: string;
  /** Samples in its training split. */
  trainSize?: number;
  /** Samples in its test split. */
  testSize?: number;
}

/** Everything a bundle holds besides the network itself. */
export interface ModelInfo {
  /** The input normalisation the model was trained with. */
  normalization: Normalization;
  /** Class names, index = label; one per output of the model. */
  classes: string[];
  /** The data set it was trained on. */
  data: BundleData;
  /** Completed epochs. */
  epoch?: number;
  /** How the model was trained (a TrainConfig, the playground's settings): JSON, kept as given. */
  training?: Readonly<Record<string, unknown>>;
}

/** A model read back from a bundle, in eval mode. */
export interface LoadedModel extends ModelInfo {
  /** The network, rebuilt and filled with the bundle's weights, in eval mode. */
  model: Module;
  /** The LayerConfig it was built from. */
  config: LayerConfig;
  /** The shape of one sample as the model takes it: flat [features] for MLPs, [C, H, W] for CNNs. */
  inputShape: number[];
}

/**
 * Serialises a trained model and what it needs to be used again (normalisation, class names,
 * data set) into one safetensors file. The weights keep PyTorch's state-dict names, so the file
 * also loads into the equivalent torch `nn.Sequential`. Browser-safe; see `saveModelFile` for Node.
 *
 * @example
 *   const bytes = saveModel(session.model, sessionModelInfo(session));
 *   const { model, normalization, classes } = loadModel(bytes);
 */
export function saveModel(model: Module, info: ModelInfo): Uint8Array {
  const checked = checkInfo(info, 'saveModel');
  const metadata: Record<string, string> = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    model: JSON.stringify(model.config()),
    normalization: JSON.stringify(checked.normalization),
    classes: JSON.stringify(checked.classes),
    data: JSON.stringify(checked.data),
  };
  if (checked.epoch !== undefined) metadata.epoch = String(checked.epoch);
  if (checked.training !== undefined) metadata.training = JSON.stringify(checked.training);
  return writeSafetensors(model.stateDict(), metadata);
}

/**
 * Reads a bundle written by `saveModel` (or `handgrad train`'s model.safetensors): checks the
 * safetensors header, that every weight is finite (checkFinite) and every metadata field,
 * rebuilds the network through the layer registry, loads the weights by name (every tensor
 * present, with its exact shape) and checks that the model maps a sample of the data set's shape
 * to one output per class. The model is in eval mode. `source` names the file in error messages.
 */
export function loadModel(bytes: Uint8Array, source = 'model bundle'): LoadedModel {
  const file = readSafetensors(bytes, source);
  checkFinite(file.tensors, source);
  const meta = file.metadata;
  const fail = (message: string): never => {
    throw new HandgradError(`${source}: ${message}`);
  };
  if (meta.format !== BUNDLE_FORMAT) {
    fail(meta.format === undefined
      ? `not a handgrad model bundle: its metadata has no "format" (expected "${BUNDLE_FORMAT}")`
      : `not a handgrad model bundle: its "format" is ${JSON.stringify(meta.format)}, expected "${BUNDLE_FORMAT}"`);
  }
  if (meta.version !== BUNDLE_VERSION) fail(`bundle version ${JSON.stringify(meta.version)}, expected "${BUNDLE_VERSION}"`);
  const json = (key: string, required: boolean): unknown => {
    const text = meta[key];
    if (text === undefined) return required ? fail(`the metadata has no "${key}"`) : undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      return fail(`the "${key}" metadata is not valid JSON (${(e as Error).message})`);
    }
  };
  const config = json('model', true);
  if (!isRecord(config) || typeof config.type !== 'string') fail('the "model" metadata must be a layer config: an object with a "type"');
  let epoch: number | undefined;
  if (meta.epoch !== undefined) {
    epoch = Number(meta.epoch);
    if (!/^\d+$/.test(meta.epoch) || !Number.isSafeInteger(epoch)) fail(`"epoch" must be a non-negative integer, got ${JSON.stringify(meta.epoch)}`);
  }
  const training = json('training', false);
  const info = checkInfo({
    normalization: json('normalization', true) as Normalization,
    classes: json('classes', true) as string[],
    data: json('data', true) as BundleData,
    ...(epoch !== undefined ? { epoch } : {}),
    ...(training !== undefined ? { training: training as Record<string, unknown> } : {}),
  }, source);
  // the network is checked against the schema and the data's samples before it is built
  const layerConfig = validateLayerConfig(config, `${source}: model`);
  const inputShape = modelInputShape(layerConfig, info.data.sampleShape);
  checkModelInput(layerConfig, info.data.sampleShape, source);
  const model = buildFromConfig(layerConfig);
  loadWeights(model, file.tensors, source);
  model.eval();
  const out = model.forward(Tensor.zeros([1, ...inputShape])).shape;
  if (out.length !== 2 || out[1] !== info.classes.length) {
    fail(`the model maps a sample of shape ${shapeString(inputShape)} to an output of shape ${shapeString(out)}, but the bundle names ${info.classes.length} classes`);
  }
  return { ...info, model, config: layerConfig, inputShape };
}

/** The ModelInfo of a training session: its normalisation, classes, data set, epochs and config. */
export function sessionModelInfo(session: TrainingSession, dataDir?: string): ModelInfo {
  const d = session.data;
  return {
    normalization: session.normalization,
    classes: [...d.classes],
    data: {
      name: d.name, sampleShape: [...d.sampleShape], spec: session.config.data,
      ...(dataDir !== undefined ? { dataDir } : {}), trainSize: d.train.n, testSize: d.test.n,
    },
    epoch: session.epoch,
    training: { ...session.config },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks every field of a ModelInfo (read from a file or given to saveModel); errors start with `source`. */
function checkInfo(info: ModelInfo, source: string): ModelInfo {
  const fail = (message: string): never => {
    throw new HandgradError(`${source}: ${message}`);
  };
  if (!isRecord(info)) fail('expected the model info {normalization, classes, data}');
  const { classes, data, normalization, epoch, training } = info;
  if (!Array.isArray(classes) || classes.length < 1 || !classes.every((c) => typeof c === 'string')) {
    fail(`"classes" must be a non-empty list of class names (strings), got ${String(JSON.stringify(classes)).slice(0, 80)}`);
  }
  if (!isRecord(data) || typeof data.name !== 'string') fail('"data" must be an object with the data set\'s "name" and "sampleShape"');
  const shape = data.sampleShape;
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 4 || !shape.every((d) => Number.isInteger(d) && d >= 1) || shapeSize(shape) > MAX_SAMPLE_SIZE) {
    fail(`"data.sampleShape" must be 1 to 4 positive integers with a product ≤ 2^24, got ${String(JSON.stringify(shape)).slice(0, 80)}`);
  }
  for (const key of ['spec', 'dataDir'] as const) if (data[key] !== undefined && typeof data[key] !== 'string') fail(`"data.${key}" must be a string`);
  for (const key of ['trainSize', 'testSize'] as const) {
    const v = data[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) fail(`"data.${key}" must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  const numbers = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!isRecord(normalization) || !NORMALIZE_MODES.includes(normalization.mode) || !numbers(normalization.mean) || !numbers(normalization.std)) {
    fail(`"normalization" must be {mode: ${NORMALIZE_MODES.join(' | ')}, mean: [numbers], std: [numbers]}`);
  }
  checkNormalization(normalization, shapeSize(shape), `${source}: "normalization"`);
  if (epoch !== undefined && !(Number.isSafeInteger(epoch) && epoch >= 0)) fail(`"epoch" must be a non-negative integer, got ${epoch}`);
  if (training !== undefined && !isRecord(training)) fail('"training" must be a JSON object');
  return {
    normalization: { mode: normalization.mode, mean: [...normalization.mean], std: [...normalization.std] },
    classes: [...classes],
    data: { ...data, sampleShape: [...shape] },
    ...(epoch !== undefined ? { epoch } : {}),
    ...(training !== undefined ? { training } : {}),
  };
}
