// The wasm backend's products with sparse rows (table.ts: sparseGemmForward, sparseGemmBackward).
// Written by hand, like GEMM's wrapper, because they run as jobs on the worker pool: one block per
// chunk of 16 output columns (assembly/sparse.ts), each thread in its own scratch, so the result
// is the same on any number of threads.
//
// The CSR arrays (rowPtr, colIdx, values) hold a whole data set: they must be in WASM memory (the
// loader allocates them there through the backend); arrays of one batch (rows, c, W or dy, y or
// dW) that are not are copied through the staging area. CSR arrays outside WASM memory, or no
// room to stage, send the call to the reference kernel (correct, slower), as the generic wrapper does.

import type { FloatArray } from '../../tensor.js';
import { batchNonZeros, type BatchColumns, type PackedSparseKernels } from '../packed.js';
import type { Kernels } from '../table.js';
import {
  F64, JOB_SPARSE_BACKWARD, JOB_SPARSE_COLUMNS, JOB_SPARSE_FORWARD, JOB_SPARSE_PACKED_FORWARD, P_A, P_ALPHA, P_B, P_BETA, P_C,
  P_K, P_M, P_N, P_SP_COL_IDX, P_SP_CONST, P_SP_DENSE, P_SP_OUT, P_SP_ROW_PTR, P_SP_ROWS, P_SP_SCRATCH, P_SP_VALUES, P_TA, P_TB,
} from './abi-shared.js';
import { kernelExport } from './abi.js';
import { STAGE, type KernelArray, type Mode, type WasmRuntime } from './runtime.js';

export type SparseKernelName = 'sparseGemmForward' | 'sparseGemmBackward';

/** Output columns per block (assembly/sparse.ts CHUNK). */
const CHUNK = 16;

/**
 * How a sparse product of M rows, N output columns and K columns runs: on every thread of the pool
 * when it has more than one chunk of output columns and `flops` ≥ minFlopsPerThread, else on the
 * calling thread; and the byte offset of thread 0's scratch (sparseScratchBytes(M, K) per thread,
 * kept and grown on demand), −1 when the heap has no room.
 */
function sparseJobPlanner(rt: WasmRuntime): (M: number, N: number, K: number, flops: number) => { threaded: boolean; base: number } {
  const scratchBytes = kernelExport(rt.instanceExports, 'sparseScratchBytes');
  let offset = -1;
  let capacity = 0;
  return (M, N, K, flops) => {
    const threaded = Math.min(rt.pool.threads, Math.ceil(N / CHUNK)) > 1 && flops >= rt.jobs.minFlopsPerThread;
    const bytes = scratchBytes(M, K) * (threaded ? rt.pool.threads : 1);
    if (bytes > capacity) {
      if (offset >= 0) rt.freeBytes(offset, capacity);
      offset = rt.allocBytes(bytes);
      capacity = offset >= 0 ? bytes : 0;
    }
    return { threaded, base: offset };
  };
}

