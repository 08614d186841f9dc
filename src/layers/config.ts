// Every layer's config, written once as a schema: the options of each layer type, their kinds,
// bounds and defaults. From it come
//   - LayerConfig, a union discriminated by `type` (each layer's config() returns its member);
//   - the activation layers' options and defaults (activations.ts resolves them generically);
//   - validateLayerConfig, which checks an untrusted config (a JSON file, a checkpoint) before
//     anything is built: own properties only, no unknown options, integer sizes with a cap, a cap
//     on the parameters and layers of the whole model and on the nesting depth. Each error names
//     the path of the bad value, e.g. "layers[3].inFeatures".

import { HandgradError } from '../errors.js';
import { isOwnKey, isRecord, ownKeys } from '../lookup.js';
import { INIT_NAMES } from './init.js';

/** The largest size (features, channels, a kernel's side, …) a config may give: 2²⁴. */
export const MAX_SIZE = 2 ** 24;

/** Dropout's scaling semantics: 'inverted' (PyTorch's) and 'cmu' (the CMU assignment's). */
export const DROPOUT_MODES = ['inverted', 'cmu'] as const;
export const GELU_APPROXIMATIONS = ['none', 'tanh'] as const;

// ---- field kinds ------------------------------------------------------------------------------

/** An integer in [min, MAX_SIZE]; `optional` when the layer has a default. */
interface SizeField<O extends boolean> { readonly kind: 'size'; readonly min: number; readonly optional: O }
/** A size or a pair [height, width] of sizes. */
interface PairField<O extends boolean> { readonly kind: 'pair'; readonly min: number; readonly optional: O }
/** A finite number with optional bounds and a default. */
interface NumberField {
  readonly kind: 'number';
  readonly default: number;
  readonly min?: number;
  readonly max?: number;
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
}
interface FlagField { readonly kind: 'flag'; readonly default: boolean }
interface ChoiceField<V extends string> { readonly kind: 'choice'; readonly values: readonly V[]; readonly default: V }
/** A size or a non-empty list of sizes (a shape: LayerNorm's normalizedShape); required. */
interface ShapeField { readonly kind: 'shape' }
/** An integer in [−MAX_SIZE, MAX_SIZE] (an axis, an index; negative counts from the end); required. */
interface IntegerField { readonly kind: 'integer' }
/** A NumberField's value or null (BatchNorm's momentum: null is the cumulative average); default given. */
interface NullableNumberField extends Omit<NumberField, 'kind' | 'default'> { readonly kind: 'nullableNumber'; readonly default: number | null }
/** An integer in [−MAX_SIZE, MAX_SIZE] or null (Embedding's paddingIdx); default null. */
interface NullableIntegerField { readonly kind: 'nullableInteger' }

type Field =
  | SizeField<boolean> | PairField<boolean> | NumberField | FlagField | ChoiceField<string>
  | ShapeField | IntegerField | NullableNumberField | NullableIntegerField;
type Schema = Readonly<Record<string, Field>>;

const size = (min = 1): SizeField<false> => ({ kind: 'size', min, optional: false });
const pair = (min = 1): PairField<false> => ({ kind: 'pair', min, optional: false });
const optionalPair = (min: number): PairField<true> => ({ kind: 'pair', min, optional: true });
const number = (value: number, bounds: Omit<NumberField, 'kind' | 'default'> = {}): NumberField => ({ kind: 'number', default: value, ...bounds });
const flag = (value: boolean): FlagField => ({ kind: 'flag', default: value });
const choice = <const V extends string>(values: readonly V[], value: V): ChoiceField<V> => ({ kind: 'choice', values, default: value });
const shape = (): ShapeField => ({ kind: 'shape' });
const integer = (): IntegerField => ({ kind: 'integer' });
const nullableNumber = (value: number | null, bounds: Omit<NumberField, 'kind' | 'default'> = {}): NullableNumberField =>
  ({ kind: 'nullableNumber', default: value, ...bounds });
const nullableInteger = (): NullableIntegerField => ({ kind: 'nullableInteger' });

// ---- the schemas ----------------------------------------------------------------------------

