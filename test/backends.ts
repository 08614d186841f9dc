// The backends every float32 check of the shared suite runs on, and the
// helpers that select one around a describe block.
//
// | run               | what it exercises                                                       |
// |-------------------|-------------------------------------------------------------------------|
// | ref               | the reference kernels (the specification), float32 and float64          |
// | wasm, 1 thread    | every wasm kernel, GEMM on the calling thread                           |
// | wasm, 2 threads   | the same, GEMM cut into regions shared with a worker: minFlopsPerThread |
// |                   | is 0 so that even the fixtures' small products take the threaded path  |
// |                   | (and optimiser steps too: minStepFloats 0)                              |
// | wasm simd128 …    | the standard SIMD128 build (no relaxed FMA: what engines without relaxed|
// |                   | SIMD run), 1 thread; the runs above use the build initWasm picks, which |
// |                   | in Node 20 is the relaxed-SIMD one                                      |
// | webgpu (adapter)  | every WGSL kernel, through Dawn (the `webgpu` package): a GPU, or here  |
// |                   | Chromium's SwiftShader; without an adapter the run is skipped, and the  |
// |                   | reason printed (WEBGPU_SKIPPED)                                         |
//
// float64 checks (finite differences, PyTorch float64, doubling in float64, optimisers and
// end to end in float64) run ONCE, on the reference backend: every backend routes float64 to
// the reference kernels (kernelsFor in src/backend.ts; BACKEND_LIMITS in backend-support.ts),
// so running them per backend would run the same code three times. backend-support.test.ts
// proves that routing: a float64 layer on the wasm backend gives the reference's exact bits.
//
// Layers, parameters, optimiser buffers and inputs must be created AFTER the backend is selected
// (the backend allocates their storage: on wasm, views on its linear memory). Every helper here
// selects the backend in a beforeAll, so build everything inside the tests. Outside these
// helpers the suite runs on the reference backend: vitest.config.ts sets HANDGRAD_BACKEND=ref,
// the backend a program gets when it selects none (test/wasm/auto.test.ts checks 'auto').

import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateFor, backend, initWasm, initWebGPU, setBackend, shutdownWasm, wasmRuntime, type BackendKind, type WebGPUBackend } from '../src/backend.js';
import { backendOf, createWasmRuntime, type WasmRuntime } from '../src/kernels/wasm/index.js';
import type { Backend } from '../src/kernels/table.js';
import { Tensor, type DType } from '../src/tensor.js';
import type { BackendName } from './backend-support.js';

export interface BackendRun {
  /** Shown in every describe title of the run. */
  readonly label: string;
  readonly name: BackendName;
  /** wasm: GEMM threads, the calling thread included. */
  readonly threads?: number;
  /** wasm: GEMMs under this many flops stay on one thread (0: every product is threaded). */
  readonly minFlopsPerThread?: number;
  /** wasm: 'simd' forces the standard SIMD128 build (default: the build initWasm chooses). */
  readonly build?: 'simd';
}

/**
 * The webgpu backend of this test file (one device worker per file), or why there is none. Tests
 * use Chromium's SwiftShader unless VK_ICD_FILENAMES points the Vulkan loader elsewhere.
 */
async function probeWebGPU(): Promise<{ backend: WebGPUBackend } | { reason: string }> {
  const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
  if (!process.env.VK_ICD_FILENAMES && existsSync(icd)) process.env.VK_ICD_FILENAMES = icd;
  try {
    // the shaders a GPU runs, even on a software adapter: the tiled GEMM (a GPU's on products of
    // 32×32 and up) on the suites' small shapes, and the one-dispatch convolutions
    // (test/webgpu/kernels.test.ts checks the software adapter's unfolded ones too)
    return { backend: await initWebGPU({ gemm: 'tiled', conv: 'direct', select: false }) };
  } catch (e) {
    return { reason: (e as Error).message };
  }
}
const webgpu = await probeWebGPU();
const webgpuBackend: WebGPUBackend | null = 'backend' in webgpu ? webgpu.backend : null;

/** Why the webgpu run is skipped in this environment (null: it runs). */
export const WEBGPU_SKIPPED: string | null = 'reason' in webgpu ? webgpu.reason : null;
if (WEBGPU_SKIPPED) console.warn(`test/backends.ts: the webgpu runs are skipped: ${WEBGPU_SKIPPED}`);

export const BACKENDS: readonly BackendRun[] = [
  { label: 'ref', name: 'ref' },
  { label: 'wasm, 1 thread', name: 'wasm', threads: 1 },
  { label: 'wasm, 2 threads', name: 'wasm', threads: 2, minFlopsPerThread: 0 },
  { label: 'wasm simd128 (standard build), 1 thread', name: 'wasm', threads: 1, build: 'simd' },
  ...(webgpuBackend ? [{ label: webgpuBackend.describe(), name: 'webgpu' } as const] : []),
];

/** The webgpu backend the webgpu run uses, or null where it is skipped. */
export function webgpuUnderTest(): WebGPUBackend | null {
  return webgpuBackend;
}

/** The run every float64 check uses (float64 goes to the reference kernels on every backend). */
export const FLOAT64_RUN: BackendRun = BACKENDS[0]!;

let simdRuntime: WasmRuntime | null = null;
let simdBackend: Backend<BackendKind> | null = null;
/** The wasm runtime behind the selected backend (null on ref). */
let active: WasmRuntime | null = null;

/** The wasm runtime of the selected backend run, or null on the reference. */
export function activeRuntime(): WasmRuntime | null {
  return backend().name === 'wasm' ? active : null;
}

