// A first Linear layer's weight kept a second time, packed (kernels/packed.ts), and its gradient
// deferred: what makes a step of a layer that takes sparse batches cheap on a backend with the
// packed products (the wasm backend, float32).
//
//   forward   y = batch·Wᵀ read from the packed Wt[⌈N/16⌉][K][16]: each non-zero's 16 weights of
//             a chunk are contiguous, where W [N, K] would need a transpose per step;
//   backward  sorts the batch's non-zeros by column (or takes the sort a training forward did in
//             its own job, into a second buffer: the first still serves a deferred gradient),
//             copies dy, and leaves dW = dyᵀ·batch to be written later (parameter.ts: deferGradient);
//   step      a plain SGD step (optim/sgd.ts) applies dW to Wt in one pass by columns, with no
//             dW written and W itself left stale until something reads `p.value`; any other
//             optimiser, clipping or a read of `p.grad` writes dW into the gradient first.
// Every number is the one the table's kernels give (sparseGemmForward, sparseGemmBackward, then
// sgdStep): the packed kernels sum in the same order. Wt is current while the weight's version
// (parameter.ts: valueVersion) is the one it was packed or stepped at; a read of `p.value` or
// another optimiser's step makes it stale, and the next forward packs W again, as long as a
// fused step happened since the last packing (otherwise packing would cost more than it saves,
// and the table's kernels run on W).

import { allocateFor, kernelsFor, packedSparseFor } from '../backend.js';
import { batchNonZeros, type BatchColumns, type PackedSparseKernels } from '../kernels/packed.js';
import {
  deferGradient, flushGradient, markValueStale, peekValue, valueVersion, type DeferredGradient, type Parameter,
} from '../parameter.js';
import type { FloatArray } from '../tensor.js';
import type { SparseBatch, SparseRows } from './sparse-input.js';

/** Sorted columns of a batch, with the backend blocks under the index arrays (kept alive with them). */
type Columns = BatchColumns & { blocks: FloatArray[] };


/** An Int32Array of n entries on a backend block (kept with it: the backend frees a collected block). */
function intBlock(n: number): { ints: Int32Array; block: FloatArray } {
  const block = allocateFor('float32', Math.max(1, n));
  return { ints: new Int32Array(block.buffer, block.byteOffset, n), block };
}

/** The packed weight and deferred gradient of one float32 Linear(K → N) layer. */
export class PackedSparseWeight implements DeferredGradient {
  private readonly weight: Parameter;
  private readonly N: number;
  private readonly K: number;
  /** The packed weight, and the weight's version at which it equals W (−1: never packed). */
  private Wt: FloatArray | null = null;
  private packedAt = -1;
  /** Pack again when Wt goes stale: a fused step happened since the last packing. */
  private repackPays = true;
  // The last backward's batch: its data set's sparse form and size, its columns, dy, and a copy
  // of its rows (for the table's kernel where the packed ones cannot run).
  private matrix: SparseRows | null = null;
  private M = 0;
  private cols: Columns | null = null;
  private dy: FloatArray | null = null;
  private rows: { ints: Int32Array; block: FloatArray } | null = null;
  /** The columns a training forward sorted for the backward to come (null: none), and of which batch (a copy of its rows). */
  private sorted: Columns | null = null;
  private sortedMatrix: SparseRows | null = null;
  private sortedRows = new Int32Array(0);
  private sortedM = 0;
  /** The other buffer: cols hold the batch of a deferred gradient while the next forward sorts. */
  private spare: Columns | null = null;

  constructor(weight: Parameter, outFeatures: number, inFeatures: number) {
    this.weight = weight;
    this.N = outFeatures;
    this.K = inFeatures;
  }

  /** The packed products when the backend has them and the weight is float32, else null. */
  private kernels(): PackedSparseKernels | null {
    return peekValue(this.weight).dtype === 'float32' ? packedSparseFor('float32') : null;
  }

  /** Wt is the weight's current value. */
  private current(): boolean {
    return this.Wt !== null && this.packedAt >= 0 && this.packedAt === valueVersion(this.weight);
  }

  /** Packs the current W into Wt; false when the backend cannot. */
  private pack(k: PackedSparseKernels): boolean {
    const W = this.weight.value.storage;
    this.Wt ??= allocateFor('float32', k.packedSize(this.N, this.K));
    if (!k.pack(W, this.N, this.K, this.Wt)) return false;
    this.packedAt = valueVersion(this.weight);
    return this.packedAt >= 0;
  }

