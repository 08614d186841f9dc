// Linear(in, out): y = x Wᵀ + b.
//   x: (B, in)   W: (out, in)   b: (out)   y: (B, out)      (leading dims beyond B are folded into B)
// A first layer may instead take its batch in sparse form (forwardSparse): x = S[rows] + 1·cᵀ
// with S sparse and c a constant row (sparse-input.ts), the same numbers as the dense batch.

import { kernelsFor } from '../backend.js';
import { shapeString, type DType, type Tensor } from '../tensor.js';
import { globalRandom, type Random } from '../random.js';
import { initBias, initWeight, type InitName } from './init.js';
import { gradTarget, peekValue, type Parameter } from '../parameter.js';
import { OutputBuffer, checkNumber, Module, type LayerConfig } from './module.js';
import type { SparseBatch } from './sparse-input.js';
import { PackedSparseWeight } from './sparse-packed.js';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Whether the layer adds a bias b (default true). */
  bias?: boolean;
  /** How the weight and bias are initialised (default 'pytorch': U(−1/√in, 1/√in), as torch.nn.Linear). */
  init?: InitName;
  /** The parameters' dtype (default 'float32'). */
  dtype?: DType;
  /** The generator the initialiser draws from (default {@link globalRandom}). */
  rng?: Random;
}

/**
 * A fully connected layer, y = x Wᵀ + b, as torch.nn.Linear.
 *
 * Shapes: x [batch, inFeatures] → y [batch, outFeatures] (leading dimensions beyond the batch are
 * folded into it); weight [outFeatures, inFeatures], bias [outFeatures]. backward adds
 * dW = dyᵀ x and db = Σ_batch dy into the gradients and returns dx = dy W.
 */
export class Linear extends Module {
  /** The size of each input vector. */
  readonly inFeatures: number;
  /** The size of each output vector. */
  readonly outFeatures: number;
  /** W, shape [outFeatures, inFeatures]. */
  readonly weight: Parameter;
  /** b, shape [outFeatures]; null when built with `bias: false`. */
  readonly bias: Parameter | null;
  /** The initialiser the parameters were drawn with (recorded in the layer's config). */
  readonly init: InitName;
  /** forward's input, kept for dW = dyᵀ x: a dense tensor, or a sparse batch (forwardSparse). */
  private x: Tensor | null = null;
  private sparse: SparseBatch | null = null;
  private y: Tensor | null = null;
  private readonly out = new OutputBuffer();
  private readonly dxBuf = new OutputBuffer();
  /** The dx buffer as last zero-filled (computeInputGradient = false) and not written since. */
  private dxZeroed: Tensor | null = null;
  /** The weight packed for sparse batches, and its deferred gradient (made on the first sparse batch). */
  private packed: PackedSparseWeight | null = null;

