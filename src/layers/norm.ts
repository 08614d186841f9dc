// Normalisation layers, as PyTorch's.
//   BatchNorm1d(C)  x: (N, C) or (N, C, L)   BatchNorm2d(C)  x: (N, C, H, W)     y: the shape of x
//     Each channel c is normalised over its M = N·L (or N·H·W) values:
//       y = (x − μ_c) / √(σ²_c + ε) · γ_c + β_c          γ, β: (C)   (affine; else γ = 1, β = 0)
//     training: μ, σ² are the batch's mean and biased variance, and the running estimates move
//       running ← (1 − m)·running + m·batch   (m = momentum, or 1/num_batches_tracked for a
//       cumulative average when momentum is null), the variance entering unbiased: σ²·M/(M − 1);
//     eval: μ, σ² are the running estimates (buffers running_mean, running_var,
//       num_batches_tracked, saved with the model), unless trackRunningStats is off.
//   LayerNorm(shape)  x: (…, *shape)   each sample normalised over its trailing dims `shape`:
//       y = (x − mean) / √(var + ε) · γ + β               γ, β: shape   (elementwiseAffine)
// The backward passes are the compact forms; docs/batchnorm-backward.md derives the batch-norm one.

import { kernelsFor } from '../backend.js';
import type { Kernels } from '../kernels/table.js';
import type { Parameter } from '../parameter.js';
import { shapeSize, shapeString, type DType, type Tensor } from '../tensor.js';
import { OutputBuffer, checkNumber, LayerError, Module, describeValue, type LayerConfig } from './module.js';

/** Options of {@link BatchNorm1d} and {@link BatchNorm2d}. */
export interface BatchNormOptions {
  /** Added to the variance under the square root. Default 1e-5. */
  eps?: number;
  /** Weight of the batch in the running estimates; null: their cumulative average. Default 0.1. */
  momentum?: number | null;
  /** Learn a per-channel scale γ (weight) and shift β (bias). Default true. */
  affine?: boolean;
  /** Keep running estimates and use them in eval(). Default true. */
  trackRunningStats?: boolean;
  /** The parameters' and buffers' dtype (default 'float32'). */
  dtype?: DType;
}

type BatchNormKind = 'BatchNorm1d' | 'BatchNorm2d';

abstract class BatchNorm extends Module {
  /** C, the number of channels (features) normalised. */
  readonly numFeatures: number;
  /** ε, added to the variance under the square root. */
  readonly eps: number;
  /** The batch's weight in the running estimates; null for their cumulative average. */
  readonly momentum: number | null;
  /** Whether the layer learns γ (weight) and β (bias). */
  readonly affine: boolean;
  /** Whether running estimates are kept (and used in eval()). */
  readonly trackRunningStats: boolean;
  /** γ, the per-channel scale, shape [C] (initialised to 1); null unless affine. */
  readonly weight: Parameter | null;
  /** β, the per-channel shift, shape [C] (initialised to 0); null unless affine. */
  readonly bias: Parameter | null;
  /** The layer's type name in configs. */
  protected abstract readonly kind: BatchNormKind;
  /** forward's input, and whether it normalised with the batch's statistics (else the running ones). */
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  private usedBatchStats = true;
  /** The μ and 1/√(σ² + ε) forward used, per channel. */
  private mean: Tensor | null = null;
  private readonly meanBuf = new OutputBuffer();
  private readonly varBuf = new OutputBuffer();
  private readonly invStdBuf = new OutputBuffer();
  private invStd: Tensor | null = null;
  private readonly out = new OutputBuffer();
  private readonly dxBuf = new OutputBuffer();

