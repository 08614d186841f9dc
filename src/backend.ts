// Which backend runs the kernels, and where backends come from. This module owns them: it knows
// the kinds (BACKEND_KINDS), creates each kind once, selects one (setBackend), and resolves
// 'auto' to the fastest kind the engine can bring up. The reference backend is always there.
//
// With nothing selected, the first kernel or allocation resolves the default: the environment
// variable HANDGRAD_BACKEND where there is one (auto, or a kind), else 'auto'. 'auto' takes the
// first kind of AUTO_ORDER that can start on the calling thread: in Node and in browser workers
// that is wasm (compiled synchronously; its worker threads join as they start), on a browser's
// main thread it is ref until `await initWasm()` (engines do not compile the module there
// synchronously). backend().describe() says which runs.

import { allocate, HandgradError, type DType, type FloatArray } from './tensor.js';
import type { Backend, Kernels } from './kernels/table.js';
import type { PackedSparseKernels } from './kernels/packed.js';
import { refKernels } from './kernels/ref/index.js';
import { createWasmBackend, createWasmBackendNow, defaultWasmThreads, type WasmBackend, type WasmOptions, type WasmRuntime } from './kernels/wasm/index.js';
import { createWebGPUBackend, type WebGPUBackend, type WebGPUOptions } from './kernels/webgpu/index.js';

export type { WasmOptions } from './kernels/wasm/index.js';
export type { WebGPUBackend, WebGPUOptions } from './kernels/webgpu/index.js';

/** The reference backend: the plain TypeScript kernels, float32 and float64, on every engine. */
export const refBackend: Backend<'ref'> = {
  name: 'ref',
  kernels: refKernels,
  dtypes: ['float32', 'float64'],
  allocate: (dtype, size) => allocate(dtype, size),
  describe: () => 'ref (plain TypeScript reference kernels)',
};

/** How the registry makes and manages one kind of backend. */
interface BackendKindSpec<B extends Backend, O> {
  /** Brings the backend up, awaiting what it needs; null where the engine cannot run it. */
  create(opts: O): Promise<B | null>;
  /** Brings it up on the calling thread; null where the engine cannot run it, or not synchronously here. */
  createNow(opts: O): B | null;
  /** Applies new options to the backend made before (a kind is made once per process). */
  configure(b: B, opts: O): Promise<void>;
  /** Ends what the backend started (worker threads); it stays usable. */
  shutdown(b: B): Promise<void>;
}

/** Every kind's backend type (its `name` is the kind) ... */
interface KindBackends {
  ref: Backend<'ref'>;
  wasm: WasmBackend;
  webgpu: WebGPUBackend;
}
/** ... and its options. */
interface KindOptions {
  ref: object;
  wasm: WasmOptions;
  webgpu: WebGPUOptions;
}
/** The name of a kind of backend in {@link BACKEND_KINDS}: 'ref', 'wasm' or 'webgpu'. */
export type BackendKind = keyof KindBackends;
/** The options that kind `K` of backend takes when it is brought up. */
export type BackendOptions<K extends BackendKind> = KindOptions[K];

/** The registry of kinds. A new kind is one entry here, in KindBackends and KindOptions, and in AUTO_ORDER. */
export const BACKEND_KINDS: { readonly [K in BackendKind]: BackendKindSpec<KindBackends[K], KindOptions[K]> } = {
  ref: {
    create: async () => refBackend,
    createNow: () => refBackend,
    configure: async () => {},
    shutdown: async () => {},
  },
  wasm: {
    create: createWasmBackend,
    createNow: createWasmBackendNow,
    configure: (b, opts) => b.runtime.configure({ ...opts, threads: opts.threads ?? defaultWasmThreads() }),
    shutdown: (b) => b.runtime.stopPool(),
  },
  // Asynchronous only (an adapter and a device are promises), and where it cannot start the
  // promise rejects with the reason (no adapter, no `webgpu` package in Node, a thread that
  // cannot block) rather than resolving null: there is no silent fallback to the reference.
  webgpu: {
    create: (opts) => createWebGPUBackend(opts),
    createNow: () => null,
    configure: async (b, opts) => {
      if (opts.gemm) b.settings.gemm = opts.gemm;
      if (opts.conv) b.settings.conv = opts.conv;
    },
    // its device worker never keeps a process alive; WebGPUBackend.shutdown() ends it for good
    shutdown: async () => {},
  },
};

/**
 * 'auto' takes the first of these that the engine can run. Not webgpu: it cannot start
 * synchronously, and an adapter may be a slow software one; the CLI's and the playground's
 * 'auto' try it first on a hardware adapter (initWebGPU({ requireHardware: true })).
 */
export const AUTO_ORDER: readonly BackendKind[] = ['wasm', 'ref'];

/** A kind, or 'auto'. */
export type BackendChoice = BackendKind | 'auto';

const made: { [K in BackendKind]?: KindBackends[K] } = { ref: refBackend };
let current: Backend<BackendKind> | null = null;

function isKind(name: string): name is BackendKind {
  return Object.hasOwn(BACKEND_KINDS, name);
}

function choices(): string {
  return ['auto', ...Object.keys(BACKEND_KINDS)].join(', ');
}

/** The backend of a kind, made now on the calling thread if it was not made before; null if it cannot be. */
function now<K extends BackendKind>(kind: K): KindBackends[K] | null {
  const spec: BackendKindSpec<KindBackends[K], KindOptions[K]> = BACKEND_KINDS[kind];
  const had = made[kind];
  if (had) return had;
  const b = spec.createNow({});
  if (b) made[kind] = b;
  return b;
}

