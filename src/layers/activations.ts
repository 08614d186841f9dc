// Elementwise activations, y = f(x) of any shape. Forward keeps x and y; backward returns
// dx = dy · f'(x), using whichever of x or y gives f' most simply.

import { kernelsFor } from '../backend.js';
import type { Kernels } from '../kernels/table.js';
import type { Tensor } from '../tensor.js';
import { OutputBuffer, checkNumber, LayerError, Module, type LayerConfig } from './module.js';

abstract class Elementwise extends Module {
  protected x: Tensor | null = null;
  protected y: Tensor | null = null;
  private readonly out = new OutputBuffer();
  private readonly dxBuf = new OutputBuffer();

  protected abstract apply(k: Kernels, x: Tensor, y: Tensor): void;
  protected abstract applyBackward(k: Kernels, x: Tensor, y: Tensor, dy: Tensor, dx: Tensor): void;

  forward(x: Tensor): Tensor {
    this.requireTensor(x, 'the input');
    const y = this.out.get(x.shape, x.dtype);
    this.apply(kernelsFor(x.dtype), x, y);
    this.x = x;
    this.y = y;
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.requireGradShape(dy, this.y);
    const dx = this.dxBuf.get(dy.shape, dy.dtype);
    this.applyBackward(kernelsFor(dy.dtype), this.x!, this.y!, dy, dx);
    return dx;
  }
}

export interface ReLUOptions {
  /** Multiplies the output: scale · max(0, x) (the theory uses 3·ReLU and 5·ReLU). Default 1. */
  scale?: number;
}

/** y = scale · max(0, x); ReLU'(0) = 0 as in PyTorch. */
export class ReLU extends Elementwise {
  readonly scale: number;
  constructor(options: ReLUOptions = {}) {
    super();
    this.scale = checkNumber('ReLU', 'scale', options.scale ?? 1);
  }
  describe(): string {
    return this.scale === 1 ? 'ReLU' : `${this.scale}·ReLU`;
  }
  config(): LayerConfig {
    return { type: 'ReLU', scale: this.scale };
  }
  protected apply(k: Kernels, x: Tensor, y: Tensor): void {
    k.reluForward(x.storage, y.storage, this.scale);
  }
  protected applyBackward(k: Kernels, x: Tensor, _y: Tensor, dy: Tensor, dx: Tensor): void {
    k.reluBackward(x.storage, dy.storage, dx.storage, this.scale);
  }
}

export interface LeakyReLUOptions {
  /** Slope for x ≤ 0. Default 0.01 as in PyTorch. */
  negativeSlope?: number;
}

/** y = x if x > 0 else slope · x; LeakyReLU'(0) = slope as in PyTorch. */
export class LeakyReLU extends Elementwise {
  readonly negativeSlope: number;
  constructor(options: LeakyReLUOptions = {}) {
    super();
    this.negativeSlope = checkNumber('LeakyReLU', 'negativeSlope', options.negativeSlope ?? 0.01);
  }
  describe(): string {
    return `LeakyReLU(${this.negativeSlope})`;
  }
  config(): LayerConfig {
    return { type: 'LeakyReLU', negativeSlope: this.negativeSlope };
  }
  protected apply(k: Kernels, x: Tensor, y: Tensor): void {
    k.leakyReluForward(x.storage, y.storage, this.negativeSlope);
  }
  protected applyBackward(k: Kernels, x: Tensor, _y: Tensor, dy: Tensor, dx: Tensor): void {
    k.leakyReluBackward(x.storage, dy.storage, dx.storage, this.negativeSlope);
  }
}

/** y = 1 / (1 + e^(−x)), stable for large |x|; σ' = y(1 − y). */
export class Sigmoid extends Elementwise {
  describe(): string {
    return 'Sigmoid';
  }
  config(): LayerConfig {
    return { type: 'Sigmoid' };
  }
  protected apply(k: Kernels, x: Tensor, y: Tensor): void {
    k.sigmoidForward(x.storage, y.storage);
  }
  protected applyBackward(k: Kernels, _x: Tensor, y: Tensor, dy: Tensor, dx: Tensor): void {
    k.sigmoidBackward(y.storage, dy.storage, dx.storage);
  }
}

/** y = tanh x; tanh' = 1 − y². */
export class Tanh extends Elementwise {
  describe(): string {
    return 'Tanh';
  }
  config(): LayerConfig {
    return { type: 'Tanh' };
  }
  protected apply(k: Kernels, x: Tensor, y: Tensor): void {
    k.tanhForward(x.storage, y.storage);
  }
  protected applyBackward(k: Kernels, _x: Tensor, y: Tensor, dy: Tensor, dx: Tensor): void {
    k.tanhBackward(y.storage, dy.storage, dx.storage);
  }
}

export interface GELUOptions {
  /** 'none' (exact, x·Φ(x) with erf; the default) or 'tanh' (the tanh approximation), as PyTorch. */
  approximate?: 'none' | 'tanh';
}

/** y = x·Φ(x); see the kernel for both derivatives. */
export class GELU extends Elementwise {
  readonly approximate: 'none' | 'tanh';
  constructor(options: GELUOptions = {}) {
    super();
    const a = options.approximate ?? 'none';
    if (a !== 'none' && a !== 'tanh') throw new LayerError(`GELU: option approximate must be 'none' or 'tanh', got '${String(a)}'`);
    this.approximate = a;
  }
  describe(): string {
    return this.approximate === 'tanh' ? "GELU(approximate='tanh')" : 'GELU';
  }
  config(): LayerConfig {
    return { type: 'GELU', approximate: this.approximate };
  }
  protected apply(k: Kernels, x: Tensor, y: Tensor): void {
    k.geluForward(x.storage, y.storage, this.approximate);
  }
  protected applyBackward(k: Kernels, x: Tensor, _y: Tensor, dy: Tensor, dx: Tensor): void {
    k.geluBackward(x.storage, dy.storage, dx.storage, this.approximate);
  }
}

export interface SoftplusOptions {
  beta?: number;
  /** Above beta·x > threshold the layer is the identity, as PyTorch. Default 20. */
  threshold?: number;
}

/** y = log(1 + e^(βx)) / β, linear above the threshold; y' = σ(βx). */
export class Softplus extends Elementwise {
  readonly beta: number;
  readonly threshold: number;
  constructor(options: SoftplusOptions = {}) {
    super();
    this.beta = checkNumber('Softplus', 'beta', options.beta ?? 1, { min: 0, minExclusive: true });
    this.threshold = checkNumber('Softplus', 'threshold', options.threshold ?? 20);
  }
  describe(): string {
    return `Softplus(beta=${this.beta}, threshold=${this.threshold})`;
  }
  config(): LayerConfig {
    return { type: 'Softplus', beta: this.beta, threshold: this.threshold };
  }
  protected apply(k: Kernels, x: Tensor, y: Tensor): void {
    k.softplusForward(x.storage, y.storage, this.beta, this.threshold);
  }
  protected applyBackward(k: Kernels, x: Tensor, _y: Tensor, dy: Tensor, dx: Tensor): void {
    k.softplusBackward(x.storage, dy.storage, dx.storage, this.beta, this.threshold);
  }
}

/** y = x; dx = dy. Returns its input and the incoming gradient themselves (no copy). */
export class Identity extends Module {
  private seen: Tensor | null = null;
  describe(): string {
    return 'Identity';
  }
  config(): LayerConfig {
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