  constructor(kind: BatchNormKind, numFeatures: number, options: BatchNormOptions) {
    super();
    this.numFeatures = checkNumber(kind, 'numFeatures', numFeatures, { min: 1, integer: true });
    this.eps = checkNumber(kind, 'eps', options.eps ?? 1e-5, { min: 0, minExclusive: true });
    const m = options.momentum === undefined ? 0.1 : options.momentum;
    this.momentum = m === null ? null : checkNumber(kind, 'momentum', m, { min: 0, max: 1 });
    this.affine = checkFlag(kind, 'affine', options.affine ?? true);
    this.trackRunningStats = checkFlag(kind, 'trackRunningStats', options.trackRunningStats ?? true);
    const dtype = options.dtype ?? 'float32';
    const C = this.numFeatures;
    // γ = 1, β = 0 (PyTorch's reset_parameters)
    this.weight = this.affine ? this.addParameter('weight', [C], dtype) : null;
    this.bias = this.affine ? this.addParameter('bias', [C], dtype) : null;
    this.weight?.value.data.fill(1);
    if (this.trackRunningStats) {
      this.addBuffer('running_mean', [C], dtype);
      this.addBuffer('running_var', [C], dtype).data.fill(1);
      this.addBuffer('num_batches_tracked', [], dtype);
    }
  }

  /** The input shapes this layer takes, for messages: "[batch, C]" etc. */
  protected abstract expectedShapes(): string;
  /** Whether an input of this rank is one the layer takes. */
  /** Whether an input of this rank is one the layer takes. */
  protected abstract rankOk(rank: number): boolean;

  describe(): string {
    return `${this.kind}(${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats})`;
  }

  config(): LayerConfig {
    return {
      type: this.kind, numFeatures: this.numFeatures, eps: this.eps, momentum: this.momentum,
      affine: this.affine, trackRunningStats: this.trackRunningStats,
    };
  }

  /** running_mean (C), or null when trackRunningStats is off. */
  get runningMean(): Tensor | null {
    return this.trackRunningStats ? this.buffer('running_mean') : null;
  }

  /** running_var (C), the unbiased running estimate, or null when trackRunningStats is off. */
  get runningVar(): Tensor | null {
    return this.trackRunningStats ? this.buffer('running_var') : null;
  }

  /** Training batches seen (num_batches_tracked), or null when trackRunningStats is off. */
  get numBatchesTracked(): number | null {
    return this.trackRunningStats ? this.buffer('num_batches_tracked').data[0]! : null;
  }

  forward(x: Tensor): Tensor {
    this.requireTensor(x, 'the input');
    const C = this.numFeatures;
    if (!this.rankOk(x.rank) || x.shape[1] !== C) this.fail(`expected an input of shape ${this.expectedShapes()}, got ${shapeString(x.shape)}`);
    const own = this.weight?.value.dtype ?? this.runningMean?.dtype ?? x.dtype;
    if (x.dtype !== own) this.fail(`got a ${x.dtype} input but the layer is ${own}; convert one with .to('${x.dtype}') or Tensor.to('${own}')`);
    const B = x.shape[0]!;
    const S = shapeSize(x.shape.slice(2));
    const M = B * S;
    const k = kernelsFor(x.dtype);
    const invStd = this.invStdBuf.get([C], x.dtype);
    const useBatch = this.training || !this.trackRunningStats;
    let mean: Tensor;
    if (useBatch) {
      if (this.training && M <= 1) this.fail(`expected more than 1 value per channel when training, got input shape ${shapeString(x.shape)}`);
      if (M === 0) this.fail(`got an empty batch (input shape ${shapeString(x.shape)}): no statistics to normalise with`);
      mean = this.meanBuf.get([C], x.dtype);
      const variance = this.varBuf.get([C], x.dtype);
      k.batchNormStats(x.storage, B, C, S, mean.storage, variance.storage);
      k.batchNormInvStd(variance.storage, C, this.eps, invStd.storage);
      if (this.training && this.trackRunningStats) this.updateRunning(k, mean, variance, M);
    } else {
      mean = this.buffer('running_mean');
      k.batchNormInvStd(this.buffer('running_var').storage, C, this.eps, invStd.storage);
    }
    const y = this.out.get(x.shape, x.dtype);
    k.batchNormForward(x.storage, B, C, S, mean.storage, invStd.storage, this.weight?.value.storage ?? null, this.bias?.value.storage ?? null, y.storage);
    this.x = x;
    this.y = y;
    this.mean = mean;
    this.invStd = invStd;
    this.usedBatchStats = useBatch;
    return y;
  }

