// Node-only parts of the wasm backend, loaded through dynamic import() only when
// process.versions.node exists: the V8 flag for relaxed SIMD and worker_threads workers.

import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { NODE_WORKER_SOURCE, type PoolWorker, type WorkerInit } from './worker-source.js';

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

/** Starts one worker thread and resolves once it has instantiated the module. */
export function startNodeWorker(init: WorkerInit): Promise<PoolWorker> {
  return new Promise((resolve, reject) => {
    const w = new Worker(NODE_WORKER_SOURCE, { eval: true, workerData: init });
    const onError = (e: Error): void => reject(new Error(`wasm worker ${init.tid} failed to start: ${e.message}`));
    w.once('error', onError);
    w.once('message', (m) => {
      if (m !== 'ready') return reject(new Error(`wasm worker ${init.tid}: unexpected message ${String(m)}`));
      w.off('error', onError);
      w.on('error', () => {}); // a crash later surfaces as a hung job in tests, not an unhandled event
      // Never keep the process alive for the pool: exit does not wait for spinning/sleeping workers.
      w.unref();
      resolve({ terminate: () => void w.terminate() });
    });
  });
}
