// Conv2d(inC, outC, k, {stride, padding}): cross-correlation as in PyTorch.
//   x: (B, C, H, W)   W: (OC, C, kh, kw)   b: (OC)   y: (B, OC, OH, OW)
//   OH = ⌊(H + 2·ph − kh) / sh⌋ + 1, OW likewise.
// Stride 1 with few input channels (directConvFits): the direct kernels conv2dForward /
// conv2dBackwardData / conv2dBackwardFilter over the whole batch (shared among threads by image,
// and by output channel for dW). Otherwise each image is unfolded (im2col) into
// col: (C·kh·kw, OH·OW), so y_b = W · col_b  (+ b per channel).

import { kernelsFor } from '../backend.js';
import { directConvFits } from '../kernels/table.js';
import { shapeString, type DType, type Tensor } from '../tensor.js';
import { globalRandom, type Random } from '../random.js';
import { initBias, initWeight, type InitName } from './init.js';
import { gradTarget, type Parameter } from '../parameter.js';
import { OutputBuffer, checkNumber, LayerError, Module, type LayerConfig } from './module.js';

export type Pair = number | [number, number];

export function pair(layer: string, option: string, v: Pair, min: number): [number, number] {
  const p: [number, number] = Array.isArray(v) ? [v[0], v[1]] : [v, v];
  if (Array.isArray(v) && v.length !== 2) throw new LayerError(`${layer}: option ${option} must be a number or a pair [h, w], got ${v.length} values`);
  checkNumber(layer, option, p[0], { min, integer: true });
  checkNumber(layer, option, p[1], { min, integer: true });
  return p;
}

/** Options of {@link Conv2d}. */
export interface Conv2dOptions {
  /** Step of the kernel, one number or [height, width] (default 1). */
  stride?: Pair;
  /** Zeros added on each side, one number or [height, width] (default 0). */
  padding?: Pair;
  /** Whether the layer adds a bias per output channel (default true). */
  bias?: boolean;
  /** How the weight and bias are initialised (default 'pytorch': U(−1/√fan_in, 1/√fan_in), fan_in = inChannels·kh·kw). */
  init?: InitName;
  /** The parameters' dtype (default 'float32'). */
  dtype?: DType;
  /** The generator the initialiser draws from (default {@link globalRandom}). */
  rng?: Random;
}

/**
 * A 2-D convolution (cross-correlation, as torch.nn.Conv2d).
 *
 * Shapes: x [batch, inChannels, H, W] → y [batch, outChannels, OH, OW] with
 * OH = ⌊(H + 2·padding − kh) / stride⌋ + 1 (OW likewise); weight [outChannels, inChannels, kh, kw],
 * bias [outChannels]. backward adds dW and db into the gradients and returns dx.
 */
export class Conv2d extends Module {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output (one kernel each). */
  readonly outChannels: number;
  /** [kh, kw], the kernel's height and width. */
  readonly kernelSize: [number, number];
  /** [sh, sw], the kernel's step. */
  readonly stride: [number, number];
  /** [ph, pw], the zeros added on each side. */
  readonly padding: [number, number];
  /** The kernels, shape [outChannels, inChannels, kh, kw]. */
  readonly weight: Parameter;
  /** One bias per output channel, shape [outChannels]; null when built with `bias: false`. */
  readonly bias: Parameter | null;
  /** The initialiser the parameters were drawn with (recorded in the layer's config). */
  readonly init: InitName;
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  /** The unfolded input of the whole batch, (B, C·kh·kw, OH·OW), kept for dW. */
  private readonly cols = new OutputBuffer();
  private readonly dcol = new OutputBuffer();
  private readonly out = new OutputBuffer();
  private readonly dxBuf = new OutputBuffer();