function resolveNow(choice: BackendChoice): Backend<BackendKind> {
  if (choice !== 'auto') {
    const b = now(choice);
    if (b) return b;
    throw new HandgradError(
      `backend '${choice}' cannot start synchronously here (no WebAssembly SIMD, or a browser's main thread): ` +
        `await initBackend('${choice}') (initWasm()) first, or use 'auto'`,
    );
  }
  for (const kind of AUTO_ORDER) {
    const b = now(kind);
    if (b) return b;
  }
  return refBackend;
}

/** The backend the program gets when it selects none: HANDGRAD_BACKEND, else 'auto'. */
function defaultChoice(): BackendChoice {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.HANDGRAD_BACKEND?.trim();
  if (v === undefined || v === '') return 'auto';
  if (v === 'auto' || isKind(v)) return v;
  throw new HandgradError(`HANDGRAD_BACKEND: expected one of ${choices()}, got '${v}'`);
}

/** The backend in use (resolving the default on first use). */
export function backend(): Backend<BackendKind> {
  return current ?? (current = resolveNow(defaultChoice()));
}

/**
 * Selects a backend: a kind ('ref', 'wasm'), 'auto', or a backend object made directly (tests
 * run a second wasm runtime this way). A kind not made yet is made on the calling thread; where
 * that is impossible (wasm on a browser's main thread) this throws, and `await initBackend(kind)`
 * is the way.
 */
export function setBackend(choice: BackendChoice | Backend<BackendKind>): Backend<BackendKind> {
  if (typeof choice !== 'string') return (current = choice);
  if (choice !== 'auto' && !isKind(choice)) throw new HandgradError(`setBackend: unknown backend '${String(choice)}'; expected one of ${choices()}`);
  return (current = resolveNow(choice));
}

/** Options of initBackend: the kind's own, plus whether to select it (default true). */
export type InitOptions<K extends BackendChoice> = (K extends BackendKind ? BackendOptions<K> : { threads?: number }) & { select?: boolean };

/**
 * Makes (or reconfigures) a backend of `kind`, awaiting everything it needs, and selects it unless
 * `select: false`. Where the engine cannot run the kind, the reference backend is selected and
 * returned instead (check `.name`). 'auto' tries AUTO_ORDER.
 */
export async function initBackend<K extends BackendChoice>(kind: K, opts?: InitOptions<K>): Promise<Backend<BackendKind>> {
  const select = opts?.select !== false;
  const order: readonly BackendKind[] = kind === 'auto' ? AUTO_ORDER : [assertKind(kind), 'ref'];
  for (const k of order) {
    // (a kind's options are its own; the others it ignores)
    const b = await make(k, opts ?? {});
    if (b) {
      if (select) current = b;
      return b;
    }
  }
  return refBackend;
}

function assertKind(kind: string): BackendKind {
  if (!isKind(kind)) throw new HandgradError(`initBackend: unknown backend '${kind}'; expected one of ${choices()}`);
  return kind;
}

async function make<K extends BackendKind>(kind: K, opts: BackendOptions<K>): Promise<KindBackends[K] | null> {
  const spec: BackendKindSpec<KindBackends[K], KindOptions[K]> = BACKEND_KINDS[kind];
  const had = made[kind];
  if (had) {
    await spec.configure(had, opts);
    return had;
  }
  const b = await spec.create(opts);
  if (b) made[kind] = b;
  return b;
}

/**
 * Makes the WebAssembly backend (or reconfigures it: threads, spin window; the build and memory
 * are chosen once) and selects it unless `select: false`. `threads` defaults to the machine's
 * hardware threads, at most 4. Without WASM SIMD the reference backend is selected and returned.
 */
export function initWasm(opts: WasmOptions & { select?: boolean } = {}): Promise<Backend<BackendKind>> {
  return initBackend('wasm', opts);
}

/**
 * Makes the webgpu backend (a device worker, an adapter, a device) and selects it unless
 * `select: false`. Rejects with the reason where it cannot start (see BACKEND_KINDS.webgpu).
 */
export async function initWebGPU(opts: WebGPUOptions & { select?: boolean } = {}): Promise<WebGPUBackend> {
  const b = await make('webgpu', opts);
  if (!b) throw new HandgradError('webgpu: the backend could not be created');
  if (opts.select !== false) current = b;
  return b;
}

/** Ends the wasm backend's worker threads (it stays usable on one thread). */
export async function shutdownWasm(): Promise<void> {
  const b = made.wasm;
  if (b) await BACKEND_KINDS.wasm.shutdown(b);
}

/** The runtime behind the wasm backend once it is made (tests, benchmarks), or null. */
export function wasmRuntime(): WasmRuntime | null {
  return made.wasm?.runtime ?? null;
}

/** The kernels to run for a dtype: the current backend's when it runs that dtype, else the reference. */
export function kernelsFor(dtype: DType): Kernels {
  const b = current ?? backend();
  return b.dtypes.includes(dtype) ? b.kernels : refKernels;
}

/** The packed first layer's products (kernels/packed.ts) of the backend that runs `dtype`, or null. */
export function packedSparseFor(dtype: DType): PackedSparseKernels | null {
  const b = current ?? backend();
  return (b.dtypes.includes(dtype) && b.packedSparse) || null;
}

/** Storage for a tensor of this dtype, from the backend that will run its kernels. */
export function allocateFor(dtype: DType, size: number): FloatArray {
  const b = current ?? backend();
  return b.dtypes.includes(dtype) ? b.allocate(dtype, size) : allocate(dtype, size);
}
