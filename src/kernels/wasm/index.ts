// The WebAssembly SIMD backend: float32 kernels compiled from assembly/kernels.ts, tensors living
// in the module's linear memory, and an optional pool of worker threads sharing that memory for
// GEMM. float64 stays on the reference kernels (`dtypes: ['float32']`).
//
//   await initWasm({ threads: 2 })   // registers and selects the backend
//   backend().describe()             // "wasm (simd128+relaxed, 2 threads)"
//
// Memory layout (bytes): [0, heapBase) the module's static data (Math tables) · the ctrl block
// (64 i32 words) · per-thread GEMM scratch · then the tensor heap (FreeListAllocator). With a shared memory the heap
// grows on demand (views on a SharedArrayBuffer survive memory.grow); with a plain memory it is
// reserved up front and never grows (growing would detach every tensor view), and a tensor that
// does not fit is a plain Float32Array, which the kernels copy in and out (correct, slower).
//
// Kernels accept arrays that are not in WASM memory too: they are staged through a scratch area.

import { HandgradError, type FloatArray } from '../../tensor.js';
import { refBackend, registerBackend, setBackend } from '../../backend.js';
import type { AdamHyper, Backend, ElementwiseLossKind, GeluApproximate, Kernels, SgdHyper } from '../table.js';
import { FreeListAllocator } from './memory.js';
import { BROWSER_WORKER_SOURCE, type PoolWorker, type WorkerInit } from './worker-source.js';
import { wasmBase64 as simdShared } from './generated/simd-shared.js';
import { wasmBase64 as simdPlain } from './generated/simd-plain.js';
import { wasmBase64 as relaxedShared } from './generated/relaxed-shared.js';
import { wasmBase64 as relaxedPlain } from './generated/relaxed-plain.js';

export interface WasmOptions {
  /** Threads for GEMM, the calling thread included (default 1). Needs SharedArrayBuffer. */
  threads?: number;
  /** Relaxed-SIMD build: 'auto' (default) uses it when the engine accepts it; true requires it. */
  relaxed?: boolean | 'auto';
  /** How long an idle worker spins before Atomics.wait, in µs (default 500). */
  spinMicros?: number;
  /** GEMMs with fewer than this many flops (2·M·N·K) stay on one thread (default 2e6). */
  minFlopsPerThread?: number;
  /** Optimiser steps on fewer floats than this stay on the calling thread (default 16384). */
  minStepFloats?: number;
  /** false forces a plain (non-shared) memory even where SharedArrayBuffer exists (tests). */
  shared?: boolean;
  /** Size of a plain memory, reserved up front, in MiB (default 256). */
  plainMemoryMiB?: number;
  /** Select the backend after initialising it (default true). */
  select?: boolean;
}

/** The kernel module's exports (pointers are byte offsets into the memory). */
interface Exports {
  scratchBytes(): number;
  tileRows(): number;
  tileCols(): number;
  heapBase(): number;
  isRelaxed(): number;
  gemm(tA: number, tB: number, M: number, N: number, K: number, alpha: number, A: number, B: number, beta: number, C: number, scratch: number): void;
  gemmJob(ctrl: number, tid: number, gen: number): void;
  addRowVector(y: number, v: number, rows: number, cols: number): void;
  sumRowsInto(x: number, rows: number, cols: number, out: number): void;
  addChannelVector(y: number, v: number, batch: number, channels: number, spatial: number): void;
  sumChannelsInto(x: number, batch: number, channels: number, spatial: number, out: number): void;
  mul(a: number, b: number, out: number, n: number): void;
  reluForward(x: number, y: number, n: number, scale: number): void;
  reluBackward(x: number, dy: number, dx: number, n: number, scale: number): void;
  leakyReluForward(x: number, y: number, n: number, slope: number): void;
  leakyReluBackward(x: number, dy: number, dx: number, n: number, slope: number): void;
  sigmoidForward(x: number, y: number, n: number): void;
  sigmoidBackward(y: number, dy: number, dx: number, n: number): void;
  tanhForward(x: number, y: number, n: number): void;
  tanhBackward(y: number, dy: number, dx: number, n: number): void;
  geluForward(x: number, y: number, n: number, approximate: number): void;
  geluBackward(x: number, dy: number, dx: number, n: number, approximate: number): void;
  softplusForward(x: number, y: number, n: number, beta: number, threshold: number): void;
  softplusBackward(x: number, dy: number, dx: number, n: number, beta: number, threshold: number): void;
  softmaxCrossEntropy(logits: number, rows: number, classes: number, labels: number, targets: number, probs: number): number;
  softmaxCrossEntropyBackward(probs: number, rows: number, classes: number, labels: number, targets: number, grad: number, scale: number): void;
  elementwiseLoss(kind: number, pred: number, target: number, n: number): number;
  elementwiseLossBackward(kind: number, pred: number, target: number, grad: number, n: number, scale: number): void;
  dropoutMask(mask: number, n: number, p: number, keepScale: number, state: number): void;
  scale(x: number, y: number, n: number, s: number): void;
  im2col(x: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, col: number): void;
  col2im(dcol: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, dx: number): void;
  maxPool2dForward(x: number, planes: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, y: number, argmax: number): void;
  maxPool2dBackward(dy: number, argmax: number, planes: number, H: number, W: number, OH: number, OW: number, dx: number): void;
  fill(out: number, n: number, value: number): void;
  addInto(dst: number, src: number, n: number): void;
  sgdStep(param: number, grad: number, buf: number, n: number, lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: number, firstStep: number): void;
  adamStep(param: number, grad: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: number, stepSize: number, sqrtBc2: number): void;
}

const PAGE = 65536;
// control words (see assembly/kernels.ts and worker-source.ts)
const GEN = 0, NEXT = 1, DONE = 2, QUIT = 3, SLEEPERS = 4, FAILED = 5;
const P_TA = 8, P_TB = 9, P_M = 10, P_N = 11, P_K = 12, P_ALPHA = 13, P_A = 14, P_B = 15;
const P_BETA = 16, P_C = 17, P_MB = 18, P_NB = 19, P_BM = 20, P_BN = 21, P_SCRATCH = 22;
const P_KIND = 23, JOB_GEMM = 0, JOB_SGD = 1, JOB_ADAM = 2, JOB_GEMM_K = 3;
/** First word of the float64 hyperparameters of an optimiser job. */
const F64 = 64;
/** Shared memories may grow up to this many pages (2 GiB). */
const MAX_PAGES = 32768;

