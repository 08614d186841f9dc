#!/usr/bin/env node
// A/B benchmark of GEMM builds on one thread: several kernel modules (generated .ts files or raw
// .wasm) in one process, each on its own plain memory, interleaved shape by shape and round by
// round, so a load change on a shared machine hits every build alike. Compare the ratios.
//
//   node bench/wasm-gemm-ab.mjs [--rounds 7] [--shapes fwd1,dX2] [--linear] label=path.{ts,wasm} ...
//   (no module given: the committed relaxed-plain and simd-plain builds)
//
// Per shape and build it prints GFLOP/s per CPU-second (best batch of ≈ 20 ms of process CPU
// time; time slices lost to other processes are not counted) and per wall second (fastest single
// call), and the register-only 128-bit peak measured in the same rounds (the percentage after each
// CPU figure is of that peak: the load-independent figure). Relaxed builds are enabled through v8.setFlagsFromString, as the runtime does.
import v8 from 'node:v8';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peakProbe } from '../dist/bench/peak.js'; // npm run build first

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

// The study's layouts (fwd NN, dW TN with M = in features, dX NT); --linear: the layouts
// handgrad's Linear issues and `npm run bench` times (bench/workloads.ts: W stored out×in, so
// fwd = x·Wᵀ NT, dW = dyᵀ·x TN with M = out features, dX = dy·W NN).
const STUDY = [
  ['fwd1', 0, 0, 64, 784, 60], ['fwd2', 0, 0, 64, 11025, 150], ['fwd3', 0, 0, 64, 150, 150],
  ['dW1', 1, 0, 784, 64, 60], ['dW2', 1, 0, 11025, 64, 150], ['dW3', 1, 0, 150, 64, 150],
  ['dX1', 0, 1, 64, 60, 784], ['dX2', 0, 1, 64, 150, 11025], ['dX3', 0, 1, 64, 150, 150],
];
const LINEAR = [[784, 60], [11025, 150], [150, 150]].flatMap(([inF, outF], i) => [
  [`fwd${i + 1}`, 0, 1, 64, inF, outF], [`dW${i + 1}`, 1, 0, outF, 64, inF], [`dX${i + 1}`, 0, 0, 64, outF, inF],
]);

const args = process.argv.slice(2);
const linear = args.includes('--linear');
if (linear) args.splice(args.indexOf('--linear'), 1);
const SHAPES = (linear ? LINEAR : STUDY).map(([name, tA, tB, M, K, N]) => ({ name, tA, tB, M, K, N }));
const opt = (name, def) => {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const rounds = Number(opt('--rounds', '7'));
const only = opt('--shapes', '');
const shapes = only ? SHAPES.filter((s) => only.split(',').includes(s.name)) : SHAPES;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const specs = args.length
  ? args.map((a) => a.split('='))
  : [['relaxed', join(root, 'src/kernels/wasm/generated/relaxed-plain.ts')], ['simd', join(root, 'src/kernels/wasm/generated/simd-plain.ts')]];

function bytesOf(path) {
  if (path.endsWith('.wasm')) return readFileSync(path);
  const text = readFileSync(path, 'utf8');
  const b64 = text.slice(text.indexOf('wasmBase64')).match(/'([A-Za-z0-9+/=]*)'/g).map((s) => s.slice(1, -1)).join('');
  return Buffer.from(b64, 'base64');
}

const builds = specs.map(([label, path]) => {
  // 128 MiB; a build compiled with --sharedMemory (generated/*-shared.ts) needs a shared memory
  const shared = /shared/.test(path);
  const memory = new WebAssembly.Memory(shared ? { initial: 2048, maximum: 65536, shared: true } : { initial: 2048 });
  const ex = new WebAssembly.Instance(new WebAssembly.Module(bytesOf(path)), { env: { memory } }).exports;
  const scratch = Math.ceil(ex.heapBase() / 64) * 64 + 1024;
  let top = scratch + ex.scratchBytes();
  const alloc = (n) => { const off = Math.ceil(top / 64) * 64; top = off + n * 4; return off; };
  const ops = shapes.map((s) => {
    const A = alloc(s.M * s.K), B = alloc(s.K * s.N), C = alloc(s.M * s.N);
    const f = new Float32Array(memory.buffer);
    for (let i = 0; i < s.M * s.K; i++) f[A / 4 + i] = Math.sin(i);
    for (let i = 0; i < s.K * s.N; i++) f[B / 4 + i] = Math.cos(i);
    return { A, B, C };
  });
  return { label, ex, scratch, ops, memory };
});

// The 128-bit ceiling right now (bench/peak.ts, as `npm run bench` probes it: 12 independent
// chains, relaxed FMA when the engine has it), measured per CPU-second in the same rounds as the
// GEMMs, so each shape's figures can also be read as a fraction of what the core gave at that moment.
const peak = peakProbe();

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const geo = (xs) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);

