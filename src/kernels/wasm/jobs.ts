// The operations that run as jobs on the worker pool, on byte offsets: GEMM, cut into regions
// of C or along K, the optimiser steps, cut into chunks, and the blocked table kernels, cut into
// ranges of items. Each runs on the calling thread
// alone when the pool has one thread or the operation is too small to share. No closure, string
// or array is made per call: these run for every layer and every parameter at every step.

import type { AdamHyper, SgdHyper } from '../table.js';
import {
  BK_MAX_ARGS, F64, F64_SLOTS, JOB_ADAM, JOB_BLOCKED, JOB_GEMM, JOB_GEMM_K, JOB_SGD, P_A, P_ALPHA, P_B, P_BETA, P_BK_ARGC,
  P_BK_ARGS, P_BK_CODE, P_BK_ITEMS, P_BK_PER, P_BM, P_BN, P_C, P_K, P_M, P_MB, P_N, P_NB, P_TA, P_TB,
} from './abi-shared.js';
import { callExport, type RawKernel, type RuntimeExports } from './abi.js';
import { HandgradError } from '../../tensor.js';
import type { WorkerPool } from './pool.js';

export interface JobTuning {
  /** GEMMs with fewer than this many flops (2·M·N·K) stay on one thread. */
  minFlopsPerThread: number;
  /** Optimiser steps on fewer floats than this stay on one thread. */
  minStepFloats: number;
  /** GEMMs with a long K and a small C are cut along K (false: never; A/B tests). */
  kSplit: boolean;
}

export class Jobs implements JobTuning {
  minFlopsPerThread: number;
  minStepFloats: number;
  kSplit = true;
  private readonly ctrlF: Float32Array;
  private readonly ctrlD: Float64Array;
  /** The build's register tile (MR × NR): regions of C are whole tiles. */
  private readonly MR: number;
  private readonly NR: number;
  private partialOff = -1;
  private partialCap = 0;

  /**
   * `scratch` is thread 0's GEMM scratch; `alloc(bytes)` / `free(off, bytes)` manage blocks of the
   * tensor heap (−1: none), for the partial products of a GEMM cut along K.
   */
  constructor(
    private readonly ex: RuntimeExports,
    private readonly pool: WorkerPool,
    memory: ArrayBufferLike,
    ctrlOffset: number,
    private readonly scratch: number,
    private readonly alloc: (bytes: number) => number,
    private readonly free: (off: number, bytes: number) => void,
    tuning: Pick<JobTuning, 'minFlopsPerThread' | 'minStepFloats'>,
  ) {
    this.ctrlF = new Float32Array(memory, ctrlOffset, F64);
    this.ctrlD = new Float64Array(memory, ctrlOffset + F64 * 4, F64_SLOTS);
    this.minFlopsPerThread = tuning.minFlopsPerThread;
    this.minStepFloats = tuning.minStepFloats;
    this.MR = ex.tileRows();
    this.NR = ex.tileCols();
  }