type Arr = Float32Array | Int32Array;
/** How a staged array is used by a kernel: read, written, or both. */
type Mode = 'in' | 'out' | 'inout';

const EXPORT_NAMES = [
  'scratchBytes', 'tileRows', 'tileCols', 'heapBase', 'gemm', 'gemmJob', 'addRowVector', 'sumRowsInto', 'addChannelVector', 'sumChannelsInto',
  'mul', 'reluForward', 'reluBackward', 'leakyReluForward', 'leakyReluBackward', 'sigmoidForward', 'sigmoidBackward',
  'tanhForward', 'tanhBackward', 'geluForward', 'geluBackward', 'softplusForward', 'softplusBackward',
  'softmaxCrossEntropy', 'im2col', 'col2im', 'maxPool2dForward', 'maxPool2dBackward', 'sgdStep', 'adamStep', 'fill', 'addInto',
  'softmaxCrossEntropyBackward', 'elementwiseLoss', 'elementwiseLossBackward', 'dropoutMask', 'scale',
] as const satisfies readonly (keyof Exports)[];

/** The instance's exports, after checking that every kernel the table needs is a function. */
function checkExports(e: WebAssembly.Exports): Exports {
  for (const name of EXPORT_NAMES) {
    if (typeof e[name] !== 'function') {
      throw new HandgradError(`wasm backend: the kernel module exports no function '${name}' (stale generated module? run npm run build:wasm)`);
    }
  }
  // WebAssembly gives exports as untyped functions; their signatures are those of assembly/kernels.ts.
  return e as unknown as Exports;
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  // Browsers expose SharedArrayBuffer only to cross-origin isolated pages.
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (!isNode() && g.crossOriginIsolated === false) return false;
  return true;
}

