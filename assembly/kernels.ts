// handgrad's WebAssembly kernels (AssemblyScript, compiled by scripts/build-wasm.mjs).
//
// Every export here implements one entry of the `Kernels` table (src/kernels/table.ts) on raw
// pointers into the imported linear memory; the comment above each names the reference kernel
// (src/kernels/ref/index.ts) it must match. All tensors are float32. Scalar math that the
// reference does in float64 (transcendentals, optimiser updates) is done in float64 here too,
// so those kernels round exactly like the reference.
//
// Arguments of a table kernel, in this order (src/kernels/wasm/kernels.ts relies on it):
//   1. the byte offsets of the table entry's arrays, in the table's order (0 for a null array);
//   2. for an elementwise kernel, n = the length of its first array;
//   3. the entry's other arguments in the table's order (an enum as its integer code).
// So table.ts's sumRowsInto(x, rows, cols, out) is sumRowsInto(x, out, rows, cols) here, and
// reluForward(x, y, scale) is reluForward(x, y, n, scale). gemm, sgdStep and adamStep, whose
// wrappers are written by hand (threaded jobs), take their own orders.
//
// No managed objects, no static data, no runtime: the TS side (src/kernels/wasm) owns the memory
// layout. Builds: standard SIMD128 or relaxed SIMD (f32x4.relaxed_madd), each with a shared
// memory (threads, atomics) or a plain one.

import {
  NEXT, DONE, INDEX_BITS, STATS, STATS_SLOTS, F64, P_KIND, JOB_SGD, JOB_ADAM, JOB_GEMM_K, JOB_SPARSE_FORWARD, JOB_SPARSE_BACKWARD, JOB_SPARSE_PACKED_FORWARD, JOB_SPARSE_COLUMNS,
  P_TA, P_TB, P_M, P_N, P_K, P_ALPHA, P_A, P_B, P_BETA, P_C, P_MB, P_NB, P_BM, P_BN, P_SCRATCH, GELU_TANH,
  JOB_BLOCKED, P_BK_CODE, P_BK_ITEMS, P_BK_PER, P_BK_ARGS, BK_CONV2D_FORWARD, BK_CONV2D_BACKWARD_DATA,
  BK_CONV2D_BACKWARD_FILTER, BK_MAX_POOL_FORWARD, BK_MAX_POOL_BACKWARD, BK_SUM_CHANNELS, BK_RELU_FORWARD, BK_RELU_BACKWARD,
} from '../src/kernels/wasm/abi-shared';
import { sparseJob } from './sparse';
import { lo, hi, narrow } from './widen';
import { conv2dForward, conv2dBackwardData, conv2dBackwardFilter } from './conv';

// ---------------------------------------------------------------------------------------------
// GEMM: C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C         (ref: gemm)
//
// Goto-style: op(B)[k-step, column block] is packed into NR-column panels (k-major, NR floats per
// k) and op(A)[row block, k-step] into MR-row panels (k-major, always 4 floats per k: MR ≤ 4
// rows used, so that every pack is a 4×4 shuffle transpose or a plain vector copy); the MR×NR
// register-tile micro-kernel runs on every (row panel, column panel) pair. Panel rows/columns
// past the edge of C hold copies of real data (never NaN-producing garbage from outside the
// operands, never read past them) and are simply not stored.
// Threads take whole regions of C (rows or columns split, see gemmJob), each with its own scratch.
//
// Register tile 3×12 in both builds (V8 gives 15 allocatable v128 registers and larger tiles
// spill; the k loop is not unrolled, TurboFan schedules the plain loop best): 9 accumulators +
// 3 B vectors + 1 splatted A (+ 1 product in the standard mul-then-add build) = 13–14 live v128,
// no spill; 9 independent chains cover the FMA latency (4 cycles × 2 pipes). The tiles measured
// beside it are listed in src/kernels/wasm/README.md.
const MR: i32 = 3;
const NR: i32 = 12;
export const KC: i32 = 256;
export const MC: i32 = 72; // multiple of MR
export const NC: i32 = 252; // multiple of NR
/** Floats of one packed A block: ⌈MC/MR⌉ panels of KC·4 floats. */
const AP_FLOATS: i32 = (MC / MR) * 4 * KC;
/** Per-thread scratch: packed A, packed B (KC·NC floats), one C tile (MR·NR ≤ 64 floats). */
export const SCRATCH_BYTES: i32 = (AP_FLOATS + KC * NC + 64) * 4;

export function scratchBytes(): i32 {
  return SCRATCH_BYTES;
}

/** Rows and columns of the register tile (the TS side rounds thread regions to them). */
export function tileRows(): i32 {
  return MR;
}
export function tileCols(): i32 {
  return NR;
}

/** End of the module's static data (Math's lookup tables): the TS side lays out memory above it. */
export function heapBase(): usize {
  return __heap_base;
}

// a·b + c: one fused instruction in the relaxed build, mul then add in the standard one.
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

export function isRelaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

// Transposes the 4×4 block whose rows start at s0..s3 and stores its columns at dst, dst+stride,
// dst+2·stride, dst+3·stride (bytes): column q = (s0[q], s1[q], s2[q], s3[q]).
// @ts-ignore: decorator
@inline function transpose4(s0: usize, s1: usize, s2: usize, s3: usize, dst: usize, stride: usize): void {
  const r0 = v128.load(s0);
  const r1 = v128.load(s1);
  const r2 = v128.load(s2);
  const r3 = v128.load(s3);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

// Packs op(A)[i0 : i0+mc, p0 : p0+kc] into ⌈mc/MR⌉ panels of kc×4 floats at Ap:
// Ap[panel][k][r] = op(A)[i0 + MR·panel + r, p0 + k] for r < MR (slot r ≥ MR, and rows ≥ mc,
// hold copies of a real row: computed, never stored).
// transA = 0: A is stored [M,K], op(A)[i,p] = A[i·K + p]  (rows of A are strided in the panel:
//             transposed 4×4 with shuffles);
// transA = 1: A is stored [K,M], op(A)[i,p] = A[p·M + i]  (4 contiguous floats per k).
function packA(transA: i32, A: usize, M: i32, K: i32, i0: i32, mc: i32, p0: i32, kc: i32, Ap: usize): void {
  for (let ip = 0; ip < mc; ip += MR) {
    const rows = min(MR, mc - ip);
    const dst = Ap + <usize>(ip / MR) * <usize>kc * 16;
    const i = i0 + ip;
    if (transA == 0) {
      const src = A + (<usize>i * <usize>K + <usize>p0) * 4;
      const ld = <usize>K * 4;
      // row r of the panel reads source row min(r, rows − 1)
      const s1 = src + <usize>min(1, rows - 1) * ld;
      const s2 = src + <usize>min(2, rows - 1) * ld;
      const s3 = src + <usize>min(3, rows - 1) * ld;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k * 4;
        transpose4(src + o, s1 + o, s2 + o, s3 + o, dst + <usize>k * 16, 16);
      }
      for (; k < kc; k++) {
        const o = <usize>k * 4, d = dst + <usize>k * 16;
        store<f32>(d, load<f32>(src + o));
        store<f32>(d, load<f32>(s1 + o), 4);
        store<f32>(d, load<f32>(s2 + o), 8);
        store<f32>(d, load<f32>(s3 + o), 12);
      }
    } else {
      const src = A + (<usize>p0 * <usize>M + <usize>i) * 4;
      const ld = <usize>M * 4;
      if (i + 4 <= M) {
        for (let k = 0; k < kc; k++) v128.store(dst + <usize>k * 16, v128.load(src + <usize>k * ld));
      } else {
        // the last rows of A: never read past row M − 1
        for (let k = 0; k < kc; k++) {
          for (let r = 0; r < 4; r++) {
            store<f32>(dst + <usize>(k * 4 + r) * 4, load<f32>(src + <usize>k * ld + <usize>min(r, rows - 1) * 4));
          }
        }
      }
    }
  }
}

