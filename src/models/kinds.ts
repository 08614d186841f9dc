// The models a training run builds by name: MODEL_KINDS, one vocabulary for the command line,
// the training config and the playground. Each entry says which options of a ModelSpec it reads,
// builds the model's LayerConfig for the data's sample shape and number of classes, and names the
// loss the model trains with (the NYU net with g = σ trains with BCE on one-hot targets).
// With batchNorm, a BatchNorm1d follows every hidden Linear and a BatchNorm2d every convolution,
// before the activation (the placement of Ioffe and Szegedy and of torchvision's models); the
// Linear or Conv2d before it keeps its bias.

import { ACTIVATIONS, type ActivationName } from '../layers/activations.js';
import { MAX_SIZE, type LayerConfig } from '../layers/config.js';
import type { DropoutMode } from '../layers/dropout.js';
import { HandgradError } from '../errors.js';
import { isOwnKey, isRecord, ownKeys } from '../lookup.js';
import { shapeSize, shapeString } from '../tensor.js';

/** The model kinds by name: 'mlp' (any hidden widths), the CMU 'single-layer-mlp' and 'two-layer-mlp', the NYU 'nyu' net, and 'cnn'. */
export type ModelKind = 'mlp' | 'single-layer-mlp' | 'two-layer-mlp' | 'nyu' | 'cnn';
/** The NYU net's g. */
export type OutputActivation = 'identity' | 'sigmoid';
/** What a model trains against: class indices (softmax cross-entropy) or one-hot rows (BCE). */
export type LossKind = 'cross-entropy' | 'bce-one-hot';

/** A model by name, with the options its kind reads. */
export interface ModelSpec {
  /** The kind of model. */
  kind: ModelKind;
  /** Hidden widths (the MLPs and the NYU net). */
  hidden?: number[];
  /** The hidden activation: after every hidden Linear of 'mlp', the NYU net's f. Default 'relu'. */
  activation?: ActivationName;
  /** The NYU net's g: 'identity' (the outputs are logits) or 'sigmoid'. Default 'identity'. */
  output?: OutputActivation;
  /** A BatchNorm after every hidden Linear / convolution, before its activation. Default false. */
  batchNorm?: boolean;
}

/** A spec with every option its kind reads filled in. */
export interface ResolvedModelSpec {
  kind: ModelKind;
  hidden: number[];
  activation: ActivationName;
  output: OutputActivation;
  batchNorm: boolean;
}

export interface Dropout {
  /** Probability after each hidden activation (0: no Dropout layer). */
  p: number;
  mode: DropoutMode;
}

/** What the {@link MODEL_KINDS} registry holds for each kind. */
export interface ModelKindSpec {
  /** The name in menus. */
  readonly label: string;
  /** One line for the command line's help. */
  readonly help: string;
  /** How many hidden widths it takes: exactly this many, 'any' (one or more), 0 (none). */
  readonly hiddenLayers: number | 'any';
  /** The hidden widths when the spec gives none. */
  readonly defaultHidden: readonly number[];
  /** Whether it reads spec.activation and spec.output. */
  readonly reads: { readonly activation: boolean; readonly output: boolean };
  /** The model for samples of `sampleShape` ([features] or [channels, H, W]) and `classes` outputs. */
  layers(spec: ResolvedModelSpec, sampleShape: readonly number[], classes: number, dropout: Dropout): LayerConfig;
  /** What the model trains against. */
  loss(spec: ResolvedModelSpec): LossKind;
}

/** Linear → (BatchNorm1d) → act → (Dropout) per hidden width, then Linear → classes; flat samples. */
function perceptron(spec: ResolvedModelSpec, sampleShape: readonly number[], classes: number, dropout: Dropout, act: ActivationName): LayerConfig[] {
  const layers: LayerConfig[] = [];
  let width = shapeSize(sampleShape);
  for (const h of spec.hidden) {
    layers.push({ type: 'Linear', inFeatures: width, outFeatures: h });
    if (spec.batchNorm) layers.push({ type: 'BatchNorm1d', numFeatures: h });
    layers.push(ACTIVATIONS[act].layer);
    if (dropout.p > 0) layers.push({ type: 'Dropout', p: dropout.p, mode: dropout.mode });
    width = h;
  }
  layers.push({ type: 'Linear', inFeatures: width, outFeatures: classes });
  return layers;
}

const crossEntropy = (): LossKind => 'cross-entropy';

