// MaxPool2d(k, {stride, padding}), AvgPool2d(k, {stride, padding}) and Flatten.
//   MaxPool2d, AvgPool2d  x: (B, C, H, W) → y: (B, C, OH, OW), OH = ⌊(H + 2·ph − kh) / sh⌋ + 1;
//                         stride defaults to k, padding to 0 (at most half the kernel, as PyTorch)
//   Flatten               x: (B, d1, d2, …) → y: (B, d1·d2·…)

import { allocateFor, backend, kernelsFor } from '../backend.js';
import type { Backend } from '../kernels/table.js';
import { shapeString, shapeSize, Tensor, type FloatArray } from '../tensor.js';
import { pair, type Pair } from './conv.js';
import { OutputBuffer, LayerError, Module, type LayerConfig } from './module.js';

/** Options of {@link MaxPool2d}. */
export interface MaxPool2dOptions {
  /** Step of the window, one number or [height, width] (default: the kernel size). */
  stride?: Pair;
  /** Implicit −∞ padding on each side, at most half the kernel (default 0). */
  padding?: Pair;
}

/**
 * y = the maximum of each kh×kw window of each channel, as torch.nn.MaxPool2d.
 * Shapes: x [batch, C, H, W] → y [batch, C, OH, OW], OH = ⌊(H + 2·ph − kh) / sh⌋ + 1 (OW likewise).
 * backward routes each dy to the input that won its window.
 */
export class MaxPool2d extends Module {
  /** [kh, kw], the window's height and width. */
  readonly kernelSize: [number, number];
  /** [sh, sw], the window's step. */
  readonly stride: [number, number];
  /** [ph, pw], the padding on each side. */
  readonly padding: [number, number];
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  /**
   * For each output, the flat position (within its H·W plane) of the input that won: an Int32Array
   * view on a block of 4-byte elements allocated by the backend (on wasm or webgpu the kernels find
   * it in their own memory), with the block (kept alive with the view) and the backend it came from.
   */
  private argmaxStore: { block: FloatArray; argmax: Int32Array; owner: Backend } | null = null;
  private readonly out = new OutputBuffer();
  private readonly dxBuf = new OutputBuffer();
  /** Set by forwardAfterReLU: the last forward was y = maxPool(relu(x)), and backward differentiates that. */
  private afterReLU = false;
  /** The pooled input before the ReLU (forwardAfterReLU), and dy masked by the ReLU's derivative (its backward). */
  private readonly pooled = new OutputBuffer();
  private readonly dyMasked = new OutputBuffer();

  /** A max pool over windows of `kernelSize` (one number or [kh, kw]); stride defaults to the kernel size. */
  constructor(kernelSize: Pair, options: MaxPool2dOptions = {}) {
    super();
    this.kernelSize = pair('MaxPool2d', 'kernelSize', kernelSize, 1);
    this.stride = pair('MaxPool2d', 'stride', options.stride ?? this.kernelSize, 1);
    this.padding = pair('MaxPool2d', 'padding', options.padding ?? 0, 0);
    if (this.padding[0] * 2 > this.kernelSize[0] || this.padding[1] * 2 > this.kernelSize[1]) {
      throw new LayerError(`MaxPool2d: padding ${this.padding.join('×')} must be at most half the kernel ${this.kernelSize.join('×')} (as in PyTorch)`);
    }
  }

  describe(): string {
    return `MaxPool2d(kernel ${this.kernelSize.join('×')}, stride ${this.stride.join('×')})`;
  }

  config(): LayerConfig {
    return { type: 'MaxPool2d', kernelSize: this.kernelSize, stride: this.stride, padding: this.padding };
  }

  forward(x: Tensor): Tensor {
    this.afterReLU = false;
    return this.poolInto(this.out, x);
  }

  /**
   * y = maxPool(relu(x)), the output of a ReLU (scale 1) followed by this pool, for x the ReLU's
   * input (a Sequential runs the pair so), computed as relu(maxPool(x)): the ReLU passes over the
   * pooled output, a quarter of x for 2×2 windows, instead of over x. The bits are those of the
   * two layers one after the other: relu is monotone and keeps NaN, so wherever a window's
   * maximum is > 0 or NaN the same input wins it and relu leaves it as it is; where it is ≤ 0 both
   * give +0 (and backward passes no gradient there, as the ReLU's would not). backward then
   * returns the gradient with respect to x.
   */
  forwardAfterReLU(x: Tensor): Tensor {
    const m = this.poolInto(this.pooled, x);
    const y = this.out.get(m.shape, m.dtype);
    kernelsFor(m.dtype).reluForward(m.storage, y.storage, 1);
    this.y = y;
    this.afterReLU = true;
    return y;
  }