/** The elementwise activation layers (activations.ts): options with PyTorch's defaults. */
export const ELEMENTWISE_SCHEMAS = {
  /** scale multiplies the output: scale · max(0, x) (the theory uses 3·ReLU and 5·ReLU). */
  ReLU: { scale: number(1) },
  /** The slope for x ≤ 0. */
  LeakyReLU: { negativeSlope: number(0.01) },
  Sigmoid: {},
  Tanh: {},
  /** 'none': exact, x·Φ(x) with erf; 'tanh': the tanh approximation. */
  GELU: { approximate: choice(GELU_APPROXIMATIONS, 'none') },
  /** Above βx > threshold the layer is the identity. */
  Softplus: { beta: number(1, { min: 0, minExclusive: true }), threshold: number(20) },
  /** α scales the negative side α(eˣ − 1); α ≥ 0, so the output's sign tells the input's. */
  ELU: { alpha: number(1, { min: 0 }) },
} as const satisfies Record<string, Schema>;

/** The other layers (Sequential, whose option is its list of layers, is handled on its own). */
export const STRUCTURAL_SCHEMAS = {
  Linear: { inFeatures: size(), outFeatures: size(), bias: flag(true), init: choice(INIT_NAMES, 'pytorch') },
  Conv2d: {
    inChannels: size(), outChannels: size(), kernelSize: pair(), stride: optionalPair(1), padding: optionalPair(0),
    bias: flag(true), init: choice(INIT_NAMES, 'pytorch'),
  },
  /** stride defaults to the kernel size. */
  MaxPool2d: { kernelSize: pair(), stride: optionalPair(1), padding: optionalPair(0) },
  /** stride defaults to the kernel size; padding counts in every window's divisor. */
  AvgPool2d: { kernelSize: pair(), stride: optionalPair(1), padding: optionalPair(0) },
  BatchNorm1d: {
    numFeatures: size(), eps: number(1e-5, { min: 0, minExclusive: true }), momentum: nullableNumber(0.1, { min: 0, max: 1 }),
    affine: flag(true), trackRunningStats: flag(true),
  },
  BatchNorm2d: {
    numFeatures: size(), eps: number(1e-5, { min: 0, minExclusive: true }), momentum: nullableNumber(0.1, { min: 0, max: 1 }),
    affine: flag(true), trackRunningStats: flag(true),
  },
  LayerNorm: { normalizedShape: shape(), eps: number(1e-5, { min: 0, minExclusive: true }), elementwiseAffine: flag(true) },
  /** dim: the axis to normalise along (negative: from the end). */
  Softmax: { dim: integer() },
  LogSoftmax: { dim: integer() },
  /** paddingIdx: a row that stays zero and untrained, or null (negative counts from the end). */
  Embedding: { numEmbeddings: size(), embeddingDim: size(), paddingIdx: nullableInteger() },
  Flatten: {},
  Identity: {},
  Dropout: { p: number(0.5, { min: 0, max: 1, maxExclusive: true }), mode: choice(DROPOUT_MODES, 'inverted') },
} as const satisfies Record<string, Schema>;

// ---- the types derived from them -------------------------------------------------------------

type ValueOf<F> =
  F extends SizeField<boolean> | NumberField | IntegerField ? number
  : F extends PairField<boolean> ? number | [number, number]
  : F extends FlagField ? boolean
  : F extends ChoiceField<infer V> ? V
  : F extends ShapeField ? number | number[]
  : F extends NullableNumberField | NullableIntegerField ? number | null
  : never;
type IsOptional<F> = F extends SizeField<false> | PairField<false> | ShapeField | IntegerField ? false : true;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The options of a schema as a type: sizes and pairs without a default are required. */
export type OptionsOf<S> = Simplify<
  { -readonly [K in keyof S as IsOptional<S[K]> extends true ? never : K]: ValueOf<S[K]> } &
  { -readonly [K in keyof S as IsOptional<S[K]> extends true ? K : never]?: ValueOf<S[K]> }
>;

/** The type names of the elementwise layers: 'ReLU', 'LeakyReLU', 'Sigmoid', 'Tanh', 'GELU', 'Softplus', 'ELU'. */
export type ElementwiseType = keyof typeof ELEMENTWISE_SCHEMAS;
export type StructuralType = keyof typeof STRUCTURAL_SCHEMAS;
/** Every layer type a {@link LayerConfig} can name. */
export type LayerType = ElementwiseType | StructuralType | 'Sequential';

