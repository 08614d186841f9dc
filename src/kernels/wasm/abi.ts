// The kernel module's interface as the TypeScript side sees it: the exports the runtime calls by
// name (memory layout, GEMM, the job entry point, the optimiser steps) and the generic shape of a
// table kernel's export. The constants both sides share (control block, enum codes) are in
// abi-shared.ts; the argument order of a table kernel's export is stated in assembly/kernels.ts
// (array offsets in the table's order, then n for an elementwise kernel, then the other
// arguments in the table's order).
//
// Pointers are byte offsets into the module's memory.

import { HandgradError } from '../../tensor.js';

/** The exports the runtime itself calls, with the signatures of assembly/kernels.ts. */
export interface RuntimeExports {
  /** Bytes of one thread's GEMM scratch area. */
  scratchBytes(): number;
  /** The register tile (MR × NR): thread regions of C are whole tiles. */
  tileRows(): number;
  tileCols(): number;
  /** End of the module's static data; the runtime lays out memory above it. */
  heapBase(): number;
  isRelaxed(): number;
  gemm(tA: number, tB: number, M: number, N: number, K: number, alpha: number, A: number, B: number, beta: number, C: number, scratch: number): void;
  /** The slice k0 … k1 − 1 of K of a GEMM (a block of a GEMM cut along K), on the calling thread. */
  gemmKSlice(tA: number, tB: number, M: number, N: number, K: number, alpha: number, A: number, B: number, beta: number, C: number, scratch: number, k0: number, k1: number): void;
  /** Takes blocks of the job in the control block at `ctrl` until none is left (thread `tid`, generation `gen`). */
  gemmJob(ctrl: number, tid: number, gen: number): void;
  /** dst[i] += src[i] for i < n (the partial products of a GEMM cut along K). */
  addInto(dst: number, src: number, n: number): void;
  sgdStep(param: number, grad: number, buf: number, n: number, lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: number, firstStep: number): void;
  adamStep(param: number, grad: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: number, stepSize: number, sqrtBc2: number): void;
}

const RUNTIME_EXPORTS = [
  'scratchBytes', 'tileRows', 'tileCols', 'heapBase', 'isRelaxed', 'gemm', 'gemmKSlice', 'gemmJob', 'addInto', 'sgdStep', 'adamStep',
] as const satisfies readonly (keyof RuntimeExports)[];

/** A table kernel's export: numbers in (offsets, lengths, scalars, enum codes), a number or nothing out. */
export type RawKernel = (...args: number[]) => number;

function missing(name: string): HandgradError {
  return new HandgradError(`wasm backend: the kernel module exports no function '${name}' (stale generated module? run npm run build:wasm)`);
}

/** The instance's runtime exports, after checking that each is a function. */
export function runtimeExports(e: WebAssembly.Exports): RuntimeExports {
  for (const name of RUNTIME_EXPORTS) if (typeof e[name] !== 'function') throw missing(name);
  // WebAssembly gives exports as untyped functions; their signatures are those of assembly/kernels.ts.
  return e as unknown as RuntimeExports;
}

/** The export of a table kernel, checked to be a function. */
export function kernelExport(e: WebAssembly.Exports, name: string): RawKernel {
  const f = e[name];
  if (typeof f !== 'function') throw missing(name);
  // (an untyped wasm function; its arguments follow the rule above)
  return f as RawKernel;
}

/** Calls `f` with the first `n` numbers of `v` (an exact-arity call: no adaptor on the wasm side). */
export function callExport(f: RawKernel, v: readonly number[], n: number): number {
  switch (n) {
    case 3: return f(v[0]!, v[1]!, v[2]!);
    case 4: return f(v[0]!, v[1]!, v[2]!, v[3]!);
    case 5: return f(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!);
    case 6: return f(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!);
    case 7: return f(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!);
    case 8: return f(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!);
    case 9: return f(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, v[8]!);
    case 10: return f(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, v[8]!, v[9]!);
    case 11: return f(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, v[8]!, v[9]!, v[10]!);
    case 12: return f(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, v[8]!, v[9]!, v[10]!, v[11]!);
    case 13: return f(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, v[8]!, v[9]!, v[10]!, v[11]!, v[12]!);
    case 14: return f(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, v[8]!, v[9]!, v[10]!, v[11]!, v[12]!, v[13]!);
    case 15: return f(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, v[8]!, v[9]!, v[10]!, v[11]!, v[12]!, v[13]!, v[14]!);
    case 16: return f(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, v[8]!, v[9]!, v[10]!, v[11]!, v[12]!, v[13]!, v[14]!, v[15]!);
    case 17: return f(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, v[8]!, v[9]!, v[10]!, v[11]!, v[12]!, v[13]!, v[14]!, v[15]!, v[16]!);
    default: return f(...v.slice(0, n));
  }
}