  /** `kernelSize` is one number or [kh, kw]; the options give stride, padding, bias and initialiser. */
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dOptions = {}) {
    super();
    this.inChannels = checkNumber('Conv2d', 'inChannels', inChannels, { min: 1, integer: true });
    this.outChannels = checkNumber('Conv2d', 'outChannels', outChannels, { min: 1, integer: true });
    this.kernelSize = pair('Conv2d', 'kernelSize', kernelSize, 1);
    this.stride = pair('Conv2d', 'stride', options.stride ?? 1, 1);
    this.padding = pair('Conv2d', 'padding', options.padding ?? 0, 0);
    this.init = options.init ?? 'pytorch';
    const dtype = options.dtype ?? 'float32';
    const rng = options.rng ?? globalRandom;
    const [kh, kw] = this.kernelSize;
    const fanIn = inChannels * kh * kw;
    this.weight = this.addParameter('weight', [outChannels, inChannels, kh, kw], dtype);
    initWeight(this.weight.value.data, fanIn, outChannels * kh * kw, this.init, rng);
    this.bias = options.bias === false ? null : this.addParameter('bias', [outChannels], dtype);
    if (this.bias) initBias(this.bias.value.data, fanIn, this.init, rng);
  }

  describe(): string {
    const [kh, kw] = this.kernelSize;
    return `Conv2d(${this.inChannels} → ${this.outChannels}, kernel ${kh}×${kw}, stride ${this.stride.join('×')}, padding ${this.padding.join('×')})`;
  }

  config(): LayerConfig {
    return {
      type: 'Conv2d', inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize,
      stride: this.stride, padding: this.padding, bias: this.bias !== null, init: this.init,
    };
  }

  /** Output [OH, OW] for an input of H×W, or an error naming the layer when the kernel does not fit. */
  outputSize(H: number, W: number): [number, number] {
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    const [ph, pw] = this.padding;
    if (H + 2 * ph < kh || W + 2 * pw < kw) {
      this.fail(`kernel ${kh}×${kw} is larger than the padded input ${H + 2 * ph}×${W + 2 * pw} (input ${H}×${W}, padding ${ph}×${pw})`);
    }
    return [Math.floor((H + 2 * ph - kh) / sh) + 1, Math.floor((W + 2 * pw - kw) / sw) + 1];
  }

  forward(x: Tensor): Tensor {
    this.requireTensor(x, 'the input');
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      this.fail(`expected an input of shape [batch, ${this.inChannels}, height, width], got ${shapeString(x.shape)}`);
    }
    const dtype = this.weight.value.dtype;
    if (x.dtype !== dtype) this.fail(`got a ${x.dtype} input but the weights are ${dtype}; convert one with .to()`);
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const [OH, OW] = this.outputSize(H, W);
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    const [ph, pw] = this.padding;
    const OC = this.outChannels;
    const CK = C * kh * kw;
    const L = OH * OW;
    const k = kernelsFor(dtype);
    const y = this.out.get([B, OC, OH, OW], dtype);
    this.x = x;
    this.y = y;
    if (directConvFits(C, H, W, OC, kh, kw, sh, sw, ph, pw)) {
      // y = W ⋆ x + b, directly
      k.conv2dForward(x.storage, this.weight.value.storage, this.bias ? this.bias.value.storage : null, B, C, H, W, OC, kh, kw, ph, pw, y.storage);
      return y;
    }
    const cols = this.cols.get([B, CK, L], dtype);
    for (let b = 0; b < B; b++) {
      const col = cols.storage.subarray(b * CK * L, (b + 1) * CK * L);
      k.im2col(x.storage.subarray(b * C * H * W, (b + 1) * C * H * W), C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, col);
      // y_b (OC, L) = W (OC, CK) · col_b (CK, L)
      k.gemm(false, false, OC, L, CK, 1, this.weight.value.storage, col, 0, y.storage.subarray(b * OC * L, (b + 1) * OC * L));
    }
    if (this.bias) k.addChannelVector(y.storage, this.bias.value.storage, B, OC, L);
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.requireGradShape(dy, this.y);
    const x = this.x!;
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const [, OC, OH, OW] = dy.shape as [number, number, number, number];
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    const [ph, pw] = this.padding;
    const CK = C * kh * kw;
    const L = OH * OW;
    const k = kernelsFor(dy.dtype);
    // forward was y = W ⋆ x + b (y_b = W · col_b + b unfolded), so
    //   db += Σ_{b, spatial} dy
    if (this.bias) k.sumChannelsInto(dy.storage, B, OC, L, this.bias.grad.storage);
    // (a gradient zeroGrad() cleared is overwritten: beta 0, see gradTarget)
    const dW = gradTarget(this.weight);
    if (directConvFits(C, H, W, OC, kh, kw, sh, sw, ph, pw)) {
      //   dW = beta·dW + Σ_b dy_b ⋆ x_b          (the correlation of the input with dy)
      k.conv2dBackwardFilter(x.storage, dy.storage, B, C, H, W, OC, kh, kw, ph, pw, dW.beta, dW.grad.storage);
      const dx = this.dxBuf.get(x.shape, x.dtype);
      //   dx = dy ⋆ flip(W)ᵀ                    (the full correlation with the flipped kernel)
      if (this.computeInputGradient) k.conv2dBackwardData(dy.storage, this.weight.value.storage, B, C, H, W, OC, kh, kw, ph, pw, dx.storage);
      else k.fill(dx.storage, 0);
      return dx;
    }
    const cols = this.cols.get([B, CK, L], dy.dtype);
    const dcol = this.dcol.get([CK, L], dy.dtype);
    const dx = this.dxBuf.zeros(x.shape, x.dtype);
    if (B === 0 && dW.beta === 0) k.fill(dW.grad.storage, 0);
    for (let b = 0; b < B; b++) {
      const dyb = dy.storage.subarray(b * OC * L, (b + 1) * OC * L);
      //   dW += dy_b · col_bᵀ      (OC, CK) = (OC, L)(L, CK)    — NT, accumulating
      k.gemm(false, true, OC, CK, L, 1, dyb, cols.storage.subarray(b * CK * L, (b + 1) * CK * L), b === 0 ? dW.beta : 1, dW.grad.storage);
      if (!this.computeInputGradient) continue;
      //   dcol_b = Wᵀ · dy_b       (CK, L) = (CK, OC)(OC, L)    — TN
      k.gemm(true, false, CK, L, OC, 1, this.weight.value.storage, dyb, 0, dcol.storage);
      //   dx_b = col2im(dcol_b)    (the adjoint of the unfolding)
      k.col2im(dcol.storage, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, dx.storage.subarray(b * C * H * W, (b + 1) * C * H * W));
    }
    return dx;
  }

  protected override onDtypeChange(): void {
    this.x = this.y = null;
  }
}