  /**
   * C = alpha·op(A)·op(B) + beta·C on byte offsets; threaded when the pool runs and the product is
   * large enough. How a product is cut depends on its shape only, never on the thread count, so
   * 1 and 2 threads give the same bits: a long K and a small C is cut into kSlices(…) slices of K
   * (summed in slice order on any number of threads); every other product sums all of K per
   * element of C in one order, however C is cut into regions.
   */
  gemm(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: number, B: number, beta: number, C: number): void {
    const T = this.pool.threads;
    const flops = 2 * M * N * K;
    const slices = this.kSplit ? kSlices(M, N, K) : 1;
    if (slices > 1) {
      // Cutting C would make every thread pack all of one operand; each slice of K packs only its
      // part of both. Slice 0 writes C (with beta), the others partial products that are added to
      // C at the end, in slice order.
      const KB = Math.ceil(K / slices / 4) * 4;
      const blocks = Math.ceil(K / KB);
      const partials = this.partialBuffer((blocks - 1) * M * N * 4);
      if (partials >= 0) {
        if (T > 1 && flops >= this.minFlopsPerThread) {
          const c = this.setGemm(JOB_GEMM_K, tA, tB, M, N, K, alpha, A, B, beta, C);
          c[P_MB] = KB;
          c[P_NB] = partials;
          c[P_BM] = blocks;
          c[P_BN] = 1;
          this.pool.run(blocks);
        } else {
          const a = tA ? 1 : 0, b = tB ? 1 : 0;
          for (let s = 0; s < blocks; s++) {
            const target = s === 0 ? C : partials + (s - 1) * M * N * 4;
            this.ex.gemmKSlice(a, b, M, N, K, alpha, A, B, s === 0 ? beta : 0, target, this.scratch, s * KB, Math.min(K, (s + 1) * KB));
          }
        }
        for (let s = 1; s < blocks; s++) this.ex.addInto(C, partials + (s - 1) * M * N * 4, M * N);
        return;
      }
    }
    if (T <= 1 || flops < this.minFlopsPerThread) {
      this.ex.gemm(tA ? 1 : 0, tB ? 1 : 0, M, N, K, alpha, A, B, beta, C, this.scratch);
      return;
    }
    // Cut C into regions along the larger of M and N (each region packs all of the operand it
    // does not split, so this duplicates the smaller packing): 2 regions per thread, 4 for large
    // products, handed out dynamically, so that a core that is slow (a busy host, a sibling
    // hyperthread at work) takes fewer of them instead of holding up the job.
    const t = (flops >= 5e7 ? 4 : 2) * T;
    let MB = M, NB = N;
    const MR = this.MR, NR = this.NR;
    if (M >= N) MB = Math.max(MR, Math.ceil(Math.ceil(M / t) / MR) * MR);
    else NB = Math.max(NR, Math.ceil(Math.ceil(N / t) / NR) * NR);
    const nbM = Math.ceil(M / MB), nbN = Math.ceil(N / NB);
    const total = nbM * nbN;
    if (total < 2) {
      this.ex.gemm(tA ? 1 : 0, tB ? 1 : 0, M, N, K, alpha, A, B, beta, C, this.scratch);
      return;
    }
    const c = this.setGemm(JOB_GEMM, tA, tB, M, N, K, alpha, A, B, beta, C);
    c[P_MB] = MB;
    c[P_NB] = NB;
    c[P_BM] = nbM;
    c[P_BN] = nbN;
    this.pool.run(total);
  }

  private setGemm(kind: number, tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: number, B: number, beta: number, C: number): Int32Array {
    const c = this.pool.begin(kind);
    c[P_TA] = tA ? 1 : 0;
    c[P_TB] = tB ? 1 : 0;
    c[P_M] = M;
    c[P_N] = N;
    c[P_K] = K;
    this.ctrlF[P_ALPHA] = alpha;
    c[P_A] = A;
    c[P_B] = B;
    this.ctrlF[P_BETA] = beta;
    c[P_C] = C;
    return c;
  }

  /** Byte offset of a scratch area of at least `bytes` for K-split partial products (−1: none). */
  private partialBuffer(bytes: number): number {
    if (bytes > this.partialCap) {
      if (this.partialOff >= 0) this.free(this.partialOff, this.partialCap);
      const cap = Math.max(bytes, 1 << 16);
      this.partialOff = this.alloc(cap);
      this.partialCap = this.partialOff >= 0 ? cap : 0;
    }
    return this.partialOff;
  }

