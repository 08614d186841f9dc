// The worker pool and its job protocol. One job at a time is described in the control block
// (abi-shared.ts): the caller retires the hand-out word, writes the parameters, bumps the
// generation and wakes sleeping workers; every thread, the caller included, takes blocks by
// compare-and-swap on the hand-out word until none is left; the caller spins until all blocks
// are done. Workers spin `spinMicros` before they sleep in Atomics.wait.
//
// A job is cut for `threads` threads (the pool's target) whether or not every worker has started:
// workers join the pool as they become ready, and the caller runs the blocks nobody else takes.
// So a result depends on `threads` only, never on how many workers were running at the time.

import { HandgradError } from '../../tensor.js';
import {
  DONE, FAILED, GEN, JOB_ADAM, JOB_GEMM_K, JOB_SGD, JOB_SPARSE_BACKWARD, JOB_SPARSE_COLUMNS, JOB_SPARSE_FORWARD, JOB_SPARSE_PACKED_FORWARD, INDEX_BITS, MAX_GEN, NEXT, P_K, P_KIND, P_M, P_N, P_TA, P_TB, QUIT,
  SLEEPERS, STARTED, STATS, STATS_SLOTS,
} from './abi-shared.js';
import { isNode, nodeWorkerClassNow, type NodeWorkerClass } from './detect.js';
import { BROWSER_WORKER_SOURCE, NODE_WORKER_SOURCE, type PoolWorker, type WorkerInit } from './worker-source.js';

/** The sparse products' job kinds, by name (job descriptions in errors). */
const SPARSE_JOBS: Record<number, string> = {
  [JOB_SPARSE_FORWARD]: 'sparseGemmForward',
  [JOB_SPARSE_BACKWARD]: 'sparseGemmBackward',
  [JOB_SPARSE_PACKED_FORWARD]: 'sparse packed forward',
  [JOB_SPARSE_COLUMNS]: 'sparse column product',
};

/** A worker being started: its handle at once (to end it), and a promise settled once it is ready. */
interface Spawned {
  worker: PoolWorker;
  ready: Promise<void>;
}

function spawnBrowserWorker(init: WorkerInit): Spawned {
  const url = URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
  const w = new Worker(url);
  const ready = new Promise<void>((resolve, reject) => {
    w.onerror = (e) => reject(new Error(`wasm worker ${init.tid} failed to start: ${e.message}`));
    w.onmessage = (e) => {
      if (e.data !== 'ready') return;
      w.onmessage = null;
      URL.revokeObjectURL(url);
      resolve();
    };
  });
  w.postMessage(init);
  return { worker: { terminate: () => w.terminate() }, ready };
}

function spawnNodeWorker(Worker: NodeWorkerClass, init: WorkerInit): Spawned {
  const w = new Worker(NODE_WORKER_SOURCE, { eval: true, workerData: init });
  // Never keep the process alive for the pool: exit does not wait for spinning or sleeping workers.
  w.unref();
  const ready = new Promise<void>((resolve, reject) => {
    // (kept after start: a later crash surfaces as a failed job, not an unhandled 'error' event)
    w.on('error', (e) => reject(new Error(`wasm worker ${init.tid} failed: ${e.message}`)));
    w.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(`wasm worker ${init.tid}: unexpected message ${String(m)}`))));
  });
  return { worker: { terminate: () => void w.terminate() }, ready };
}

/**
 * Starts a worker: on the calling thread at once where the engine allows (browsers, Node ≥ 20.16),
 * so that it runs even while the caller never yields; else after a dynamic import of worker_threads.
 */
function spawnWorker(init: WorkerInit): Spawned | Promise<Spawned> {
  if (!isNode()) return spawnBrowserWorker(init);
  const Worker = nodeWorkerClassNow();
  if (Worker) return spawnNodeWorker(Worker, init);
  return import('./pool-node.js').then((m) => spawnNodeWorker(m.Worker, init));
}

export class WorkerPool {
  /** Threads a job is cut for, the caller included. */
  threads = 1;
  spinMicros: number;
  /** Why a worker could not start (the caller then runs its blocks), or null. */
  startError: string | null = null;
  /** Settles when the workers of the last start() have started or failed to. */
  ready: Promise<void> = Promise.resolve();
  private workers: PoolWorker[] = [];
  /** Bumped by every start and stop: a worker that becomes ready for an older one is ended. */
  private epoch = 0;

