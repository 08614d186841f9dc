// Elementwise activations, y = f(x) of any shape. Forward keeps x and y; backward returns
// dx = dy · f'(x), reading whichever of x or y gives f' most simply. Each layer is one row of
// RULES (its forward and its backward side by side, the backward quoting the forward) and a class
// of a few lines; options and defaults come from the schema in config.ts.
//
// ACTIVATIONS names the activations a model can be built with ('relu', 'gelu-tanh', …): the
// layer config each name stands for, its label for menus and tables, and whether f' jumps at 0.
// Model builders, the training config, the command line, the gradcheck suite and the
// playground's menus all read this one table.

import { kernelsFor } from '../backend.js';
import type { Kernels } from '../kernels/table.js';
import type { FloatArray, Tensor } from '../tensor.js';
import {
  elementwiseConfig, resolveElementwiseOptions, type ConfigMap, type ElementwiseConfig, type ElementwiseOptions,
  type ElementwiseType, type ResolvedConfigMap, type ResolvedOptions,
} from './config.js';
import { OutputBuffer, Module } from './module.js';

/** What a backward reads: the forward's input x and output y, the incoming dy, the dx to write. */
interface Saved { x: FloatArray; y: FloatArray; dy: FloatArray; dx: FloatArray }

interface Rule<T extends ElementwiseType> {
  describe(o: ResolvedOptions<T>): string;
  forward(k: Kernels, x: FloatArray, y: FloatArray, o: ResolvedOptions<T>): void;
  backward(k: Kernels, s: Saved, o: ResolvedOptions<T>): void;
}

const RULES: { [T in ElementwiseType]: Rule<T> } = {
  ReLU: {
    describe: (o) => (o.scale === 1 ? 'ReLU' : `${o.scale}·ReLU`),
    // y = scale · max(0, x)
    forward: (k, x, y, o) => k.reluForward(x, y, o.scale),
    // forward was y = scale · max(0, x), so dx = scale · dy where x > 0 and 0 elsewhere (ReLU'(0) = 0)
    backward: (k, { x, dy, dx }, o) => k.reluBackward(x, dy, dx, o.scale),
  },
  LeakyReLU: {
    describe: (o) => `LeakyReLU(${o.negativeSlope})`,
    // y = x if x > 0 else slope · x
    forward: (k, x, y, o) => k.leakyReluForward(x, y, o.negativeSlope),
    // forward was y = x if x > 0 else slope · x, so dx = dy where x > 0, slope · dy elsewhere (at 0 too)
    backward: (k, { x, dy, dx }, o) => k.leakyReluBackward(x, dy, dx, o.negativeSlope),
  },
  Sigmoid: {
    describe: () => 'Sigmoid',
    // y = 1 / (1 + e^(−x)), stable for large |x|
    forward: (k, x, y) => k.sigmoidForward(x, y),
    // forward was y = σ(x), so dx = dy · y(1 − y)
    backward: (k, { y, dy, dx }) => k.sigmoidBackward(y, dy, dx),
  },
  Tanh: {
    describe: () => 'Tanh',
    // y = tanh x
    forward: (k, x, y) => k.tanhForward(x, y),
    // forward was y = tanh x, so dx = dy · (1 − y²)
    backward: (k, { y, dy, dx }) => k.tanhBackward(y, dy, dx),
  },
  GELU: {
    describe: (o) => (o.approximate === 'tanh' ? "GELU(approximate='tanh')" : 'GELU'),
    // y = x·Φ(x) (or ½x(1 + tanh(√(2/π)(x + 0.044715x³))))
    forward: (k, x, y, o) => k.geluForward(x, y, o.approximate),
    // forward was y = x·Φ(x), so dx = dy · (Φ(x) + x·φ(x)) (the tanh form's derivative in the kernel)
    backward: (k, { x, dy, dx }, o) => k.geluBackward(x, dy, dx, o.approximate),
  },
  Softplus: {
    describe: (o) => `Softplus(beta=${o.beta}, threshold=${o.threshold})`,
    // y = log(1 + e^(βx)) / β, and y = x where βx > threshold
    forward: (k, x, y, o) => k.softplusForward(x, y, o.beta, o.threshold),
    // forward was y = log(1 + e^(βx)) / β, so dx = dy · σ(βx), and dy where βx > threshold
    backward: (k, { x, dy, dx }, o) => k.softplusBackward(x, dy, dx, o.beta, o.threshold),
  },
  ELU: {
    describe: (o) => (o.alpha === 1 ? 'ELU' : `ELU(alpha=${o.alpha})`),
    // y = x if x > 0 else α(eˣ − 1)
    forward: (k, x, y, o) => k.eluForward(x, y, o.alpha),
    // forward was y = α(eˣ − 1) for x ≤ 0, so dx = dy · αeˣ = dy · (y + α) there, and dy where x > 0
    backward: (k, { y, dy, dx }, o) => k.eluBackward(y, dy, dx, o.alpha),
  },
};