  /**
   * A blocked kernel on `items` items: argv[0 … argc − 1] are its arguments, argv[argc … argc + 2]
   * receive the item range and the scratch area. On one thread, one block, or fewer than
   * `minItems` items the export runs here on all of them; else the items are cut into about 2
   * blocks per thread, each a multiple of `grain` items, handed out like GEMM regions. The
   * arguments go to the control block as integers and as float64 (the first F64_SLOTS).
   */
  blocked(code: number, f: RawKernel, argv: number[], argc: number, items: number, grain: number, minItems: number): void {
    const T = this.pool.threads;
    const per = Math.max(grain, Math.ceil(Math.ceil(items / (2 * T)) / grain) * grain);
    if (T <= 1 || items <= per || items < minItems) {
      argv[argc] = 0;
      argv[argc + 1] = items;
      argv[argc + 2] = this.scratch;
      callExport(f, argv, argc + 3);
      return;
    }
    if (argc > BK_MAX_ARGS) throw new HandgradError(`wasm blocked kernel ${code}: ${argc} arguments, the control block holds ${BK_MAX_ARGS}`);
    const c = this.pool.begin(JOB_BLOCKED);
    c[P_BK_CODE] = code;
    c[P_BK_ITEMS] = items;
    c[P_BK_PER] = per;
    c[P_BK_ARGC] = argc;
    const d = this.ctrlD;
    for (let i = 0; i < argc; i++) {
      c[P_BK_ARGS + i] = argv[i]!;
      if (i < F64_SLOTS) d[i] = argv[i]!;
    }
    this.pool.run(Math.ceil(items / per));
  }

  /** Opens a threaded step on n floats (chunks of a multiple of 16 floats), or returns null to run it here. */
  private beginStep(kind: number, n: number): Int32Array | null {
    const T = this.pool.threads;
    if (T <= 1 || n < this.minStepFloats) return null;
    const c = this.pool.begin(kind);
    c[P_M] = n;
    c[P_MB] = Math.ceil(n / (2 * T) / 16) * 16;
    return c;
  }

  sgd(param: number, grad: number, buf: number, n: number, h: SgdHyper): void {
    const nesterov = h.nesterov ? 1 : 0, first = h.firstStep ? 1 : 0;
    const c = this.beginStep(JOB_SGD, n);
    if (!c) {
      this.ex.sgdStep(param, grad, buf, n, h.lr, h.momentum, h.dampening, h.weightDecay, nesterov, first);
      return;
    }
    const f = this.ctrlD;
    c[P_A] = param; c[P_B] = grad; c[P_C] = buf; c[P_TA] = nesterov; c[P_TB] = first;
    f[0] = h.lr; f[1] = h.momentum; f[2] = h.dampening; f[3] = h.weightDecay;
    this.pool.run(Math.ceil(n / c[P_MB]!));
  }

  /** Adam / AdamW with the bias corrections computed by the caller: stepSize = lr/(1 − β₁ᵗ), sqrtBc2 = √(1 − β₂ᵗ). */
  adam(param: number, grad: number, m: number, v: number, n: number, h: AdamHyper, stepSize: number, sqrtBc2: number): void {
    const decoupled = h.decoupled ? 1 : 0;
    const c = this.beginStep(JOB_ADAM, n);
    if (!c) {
      this.ex.adamStep(param, grad, m, v, n, h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, decoupled, stepSize, sqrtBc2);
      return;
    }
    const f = this.ctrlD;
    c[P_A] = param; c[P_B] = grad; c[P_C] = m; c[P_N] = v; c[P_TA] = decoupled;
    f[0] = h.lr; f[1] = h.beta1; f[2] = h.beta2; f[3] = h.eps; f[4] = h.weightDecay; f[5] = stepSize; f[6] = sqrtBc2;
    this.pool.run(Math.ceil(n / c[P_MB]!));
  }
}

/**
 * Slices of K for a product with a long K and a small C (K ≥ 4·max(M, N), at least 2 MFLOP: the
 * forward x·Wᵀ of a batch through a wide first layer, 64 × 784 → 60, 64 × 11025 → 150): about one
 * per 2048 of K, 2 to 4 (more slices balance a slow core better, but each adds a pass over C and
 * rounds its part of K up to whole k-steps: 11025 in 4 slices is 44 k-steps, as uncut; in 8, 48);
 * 1 (no cut) for any other shape. A function of the shape alone.
 */
export function kSlices(M: number, N: number, K: number): number {
  if (K < 4 * Math.max(M, N) || 2 * M * N * K < 2e6) return 1;
  return Math.min(4, Math.max(2, Math.round(K / 2048)));
}