/** The runtime behind the backend: memory, allocator, kernel module, worker pool. */
export class WasmRuntime {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  readonly relaxed: boolean;
  private readonly ex: Exports;
  private readonly module: WebAssembly.Module;
  private heap!: FreeListAllocator;
  /** Every ArrayBuffer/SharedArrayBuffer the memory has had (views of old ones stay valid when shared). */
  private readonly buffers = new Set<ArrayBufferLike>();
  private buf: ArrayBufferLike;
  private u8: Uint8Array;
  private readonly ctrl: Int32Array;
  private readonly ctrlF: Float32Array;
  private readonly ctrlD: Float64Array;
  private readonly scratchBytes: number;
  /** The build's register tile (MR × NR): thread regions of C are whole tiles. */
  private readonly MR: number;
  private readonly NR: number;
  /** Byte offsets of the control block and of thread 0's GEMM scratch. */
  private readonly CTRL: number;
  private readonly SCRATCH_BASE: number;
  private partialOff = -1;
  private partialCap = 0;
  /** Threaded GEMMs with a long K and a small C are cut along K (false: always cut C; A/B tests). */
  kSplit = true;
  private stageOff = -1;
  private stageCap = 0;
  private workers: PoolWorker[] = [];
  private threadSlots: number;
  private readonly registry: FinalizationRegistry<[number, number]>;
  threads = 1;
  spinMicros: number;
  minFlopsPerThread: number;
  minStepFloats: number;

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, shared: boolean, relaxed: boolean, threadSlots: number, opts: WasmOptions) {
    this.module = module;
    this.memory = memory;
    this.shared = shared;
    this.relaxed = relaxed;
    this.threadSlots = threadSlots;
    this.spinMicros = opts.spinMicros ?? 500;
    this.minFlopsPerThread = opts.minFlopsPerThread ?? 2e6;
    this.minStepFloats = opts.minStepFloats ?? 16384;
    const inst = new WebAssembly.Instance(module, { env: { memory } });
    this.ex = checkExports(inst.exports);
    this.buf = memory.buffer;
    this.buffers.add(this.buf);
    this.u8 = new Uint8Array(this.buf);
    this.CTRL = Math.ceil(this.ex.heapBase() / 64) * 64;
    this.SCRATCH_BASE = this.CTRL + 1024;
    this.ctrl = new Int32Array(this.buf, this.CTRL, 64);
    this.ctrlF = new Float32Array(this.buf, this.CTRL, 64);
    this.ctrlD = new Float64Array(this.buf, this.CTRL + F64 * 4, 16);
    this.scratchBytes = this.ex.scratchBytes();
    this.MR = this.ex.tileRows();
    this.NR = this.ex.tileCols();
    const heapStart = this.SCRATCH_BASE + threadSlots * this.scratchBytes;
    if (heapStart > this.buf.byteLength) this.grow(heapStart - this.buf.byteLength);
    this.heap = new FreeListAllocator(heapStart, this.buf.byteLength);
    this.ctrl[P_SCRATCH] = this.SCRATCH_BASE;
    // Tensors handed out by allocate() go back to the heap once the JS view is garbage collected.
    // (A subarray does not keep its parent view alive: keep the view a tensor was given.)
    this.registry = new FinalizationRegistry(([off, bytes]) => this.heap.free(off, bytes));
  }

  /** Adds at least `bytes` to a shared memory; false if it cannot grow (plain memory or maximum). */
  private grow(bytes: number): boolean {
    if (!this.shared) return false;
    const cur = this.buf.byteLength / PAGE;
    const pages = Math.min(MAX_PAGES - cur, Math.max(Math.ceil(bytes / PAGE), Math.ceil(cur / 2)));
    if (pages * PAGE < bytes) return false;
    const before = this.buf.byteLength;
    try {
      this.memory.grow(pages);
    } catch {
      return false;
    }
    this.buf = this.memory.buffer;
    this.buffers.add(this.buf);
    this.u8 = new Uint8Array(this.buf);
    // (no heap yet while the constructor makes room for the scratch areas)
    if (this.heap) this.heap.extend(before, this.buf.byteLength);
    return true;
  }

  private allocBytes(bytes: number): number {
    let off = this.heap.alloc(bytes);
    if (off < 0 && this.grow(bytes + 64)) off = this.heap.alloc(bytes);
    return off;
  }

  /** A zeroed float32 array in WASM memory, or a plain one when the memory is full. */
  allocFloat32(size: number): Float32Array {
    const bytes = size * 4;
    const off = this.allocBytes(bytes);
    if (off < 0) return new Float32Array(size);
    const view = new Float32Array(this.buf, off, size);
    view.fill(0);
    this.registry.register(view, [off, bytes]);
    return view;
  }

  /** Bytes of tensor storage in use in WASM memory. */
  get heapBytesInUse(): number {
    return this.heap.bytesInUse;
  }

  /** True when `a` is a view on this module's memory. */
  inMemory(a: Arr | FloatArray): boolean {
    return a.buffer === this.buf || this.buffers.has(a.buffer);
  }

  // ---- staging of arrays that are not in WASM memory ---------------------------------------

  private ensureStage(bytes: number): boolean {
    if (bytes <= this.stageCap) return true;
    if (this.stageOff >= 0) this.heap.free(this.stageOff, this.stageCap);
    const cap = Math.max(bytes, this.stageCap * 2, 1 << 16);
    this.stageOff = this.allocBytes(cap);
    this.stageCap = this.stageOff >= 0 ? cap : 0;
    return this.stageOff >= 0;
  }

  /**
   * Runs `fn` with the byte offsets of `arrays` (null → 0). Arrays in WASM memory are passed as
   * they are; the others are copied into the staging area ('in'/'inout') and back ('out'/'inout').
   * Returns undefined if staging space could not be found (the caller then uses the reference).
   */
  stage<R>(arrays: (Arr | FloatArray | null)[], modes: Mode[], fn: (p: number[]) => R): { value: R } | undefined {
    const ptrs = new Array<number>(arrays.length);
    let need = 0;
    for (let i = 0; i < arrays.length; i++) {
      const a = arrays[i];
      if (a && !this.inMemory(a)) need += Math.ceil(a.byteLength / 64) * 64;
    }
    if (need > 0 && !this.ensureStage(need)) return undefined;
    let at = this.stageOff;
    for (let i = 0; i < arrays.length; i++) {
      const a = arrays[i];
      if (!a) ptrs[i] = 0;
      else if (this.inMemory(a)) ptrs[i] = a.byteOffset;
      else {
        ptrs[i] = at;
        if (modes[i] !== 'out') this.u8.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
        at += Math.ceil(a.byteLength / 64) * 64;
      }
    }
    const value = fn(ptrs);
    for (let i = 0; i < arrays.length; i++) {
      const a = arrays[i];
      if (a && modes[i] !== 'in' && !this.inMemory(a)) {
        new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(this.u8.subarray(ptrs[i]!, ptrs[i]! + a.byteLength));
      }
    }
    return { value };
  }

  // ---- GEMM --------------------------------------------------------------------------------

  /** GEMM on byte offsets; threaded when the pool runs and the product is large enough. */
  gemmPtr(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: number, B: number, beta: number, C: number): void {
    const T = this.threads;
    const flops = 2 * M * N * K;
    if (T <= 1 || flops < this.minFlopsPerThread) {
      this.ex.gemm(tA ? 1 : 0, tB ? 1 : 0, M, N, K, alpha, A, B, beta, C, this.SCRATCH_BASE);
      return;
    }
    const c = this.ctrl;
    if (this.kSplit && K >= 4 * Math.max(M, N)) {
      // A small C and a long K (the forward x·Wᵀ of 64 × 784 → 60, say): cutting C would make
      // every thread pack all of one operand, so cut K instead. Each of T blocks packs only its
      // slice of both operands; block 0 writes C (with beta), the others partial products that
      // are added to C at the end, in block order (the same sum whichever thread ran which block).
      const KB = Math.ceil(K / T / 4) * 4;
      const blocks = Math.ceil(K / KB);
      const partials = this.partialBuffer((blocks - 1) * M * N * 4);
      if (partials >= 0) {
        this.setGemm(JOB_GEMM_K, tA, tB, M, N, K, alpha, A, B, beta, C);
        c[P_MB] = KB;
        c[P_NB] = partials;
        c[P_BM] = blocks;
        c[P_BN] = 1;
        this.runJob(blocks);
        for (let b = 1; b < blocks; b++) this.ex.addInto(C, partials + (b - 1) * M * N * 4, M * N);
        return;
      }
    }
    // Cut C into regions along the larger of M and N (each region packs all of the operand it
    // does not split, so this duplicates the smaller packing): T regions for small products,
    // 2T for large ones so that the dynamic hand-out evens out a slow or busy core.
    const t = flops >= 5e7 ? 2 * T : T;
    let MB = M, NB = N;
    const MR = this.MR, NR = this.NR;
    if (M >= N) MB = Math.max(MR, Math.ceil(Math.ceil(M / t) / MR) * MR);
    else NB = Math.max(NR, Math.ceil(Math.ceil(N / t) / NR) * NR);
    const nbM = Math.ceil(M / MB), nbN = Math.ceil(N / NB);
    const total = nbM * nbN;
    if (total < 2) {
      this.ex.gemm(tA ? 1 : 0, tB ? 1 : 0, M, N, K, alpha, A, B, beta, C, this.SCRATCH_BASE);
      return;
    }
    this.setGemm(JOB_GEMM, tA, tB, M, N, K, alpha, A, B, beta, C);
    c[P_MB] = MB;
    c[P_NB] = NB;
    c[P_BM] = nbM;
    c[P_BN] = nbN;
    this.runJob(total);
  }

  /**
   * Before the parameters of a new job are written: retire the last job's hand-out word. A worker
   * that wakes late for the last job may be reading the parameters while they are rewritten; with
   * NEXT retired (tag 0: no generation has it) its compare-and-swap fails and it takes nothing.
   * Without this, a mix of old and new parameters could pass its checks and run a garbage block.
   */
  private beginJob(): void {
    Atomics.store(this.ctrl, NEXT, 0);
  }

  private setGemm(kind: number, tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: number, B: number, beta: number, C: number): void {
    this.beginJob();
    const c = this.ctrl;
    c[P_KIND] = kind;
    c[P_TA] = tA ? 1 : 0;
    c[P_TB] = tB ? 1 : 0;
    c[P_M] = M;
    c[P_N] = N;
    c[P_K] = K;
    this.ctrlF[P_ALPHA] = alpha;
    c[P_A] = A;
    c[P_B] = B;
    this.ctrlF[P_BETA] = beta;
    c[P_C] = C;
  }

  /** Byte offset of a scratch area of at least `bytes` for K-split partial products (−1: none). */
  private partialBuffer(bytes: number): number {
    if (bytes > this.partialCap) {
      if (this.partialOff >= 0) this.heap.free(this.partialOff, this.partialCap);
      const cap = Math.max(bytes, 1 << 16);
      this.partialOff = this.allocBytes(cap);
      this.partialCap = this.partialOff >= 0 ? cap : 0;
    }
    return this.partialOff;
  }

  // An optimiser step on n floats: threaded (chunks of a multiple of 16 floats, handed out like
  // GEMM blocks) when the pool runs and n is large enough, else on the calling thread. No closure
  // or string is made per call: this runs for every parameter at every step.

  /** Writes the chunking of a threaded step on n floats, or returns false to run it here. */
  private beginStep(kind: number, n: number): boolean {
    if (this.threads <= 1 || n < this.minStepFloats) return false;
    this.beginJob();
    const c = this.ctrl;
    c[P_KIND] = kind;
    c[P_M] = n;
    c[P_MB] = Math.ceil(n / (2 * this.threads) / 16) * 16;
    return true;
  }

  sgdPtr(param: number, grad: number, buf: number, n: number, h: SgdHyper): void {
    const nesterov = h.nesterov ? 1 : 0, first = h.firstStep ? 1 : 0;
    if (!this.beginStep(JOB_SGD, n)) {
      this.ex.sgdStep(param, grad, buf, n, h.lr, h.momentum, h.dampening, h.weightDecay, nesterov, first);
      return;
    }
    const c = this.ctrl, f = this.ctrlD;
    c[P_A] = param; c[P_B] = grad; c[P_C] = buf; c[P_TA] = nesterov; c[P_TB] = first;
    f[0] = h.lr; f[1] = h.momentum; f[2] = h.dampening; f[3] = h.weightDecay;
    this.runJob(Math.ceil(n / c[P_MB]!));
  }

  adamPtr(param: number, grad: number, m: number, v: number, n: number, h: AdamHyper, stepSize: number, sqrtBc2: number): void {
    const decoupled = h.decoupled ? 1 : 0;
    if (!this.beginStep(JOB_ADAM, n)) {
      this.ex.adamStep(param, grad, m, v, n, h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, decoupled, stepSize, sqrtBc2);
      return;
    }
    const c = this.ctrl, f = this.ctrlD;
    c[P_A] = param; c[P_B] = grad; c[P_C] = m; c[P_N] = v; c[P_TA] = decoupled;
    f[0] = h.lr; f[1] = h.beta1; f[2] = h.beta2; f[3] = h.eps; f[4] = h.weightDecay; f[5] = stepSize; f[6] = sqrtBc2;
    this.runJob(Math.ceil(n / c[P_MB]!));
  }

  /** What the job in the control block is, for an error message. */
  private describeJob(): string {
    const c = this.ctrl;
    const kind = c[P_KIND];
    if (kind === JOB_SGD || kind === JOB_ADAM) return `${kind === JOB_SGD ? 'SGD' : 'Adam'} step on ${c[P_M]} floats`;
    return `GEMM ${c[P_M]}×${c[P_K]}×${c[P_N]} (transA=${c[P_TA] === 1}, transB=${c[P_TB] === 1}${kind === JOB_GEMM_K ? ', cut along K' : ''})`;
  }

  /** Publishes the job written into the control block, takes part in it, waits for its `total` blocks. */
  private runJob(total: number): void {
    const c = this.ctrl;
    const gen = (Atomics.load(c, GEN) % 4095) + 1;
    Atomics.store(c, DONE, 0);
    Atomics.store(c, FAILED, 0);
    Atomics.store(c, NEXT, gen << 20);
    Atomics.store(c, GEN, gen);
    if (Atomics.load(c, SLEEPERS) > 0) Atomics.notify(c, GEN);
    this.ex.gemmJob(this.CTRL, 0, gen);
    // The calling thread found no block left: wait (spinning: a block takes microseconds, and
    // Atomics.wait is not allowed on a browser's main thread) for the workers' last blocks.
    while (Atomics.load(c, DONE) < total) {
      const failed = Atomics.load(c, FAILED);
      if (failed !== 0) {
        // A worker trapped (it never finishes its block): drop the pool, report, stay usable.
        Atomics.store(c, FAILED, 0);
        void this.stopPool();
        throw new HandgradError(`wasm backend: worker ${failed} failed on ${this.describeJob()}; continuing on one thread`);
      }
    }
  }

  // ---- worker pool ---------------------------------------------------------------------------

  /** Starts workers so that GEMM runs on `threads` threads (the caller included). */
  async startPool(threads: number): Promise<void> {
    await this.stopPool();
    threads = Math.min(threads, this.threadSlots, 32);
    if (threads <= 1 || !this.shared) {
      this.threads = 1;
      return;
    }
    const inits: WorkerInit[] = [];
    for (let tid = 1; tid < threads; tid++) {
      inits.push({ module: this.module, memory: this.memory, ctrl: this.CTRL, tid, spinMicros: this.spinMicros });
    }
    Atomics.store(this.ctrl, QUIT, 0);
    if (isNode()) {
      const node = await import('./pool-node.js');
      this.workers = await Promise.all(inits.map((i) => node.startNodeWorker(i)));
    } else {
      this.workers = await Promise.all(inits.map((i) => startBrowserWorker(i)));
    }
    this.threads = threads;
  }

  /** GEMM regions each thread (0 = the caller) has computed since the runtime started. */
  regionsByThread(): number[] {
    return Array.from({ length: this.threadSlots }, (_, t) => (t < 32 ? Atomics.load(this.ctrl, 32 + t) : 0));
  }

  /** Ends the workers (GEMM continues on the calling thread). */
  async stopPool(): Promise<void> {
    if (this.workers.length === 0) return;
    Atomics.store(this.ctrl, QUIT, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const w of this.workers) w.terminate();
    this.workers = [];
    this.threads = 1;
  }

  // ---- the kernel table ----------------------------------------------------------------------

  readonly kernels: Kernels = makeKernels(this);

  /** @internal */
  get exports(): Exports {
    return this.ex;
  }

  /** @internal A small block of WebAssembly memory for a kernel's own state (the dropout generator's words). */
  scratchBlock(bytes: number): number {
    return this.allocBytes(bytes);
  }
}

