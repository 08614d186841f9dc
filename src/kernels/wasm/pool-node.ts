// Node-only parts of the wasm backend, for Nodes without process.getBuiltinModule (before 20.16),
// loaded through dynamic import() only when process.versions.node exists: the V8 flag for relaxed
// SIMD and the worker_threads Worker class. Newer Nodes reach both synchronously (detect.ts).

import v8 from 'node:v8';

export { Worker } from 'node:worker_threads';

/**
 * Node 20 (V8 11.3) compiles relaxed-SIMD modules only with --experimental-wasm-relaxed-simd;
 * setting it at run time works if it happens before the module is compiled. Newer Nodes ship the
 * feature and ignore or reject the flag, which is harmless.
 */
export function enableRelaxedSimdFlag(): void {
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // an engine without the flag: feature detection decides
  }
}
