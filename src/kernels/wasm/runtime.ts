// The runtime behind the wasm backend: one instance of the kernel module on its memory, the
// tensor heap in that memory, staging of arrays that live outside it, the worker pool and the
// threaded jobs (held, not inherited: pool.ts and jobs.ts).
//
// Memory layout (bytes): [0, heapBase) the module's static data (Math tables) · the control
// block (CTRL_BYTES) · one GEMM scratch area per thread slot · the tensor heap
// (FreeListAllocator). A shared memory grows on demand (views on a SharedArrayBuffer survive
// memory.grow); a plain memory is reserved up front and never grows (growing would detach every
// tensor view), and a tensor that does not fit is a plain Float32Array, which the kernels copy in
// and out (correct, slower).

import { HandgradError, type FloatArray } from '../../tensor.js';
import type { Kernels } from '../table.js';
import { CTRL_BYTES, P_SCRATCH, STATS_SLOTS } from './abi-shared.js';
import { runtimeExports, type RuntimeExports } from './abi.js';
import { Jobs } from './jobs.js';
import { FreeListAllocator } from './memory.js';
import { WorkerPool } from './pool.js';

const PAGE = 65536;
/** Shared memories may grow up to this many pages (2 GiB). */
export const MAX_PAGES = 32768;

/** An array a kernel reads or writes: float32 data, or the integer arrays some kernels take. */
export type KernelArray = FloatArray | Int32Array | Uint32Array;
/** How a kernel uses an array: read, written, or both (what staging copies in and out). */
export type Mode = 'in' | 'out' | 'inout';
/** offsetOf's mark for an array outside WASM memory. */
export const STAGE = -1;

export interface RuntimeOptions {
  /** How long an idle worker spins before Atomics.wait, in µs (default 500). */
  spinMicros?: number;
  /** GEMMs with fewer than this many flops (2·M·N·K) stay on one thread (default 2e6). */
  minFlopsPerThread?: number;
  /** Optimiser steps on fewer floats than this stay on one thread (default 16384). */
  minStepFloats?: number;
}

export class WasmRuntime {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  readonly relaxed: boolean;
  /** The module's exports the runtime calls by name. */
  readonly exports: RuntimeExports;
  /** All of the instance's exports (the kernel table looks its kernels up here). */
  readonly instanceExports: WebAssembly.Exports;
  readonly pool: WorkerPool;
  readonly jobs: Jobs;
  readonly kernels: Kernels;
  /** Byte offset of thread 0's GEMM scratch area. */
  readonly scratchBase: number;
  private readonly heap: FreeListAllocator;
  /** Every ArrayBuffer/SharedArrayBuffer the memory has had (views of old ones stay valid when shared). */
  private readonly buffers = new Set<ArrayBufferLike>();
  private buf: ArrayBufferLike;
  private u8: Uint8Array;
  private stageOff = -1;
  private stageCap = 0;
  private readonly registry: FinalizationRegistry<[number, number]>;

  /**
   * Instantiates `module` on `memory` with GEMM scratch for `threadSlots` threads; `makeKernels`
   * builds the kernel table over the new runtime.
   */
  constructor(
    module: WebAssembly.Module, memory: WebAssembly.Memory, shared: boolean, relaxed: boolean, threadSlots: number,
    opts: RuntimeOptions, makeKernels: (rt: WasmRuntime) => Kernels,
  ) {
    this.memory = memory;
    this.shared = shared;
    this.relaxed = relaxed;
    const inst = new WebAssembly.Instance(module, { env: { memory } });
    this.instanceExports = inst.exports;
    const ex = runtimeExports(inst.exports);
    this.exports = ex;
    this.buf = memory.buffer;
    this.buffers.add(this.buf);
    this.u8 = new Uint8Array(this.buf);
    const ctrl = Math.ceil(ex.heapBase() / 64) * 64;
    this.scratchBase = ctrl + CTRL_BYTES;
    const heapStart = this.scratchBase + threadSlots * ex.scratchBytes();
    if (heapStart > this.buf.byteLength) this.growBy(heapStart - this.buf.byteLength);
    this.heap = new FreeListAllocator(heapStart, this.buf.byteLength);
    const ctrlWords = new Int32Array(this.buf, ctrl, CTRL_BYTES / 4);
    ctrlWords[P_SCRATCH] = this.scratchBase;
    this.pool = new WorkerPool(module, memory, ctrl, ctrlWords, (gen) => ex.gemmJob(ctrl, 0, gen), threadSlots, shared, opts.spinMicros ?? 500);
    this.jobs = new Jobs(ex, this.pool, this.buf, ctrl, this.scratchBase, (b) => this.allocBytes(b), (o, b) => this.heap.free(o, b), {
      minFlopsPerThread: opts.minFlopsPerThread ?? 2e6,
      minStepFloats: opts.minStepFloats ?? 16384,
    });
    // Tensors handed out by allocFloat32 go back to the heap once the JS view is garbage
    // collected. (A subarray does not keep its parent view alive: keep the view a tensor was given.)
    this.registry = new FinalizationRegistry(([off, bytes]) => this.heap.free(off, bytes));
    this.kernels = makeKernels(this);
  }

  // ---- memory ------------------------------------------------------------------------------

