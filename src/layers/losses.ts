// Losses: forward(prediction, target) returns the loss as a number and keeps what backward
// needs; backward() returns dL/dprediction (a tensor owned by the loss, reused across calls).
//   prediction: (B, …)   target: same shape, or class indices (B) for CrossEntropyLoss and NLLLoss.
// reduction 'mean' divides by the number of elements (by the batch size for cross-entropy,
// as PyTorch does), 'sum' does not.

import { allocateFor, backend, kernelsFor } from '../backend.js';
import type { Backend, ElementwiseLossKind } from '../kernels/table.js';
import { onHost, Tensor, sameShape, shapeString, type FloatArray } from '../tensor.js';
import { IndexStore } from './indices.js';
import { OutputBuffer, LayerError, describeValue } from './module.js';

/** How a loss reduces over elements: 'mean' divides the sum by the element count (by the batch size for the cross-entropies, as PyTorch), 'sum' does not. */
export type Reduction = 'mean' | 'sum';

/** Options of every loss. */
export interface LossOptions {
  /** 'mean' or 'sum' (default 'mean'). */
  reduction?: Reduction;
}

/**
 * A loss function with a hand-written gradient: `forward(prediction, target)` returns the loss as a
 * number and keeps what backward needs; `backward()` returns dL/dprediction, a tensor of the
 * prediction's shape owned by the loss and reused by its next call (clone() it to keep it).
 */
export abstract class Loss {
  /** 'mean' or 'sum'. */
  readonly reduction: Reduction;
  /** The reused dL/dprediction tensor. */
  protected readonly gradBuf = new OutputBuffer();
  /** The prediction of the last forward (null before the first). */
  protected pred: Tensor | null = null;

  /** A loss reducing by `options.reduction` (default 'mean'). */
  constructor(options: LossOptions = {}) {
    const r = options.reduction ?? 'mean';
    if (r !== 'mean' && r !== 'sum') throw new LayerError(`${this.describe()}: option reduction must be 'mean' or 'sum', got '${String(r)}'`);
    this.reduction = r;
  }

  /** The loss's name as error messages give it, e.g. "MSELoss". */
  abstract describe(): string;
  /**
   * The loss of `prediction` against `target` (the prediction's shape, or class indices where the
   * loss takes them), as a number; keeps what backward needs.
   */
  abstract forward(prediction: Tensor, target: Tensor | ArrayLike<number>): number;
  /** dL/dprediction of the last forward, in the prediction's shape (a reused tensor). */
  abstract backward(): Tensor;

  /** Throws a LayerError whose message starts with the loss's name. */
  protected fail(message: string): never {
    throw new LayerError(`${this.describe()}: ${message}`);
  }

  /** Throws unless prediction and target are tensors of the same shape. */
  protected requireSameShape(prediction: unknown, target: unknown): asserts target is Tensor {
    if (!(prediction instanceof Tensor)) this.fail(`the prediction must be a Tensor, got ${describeValue(prediction)}`);
    if (!(target instanceof Tensor)) this.fail(`the target must be a Tensor of shape ${shapeString(prediction.shape)}, got ${describeValue(target)}`);
    if (!sameShape(prediction.shape, target.shape)) {
      this.fail(`the prediction has shape ${shapeString(prediction.shape)} but the target has shape ${shapeString(target.shape)}; they must match`);
    }
  }

  /** The last forward's prediction; throws when backward comes before any forward. */
  protected requireForward(): Tensor {
    if (!this.pred) this.fail('backward() called before forward(); compute the loss first');
    return this.pred;
  }

  /** 1/N for 'mean', 1 for 'sum'. */
  protected scale(n: number): number {
    return this.reduction === 'mean' ? 1 / n : 1;
  }
}

/**
 * A loss that is a sum over elements of ℓ(ŷ_i, y_i), scaled by 1/N for 'mean': forward is the
 * elementwiseLoss kernel (Σ ℓ), backward the elementwiseLossBackward kernel (∂ℓ/∂ŷ_i times the
 * same scale). Each subclass names its `kind` and states its ℓ and ∂ℓ/∂ŷ side by side; the loops
 * are in the kernels (src/kernels/ref/index.ts is the specification).
 */
abstract class ElementwiseLoss extends Loss {
  private target: Tensor | null = null;

  /** The elementwise loss kernel's name for ℓ. */
  protected abstract readonly kind: ElementwiseLossKind;

  /** Called when the kernel's sum is NaN: throws if element i of the inputs is not allowed (BCE). */
  protected checkElement(_p: number, _i: number): void {}

  forward(prediction: Tensor, target: Tensor): number {
    this.requireSameShape(prediction, target);
    const s = kernelsFor(prediction.dtype).elementwiseLoss(this.kind, prediction.storage, target.storage);
    // a NaN sum may come from an invalid prediction: name the first one (error path only)
    if (Number.isNaN(s)) for (let i = 0; i < prediction.size; i++) this.checkElement(prediction.data[i]!, i);
    this.pred = prediction;
    this.target = target;
    return s * this.scale(prediction.size);
  }

