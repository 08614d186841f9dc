// handgrad's WebAssembly products with sparse rows (AssemblyScript, re-exported by
// assembly/kernels.ts and compiled with it by scripts/build-wasm.mjs). Same conventions as
// kernels.ts: raw pointers into the imported memory, float32 arrays, Int32 index arrays.
//
//   A[i, k] = S[rows[i], k] + c[k]       S in CSR (rowPtr, colIdx, values), c a dense row (K)
//   forward   y[M, N]  = A · Wᵀ           W stored [N, K]          (ref: sparseGemmForward)
//   backward  dW[N, K] = beta·dW + dyᵀ·A   dy stored [M, N]        (ref: sparseGemmBackward)
//
// Both run chunk by chunk of CHUNK = 16 output columns o0 … o0+15 (4 f32x4 lane groups), a
// chunk's results computed by one thread from start to end, so they do not depend on how many
// threads share the chunks. Within a chunk, K is cut into blocks of at most KB columns, and for
// each block the chunk's 16 rows of W (forward) or of dW (backward) live transposed in a tile
// [kb][16] in the thread's scratch (at most 256 KiB: L2-resident), so that each non-zero
// S[r, k] reads or updates one contiguous 64-byte row of the tile: 4 vector FMAs per non-zero.
//   forward:  tile[kk][·] = W[o0 + ·, k0 + kk]; wc += tile[kk]·c[k0 + kk];
//             acc[i] += values[j]·tile[colIdx[j] − k0] over row rows[i]'s non-zeros in the block;
//             after the last block y[i, o0 + ·] = acc[i] + wc.
//   backward: d[i] = dy[i, o0 + ·] (zero past N), g = Σ_i d[i];
//             tile = 0; tile[colIdx[j] − k0] += values[j]·d[i] over the block's non-zeros;
//             tile[kk] += g·c[k0 + kk]; dW[o0 + r, k0 + kk] = beta·dW + tile[kk][r].
// Each non-zero costs one vector load per FMA (no row of W is shared between two rows of the
// batch): the forward's 4 chains run at the FMA latency, 4 cycles a non-zero. Measured beside it
// (bench/sparse-kernels.mjs, real Omniglot, 11025 → 150): chunks of 32 columns (8 chains,
// bound by the loads instead) 1.5× slower forward and no faster backward, and give a 2-thread
// pool 5 chunks to share instead of 10.
// Every sum runs in a fixed order (the non-zeros of a row in column order, rows in batch order,
// k increasing), whatever KB is: a row's cursor carries its position from block to block.

import {
  NEXT, DONE, INDEX_BITS, STATS, STATS_SLOTS, P_M, P_N, P_K, P_BETA, P_TA, P_TB, P_ALPHA, P_A, P_B, P_C, F64, JOB_SPARSE_FORWARD, JOB_SPARSE_BACKWARD,
  JOB_SPARSE_PACKED_FORWARD, P_SP_ROWS, P_SP_ROW_PTR, P_SP_COL_IDX, P_SP_VALUES, P_SP_CONST, P_SP_DENSE, P_SP_OUT, P_SP_SCRATCH,
} from '../src/kernels/wasm/abi-shared';
import { lo, hi, narrow } from './widen';

/** Output columns per chunk: 4 f32x4 lane groups (every loop below is written for 4). */
const CHUNK: i32 = 16;
/** Bytes of one tile row: CHUNK floats. */
const ROW: usize = <usize>CHUNK * 4;
/** Most columns of K in one block (a 256 KiB tile). */
const KB: i32 = 65536 / CHUNK;

// a·b + c: one fused instruction in the relaxed build, mul then add in the standard one.
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/**
 * Bytes of one thread's scratch for M rows and K columns: the tile (kb rows of ROW bytes), one
 * ROW-byte row per batch row (accumulators or dy's chunk), one ROW-byte vector (wc or g), M cursors.
 */
export function sparseScratchBytes(M: i32, K: i32): i32 {
  const kb = min(K, KB);
  return ((kb + M + 1) * <i32>ROW + M * 4 + 63) & ~63;
}

// The scratch areas of one thread (64-byte aligned base).
// @ts-ignore: decorator
@inline function accArea(scratch: usize, K: i32): usize {
  return scratch + <usize>min(K, KB) * ROW;
}
// @ts-ignore: decorator
@inline function vecArea(scratch: usize, M: i32, K: i32): usize {
  return accArea(scratch, K) + <usize>M * ROW;
}
// @ts-ignore: decorator
@inline function curArea(scratch: usize, M: i32, K: i32): usize {
  return vecArea(scratch, M, K) + ROW;
}

