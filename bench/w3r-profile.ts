// Where a W3r training step's time goes: Omniglot-small 11025 → 150 → 8, batch 64, SGD lr 0.01,
// the sparse first layer, the wasm backend on 1 or 2 threads, trained as the bench's handgrad
// contestant trains it (bench/contestants/handgrad.ts). Every kernel call of the float32 table
// goes through a timer (wall and process CPU time), so a step splits into its kernels (the sparse
// forward and backward, the second layer's GEMMs, the loss, ReLU, the SGD step over the flat
// parameters, the zero fill, …) and the rest (layers' and optimiser's JavaScript, the pool's
// hand-offs, and the timers' own cost, ≈ 25 µs a step). Not part of the test suite.
//   npx tsc -p tsconfig.json && node dist/bench/w3r-profile.js [--threads 2] [--steps 400] [--reps 5]
// Prints medians over repetitions, per step. CPU milliseconds are the process's (every thread,
// a waiting pool thread's spin included): on a shared host they hold still where wall time does
// not, so compare builds by CPU time, interleaved (copy dist/bench/w3r-profile.js into the other
// build's dist/bench), and a 1-thread CPU profile is the split of the work.
//
// One thread, the shared 2-core AMD EPYC (Zen 5) at load average 9.5, 5 × 200 steps:
//   per step                4.03 ms CPU (100 %)
//   sparseGemmBackward      1.58 ms      39 %   scatter into the tile ≈ 55 %, dW write ≈ 35 %
//   sparseGemmForward       1.50 ms      37 %   non-zero loop ≈ 50 %, W's transposes and W·c ≈ 50 %
//   sgdStep                 0.55 ms      14 %   1.65 M weights, float64 arithmetic
//   8 small kernels         0.15 ms       4 %   GEMMs of 150 → 8, loss, ReLU, bias, fill
//   rest                    0.27 ms       7 %
// On 2 threads the same step takes 5.99 ms CPU (both threads); its wall time on this host (CPU/wall
// 0.45–0.7 while other work runs) says nothing about an idle one. The splits inside the kernels
// come from builds with one part removed, timed by bench/sparse-step-kernels.mjs.
//
// Alternatives measured against the kernels as they are (bench/sparse-step-kernels.mjs, one
// thread, W and dW cold, same bits unless said), none kept:
//   - forward, two rows of the batch at a time (8 accumulator chains; block ends found first,
//     pointer loops): 1.88 ms against 1.54 (with a column check per non-zero instead, and W hot:
//     1.59 against 1.20); the forward is not
//     bound by the FMA latency (additions in place of the FMAs: loop 10 % faster), but by its
//     instructions per non-zero (about 4 cycles each); unrolling a row's loop by 2: within noise;
//   - a tile of 72- or 80-byte rows (4 KiB aliasing): within noise;
//   - backward gathering by column (the batch by columns, a counting sort per call and thread,
//     4 chains in registers per column): 1.57 ms against 1.69 in the kernel bench, but in the
//     training step (this tool, 5 interleaved pairs) backward ÷ forward CPU 1.115 against 1.093:
//     no gain where it counts;
//   - (the same method, a standalone script) the SGD step fused into the backward's dW write (W read and written once while dW is in
//     registers, dW never read back): 2.28 ms against 2.30 for backward + sgdStep, same bits;
//     the step is bound by its float64 conversions, not by memory;
//   - sgdStep with 8-byte loads and stores in place of shuffles: 0.481 ms against 0.487.
//   - the first layer's W and dW in the tile layout ([N/16][K][16], as if the layer stored them so):
//     no transposes in the forward, the backward's dW written tile row by tile row: forward 1.115 ms
//     against 1.607, backward 1.545 against 1.662 (7 rounds). At most ≈ 0.6 ms of a one-thread
//     step, ≈ 0.3 ms of a two-thread one, where 3× numpy needs ≈ 0.4–0.6 ms off the bench's 2.15–2.34;
//     and every other reader of the weight (dense forward, checkpoints, p.grad, the optimisers'
//     flat arrays) takes it as [out, in];
//   - one K block (KB 8192 or 16384 in place of 4096, no column check between blocks): forward
//     1.575 and 1.566 against 1.577;
//   - a row's non-zeros in pairs, two sets of 4 chains (8 accumulators, one K block): forward 2.04
//     against 1.57, slower;
//   - the SGD step applied in the backward's dW write, dW never stored: backward + sgdStep 2.10 →
//     1.88 ms on one thread, 2.15 → 1.90 with a second process doing the same beside it: ≈ 6 % of a
//     step, for a p.grad that no longer holds the gradient after backward;
//   - two threads on an idle host (this tool, 3 × 300 steps): backward 1.48 → 0.91 ms (1.62×),
//     forward 1.39 → 0.78 (1.79×), sgdStep 0.53 → 0.39 (1.36×; alone, in a loop, 0.49 → 0.27),
//     step 3.64 → 2.34 ms.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { backend, initWasm, kernelsFor } from '../src/index.js';
import { loadData } from './data-node.js';
import { HandgradTrainer } from './contestants/handgrad.js';
import { defaultOmniglotDir, writeOmniglotTrainArrays } from './omniglot-node.js';
import { workloads } from './workloads.js';