  /** The max pool of x into `buffer`, keeping x, the output and the argmax for backward. */
  private poolInto(buffer: OutputBuffer, x: Tensor): Tensor {
    this.requireTensor(x, 'the input');
    if (x.rank !== 4) this.fail(`expected an input of shape [batch, channels, height, width], got ${shapeString(x.shape)}`);
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    const [ph, pw] = this.padding;
    if (H + 2 * ph < kh || W + 2 * pw < kw) {
      this.fail(`kernel ${kh}×${kw} is larger than the padded input ${H + 2 * ph}×${W + 2 * pw} (input shape ${shapeString(x.shape)})`);
    }
    const OH = Math.floor((H + 2 * ph - kh) / sh) + 1;
    const OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
    const y = buffer.get([B, C, OH, OW], x.dtype);
    let store = this.argmaxStore;
    if (!store || store.argmax.length !== y.size || store.owner !== backend()) {
      const block = allocateFor('float32', y.size);
      store = this.argmaxStore = { block, argmax: new Int32Array(block.buffer, block.byteOffset, y.size), owner: backend() };
    }
    kernelsFor(x.dtype).maxPool2dForward(x.storage, B * C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, y.storage, store.argmax);
    this.x = x;
    this.y = y;
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.requireGradShape(dy, this.y);
    const x = this.x!;
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const [, , OH, OW] = dy.shape as [number, number, number, number];
    const k = kernelsFor(dy.dtype);
    let g = dy;
    if (this.afterReLU) {
      // forward was y = relu(x[argmax]), so first dy · relu'(x[argmax]): 0 where y ≤ 0 (y = x[argmax]
      // wherever that is > 0 or NaN, and +0 elsewhere), dy elsewhere
      g = this.dyMasked.get(dy.shape, dy.dtype);
      k.reluBackward(this.y!.storage, dy.storage, g.storage, 1);
    }
    // forward was y = x[argmax], so dx[argmax] += dy and 0 elsewhere.
    const dx = this.dxBuf.zeros(x.shape, x.dtype);
    k.maxPool2dBackward(g.storage, this.argmaxStore!.argmax, B * C, H, W, OH, OW, dx.storage);
    return dx;
  }
}

/** Options of {@link AvgPool2d}. */
export interface AvgPool2dOptions {
  /** Step of the window, one number or [height, width] (default: the kernel size). */
  stride?: Pair;
  /** Zero padding on each side, counted in each window's mean, at most half the kernel (default 0). */
  padding?: Pair;
}

/**
 * y = (1/(kh·kw)) Σ_window x: the mean of each window, zero padding included in the count
 * (PyTorch's defaults count_include_pad = True, ceil_mode = False).
 * Shapes: x [batch, C, H, W] → y [batch, C, OH, OW], OH = ⌊(H + 2·ph − kh) / sh⌋ + 1 (OW likewise).
 */
export class AvgPool2d extends Module {
  /** [kh, kw], the window's height and width. */
  readonly kernelSize: [number, number];
  /** [sh, sw], the window's step. */
  readonly stride: [number, number];
  /** [ph, pw], the zero padding on each side. */
  readonly padding: [number, number];
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  private readonly out = new OutputBuffer();
  private readonly dxBuf = new OutputBuffer();

  /** An average pool over windows of `kernelSize` (one number or [kh, kw]); stride defaults to the kernel size. */
  constructor(kernelSize: Pair, options: AvgPool2dOptions = {}) {
    super();
    this.kernelSize = pair('AvgPool2d', 'kernelSize', kernelSize, 1);
    this.stride = pair('AvgPool2d', 'stride', options.stride ?? this.kernelSize, 1);
    this.padding = pair('AvgPool2d', 'padding', options.padding ?? 0, 0);
    if (this.padding[0] * 2 > this.kernelSize[0] || this.padding[1] * 2 > this.kernelSize[1]) {
      throw new LayerError(`AvgPool2d: padding ${this.padding.join('×')} must be at most half the kernel ${this.kernelSize.join('×')} (as in PyTorch)`);
    }
  }

  describe(): string {
    return `AvgPool2d(kernel ${this.kernelSize.join('×')}, stride ${this.stride.join('×')}, padding ${this.padding.join('×')})`;
  }

  config(): LayerConfig {
    return { type: 'AvgPool2d', kernelSize: this.kernelSize, stride: this.stride, padding: this.padding };
  }

  forward(x: Tensor): Tensor {
    this.requireTensor(x, 'the input');
    if (x.rank !== 4) this.fail(`expected an input of shape [batch, channels, height, width], got ${shapeString(x.shape)}`);
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    const [ph, pw] = this.padding;
    if (H + 2 * ph < kh || W + 2 * pw < kw) {
      this.fail(`kernel ${kh}×${kw} is larger than the padded input ${H + 2 * ph}×${W + 2 * pw} (input shape ${shapeString(x.shape)})`);
    }
    const OH = Math.floor((H + 2 * ph - kh) / sh) + 1;
    const OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
    const y = this.out.get([B, C, OH, OW], x.dtype);
    kernelsFor(x.dtype).avgPool2dForward(x.storage, B * C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, y.storage);
    this.x = x;
    this.y = y;
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.requireGradShape(dy, this.y);
    const x = this.x!;
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const [, , OH, OW] = dy.shape as [number, number, number, number];
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    const [ph, pw] = this.padding;
    // forward was y = (1/(kh·kw)) Σ_window x, so each input of a window gets dy/(kh·kw), summed over windows.
    const dx = this.dxBuf.zeros(x.shape, x.dtype);
    kernelsFor(dy.dtype).avgPool2dBackward(dy.storage, B * C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, dx.storage);
    return dx;
  }
}

/** Flattens every dimension after the batch: (B, …) → (B, ∏…). A view, no copy. */
export class Flatten extends Module {
  private inShape: readonly number[] | null = null;
  private y: Tensor | null = null;

  describe(): string {
    return 'Flatten';
  }

  config(): LayerConfig {
    return { type: 'Flatten' };
  }

  forward(x: Tensor): Tensor {
    this.requireTensor(x, 'the input');
    if (x.rank < 1) this.fail(`expected an input with a batch dimension, got shape ${shapeString(x.shape)}`);
    this.inShape = x.shape;
    this.y = new Tensor(x.storage, [x.shape[0]!, shapeSize(x.shape.slice(1))]);
    return this.y;
  }

  backward(dy: Tensor): Tensor {
    this.requireGradShape(dy, this.y);
    // forward was a reshape, so the gradient is the same numbers in the input's shape.
    return new Tensor(dy.storage, this.inShape!);
  }
}
