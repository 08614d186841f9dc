// Softmax({dim}) and LogSoftmax({dim}) along one axis `dim` of any tensor (negative counts from
// the end). Viewing x as (outer, size, inner), with size the length of the axis:
//   Softmax     y = e^(x − max) / Σ e^(x − max)          dx = y·(dy − Σ dy·y)
//   LogSoftmax  y = x − max − log Σ e^(x − max)          dx = dy − e^y·Σ dy
// (sums along the axis). Both are max-shifted, so no input overflows; y has the shape of x.

import { kernelsFor } from '../backend.js';
import type { Kernels } from '../kernels/table.js';
import { shapeSize, shapeString, type Tensor } from '../tensor.js';
import { OutputBuffer, LayerError, Module, describeValue, type LayerConfig } from './module.js';

/** Options of {@link Softmax} and {@link LogSoftmax}. */
export interface SoftmaxOptions {
  /**
   * The axis to normalise along (negative: from the end), e.g. 1 or −1 for logits [batch, classes].
   * Required: PyTorch's implicit choice of an axis when dim is omitted is deprecated there.
   */
  dim: number;
}

type SoftmaxKind = 'Softmax' | 'LogSoftmax';

abstract class AlongAxis extends Module {
  /** The axis normalised along, as given (negative: from the end). */
  readonly dim: number;
  /** The layer's type name in configs. */
  protected abstract readonly kind: SoftmaxKind;
  private y: Tensor | null = null;
  private readonly out = new OutputBuffer();
  private readonly dxBuf = new OutputBuffer();

  constructor(kind: SoftmaxKind, options: SoftmaxOptions) {
    super();
    const dim: unknown = options?.dim;
    if (typeof dim !== 'number' || !Number.isInteger(dim)) {
      throw new LayerError(`${kind}: option dim must be an integer axis (e.g. { dim: 1 } for [batch, classes]), got ${describeValue(dim)}`);
    }
    this.dim = dim;
  }

  /** y ← f(x) for `outer` × `inner` lines of `size` values (the kernel call). */
  protected abstract apply(k: Kernels, x: Tensor, y: Tensor, outer: number, size: number, inner: number): void;
  /** dx ← the backward of f from y and dy, over the same lines (the kernel call). */
  protected abstract applyBackward(k: Kernels, y: Tensor, dy: Tensor, dx: Tensor, outer: number, size: number, inner: number): void;

  describe(): string {
    return `${this.kind}(dim=${this.dim})`;
  }

  config(): LayerConfig {
    return { type: this.kind, dim: this.dim };
  }

  /** (outer, size, inner) of a shape around the axis dim. */
  private split(shape: readonly number[]): [number, number, number] {
    const r = shape.length;
    const d = this.dim < 0 ? this.dim + r : this.dim;
    if (d < 0 || d >= r) this.fail(`dim ${this.dim} is out of range for an input of shape ${shapeString(shape)} (rank ${r})`);
    return [shapeSize(shape.slice(0, d)), shape[d]!, shapeSize(shape.slice(d + 1))];
  }

  forward(x: Tensor): Tensor {
    this.requireTensor(x, 'the input');
    const [outer, size, inner] = this.split(x.shape);
    const y = this.out.get(x.shape, x.dtype);
    this.apply(kernelsFor(x.dtype), x, y, outer, size, inner);
    this.y = y;
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.requireGradShape(dy, this.y);
    const [outer, size, inner] = this.split(dy.shape);
    const dx = this.dxBuf.get(dy.shape, dy.dtype);
    this.applyBackward(kernelsFor(dy.dtype), this.y!, dy, dx, outer, size, inner);
    return dx;
  }
}

/** y = softmax(x) along dim: each line sums to 1. */
export class Softmax extends AlongAxis {
  protected readonly kind = 'Softmax';
  /** The layer along `options.dim` (required, e.g. 1 or −1 for [batch, classes]). */
  constructor(options: SoftmaxOptions) {
    super('Softmax', options);
  }
  protected apply(k: Kernels, x: Tensor, y: Tensor, outer: number, size: number, inner: number): void {
    k.softmaxForward(x.storage, outer, size, inner, y.storage);
  }
  protected applyBackward(k: Kernels, y: Tensor, dy: Tensor, dx: Tensor, outer: number, size: number, inner: number): void {
    // forward was y = e^x / Σ e^x, so dx = y·(dy − Σ dy·y)
    k.softmaxBackward(y.storage, dy.storage, outer, size, inner, dx.storage);
  }
}

/** y = log softmax(x) along dim, computed as x − logsumexp(x) (never the log of a rounded 0). */
export class LogSoftmax extends AlongAxis {
  protected readonly kind = 'LogSoftmax';
  /** The layer along `options.dim` (required, e.g. 1 or −1 for [batch, classes]). */
  constructor(options: SoftmaxOptions) {
    super('LogSoftmax', options);
  }
  protected apply(k: Kernels, x: Tensor, y: Tensor, outer: number, size: number, inner: number): void {
    k.logSoftmaxForward(x.storage, outer, size, inner, y.storage);
  }
  protected applyBackward(k: Kernels, y: Tensor, dy: Tensor, dx: Tensor, outer: number, size: number, inner: number): void {
    // forward was y = x − log Σ e^x, so dx = dy − softmax(x)·Σ dy, with softmax(x) = e^y
    k.logSoftmaxBackward(y.storage, dy.storage, outer, size, inner, dx.storage);
  }
}