/** The two sparse kernels over a runtime; `ref` runs what cannot run in WASM memory. */
export function sparseKernels(rt: WasmRuntime, ref: Kernels): Pick<Kernels, SparseKernelName> {
  const ex = rt.instanceExports;
  const forward = kernelExport(ex, 'sparseGemmForward');
  const backward = kernelExport(ex, 'sparseGemmBackward');
  const pool = rt.pool;
  const ctrl = pool.ctrl;
  const ctrlF = new Float32Array(ctrl.buffer, ctrl.byteOffset, ctrl.length);
  const plan = sparseJobPlanner(rt);

  // Staging of the batch's arrays, vectors made once: rows, c, the dense operand, the output.
  const arrays: (KernelArray | null)[] = [null, null, null, null];
  const ptrs = [0, 0, 0, 0];
  const modesOut: Mode[] = ['in', 'in', 'in', 'out'];
  const modesInOut: Mode[] = ['in', 'in', 'in', 'inout'];

  /** Runs the product in WASM; false when it cannot (the caller runs the reference). */
  const run = (
    kind: number, M: number, N: number, K: number, rows: Int32Array, rowPtr: Int32Array, colIdx: Int32Array,
    values: Float32Array, c: Float32Array, dense: Float32Array, out: Float32Array, beta: number,
  ): boolean => {
    if (!rt.inMemory(rowPtr) || !rt.inMemory(colIdx) || !rt.inMemory(values)) return false;
    arrays[0] = rows; arrays[1] = c; arrays[2] = dense; arrays[3] = out;
    let staged = 0;
    let resident = true;
    for (let i = 0; i < 4; i++) {
      ptrs[i] = rt.offsetOf(arrays[i]!);
      if (ptrs[i] === STAGE) resident = false;
    }
    const modes = kind === JOB_SPARSE_BACKWARD && beta !== 0 ? modesInOut : modesOut;
    if (!resident && (staged = rt.stageIn(arrays, modes, 4, ptrs)) < 0) {
      arrays.fill(null);
      return false;
    }
    // one thread for small products: 2·N·(non-zeros + K) flops
    const { threaded, base } = plan(M, N, K, 2 * N * (batchNonZeros(rows, rowPtr) + K));
    if (base < 0) {
      arrays.fill(null);
      return false;
    }
    const pRows = ptrs[0]!, pC = ptrs[1]!, pDense = ptrs[2]!, pOut = ptrs[3]!;
    if (!threaded) {
      if (kind === JOB_SPARSE_FORWARD) forward(pRows, rowPtr.byteOffset, colIdx.byteOffset, values.byteOffset, pC, pDense, pOut, M, N, K, base);
      else backward(pRows, rowPtr.byteOffset, colIdx.byteOffset, values.byteOffset, pC, pDense, pOut, M, N, K, beta, base);
    } else {
      const w = pool.begin(kind);
      w[P_M] = M; w[P_N] = N; w[P_K] = K;
      ctrlF[P_BETA] = beta;
      w[P_SP_ROWS] = pRows; w[P_SP_ROW_PTR] = rowPtr.byteOffset; w[P_SP_COL_IDX] = colIdx.byteOffset;
      w[P_SP_VALUES] = values.byteOffset; w[P_SP_CONST] = pC; w[P_SP_DENSE] = pDense; w[P_SP_OUT] = pOut;
      w[P_SP_SCRATCH] = base;
      pool.run(Math.ceil(N / CHUNK));
    }
    if (!resident) rt.stageOut(arrays, modes, 4, ptrs, staged);
    arrays.fill(null);
    return true;
  };

  const f32 = (a: FloatArray): a is Float32Array => a instanceof Float32Array;
  return {
    sparseGemmForward(M, N, K, rows, rowPtr, colIdx, values, c, W, y) {
      if (M === 0 || N === 0) return;
      if (f32(values) && f32(c) && f32(W) && f32(y) && run(JOB_SPARSE_FORWARD, M, N, K, rows, rowPtr, colIdx, values, c, W, y, 0)) return;
      ref.sparseGemmForward(M, N, K, rows, rowPtr, colIdx, values, c, W, y);
    },
    sparseGemmBackward(M, N, K, rows, rowPtr, colIdx, values, c, dy, beta, dW) {
      if (N === 0 || K === 0) return;
      if (f32(values) && f32(c) && f32(dy) && f32(dW) && run(JOB_SPARSE_BACKWARD, M, N, K, rows, rowPtr, colIdx, values, c, dy, dW, beta)) return;
      ref.sparseGemmBackward(M, N, K, rows, rowPtr, colIdx, values, c, dy, beta, dW);
    },
  };
}

/**
 * The packed first layer's products (kernels/packed.ts) over a runtime: one job per call, a block
 * per chunk of 16 output columns, as above. Every array must already be in WASM memory (the layer
 * allocates them through the backend); otherwise a call returns false.
 */