// Packs op(B)[p0 : p0+kc, j0 : j0+nc] into ⌈nc/NR⌉ panels of kc×NR floats at Bp:
// Bp[panel][k][c] = op(B)[p0 + k, j0 + NR·panel + c] (columns ≥ nc: copies of real data or 0).
// transB = 0: B is stored [K,N], op(B)[p,j] = B[p·N + j]  (NR/4 contiguous vectors per k; the
//             last columns of B go element by element, never past column N − 1);
// transB = 1: B is stored [N,K], op(B)[p,j] = B[j·K + p]  (4×4 shuffle transposes of 4 rows of B;
//             a column past N − 1 reads row N − 1).
function packB(transB: i32, B: usize, N: i32, K: i32, j0: i32, nc: i32, p0: i32, kc: i32, Bp: usize): void {
  const rowBytes = <usize>NR * 4;
  for (let jp = 0; jp < nc; jp += NR) {
    const dst = Bp + <usize>(jp * kc) * 4;
    const j = j0 + jp;
    if (transB == 0) {
      const src = B + (<usize>p0 * <usize>N + <usize>j) * 4;
      const ld = <usize>N * 4;
      if (j + NR <= N) {
        for (let k = 0; k < kc; k++) {
          const s = src + <usize>k * ld;
          const d = dst + <usize>k * rowBytes;
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
          if (NR > 8) v128.store(d, v128.load(s, 32), 32);
          if (NR > 12) v128.store(d, v128.load(s, 48), 48);
        }
      } else {
        const full = (N - j) >> 2; // whole vectors inside B
        const cols = N - j;
        for (let k = 0; k < kc; k++) {
          const s = src + <usize>k * ld;
          const d = dst + <usize>k * rowBytes;
          let g = 0;
          for (; g < full; g++) v128.store(d + <usize>g * 16, v128.load(s + <usize>g * 16));
          for (let c = g * 4; c < NR; c++) {
            store<f32>(d + <usize>c * 4, c < cols ? load<f32>(s + <usize>c * 4) : 0);
          }
        }
      }
    } else {
      const ld = <usize>K * 4;
      const last = N - 1;
      for (let g = 0; g < NR; g += 4) {
        const jg = j + g;
        const s0 = B + (<usize>min(jg, last) * <usize>K + <usize>p0) * 4;
        const s1 = B + (<usize>min(jg + 1, last) * <usize>K + <usize>p0) * 4;
        const s2 = B + (<usize>min(jg + 2, last) * <usize>K + <usize>p0) * 4;
        const s3 = B + (<usize>min(jg + 3, last) * <usize>K + <usize>p0) * 4;
        const d0 = dst + <usize>g * 4;
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k * 4;
          transpose4(s0 + o, s1 + o, s2 + o, s3 + o, d0 + <usize>k * rowBytes, rowBytes);
        }
        for (; k < kc; k++) {
          const o = <usize>k * 4, d = d0 + <usize>k * rowBytes;
          store<f32>(d, load<f32>(s0 + o));
          store<f32>(d, load<f32>(s1 + o), 4);
          store<f32>(d, load<f32>(s2 + o), 8);
          store<f32>(d, load<f32>(s3 + o), 12);
        }
      }
    }
  }
}

// Stores alpha·acc + beta·C into 4 floats of C (beta = 0 overwrites: NaNs in C vanish).
// @ts-ignore: decorator
@inline function storeVec(c: usize, acc: v128, alpha: v128, beta: v128, overwrite: bool): void {
  if (overwrite) v128.store(c, f32x4.mul(acc, alpha));
  else v128.store(c, f32x4.add(f32x4.mul(acc, alpha), f32x4.mul(v128.load(c), beta)));
}

// The MR×NR micro-kernel: acc[r][c] = Σ_k Ap[k][r] · Bp[k][c], then C[r, c] = alpha·acc + beta·C
// for r < mr, c < nr (ldc floats per row of C). Accumulator cRV holds row R, columns 4V … 4V+3;
// the `if`s on the compile-time MR/NR vanish. Partial tiles go through `tmp` (MR·NR floats).
function micro(kc: i32, Ap: usize, Bp: usize, C: usize, ldc: i32, mr: i32, nr: i32, alpha: f32, beta: f32, tmp: usize): void {
  const z = f32x4.splat(0);
  let c00 = z, c01 = z, c02 = z, c03 = z;
  let c10 = z, c11 = z, c12 = z, c13 = z;
  let c20 = z, c21 = z, c22 = z, c23 = z;
  let c30 = z, c31 = z, c32 = z, c33 = z;
  let a = Ap, b = Bp;
  const end = Ap + <usize>kc * 16;
  const bStep = <usize>NR * 4;
  while (a < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let b2 = z, b3 = z;
    if (NR > 8) b2 = v128.load(b, 32);
    if (NR > 12) b3 = v128.load(b, 48);
    // A's 4 floats of this k: in the relaxed build one load and lane shuffles (fewer instructions
    // per FMA: +4 % on every shape), in the standard build splatting loads (the shuffles compete
    // with the separate mul and add for the vector pipes there: −12 %).
    const a4 = ASC_FEATURE_RELAXED_SIMD ? v128.load(a) : z;
    let av = ASC_FEATURE_RELAXED_SIMD ? v128.shuffle<f32>(a4, a4, 0, 0, 0, 0) : v128.load32_splat(a);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    if (NR > 8) c02 = madd(av, b2, c02);
    if (NR > 12) c03 = madd(av, b3, c03);
    if (MR > 1) {
      av = ASC_FEATURE_RELAXED_SIMD ? v128.shuffle<f32>(a4, a4, 1, 1, 1, 1) : v128.load32_splat(a, 4);
      c10 = madd(av, b0, c10);
      c11 = madd(av, b1, c11);
      if (NR > 8) c12 = madd(av, b2, c12);
      if (NR > 12) c13 = madd(av, b3, c13);
    }
    if (MR > 2) {
      av = ASC_FEATURE_RELAXED_SIMD ? v128.shuffle<f32>(a4, a4, 2, 2, 2, 2) : v128.load32_splat(a, 8);
      c20 = madd(av, b0, c20);
      c21 = madd(av, b1, c21);
      if (NR > 8) c22 = madd(av, b2, c22);
      if (NR > 12) c23 = madd(av, b3, c23);
    }
    if (MR > 3) {
      av = ASC_FEATURE_RELAXED_SIMD ? v128.shuffle<f32>(a4, a4, 3, 3, 3, 3) : v128.load32_splat(a, 12);
      c30 = madd(av, b0, c30);
      c31 = madd(av, b1, c31);
      if (NR > 8) c32 = madd(av, b2, c32);
      if (NR > 12) c33 = madd(av, b3, c33);
    }
    a += 16;
    b += bStep;
  }
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  const ow = beta == 0;
  const ld = <usize>ldc * 4;
  if (mr == MR && nr == NR) {
    let c = C;
    storeVec(c, c00, va, vb, ow); storeVec(c + 16, c01, va, vb, ow);
    if (NR > 8) storeVec(c + 32, c02, va, vb, ow);
    if (NR > 12) storeVec(c + 48, c03, va, vb, ow);
    if (MR > 1) {
      c += ld;
      storeVec(c, c10, va, vb, ow); storeVec(c + 16, c11, va, vb, ow);
      if (NR > 8) storeVec(c + 32, c12, va, vb, ow);
      if (NR > 12) storeVec(c + 48, c13, va, vb, ow);
    }
    if (MR > 2) {
      c += ld;
      storeVec(c, c20, va, vb, ow); storeVec(c + 16, c21, va, vb, ow);
      if (NR > 8) storeVec(c + 32, c22, va, vb, ow);
      if (NR > 12) storeVec(c + 48, c23, va, vb, ow);
    }
    if (MR > 3) {
      c += ld;
      storeVec(c, c30, va, vb, ow); storeVec(c + 16, c31, va, vb, ow);
      if (NR > 8) storeVec(c + 32, c32, va, vb, ow);
      if (NR > 12) storeVec(c + 48, c33, va, vb, ow);
    }
    return;
  }
  // partial tile: the accumulators to tmp (row R at tmp + R·NR floats), then element by element
  const rb = <usize>NR * 4;
  v128.store(tmp, c00); v128.store(tmp, c01, 16);
  if (NR > 8) v128.store(tmp, c02, 32);
  if (NR > 12) v128.store(tmp, c03, 48);
  if (MR > 1) {
    v128.store(tmp + rb, c10); v128.store(tmp + rb, c11, 16);
    if (NR > 8) v128.store(tmp + rb, c12, 32);
    if (NR > 12) v128.store(tmp + rb, c13, 48);
  }
  if (MR > 2) {
    v128.store(tmp + 2 * rb, c20); v128.store(tmp + 2 * rb, c21, 16);
    if (NR > 8) v128.store(tmp + 2 * rb, c22, 32);
    if (NR > 12) v128.store(tmp + 2 * rb, c23, 48);
  }
  if (MR > 3) {
    v128.store(tmp + 3 * rb, c30); v128.store(tmp + 3 * rb, c31, 16);
    if (NR > 8) v128.store(tmp + 3 * rb, c32, 32);
    if (NR > 12) v128.store(tmp + 3 * rb, c33, 48);
  }
  for (let r = 0; r < mr; r++) {
    const row = C + <usize>r * ld;
    const t = tmp + <usize>r * rb;
    let c = 0;
    // whole vectors of the row, then the last columns one by one
    for (; c + 4 <= nr; c += 4) storeVec(row + <usize>c * 4, v128.load(t + <usize>c * 4), va, vb, ow);
    for (; c < nr; c++) {
      const p = row + <usize>c * 4;
      const acc = load<f32>(t + <usize>c * 4);
      store<f32>(p, ow ? alpha * acc : alpha * acc + beta * load<f32>(p));
    }
  }
}

