// Shared by the wasm tests: runtimes for every build, array helpers, a float32 comparison.

import { type Random } from '../../src/random.js';
import { createWasmRuntime, type WasmRuntime } from '../../src/kernels/wasm/index.js';

export type Arr = Float32Array | Int32Array | null;

/** The builds under test: standard and relaxed SIMD, 1 and 2 threads, and a plain memory. */
export const CONFIGS = [
  { name: 'simd 1 thread', build: 'simd', threads: 1 },
  { name: 'simd 2 threads', build: 'simd', threads: 2 },
  { name: 'relaxed 1 thread', build: 'relaxed', threads: 1 },
  { name: 'relaxed 2 threads', build: 'relaxed', threads: 2 },
  { name: 'simd plain memory', build: 'simd', threads: 1, shared: false },
] as const;

export async function makeRuntime(c: (typeof CONFIGS)[number]): Promise<WasmRuntime> {
  const rt = await createWasmRuntime({
    build: c.build,
    threads: c.threads,
    shared: 'shared' in c ? c.shared : undefined,
    plainMemoryMiB: 24,
    // Thread every product on the 2-thread builds, however small, to test the hand-out.
    minFlopsPerThread: 0,
    spinMicros: 200,
  });
  if (!rt) throw new Error(`this engine has no WebAssembly SIMD: cannot test ${c.name}`);
  return rt;
}

/** Random floats: mostly N(0, scale²), with edge values sprinkled in. */
export function randomArray(rng: Random, n: number, scale = 1, edges: readonly number[] = []): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  if (edges.length) for (let i = 0; i < n; i += 1 + Math.floor(rng.uniform() * 5)) a[i] = edges[Math.floor(rng.uniform() * edges.length)]!;
  return a;
}

export function clone(arrays: Arr[]): Arr[] {
  return arrays.map((a) => (a === null ? null : a.slice()));
}

/** Copies of `arrays` living in the runtime's memory (Int32Arrays as views on float32 blocks). */
export function inMemory(rt: WasmRuntime, arrays: Arr[]): Arr[] {
  return arrays.map((a) => {
    if (a === null) return null;
    const f = rt.allocFloat32(a.length);
    if (!rt.inMemory(f)) throw new Error('test setup: the runtime memory is full');
    const v = a instanceof Int32Array ? new Int32Array(f.buffer, f.byteOffset, a.length) : f;
    v.set(a);
    // keep the float32 view (the allocation's owner) alive as long as the Int32Array view
    (v as unknown as { owner?: Float32Array }).owner = f;
    return v;
  });
}

/**
 * Largest violation of |got − want| ≤ atol + rtol·|want| (NaN must match NaN, ±∞ must match
 * exactly); 0 when every element passes. Returns the index and values of the worst element.
 */
export function worst(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number): { excess: number; at: number; got: number; want: number } {
  let r = { excess: 0, at: -1, got: 0, want: 0 };
  if (got.length !== want.length) return { excess: Infinity, at: -1, got: got.length, want: want.length };
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    let e: number;
    if (Number.isNaN(w) || Number.isNaN(g)) e = Number.isNaN(w) && Number.isNaN(g) ? 0 : Infinity;
    else if (!Number.isFinite(w) || !Number.isFinite(g)) e = g === w ? 0 : Infinity;
    else e = Math.abs(g - w) - (atol + rtol * Math.abs(w));
    if (e > r.excess) r = { excess: e, at: i, got: g, want: w };
  }
  return r;
}