  /**
   * y[B, N] = batch·Wᵀ from Wt; false (nothing done) when the caller should run the table's kernel
   * on W. `training`: a backward will follow, so the same job also sorts the batch by column.
   */
  forward(x: SparseBatch, y: FloatArray, training: boolean): boolean {
    const k = this.kernels();
    if (!k) return false;
    if (!this.current()) {
      if (!this.repackPays || !this.pack(k)) return false;
      this.repackPays = false;
    }
    const m = x.matrix;
    const M = x.rows.length;
    const into = training ? (this.spare = this.columnsFor(batchNonZeros(x.rows, x.matrix.rowPtr), this.spare)) : null;
    this.sorted = null;
    if (!k.forward(M, this.N, this.K, x.rows, m.rowPtr, m.colIdx, m.values, m.uniform, m.constant, this.Wt!, y, into)) return false;
    if (into) {
      if (this.sortedRows.length < M) this.sortedRows = new Int32Array(M);
      this.sortedRows.set(x.rows);
      this.sorted = into;
      this.sortedMatrix = m;
      this.sortedM = M;
    }
    return true;
  }

  /** `have` when it holds `nnz` entries of this layer's K, else new buffers. */
  private columnsFor(nnz: number, have: Columns | null): Columns {
    if (have && have.entRow.length >= nnz && have.colPtr.length === this.K + 1) return have;
    const colPtr = intBlock(this.K + 1), entRow = intBlock(Math.max(nnz, 1024));
    const entVal = allocateFor('float32', entRow.ints.length);
    return { colPtr: colPtr.ints, entRow: entRow.ints, entVal, blocks: [colPtr.block, entRow.block] };
  }

  /** Whether the last training forward sorted exactly this batch. */
  private sortedIs(x: SparseBatch): boolean {
    if (!this.sorted || this.sortedMatrix !== x.matrix || this.sortedM !== x.rows.length) return false;
    for (let i = 0; i < this.sortedM; i++) if (this.sortedRows[i] !== x.rows[i]) return false;
    return true;
  }

  /**
   * Keeps what dW = dyᵀ·batch needs and defers the gradient to it; false (nothing deferred) when
   * the caller should write dW now.
   */
  backward(x: SparseBatch, dy: FloatArray): boolean {
    const k = this.kernels();
    if (!k || !(dy instanceof Float32Array)) return false;
    // an earlier deferred gradient of this weight reads the buffers written below
    flushGradient(this.weight);
    const m = x.matrix;
    const M = x.rows.length;
    if (this.sortedIs(x)) {
      // the forward sorted this batch into the spare buffers: they become the current ones
      const previous = this.cols;
      this.cols = this.sorted;
      this.spare = previous;
    } else {
      this.cols = this.columnsFor(batchNonZeros(x.rows, x.matrix.rowPtr), this.cols === this.spare ? null : this.cols);
      if (!k.columns(M, this.K, x.rows, m.rowPtr, m.colIdx, m.values, this.cols)) return false;
    }
    this.sorted = null;
    if (this.dy?.length !== dy.length) this.dy = allocateFor('float32', dy.length);
    if (!this.rows || this.rows.ints.length < M) this.rows = intBlock(M);
    this.dy.set(dy);
    this.rows.ints.set(x.rows);
    this.matrix = m;
    this.M = M;
    return deferGradient(this.weight, this);
  }

  /** grad ← beta·grad + dyᵀ·batch (the deferred gradient written). */
  materialize(grad: FloatArray, beta: 0 | 1): void {
    const m = this.matrix!, M = this.M;
    const dy = this.dy!;
    if (this.kernels()?.gradient(M, this.N, this.K, this.cols!, m.uniform, m.constant, dy, beta, grad)) return;
    kernelsFor('float32').sparseGemmBackward(M, this.N, this.K, this.rows!.ints.subarray(0, M), m.rowPtr, m.colIdx, m.values, m.constant, dy, beta, grad);
  }

  /** W ← W − lr·dyᵀ·batch in Wt (W left stale); false when it cannot (the optimiser then writes dW and steps W). */
  sgdStep(lr: number): boolean {
    const k = this.kernels();
    const m = this.matrix, M = this.M;
    if (!k || !m) return false;
    if (!this.current() && !this.pack(k)) return false;
    const Wt = this.Wt!;
    if (!k.sgd(M, this.N, this.K, this.cols!, m.uniform, m.constant, this.dy!, lr, Wt)) return false;
    this.repackPays = true;
    markValueStale(this.weight, (W) => this.unpack(k, Wt, W));
    return true;
  }

  /** W = Wt (the packed layout is the contract of kernels/packed.ts). */
  private unpack(k: PackedSparseKernels, Wt: FloatArray, W: FloatArray): void {
    if (k.unpack(Wt, this.N, this.K, W)) return;
    const { N, K } = this;
    for (let o = 0; o < N; o++) {
      const base = (o >> 4) * K * 16 + (o & 15);
      for (let j = 0; j < K; j++) W[o * K + j] = Wt[base + j * 16]!;
    }
  }
}
