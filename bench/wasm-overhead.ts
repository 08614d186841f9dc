// Where full-runtime GEMM time goes: the same GEMMs, in one process,
// interleaved shape by shape and round by round (order rotated), through every layer of the
// path from the raw kernel export to the public kernel table:
//
//   raw-plain   ex.gemm on byte offsets, a plain (non-shared) memory      (= bench/wasm-gemm-ab.mjs)
//   raw-shared  ex.gemm on byte offsets, the shared memory the runtime uses by default
//   public      kernelsFor('float32').gemm on arrays from backend().allocate   (= the layers' path)
//   subarray    the same on subarray views of a larger allocation (Conv2d per image)
//   contestant  HandgradGemm.run of bench/contestants/handgrad.ts (what `npm run bench` times)
//   js-array    the same on plain Float32Arrays (staged: copied in and out every call)
//
// Figures are GFLOP/s per CPU-second (best batch of ≈ 5 ms process CPU time: slices lost to
// other processes are not counted) and per wall second (best batch). Run:
//   npx esbuild bench/wasm-overhead.ts --bundle --platform=node --format=esm --outfile=/tmp/wo.mjs
//   node /tmp/wo.mjs [--rounds 7] [--layout bench|study|both]
// --layout bench (default): operand layouts as handgrad's Linear issues them (bench/workloads.ts);
// study: the layouts of bench/wasm-gemm-ab.mjs and the study (fwd NN, dW TN with M = in, dX NT);
// both: the two sets in the same rounds (is the layout, rather than the path, the difference?).
//
// Measured 2026-11-22 02:54 UTC (load ≈ 2.5, 7 rounds, --layout both, 18 shapes), speed ÷ raw-shared
// as the geomean of same-round ratios: raw-plain 0.986, public 0.998, subarray 1.000,
// contestant 0.991, js-array 0.859; geomean 18.2–18.6 GFLOP/s per CPU-second for every in-memory
// variant, wall = CPU within 1 %. The staging area stayed empty after the public and subarray
// calls, and the public path costs ≈ 0.2 µs more than the raw export per call (TypedArray
// .buffer/.byteOffset getters), 0.1–0.2 % of the smallest GEMM timed here. The same raw kernel
// on the same shapes gave 30 GFLOP/s in one run and 21 three seconds later: a gap of that size
// between two separate measurements is the host's speed at the time of each, not the runtime.

import { createWasmRuntime, type WasmRuntime } from '../src/kernels/wasm/index.js';
import { initWasm, kernelsFor, wasmRuntime } from '../src/backend.js';
import { gemmShapes, type GemmShape } from './workloads.js';
import { HandgradGemm } from './contestants/handgrad.js';

interface S { name: string; tA: boolean; tB: boolean; M: number; K: number; N: number }

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : def;
};
const rounds = Number(opt('--rounds', '7'));
const layout = opt('--layout', 'bench');

const studyShapes: S[] = ([
  ['fwd1', 0, 0, 64, 784, 60], ['fwd2', 0, 0, 64, 11025, 150], ['fwd3', 0, 0, 64, 150, 150],
  ['dW1', 1, 0, 784, 64, 60], ['dW2', 1, 0, 11025, 64, 150], ['dW3', 1, 0, 150, 64, 150],
  ['dX1', 0, 1, 64, 60, 784], ['dX2', 0, 1, 64, 150, 11025], ['dX3', 0, 1, 64, 150, 150],
] as const).map(([name, tA, tB, M, K, N]) => ({ name: `study ${name}`, tA: tA === 1, tB: tB === 1, M, K, N }));
const benchShapes: S[] = gemmShapes(64).map((s) => ({ name: s.name.split(' ')[0]!, tA: s.transA, tB: s.transB, M: s.M, K: s.K, N: s.N }));
const shapes: S[] = layout === 'study' ? studyShapes : layout === 'both' ? [...benchShapes, ...studyShapes] : benchShapes;

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const geo = (xs: number[]): number => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
const fill = (a: Float32Array, seed: number): void => {
  for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 0.37 + seed);
};