  /**
   * num_batches_tracked += 1, then with f = momentum (or 1/num_batches_tracked when null):
   *   running_mean ← (1 − f)·running_mean + f·μ,   running_var ← (1 − f)·running_var + f·σ²·M/(M − 1).
   * The counter is the host's (no kernel writes it, so reading it brings nothing back from a
   * device); the C-element update is a kernel, where the statistics live.
   */
  private updateRunning(k: Kernels, mean: Tensor, variance: Tensor, M: number): void {
    const n = this.buffer('num_batches_tracked').data;
    n[0] = n[0]! + 1;
    const f = this.momentum ?? 1 / n[0]!;
    k.batchNormRunningUpdate(
      mean.storage, variance.storage, this.numFeatures, f, M / (M - 1),
      this.buffer('running_mean').storage, this.buffer('running_var').storage,
    );
  }

  backward(dy: Tensor): Tensor {
    this.requireGradShape(dy, this.y);
    const x = this.x!;
    const C = this.numFeatures;
    const B = x.shape[0]!;
    const S = shapeSize(x.shape.slice(2));
    const dx = this.dxBuf.get(x.shape, x.dtype);
    // forward was y = x̂·γ + β with x̂ = (x − μ)/√(σ² + ε), so per channel
    //   dγ += Σ dy·x̂,   dβ += Σ dy,
    //   dx = (γ/σ)·(dy − mean(dy) − x̂·mean(dy·x̂))   when μ, σ² are the batch's (functions of x),
    //   dx = (γ/σ)·dy                                when they are the running estimates (constants).
    kernelsFor(dy.dtype).batchNormBackward(
      x.storage, dy.storage, B, C, S, this.mean!.storage, this.invStd!.storage, this.weight?.value.storage ?? null,
      this.usedBatchStats ? 'batch' : 'running', this.weight?.grad.storage ?? null, this.bias?.grad.storage ?? null, dx.storage,
    );
    return dx;
  }

  protected override onDtypeChange(): void {
    this.x = this.y = this.mean = this.invStd = null;
  }
}

/** Batch normalisation of (N, C) features or (N, C, L) sequences, per channel C. */
export class BatchNorm1d extends BatchNorm {
  protected readonly kind = 'BatchNorm1d';
  /** Batch normalisation of `numFeatures` channels (eps 1e-5, momentum 0.1, affine and running statistics by default). */
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm1d', numFeatures, options);
  }
  protected expectedShapes(): string {
    return `[batch, ${this.numFeatures}] or [batch, ${this.numFeatures}, length]`;
  }
  protected rankOk(rank: number): boolean {
    return rank === 2 || rank === 3;
  }
}

/** Batch normalisation of (N, C, H, W) images, per channel C. */
export class BatchNorm2d extends BatchNorm {
  protected readonly kind = 'BatchNorm2d';
  /** Batch normalisation of `numFeatures` channels (eps 1e-5, momentum 0.1, affine and running statistics by default). */
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm2d', numFeatures, options);
  }
  protected expectedShapes(): string {
    return `[batch, ${this.numFeatures}, height, width]`;
  }
  protected rankOk(rank: number): boolean {
    return rank === 4;
  }
}

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  /** Added to the variance under the square root. Default 1e-5. */
  eps?: number;
  /** Learn an elementwise scale γ (weight) and shift β (bias) of the normalised shape. Default true. */
  elementwiseAffine?: boolean;
  /** The parameters' dtype (default 'float32'). */
  dtype?: DType;
}

/** Layer normalisation over the trailing dimensions `normalizedShape` of each sample. */
export class LayerNorm extends Module {
  /** The trailing dimensions each sample is normalised over. */
  readonly normalizedShape: readonly number[];
  /** ε, added to the variance under the square root. */
  readonly eps: number;
  /** Whether the layer learns γ (weight) and β (bias). */
  readonly elementwiseAffine: boolean;
  /** γ, the elementwise scale, of shape normalizedShape (initialised to 1); null unless elementwiseAffine. */
  readonly weight: Parameter | null;
  /** β, the elementwise shift, of shape normalizedShape (initialised to 0); null unless elementwiseAffine. */
  readonly bias: Parameter | null;
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  /** Per row (sample), the mean and 1/√(var + ε) forward computed. */
  private readonly meanBuf = new OutputBuffer();
  private readonly rstdBuf = new OutputBuffer();
  private readonly out = new OutputBuffer();
  private readonly dxBuf = new OutputBuffer();