/** The options of each elementwise layer type, every one optional (PyTorch's defaults). */
export type ElementwiseOptionsMap = { [T in ElementwiseType]: OptionsOf<(typeof ELEMENTWISE_SCHEMAS)[T]> };
/** The same options with every default filled in. */
export type ResolvedOptionsMap = { [T in ElementwiseType]: Required<ElementwiseOptionsMap[T]> };
/** The options of the elementwise layer type T, every one optional. */
export type ElementwiseOptions<T extends ElementwiseType> = ElementwiseOptionsMap[T];
export type ResolvedOptions<T extends ElementwiseType> = ResolvedOptionsMap[T];

/** The config of an elementwise layer of type T. */
export type ElementwiseConfigOf<T extends ElementwiseType> = { type: T } & ElementwiseOptionsMap[T];
/** The same with every option given, as config() writes it. */
export type ResolvedConfigMap = { [T in ElementwiseType]: { type: T } & ResolvedOptionsMap[T] };

/** The config of each layer type: { type } and its options. */
export type ConfigMap =
  { [T in ElementwiseType]: ElementwiseConfigOf<T> } &
  { [T in StructuralType]: { type: T } & OptionsOf<(typeof STRUCTURAL_SCHEMAS)[T]> } &
  { Sequential: SequentialConfig };

/** The config of a {@link Sequential}: its layers' configs, in order. */
export interface SequentialConfig {
  /** Always 'Sequential'. */
  type: 'Sequential';
  /** The configs of the layers, in the order forward applies them. */
  layers: LayerConfig[];
}

/** A JSON description of a layer, enough to rebuild it through the registry (registry.ts). */
export type LayerConfig = ConfigMap[LayerType];
export type ElementwiseConfig = ConfigMap[ElementwiseType];
export type StructuralConfig = ConfigMap[StructuralType];

/** Every layer type the registry can build, structural layers first. */
export const LAYER_TYPES: readonly LayerType[] = [...ownKeys(STRUCTURAL_SCHEMAS), ...ownKeys(ELEMENTWISE_SCHEMAS), 'Sequential'];

// ---- validation -------------------------------------------------------------------------------

/** Bounds on a model built from a config (a hostile file cannot ask for a huge model). */
export interface ConfigLimits {
  /** Parameters of the whole model (2²⁶ by default: 256 MiB of float32 weights). */
  maxParameters: number;
  /** Layers of the whole model, containers included. */
  maxLayers: number;
  /** Nesting depth of containers (a Sequential inside a Sequential is depth 2). */
  maxDepth: number;
}

/** The limits used unless a caller gives others: 2²⁶ parameters, 10 000 layers, depth 32. */
export const DEFAULT_LIMITS: ConfigLimits = { maxParameters: 2 ** 26, maxLayers: 10_000, maxDepth: 32 };

/** Parameters a layer type creates, from its checked config (types without parameters: none). */
const PARAMETER_COUNT: { [T in StructuralType]?: (c: ConfigMap[T]) => number } = {
  Linear: (c) => c.outFeatures * c.inFeatures + (c.bias === false ? 0 : c.outFeatures),
  Conv2d: (c) => {
    const [kh, kw] = Array.isArray(c.kernelSize) ? c.kernelSize : [c.kernelSize, c.kernelSize];
    return c.outChannels * c.inChannels * kh * kw + (c.bias === false ? 0 : c.outChannels);
  },
  BatchNorm1d: (c) => (c.affine === false ? 0 : 2 * c.numFeatures),
  BatchNorm2d: (c) => (c.affine === false ? 0 : 2 * c.numFeatures),
  LayerNorm: (c) => (c.elementwiseAffine === false ? 0 : 2 * (Array.isArray(c.normalizedShape) ? c.normalizedShape.reduce((a, b) => a * b, 1) : c.normalizedShape)),
  Embedding: (c) => c.numEmbeddings * c.embeddingDim,
};

function parameterCount<T extends StructuralType>(type: T, config: ConfigMap[T]): number {
  const count = PARAMETER_COUNT[type];
  return count ? count(config) : 0;
}

interface Walk {
  source: string;
  limits: ConfigLimits;
  layers: number;
  parameters: number;
}

