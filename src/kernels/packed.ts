// The packed first layer: an optional capability of a backend (Backend.packedSparse) for a Linear
// layer that takes sparse batches (kernels/table.ts: sparseGemmForward). The layer may keep its
// weight W [N, K] a second time, packed as Wt[⌈N/16⌉][K][16] (chunk q's column k holds
// W[16q … 16q+15, k] contiguously), so that the forward reads each non-zero's 16 weights in
// place, and run the backward by columns of the batch, which can apply a plain SGD step in the
// same pass. Every product gives the bits of the table's kernels (and of sgdStep after
// sparseGemmBackward): only where the numbers live and how often they are read differ.
//   A[i, k] = S[rows[i], k] + c[k], S in CSR (rowPtr, colIdx, values) as in the table.
// `uniform`: the one value every stored entry of S holds (SparseRows.uniform), or null; the
// products then take it from a register instead of loading each (the same bits).
// Each method returns false, having done nothing, when it cannot run (an array outside the
// backend's memory); the caller then takes the table's kernels.

import type { FloatArray } from '../tensor.js';

/** The batch's non-zeros sorted by column: what columns() writes and the column products read. */
export interface BatchColumns {
  /** K + 1 entries: column k's entries are e in [colPtr[k], colPtr[k + 1]). */
  readonly colPtr: Int32Array;
  /** Per entry, the batch row it comes from (in the backend's own encoding). */
  readonly entRow: Int32Array;
  /** Per entry, its value. */
  readonly entVal: FloatArray;
}

export interface PackedSparseKernels {
  /** Floats of the packed weight of an N × K layer. */
  packedSize(N: number, K: number): number;
  /** Wt = W [N, K], packed. */
  pack(W: FloatArray, N: number, K: number, Wt: FloatArray): boolean;
  /** W [N, K] = Wt, unpacked. */
  unpack(Wt: FloatArray, N: number, K: number, W: FloatArray): boolean;
  /**
   * y[M, N] = A · Wᵀ from the packed Wt: the bits of sparseGemmForward. With `sortInto`, also
   * columns() of the batch into it (in the same job: a backward to come needs them).
   */
  forward(
    M: number, N: number, K: number, rows: Int32Array, rowPtr: Int32Array, colIdx: Int32Array,
    values: FloatArray, uniform: number | null, c: FloatArray, Wt: FloatArray, y: FloatArray, sortInto: BatchColumns | null,
  ): boolean;
  /** The batch's non-zeros by column into `out` (rows in batch order within a column). */
  columns(
    M: number, K: number, rows: Int32Array, rowPtr: Int32Array, colIdx: Int32Array, values: FloatArray, out: BatchColumns,
  ): boolean;
  /** dW[N, K] = beta·dW + dyᵀ·A from the batch's columns: the bits of sparseGemmBackward. */
  gradient(M: number, N: number, K: number, cols: BatchColumns, uniform: number | null, c: FloatArray, dy: FloatArray, beta: number, dW: FloatArray): boolean;
  /**
   * Wt ← Wt − lr·(dyᵀ·A) in the packed layout, with no gradient written: the bits of
   * sparseGemmBackward (beta 0) followed by a plain sgdStep (no momentum, no weight decay).
   */
  sgd(M: number, N: number, K: number, cols: BatchColumns, uniform: number | null, c: FloatArray, dy: FloatArray, lr: number, Wt: FloatArray): boolean;
}

/** Stored entries of the batch rows[0 … M−1] of a CSR matrix (rowPtr). */
export function batchNonZeros(rows: Int32Array, rowPtr: Int32Array): number {
  let nnz = 0;
  for (let i = 0; i < rows.length; i++) nnz += rowPtr[rows[i]! + 1]! - rowPtr[rows[i]!]!;
  return nnz;
}