function startBrowserWorker(init: WorkerInit): Promise<PoolWorker> {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
    const w = new Worker(url);
    w.onerror = (e) => reject(new Error(`wasm worker ${init.tid} failed to start: ${e.message}`));
    w.onmessage = (e) => {
      if (e.data === 'ready') {
        w.onmessage = null;
        URL.revokeObjectURL(url);
        resolve({ terminate: () => w.terminate() });
      }
    };
    w.postMessage(init);
  });
}

const f32 = (a: FloatArray): a is Float32Array => a instanceof Float32Array;

/** assembly/losses.ts numbers the elementwise losses. */
const LOSS_KIND: Record<ElementwiseLossKind, number> = { mse: 0, bce: 1, bceWithLogits: 2 };

function makeKernels(rt: WasmRuntime): Kernels {
  const ref = refBackend.kernels;
  // Every kernel: fast path when all arrays are in WASM memory, else staged; float64 arrays
  // (never routed here by kernelsFor, but possible when called directly) go to the reference.
  const X = (): Exports => rt.exports;
  // dropoutMask's generator state: 4 words in WASM memory (one 64-byte block, taken on first
  // use), copied from and back to the caller's Uint32Array around each call: no allocation.
  let rngState: Uint32Array | null = null;

  const k: Kernels = {
    name: 'wasm',

    gemm(transA, transB, M, N, K, alpha, A, B, beta, C) {
      if (!f32(A) || !f32(B) || !f32(C)) return ref.gemm(transA, transB, M, N, K, alpha, A, B, beta, C);
      if (M === 0 || N === 0) return;
      if (rt.inMemory(A) && rt.inMemory(B) && rt.inMemory(C)) {
        rt.gemmPtr(transA, transB, M, N, K, alpha, A.byteOffset, B.byteOffset, beta, C.byteOffset);
        return;
      }
      const r = rt.stage([A, B, C], ['in', 'in', beta === 0 ? 'out' : 'inout'], (p) =>
        rt.gemmPtr(transA, transB, M, N, K, alpha, p[0]!, p[1]!, beta, p[2]!),
      );
      if (!r) ref.gemm(transA, transB, M, N, K, alpha, A, B, beta, C);
    },

    addRowVector(y, v, rows, cols) {
      if (!f32(y) || !f32(v)) return ref.addRowVector(y, v, rows, cols);
      if (rt.inMemory(y) && rt.inMemory(v)) return X().addRowVector(y.byteOffset, v.byteOffset, rows, cols);
      if (!rt.stage([y, v], ['inout', 'in'], (p) => X().addRowVector(p[0]!, p[1]!, rows, cols))) ref.addRowVector(y, v, rows, cols);
    },

    sumRowsInto(x, rows, cols, out) {
      if (!f32(x) || !f32(out)) return ref.sumRowsInto(x, rows, cols, out);
      if (rt.inMemory(x) && rt.inMemory(out)) return X().sumRowsInto(x.byteOffset, rows, cols, out.byteOffset);
      if (!rt.stage([x, out], ['in', 'inout'], (p) => X().sumRowsInto(p[0]!, rows, cols, p[1]!))) ref.sumRowsInto(x, rows, cols, out);
    },

    addChannelVector(y, v, batch, channels, spatial) {
      if (!f32(y) || !f32(v)) return ref.addChannelVector(y, v, batch, channels, spatial);
      if (!rt.stage([y, v], ['inout', 'in'], (p) => X().addChannelVector(p[0]!, p[1]!, batch, channels, spatial))) {
        ref.addChannelVector(y, v, batch, channels, spatial);
      }
    },

    sumChannelsInto(x, batch, channels, spatial, out) {
      if (!f32(x) || !f32(out)) return ref.sumChannelsInto(x, batch, channels, spatial, out);
      if (!rt.stage([x, out], ['in', 'inout'], (p) => X().sumChannelsInto(p[0]!, batch, channels, spatial, p[1]!))) {
        ref.sumChannelsInto(x, batch, channels, spatial, out);
      }
    },

    fill(out, value) {
      if (f32(out) && rt.inMemory(out)) return X().fill(out.byteOffset, out.length, value);
      out.fill(value);
    },

    mul(a, b, out) {
      if (!f32(a) || !f32(b) || !f32(out)) return ref.mul(a, b, out);
      const n = out.length;
      if (rt.inMemory(a) && rt.inMemory(b) && rt.inMemory(out)) return X().mul(a.byteOffset, b.byteOffset, out.byteOffset, n);
      if (!rt.stage([a, b, out], ['in', 'in', 'out'], (p) => X().mul(p[0]!, p[1]!, p[2]!, n))) ref.mul(a, b, out);
    },

    reluForward(x, y, scale) {
      if (!f32(x) || !f32(y)) return ref.reluForward(x, y, scale);
      if (rt.inMemory(x) && rt.inMemory(y)) return X().reluForward(x.byteOffset, y.byteOffset, x.length, scale);
      if (!rt.stage([x, y], ['in', 'out'], (p) => X().reluForward(p[0]!, p[1]!, x.length, scale))) ref.reluForward(x, y, scale);
    },
    reluBackward(x, dy, dx, scale) {
      if (!f32(x) || !f32(dy) || !f32(dx)) return ref.reluBackward(x, dy, dx, scale);
      if (rt.inMemory(x) && rt.inMemory(dy) && rt.inMemory(dx)) return X().reluBackward(x.byteOffset, dy.byteOffset, dx.byteOffset, x.length, scale);
      if (!rt.stage([x, dy, dx], ['in', 'in', 'out'], (p) => X().reluBackward(p[0]!, p[1]!, p[2]!, x.length, scale))) ref.reluBackward(x, dy, dx, scale);
    },
    leakyReluForward(x, y, slope) {
      if (!f32(x) || !f32(y)) return ref.leakyReluForward(x, y, slope);
      if (!rt.stage([x, y], ['in', 'out'], (p) => X().leakyReluForward(p[0]!, p[1]!, x.length, slope))) ref.leakyReluForward(x, y, slope);
    },
    leakyReluBackward(x, dy, dx, slope) {
      if (!f32(x) || !f32(dy) || !f32(dx)) return ref.leakyReluBackward(x, dy, dx, slope);
      if (!rt.stage([x, dy, dx], ['in', 'in', 'out'], (p) => X().leakyReluBackward(p[0]!, p[1]!, p[2]!, x.length, slope))) {
        ref.leakyReluBackward(x, dy, dx, slope);
      }
    },
    sigmoidForward(x, y) {
      if (!f32(x) || !f32(y)) return ref.sigmoidForward(x, y);
      if (!rt.stage([x, y], ['in', 'out'], (p) => X().sigmoidForward(p[0]!, p[1]!, x.length))) ref.sigmoidForward(x, y);
    },
    sigmoidBackward(y, dy, dx) {
      if (!f32(y) || !f32(dy) || !f32(dx)) return ref.sigmoidBackward(y, dy, dx);
      if (!rt.stage([y, dy, dx], ['in', 'in', 'out'], (p) => X().sigmoidBackward(p[0]!, p[1]!, p[2]!, y.length))) ref.sigmoidBackward(y, dy, dx);
    },
    tanhForward(x, y) {
      if (!f32(x) || !f32(y)) return ref.tanhForward(x, y);
      if (!rt.stage([x, y], ['in', 'out'], (p) => X().tanhForward(p[0]!, p[1]!, x.length))) ref.tanhForward(x, y);
    },
    tanhBackward(y, dy, dx) {
      if (!f32(y) || !f32(dy) || !f32(dx)) return ref.tanhBackward(y, dy, dx);
      if (!rt.stage([y, dy, dx], ['in', 'in', 'out'], (p) => X().tanhBackward(p[0]!, p[1]!, p[2]!, y.length))) ref.tanhBackward(y, dy, dx);
    },
    geluForward(x, y, approximate: GeluApproximate) {
      if (!f32(x) || !f32(y)) return ref.geluForward(x, y, approximate);
      const a = approximate === 'tanh' ? 1 : 0;
      if (!rt.stage([x, y], ['in', 'out'], (p) => X().geluForward(p[0]!, p[1]!, x.length, a))) ref.geluForward(x, y, approximate);
    },
    geluBackward(x, dy, dx, approximate: GeluApproximate) {
      if (!f32(x) || !f32(dy) || !f32(dx)) return ref.geluBackward(x, dy, dx, approximate);
      const a = approximate === 'tanh' ? 1 : 0;
      if (!rt.stage([x, dy, dx], ['in', 'in', 'out'], (p) => X().geluBackward(p[0]!, p[1]!, p[2]!, x.length, a))) {
        ref.geluBackward(x, dy, dx, approximate);
      }
    },
    softplusForward(x, y, beta, threshold) {
      if (!f32(x) || !f32(y)) return ref.softplusForward(x, y, beta, threshold);
      if (!rt.stage([x, y], ['in', 'out'], (p) => X().softplusForward(p[0]!, p[1]!, x.length, beta, threshold))) {
        ref.softplusForward(x, y, beta, threshold);
      }
    },
    softplusBackward(x, dy, dx, beta, threshold) {
      if (!f32(x) || !f32(dy) || !f32(dx)) return ref.softplusBackward(x, dy, dx, beta, threshold);
      if (!rt.stage([x, dy, dx], ['in', 'in', 'out'], (p) => X().softplusBackward(p[0]!, p[1]!, p[2]!, x.length, beta, threshold))) {
        ref.softplusBackward(x, dy, dx, beta, threshold);
      }
    },

    softmaxCrossEntropy(logits, rows, classes, labels, targets, probs) {
      if (!f32(logits) || !f32(probs) || (targets && !f32(targets))) {
        return ref.softmaxCrossEntropy(logits, rows, classes, labels, targets, probs);
      }
      const r = rt.stage([logits, labels, targets, probs], ['in', 'in', 'in', 'out'], (p) =>
        X().softmaxCrossEntropy(p[0]!, rows, classes, p[1]!, p[2]!, p[3]!),
      );
      return r ? r.value : ref.softmaxCrossEntropy(logits, rows, classes, labels, targets, probs);
    },
    softmaxCrossEntropyBackward(probs, rows, classes, labels, targets, scale, grad) {
      if (!f32(probs) || !f32(grad) || (targets && !f32(targets))) {
        return ref.softmaxCrossEntropyBackward(probs, rows, classes, labels, targets, scale, grad);
      }
      if (rt.inMemory(probs) && rt.inMemory(grad) && (!labels || rt.inMemory(labels)) && (!targets || rt.inMemory(targets))) {
        return X().softmaxCrossEntropyBackward(probs.byteOffset, rows, classes, labels ? labels.byteOffset : 0, targets ? targets.byteOffset : 0, grad.byteOffset, scale);
      }
      const r = rt.stage([probs, labels, targets, grad], ['in', 'in', 'in', 'out'], (p) =>
        X().softmaxCrossEntropyBackward(p[0]!, rows, classes, p[1]!, p[2]!, p[3]!, scale),
      );
      if (!r) ref.softmaxCrossEntropyBackward(probs, rows, classes, labels, targets, scale, grad);
    },
    elementwiseLoss(kind, pred, target) {
      // a target of another dtype (allowed by the losses) goes to the reference, which reads both
      if (!f32(pred) || !f32(target)) return ref.elementwiseLoss(kind, pred, target);
      const n = pred.length;
      if (rt.inMemory(pred) && rt.inMemory(target)) return X().elementwiseLoss(LOSS_KIND[kind], pred.byteOffset, target.byteOffset, n);
      const r = rt.stage([pred, target], ['in', 'in'], (p) => X().elementwiseLoss(LOSS_KIND[kind], p[0]!, p[1]!, n));
      return r ? r.value : ref.elementwiseLoss(kind, pred, target);
    },
    elementwiseLossBackward(kind, pred, target, scale, grad) {
      if (!f32(pred) || !f32(target) || !f32(grad)) return ref.elementwiseLossBackward(kind, pred, target, scale, grad);
      const n = pred.length;
      if (rt.inMemory(pred) && rt.inMemory(target) && rt.inMemory(grad)) {
        return X().elementwiseLossBackward(LOSS_KIND[kind], pred.byteOffset, target.byteOffset, grad.byteOffset, n, scale);
      }
      const r = rt.stage([pred, target, grad], ['in', 'in', 'out'], (p) => X().elementwiseLossBackward(LOSS_KIND[kind], p[0]!, p[1]!, p[2]!, n, scale));
      if (!r) ref.elementwiseLossBackward(kind, pred, target, scale, grad);
    },

    dropoutMask(mask, p, keepScale, state) {
      if (!f32(mask)) return ref.dropoutMask(mask, p, keepScale, state);
      if (!rngState) {
        // a shared memory's old views stay valid when it grows, a plain one never grows
        const off = rt.scratchBlock(64);
        if (off < 0) return ref.dropoutMask(mask, p, keepScale, state);
        rngState = new Uint32Array(rt.memory.buffer, off, 4);
      }
      const s = rngState;
      s[0] = state[0]!;
      s[1] = state[1]!;
      s[2] = state[2]!;
      s[3] = state[3]!;
      const n = mask.length;
      if (rt.inMemory(mask)) X().dropoutMask(mask.byteOffset, n, p, keepScale, s.byteOffset);
      else if (!rt.stage([mask], ['out'], (q) => X().dropoutMask(q[0]!, n, p, keepScale, s.byteOffset))) {
        return ref.dropoutMask(mask, p, keepScale, state);
      }
      state[0] = s[0]!;
      state[1] = s[1]!;
      state[2] = s[2]!;
      state[3] = s[3]!;
    },
    scale(x, s, y) {
      if (!f32(x) || !f32(y)) return ref.scale(x, s, y);
      const n = x.length;
      if (rt.inMemory(x) && rt.inMemory(y)) return X().scale(x.byteOffset, y.byteOffset, n, s);
      if (!rt.stage([x, y], ['in', 'out'], (p) => X().scale(p[0]!, p[1]!, n, s))) ref.scale(x, s, y);
    },

    im2col(x, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, col) {
      if (!f32(x) || !f32(col)) return ref.im2col(x, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, col);
      if (!rt.stage([x, col], ['in', 'out'], (p) => X().im2col(p[0]!, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, p[1]!))) {
        ref.im2col(x, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, col);
      }
    },
    col2im(dcol, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, dx) {
      if (!f32(dcol) || !f32(dx)) return ref.col2im(dcol, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, dx);
      if (!rt.stage([dcol, dx], ['in', 'inout'], (p) => X().col2im(p[0]!, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, p[1]!))) {
        ref.col2im(dcol, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, dx);
      }
    },
    maxPool2dForward(x, planes, H, W, kh, kw, sh, sw, ph, pw, OH, OW, y, argmax) {
      if (!f32(x) || !f32(y)) return ref.maxPool2dForward(x, planes, H, W, kh, kw, sh, sw, ph, pw, OH, OW, y, argmax);
      if (!rt.stage([x, y, argmax], ['in', 'out', 'out'], (p) => X().maxPool2dForward(p[0]!, planes, H, W, kh, kw, sh, sw, ph, pw, OH, OW, p[1]!, p[2]!))) {
        ref.maxPool2dForward(x, planes, H, W, kh, kw, sh, sw, ph, pw, OH, OW, y, argmax);
      }
    },
    maxPool2dBackward(dy, argmax, planes, H, W, OH, OW, dx) {
      if (!f32(dy) || !f32(dx)) return ref.maxPool2dBackward(dy, argmax, planes, H, W, OH, OW, dx);
      if (!rt.stage([dy, argmax, dx], ['in', 'in', 'inout'], (p) => X().maxPool2dBackward(p[0]!, p[1]!, planes, H, W, OH, OW, p[2]!))) {
        ref.maxPool2dBackward(dy, argmax, planes, H, W, OH, OW, dx);
      }
    },

    // The reference kernels run these on the wasm backend, on the arrays in place (a float32
    // array in WASM memory is an ordinary Float32Array to them): test/backend-support.ts lists them.
    avgPool2dForward: ref.avgPool2dForward,
    avgPool2dBackward: ref.avgPool2dBackward,
    batchNormStats: ref.batchNormStats,
    batchNormForward: ref.batchNormForward,
    batchNormBackward: ref.batchNormBackward,
    layerNormForward: ref.layerNormForward,
    layerNormBackward: ref.layerNormBackward,
    softmaxForward: ref.softmaxForward,
    softmaxBackward: ref.softmaxBackward,
    logSoftmaxForward: ref.logSoftmaxForward,
    logSoftmaxBackward: ref.logSoftmaxBackward,
    nllLoss: ref.nllLoss,
    nllLossBackward: ref.nllLossBackward,
    embeddingForward: ref.embeddingForward,
    embeddingBackward: ref.embeddingBackward,

    sgdStep(param, grad, buf, h: SgdHyper) {
      if (!f32(param) || !f32(grad) || !f32(buf)) return ref.sgdStep(param, grad, buf, h);
      // Without momentum the buffer is never touched (and may be empty): do not stage it.
      const b = h.momentum !== 0 ? buf : null;
      if (rt.inMemory(param) && rt.inMemory(grad) && (!b || rt.inMemory(b))) {
        return rt.sgdPtr(param.byteOffset, grad.byteOffset, b ? b.byteOffset : 0, param.length, h);
      }
      const r = rt.stage([param, grad, b], ['inout', 'in', 'inout'], (p) => rt.sgdPtr(p[0]!, p[1]!, p[2]!, param.length, h));
      if (!r) ref.sgdStep(param, grad, buf, h);
    },
    adamStep(param, grad, m, v, h: AdamHyper) {
      if (!f32(param) || !f32(grad) || !f32(m) || !f32(v)) return ref.adamStep(param, grad, m, v, h);
      // The same scalars as the reference, computed the same way in float64.
      const bc1 = 1 - Math.pow(h.beta1, h.step);
      const sqrtBc2 = Math.sqrt(1 - Math.pow(h.beta2, h.step));
      const stepSize = h.lr / bc1;
      if (rt.inMemory(param) && rt.inMemory(grad) && rt.inMemory(m) && rt.inMemory(v)) {
        return rt.adamPtr(param.byteOffset, grad.byteOffset, m.byteOffset, v.byteOffset, param.length, h, stepSize, sqrtBc2);
      }
      const r = rt.stage([param, grad, m, v], ['inout', 'in', 'inout', 'inout'], (p) => rt.adamPtr(p[0]!, p[1]!, p[2]!, p[3]!, param.length, h, stepSize, sqrtBc2));
      if (!r) ref.adamStep(param, grad, m, v, h);
    },
  };
  return k;
}