/** The registry of model kinds by {@link ModelKind}. */
export const MODEL_KINDS = {
  mlp: {
    label: 'MLP (Linear → activation per hidden width → Linear)',
    help: 'in → [Linear → (BN) → activation → (Dropout)] per --hidden width → Linear → classes',
    hiddenLayers: 'any', defaultHidden: [128], reads: { activation: true, output: false },
    layers: (spec, shape, classes, dropout) => ({ type: 'Sequential', layers: perceptron(spec, shape, classes, dropout, spec.activation) }),
    loss: crossEntropy,
  },
  'single-layer-mlp': {
    label: 'SingleLayerMLP (in → h → classes, ReLU)',
    help: 'the CMU SingleLayerMLP: one hidden ReLU layer (default width 60)',
    hiddenLayers: 1, defaultHidden: [60], reads: { activation: false, output: false },
    layers: (spec, shape, classes, dropout) => ({ type: 'Sequential', layers: perceptron(spec, shape, classes, dropout, 'relu') }),
    loss: crossEntropy,
  },
  'two-layer-mlp': {
    label: 'TwoLayerMLP (in → h → h → classes, ReLU)',
    help: 'the CMU TwoLayerMLP: two hidden ReLU layers (default 60, 60)',
    hiddenLayers: 2, defaultHidden: [60, 60], reads: { activation: false, output: false },
    layers: (spec, shape, classes, dropout) => ({ type: 'Sequential', layers: perceptron(spec, shape, classes, dropout, 'relu') }),
    loss: crossEntropy,
  },
  nyu: {
    label: 'NYU net: Linear₁ → f → Linear₂ → g',
    help: 'the NYU net Linear₁ → f (--activation) → Linear₂ → g (identity: cross-entropy; sigmoid: BCE on one-hot targets)',
    hiddenLayers: 1, defaultHidden: [64], reads: { activation: true, output: true },
    layers: (spec, shape, classes, dropout) => {
      const layers = perceptron(spec, shape, classes, dropout, spec.activation);
      if (spec.output === 'sigmoid') layers.push({ type: 'Sigmoid' });
      return { type: 'Sequential', layers };
    },
    loss: (spec) => (spec.output === 'sigmoid' ? 'bce-one-hot' : 'cross-entropy'),
  },
  cnn: {
    label: 'small CNN (conv 8, conv 16, fc 64)',
    help: 'conv 8 → (BN) → ReLU → pool → conv 16 → (BN) → ReLU → pool → Linear 64 → (BN) → ReLU → (Dropout) → Linear → classes',
    hiddenLayers: 0, defaultHidden: [], reads: { activation: false, output: false },
    layers: (spec, shape, classes, dropout) => ({ type: 'Sequential', layers: cnnLayers(shape, classes, dropout, spec.batchNorm) }),
    loss: crossEntropy,
  },
} satisfies Record<ModelKind, ModelKindSpec>;

/** Every {@link ModelKind}, in registry order. */
export const MODEL_KIND_NAMES: readonly ModelKind[] = ownKeys(MODEL_KINDS);

/**
 * conv 1→8 3×3 pad 1, (BN), ReLU, maxpool 2, conv 8→16 3×3 pad 1, (BN), ReLU, maxpool 2, flatten,
 * linear 16·⌊H/4⌋·⌊W/4⌋ → 64, (BN), ReLU, (Dropout), linear 64 → classes. Flat square samples
 * ([784]) are read as [1, 28, 28].
 */
function cnnLayers(sampleShape: readonly number[], classes: number, dropout: Dropout, batchNorm: boolean): LayerConfig[] {
  const side = sampleShape.length === 1 ? Math.sqrt(sampleShape[0]!) : NaN;
  if (sampleShape.length !== 3 && !Number.isInteger(side)) {
    throw new HandgradError(`buildModel: the cnn needs image samples [channels, height, width], got samples of shape ${shapeString(sampleShape)}`);
  }
  const [C, H, W] = sampleShape.length === 3 ? (sampleShape as [number, number, number]) : [1, side, side];
  if (H < 4 || W < 4) throw new HandgradError(`buildModel: the cnn needs images of at least 4×4, got ${H}×${W}`);
  // Two 'same' convolutions keep H×W; each 2×2 max-pool halves it (rounding down).
  const flat = 16 * Math.floor(Math.floor(H / 2) / 2) * Math.floor(Math.floor(W / 2) / 2);
  const bn2d = (c: number): LayerConfig[] => (batchNorm ? [{ type: 'BatchNorm2d', numFeatures: c }] : []);
  return [
    { type: 'Conv2d', inChannels: C, outChannels: 8, kernelSize: [3, 3], stride: [1, 1], padding: [1, 1] },
    ...bn2d(8),
    { type: 'ReLU' },
    { type: 'MaxPool2d', kernelSize: [2, 2] },
    { type: 'Conv2d', inChannels: 8, outChannels: 16, kernelSize: [3, 3], stride: [1, 1], padding: [1, 1] },
    ...bn2d(16),
    { type: 'ReLU' },
    { type: 'MaxPool2d', kernelSize: [2, 2] },
    { type: 'Flatten' },
    { type: 'Linear', inFeatures: flat, outFeatures: 64 },
    ...(batchNorm ? [{ type: 'BatchNorm1d', numFeatures: 64 } as const] : []),
    { type: 'ReLU' },
    ...(dropout.p > 0 ? [{ type: 'Dropout', p: dropout.p, mode: dropout.mode } as const] : []),
    { type: 'Linear', inFeatures: 64, outFeatures: classes },
  ];
}

