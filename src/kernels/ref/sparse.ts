// The reference products with sparse rows (table.ts: sparseGemmForward, sparseGemmBackward): plain
// loops that accumulate in float64 and round once, the specification the fast kernels match.
//   A[i, k] = S[rows[i], k] + c[k]     S in CSR (rowPtr, colIdx, values), c a dense row of K
//   forward   y  = A · Wᵀ              y: (M, N)   W: (N, K)
//   backward  dW = beta·dW + dyᵀ · A   dy: (M, N)  dW: (N, K)

import type { FloatArray } from '../../tensor.js';

// float64 rows of scratch, reused across calls (no allocation per call once they are big enough).
let rowScratch = new Float64Array(1024);
let constScratch = new Float64Array(1024);
function grow(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  return a.length >= n ? a : new Float64Array(Math.max(n, a.length * 2));
}

/** y[i, o] = Σ_{j ∈ row rows[i]} values[j]·W[o, colIdx[j]] + Σ_k c[k]·W[o, k]. */
export function sparseGemmForward(
  M: number, N: number, K: number, rows: Int32Array, rowPtr: Int32Array, colIdx: Int32Array,
  values: FloatArray, c: FloatArray, W: FloatArray, y: FloatArray,
): void {
  // The constant row's product, the same for every row of the batch: wc[o] = Σ_k c[k]·W[o, k].
  const wc = (constScratch = grow(constScratch, N));
  for (let o = 0; o < N; o++) {
    let s = 0;
    const w = o * K;
    for (let k = 0; k < K; k++) s += c[k]! * W[w + k]!;
    wc[o] = s;
  }
  const acc = (rowScratch = grow(rowScratch, N));
  for (let i = 0; i < M; i++) {
    const r = rows[i]!;
    acc.fill(0, 0, N);
    // Σ over the row's non-zeros: column colIdx[j] of W, read down the N rows of W
    for (let j = rowPtr[r]!; j < rowPtr[r + 1]!; j++) {
      const v = values[j]!;
      const k = colIdx[j]!;
      for (let o = 0; o < N; o++) acc[o]! += v * W[o * K + k]!;
    }
    const out = i * N;
    for (let o = 0; o < N; o++) y[out + o] = acc[o]! + wc[o]!;
  }
}

/** dW[o, k] = beta·dW[o, k] + Σ_i dy[i, o]·S[rows[i], k] + (Σ_i dy[i, o])·c[k]. */
export function sparseGemmBackward(
  M: number, N: number, K: number, rows: Int32Array, rowPtr: Int32Array, colIdx: Int32Array,
  values: FloatArray, c: FloatArray, dy: FloatArray, beta: number, dW: FloatArray,
): void {
  const acc = (rowScratch = grow(rowScratch, K));
  for (let o = 0; o < N; o++) {
    // The constant row contributes (Σ_i dy[i, o])·c[k] to every column: a rank-one term.
    let g = 0;
    for (let i = 0; i < M; i++) g += dy[i * N + o]!;
    for (let k = 0; k < K; k++) acc[k] = g * c[k]!;
    // The sparse part scatters dy[i, o]·values[j] into the row's columns.
    for (let i = 0; i < M; i++) {
      const d = dy[i * N + o]!;
      const r = rows[i]!;
      for (let j = rowPtr[r]!; j < rowPtr[r + 1]!; j++) acc[colIdx[j]!]! += d * values[j]!;
    }
    const w = o * K;
    if (beta === 0) for (let k = 0; k < K; k++) dW[w + k] = acc[k]!;
    else for (let k = 0; k < K; k++) dW[w + k] = beta * dW[w + k]! + acc[k]!;
  }
}