// The step that cuts `total` into ⌈total/max⌉ nearly equal pieces, rounded up to a multiple of
// `unit` (max is a multiple of unit, so the step never exceeds max).
// @ts-ignore: decorator
@inline function balanced(total: i32, max: i32, unit: i32): i32 {
  const pieces = (total + max - 1) / max;
  if (pieces <= 1) return max;
  const step = (total + pieces - 1) / pieces;
  return ((step + unit - 1) / unit) * unit;
}

// One region of C: rows i0 … i0+m−1, columns j0 … j0+n−1, all of K, in Goto's loop order:
// for each NC-wide column block and KC-deep k-step, pack op(B) once, then for each MC-high row
// block pack op(A) and run the micro-kernel over every (column panel, row panel) pair.
function gemmRegion(
  transA: i32, transB: i32, M: i32, N: i32, K: i32, alpha: f32, A: usize, B: usize, beta: f32, C: usize,
  i0: i32, m: i32, j0: i32, n: i32, scratch: usize, k0: i32 = 0, k1: i32 = -1,
): void {
  // The k range k0 … k1−1 (all of K by default): a K-split job gives each thread a slice.
  if (k1 < 0) k1 = K;
  const Ap = scratch;
  const Bp = Ap + <usize>AP_FLOATS * 4;
  const tmp = Bp + <usize>(KC * NC) * 4;
  if (k1 <= k0) {
    // op(A)·op(B) is the zero matrix: C = beta·C (beta = 0 clears, as the reference does).
    for (let i = i0; i < i0 + m; i++) {
      for (let j = j0; j < j0 + n; j++) {
        const p = C + (<usize>i * <usize>N + <usize>j) * 4;
        store<f32>(p, beta == 0 ? 0 : beta * load<f32>(p));
      }
    }
    return;
  }
  // Balanced steps: K = 784 runs as 4 steps of 196, not 3 of 256 and a thin one of 16.
  const ncStep = balanced(n, NC, NR), kcStep = balanced(k1 - k0, KC, 4), mcStep = balanced(m, MC, MR);
  if (m <= mcStep) {
    // One row block (a batch of 64, say): pack op(A) once per k-step, not once per column block.
    for (let p0 = k0; p0 < k1; p0 += kcStep) {
      const kc = min(kcStep, k1 - p0);
      const b = p0 == k0 ? beta : <f32>1;
      packA(transA, A, M, K, i0, m, p0, kc, Ap);
      for (let jj = 0; jj < n; jj += ncStep) {
        const nc = min(ncStep, n - jj);
        packB(transB, B, N, K, j0 + jj, nc, p0, kc, Bp);
        tiles(kc, Ap, Bp, C, N, i0, m, j0 + jj, nc, alpha, b, tmp);
      }
    }
    return;
  }
  for (let jj = 0; jj < n; jj += ncStep) {
    const nc = min(ncStep, n - jj);
    for (let p0 = k0; p0 < k1; p0 += kcStep) {
      const kc = min(kcStep, k1 - p0);
      // The first k-step applies beta; the later ones accumulate onto it.
      const b = p0 == k0 ? beta : <f32>1;
      packB(transB, B, N, K, j0 + jj, nc, p0, kc, Bp);
      for (let ii = 0; ii < m; ii += mcStep) {
        const mc = min(mcStep, m - ii);
        packA(transA, A, M, K, i0 + ii, mc, p0, kc, Ap);
        tiles(kc, Ap, Bp, C, N, i0 + ii, mc, j0 + jj, nc, alpha, b, tmp);
      }
    }
  }
}

// The micro-kernel over every (column panel, row panel) pair of a packed mc×kc block of op(A)
// and kc×nc block of op(B): C[i .. i+mc, j .. j+nc] = alpha·(Ap·Bp) + b·C.
// @ts-ignore: decorator
@inline function tiles(
  kc: i32, Ap: usize, Bp: usize, C: usize, N: i32, i: i32, mc: i32, j: i32, nc: i32, alpha: f32, b: f32, tmp: usize,
): void {
  for (let jp = 0; jp < nc; jp += NR) {
    const nr = min(NR, nc - jp);
    const bPanel = Bp + <usize>(jp * kc) * 4;
    for (let ip = 0; ip < mc; ip += MR) {
      const mr = min(MR, mc - ip);
      const c = C + (<usize>(i + ip) * <usize>N + <usize>(j + jp)) * 4;
      micro(kc, Ap + <usize>(ip / MR) * <usize>kc * 16, bPanel, c, N, mr, nr, alpha, b, tmp);
    }
  }
}

/**
 * One slice k0 … k1 − 1 of K of a GEMM, on one thread: C = alpha·op(A)[:, k0:k1]·op(B)[k0:k1, :] + beta·C
 * (what block k of a GEMM cut along K computes, for a runtime that runs the slices itself).
 */