  /**
   * `ctrl` is the control block (a view of its i32 words), at byte offset `ctrlOffset` of
   * `memory`; `takeBlocks(gen)` runs the calling thread's share of generation `gen`.
   */
  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly ctrlOffset: number,
    readonly ctrl: Int32Array,
    private readonly takeBlocks: (gen: number) => void,
    /** Most threads the memory has GEMM scratch areas for. */
    readonly slots: number,
    readonly shared: boolean,
    spinMicros: number,
  ) {
    this.spinMicros = spinMicros;
  }

  /** Workers that run their loop and take blocks (counted in shared memory: no message needed). */
  get running(): number {
    const mask = Atomics.load(this.ctrl, STARTED);
    let n = 0;
    for (let t = 1; t < this.threads; t++) if (mask & (1 << t)) n++;
    return n;
  }

  /**
   * Cuts jobs for `threads` threads from now on and starts threads − 1 workers, each joining as
   * soon as it is ready. One thread without a shared memory. `ready` settles once every worker
   * has started or failed to (a failure is kept in startError; the caller runs its blocks).
   */
  start(threads: number): Promise<void> {
    this.stop();
    threads = Math.min(threads, this.slots, STATS_SLOTS);
    if (threads <= 1 || !this.shared) return this.ready;
    const epoch = this.epoch;
    Atomics.store(this.ctrl, QUIT, 0);
    this.threads = threads;
    const starts: Promise<void>[] = [];
    for (let tid = 1; tid < threads; tid++) {
      const init: WorkerInit = { module: this.module, memory: this.memory, ctrl: this.ctrlOffset, tid, spinMicros: this.spinMicros };
      const adopt = (s: Spawned): Promise<void> => {
        if (epoch !== this.epoch) {
          s.worker.terminate();
          return Promise.resolve();
        }
        this.workers.push(s.worker);
        return s.ready;
      };
      const s = spawnWorker(init);
      starts.push((s instanceof Promise ? s.then(adopt) : adopt(s)).catch((e: unknown) => {
        if (epoch === this.epoch) this.startError ??= e instanceof Error ? e.message : String(e);
      }));
    }
    this.ready = Promise.all(starts).then(() => undefined);
    return this.ready;
  }

  /** Ends the workers; jobs are cut for one thread again. */
  stop(): void {
    this.epoch++;
    this.threads = 1;
    this.startError = null;
    this.ready = Promise.resolve();
    if (this.workers.length === 0) return;
    Atomics.store(this.ctrl, QUIT, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const w of this.workers) w.terminate();
    this.workers = [];
    Atomics.store(this.ctrl, STARTED, 0);
  }

  /**
   * Opens a new job of `kind`. The last job's hand-out word is retired first (tag 0: no
   * generation has it): a worker waking late for the last job may be reading its parameters
   * while they are rewritten, and with NEXT retired its compare-and-swap fails and it takes
   * nothing, instead of running a block from a mix of old and new parameters.
   */
  begin(kind: number): Int32Array {
    Atomics.store(this.ctrl, NEXT, 0);
    this.ctrl[P_KIND] = kind;
    return this.ctrl;
  }

  /** Publishes the job written since begin(), takes part in it, waits for its `total` blocks. */
  run(total: number): void {
    const c = this.ctrl;
    const gen = (Atomics.load(c, GEN) % MAX_GEN) + 1;
    Atomics.store(c, DONE, 0);
    Atomics.store(c, FAILED, 0);
    Atomics.store(c, NEXT, gen << INDEX_BITS);
    Atomics.store(c, GEN, gen);
    if (Atomics.load(c, SLEEPERS) > 0) Atomics.notify(c, GEN);
    this.takeBlocks(gen);
    // The calling thread found no block left: wait (spinning: a block takes microseconds, and
    // Atomics.wait is not allowed on a browser's main thread) for the workers' last blocks.
    while (Atomics.load(c, DONE) < total) {
      const failed = Atomics.load(c, FAILED);
      if (failed !== 0) {
        // A worker trapped (it never finishes its block): drop the pool, report, stay usable.
        Atomics.store(c, FAILED, 0);
        const job = this.describeJob();
        this.stop();
        throw new HandgradError(`wasm backend: worker ${failed} failed on ${job}; continuing on one thread`);
      }
    }
  }

  /** Blocks each thread (0 = the caller) has run since the memory was made. */
  blocksByThread(): number[] {
    return Array.from({ length: this.slots }, (_, t) => (t < STATS_SLOTS ? Atomics.load(this.ctrl, STATS + t) : 0));
  }

  /** What the job in the control block is, for an error message. */
  private describeJob(): string {
    const c = this.ctrl;
    const kind = c[P_KIND];
    if (kind === JOB_SGD || kind === JOB_ADAM) return `${kind === JOB_SGD ? 'SGD' : 'Adam'} step on ${c[P_M]} floats`;
    const sparse = SPARSE_JOBS[kind ?? -1];
    if (sparse) return `${sparse} M=${c[P_M]} N=${c[P_N]} K=${c[P_K]}`;
    return `GEMM ${c[P_M]}×${c[P_K]}×${c[P_N]} (transA=${c[P_TA] === 1}, transB=${c[P_TB] === 1}${kind === JOB_GEMM_K ? ', cut along K' : ''})`;
  }
}