// ---- initialisation and selection -----------------------------------------------------------

let runtime: WasmRuntime | null = null;
let wasmBackend: Backend | null = null;

/** Which build an engine accepts: 'relaxed', 'simd', or null without WASM SIMD. */
async function detect(wantRelaxed: boolean | 'auto'): Promise<'relaxed' | 'simd' | null> {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') return null;
  const simdOk = WebAssembly.validate(decodeBase64(simdPlain));
  if (!simdOk) return null;
  if (wantRelaxed === false) return 'simd';
  if (isNode()) (await import('./pool-node.js')).enableRelaxedSimdFlag();
  return WebAssembly.validate(decodeBase64(relaxedPlain)) ? 'relaxed' : 'simd';
}

/**
 * A new runtime (memory, module instance, optional pool) without registering it: initWasm uses
 * it once; tests use it to run the standard and relaxed builds, shared and plain, side by side.
 * `build` forces a build ('simd' or 'relaxed'); null is returned when the engine lacks WASM SIMD.
 */
export async function createWasmRuntime(opts: WasmOptions & { build?: 'simd' | 'relaxed' } = {}): Promise<WasmRuntime | null> {
  const relaxedOpt = opts.build ? opts.build === 'relaxed' : (opts.relaxed ?? 'auto');
  const build = await detect(relaxedOpt);
  if (build === null) return null;
  if (relaxedOpt === true && build !== 'relaxed') {
    throw new HandgradError('initWasm: relaxed: true, but this engine rejects the relaxed-SIMD build (try relaxed: "auto")');
  }
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  let shared = opts.shared !== false && sharedMemoryAvailable();
  let memory: WebAssembly.Memory | null = null;
  if (shared) {
    try {
      memory = new WebAssembly.Memory({ initial: 256, maximum: MAX_PAGES, shared: true });
    } catch {
      shared = false;
    }
  }
  if (!memory) {
    const pages = Math.ceil(((opts.plainMemoryMiB ?? 256) * 1024 * 1024) / PAGE);
    memory = new WebAssembly.Memory({ initial: pages });
  }
  const b64 = build === 'relaxed' ? (shared ? relaxedShared : relaxedPlain) : shared ? simdShared : simdPlain;
  const module = await WebAssembly.compile(decodeBase64(b64));
  // scratch areas for as many threads as a later initWasm({ threads }) may ask for (≤ 32)
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 0;
  const slots = shared ? Math.min(32, Math.max(threads, 8, cores)) : 1;
  const rt = new WasmRuntime(module, memory, shared, build === 'relaxed', slots, opts);
  if (threads > 1) await rt.startPool(threads);
  return rt;
}