  backward(): Tensor {
    const p = this.requireForward();
    const g = this.gradBuf.get(p.shape, p.dtype);
    kernelsFor(p.dtype).elementwiseLossBackward(this.kind, p.storage, this.target!.storage, this.scale(p.size), g.storage);
    return g;
  }
}

/** ℓ = (ŷ − y)²;  ∂ℓ/∂ŷ = 2(ŷ − y). */
export class MSELoss extends ElementwiseLoss {
  protected readonly kind = 'mse';
  describe(): string {
    return 'MSELoss';
  }
}

/**
 * ℓ = −[y log ŷ + (1 − y) log(1 − ŷ)], each log clamped at −100 as PyTorch does, so ŷ = 0
 * or 1 gives a finite loss; ∂ℓ/∂ŷ = (ŷ − y) / max(ŷ(1 − ŷ), 1e−12) (PyTorch's backward, with
 * its float constant 1e−12 rounded to float32).
 */
export class BCELoss extends ElementwiseLoss {
  protected readonly kind = 'bce';
  describe(): string {
    return 'BCELoss';
  }
  protected override checkElement(p: number, i: number): void {
    if (!(p >= 0 && p <= 1)) this.fail(`every prediction must be a probability in [0, 1] (apply Sigmoid first, or use BCEWithLogitsLoss); element ${i} is ${p}`);
  }
}

/**
 * BCE of σ(z) from logits z, computed stably:
 *   ℓ = max(z, 0) − z·y + log(1 + e^(−|z|));  ∂ℓ/∂z = σ(z) − y.
 */
export class BCEWithLogitsLoss extends ElementwiseLoss {
  protected readonly kind = 'bceWithLogits';
  describe(): string {
    return 'BCEWithLogitsLoss';
  }
}

/**
 * Cross-entropy from logits z (B, C), with class indices (B) or one-hot / probability rows (B, C):
 *   L = mean_b [ logsumexp(z_b) − z_b[label_b] ],   dL/dz = (softmax(z) − onehot) / B.
 * Stable for logits of any size (max-shifted log-sum-exp).
 */
export class CrossEntropyLoss extends Loss {
  private probs: Tensor | null = null;
  /**
   * The class indices of the last forward, reused across batches: `labels` is an Int32Array view
   * on `block`, 4-byte elements allocated by `owner`, the backend (on wasm, in its memory: the
   * kernels read it in place, without staging). Holding `block` keeps its storage alive, since a
   * view of another type does not.
   */
  private labelStore: { block: FloatArray; labels: Int32Array; owner: Backend } | null = null;
  private targetRows: Tensor | null = null;
  private readonly probsBuf = new OutputBuffer();

  describe(): string {
    return 'CrossEntropyLoss';
  }

  /** The softmax probabilities of the last forward (B, C). */
  get probabilities(): Tensor {
    if (!this.probs) this.fail('no probabilities yet; call forward first');
    return this.probs;
  }

  forward(logits: Tensor, target: Tensor | ArrayLike<number>): number {
    if (!(logits instanceof Tensor)) this.fail(`the logits must be a Tensor of shape [batch, classes], got ${describeValue(logits)}`);
    if (logits.rank !== 2) this.fail(`expected logits of shape [batch, classes], got ${shapeString(logits.shape)}`);
    const [B, C] = logits.shape as [number, number];
    let labels: Int32Array | null = null;
    this.targetRows = null;
    if (target instanceof Tensor && target.rank === 2) {
      if (!sameShape(target.shape, logits.shape)) this.fail(`one-hot targets have shape ${shapeString(target.shape)}, expected ${shapeString(logits.shape)} like the logits`);
      if (target.dtype !== logits.dtype) this.fail(`one-hot targets are ${target.dtype} but the logits are ${logits.dtype}`);
      this.targetRows = target;
    } else {
      const values = target instanceof Tensor ? target.data : target;
      if (target instanceof Tensor && target.rank !== 1) this.fail(`class-index targets must have shape [${B}], got ${shapeString(target.shape)}`);
      if (values == null || typeof (values as ArrayLike<number>).length !== 'number') this.fail(`targets must be class indices (an array of ${B} integers) or one-hot rows, got ${describeValue(target)}`);
      if (values.length !== B) this.fail(`got ${values.length} class labels for a batch of ${B} logits`);
      let store = this.labelStore;
      if (!store || store.labels.length !== B || store.owner !== backend()) {
        const block = allocateFor('float32', B);
        store = this.labelStore = { block, labels: new Int32Array(block.buffer, block.byteOffset, B), owner: backend() };
      }
      labels = onHost(store.labels);
      for (let i = 0; i < B; i++) {
        const v = values[i]!;
        if (!Number.isInteger(v) || v < 0 || v >= C) this.fail(`label ${i} is ${v}, expected an integer class index in [0, ${C - 1}]`);
        labels[i] = v;
      }
    }
    const probs = this.probsBuf.get([B, C], logits.dtype);
    const total = kernelsFor(logits.dtype).softmaxCrossEntropy(logits.storage, B, C, labels, this.targetRows?.storage ?? null, probs.storage);
    this.pred = logits;
    this.probs = probs;
    return total * this.scale(B);
  }