export function packedSparseKernels(rt: WasmRuntime): PackedSparseKernels {
  const ex = rt.instanceExports;
  const pack = kernelExport(ex, 'packWeight');
  const unpack = kernelExport(ex, 'unpackWeight');
  const forward = kernelExport(ex, 'sparsePackedForward');
  const columns = kernelExport(ex, 'sparseColumns');
  const product = kernelExport(ex, 'sparseColumnsProduct');
  const pool = rt.pool;
  const ctrl = pool.ctrl;
  const ctrlF = new Float32Array(ctrl.buffer, ctrl.byteOffset, ctrl.length);
  const ctrlD = new Float64Array(ctrl.buffer, ctrl.byteOffset + F64 * 4, 1);
  const plan = sparseJobPlanner(rt);
  const resident = (...a: (Float32Array | Int32Array | FloatArray)[]): boolean =>
    a.every((x) => x instanceof Int32Array || x instanceof Float32Array) && a.every((x) => rt.inMemory(x as Float32Array));
  return {
    packedSize: (N, K) => Math.ceil(N / CHUNK) * CHUNK * K,
    pack(W, N, K, Wt) {
      if (!resident(W, Wt)) return false;
      pack(W.byteOffset, N, K, Wt.byteOffset);
      return true;
    },
    unpack(Wt, N, K, W) {
      if (!resident(W, Wt)) return false;
      unpack(Wt.byteOffset, N, K, W.byteOffset);
      return true;
    },
    forward(M, N, K, rows, rowPtr, colIdx, values, uniform, c, Wt, y, sortInto) {
      if (M === 0 || N === 0) return sortInto === null || this.columns(M, K, rows, rowPtr, colIdx, values, sortInto);
      if (!resident(rows, rowPtr, colIdx, values, c, Wt, y)) return false;
      if (sortInto && !resident(sortInto.colPtr, sortInto.entRow, sortInto.entVal)) return false;
      const { threaded, base } = plan(M, N, K, 2 * N * (batchNonZeros(rows, rowPtr) + K));
      if (base < 0) return false;
      const uni = uniform === null ? 0 : 1, u = uniform ?? 0;
      if (!threaded) {
        if (sortInto) this.columns(M, K, rows, rowPtr, colIdx, values, sortInto);
        forward(rows.byteOffset, rowPtr.byteOffset, colIdx.byteOffset, values.byteOffset, uni, u, c.byteOffset, Wt.byteOffset, y.byteOffset, M, N, K, base);
      } else {
        // the sort is one more block of the job, taken by whichever thread comes first
        const w = pool.begin(JOB_SPARSE_PACKED_FORWARD);
        w[P_M] = M; w[P_N] = N; w[P_K] = K;
        w[P_SP_ROWS] = rows.byteOffset; w[P_SP_ROW_PTR] = rowPtr.byteOffset; w[P_SP_COL_IDX] = colIdx.byteOffset;
        w[P_SP_VALUES] = values.byteOffset; w[P_SP_CONST] = c.byteOffset; w[P_SP_DENSE] = Wt.byteOffset; w[P_SP_OUT] = y.byteOffset;
        w[P_SP_SCRATCH] = base;
        w[P_TB] = uni; ctrlF[P_ALPHA] = u;
        w[P_TA] = sortInto ? 1 : 0;
        if (sortInto) {
          w[P_A] = sortInto.colPtr.byteOffset; w[P_B] = sortInto.entRow.byteOffset; w[P_C] = sortInto.entVal.byteOffset;
        }
        pool.run(Math.ceil(N / CHUNK) + (sortInto ? 1 : 0));
      }
      return true;
    },
    columns(M, K, rows, rowPtr, colIdx, values, out) {
      if (!resident(rows, rowPtr, colIdx, values, out.colPtr, out.entRow, out.entVal)) return false;
      columns(rows.byteOffset, rowPtr.byteOffset, colIdx.byteOffset, values.byteOffset, M, K, out.colPtr.byteOffset, out.entRow.byteOffset, out.entVal.byteOffset);
      return true;
    },
    gradient(M, N, K, cols, uniform, c, dy, beta, dW) {
      return runColumns(0, M, N, K, cols, uniform, c, dy, beta, 0, dW, dW);
    },
    sgd(M, N, K, cols, uniform, c, dy, lr, Wt) {
      return runColumns(1, M, N, K, cols, uniform, c, dy, 0, lr, Wt, Wt);
    },
  };

  function runColumns(
    mode: number, M: number, N: number, K: number, cols: BatchColumns, uniform: number | null, c: FloatArray, dy: FloatArray,
    beta: number, lr: number, dst: FloatArray, Wt: FloatArray,
  ): boolean {
    const uni = uniform === null ? 0 : 1, u = uniform ?? 0;
    if (N === 0 || K === 0) return true;
    if (!resident(cols.colPtr, cols.entRow, cols.entVal, c, dy, dst, Wt)) return false;
    // (entRow's length bounds the batch's non-zeros: a size for the choice of threads)
    const { threaded, base } = plan(M, N, K, 2 * N * (cols.entRow.length + K));
    if (base < 0) return false;
    if (!threaded) {
      product(cols.colPtr.byteOffset, cols.entRow.byteOffset, cols.entVal.byteOffset, uni, u, c.byteOffset, dy.byteOffset, mode, beta, lr, dst.byteOffset, Wt.byteOffset, M, N, K, base);
    } else {
      const w = pool.begin(JOB_SPARSE_COLUMNS);
      w[P_M] = M; w[P_N] = N; w[P_K] = K; w[P_TA] = mode; w[P_TB] = uni;
      ctrlF[P_ALPHA] = u;
      ctrlF[P_BETA] = beta;
      ctrlD[0] = lr;
      w[P_SP_ROWS] = Wt.byteOffset; w[P_SP_ROW_PTR] = cols.colPtr.byteOffset; w[P_SP_COL_IDX] = cols.entRow.byteOffset;
      w[P_SP_VALUES] = cols.entVal.byteOffset; w[P_SP_CONST] = c.byteOffset; w[P_SP_DENSE] = dy.byteOffset; w[P_SP_OUT] = dst.byteOffset;
      w[P_SP_SCRATCH] = base;
      pool.run(Math.ceil(N / CHUNK));
    }
    return true;
  }
}