/** An elementwise layer of type T: y = f(x) by its RULES row. */
export abstract class Activation<T extends ElementwiseType> extends Module {
  /** The layer's type name in configs: 'ReLU', 'Sigmoid', …. */
  readonly type: T;
  /** The options, every default filled in. */
  readonly options: ResolvedOptions<T>;
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  private readonly out = new OutputBuffer();
  private readonly dxBuf = new OutputBuffer();

  /** An elementwise layer of `type`; missing options take their defaults. */
  constructor(type: T, options: ElementwiseOptions<T>) {
    super();
    this.type = type;
    this.options = resolveElementwiseOptions(type, options);
  }

  describe(): string {
    return RULES[this.type].describe(this.options);
  }

  config(): ResolvedConfigMap[T] {
    return elementwiseConfig(this.type, this.options);
  }

  forward(x: Tensor): Tensor {
    this.requireTensor(x, 'the input');
    const y = this.out.get(x.shape, x.dtype);
    RULES[this.type].forward(kernelsFor(x.dtype), x.storage, y.storage, this.options);
    this.x = x;
    this.y = y;
    return y;
  }

  /**
   * Drops the saved input and output: a Sequential that runs this layer inside the next one
   * (a ReLU before a MaxPool2d) calls it, so that a backward() of this layer alone fails instead
   * of differentiating an older batch.
   */
  forgetSaved(): void {
    this.x = this.y = null;
  }

  backward(dy: Tensor): Tensor {
    this.requireGradShape(dy, this.y);
    const dx = this.dxBuf.get(dy.shape, dy.dtype);
    RULES[this.type].backward(kernelsFor(dy.dtype), { x: this.x!.storage, y: this.y!.storage, dy: dy.storage, dx: dx.storage }, this.options);
    return dx;
  }
}

/** Options of {@link ReLU}: `scale` multiplies the output (default 1). */
export type ReLUOptions = ElementwiseOptions<'ReLU'>;
/** Options of {@link LeakyReLU}: `negativeSlope` (default 0.01). */
export type LeakyReLUOptions = ElementwiseOptions<'LeakyReLU'>;
/** Options of {@link GELU}: `approximate`, 'none' (exact, x·Φ(x); the default) or 'tanh'. */
export type GELUOptions = ElementwiseOptions<'GELU'>;
/** Options of {@link Softplus}: `beta` (> 0, default 1) and `threshold` (default 20), above which (βx) the layer is the identity. */
export type SoftplusOptions = ElementwiseOptions<'Softplus'>;
/** Options of {@link ELU}: `alpha` (≥ 0, default 1) scales the negative side α(eˣ − 1). */
export type ELUOptions = ElementwiseOptions<'ELU'>;