/** cur[i] = rowPtr[rows[i]]: where row i's non-zeros start. */
function startCursors(M: i32, rows: usize, rowPtr: usize, cur: usize): void {
  for (let i = 0; i < M; i++) {
    const r = load<i32>(rows + <usize>i * 4);
    store<i32>(cur + <usize>i * 4, load<i32>(rowPtr + <usize>r * 4));
  }
}

/** Zeroes `rows` rows of ROW bytes at p. */
function zeroRows(p: usize, rows: i32): void {
  const z = f32x4.splat(0);
  const end = p + <usize>rows * ROW;
  for (let q = p; q < end; q += 16) v128.store(q, z);
}

/**
 * tile[kk][q .. q+3] = W[o .. o+3, k0 + kk] for kk < kn: rows o … o+3 of W, transposed with 4×4
 * shuffles (a row past N − 1 reads row N − 1: its lanes are computed and never stored).
 */
function transposeRows(W: usize, N: i32, K: i32, o: i32, k0: i32, kn: i32, dst: usize): void {
  const last = N - 1;
  const ld = <usize>K * 4;
  const s0 = W + <usize>min(o, last) * ld + <usize>k0 * 4;
  const s1 = W + <usize>min(o + 1, last) * ld + <usize>k0 * 4;
  const s2 = W + <usize>min(o + 2, last) * ld + <usize>k0 * 4;
  const s3 = W + <usize>min(o + 3, last) * ld + <usize>k0 * 4;
  let kk = 0;
  for (; kk + 4 <= kn; kk += 4) {
    const b = <usize>kk * 4;
    const r0 = v128.load(s0 + b), r1 = v128.load(s1 + b), r2 = v128.load(s2 + b), r3 = v128.load(s3 + b);
    const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
    const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
    const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
    const p = dst + <usize>kk * ROW;
    v128.store(p, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
    v128.store(p + ROW, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
    v128.store(p + 2 * ROW, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
    v128.store(p + 3 * ROW, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
  }
  for (; kk < kn; kk++) {
    const b = <usize>kk * 4, p = dst + <usize>kk * ROW;
    store<f32>(p, load<f32>(s0 + b));
    store<f32>(p, load<f32>(s1 + b), 4);
    store<f32>(p, load<f32>(s2 + b), 8);
    store<f32>(p, load<f32>(s3 + b), 12);
  }
}

/** Forward of the chunk starting at output column o0: y[i, o0 + ·] for every row i. */
function forwardChunk(
  rows: usize, rowPtr: usize, colIdx: usize, values: usize, c: usize, W: usize, y: usize,
  M: i32, N: i32, K: i32, o0: i32, scratch: usize,
): void {
  const tile = scratch;
  const acc = accArea(scratch, K);
  const wc = vecArea(scratch, M, K);
  const cur = curArea(scratch, M, K);
  zeroRows(acc, M + 1); // the accumulators and wc
  startCursors(M, rows, rowPtr, cur);
  for (let k0 = 0; k0 < K; k0 += KB) {
    const kn = min(KB, K - k0);
    // the tile: W[o0 .. o0+CHUNK−1, k0 .. k0+kn) transposed
    for (let q = 0; q < CHUNK; q += 4) transposeRows(W, N, K, o0 + q, k0, kn, tile + <usize>q * 4);
    // wc[o] = Σ_k c[k]·W[o, k], k increasing (4 independent chains, one per vector of the chunk)
    let w0 = v128.load(wc), w1 = v128.load(wc, 16), w2 = v128.load(wc, 32), w3 = v128.load(wc, 48);
    for (let kk = 0; kk < kn; kk++) {
      const cv = v128.load32_splat(c + <usize>(k0 + kk) * 4);
      const t = tile + <usize>kk * ROW;
      w0 = madd(cv, v128.load(t), w0);
      w1 = madd(cv, v128.load(t, 16), w1);
      w2 = madd(cv, v128.load(t, 32), w2);
      w3 = madd(cv, v128.load(t, 48), w3);
    }
    v128.store(wc, w0); v128.store(wc, w1, 16); v128.store(wc, w2, 32); v128.store(wc, w3, 48);
    // every row's non-zeros in this block
    const kEnd = k0 + kn;
    for (let i = 0; i < M; i++) {
      const cp = cur + <usize>i * 4;
      let j = load<i32>(cp);
      const end = load<i32>(rowPtr + <usize>load<i32>(rows + <usize>i * 4) * 4, 4);
      const a = acc + <usize>i * ROW;
      let a0 = v128.load(a), a1 = v128.load(a, 16), a2 = v128.load(a, 32), a3 = v128.load(a, 48);
      for (; j < end; j++) {
        const col = load<i32>(colIdx + <usize>j * 4);
        if (col >= kEnd) break;
        const v = v128.load32_splat(values + <usize>j * 4);
        const t = tile + <usize>(col - k0) * ROW;
        a0 = madd(v, v128.load(t), a0);
        a1 = madd(v, v128.load(t, 16), a1);
        a2 = madd(v, v128.load(t, 32), a2);
        a3 = madd(v, v128.load(t, 48), a3);
      }
      store<i32>(cp, j);
      v128.store(a, a0); v128.store(a, a1, 16); v128.store(a, a2, 32); v128.store(a, a3, 48);
    }
  }
  // y[i, o0 + r] = acc[i][r] + wc[r] for the chunk's columns inside N
  const n = min(CHUNK, N - o0);
  const nv = <usize>(n >> 2) * 16;
  for (let i = 0; i < M; i++) {
    const a = acc + <usize>i * ROW;
    const out = y + (<usize>i * <usize>N + <usize>o0) * 4;
    let v: usize = 0;
    for (; v < nv; v += 16) v128.store(out + v, f32x4.add(v128.load(a + v), v128.load(wc + v)));
    for (; v < <usize>n * 4; v += 4) store<f32>(out + v, load<f32>(a + v) + load<f32>(wc + v));
  }
}

/** Backward of the chunk starting at output column o0: dW[o0 + r, ·] for r < min(CHUNK, N − o0). */
function backwardChunk(
  rows: usize, rowPtr: usize, colIdx: usize, values: usize, c: usize, dy: usize, beta: f32, dW: usize,
  M: i32, N: i32, K: i32, o0: i32, scratch: usize,
): void {
  const tile = scratch;
  const d = accArea(scratch, K);
  const g = vecArea(scratch, M, K);
  const cur = curArea(scratch, M, K);
  const n = min(CHUNK, N - o0);
  // d[i] = dy[i, o0 .. o0+CHUNK−1] (zero past N), g = Σ_i d[i] in row order
  zeroRows(d, M + 1);
  for (let i = 0; i < M; i++) {
    const src = dy + (<usize>i * <usize>N + <usize>o0) * 4;
    const di = d + <usize>i * ROW;
    let v: usize = 0;
    const nv = <usize>(n >> 2) * 16;
    for (; v < nv; v += 16) v128.store(di + v, v128.load(src + v));
    for (; v < <usize>n * 4; v += 4) store<f32>(di + v, load<f32>(src + v));
    for (v = 0; v < ROW; v += 16) v128.store(g + v, f32x4.add(v128.load(g + v), v128.load(di + v)));
  }
  startCursors(M, rows, rowPtr, cur);
  const ld = <usize>K * 4;
  const g0 = v128.load(g), g1 = v128.load(g, 16), g2 = v128.load(g, 32), g3 = v128.load(g, 48);
  for (let k0 = 0; k0 < K; k0 += KB) {
    const kn = min(KB, K - k0);
    zeroRows(tile, kn);
    // tile[col − k0] += values[j]·d[i] over every row's non-zeros in this block, rows in order
    const kEnd = k0 + kn;
    for (let i = 0; i < M; i++) {
      const cp = cur + <usize>i * 4;
      let j = load<i32>(cp);
      const end = load<i32>(rowPtr + <usize>load<i32>(rows + <usize>i * 4) * 4, 4);
      const di = d + <usize>i * ROW;
      const d0 = v128.load(di), d1 = v128.load(di, 16), d2 = v128.load(di, 32), d3 = v128.load(di, 48);
      for (; j < end; j++) {
        const col = load<i32>(colIdx + <usize>j * 4);
        if (col >= kEnd) break;
        const v = v128.load32_splat(values + <usize>j * 4);
        const t = tile + <usize>(col - k0) * ROW;
        v128.store(t, madd(v, d0, v128.load(t)));
        v128.store(t, madd(v, d1, v128.load(t, 16)), 16);
        v128.store(t, madd(v, d2, v128.load(t, 32)), 32);
        v128.store(t, madd(v, d3, v128.load(t, 48)), 48);
      }
      store<i32>(cp, j);
    }
    // tile[kk][r] += g[r]·c[k0 + kk] (the rank-one term), then dW[o0 + r, k0 + kk] = beta·dW + tile[kk][r]
    for (let kk = 0; kk < kn; kk++) {
      const cv = v128.load32_splat(c + <usize>(k0 + kk) * 4);
      const t = tile + <usize>kk * ROW;
      v128.store(t, madd(g0, cv, v128.load(t)));
      v128.store(t, madd(g1, cv, v128.load(t, 16)), 16);
      v128.store(t, madd(g2, cv, v128.load(t, 32)), 32);
      v128.store(t, madd(g3, cv, v128.load(t, 48)), 48);
    }
    storeTile(tile, kn, dW + <usize>o0 * ld + <usize>k0 * 4, ld, n, beta);
  }
}

// Stores beta·dW + v into 4 floats of dW (beta = 0 overwrites: NaNs in dW vanish; 1 adds).
// @ts-ignore: decorator
@inline function writeGrad(p: usize, v: v128, beta: f32, vb: v128): void {
  if (beta == 0) v128.store(p, v);
  else if (beta == 1) v128.store(p, f32x4.add(v128.load(p), v));
  else v128.store(p, f32x4.add(f32x4.mul(vb, v128.load(p)), v));
}

/** ref: sparseGemmForward. Every chunk on the calling thread; `scratch` holds sparseScratchBytes(M, K). */
export function sparseGemmForward(
  rows: usize, rowPtr: usize, colIdx: usize, values: usize, c: usize, W: usize, y: usize,
  M: i32, N: i32, K: i32, scratch: usize,
): void {
  for (let o0 = 0; o0 < N; o0 += CHUNK) forwardChunk(rows, rowPtr, colIdx, values, c, W, y, M, N, K, o0, scratch);
}

/** ref: sparseGemmBackward. Every chunk on the calling thread; `scratch` holds sparseScratchBytes(M, K). */
export function sparseGemmBackward(
  rows: usize, rowPtr: usize, colIdx: usize, values: usize, c: usize, dy: usize, dW: usize,
  M: i32, N: i32, K: i32, beta: f32, scratch: usize,
): void {
  for (let o0 = 0; o0 < N; o0 += CHUNK) backwardChunk(rows, rowPtr, colIdx, values, c, dy, beta, dW, M, N, K, o0, scratch);
}

/**
 * Takes chunks of the sparse product in the control block until none is left (gemmJob hands
 * JOB_SPARSE_FORWARD / JOB_SPARSE_BACKWARD jobs here). Block b is the chunk of output columns
 * 16b … 16b + 15; thread `tid` works in its own scratch.
 */
export function sparseJob(ctrl: usize, tid: i32, gen: i32, kind: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  const M = load<i32>(ctrl + <usize>P_M * 4), N = load<i32>(ctrl + <usize>P_N * 4), K = load<i32>(ctrl + <usize>P_K * 4);
  const beta = load<f32>(ctrl + <usize>P_BETA * 4);
  const rows = <usize>load<i32>(ctrl + <usize>P_SP_ROWS * 4), rowPtr = <usize>load<i32>(ctrl + <usize>P_SP_ROW_PTR * 4);
  const colIdx = <usize>load<i32>(ctrl + <usize>P_SP_COL_IDX * 4), values = <usize>load<i32>(ctrl + <usize>P_SP_VALUES * 4);
  const c = <usize>load<i32>(ctrl + <usize>P_SP_CONST * 4), dense = <usize>load<i32>(ctrl + <usize>P_SP_DENSE * 4);
  const out = <usize>load<i32>(ctrl + <usize>P_SP_OUT * 4);
  const scratch = <usize>load<i32>(ctrl + <usize>P_SP_SCRATCH * 4) + <usize>tid * <usize>sparseScratchBytes(M, K);
  const chunks = (N + CHUNK - 1) / CHUNK;
  // the packed products: P_TB non-zero when every value is P_ALPHA; the packed forward with
  // P_TA non-zero also sorts the batch by column (into P_A, P_B, P_C) as its block 0
  const uni = load<i32>(ctrl + <usize>P_TB * 4), v = load<f32>(ctrl + <usize>P_ALPHA * 4);
  const sort = kind == JOB_SPARSE_PACKED_FORWARD && load<i32>(ctrl + <usize>P_TA * 4) != 0 ? 1 : 0;
  const total = chunks + sort;
  while (true) {
    const cur = atomic.load<i32>(ctrl + <usize>NEXT * 4);
    if (<i32>(<u32>cur >> INDEX_BITS) != gen) return; // another job by now
    const idx = cur & ((1 << INDEX_BITS) - 1);
    if (idx >= total) return;
    if (atomic.cmpxchg<i32>(ctrl + <usize>NEXT * 4, cur, cur + 1) != cur) continue;
    if (kind == JOB_SPARSE_FORWARD) forwardChunk(rows, rowPtr, colIdx, values, c, dense, out, M, N, K, idx * CHUNK, scratch);
    else if (kind == JOB_SPARSE_BACKWARD) backwardChunk(rows, rowPtr, colIdx, values, c, dense, beta, out, M, N, K, idx * CHUNK, scratch);
    else if (kind == JOB_SPARSE_PACKED_FORWARD) {
      if (idx < sort) {
        const colPtr = <usize>load<i32>(ctrl + <usize>P_A * 4), entRow = <usize>load<i32>(ctrl + <usize>P_B * 4);
        sparseColumns(rows, rowPtr, colIdx, values, M, K, colPtr, entRow, <usize>load<i32>(ctrl + <usize>P_C * 4));
      } else {
        packedForwardChunk(rows, rowPtr, colIdx, values, uni, v, c, dense, out, M, N, K, (idx - sort) * CHUNK, scratch);
      }
    } else {
      // the column products: rowPtr, colIdx, values hold colPtr, entRow, entVal; rows holds Wt
      const lr = load<f64>(ctrl + <usize>(F64 * 4));
      columnsChunk(rowPtr, colIdx, values, uni, v, c, dense, load<i32>(ctrl + <usize>P_TA * 4), beta, lr, out, rows, M, N, K, idx * CHUNK, scratch);
    }
    if (tid < STATS_SLOTS) atomic.add<i32>(ctrl + <usize>(STATS + tid) * 4, 1);
    atomic.add<i32>(ctrl + <usize>DONE * 4, 1);
  }
}

// ---------------------------------------------------------------------------------------------
// The packed layout of a first layer's weight, and the products by columns of the batch
// ---------------------------------------------------------------------------------------------
// A layer that takes sparse batches may also keep its weight W [N, K] packed: Wt[N/16][K][16],
// chunk q's column k at Wt + (q·K + k)·ROW holds W[16q … 16q+15, k] (the chunk's tile of the
// products above, for every k at once). The forward then reads the chunk's tile in place instead
// of transposing W block by block.
//   packWeight:          Wt = W in the packed layout (lanes past N copy row N − 1, never stored)
//   packedForwardChunk:  y = A·Wᵀ from Wt, the same sums in the same order as forwardChunk
// Where every value of S is one number u (binary drawings under a global normalisation), both
// take it from a register instead of loading each: the same products, the same bits.
// The backward runs by columns of the batch instead of by its rows: sparseColumns sorts the
// batch's non-zeros by column (stable: rows in batch order inside a column), then for each k
//   e[r] = (Σ_{i ∈ column k} values·dy[i, o0 + r]) + g[r]·c[k]      (the sums of backwardChunk, in
// its order) is a register sum and nothing is scattered. Each e is then either
//   mode 0: the gradient, dW[o0 + r, k] = beta·dW + e[r]            (bits of backwardChunk), or
//   mode 1: an SGD step on it, p ← p − lr·e in float64, in Wt only   (the bits of backwardChunk
//           then sgdStep, without writing dW or reading it back; unpackWeight writes W from Wt).

/**
 * The batch's non-zeros by column: column k's entries are e in [colPtr[k], colPtr[k + 1]),
 * entRow[e] = ROW·i (the byte offset of batch row i's dy vector in the scratch) and entVal[e]
 * its value; inside a column, rows in batch order. colPtr holds K + 1 words; entRow and entVal
 * as many as the batch has non-zeros.
 */
export function sparseColumns(
  rows: usize, rowPtr: usize, colIdx: usize, values: usize, M: i32, K: i32, colPtr: usize, entRow: usize, entVal: usize,
): void {
  memory.fill(colPtr, 0, <usize>(K + 1) * 4);
  // counts of column k in colPtr[k + 1], then their prefix sums: colPtr[k] = start of column k
  for (let i = 0; i < M; i++) {
    const r = <usize>load<i32>(rows + <usize>i * 4) * 4;
    const end = load<i32>(rowPtr + r, 4);
    for (let j = load<i32>(rowPtr + r); j < end; j++) {
      const p = colPtr + (<usize>load<i32>(colIdx + <usize>j * 4) << 2) + 4;
      store<i32>(p, load<i32>(p) + 1);
    }
  }
  let sum = 0;
  for (let k = 1; k <= K; k++) {
    sum += load<i32>(colPtr + <usize>k * 4);
    store<i32>(colPtr + <usize>k * 4, sum);
  }
  // entries in batch order, colPtr[k] as column k's cursor; afterwards colPtr[k] = end of column k
  for (let i = 0; i < M; i++) {
    const r = <usize>load<i32>(rows + <usize>i * 4) * 4;
    const end = load<i32>(rowPtr + r, 4);
    for (let j = load<i32>(rowPtr + r); j < end; j++) {
      const p = colPtr + (<usize>load<i32>(colIdx + <usize>j * 4) << 2);
      const e = load<i32>(p);
      store<i32>(entRow + <usize>e * 4, i * <i32>ROW);
      store<f32>(entVal + <usize>e * 4, load<f32>(values + <usize>j * 4));
      store<i32>(p, e + 1);
    }
  }
  // shift back: colPtr[k] = start of column k
  for (let k = K; k > 0; k--) store<i32>(colPtr + <usize>k * 4, load<i32>(colPtr + <usize>(k - 1) * 4));
  store<i32>(colPtr, 0);
}

/** Wt = W [N, K] in the packed layout (ceil(N/16) chunks of K rows of 16 floats). */
export function packWeight(W: usize, N: i32, K: i32, Wt: usize): void {
  for (let o0 = 0; o0 < N; o0 += CHUNK) {
    const base = Wt + <usize>(o0 / CHUNK) * <usize>K * ROW;
    for (let q = 0; q < CHUNK; q += 4) transposeRows(W, N, K, o0 + q, 0, K, base + <usize>q * 4);
  }
}

/** W [N, K] = the rows of Wt (packWeight's inverse on the rows inside N). */
export function unpackWeight(Wt: usize, N: i32, K: i32, W: usize): void {
  const ld = <usize>K * 4;
  for (let o0 = 0; o0 < N; o0 += CHUNK) storeTile(Wt + <usize>(o0 / CHUNK) * <usize>K * ROW, K, W + <usize>o0 * ld, ld, min(CHUNK, N - o0), 0);
}

/**
 * dst[r, kk] = beta·dst[r, kk] + tile[kk][r] for r < n, kk < kn: a tile of kn rows of CHUNK lanes
 * written transposed into n rows of stride ld bytes (4×4 transposes; beta as writeGrad).
 */
function storeTile(tile: usize, kn: i32, dst: usize, ld: usize, n: i32, beta: f32): void {
  const vb = f32x4.splat(beta);
  for (let q = 0; q < n; q += 4) {
    const m = min(4, n - q);
    let kk = 0;
    for (; kk + 4 <= kn; kk += 4) {
      const p = tile + <usize>kk * ROW + <usize>q * 4;
      const r0 = v128.load(p), r1 = v128.load(p + ROW), r2 = v128.load(p + 2 * ROW), r3 = v128.load(p + 3 * ROW);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const base = dst + <usize>q * ld + <usize>kk * 4;
      writeGrad(base, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), beta, vb);
      if (m > 1) writeGrad(base + ld, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), beta, vb);
      if (m > 2) writeGrad(base + 2 * ld, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), beta, vb);
      if (m > 3) writeGrad(base + 3 * ld, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), beta, vb);
    }
    for (; kk < kn; kk++) {
      for (let r = q; r < q + m; r++) {
        const p = dst + <usize>r * ld + <usize>kk * 4;
        const v = load<f32>(tile + <usize>kk * ROW + <usize>r * 4);
        store<f32>(p, beta == 0 ? v : beta * load<f32>(p) + v);
      }
    }
  }
}

