// The JavaScript every pool worker runs, as a string (a Node `eval` worker or a browser Blob
// worker), so no separate file has to be found at run time by bundlers or vitest. The control
// words are written into it from abi-shared.ts.
//
// A worker instantiates the kernel module on the shared memory, then loops: spin for
// `spinMicros` watching the job generation word, sleep in Atomics.wait if nothing came, and run
// `gemmJob(ctrl, tid, generation)` for every new generation. Its bit in STARTED is set while it
// loops (the pool counts running workers there: the calling thread may be too busy to read
// messages). A trap is reported in the FAILED word (the calling thread spins on DONE and would
// otherwise wait forever).

import { FAILED, GEN, QUIT, SLEEPERS, STARTED } from './abi-shared.js';

export const WORKER_MAIN = `
function handgradWorkerMain(data, post) {
  const { module, memory, ctrl, tid, spinMicros } = data;
  const inst = new WebAssembly.Instance(module, { env: { memory } });
  const I = new Int32Array(memory.buffer, ctrl, 16);
  const gemmJob = inst.exports.gemmJob;
  const spinMs = spinMicros / 1000;
  let seen = Atomics.load(I, ${GEN});
  Atomics.or(I, ${STARTED}, 1 << tid);
  post('ready');
  for (;;) {
    let g = Atomics.load(I, ${GEN});
    if (g === seen) {
      const t0 = performance.now();
      while ((g = Atomics.load(I, ${GEN})) === seen && performance.now() - t0 < spinMs) {}
      if (g === seen) {
        Atomics.add(I, ${SLEEPERS}, 1);
        Atomics.wait(I, ${GEN}, seen);
        Atomics.sub(I, ${SLEEPERS}, 1);
        g = Atomics.load(I, ${GEN});
      }
    }
    if (Atomics.load(I, ${QUIT}) !== 0) break;
    if (g === seen) continue;
    seen = g;
    try {
      gemmJob(ctrl, tid, g);
    } catch (e) {
      Atomics.store(I, ${FAILED}, tid);
      post('error: ' + (e && e.message ? e.message : String(e)));
      break;
    }
  }
  Atomics.and(I, ${STARTED}, ~(1 << tid));
  post('exit');
}
`;

export const NODE_WORKER_SOURCE =
  WORKER_MAIN +
  `const { workerData, parentPort } = require('node:worker_threads');
handgradWorkerMain(workerData, (m) => parentPort.postMessage(m));
`;

export const BROWSER_WORKER_SOURCE =
  WORKER_MAIN +
  `self.onmessage = (e) => { self.onmessage = null; handgradWorkerMain(e.data, (m) => self.postMessage(m)); };
`;

/** What a worker needs: the compiled module, the shared memory, the control block, its id. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: number;
  tid: number;
  spinMicros: number;
}

/** A started worker, as the pool sees it. */
export interface PoolWorker {
  terminate(): void;
}