/** The Backend object over a runtime. */
export function backendOf(rt: WasmRuntime): Backend {
  return {
    name: 'wasm',
    kernels: rt.kernels,
    dtypes: ['float32'],
    allocate: (dtype, size) => (dtype === 'float32' ? rt.allocFloat32(size) : new Float64Array(size)),
    describe: () =>
      `wasm (simd128${rt.relaxed ? '+relaxed' : ''}, ${rt.threads} thread${rt.threads === 1 ? '' : 's'}` +
      `${rt.shared ? '' : ', no shared memory'})`,
  };
}

/**
 * Initialises the WebAssembly backend, registers it as 'wasm' and (unless `select: false`)
 * selects it. Without WASM SIMD the reference backend stays selected and is returned. Calling it
 * again reconfigures threads and the spin window; the build and memory are chosen once.
 */
export async function initWasm(opts: WasmOptions = {}): Promise<Backend> {
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  if (!runtime) {
    const rt = await createWasmRuntime({ ...opts, threads: 1 });
    if (!rt) {
      if (opts.select !== false) setBackend('ref');
      return refBackend;
    }
    runtime = rt;
    wasmBackend = backendOf(rt);
    registerBackend(wasmBackend);
  }
  const rt = runtime;
  const respin = opts.spinMicros !== undefined && opts.spinMicros !== rt.spinMicros;
  if (opts.spinMicros !== undefined) rt.spinMicros = opts.spinMicros;
  if (opts.minFlopsPerThread !== undefined) rt.minFlopsPerThread = opts.minFlopsPerThread;
  if (opts.minStepFloats !== undefined) rt.minStepFloats = opts.minStepFloats;
  if (threads !== rt.threads || respin) await rt.startPool(threads);
  if (opts.select !== false) setBackend('wasm');
  return wasmBackend!;
}

/** Ends the worker threads (the backend stays usable on one thread). */
export async function shutdownWasm(): Promise<void> {
  if (runtime) await runtime.stopPool();
}

/** The runtime of the initialised backend (tests, benchmarks), or null. */
export function wasmRuntime(): WasmRuntime | null {
  return runtime;
}