export function gemmKSlice(
  transA: i32, transB: i32, M: i32, N: i32, K: i32, alpha: f32, A: usize, B: usize, beta: f32, C: usize,
  scratch: usize, k0: i32, k1: i32,
): void {
  gemmRegion(transA, transB, M, N, K, alpha, A, B, beta, C, 0, M, 0, N, scratch, k0, k1);
}

/** Single-threaded GEMM on one scratch area (SCRATCH_BYTES). */
export function gemm(
  transA: i32, transB: i32, M: i32, N: i32, K: i32, alpha: f32, A: usize, B: usize, beta: f32, C: usize,
  scratch: usize,
): void {
  gemmRegion(transA, transB, M, N, K, alpha, A, B, beta, C, 0, M, 0, N, scratch);
}

// ---- threaded GEMM and optimiser steps: a job described in the control block (its layout is
// src/kernels/wasm/layout.ts, shared with the TS side), blocks handed out by an atomic counter.

// @ts-ignore: decorator
@inline function f64At(ctrl: usize, i: i32): f64 {
  return load<f64>(ctrl + <usize>(F64 * 4) + <usize>i * 8);
}

// @ts-ignore: decorator
@inline function word(ctrl: usize, i: i32): usize {
  return ctrl + <usize>i * 4;
}

/**
 * Takes blocks of the current job until none is left. GEMM: thread `tid` uses scratch area
 * P_SCRATCH + tid·SCRATCH_BYTES, block b covers rows (b / nbN)·MB … and columns (b % nbN)·NB ….
 * Optimiser steps: block b is floats b·MB … of every array. A late worker whose generation `gen`
 * is no longer current takes nothing.
 */
export function gemmJob(ctrl: usize, tid: i32, gen: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  const kind = load<i32>(word(ctrl, P_KIND));
  if (kind == JOB_SGD || kind == JOB_ADAM) {
    stepJob(ctrl, tid, gen, kind);
    return;
  }
  if (kind == JOB_SPARSE_FORWARD || kind == JOB_SPARSE_BACKWARD || kind == JOB_SPARSE_PACKED_FORWARD || kind == JOB_SPARSE_COLUMNS) {
    sparseJob(ctrl, tid, gen, kind);
    return;
  }
  if (kind == JOB_BLOCKED) {
    blockedJob(ctrl, tid, gen);
    return;
  }
  const M = load<i32>(word(ctrl, P_M)), N = load<i32>(word(ctrl, P_N)), K = load<i32>(word(ctrl, P_K));
  const tA = load<i32>(word(ctrl, P_TA)), tB = load<i32>(word(ctrl, P_TB));
  const alpha = load<f32>(word(ctrl, P_ALPHA)), beta = load<f32>(word(ctrl, P_BETA));
  const A = <usize>load<i32>(word(ctrl, P_A)), B = <usize>load<i32>(word(ctrl, P_B)), C = <usize>load<i32>(word(ctrl, P_C));
  const MB = load<i32>(word(ctrl, P_MB)), NB = load<i32>(word(ctrl, P_NB));
  const nbM = load<i32>(word(ctrl, P_BM)), nbN = load<i32>(word(ctrl, P_BN));
  const scratch = <usize>load<i32>(word(ctrl, P_SCRATCH)) + <usize>tid * <usize>SCRATCH_BYTES;
  const total = nbM * nbN;
  while (true) {
    const cur = atomic.load<i32>(word(ctrl, NEXT));
    if (<i32>(<u32>cur >> INDEX_BITS) != gen) return; // another job by now
    const idx = cur & ((1 << INDEX_BITS) - 1);
    if (idx >= total) return;
    // The parameters read above belong to this generation only if the CAS succeeds.
    if (atomic.cmpxchg<i32>(word(ctrl, NEXT), cur, cur + 1) != cur) continue;
    if (kind == JOB_GEMM_K) {
      const k0 = idx * MB;
      const target = idx == 0 ? C : <usize>NB + <usize>(idx - 1) * <usize>M * <usize>N * 4;
      gemmRegion(tA, tB, M, N, K, alpha, A, B, idx == 0 ? beta : 0, target, 0, M, 0, N, scratch, k0, min(K, k0 + MB));
    } else {
      const bi = idx / nbN, bj = idx % nbN;
      const i0 = bi * MB, j0 = bj * NB;
      gemmRegion(tA, tB, M, N, K, alpha, A, B, beta, C, i0, min(MB, M - i0), j0, min(NB, N - j0), scratch);
    }
    if (tid < STATS_SLOTS) atomic.add<i32>(word(ctrl, STATS + tid), 1);
    atomic.add<i32>(word(ctrl, DONE), 1);
  }
}

// Argument k of a blocked kernel's job.
// @ts-ignore: decorator
@inline function arg(ctrl: usize, k: i32): i32 {
  return load<i32>(word(ctrl, P_BK_ARGS + k));
}

// Block b of a blocked kernel: items b·per … of its item count, with thread tid's scratch area.
function blockedJob(ctrl: usize, tid: i32, gen: i32): void {
  const code = load<i32>(word(ctrl, P_BK_CODE));
  const items = load<i32>(word(ctrl, P_BK_ITEMS)), per = load<i32>(word(ctrl, P_BK_PER));
  const scratch = <usize>load<i32>(word(ctrl, P_SCRATCH)) + <usize>tid * <usize>SCRATCH_BYTES;
  const total = (items + per - 1) / per;
  while (true) {
    const cur = atomic.load<i32>(word(ctrl, NEXT));
    if (<i32>(<u32>cur >> INDEX_BITS) != gen) return;
    const idx = cur & ((1 << INDEX_BITS) - 1);
    if (idx >= total) return;
    if (atomic.cmpxchg<i32>(word(ctrl, NEXT), cur, cur + 1) != cur) continue;
    const i0 = idx * per, i1 = min(items, i0 + per);
    const c = ctrl;
    // one line per blocked kernel: its arguments as the table's wrapper passes them (assembly/conv.ts)
    if (code == BK_CONV2D_FORWARD) {
      conv2dForward(arg(c, 0), arg(c, 1), arg(c, 2), arg(c, 3), arg(c, 4), arg(c, 5), arg(c, 6), arg(c, 7), arg(c, 8), arg(c, 9), arg(c, 10), arg(c, 11), arg(c, 12), i0, i1, scratch);
    } else if (code == BK_CONV2D_BACKWARD_DATA) {
      conv2dBackwardData(arg(c, 0), arg(c, 1), arg(c, 2), arg(c, 3), arg(c, 4), arg(c, 5), arg(c, 6), arg(c, 7), arg(c, 8), arg(c, 9), arg(c, 10), arg(c, 11), i0, i1, scratch);
    } else if (code == BK_CONV2D_BACKWARD_FILTER) {
      conv2dBackwardFilter(arg(c, 0), arg(c, 1), arg(c, 2), arg(c, 3), arg(c, 4), arg(c, 5), arg(c, 6), arg(c, 7), arg(c, 8), arg(c, 9), arg(c, 10), arg(c, 11), arg(c, 12), i0, i1, scratch);
    } else if (code == BK_MAX_POOL_FORWARD) {
      maxPool2dForward(arg(c, 0), arg(c, 1), arg(c, 2), arg(c, 3), arg(c, 4), arg(c, 5), arg(c, 6), arg(c, 7), arg(c, 8), arg(c, 9), arg(c, 10), arg(c, 11), arg(c, 12), arg(c, 13), i0, i1, scratch);
    } else if (code == BK_MAX_POOL_BACKWARD) {
      maxPool2dBackward(arg(c, 0), arg(c, 1), arg(c, 2), arg(c, 3), arg(c, 4), arg(c, 5), arg(c, 6), arg(c, 7), i0, i1, scratch);
    } else if (code == BK_RELU_FORWARD) {
      reluForward(arg(c, 0), arg(c, 1), arg(c, 2), <f32>f64At(c, 3), i0, i1, scratch);
    } else if (code == BK_RELU_BACKWARD) {
      reluBackward(arg(c, 0), arg(c, 1), arg(c, 2), arg(c, 3), <f32>f64At(c, 4), i0, i1, scratch);
    } else if (code == BK_SUM_CHANNELS) {
      sumChannelsInto(arg(c, 0), arg(c, 1), arg(c, 2), arg(c, 3), arg(c, 4), i0, i1, scratch);
    } else {
      unreachable();
    }
    if (tid < STATS_SLOTS) atomic.add<i32>(word(ctrl, STATS + tid), 1);
    atomic.add<i32>(word(ctrl, DONE), 1);
  }
}