function fail(w: Walk, path: string, message: string): never {
  throw new HandgradError(`${w.source}: ${path === '' ? '' : `${path} `}${message}`, { code: 'invalid-layer-config', subject: { path } });
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** A JSON value in a few words (strings cut short: a config may hold anything). */
export function describeJson(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

const isSize = (x: unknown, min: number): boolean => typeof x === 'number' && Number.isInteger(x) && x >= min && x <= MAX_SIZE;
const isInteger = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x) && Math.abs(x) <= MAX_SIZE;

/** What is wrong with `v` as a value of field `f` ("must be …"), or null when it fits. */
function fieldProblem(f: Field, v: unknown): string | null {
  switch (f.kind) {
    case 'size':
      return isSize(v, f.min) ? null : `must be an integer in [${f.min}, ${MAX_SIZE}]`;
    case 'pair':
      return isSize(v, f.min) || (Array.isArray(v) && v.length === 2 && v.every((x) => isSize(x, f.min)))
        ? null : `must be an integer in [${f.min}, ${MAX_SIZE}] or a pair [h, w] of them`;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a finite number';
      if (f.min !== undefined && (f.minExclusive ? v <= f.min : v < f.min)) return `must be ${f.minExclusive ? '>' : '≥'} ${f.min}`;
      if (f.max !== undefined && (f.maxExclusive ? v >= f.max : v > f.max)) return `must be ${f.maxExclusive ? '<' : '≤'} ${f.max}`;
      return null;
    case 'flag':
      return typeof v === 'boolean' ? null : 'must be true or false';
    case 'shape':
      return isSize(v, 1) || (Array.isArray(v) && v.length >= 1 && v.length <= 8 && v.every((x) => isSize(x, 1)))
        ? null : `must be an integer in [1, ${MAX_SIZE}] or a list of 1 to 8 of them`;
    case 'integer':
      return isInteger(v) ? null : `must be an integer in [${-MAX_SIZE}, ${MAX_SIZE}]`;
    case 'nullableInteger':
      return v === null || isInteger(v) ? null : `must be null or an integer in [${-MAX_SIZE}, ${MAX_SIZE}]`;
    case 'nullableNumber':
      return v === null ? null : fieldProblem({ ...f, kind: 'number', default: 0 }, v);
    case 'choice': {
      if (f.values.some((c) => c === v)) return null;
      const quoted = f.values.map((c) => `'${c}'`);
      return `must be ${quoted.length === 2 ? quoted.join(' or ') : `one of ${quoted.join(', ')}`}`;
    }
  }
}

/**
 * The options of an elementwise layer with the schema's defaults filled in; throws a
 * HandgradError naming the layer and the option (unknown options included).
 */
export function resolveElementwiseOptions<T extends ElementwiseType>(type: T, options: ElementwiseOptions<T>): ResolvedOptions<T> {
  const schema: Schema = ELEMENTWISE_SCHEMAS[type];
  const given = new Map<string, unknown>(Object.entries(options ?? {}));
  const out: Record<string, number | string | boolean> = {};
  for (const [key, v] of given) {
    if (key === 'type' && v === type) given.delete(key);
    else if (!isOwnKey(schema, key)) throw new HandgradError(`${type}: unknown option ${key} (${ownKeys(schema).join(', ') || 'it takes none'})`);
    if (v === undefined) given.delete(key);
  }
  for (const key of ownKeys(schema)) {
    const f = schema[key]!;
    if (f.kind !== 'number' && f.kind !== 'choice' && f.kind !== 'flag') continue;
    const v = given.has(key) ? given.get(key) : f.default;
    const problem = fieldProblem(f, v);
    if (problem !== null || (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean')) {
      throw new HandgradError(`${type}: option ${key} ${problem ?? 'has the wrong type'}, got ${describeJson(v)}`, { code: 'invalid-option', subject: { layer: type, option: key } });
    }
    out[key] = v;
  }
  // Every option of the schema now holds a value of its field's kind: what ResolvedOptions<T> describes.
  return out as ResolvedOptions<T>;
}

/** The config of an elementwise layer from its resolved options. */
export function elementwiseConfig<T extends ElementwiseType>(type: T, options: ResolvedOptionsMap[T]): ResolvedConfigMap[T] {
  // (TypeScript does not see { type: T } & ResolvedOptionsMap[T] as ResolvedConfigMap[T] for a generic T)
  return { type, ...options } as ResolvedConfigMap[T];
}

/** Whether a config must give the field (it has no default). */
function isRequired(f: Field): boolean {
  return ((f.kind === 'size' || f.kind === 'pair') && !f.optional) || f.kind === 'shape' || f.kind === 'integer';
}

function checkField(w: Walk, path: string, f: Field, v: unknown): void {
  const problem = fieldProblem(f, v);
  if (problem !== null) fail(w, path, `${problem}, got ${describeJson(v)}`);
}

/** Checks the options of one layer against its schema: own properties only, nothing unknown. */
function checkOptions(w: Walk, path: string, type: string, schema: Schema, c: Record<string, unknown>): void {
  for (const key of Object.keys(c)) {
    if (key !== 'type' && !isOwnKey(schema, key)) {
      const known = ownKeys(schema);
      fail(w, join(path, key), `is not an option of ${type} (${known.length ? `its options: ${known.join(', ')}` : 'it has none'})`);
    }
  }
  for (const key of ownKeys(schema)) {
    const f = schema[key]!;
    if (!Object.hasOwn(c, key)) {
      if (isRequired(f)) fail(w, join(path, key), `is missing (${type} needs it)`);
      continue;
    }
    checkField(w, join(path, key), f, c[key]);
  }
}

function checkStructural<T extends StructuralType>(w: Walk, path: string, type: T, c: Record<string, unknown>): asserts c is ConfigMap[T] {
  checkOptions(w, path, type, STRUCTURAL_SCHEMAS[type], c);
}

function checkLayer(w: Walk, value: unknown, path: string, depth: number): asserts value is LayerConfig {
  if (!isRecord(value)) fail(w, path, `must be a layer config, an object with a "type", got ${describeJson(value)}`);
  w.layers++;
  if (w.layers > w.limits.maxLayers) fail(w, path, `is layer ${w.layers}; a model may hold at most ${w.limits.maxLayers} layers`);
  const type = Object.hasOwn(value, 'type') ? value.type : undefined;
  if (type === 'Sequential') {
    if (depth >= w.limits.maxDepth) fail(w, path, `is a Sequential nested ${depth + 1} deep; at most ${w.limits.maxDepth} levels are allowed`);
    const layers = Object.hasOwn(value, 'layers') ? value.layers : undefined;
    for (const key of Object.keys(value)) if (key !== 'type' && key !== 'layers') fail(w, join(path, key), 'is not an option of Sequential (its option: layers)');
    if (!Array.isArray(layers)) fail(w, join(path, 'layers'), `must be an array of layer configs, got ${describeJson(layers)}`);
    if (layers.length > w.limits.maxLayers) fail(w, join(path, 'layers'), `holds ${layers.length} layers; a model may hold at most ${w.limits.maxLayers}`);
    layers.forEach((l: unknown, i) => checkLayer(w, l, `${join(path, 'layers')}[${i}]`, depth + 1));
    return;
  }
  if (isOwnKey(ELEMENTWISE_SCHEMAS, type)) {
    checkOptions(w, path, type, ELEMENTWISE_SCHEMAS[type], value);
    return;
  }
  if (isOwnKey(STRUCTURAL_SCHEMAS, type)) {
    checkStructural(w, path, type, value);
    w.parameters += parameterCount(type, value);
    if (w.parameters > w.limits.maxParameters) {
      fail(w, path, `brings the model to ${w.parameters} parameters; at most ${w.limits.maxParameters} are allowed`);
    }
    return;
  }
  fail(w, join(path, 'type'), `is ${describeJson(type)}, not a layer type; known types: ${LAYER_TYPES.join(', ')}`);
}

/**
 * Checks an untrusted layer config and returns it typed; throws a HandgradError (code
 * 'invalid-layer-config', subject.path) naming the first bad value. Nothing is allocated.
 * `source` starts every message (a file name, or the function that was called).
 */
export function validateLayerConfig(value: unknown, source = 'layer config', limits: Partial<ConfigLimits> = {}): LayerConfig {
  const w: Walk = { source, limits: { ...DEFAULT_LIMITS, ...limits }, layers: 0, parameters: 0 };
  checkLayer(w, value, '', 0);
  return value;
}
