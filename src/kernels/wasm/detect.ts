// What the engine offers the wasm backend, and which of the four generated builds it runs:
// WebAssembly SIMD128 (required), relaxed SIMD (preferred when the engine validates it), shared
// memory and threads (SharedArrayBuffer: in browsers only on cross-origin isolated pages), and
// whether a module may be compiled synchronously on this thread.

import { wasmBase64 as simdShared } from './generated/simd-shared.js';
import { wasmBase64 as simdPlain } from './generated/simd-plain.js';
import { wasmBase64 as relaxedShared } from './generated/relaxed-shared.js';
import { wasmBase64 as relaxedPlain } from './generated/relaxed-plain.js';

export type Build = 'simd' | 'relaxed';

/** A worker_threads Worker, as the pool uses it. */
export interface NodeWorker {
  once(event: 'message', f: (m: unknown) => void): unknown;
  once(event: 'error', f: (e: Error) => void): unknown;
  on(event: 'error', f: (e: Error) => void): unknown;
  unref(): void;
  terminate(): unknown;
}
export type NodeWorkerClass = new (source: string, opts: { eval: true; workerData: unknown }) => NodeWorker;

/** The parts of Node's built-in modules read here (process.getBuiltinModule: Node ≥ 20.16). */
interface Builtins {
  (id: 'node:os'): { availableParallelism?: () => number } | undefined;
  (id: 'node:v8'): { setFlagsFromString?: (flags: string) => void } | undefined;
  (id: 'node:worker_threads'): { Worker?: NodeWorkerClass } | undefined;
}

interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?: Builtins;
}

function nodeProcess(): NodeProcess | undefined {
  return (globalThis as { process?: NodeProcess }).process;
}

export function isNode(): boolean {
  return typeof nodeProcess()?.versions?.node === 'string';
}

/** True in a dedicated, shared or service worker of a browser. */
function inBrowserWorker(): boolean {
  const g = globalThis as { WorkerGlobalScope?: abstract new () => unknown };
  return typeof g.WorkerGlobalScope === 'function' && globalThis instanceof g.WorkerGlobalScope;
}

/**
 * Whether this thread may compile the module synchronously (new WebAssembly.Module). Node and
 * browser workers may; a browser's main thread must not (engines refuse or discourage large
 * synchronous compiles there, and the page would stall), so there the backend starts only
 * through the asynchronous path.
 */
export function syncCompileAllowed(): boolean {
  return isNode() || inBrowserWorker();
}

export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  // Browsers expose SharedArrayBuffer only to cross-origin isolated pages.
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (!isNode() && g.crossOriginIsolated === false) return false;
  return true;
}

/** Hardware threads of the machine (1 when the engine does not say). */
export function hardwareThreads(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  const os = nodeProcess()?.getBuiltinModule?.('node:os');
  return os?.availableParallelism?.() ?? 1;
}

/**
 * Node 20 (V8 11.3) compiles relaxed-SIMD modules only with --experimental-wasm-relaxed-simd;
 * setting the flag at run time works if it happens before the module is compiled. Returns false
 * where it cannot be set from this thread synchronously (a Node without process.getBuiltinModule:
 * pool-node.ts sets it through a dynamic import instead). Newer engines ship the feature.
 */
export function enableRelaxedSimdNow(): boolean {
  const getBuiltin = nodeProcess()?.getBuiltinModule;
  if (!getBuiltin) return false;
  const v8 = getBuiltin('node:v8');
  try {
    v8?.setFlagsFromString?.('--experimental-wasm-relaxed-simd');
  } catch {
    // an engine without the flag: validation decides
  }
  return true;
}

/** Node's Worker class where it can be had synchronously (Node ≥ 20.16), else null. */
export function nodeWorkerClassNow(): NodeWorkerClass | null {
  return nodeProcess()?.getBuiltinModule?.('node:worker_threads')?.Worker ?? null;
}

export function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The build this engine runs: 'relaxed' when wanted (true or 'auto') and validated, else
 * 'simd'; null without WebAssembly SIMD. Call enableRelaxedSimdNow (or pool-node's flag setter)
 * before, in Node.
 */
export function chooseBuild(wantRelaxed: boolean | 'auto'): Build | null {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') return null;
  if (!WebAssembly.validate(decodeBase64(simdPlain))) return null;
  if (wantRelaxed === false) return 'simd';
  return WebAssembly.validate(decodeBase64(relaxedPlain)) ? 'relaxed' : 'simd';
}

/** The bytes of one of the four generated modules. */
export function moduleBytes(build: Build, shared: boolean): Uint8Array<ArrayBuffer> {
  return decodeBase64(build === 'relaxed' ? (shared ? relaxedShared : relaxedPlain) : shared ? simdShared : simdPlain);
}