/** Most hidden layers a spec may list. */
export const MAX_HIDDEN_LAYERS = 1000;

/**
 * Checks a model spec from outside (a config file, a checkpoint, flags) and fills in the options
 * its kind reads. An option its kind does not read is refused. Errors: HandgradError, code
 * 'invalid-option', subject.option 'model.kind', 'model.hidden', 'model.activation', 'model.output' or 'model.batchNorm'.
 */
export function resolveModelSpec(spec: unknown, source = 'model'): ResolvedModelSpec {
  const bad = (field: string, problem: string): never => {
    throw new HandgradError(`${source}: model.${field} ${problem}`, { code: 'invalid-option', subject: { option: `model.${field}` } });
  };
  if (!isRecord(spec)) return bad('kind', 'must be given: the model must be an object with a "kind"');
  const field = (name: string): unknown => (Object.hasOwn(spec, name) ? spec[name] : undefined);
  for (const key of Object.keys(spec)) if (!['kind', 'hidden', 'activation', 'output', 'batchNorm'].includes(key)) bad(key, 'is not a model option (they are kind, hidden, activation, output, batchNorm)');
  const kind = field('kind');
  if (!isOwnKey(MODEL_KINDS, kind)) return bad('kind', `must be one of ${MODEL_KIND_NAMES.join(', ')}, got ${JSON.stringify(kind) ?? 'nothing'}`);
  const entry: ModelKindSpec = MODEL_KINDS[kind];
  const hidden = field('hidden');
  let widths = [...entry.defaultHidden];
  if (hidden !== undefined) {
    if (entry.hiddenLayers === 0) bad('hidden', `does not apply to ${kind}`);
    if (!Array.isArray(hidden) || hidden.length === 0 || hidden.length > MAX_HIDDEN_LAYERS ||
      !hidden.every((h) => typeof h === 'number' && Number.isInteger(h) && h >= 1 && h <= MAX_SIZE)) {
      return bad('hidden', `must be a list of 1 to ${MAX_HIDDEN_LAYERS} integers in [1, ${MAX_SIZE}], got ${JSON.stringify(hidden).slice(0, 80)}`);
    }
    if (typeof entry.hiddenLayers === 'number' && hidden.length !== entry.hiddenLayers) {
      bad('hidden', `must hold ${entry.hiddenLayers} width${entry.hiddenLayers === 1 ? '' : 's'} for ${kind}, got ${hidden.join(',')}`);
    }
    widths = hidden.map(Number);
  }
  const activation = field('activation');
  if (activation !== undefined) {
    if (!entry.reads.activation) bad('activation', `does not apply to ${kind} (it uses relu)`);
    if (!isOwnKey(ACTIVATIONS, activation)) bad('activation', `must be one of ${ownKeys(ACTIVATIONS).join(', ')}, got ${JSON.stringify(activation)}`);
  }
  const output = field('output');
  if (output !== undefined) {
    if (!entry.reads.output) bad('output', `does not apply to ${kind}`);
    if (output !== 'identity' && output !== 'sigmoid') bad('output', `must be 'identity' or 'sigmoid', got ${JSON.stringify(output)}`);
  }
  const batchNorm = field('batchNorm');
  if (batchNorm !== undefined && typeof batchNorm !== 'boolean') bad('batchNorm', `must be true or false, got ${JSON.stringify(batchNorm)}`);
  return {
    kind,
    batchNorm: batchNorm === true,
    hidden: widths,
    activation: isOwnKey(ACTIVATIONS, activation) ? activation : 'relu',
    output: output === 'sigmoid' ? 'sigmoid' : 'identity',
  };
}

/** The options of a resolved spec that its kind reads: what a training config records. */
export function storedModelSpec(spec: ResolvedModelSpec): ModelSpec {
  const entry: ModelKindSpec = MODEL_KINDS[spec.kind];
  return {
    kind: spec.kind,
    ...(entry.hiddenLayers !== 0 ? { hidden: [...spec.hidden] } : {}),
    ...(entry.reads.activation ? { activation: spec.activation } : {}),
    ...(entry.reads.output ? { output: spec.output } : {}),
    ...(spec.batchNorm ? { batchNorm: true } : {}),
  };
}

/** The LayerConfig of a model spec for samples of `sampleShape` and `classes` outputs. */
export function modelLayers(spec: ModelSpec, sampleShape: readonly number[], classes: number, dropout: Dropout = { p: 0, mode: 'inverted' }): LayerConfig {
  if (!Number.isInteger(classes) || classes < 2) throw new HandgradError(`buildModel: expected at least 2 classes, got ${classes}`);
  const resolved = resolveModelSpec(spec);
  const entry: ModelKindSpec = MODEL_KINDS[resolved.kind];
  return entry.layers(resolved, sampleShape, classes, dropout);
}

/** The loss a model spec trains with. */
export function modelLoss(spec: ModelSpec): LossKind {
  const resolved = resolveModelSpec(spec);
  const entry: ModelKindSpec = MODEL_KINDS[resolved.kind];
  return entry.loss(resolved);
}