  /** Layer normalisation over the trailing `normalizedShape` (one size or several), eps 1e-5 and affine by default. */
  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    if (!Array.isArray(shape) || shape.length === 0) {
      throw new LayerError(`LayerNorm: normalizedShape must be a positive integer or a non-empty array of them, got ${describeValue(normalizedShape)}`);
    }
    this.normalizedShape = Object.freeze(shape.map((d) => checkNumber('LayerNorm', 'normalizedShape', d, { min: 1, integer: true })));
    this.eps = checkNumber('LayerNorm', 'eps', options.eps ?? 1e-5, { min: 0, minExclusive: true });
    this.elementwiseAffine = checkFlag('LayerNorm', 'elementwiseAffine', options.elementwiseAffine ?? true);
    const dtype = options.dtype ?? 'float32';
    // γ = 1, β = 0 (PyTorch's reset_parameters)
    this.weight = this.elementwiseAffine ? this.addParameter('weight', [...this.normalizedShape], dtype) : null;
    this.bias = this.elementwiseAffine ? this.addParameter('bias', [...this.normalizedShape], dtype) : null;
    this.weight?.value.data.fill(1);
  }

  describe(): string {
    return `LayerNorm(${shapeString(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine})`;
  }

  config(): LayerConfig {
    return { type: 'LayerNorm', normalizedShape: [...this.normalizedShape], eps: this.eps, elementwiseAffine: this.elementwiseAffine };
  }

  forward(x: Tensor): Tensor {
    this.requireTensor(x, 'the input');
    const n = this.normalizedShape.length;
    const tail = x.shape.slice(x.rank - n);
    if (x.rank < n || tail.some((d, i) => d !== this.normalizedShape[i])) {
      this.fail(`expected an input of shape [..., ${this.normalizedShape.join(', ')}], got ${shapeString(x.shape)}`);
    }
    const own = this.weight?.value.dtype ?? x.dtype;
    if (x.dtype !== own) this.fail(`got a ${x.dtype} input but the layer is ${own}; convert one with .to('${x.dtype}') or Tensor.to('${own}')`);
    const cols = shapeSize(this.normalizedShape);
    const rows = x.size / cols;
    const y = this.out.get(x.shape, x.dtype);
    kernelsFor(x.dtype).layerNormForward(
      x.storage, rows, cols, this.eps, this.weight?.value.storage ?? null, this.bias?.value.storage ?? null,
      y.storage, this.meanBuf.get([rows], x.dtype).storage, this.rstdBuf.get([rows], x.dtype).storage,
    );
    this.x = x;
    this.y = y;
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.requireGradShape(dy, this.y);
    const x = this.x!;
    const cols = shapeSize(this.normalizedShape);
    const rows = x.size / cols;
    const dx = this.dxBuf.get(x.shape, x.dtype);
    const k: Kernels = kernelsFor(dy.dtype);
    // forward was y = x̂·γ + β with x̂ = (x − mean)·rstd per row, so with g = dy·γ
    //   dx = rstd·(g − mean(g) − x̂·mean(g·x̂)),   dγ += Σ_rows dy·x̂,   dβ += Σ_rows dy.
    k.layerNormBackward(
      x.storage, dy.storage, rows, cols, this.meanBuf.get([rows], x.dtype).storage, this.rstdBuf.get([rows], x.dtype).storage,
      this.weight?.value.storage ?? null, this.weight?.grad.storage ?? null, this.bias?.grad.storage ?? null, dx.storage,
    );
    return dx;
  }

  protected override onDtypeChange(): void {
    this.x = this.y = null;
  }
}

function checkFlag(layer: string, option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new LayerError(`${layer}: option ${option} must be true or false, got ${describeValue(value)}`);
  return value;
}
