// Embedding(numEmbeddings, embeddingDim, {paddingIdx}): a lookup table of rows, as PyTorch's.
//   indices: (…) integral values in [0, numEmbeddings)   W: (numEmbeddings, embeddingDim)
//   y: (…, embeddingDim),   y[i, :] = W[indices[i], :]
// The indices come as a Tensor of integral values (PyTorch takes a LongTensor; handgrad's
// tensors are float32 or float64, exact for integers up to 2²⁴ and 2⁵³), of any dtype and
// independent of the weight's. They are not differentiable: backward returns zeros of their shape.
// W is initialised N(0, 1) as PyTorch; the row paddingIdx starts at zero and receives no gradient.

import { kernelsFor } from '../backend.js';
import { globalRandom, type Random } from '../random.js';
import type { Parameter } from '../parameter.js';
import { shapeString, type DType, type Tensor } from '../tensor.js';
import { IndexStore } from './indices.js';
import { OutputBuffer, checkNumber, Module, type LayerConfig } from './module.js';

/** Options of {@link Embedding}. */
export interface EmbeddingOptions {
  /** A row that maps to zeros and is never trained (e.g. the padding token); negative counts from the end. */
  paddingIdx?: number | null;
  /** The table's dtype (default 'float32'). */
  dtype?: DType;
  /** The generator the N(0, 1) initialisation draws from (default {@link globalRandom}). */
  rng?: Random;
}

/**
 * A lookup table of rows, as torch.nn.Embedding: y[i, :] = W[indices[i], :].
 * Shapes: indices (…) of integral values in [0, numEmbeddings), any dtype → y (…, embeddingDim);
 * weight [numEmbeddings, embeddingDim], initialised N(0, 1). backward adds dy's rows into the
 * weight's gradient rows and returns zeros of the indices' shape (they are not differentiable).
 */
export class Embedding extends Module {
  /** The number of rows. */
  readonly numEmbeddings: number;
  /** The length of each row. */
  readonly embeddingDim: number;
  /** The padding row in [0, numEmbeddings), or null. */
  readonly paddingIdx: number | null;
  /** W, shape [numEmbeddings, embeddingDim]. */
  readonly weight: Parameter;
  private readonly indices = new IndexStore();
  /** The indices of the last forward (a view of `indices`) and their tensor. */
  private idx: Int32Array | null = null;
  private x: Tensor | null = null;
  private y: Tensor | null = null;
  private readonly out = new OutputBuffer();
  private readonly dxBuf = new OutputBuffer();

  /** A table of `numEmbeddings` rows of `embeddingDim` values, drawn N(0, 1) (the padding row zero). */
  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = checkNumber('Embedding', 'numEmbeddings', numEmbeddings, { min: 1, integer: true });
    this.embeddingDim = checkNumber('Embedding', 'embeddingDim', embeddingDim, { min: 1, integer: true });
    const p = options.paddingIdx ?? null;
    this.paddingIdx = p === null ? null
      : ((v) => (v < 0 ? v + numEmbeddings : v))(checkNumber('Embedding', 'paddingIdx', p, { min: -numEmbeddings, max: numEmbeddings - 1, integer: true }));
    this.weight = this.addParameter('weight', [numEmbeddings, embeddingDim], options.dtype ?? 'float32');
    (options.rng ?? globalRandom).fillNormal(this.weight.value.data);
    if (this.paddingIdx !== null) this.weight.value.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
  }

  describe(): string {
    return `Embedding(${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`})`;
  }

  config(): LayerConfig {
    return { type: 'Embedding', numEmbeddings: this.numEmbeddings, embeddingDim: this.embeddingDim, paddingIdx: this.paddingIdx };
  }

  forward(x: Tensor): Tensor {
    this.requireTensor(x, 'the input (a tensor of integer indices)');
    const idx = this.indices.get(x.size);
    const N = this.numEmbeddings;
    for (let i = 0; i < x.size; i++) {
      const v = x.data[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= N) {
        this.fail(`index ${i} of the input (shape ${shapeString(x.shape)}) is ${v}, expected an integer row in [0, ${N - 1}]`);
      }
      idx[i] = v;
    }
    const w = this.weight.value;
    const y = this.out.get([...x.shape, this.embeddingDim], w.dtype);
    kernelsFor(w.dtype).embeddingForward(w.storage, idx, this.embeddingDim, y.storage);
    this.idx = idx;
    this.x = x;
    this.y = y;
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.requireGradShape(dy, this.y);
    // forward was y[i] = W[indices[i]], so dW[indices[i]] += dy[i] (a scatter-add), except the padding row
    kernelsFor(dy.dtype).embeddingBackward(dy.storage, this.idx!, this.embeddingDim, this.paddingIdx ?? -1, this.weight.grad.storage);
    // the indices are not differentiable: zeros of their shape
    return this.dxBuf.zeros(this.x!.shape, this.x!.dtype);
  }

  protected override onDtypeChange(): void {
    this.x = this.y = null;
    this.idx = null;
  }
}