  /** Adds at least `bytes` to a shared memory; false if it cannot grow (plain memory or maximum). */
  private growBy(bytes: number): boolean {
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
    this.heap?.extend(before, this.buf.byteLength);
    return true;
  }

  /** Byte offset of a new block of the heap (growing a shared memory), or −1. */
  allocBytes(bytes: number): number {
    let off = this.heap.alloc(bytes);
    if (off < 0 && this.growBy(bytes + 64)) off = this.heap.alloc(bytes);
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
  inMemory(a: KernelArray): boolean {
    return a.buffer === this.buf || this.buffers.has(a.buffer);
  }

  // ---- staging of arrays that are not in WASM memory ---------------------------------------

  /** Bytes of the staging area (0 until a kernel first staged an array). */
  get stagingBytes(): number {
    return this.stageCap;
  }

  private ensureStage(bytes: number): boolean {
    if (bytes <= this.stageCap) return true;
    if (this.stageOff >= 0) this.heap.free(this.stageOff, this.stageCap);
    const cap = Math.max(bytes, this.stageCap * 2, 1 << 16);
    this.stageOff = this.allocBytes(cap);
    this.stageCap = this.stageOff >= 0 ? cap : 0;
    return this.stageOff >= 0;
  }

  /**
   * Stages the arrays[i] (i < count) whose ptrs[i] is STAGE: copies each into a slot of the
   * staging area (unless its mode is 'out') and writes the slot's byte offset into ptrs[i]. Returns
   * a bit mask of the staged entries for stageOut, or −1 when no staging space can be had (the
   * caller then runs the reference kernel). Allocates nothing once the area is large enough.
   */
  stageIn(arrays: readonly (KernelArray | null)[], modes: readonly Mode[], count: number, ptrs: number[]): number {
    let need = 0;
    for (let i = 0; i < count; i++) if (ptrs[i] === STAGE) need += Math.ceil(arrays[i]!.byteLength / 64) * 64;
    if (need > 0 && !this.ensureStage(need)) return -1;
    let at = this.stageOff;
    let mask = 0;
    for (let i = 0; i < count; i++) {
      if (ptrs[i] !== STAGE) continue;
      const a = arrays[i]!;
      ptrs[i] = at;
      mask |= 1 << i;
      if (modes[i] !== 'out') this.u8.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
      at += Math.ceil(a.byteLength / 64) * 64;
    }
    return mask;
  }

  /** After the kernel: copies the staged arrays (`mask` from stageIn) it wrote ('out', 'inout') back to their owners. */
  stageOut(arrays: readonly (KernelArray | null)[], modes: readonly Mode[], count: number, ptrs: readonly number[], mask: number): void {
    for (let i = 0; i < count; i++) {
      if ((mask & (1 << i)) === 0 || modes[i] === 'in') continue;
      const a = arrays[i]!;
      const at = ptrs[i]!;
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(this.u8.subarray(at, at + a.byteLength));
    }
  }

  /**
   * The byte offset a kernel finds `a` at without staging: its own in WASM memory, 0 for null or
   * an empty array; STAGE for an array that must be copied in (stageIn).
   */
  offsetOf(a: KernelArray | null): number {
    if (a === null) return 0;
    if (this.inMemory(a)) return a.byteOffset;
    return a.byteLength === 0 ? 0 : STAGE;
  }

  // ---- threads -----------------------------------------------------------------------------

  /** Threads a GEMM or optimiser step is cut for, the calling thread included. */
  get threads(): number {
    return this.pool.threads;
  }

  /**
   * Applies options; with `threads`, restarts the pool for that many threads. Resolves once every
   * worker has started, and rejects (the pool then runs on the threads it has) if one could not.
   */
  async configure(opts: RuntimeOptions & { threads?: number }): Promise<void> {
    const respin = opts.spinMicros !== undefined && opts.spinMicros !== this.pool.spinMicros;
    if (opts.spinMicros !== undefined) this.pool.spinMicros = opts.spinMicros;
    if (opts.minFlopsPerThread !== undefined) this.jobs.minFlopsPerThread = opts.minFlopsPerThread;
    if (opts.minStepFloats !== undefined) this.jobs.minStepFloats = opts.minStepFloats;
    const threads = opts.threads === undefined ? this.pool.threads : Math.max(1, Math.floor(opts.threads));
    if (threads !== this.pool.threads || respin || this.pool.startError !== null) void this.pool.start(threads);
    await this.pool.ready;
    if (this.pool.startError !== null) throw new HandgradError(`wasm backend: ${this.pool.startError}`);
  }

  /** Ends the workers (GEMM continues on the calling thread). */
  async stopPool(): Promise<void> {
    this.pool.stop();
  }

  /** GEMM regions (and optimiser chunks) each thread (0 = the caller) has computed since the runtime started. */
  regionsByThread(): number[] {
    return this.pool.blocksByThread().slice(0, Math.min(this.pool.slots, STATS_SLOTS));
  }

  /** GEMM on byte offsets (tests and benchmarks; the kernel table's gemm takes arrays). */
  gemmPtr(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: number, B: number, beta: number, C: number): void {
    this.jobs.gemm(tA, tB, M, N, K, alpha, A, B, beta, C);
  }
}