const args = process.argv.slice(2);
function opt(name: string, def: number): number {
  const i = args.indexOf(name);
  return i < 0 ? def : Number(args[i + 1]);
}
const threads = opt('--threads', 2);
const steps = opt('--steps', 400);
const reps = opt('--reps', 5);

async function main(): Promise<void> {
  const root = join(import.meta.dirname, '..', '..');
  // the arrays the bench writes, kept between runs of this tool
  const cache = join(tmpdir(), 'handgrad-w3r-profile');
  const arrays = { x: join(cache, 'x.npy'), y: join(cache, 'y.npy') };
  const meta = join(cache, 'n.json');
  if (!existsSync(meta)) {
    mkdirSync(cache, { recursive: true });
    writeFileSync(meta, JSON.stringify(writeOmniglotTrainArrays(defaultOmniglotDir(root), cache).n));
  }
  const n = Number(JSON.parse(readFileSync(meta, 'utf8')));
  const base = workloads({}).W3r;
  const spec = { ...base, data: { kind: 'npy' as const, ...arrays, n, features: 11025, classes: 8, source: 'cache' } };
  await initWasm({ threads });
  const k = kernelsFor('float32');
  const times = new Map<string, number>();
  const cpuTimes = new Map<string, number>();
  const cpuNow = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e3;
  };
  // every kernel of the table, and the packed first layer's products (named packed.*), through a
  // timer (the layers look both up on each call)
  const packed = backend().packedSparse;
  const targets: [object, string, unknown][] = [
    ...Object.entries(k).map(([name, f]): [object, string, unknown] => [k, name, f]),
    ...Object.entries(packed ?? {}).map(([name, f]): [object, string, unknown] => [packed!, name, f]),
  ];
  for (const [owner, key, f] of targets) {
    if (typeof f !== 'function') continue;
    const name = owner === k ? key : `packed.${key}`;
    const timed = (...a: unknown[]): unknown => {
      const c = cpuNow();
      const t = performance.now();
      const r: unknown = Reflect.apply(f, owner, a);
      times.set(name, (times.get(name) ?? 0) + performance.now() - t);
      cpuTimes.set(name, (cpuTimes.get(name) ?? 0) + cpuNow() - c);
      return r;
    };
    Reflect.set(owner, key, timed);
  }
  const trainer = new HandgradTrainer(spec, (allocate, batch) => loadData(spec.data, allocate, batch));
  console.log(JSON.stringify(trainer.info));
  for (let i = 0; i < 50; i++) trainer.step();
  const perRep: Map<string, number>[] = [];
  const perRepCpu: Map<string, number>[] = [];
  const stepMs: number[] = [];
  const cpuPerWall: number[] = [];
  const cpuMs: number[] = [];
  for (let r = 0; r < reps; r++) {
    times.clear();
    cpuTimes.clear();
    const cpu = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < steps; i++) trainer.step();
    const wall = performance.now() - t;
    const used = process.cpuUsage(cpu);
    stepMs.push(wall / steps);
    cpuPerWall.push((used.user + used.system) / 1e3 / wall);
    cpuMs.push((used.user + used.system) / 1e3 / steps);
    perRep.push(new Map([...times].map(([name, v]) => [name, v / steps])));
    perRepCpu.push(new Map([...cpuTimes].map(([name, v]) => [name, v / steps])));
  }
  const median = (a: number[]): number => a.slice().sort((x, y) => x - y)[a.length >> 1]!;
  const names = [...new Set(perRep.flatMap((m) => [...m.keys()]))];
  const rows = names
    .map((name) => ({ name, ms: median(perRep.map((m) => m.get(name) ?? 0)), cpu: median(perRepCpu.map((m) => m.get(name) ?? 0)) }))
    .sort((a, b) => b.ms - a.ms);
  const step = median(stepMs);
  const stepCpu = median(cpuMs);
  const kernels = rows.reduce((s, r) => s + r.ms, 0);
  const kernelsCpu = rows.reduce((s, r) => s + r.cpu, 0);
  console.log(`threads ${threads}, ${reps} × ${steps} steps, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`  ${'per step'.padEnd(28)} ${step.toFixed(3)} ms wall (${Math.min(...stepMs).toFixed(3)}–${Math.max(...stepMs).toFixed(3)}), ${stepCpu.toFixed(3)} ms CPU: ${(64e3 / step).toFixed(0)} samples/s`);
  for (const r of rows) console.log(`  ${r.name.padEnd(28)} ${r.ms.toFixed(3)} ms wall ${r.cpu.toFixed(3)} ms CPU`);
  console.log(`  ${'rest (JS, hand-offs)'.padEnd(28)} ${(step - kernels).toFixed(3)} ms wall ${(stepCpu - kernelsCpu).toFixed(3)} ms CPU`);
}

void main();