async function main(): Promise<void> {
  await initWasm({ threads: 1 });
  const plain = (await createWasmRuntime({ shared: false, plainMemoryMiB: 128 }))!;
  const rt = wasmRuntime()!;
  const scratchOf = (r: WasmRuntime): number => r.scratchBase;
  const k = kernelsFor('float32');
  console.error(`shared: ${rt.shared}, relaxed: ${rt.relaxed}; plain: ${plain.shared}, relaxed: ${plain.relaxed}; layout ${layout}`);

  type Call = () => void;
  const variants: { label: string; calls: Call[] }[] = [];
  const raw = (r: WasmRuntime): Call[] =>
    shapes.map((s) => {
      const A = r.allocFloat32(s.M * s.K), B = r.allocFloat32(s.K * s.N), C = r.allocFloat32(s.M * s.N);
      fill(A, 1);
      fill(B, 2);
      keep.push(A, B, C);
      const ex = r.exports, sc = scratchOf(r);
      const tA = s.tA ? 1 : 0, tB = s.tB ? 1 : 0;
      return () => ex.gemm(tA, tB, s.M, s.N, s.K, 1, A.byteOffset, B.byteOffset, 0, C.byteOffset, sc);
    });
  const keep: Float32Array[] = [];
  variants.push({ label: 'raw-plain', calls: raw(plain) });
  variants.push({ label: 'raw-shared', calls: raw(rt) });
  variants.push({
    label: 'public',
    calls: shapes.map((s) => {
      const A = rt.allocFloat32(s.M * s.K), B = rt.allocFloat32(s.K * s.N), C = rt.allocFloat32(s.M * s.N);
      fill(A, 1);
      fill(B, 2);
      keep.push(A, B, C);
      return () => k.gemm(s.tA, s.tB, s.M, s.N, s.K, 1, A, B, 0, C);
    }),
  });
  variants.push({
    label: 'subarray',
    calls: shapes.map((s) => {
      // operands at offsets inside larger allocations, as Conv2d's per-image views
      const big = rt.allocFloat32(s.M * s.K + s.K * s.N + s.M * s.N + 48);
      keep.push(big);
      const A = big.subarray(16, 16 + s.M * s.K);
      const B = big.subarray(32 + s.M * s.K, 32 + s.M * s.K + s.K * s.N);
      const C = big.subarray(48 + s.M * s.K + s.K * s.N);
      fill(A, 1);
      fill(B, 2);
      return () => k.gemm(s.tA, s.tB, s.M, s.N, s.K, 1, A, B, 0, C);
    }),
  });
  const contestant = new HandgradGemm();
  variants.push({
    label: 'contestant',
    calls: shapes.map((s, i) => {
      const g: GemmShape = { name: `${i} ${s.name}`, M: s.M, N: s.N, K: s.K, transA: s.tA, transB: s.tB };
      return () => contestant.run(g, 1);
    }),
  });
  variants.push({
    label: 'js-array',
    calls: shapes.map((s) => {
      const A = new Float32Array(s.M * s.K), B = new Float32Array(s.K * s.N), C = new Float32Array(s.M * s.N);
      fill(A, 1);
      fill(B, 2);
      return () => k.gemm(s.tA, s.tB, s.M, s.N, s.K, 1, A, B, 0, C);
    }),
  });

  // The layers' operands (allocated tensors and subarray views of them) must reach the kernel
  // without staging: the staging area is only created by a staged call, so it is still empty.
  const stageCap = (): number => rt.stagingBytes;
  for (const v of variants) if (v.label === 'public' || v.label === 'subarray') for (const c of v.calls) c();
  console.error(`staging area after public and subarray calls: ${stageCap()} bytes (0 = no copies)`);

  // Per-call overhead of the public path on a 1×1×1 product (ns per call, best of rounds).
  {
    const A = rt.allocFloat32(1), B = rt.allocFloat32(1), C = rt.allocFloat32(1);
    keep.push(A, B, C);
    const ex = rt.exports, sc = scratchOf(rt);
    const tiny: [string, Call][] = [
      ['raw', () => ex.gemm(0, 0, 1, 1, 1, 1, A.byteOffset, B.byteOffset, 0, C.byteOffset, sc)],
      ['public', () => k.gemm(false, false, 1, 1, 1, 1, A, B, 0, C)],
    ];
    const ns = [Infinity, Infinity];
    for (let r = 0; r < 7; r++) {
      tiny.forEach(([, f], i) => {
        const w0 = performance.now();
        for (let j = 0; j < 2e5; j++) f();
        ns[i] = Math.min(ns[i]!, ((performance.now() - w0) * 1e6) / 2e5);
      });
    }
    console.error(`1×1×1 GEMM per call: raw export ${ns[0]!.toFixed(0)} ns, public kernel ${ns[1]!.toFixed(0)} ns (overhead ${(ns[1]! - ns[0]!).toFixed(0)} ns)`);
  }

  const cpu = variants.map(() => shapes.map(() => 0));
  // per round, each variant's batch time ÷ raw-shared's in the same round (drift-free ratio)
  const ratios = variants.map(() => [] as number[]);
  const wall = variants.map(() => shapes.map(() => 0));
  shapes.forEach((s, si) => {
    const flops = 2 * s.M * s.N * s.K;
    const reps = Math.max(1, Math.round(1.5e8 / flops));
    for (let r = 0; r < rounds; r++) {
      const t = variants.map(() => 0);
      for (let vi = 0; vi < variants.length; vi++) {
        const v = (vi + r) % variants.length;
        const call = variants[v]!.calls[si]!;
        if (r === 0) for (let i = 0; i < reps; i++) call();
        const c0 = cpuMs(), w0 = performance.now();
        for (let i = 0; i < reps; i++) call();
        const w = (performance.now() - w0) / reps, c = (cpuMs() - c0) / reps;
        cpu[v]![si] = Math.max(cpu[v]![si]!, flops / (c * 1e6));
        wall[v]![si] = Math.max(wall[v]![si]!, flops / (w * 1e6));
        t[v] = c;
      }
      t.forEach((x, v) => ratios[v]!.push(t[1]! / x));
    }
  });
  const heads = variants.flatMap((v) => [`${v.label} cpu`, `${v.label} wall`]);
  console.log(`| shape M×K×N | ${heads.join(' | ')} |`);
  console.log(`|---|${heads.map(() => '---:').join('|')}|`);
  shapes.forEach((s, si) => {
    const cells = variants.flatMap((_, v) => [cpu[v]![si]!.toFixed(1), wall[v]![si]!.toFixed(1)]);
    console.log(`| ${s.name} ${s.tA ? 'T' : 'N'}${s.tB ? 'T' : 'N'} ${s.M}×${s.K}×${s.N} | ${cells.join(' | ')} |`);
  });
  console.log(`| **speed ÷ raw-shared, geomean of same-round ratios** | ${ratios.flatMap((x) => [geo(x).toFixed(3), '']).join(' | ')} |`);
  console.log(`| **geomean** | ${variants.flatMap((_, v) => [geo(cpu[v]!), geo(wall[v]!)]).map((x) => `**${x.toFixed(1)}**`).join(' | ')} |`);
}

void main();