  /** A layer from `inFeatures` to `outFeatures` (positive integers), initialised by `options.init`. */
  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = checkNumber('Linear', 'inFeatures', inFeatures, { min: 1, integer: true });
    this.outFeatures = checkNumber('Linear', 'outFeatures', outFeatures, { min: 1, integer: true });
    const dtype = options.dtype ?? 'float32';
    this.init = options.init ?? 'pytorch';
    const rng = options.rng ?? globalRandom;
    this.weight = this.addParameter('weight', [outFeatures, inFeatures], dtype);
    initWeight(this.weight.value.data, inFeatures, outFeatures, this.init, rng);
    this.bias = options.bias === false ? null : this.addParameter('bias', [outFeatures], dtype);
    if (this.bias) initBias(this.bias.value.data, inFeatures, this.init, rng);
  }

  describe(): string {
    return `Linear(${this.inFeatures} → ${this.outFeatures})`;
  }

  config(): LayerConfig {
    return { type: 'Linear', inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null, init: this.init };
  }

  forward(x: Tensor): Tensor {
    this.requireTensor(x, 'the input');
    const last = x.shape[x.shape.length - 1];
    if (x.rank < 1 || last !== this.inFeatures) {
      this.fail(`expected an input of shape [batch, ${this.inFeatures}], got ${shapeString(x.shape)}`);
    }
    const dtype = this.weight.value.dtype;
    if (x.dtype !== dtype) this.fail(`got a ${x.dtype} input but the weights are ${dtype}; convert one with .to('${x.dtype}') or Tensor.to('${dtype}')`);
    const B = x.size / this.inFeatures;
    const y = this.out.get([...x.shape.slice(0, -1), this.outFeatures], dtype);
    const k = kernelsFor(dtype);
    // y = x Wᵀ: an NT product, W is read as stored (out, in).
    k.gemm(false, true, B, this.outFeatures, this.inFeatures, 1, x.storage, this.weight.value.storage, 0, y.storage);
    if (this.bias) k.addRowVector(y.storage, this.bias.value.storage, B, this.outFeatures);
    this.x = x;
    this.sparse = null;
    this.y = y;
    return y;
  }

  override acceptsSparse(): boolean {
    return true;
  }

  /** forward() on a batch x = S[rows] + 1·cᵀ (sparse-input.ts): the same y, from the non-zeros of S. */
  override forwardSparse(x: SparseBatch): Tensor {
    const m = x?.matrix;
    if (!m || !(x.rows instanceof Int32Array)) this.fail('forwardSparse expects a SparseBatch { matrix, rows }');
    if (m.features !== this.inFeatures) this.fail(`expected a sparse batch of ${this.inFeatures} features, got ${m.features}`);
    const dtype = peekValue(this.weight).dtype;
    if (m.dtype !== dtype) this.fail(`got a ${m.dtype} sparse batch but the weights are ${dtype}`);
    const B = x.rows.length;
    const y = this.out.get([B, this.outFeatures], dtype);
    const k = kernelsFor(dtype);
    // y = (S[rows] + 1·cᵀ) Wᵀ: the row's non-zeros times columns of W, plus W·c for every row
    // (from the packed weight where the backend keeps one, sparse-packed.ts)
    this.packed ??= new PackedSparseWeight(this.weight, this.outFeatures, this.inFeatures);
    if (!this.packed.forward(x, y.storage, this.training)) {
      k.sparseGemmForward(B, this.outFeatures, this.inFeatures, x.rows, m.rowPtr, m.colIdx, m.values, m.constant, this.weight.value.storage, y.storage);
    }
    if (this.bias) k.addRowVector(y.storage, this.bias.value.storage, B, this.outFeatures);
    this.x = null;
    this.sparse = x;
    this.y = y;
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.requireGradShape(dy, this.y);
    const sparse = this.sparse;
    const B = dy.size / this.outFeatures;
    const k = kernelsFor(dy.dtype);
    // forward was y = x Wᵀ + b, so
    //   dW += dyᵀ x   (out, in) = (B, out)ᵀ (B, in)       — a TN product, accumulating (beta = 1),
    //                 or overwriting (beta = 0) a gradient zeroGrad() cleared: no fill, no read
    if (sparse) {
      // forward was y = (S[rows] + 1·cᵀ) Wᵀ + b, so dW += dyᵀ S[rows] + (dyᵀ 1) cᵀ: products over
      // the non-zeros of S and a rank-one term, deferred where the packed weight can take it
      // (written when read, or applied by a plain SGD step: sparse-packed.ts)
      if (!this.packed?.backward(sparse, dy.storage)) {
        const m = sparse.matrix;
        const dW = gradTarget(this.weight);
        k.sparseGemmBackward(B, this.outFeatures, this.inFeatures, sparse.rows, m.rowPtr, m.colIdx, m.values, m.constant, dy.storage, dW.beta, dW.grad.storage);
      }
    } else {
      const dW = gradTarget(this.weight);
      k.gemm(true, false, this.outFeatures, this.inFeatures, B, 1, dy.storage, this.x!.storage, dW.beta, dW.grad.storage);
    }
    //   db += Σ_batch dy
    if (this.bias) k.sumRowsInto(dy.storage, B, this.outFeatures, this.bias.grad.storage);
    //   dx = dy W     (B, in) = (B, out) (out, in)         — an NN product
    const dx = this.dxBuf.get(this.x ? this.x.shape : [B, this.inFeatures], dy.dtype);
    if (!this.computeInputGradient) {
      // the same zeros as last time need no second fill (2.8 MB a step on an 11025-wide input)
      if (dx !== this.dxZeroed) k.fill(dx.storage, 0);
      this.dxZeroed = dx;
      return dx;
    }
    this.dxZeroed = null;
    k.gemm(false, false, B, this.inFeatures, this.outFeatures, 1, dy.storage, this.weight.value.storage, 0, dx.storage);
    return dx;
  }

  protected override onDtypeChange(): void {
    this.x = this.y = null;
    this.sparse = null;
    this.packed = null;
  }
}