  backward(): Tensor {
    const z = this.requireForward();
    const [B, C] = z.shape as [number, number];
    const g = this.gradBuf.get(z.shape, z.dtype);
    // dL/dz = (softmax − onehot)·c with class indices, ((Σ_j t_j)·softmax − t)·c with target rows t
    const rows = this.targetRows;
    kernelsFor(z.dtype).softmaxCrossEntropyBackward(this.probs!.storage, B, C, rows ? null : (this.labelStore?.labels ?? null), rows?.storage ?? null, this.scale(B), g.storage);
    return g;
  }
}

/** Options of {@link NLLLoss}. */
export interface NLLLossOptions extends LossOptions {
  /** Targets equal to this class index add nothing to the loss and are not counted in the mean. Default −100. */
  ignoreIndex?: number;
}

/**
 * Negative log-likelihood of log-probabilities z (B, C) (e.g. LogSoftmax's output) with class
 * indices (B):
 *   L = −Σ_b z_b[label_b] / n   (n: the targets not equal to ignoreIndex; 1 for 'sum'),
 *   dL/dz_b[label_b] = −1/n, 0 elsewhere.
 * LogSoftmax({dim: 1}) followed by NLLLoss is CrossEntropyLoss.
 */
export class NLLLoss extends Loss {
  /** Targets equal to this class index are skipped (default −100). */
  readonly ignoreIndex: number;
  private readonly labels = new IndexStore();
  private current: Int32Array | null = null;
  /** The targets counted in the last forward (those not equal to ignoreIndex). */
  private counted = 0;

  /** An NLL loss with `options.reduction` (default 'mean') and `options.ignoreIndex` (default −100). */
  constructor(options: NLLLossOptions = {}) {
    super(options);
    const ii = options.ignoreIndex ?? -100;
    if (!Number.isInteger(ii)) this.fail(`option ignoreIndex must be an integer, got ${describeValue(ii)}`);
    this.ignoreIndex = ii;
  }

  describe(): string {
    return 'NLLLoss';
  }

  forward(logProbs: Tensor, target: Tensor | ArrayLike<number>): number {
    if (!(logProbs instanceof Tensor)) this.fail(`the log-probabilities must be a Tensor of shape [batch, classes], got ${describeValue(logProbs)}`);
    if (logProbs.rank !== 2) this.fail(`expected log-probabilities of shape [batch, classes], got ${shapeString(logProbs.shape)}`);
    const [B, C] = logProbs.shape as [number, number];
    if (target instanceof Tensor && target.rank !== 1) this.fail(`targets must be class indices of shape [${B}], got ${shapeString(target.shape)}`);
    const values = target instanceof Tensor ? target.data : target;
    if (values == null || typeof (values as ArrayLike<number>).length !== 'number') this.fail(`targets must be class indices (an array of ${B} integers), got ${describeValue(target)}`);
    if (values.length !== B) this.fail(`got ${values.length} class labels for a batch of ${B} rows`);
    const labels = this.labels.get(B);
    let counted = 0;
    for (let i = 0; i < B; i++) {
      const v = values[i]!;
      if (v === this.ignoreIndex) {
        labels[i] = -1;
        continue;
      }
      if (!Number.isInteger(v) || v < 0 || v >= C) this.fail(`label ${i} is ${v}, expected an integer class index in [0, ${C - 1}] or ignoreIndex ${this.ignoreIndex}`);
      labels[i] = v;
      counted++;
    }
    if (this.reduction === 'mean' && counted === 0) this.fail(`every target of the batch is ignoreIndex ${this.ignoreIndex}: the mean over no targets is undefined`);
    const total = kernelsFor(logProbs.dtype).nllLoss(logProbs.storage, B, C, labels);
    this.pred = logProbs;
    this.current = labels;
    this.counted = counted;
    return total * this.scale(counted);
  }

  backward(): Tensor {
    const z = this.requireForward();
    const [B, C] = z.shape as [number, number];
    const g = this.gradBuf.get(z.shape, z.dtype);
    // forward was L = −Σ_b z_b[label_b]·c, so dL/dz_b[label_b] = −c and 0 elsewhere
    kernelsFor(z.dtype).nllLossBackward(B, C, this.current!, this.scale(this.counted), g.storage);
    return g;
  }
}