function stepJob(ctrl: usize, tid: i32, gen: i32, kind: i32): void {
  const n = load<i32>(word(ctrl, P_M)), chunk = load<i32>(word(ctrl, P_MB));
  const P = <usize>load<i32>(word(ctrl, P_A)), G = <usize>load<i32>(word(ctrl, P_B));
  const S1 = <usize>load<i32>(word(ctrl, P_C)), S2 = <usize>load<i32>(word(ctrl, P_N));
  const flag1 = load<i32>(word(ctrl, P_TA)), flag2 = load<i32>(word(ctrl, P_TB));
  const total = (n + chunk - 1) / chunk;
  while (true) {
    const cur = atomic.load<i32>(word(ctrl, NEXT));
    if (<i32>(<u32>cur >> INDEX_BITS) != gen) return;
    const idx = cur & ((1 << INDEX_BITS) - 1);
    if (idx >= total) return;
    if (atomic.cmpxchg<i32>(word(ctrl, NEXT), cur, cur + 1) != cur) continue;
    const start = idx * chunk;
    const len = min(chunk, n - start);
    const o = <usize>start * 4;
    if (kind == JOB_SGD) {
      // f64 words: lr, momentum, dampening, weightDecay; flags: nesterov, firstStep
      sgdStep(P + o, G + o, S1 + o, len, f64At(ctrl, 0), f64At(ctrl, 1), f64At(ctrl, 2), f64At(ctrl, 3), flag1, flag2);
    } else {
      // f64 words: lr, beta1, beta2, eps, weightDecay, stepSize, sqrtBc2; flag: decoupled
      adamStep(P + o, G + o, S1 + o, S2 + o, len, f64At(ctrl, 0), f64At(ctrl, 1), f64At(ctrl, 2), f64At(ctrl, 3), f64At(ctrl, 4), flag1, f64At(ctrl, 5), f64At(ctrl, 6));
    }
    if (tid < STATS_SLOTS) atomic.add<i32>(word(ctrl, STATS + tid), 1);
    atomic.add<i32>(word(ctrl, DONE), 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Broadcasting and reductions
// ---------------------------------------------------------------------------------------------

/** ref: addRowVector. y[r, c] += v[c]. */
export function addRowVector(y: usize, v: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = y + <usize>r * <usize>cols * 4;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const p = o + <usize>c * 4;
      v128.store(p, f32x4.add(v128.load(p), v128.load(v + <usize>c * 4)));
    }
    for (; c < cols; c++) {
      const p = o + <usize>c * 4;
      store<f32>(p, load<f32>(p) + load<f32>(v + <usize>c * 4));
    }
  }
}

/**
 * ref: sumRowsInto. out[c] += Σ_r x[r, c], summed in float64 like the reference: each column's sum
 * starts at 0 and adds rows 0, 1, … in order, then is added to out[c] once. Four columns at a time
 * in two f64x2 accumulators (the same additions per column, in the same order: the same bits).
 */
export function sumRowsInto(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols * 4;
  let c = 0;
  for (; c + 4 <= cols; c += 4) {
    let al = f64x2.splat(0), ah = f64x2.splat(0);
    let p = x + <usize>c * 4;
    for (let r = 0; r < rows; r++) {
      const v = v128.load(p);
      al = f64x2.add(al, lo(v));
      ah = f64x2.add(ah, hi(v));
      p += rowBytes;
    }
    const o = out + <usize>c * 4;
    v128.store(o, narrow(f64x2.add(lo(v128.load(o)), al), f64x2.add(hi(v128.load(o)), ah)));
  }
  for (; c < cols; c++) {
    let s: f64 = 0;
    for (let r = 0; r < rows; r++) s += <f64>load<f32>(x + <usize>r * rowBytes + <usize>c * 4);
    const o = out + <usize>c * 4;
    store<f32>(o, <f32>(<f64>load<f32>(o) + s));
  }
}

/** ref: addChannelVector. y[b, c, s] += v[c]. */
export function addChannelVector(y: usize, v: usize, batch: i32, channels: i32, spatial: i32): void {
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < channels; c++) {
      const o = y + <usize>((b * channels + c) * spatial) * 4;
      const bias = load<f32>(v + <usize>c * 4);
      for (let s = 0; s < spatial; s++) {
        const p = o + <usize>s * 4;
        store<f32>(p, load<f32>(p) + bias);
      }
    }
  }
}

/**
 * ref: sumChannelsInto. out[c] += Σ_{b,s} x[b, c, s], summed in float64 like the reference but
 * eight floats at a time (four f64x2 sums, four independent chains of additions to cover their
 * latency: the reference's additions in another order, ≈ 1e-16 relative, below float32's
 * resolution). Channels c0 … c1 − 1 (blocked; scratch unused).
 */
export function sumChannelsInto(x: usize, out: usize, batch: i32, channels: i32, spatial: i32, c0: i32, c1: i32, scratch: usize): void {
  for (let c = c0; c < c1; c++) {
    let al = f64x2.splat(0), ah = f64x2.splat(0), bl = al, bh = al;
    let s: f64 = 0;
    for (let b = 0; b < batch; b++) {
      const o = x + <usize>((b * channels + c) * spatial) * 4;
      let k = 0;
      for (; k + 8 <= spatial; k += 8) {
        const v = v128.load(o + <usize>k * 4), u = v128.load(o + <usize>k * 4, 16);
        al = f64x2.add(al, lo(v));
        ah = f64x2.add(ah, hi(v));
        bl = f64x2.add(bl, lo(u));
        bh = f64x2.add(bh, hi(u));
      }
      if (k + 4 <= spatial) {
        const v = v128.load(o + <usize>k * 4);
        al = f64x2.add(al, lo(v));
        ah = f64x2.add(ah, hi(v));
        k += 4;
      }
      for (; k < spatial; k++) s += <f64>load<f32>(o + <usize>k * 4);
    }
    al = f64x2.add(al, bl);
    ah = f64x2.add(ah, bh);
    s += (f64x2.extract_lane(al, 0) + f64x2.extract_lane(al, 1)) + (f64x2.extract_lane(ah, 0) + f64x2.extract_lane(ah, 1));
    const p = out + <usize>c * 4;
    store<f32>(p, <f32>(<f64>load<f32>(p) + s));
  }
}

