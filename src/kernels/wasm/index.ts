// The WebAssembly SIMD backend: float32 kernels compiled from assembly/kernels.ts, tensors living
// in the module's linear memory, and a pool of worker threads sharing that memory for GEMM and
// the optimiser steps. float64 stays on the reference kernels (`dtypes: ['float32']`).
//
// This module makes backends; it selects nothing. src/backend.ts owns the one the library uses:
//
//   createWasmBackend({ threads: 2 })  // awaits the compile and the workers; null without WASM SIMD
//   createWasmBackendNow({ threads })  // the same on the calling thread, where the engine allows a
//                                      // synchronous compile (Node, browser workers); the workers
//                                      // join the pool as they start
//
// Rooms: abi-shared.ts / abi.ts (the module's interface), detect.ts (engine features, build
// choice), runtime.ts (memory, heap, staging), pool.ts (workers, job protocol), jobs.ts (threaded
// GEMM and optimiser steps), wrap.ts + kernels.ts (the kernel table), memory.ts (allocator).

import { HandgradError } from '../../tensor.js';
import type { Backend } from '../table.js';
import { chooseBuild, enableRelaxedSimdNow, hardwareThreads, isNode, moduleBytes, sharedMemoryAvailable, syncCompileAllowed, type Build } from './detect.js';
import { makeKernels } from './kernels.js';
import { MAX_PAGES, WasmRuntime, type RuntimeOptions } from './runtime.js';
import { packedSparseKernels } from './sparse.js';

export { WasmRuntime } from './runtime.js';

/** Options of the wasm backend (initWasm, initBackend). */
export interface WasmOptions extends RuntimeOptions {
  /** Threads for GEMM and the optimiser steps, the calling thread included. Needs SharedArrayBuffer. */
  threads?: number;
  /** Relaxed-SIMD build: 'auto' (default) uses it when the engine accepts it; true requires it. */
  relaxed?: boolean | 'auto';
  /** false forces a plain (non-shared) memory even where SharedArrayBuffer exists (tests). */
  shared?: boolean;
  /** Size of a plain memory, reserved up front, in MiB (default 256). */
  plainMemoryMiB?: number;
}

/** Options of a runtime made directly (tests, benchmarks): `build` forces 'simd' or 'relaxed'. */
export type RuntimeBuildOptions = WasmOptions & { build?: Build };

/** The backend over a runtime. */
export interface WasmBackend extends Backend<'wasm'> {
  readonly runtime: WasmRuntime;
}

/** Threads when none are asked for: the machine's hardware threads, at most 4. */
export function defaultWasmThreads(): number {
  return Math.max(1, Math.min(4, hardwareThreads()));
}

const PAGE = 65536;

interface Plan {
  build: Build;
  shared: boolean;
  memory: WebAssembly.Memory;
  /** Threads the memory gets GEMM scratch areas for (a later configure may ask for up to this many). */
  slots: number;
}

/** The build and the memory, or null without WASM SIMD. The relaxed-SIMD flag must be set before (Node 20). */
function plan(opts: RuntimeBuildOptions): Plan | null {
  const relaxedOpt = opts.build ? opts.build === 'relaxed' : (opts.relaxed ?? 'auto');
  const build = chooseBuild(relaxedOpt);
  if (build === null) return null;
  if (relaxedOpt === true && build !== 'relaxed') {
    throw new HandgradError('wasm backend: relaxed: true, but this engine rejects the relaxed-SIMD build (try relaxed: "auto")');
  }
  let shared = opts.shared !== false && sharedMemoryAvailable();
  let memory: WebAssembly.Memory | null = null;
  if (shared) {
    try {
      memory = new WebAssembly.Memory({ initial: 256, maximum: MAX_PAGES, shared: true });
    } catch {
      shared = false;
    }
  }
  if (!memory) memory = new WebAssembly.Memory({ initial: Math.ceil(((opts.plainMemoryMiB ?? 256) * 1024 * 1024) / PAGE) });
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const slots = shared ? Math.min(32, Math.max(threads, 8, hardwareThreads())) : 1;
  return { build, shared, memory, slots };
}

function runtimeOf(p: Plan, module: WebAssembly.Module, opts: RuntimeBuildOptions): WasmRuntime {
  return new WasmRuntime(module, p.memory, p.shared, p.build === 'relaxed', p.slots, opts, makeKernels);
}

/**
 * A new runtime (memory, module instance, worker pool of `threads`, default 1), once its workers
 * have started; null when the engine lacks WASM SIMD. Each call makes an independent runtime:
 * tests run the standard and relaxed builds, shared and plain, side by side.
 */
export async function createWasmRuntime(opts: RuntimeBuildOptions = {}): Promise<WasmRuntime | null> {
  if (isNode() && !enableRelaxedSimdNow()) (await import('./pool-node.js')).enableRelaxedSimdFlag();
  const p = plan(opts);
  if (!p) return null;
  const rt = runtimeOf(p, await WebAssembly.compile(moduleBytes(p.build, p.shared)), opts);
  await rt.configure({ threads: opts.threads ?? 1 });
  return rt;
}

/**
 * The same on the calling thread: null where the engine lacks WASM SIMD or must not compile
 * synchronously here (a browser's main thread). The workers start in the background and join
 * the pool as they become ready; until then the calling thread runs their blocks (jobs are cut
 * for `threads` from the start, so results do not depend on when the workers arrive).
 */
export function createWasmRuntimeNow(opts: RuntimeBuildOptions = {}): WasmRuntime | null {
  if (!syncCompileAllowed()) return null;
  enableRelaxedSimdNow();
  const p = plan(opts);
  if (!p) return null;
  const rt = runtimeOf(p, new WebAssembly.Module(moduleBytes(p.build, p.shared)), opts);
  void rt.pool.start(opts.threads ?? 1);
  return rt;
}

/** The Backend object over a runtime. */
export function backendOf(rt: WasmRuntime): WasmBackend {
  return {
    name: 'wasm',
    runtime: rt,
    kernels: rt.kernels,
    packedSparse: packedSparseKernels(rt),
    dtypes: ['float32'],
    allocate: (dtype, size) => (dtype === 'float32' ? rt.allocFloat32(size) : new Float64Array(size)),
    describe: () => {
      const T = rt.threads, p = rt.pool;
      const waiting = T > 1 && p.running < T - 1 ? `; ${p.startError ? `a worker failed to start (${p.startError})` : `${p.running} of ${T - 1} workers started`}` : '';
      return `wasm (simd128${rt.relaxed ? '+relaxed' : ''}, ${T} thread${T === 1 ? '' : 's'}${rt.shared ? '' : ', no shared memory'}${waiting})`;
    },
  };
}

/** The wasm backend, its workers started; null without WASM SIMD. `threads` defaults to defaultWasmThreads(). */
export async function createWasmBackend(opts: WasmOptions = {}): Promise<WasmBackend | null> {
  const rt = await createWasmRuntime({ ...opts, threads: opts.threads ?? defaultWasmThreads() });
  return rt ? backendOf(rt) : null;
}

/** The wasm backend made on the calling thread (see createWasmRuntimeNow), or null. */
export function createWasmBackendNow(opts: WasmOptions = {}): WasmBackend | null {
  const rt = createWasmRuntimeNow({ ...opts, threads: opts.threads ?? defaultWasmThreads() });
  return rt ? backendOf(rt) : null;
}
