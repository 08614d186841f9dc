// GEMM GFLOP/s of the wasm backend on the MLP shapes of the study, 1 and 2 threads, operands
// living in WASM memory. Not part of the test suite. Run:
//   npx esbuild bench/wasm-gemm.ts --bundle --platform=node --format=esm --outfile=/tmp/wg.mjs
//   node /tmp/wg.mjs [threads list, default 1,2] [--cpu] [--simd]
// --cpu divides by the process's CPU time instead of wall time: on a loaded machine this is the
// fairer single-thread figure (time slices lost to other processes are not counted); it is
// meaningless with worker threads (spinning workers burn CPU). --min reports the fastest of 300
// single calls (wall time): on a busy machine, the calls that ran without being preempted.
// --simd forces the standard build.

import { initWasm, shutdownWasm, wasmRuntime } from '../src/backend.js';

interface Shape { name: string; tA: boolean; tB: boolean; M: number; K: number; N: number }
const SHAPES: Shape[] = [
  { name: 'fwd1 X@W', tA: false, tB: false, M: 64, K: 784, N: 60 },
  { name: 'fwd2 X@W', tA: false, tB: false, M: 64, K: 11025, N: 150 },
  { name: 'fwd3 X@W', tA: false, tB: false, M: 64, K: 150, N: 150 },
  { name: 'dW1 X^T@dY', tA: true, tB: false, M: 784, K: 64, N: 60 },
  { name: 'dW2 X^T@dY', tA: true, tB: false, M: 11025, K: 64, N: 150 },
  { name: 'dW3 X^T@dY', tA: true, tB: false, M: 150, K: 64, N: 150 },
  { name: 'dX1 dY@W^T', tA: false, tB: true, M: 64, K: 60, N: 784 },
  { name: 'dX2 dY@W^T', tA: false, tB: true, M: 64, K: 150, N: 11025 },
  { name: 'dX3 dY@W^T', tA: false, tB: true, M: 64, K: 150, N: 150 },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const cpu = args.includes('--cpu');
  const best = args.includes('--min');
  const relaxed = args.includes('--simd') ? false : 'auto';
  const threadCounts = (args.find((a) => !a.startsWith('--')) ?? '1,2').split(',').map(Number);
  const results = new Map<string, number[]>();
  for (const T of threadCounts) {
    const b = await initWasm({ threads: T, relaxed });
    const k = b.kernels;
    console.error(b.describe());
    const col: number[] = [];
    for (const s of SHAPES) {
      const A = b.allocate('float32', s.M * s.K) as Float32Array;
      const B = b.allocate('float32', s.K * s.N) as Float32Array;
      const C = b.allocate('float32', s.M * s.N) as Float32Array;
      for (let i = 0; i < A.length; i++) A[i] = Math.sin(i);
      for (let i = 0; i < B.length; i++) B[i] = Math.cos(i);
      const flops = 2 * s.M * s.N * s.K;
      const reps = Math.max(1, Math.round((cpu ? 1e9 : 3e7) / flops));
      const clock = (): number => {
        if (!cpu) return performance.now();
        const u = process.cpuUsage();
        return (u.user + u.system) / 1000;
      };
      const run = (): void => { for (let r = 0; r < reps; r++) k.gemm(s.tA, s.tB, s.M, s.N, s.K, 1, A, B, 0, C); };
      const t0 = performance.now();
      while (performance.now() - t0 < 200) run();
      const times: number[] = [];
      if (best) {
        for (let i = 0; i < 300; i++) {
          const t = performance.now();
          k.gemm(s.tA, s.tB, s.M, s.N, s.K, 1, A, B, 0, C);
          times.push(performance.now() - t);
        }
        col.push(flops / (Math.min(...times) * 1e6));
        continue;
      }
      for (let i = 0; i < (cpu ? 5 : 9); i++) {
        const t = clock();
        run();
        times.push((clock() - t) / reps);
      }
      col.push(flops / (median(times) * 1e6));
    }
    results.set(`${T} thr (${wasmRuntime()!.relaxed ? 'relaxed' : 'simd'}${cpu ? ', per CPU-s' : best ? ', fastest call' : ''})`, col);
  }
  await shutdownWasm();
  const heads = [...results.keys()];
  console.log(`| shape M×K×N | ${heads.join(' | ')} |`);
  console.log(`|---|${heads.map(() => '---:').join('|')}|`);
  SHAPES.forEach((s, i) => console.log(`| ${s.name} ${s.M}×${s.K}×${s.N} | ${heads.map((h) => results.get(h)![i]!.toFixed(1)).join(' | ')} |`));
  const geo = (xs: number[]): number => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
  console.log(`| **geomean** | ${heads.map((h) => `**${geo(results.get(h)!).toFixed(1)}**`).join(' | ')} |`);
}

void main();
