// The JavaScript every pool worker runs, as a string (a Node `eval` worker or a browser Blob
// worker), so no separate file has to be found at run time by bundlers or vitest.
//
// A worker instantiates the kernel module on the shared memory, then loops: spin for
// `spinMicros` watching the job generation word, sleep in Atomics.wait if nothing came, and run
// `gemmJob(ctrl, tid, generation)` for every new generation. Control words (i32 at `ctrl`):
// 0 GEN, 1 NEXT, 2 DONE, 3 QUIT, 4 SLEEPERS, 5 FAILED (tid of a worker that trapped).

export const WORKER_MAIN = `
function handgradWorkerMain(data, post) {
  const { module, memory, ctrl, tid, spinMicros } = data;
  const inst = new WebAssembly.Instance(module, { env: { memory } });
  const I = new Int32Array(memory.buffer, ctrl, 16);
  const gemmJob = inst.exports.gemmJob;
  const spinMs = spinMicros / 1000;
  let seen = Atomics.load(I, 0);
  post('ready');
  for (;;) {
    let g = Atomics.load(I, 0);
    if (g === seen) {
      const t0 = performance.now();
      while ((g = Atomics.load(I, 0)) === seen && performance.now() - t0 < spinMs) {}
      if (g === seen) {
        Atomics.add(I, 4, 1);
        Atomics.wait(I, 0, seen);
        Atomics.sub(I, 4, 1);
        g = Atomics.load(I, 0);
      }
    }
    if (Atomics.load(I, 3) !== 0) break;
    if (g === seen) continue;
    seen = g;
    try {
      gemmJob(ctrl, tid, g);
    } catch (e) {
      // a trap: tell the calling thread (it is spinning on the DONE word) and stop
      Atomics.store(I, 5, tid);
      post('error: ' + (e && e.message ? e.message : String(e)));
      break;
    }
  }
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