/** y = scale · max(0, x) elementwise, any shape (scale default 1); dx = dy · scale where x > 0, else 0. */
export class ReLU extends Activation<'ReLU'> {
  /** A ReLU with `options.scale` (default 1). */
  constructor(options: ReLUOptions = {}) { super('ReLU', options); }
  /** The factor on the output. */
  get scale(): number { return this.options.scale; }
}
/** y = x where x > 0, else negativeSlope · x, elementwise, any shape (negativeSlope default 0.01). */
export class LeakyReLU extends Activation<'LeakyReLU'> {
  /** A LeakyReLU with `options.negativeSlope` (default 0.01). */
  constructor(options: LeakyReLUOptions = {}) { super('LeakyReLU', options); }
  /** The slope for x ≤ 0. */
  get negativeSlope(): number { return this.options.negativeSlope; }
}
/** y = σ(x) = 1 / (1 + e^(−x)) elementwise, any shape; dx = dy · y(1 − y). */
export class Sigmoid extends Activation<'Sigmoid'> {
  constructor() { super('Sigmoid', {}); }
}
/** y = tanh(x) elementwise, any shape; dx = dy · (1 − y²). */
export class Tanh extends Activation<'Tanh'> {
  constructor() { super('Tanh', {}); }
}
/** y = x·Φ(x) elementwise (Φ the standard normal CDF), or its tanh approximation, any shape. */
export class GELU extends Activation<'GELU'> {
  /** A GELU, exact unless `options.approximate` is 'tanh'. */
  constructor(options: GELUOptions = {}) { super('GELU', options); }
  /** 'none' (exact) or 'tanh' (½x(1 + tanh(√(2/π)(x + 0.044715x³)))). */
  get approximate(): 'none' | 'tanh' { return this.options.approximate; }
}
/** y = log(1 + e^(βx)) / β elementwise, and y = x where βx > threshold; any shape. */
export class Softplus extends Activation<'Softplus'> {
  /** A Softplus with `options.beta` (default 1) and `options.threshold` (default 20). */
  constructor(options: SoftplusOptions = {}) { super('Softplus', options); }
  /** β, the sharpness. */
  get beta(): number { return this.options.beta; }
  /** Above βx > threshold the layer passes x through. */
  get threshold(): number { return this.options.threshold; }
}
/** y = x where x > 0, else α(eˣ − 1), elementwise, any shape (α default 1). */
export class ELU extends Activation<'ELU'> {
  /** An ELU with `options.alpha` (default 1). */
  constructor(options: ELUOptions = {}) { super('ELU', options); }
  /** α, the scale of the negative side. */
  get alpha(): number { return this.options.alpha; }
}

/** The class of each elementwise layer type (the registry builds configs with them). */
export const ELEMENTWISE_LAYERS: { readonly [T in ElementwiseType]: new (options: ElementwiseOptions<T>) => Activation<T> } = {
  ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softplus, ELU,
};

/** y = x; dx = dy. Returns its input and the incoming gradient themselves (no copy). */
export class Identity extends Module {
  private seen: Tensor | null = null;
  describe(): string {
    return 'Identity';
  }
  config(): ConfigMap['Identity'] {
    return { type: 'Identity' };
  }
  forward(x: Tensor): Tensor {
    this.requireTensor(x, 'the input');
    this.seen = x;
    return x;
  }
  backward(dy: Tensor): Tensor {
    this.requireGradShape(dy, this.seen);
    return dy;
  }
}

// ---- activations by name ------------------------------------------------------------------------

/** The activations by name, as configs, the CLI's flags and the playground spell them. */
export type ActivationName = 'relu' | 'leaky-relu' | 'sigmoid' | 'tanh' | 'gelu' | 'gelu-tanh' | 'softplus' | 'elu' | 'identity';

/** What {@link ACTIVATIONS} holds for each {@link ActivationName}. */
export interface ActivationEntry {
  /** The layer the name stands for. */
  readonly layer: ElementwiseConfig | ConfigMap['Identity'];
  /** Its name in menus and tables. */
  readonly label: string;
  /** f' jumps at 0: finite differences need inputs away from 0. */
  readonly kink: boolean;
}

/** The registry of activations by name: each name's layer config, label, and whether f' jumps at 0. */
export const ACTIVATIONS = {
  relu: { layer: { type: 'ReLU' }, label: 'ReLU', kink: true },
  'leaky-relu': { layer: { type: 'LeakyReLU' }, label: 'LeakyReLU(0.01)', kink: true },
  sigmoid: { layer: { type: 'Sigmoid' }, label: 'Sigmoid', kink: false },
  tanh: { layer: { type: 'Tanh' }, label: 'Tanh', kink: false },
  gelu: { layer: { type: 'GELU' }, label: 'GELU', kink: false },
  'gelu-tanh': { layer: { type: 'GELU', approximate: 'tanh' }, label: 'GELU (tanh)', kink: false },
  softplus: { layer: { type: 'Softplus' }, label: 'Softplus', kink: false },
  elu: { layer: { type: 'ELU' }, label: 'ELU', kink: false },
  identity: { layer: { type: 'Identity' }, label: 'Identity', kink: false },
} as const satisfies Record<ActivationName, ActivationEntry>;