/** dst[i] += src[i] for i < n (sums the partial products of a K-split GEMM). */
export function addInto(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

/** ref: mul. out[i] = a[i] · b[i]. */
export function mul(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

// ---------------------------------------------------------------------------------------------
// Activations (forward y = f(x), backward dx = dy · f'(x))
// ---------------------------------------------------------------------------------------------

/** ref: reluForward. y = 0 for x ≤ 0, else scale·x (NaN stays NaN); elements i0 … i1 − 1 (blocked, i0 a multiple of 4; scratch unused). */
export function reluForward(x: usize, y: usize, n: i32, scale: f32, i0: i32, i1: i32, scratch: usize): void {
  const s = f32x4.splat(scale);
  const z = f32x4.splat(0);
  n = i1;
  let i = i0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    const v = v128.load(x + o);
    // keep scale·x unless x ≤ 0: NaN is not ≤ 0, so relu(NaN) = NaN as in the reference
    v128.store(y + o, v128.andnot(f32x4.mul(v, s), f32x4.le(v, z)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    const v = load<f32>(x + o);
    store<f32>(y + o, v <= 0 ? 0 : scale * v);
  }
}

/** ref: reluBackward. dx = 0 where x ≤ 0, else scale·dy (NaN included); elements i0 … i1 − 1 (blocked, i0 a multiple of 4; scratch unused). */
export function reluBackward(x: usize, dy: usize, dx: usize, n: i32, scale: f32, i0: i32, i1: i32, scratch: usize): void {
  const s = f32x4.splat(scale);
  const z = f32x4.splat(0);
  n = i1;
  let i = i0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    v128.store(dx + o, v128.andnot(f32x4.mul(v128.load(dy + o), s), f32x4.le(v128.load(x + o), z)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(dx + o, load<f32>(x + o) <= 0 ? 0 : scale * load<f32>(dy + o));
  }
}

/** ref: leakyReluForward. y = x for x > 0, else slope·x. */
export function leakyReluForward(x: usize, y: usize, n: i32, slope: f64): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i * 4;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : <f32>(slope * <f64>v));
  }
}

/** ref: leakyReluBackward. dx = dy for x > 0, else slope·dy. */
export function leakyReluBackward(x: usize, dy: usize, dx: usize, n: i32, slope: f64): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i * 4;
    const g = load<f32>(dy + o);
    store<f32>(dx + o, load<f32>(x + o) > 0 ? g : <f32>(slope * <f64>g));
  }
}

// σ(x) in float64 without overflow (ref: math.ts sigmoid).
// @ts-ignore: decorator
@inline function sigmoid64(x: f64): f64 {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** ref: sigmoidForward. */
export function sigmoidForward(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(y + o, <f32>sigmoid64(<f64>load<f32>(x + o)));
  }
}

/** ref: sigmoidBackward. dx = dy · y(1 − y), from the saved output y. */
export function sigmoidBackward(y: usize, dy: usize, dx: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i * 4;
    const v = <f64>load<f32>(y + o);
    store<f32>(dx + o, <f32>(<f64>load<f32>(dy + o) * v * (1 - v)));
  }
}

/** ref: tanhForward. */
export function tanhForward(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(y + o, <f32>Math.tanh(<f64>load<f32>(x + o)));
  }
}

/** ref: tanhBackward. dx = dy · (1 − y²). */
export function tanhBackward(y: usize, dy: usize, dx: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i * 4;
    const v = <f64>load<f32>(y + o);
    store<f32>(dx + o, <f32>(<f64>load<f32>(dy + o) * (1 - v * v)));
  }
}

// erf(x): the same series as src/kernels/ref/math.ts (about 1e-16 relative in float64):
// erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3···(2n+1)) for |x| ≤ 6, ±1 beyond.
function erf64(x: f64): f64 {
  if (isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a > 6) return x > 0 ? 1 : -1;
  const x2 = a * a;
  let term = a;
  let sum = a;
  for (let n = 1; n < 300; n++) {
    term *= (2 * x2) / <f64>(2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  const r = 1.1283791670955126 * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

const SQRT_2_OVER_PI: f64 = 0.7978845608028654;
const GELU_C: f64 = 0.044715;
const SQRT1_2: f64 = 0.7071067811865476;

/** ref: geluForward. approximate = GELU_ERF: x·Φ(x) with erf; GELU_TANH: the tanh approximation. */
export function geluForward(x: usize, y: usize, n: i32, approximate: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i * 4;
    const v = <f64>load<f32>(x + o);
    const r = approximate == GELU_TANH
      ? 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v)))
      : 0.5 * v * (1 + erf64(v * SQRT1_2));
    store<f32>(y + o, <f32>r);
  }
}

/** ref: geluBackward. */
export function geluBackward(x: usize, dy: usize, dx: usize, n: i32, approximate: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i * 4;
    const v = <f64>load<f32>(x + o);
    const g = <f64>load<f32>(dy + o);
    let d: f64;
    if (approximate == GELU_TANH) {
      const t = Math.tanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v));
      const du = SQRT_2_OVER_PI * (1 + 3 * GELU_C * v * v);
      d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du;
    } else {
      d = 0.5 * (1 + erf64(v * SQRT1_2)) + v * (0.3989422804014327 * Math.exp(-0.5 * v * v));
    }
    store<f32>(dx + o, <f32>(g * d));
  }
}

/** ref: softplusForward. y = log(1 + e^(βx))/β, or x where βx > threshold. */
export function softplusForward(x: usize, y: usize, n: i32, beta: f64, threshold: f64): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i * 4;
    const v = <f64>load<f32>(x + o);
    const bx = beta * v;
    store<f32>(y + o, <f32>(bx > threshold ? v : (Math.max(bx, 0) + Math.log1p(Math.exp(-Math.abs(bx)))) / beta));
  }
}

/** ref: softplusBackward. dx = dy·σ(βx), or dy where βx > threshold. */
export function softplusBackward(x: usize, dy: usize, dx: usize, n: i32, beta: f64, threshold: f64): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i * 4;
    const bx = beta * <f64>load<f32>(x + o);
    const g = <f64>load<f32>(dy + o);
    store<f32>(dx + o, <f32>(bx > threshold ? g : g * sigmoid64(bx)));
  }
}

// ---------------------------------------------------------------------------------------------
// Loss
// ---------------------------------------------------------------------------------------------

/**
 * ref: softmaxCrossEntropy. Per row: m = max z, lse = m + log Σ e^(z−m), p = e^(z−lse);
 * returns Σ_r (lse − z_label), or Σ_r Σ_j t_j (lse − z_j) where the label is −1 (labels = 0: none;
 * targets = 0: none). Everything in float64, like the reference.
 */
export function softmaxCrossEntropy(logits: usize, labels: usize, targets: usize, probs: usize, rows: i32, classes: i32): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const o = logits + <usize>(r * classes) * 4;
    const po = probs + <usize>(r * classes) * 4;
    let m: f64 = -Infinity;
    for (let j = 0; j < classes; j++) {
      const z = <f64>load<f32>(o + <usize>j * 4);
      if (z > m) m = z;
    }
    let s: f64 = 0;
    for (let j = 0; j < classes; j++) s += Math.exp(<f64>load<f32>(o + <usize>j * 4) - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < classes; j++) store<f32>(po + <usize>j * 4, <f32>Math.exp(<f64>load<f32>(o + <usize>j * 4) - lse));
    const label = labels ? load<i32>(labels + <usize>r * 4) : -1;
    if (label >= 0) total += lse - <f64>load<f32>(o + <usize>label * 4);
    else if (targets) {
      const t = targets + <usize>(r * classes) * 4;
      for (let j = 0; j < classes; j++) total += <f64>load<f32>(t + <usize>j * 4) * (lse - <f64>load<f32>(o + <usize>j * 4));
    }
  }
  return total;
}
export * from './losses';
export * from './sparse';
export * from './conv';
export * from './norm';

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