/**
 * Selects the backend of a run (initialising wasm with the run's threads); fails if wasm is
 * missing. The standard-build run selects a second runtime's backend object directly; the other
 * wasm runs select the registry's wasm backend.
 */
export async function useBackend(run: BackendRun): Promise<Backend<BackendKind>> {
  if (run.name === 'webgpu') {
    if (!webgpuBackend) throw new Error(`backend run '${run.label}': no webgpu backend (${WEBGPU_SKIPPED})`);
    active = null;
    return setBackend(webgpuBackend);
  }
  if (run.name === 'ref') {
    // a previous wasm run may have left workers: they would only idle, but stop them
    if (wasmRuntime()) await shutdownWasm();
    active = null;
    return setBackend('ref');
  }
  if (run.build === 'simd') {
    if ((run.threads ?? 1) !== 1) throw new Error(`backend run '${run.label}': the standard-build run is single-threaded`);
    simdRuntime ??= await createWasmRuntime({ build: 'simd', threads: 1 });
    if (!simdRuntime) throw new Error(`backend run '${run.label}': this engine has no WebAssembly SIMD`);
    simdBackend ??= backendOf(simdRuntime);
    active = simdRuntime;
    return setBackend(simdBackend);
  }
  const b = await initWasm({
    threads: run.threads ?? 1,
    minFlopsPerThread: run.minFlopsPerThread ?? 2e6,
    minStepFloats: run.minFlopsPerThread === 0 ? 0 : 16384,
    spinMicros: 200,
    select: false,
  });
  // initWasm falls back to the reference when the engine lacks WASM SIMD: that must fail here,
  // or the "wasm" runs would silently test the reference twice.
  if (b.name !== 'wasm') throw new Error(`backend run '${run.label}': this engine has no WebAssembly SIMD (initWasm returned '${b.name}')`);
  active = wasmRuntime();
  const threads = active!.threads;
  if (threads !== (run.threads ?? 1)) {
    throw new Error(`backend run '${run.label}': asked for ${run.threads} threads, the runtime runs ${threads} (no SharedArrayBuffer?)`);
  }
  return setBackend('wasm');
}

/** GEMM regions the worker threads (not the caller) have computed so far. */
function workerRegions(): number {
  const rt = activeRuntime();
  return rt ? rt.regionsByThread().slice(1).reduce((a, b) => a + b, 0) : 0;
}

export interface DescribeBackendsOptions {
  /**
   * On a threaded run, end the block with a test that the workers computed GEMM regions during
   * it (the block must contain products that split, e.g. a convolution or a batch of ≥ 8 rows).
   */
  threadedGemm?: boolean;
  /**
   * The block asserts what only float64 arithmetic rounded once gives (bit-exact agreement with
   * the reference's loops): it runs on the backends that compute so (ref, wasm), not on webgpu,
   * whose kernels compute in float32 (WGSL has no float64) and are held to the PyTorch tolerances.
   */
  float64Arithmetic?: boolean;
}

/**
 * One describe block per backend run, titled `${title} [backend]`, with the backend selected in
 * its beforeAll and the reference restored (workers stopped) in its afterAll.
 */
export function describeBackends(title: string, body: (run: BackendRun) => void, opts: DescribeBackendsOptions = {}): void {
  if (WEBGPU_SKIPPED && !opts.float64Arithmetic) describe.skip(`${title} [webgpu: skipped, ${WEBGPU_SKIPPED}]`, () => it('runs on webgpu', () => {}));
  for (const run of BACKENDS) {
    if (opts.float64Arithmetic && run.name === 'webgpu') continue;
    describe(`${title} [${run.label}]`, () => {
      let regionsBefore = 0;
      beforeAll(async () => {
        await useBackend(run);
        regionsBefore = workerRegions();
      });
      afterAll(async () => {
        await useBackend(FLOAT64_RUN);
      });
      body(run);
      if (opts.threadedGemm && (run.threads ?? 1) > 1) {
        it('the threaded GEMM path ran: the worker computed regions of the products above', () => {
          expect(backend().name).toBe('wasm');
          expect(workerRegions() - regionsBefore, 'GEMM regions computed by the worker thread').toBeGreaterThan(0);
        });
      }
    });
  }
}

/** A describe block on the reference backend, for the checks that run once (float64). */
export function describeOnce(title: string, body: () => void): void {
  describe(title, () => {
    beforeAll(() => useBackend(FLOAT64_RUN));
    body();
  });
}

/**
 * A tensor whose storage comes from the current backend (wasm memory for float32 on wasm), as a
 * training loop's batches would: the kernels then take their fast path, not the staging copy.
 */
export function tensorOnBackend(data: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  if (data.length !== n) throw new Error(`tensorOnBackend: ${data.length} values for shape [${shape.join(', ')}]`);
  const t = new Tensor(allocateFor(dtype, n), shape);
  t.data.set(data);
  return t;
}

/**
 * Asserts that float32 storage lives where the run's backend puts it (wasm: its linear memory;
 * webgpu: host mirrors of its device buffers), i.e. that the layer / optimiser was built after the
 * backend was selected.
 */
export function expectOnBackend(run: BackendRun, arrays: ArrayLike<number>[], what: string): void {
  const rt = activeRuntime();
  for (const [i, a] of arrays.entries()) {
    if (!(a instanceof Float32Array)) continue;
    const inWasm = rt !== null && rt.inMemory(a);
    expect(inWasm, `${what} [${i}]: float32 storage in wasm memory on backend '${run.label}'`).toBe(run.name === 'wasm');
    const onDevice = webgpuBackend !== null && webgpuBackend.owns(a);
    expect(onDevice, `${what} [${i}]: float32 storage on the webgpu device on backend '${run.label}'`).toBe(run.name === 'webgpu');
  }
}