// correctness spot check between builds: same C on every shape (max relative difference)
shapes.forEach((s, si) => {
  const outs = builds.map((b) => {
    const o = b.ops[si];
    b.ex.gemm(s.tA, s.tB, s.M, s.N, s.K, 1, o.A, o.B, 0, o.C, b.scratch);
    return new Float32Array(b.memory.buffer, o.C, s.M * s.N);
  });
  let worst = 0, scale = 0;
  for (let i = 0; i < outs[0].length; i++) {
    scale = Math.max(scale, Math.abs(outs[0][i]));
    for (const o of outs) worst = Math.max(worst, Math.abs(o[i] - outs[0][i]));
  }
  if (!(worst <= 1e-4 * scale)) console.error(`${s.name}: builds disagree (max |Δ| ${worst}, scale ${scale})`);
});

const peakRes = shapes.map(() => 0);
const cpuRes = builds.map(() => shapes.map(() => 0));
const wallRes = builds.map(() => shapes.map(() => 0));
shapes.forEach((s, si) => {
  const flops = 2 * s.M * s.N * s.K;
  const reps = Math.max(1, Math.round(1.5e8 / flops)); // ≈ 5 ms per batch
  for (let r = 0; r < rounds; r++) {
    const n = 2e5; // ≈ 0.2 ms per call
    const t0 = cpuMs();
    for (let i = 0; i < 40; i++) peak.run(n);
    peakRes[si] = Math.max(peakRes[si], (40 * n * peak.flopsPerIter) / ((cpuMs() - t0) * 1e6));
    for (let bi = 0; bi < builds.length; bi++) {
      const b = builds[(bi + r) % builds.length];
      const k = builds.indexOf(b);
      const o = b.ops[si];
      const call = () => b.ex.gemm(s.tA, s.tB, s.M, s.N, s.K, 1, o.A, o.B, 0, o.C, b.scratch);
      if (r === 0) for (let i = 0; i < reps; i++) call(); // warm-up
      const t0 = cpuMs();
      for (let i = 0; i < reps; i++) call();
      const dt = (cpuMs() - t0) / reps;
      cpuRes[k][si] = Math.max(cpuRes[k][si], flops / (dt * 1e6));
      for (let i = 0; i < Math.min(reps, 30); i++) {
        const t = performance.now();
        call();
        wallRes[k][si] = Math.max(wallRes[k][si], flops / ((performance.now() - t) * 1e6));
      }
    }
  }
});

const heads = [peak.label, ...builds.flatMap((b) => [`${b.label} cpu`, `${b.label} wall`])];
if (builds.length > 1) heads.push(`${builds[0].label}÷${builds[1].label} cpu`);
console.log(`| shape M×K×N | ${heads.join(' | ')} |`);
console.log(`|---|${heads.map(() => '---:').join('|')}|`);
shapes.forEach((s, si) => {
  const cells = [peakRes[si].toFixed(1), ...builds.flatMap((_, k) => [`${cpuRes[k][si].toFixed(1)} (${Math.round((100 * cpuRes[k][si]) / peakRes[si])}%)`, wallRes[k][si].toFixed(1)])];
  if (builds.length > 1) cells.push((cpuRes[0][si] / cpuRes[1][si]).toFixed(2));
  console.log(`| ${s.name} ${s.tA ? 'T' : 'N'}${s.tB ? 'T' : 'N'} ${s.M}×${s.K}×${s.N} | ${cells.join(' | ')} |`);
});
const gcells = [`**${geo(peakRes).toFixed(1)}**`, ...builds.flatMap((_, k) => [geo(cpuRes[k]).toFixed(1), geo(wallRes[k]).toFixed(1)].map((x) => `**${x}**`))];
if (builds.length > 1) gcells.push(`**${(geo(cpuRes[0]) / geo(cpuRes[1])).toFixed(2)}**`);
console.log(`| **geomean** | ${gcells.join(' | ')} |`);