/** ref: im2col. col[(c·kh + i)·kw + j, oy·OW + ox] = x[c, oy·sh − ph + i, ox·sw − pw + j] (0 outside). */
export function im2col(
  x: usize, col: usize, C: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, OH: i32, OW: i32,
): void {
  const L = OH * OW;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((c * kh + i) * kw + j) * L;
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * sh - ph + i;
          const out = col + <usize>(row + oy * OW) * 4;
          if (iy < 0 || iy >= H) {
            for (let ox = 0; ox < OW; ox++) store<f32>(out + <usize>ox * 4, 0);
            continue;
          }
          const xRow = x + <usize>((c * H + iy) * W) * 4;
          for (let ox = 0; ox < OW; ox++) {
            const ix = ox * sw - pw + j;
            store<f32>(out + <usize>ox * 4, ix >= 0 && ix < W ? load<f32>(xRow + <usize>ix * 4) : 0);
          }
        }
      }
    }
  }
}

/** ref: col2im. dx[c, iy, ix] += dcol[…] for every column entry copied from that pixel. */
export function col2im(
  dcol: usize, dx: usize, C: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, OH: i32, OW: i32,
): void {
  const L = OH * OW;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((c * kh + i) * kw + j) * L;
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * sh - ph + i;
          if (iy < 0 || iy >= H) continue;
          const xRow = dx + <usize>((c * H + iy) * W) * 4;
          const src = dcol + <usize>(row + oy * OW) * 4;
          for (let ox = 0; ox < OW; ox++) {
            const ix = ox * sw - pw + j;
            if (ix >= 0 && ix < W) {
              const p = xRow + <usize>ix * 4;
              store<f32>(p, load<f32>(p) + load<f32>(src + <usize>ox * 4));
            }
          }
        }
      }
    }
  }
}

/**
 * ref: maxPool2dForward. Padding is −∞, NaN wins, the first maximum wins; argmax −1 for an empty
 * window. Planes p0 … p1 − 1 (a blocked kernel: the scratch area is unused).
 */
export function maxPool2dForward(
  x: usize, y: usize, argmax: usize,
  planes: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, OH: i32, OW: i32,
  p0: i32, p1: i32, scratch: usize,
): void {
  const pairs = kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0;
  for (let p = p0; p < p1; p++) {
    const xo = x + <usize>(p * H * W) * 4;
    for (let oy = 0; oy < OH; oy++) {
      let ox = 0;
      // 2×2 windows, stride 2, no padding: 4 windows at a time from two vectors of each input
      // row, deinterleaved into the windows' left (a, c) and right (b, d) columns, with the
      // scalar loop's order of comparisons (below) as lane masks.
      if (pairs) ox = pool2x2Row(xo, W, oy, OW, y + <usize>((p * OH + oy) * OW) * 4, argmax + <usize>((p * OH + oy) * OW) * 4);
      for (; ox < OW; ox++) {
        let best: f32 = -Infinity;
        let where = -1;
        for (let i = 0; i < kh; i++) {
          const iy = oy * sh - ph + i;
          if (iy < 0 || iy >= H) continue;
          let nan = false;
          for (let j = 0; j < kw; j++) {
            const ix = ox * sw - pw + j;
            if (ix < 0 || ix >= W) continue;
            const v = load<f32>(xo + <usize>(iy * W + ix) * 4);
            if (v > best || isNaN(v) || where < 0) {
              best = v;
              where = iy * W + ix;
              if (isNaN(v)) { nan = true; break; }
            }
          }
          // The reference's `break` leaves only the inner loop: later rows are still scanned, but
          // nothing beats NaN (v > NaN is false, and where ≥ 0), except another NaN.
          if (nan) continue;
        }
        const o = <usize>((p * OH + oy) * OW + ox) * 4;
        store<f32>(y + o, best);
        store<i32>(argmax + o, where);
      }
    }
  }
}

// Output row oy of a 2×2, stride-2 max pool over one plane (W wide), 4 outputs at a time while
// whole: the window of output ox is a = x[2oy, 2ox], b = x[2oy, 2ox+1], c = x[2oy+1, 2ox],
// d = x[2oy+1, 2ox+1], scanned as the scalar loop does: a is taken; b if b > best or b is NaN,
// unless a was NaN (the row's scan stopped); c if c > best or c is NaN; d likewise unless c was
// NaN. Returns the first output column left to the scalar loop (all of them when OW < 4).
function pool2x2Row(xo: usize, W: i32, oy: i32, OW: i32, y: usize, argmax: usize): i32 {
  const r0 = xo + <usize>(2 * oy * W) * 4;
  const r1 = r0 + <usize>W * 4;
  const step = i32x4(0, 2, 4, 6);
  const one = i32x4.splat(1), down = i32x4.splat(W);
  if (OW < 4) return 0;
  for (let ox = 0; ox < OW; ox += 4) {
    // the last 4 outputs end at OW − 1: a last vector that overlaps the one before (same values)
    if (ox + 4 > OW) ox = OW - 4;
    const o = <usize>(2 * ox) * 4;
    const u0 = v128.load(r0 + o), u1 = v128.load(r0 + o, 16);
    const l0 = v128.load(r1 + o), l1 = v128.load(r1 + o, 16);
    const a = v128.shuffle<f32>(u0, u1, 0, 2, 4, 6), b = v128.shuffle<f32>(u0, u1, 1, 3, 5, 7);
    const c = v128.shuffle<f32>(l0, l1, 0, 2, 4, 6), d = v128.shuffle<f32>(l0, l1, 1, 3, 5, 7);
    const ia = i32x4.add(i32x4.splat(2 * oy * W + 2 * ox), step);
    let best = a, where = ia;
    let take = v128.andnot(v128.or(f32x4.gt(b, best), f32x4.ne(b, b)), f32x4.ne(a, a));
    best = v128.bitselect(b, best, take);
    where = v128.bitselect(i32x4.add(ia, one), where, take);
    take = v128.or(f32x4.gt(c, best), f32x4.ne(c, c));
    best = v128.bitselect(c, best, take);
    const ic = i32x4.add(ia, down);
    where = v128.bitselect(ic, where, take);
    take = v128.andnot(v128.or(f32x4.gt(d, best), f32x4.ne(d, d)), f32x4.ne(c, c));
    best = v128.bitselect(d, best, take);
    where = v128.bitselect(i32x4.add(ic, one), where, take);
    v128.store(y + <usize>ox * 4, best);
    v128.store(argmax + <usize>ox * 4, where);
  }
  return OW;
}