/** forwardChunk with W packed: the chunk's tile is Wt's chunk, read in place. */
function packedForwardChunk(
  rows: usize, rowPtr: usize, colIdx: usize, values: usize, uni: i32, u: f32, c: usize, Wt: usize, y: usize,
  M: i32, N: i32, K: i32, o0: i32, scratch: usize,
): void {
  const uv = f32x4.splat(u);
  const z = f32x4.splat(0);
  const tile = Wt + <usize>(o0 / CHUNK) * <usize>K * ROW;
  // wc[o] = Σ_k c[k]·W[o, k], k increasing
  let w0 = z, w1 = z, w2 = z, w3 = z;
  for (let k = 0; k < K; k++) {
    const cv = v128.load32_splat(c + <usize>k * 4);
    const t = tile + <usize>k * ROW;
    w0 = madd(cv, v128.load(t), w0);
    w1 = madd(cv, v128.load(t, 16), w1);
    w2 = madd(cv, v128.load(t, 32), w2);
    w3 = madd(cv, v128.load(t, 48), w3);
  }
  const acc = scratch;
  for (let i = 0; i < M; i++) {
    const r = <usize>load<i32>(rows + <usize>i * 4) * 4;
    const end = load<i32>(rowPtr + r, 4);
    let a0 = z, a1 = z, a2 = z, a3 = z;
    let j = load<i32>(rowPtr + r);
    if (uni) {
      // every value u: the same products, without a load of each
      for (; j < end; j++) {
        const t = tile + (<usize>load<i32>(colIdx + <usize>j * 4) << 6);
        a0 = madd(uv, v128.load(t), a0);
        a1 = madd(uv, v128.load(t, 16), a1);
        a2 = madd(uv, v128.load(t, 32), a2);
        a3 = madd(uv, v128.load(t, 48), a3);
      }
    }
    for (; j < end; j++) {
      const v = v128.load32_splat(values + <usize>j * 4);
      const t = tile + (<usize>load<i32>(colIdx + <usize>j * 4) << 6);
      a0 = madd(v, v128.load(t), a0);
      a1 = madd(v, v128.load(t, 16), a1);
      a2 = madd(v, v128.load(t, 32), a2);
      a3 = madd(v, v128.load(t, 48), a3);
    }
    const a = acc + <usize>i * ROW;
    v128.store(a, f32x4.add(a0, w0)); v128.store(a, f32x4.add(a1, w1), 16);
    v128.store(a, f32x4.add(a2, w2), 32); v128.store(a, f32x4.add(a3, w3), 48);
  }
  // y[i, o0 + r] for the chunk's columns inside N
  const n = min(CHUNK, N - o0);
  const nv = <usize>(n >> 2) * 16;
  for (let i = 0; i < M; i++) {
    const a = acc + <usize>i * ROW;
    const out = y + (<usize>i * <usize>N + <usize>o0) * 4;
    let v: usize = 0;
    for (; v < nv; v += 16) v128.store(out + v, v128.load(a + v));
    for (; v < <usize>n * 4; v += 4) store<f32>(out + v, load<f32>(a + v));
  }
}