/** ref: maxPool2dBackward. dx[p, argmax] += dy[p, o], planes p0 … p1 − 1 (blocked; scratch unused). */
export function maxPool2dBackward(
  dy: usize, argmax: usize, dx: usize, planes: i32, H: i32, W: i32, OH: i32, OW: i32,
  p0: i32, p1: i32, scratch: usize,
): void {
  const L = OH * OW;
  for (let p = p0; p < p1; p++) {
    for (let k = 0; k < L; k++) {
      const o = <usize>(p * L + k) * 4;
      const where = load<i32>(argmax + o);
      if (where >= 0) {
        const q = dx + <usize>(p * H * W + where) * 4;
        store<f32>(q, load<f32>(q) + load<f32>(dy + o));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Optimisers (float64 arithmetic per element, exactly as the reference)
// ---------------------------------------------------------------------------------------------
// Four floats at a time: each f32x4 is widened into two f64x2 halves, updated with the same
// float64 operations, in the same order, as the reference's scalar loop (IEEE float64 lane
// arithmetic has no contraction in WebAssembly, so every lane rounds exactly as the scalar
// would), and narrowed back. The tail (n mod 4) runs the scalar loop.

/**
 * ref: sgdStep. g ← g + wd·p (when wd ≠ 0); b ← g (first step) or μ·b + (1 − dampening)·g;
 * g ← g + μ·b (nesterov) or b; p ← p − lr·g.
 */
export function sgdStep(
  param: usize, grad: usize, buf: usize, n: i32,
  lr: f64, momentum: f64, dampening: f64, weightDecay: f64, nesterov: i32, firstStep: i32,
): void {
  const vlr = f64x2.splat(lr), vwd = f64x2.splat(weightDecay);
  const vmu = f64x2.splat(momentum), vdamp = f64x2.splat(1 - dampening);
  let i = 0;
  const decay = weightDecay != 0;
  if (momentum == 0 && !decay) {
    // plain SGD, the common case: p ← p − lr·g
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i * 4;
      const p4 = v128.load(param + o), g4 = v128.load(grad + o);
      const pl = lo(p4), ph = hi(p4);
      v128.store(param + o, narrow(f64x2.sub(pl, f64x2.mul(vlr, lo(g4))), f64x2.sub(ph, f64x2.mul(vlr, hi(g4)))));
    }
  } else if (momentum == 0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i * 4;
      const p4 = v128.load(param + o), g4 = v128.load(grad + o);
      const pl = lo(p4), ph = hi(p4);
      const gl = f64x2.add(lo(g4), f64x2.mul(vwd, pl));
      const gh = f64x2.add(hi(g4), f64x2.mul(vwd, ph));
      v128.store(param + o, narrow(f64x2.sub(pl, f64x2.mul(vlr, gl)), f64x2.sub(ph, f64x2.mul(vlr, gh))));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i * 4;
      const p4 = v128.load(param + o), g4 = v128.load(grad + o);
      const pl = lo(p4), ph = hi(p4);
      let gl = lo(g4), gh = hi(g4);
      if (decay) {
        gl = f64x2.add(gl, f64x2.mul(vwd, pl));
        gh = f64x2.add(gh, f64x2.mul(vwd, ph));
      }
      let bl = gl, bh = gh;
      if (!firstStep) {
        const b4 = v128.load(buf + o);
        bl = f64x2.add(f64x2.mul(vmu, lo(b4)), f64x2.mul(vdamp, gl));
        bh = f64x2.add(f64x2.mul(vmu, hi(b4)), f64x2.mul(vdamp, gh));
      }
      v128.store(buf + o, narrow(bl, bh));
      if (nesterov) {
        gl = f64x2.add(gl, f64x2.mul(vmu, bl));
        gh = f64x2.add(gh, f64x2.mul(vmu, bh));
      } else {
        gl = bl;
        gh = bh;
      }
      v128.store(param + o, narrow(f64x2.sub(pl, f64x2.mul(vlr, gl)), f64x2.sub(ph, f64x2.mul(vlr, gh))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    const p = <f64>load<f32>(param + o);
    let g = <f64>load<f32>(grad + o);
    if (decay) g += weightDecay * p;
    if (momentum != 0) {
      const b: f64 = firstStep ? g : momentum * <f64>load<f32>(buf + o) + (1 - dampening) * g;
      store<f32>(buf + o, <f32>b);
      g = nesterov ? g + momentum * b : b;
    }
    store<f32>(param + o, <f32>(p - lr * g));
  }
}

/**
 * ref: adamStep. g ← g + wd·p (Adam, when wd ≠ 0) or p ← p·(1 − lr·wd) (AdamW); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − stepSize·m / (√v/√bc2 + ε),
 * with stepSize = lr / (1 − β₁ᵗ) and sqrtBc2 = √(1 − β₂ᵗ) computed by the caller.
 */
export function adamStep(
  param: usize, grad: usize, m: usize, v: usize, n: i32,
  lr: f64, beta1: f64, beta2: f64, eps: f64, weightDecay: f64, decoupled: i32, stepSize: f64, sqrtBc2: f64,
): void {
  const vb1 = f64x2.splat(beta1), vc1 = f64x2.splat(1 - beta1);
  const vb2 = f64x2.splat(beta2), vc2 = f64x2.splat(1 - beta2);
  const vdecay = f64x2.splat(1 - lr * weightDecay), vwd = f64x2.splat(weightDecay);
  const vstep = f64x2.splat(stepSize), vbc2 = f64x2.splat(sqrtBc2), veps = f64x2.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    const p4 = v128.load(param + o), g4 = v128.load(grad + o), m4 = v128.load(m + o), v4 = v128.load(v + o);
    let pl = lo(p4), ph = hi(p4), gl = lo(g4), gh = hi(g4);
    if (decoupled) {
      pl = f64x2.mul(pl, vdecay);
      ph = f64x2.mul(ph, vdecay);
    } else if (weightDecay != 0) {
      gl = f64x2.add(gl, f64x2.mul(vwd, pl));
      gh = f64x2.add(gh, f64x2.mul(vwd, ph));
    }
    const ml = f64x2.add(f64x2.mul(vb1, lo(m4)), f64x2.mul(vc1, gl));
    const mh = f64x2.add(f64x2.mul(vb1, hi(m4)), f64x2.mul(vc1, gh));
    // (1−β₂)·g·g is ((1−β₂)·g)·g in the scalar reference: keep that order.
    const vl = f64x2.add(f64x2.mul(vb2, lo(v4)), f64x2.mul(f64x2.mul(vc2, gl), gl));
    const vh = f64x2.add(f64x2.mul(vb2, hi(v4)), f64x2.mul(f64x2.mul(vc2, gh), gh));
    v128.store(m + o, narrow(ml, mh));
    v128.store(v + o, narrow(vl, vh));
    const ul = f64x2.div(f64x2.mul(vstep, ml), f64x2.add(f64x2.div(f64x2.sqrt(vl), vbc2), veps));
    const uh = f64x2.div(f64x2.mul(vstep, mh), f64x2.add(f64x2.div(f64x2.sqrt(vh), vbc2), veps));
    v128.store(param + o, narrow(f64x2.sub(pl, ul), f64x2.sub(ph, uh)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    let p = <f64>load<f32>(param + o);
    let g = <f64>load<f32>(grad + o);
    if (decoupled) p *= 1 - lr * weightDecay;
    else if (weightDecay != 0) g += weightDecay * p;
    const mi = beta1 * <f64>load<f32>(m + o) + (1 - beta1) * g;
    const vi = beta2 * <f64>load<f32>(v + o) + (1 - beta2) * g * g;
    store<f32>(m + o, <f32>mi);
    store<f32>(v + o, <f32>vi);
    store<f32>(param + o, <f32>(p - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps)));
  }
}

/** ref: fill. out[i] = value for i < n (zero: one memory.fill). */
export function fill(out: usize, n: i32, value: f32): void {
  if (value == 0 && !(1 / value < 0)) {
    memory.fill(out, 0, <usize>n * 4);
    return;
  }
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + <usize>i * 4, v);
  for (; i < n; i++) store<f32>(out + <usize>i * 4, value);
}