/**
 * The chunk at output column o0 of the column products (see above): mode 0 writes the gradient
 * into dst = dW (beta as writeGrad); mode 1 steps Wt (dst unused).
 */
function columnsChunk(
  colPtr: usize, entRow: usize, entVal: usize, uni: i32, u: f32, c: usize, dy: usize, mode: i32, beta: f32, lr: f64, dst: usize, Wt: usize,
  M: i32, N: i32, K: i32, o0: i32, scratch: usize,
): void {
  const uv = f32x4.splat(u);
  const z = f32x4.splat(0);
  const tile = scratch;
  const d = accArea(scratch, K);
  const g = vecArea(scratch, M, K);
  const n = min(CHUNK, N - o0);
  // d[i] = dy[i, o0 .. o0+CHUNK−1] (zero past N), g = Σ_i d[i] in row order
  zeroRows(d, M + 1);
  const nv = <usize>(n >> 2) * 16;
  for (let i = 0; i < M; i++) {
    const src = dy + (<usize>i * <usize>N + <usize>o0) * 4;
    const di = d + <usize>i * ROW;
    let v: usize = 0;
    for (; v < nv; v += 16) v128.store(di + v, v128.load(src + v));
    for (; v < <usize>n * 4; v += 4) store<f32>(di + v, load<f32>(src + v));
    for (v = 0; v < ROW; v += 16) v128.store(g + v, f32x4.add(v128.load(g + v), v128.load(di + v)));
  }
  const g0 = v128.load(g), g1 = v128.load(g, 16), g2 = v128.load(g, 32), g3 = v128.load(g, 48);
  const vlr = f64x2.splat(lr);
  const wt = Wt + <usize>(o0 / CHUNK) * <usize>K * ROW;
  const ld = <usize>K * 4;
  let e = load<i32>(colPtr);
  for (let k0 = 0; k0 < K; k0 += KB) {
    const kn = min(KB, K - k0);
    for (let kk = 0; kk < kn; kk++) {
      const k = k0 + kk;
      // Σ over column k's entries, rows in batch order
      const end = load<i32>(colPtr + <usize>k * 4, 4);
      let a0 = z, a1 = z, a2 = z, a3 = z;
      if (uni) {
        for (; e < end; e++) {
          const di = d + <usize>load<i32>(entRow + <usize>e * 4);
          a0 = madd(uv, v128.load(di), a0);
          a1 = madd(uv, v128.load(di, 16), a1);
          a2 = madd(uv, v128.load(di, 32), a2);
          a3 = madd(uv, v128.load(di, 48), a3);
        }
      }
      for (; e < end; e++) {
        const v = v128.load32_splat(entVal + <usize>e * 4);
        const di = d + <usize>load<i32>(entRow + <usize>e * 4);
        a0 = madd(v, v128.load(di), a0);
        a1 = madd(v, v128.load(di, 16), a1);
        a2 = madd(v, v128.load(di, 32), a2);
        a3 = madd(v, v128.load(di, 48), a3);
      }
      const cv = v128.load32_splat(c + <usize>k * 4);
      const t = tile + <usize>kk * ROW;
      const e0 = madd(g0, cv, a0), e1 = madd(g1, cv, a1), e2 = madd(g2, cv, a2), e3 = madd(g3, cv, a3);
      if (mode == 0) {
        v128.store(t, e0); v128.store(t, e1, 16); v128.store(t, e2, 32); v128.store(t, e3, 48);
      } else {
        // p − lr·e in float64, as sgdStep
        const w = wt + <usize>k * ROW;
        const p0 = v128.load(w), p1 = v128.load(w, 16), p2 = v128.load(w, 32), p3 = v128.load(w, 48);
        const n0 = narrow(f64x2.sub(lo(p0), f64x2.mul(vlr, lo(e0))), f64x2.sub(hi(p0), f64x2.mul(vlr, hi(e0))));
        const n1 = narrow(f64x2.sub(lo(p1), f64x2.mul(vlr, lo(e1))), f64x2.sub(hi(p1), f64x2.mul(vlr, hi(e1))));
        const n2 = narrow(f64x2.sub(lo(p2), f64x2.mul(vlr, lo(e2))), f64x2.sub(hi(p2), f64x2.mul(vlr, hi(e2))));
        const n3 = narrow(f64x2.sub(lo(p3), f64x2.mul(vlr, lo(e3))), f64x2.sub(hi(p3), f64x2.mul(vlr, hi(e3))));
        v128.store(w, n0); v128.store(w, n1, 16); v128.store(w, n2, 32); v128.store(w, n3, 48);
      }
    }
    // dW[o0 + r, k0 + kk] = beta·dW + tile[kk][r]
    if (mode == 0) storeTile(tile, kn, dst + <usize>o0 * ld + <usize>k0 * 4, ld, n, beta);
  }
}

/** Every chunk of packedForwardChunk on the calling thread; `scratch` holds sparseScratchBytes(M, K). */
export function sparsePackedForward(
  rows: usize, rowPtr: usize, colIdx: usize, values: usize, uni: i32, u: f32, c: usize, Wt: usize, y: usize,
  M: i32, N: i32, K: i32, scratch: usize,
): void {
  for (let o0 = 0; o0 < N; o0 += CHUNK) packedForwardChunk(rows, rowPtr, colIdx, values, uni, u, c, Wt, y, M, N, K, o0, scratch);
}

/** Every chunk of columnsChunk on the calling thread; `scratch` holds sparseScratchBytes(M, K). */
export function sparseColumnsProduct(
  colPtr: usize, entRow: usize, entVal: usize, uni: i32, u: f32, c: usize, dy: usize, mode: i32, beta: f32, lr: f64, dst: usize, Wt: usize,
  M: i32, N: i32, K: i32, scratch: usize,
): void {
  for (let o0 = 0; o0 < N; o0 += CHUNK) columnsChunk(colPtr, entRow, entVal, uni, u, c, dy, mode, beta, lr, dst, Wt, M, N, K, o0, scratch);
}
