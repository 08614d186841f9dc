// `npm run bench`: handgrad beside its anchors, in one run.
//
//   node dist/bench/run.js [--quick] [--only W1,W2,W3,W3r,CNN,gemm] [--contestants handgrad-ref,torch]
//                          [--reps N] [--seconds S] [--warmup S] [--out DIR] [--no-python] [--omniglot DIR]
//
// For each workload, every contestant runs in its own child process (Node: dist/bench/child.js;
// Python: scripts/bench_numpy.py, scripts/bench_torch.py), all started before measuring and kept
// alive through the workload, so that repetitions can be interleaved: in each repetition every
// contestant trains for ≥ `seconds` in turn (order rotated per repetition), and the median of
// the repetitions is reported. Each child's RSS high-water mark is its peak memory. The GEMM
// task times the kernels alone on the study's shapes. Results go to <out>/<date>.json and a
// markdown summary to <out>/latest.md (also printed).

import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContestantProcess } from './child-process.js';
import {
  computeRatios, geomean, markdown, median,
  type BenchResults, type GemmResult, type TrainResult, type WorkloadResult,
} from './report.js';
import type { Reply } from './protocol.js';
import { gemmFlops, gemmShapes, workloads, type WorkloadId, type WorkloadSpec } from './workloads.js';
import { peakProbe } from './peak.js';
import { prepareOmniglotData } from './omniglot-node.js';
import { contestants, findRoot, parseOptions, type Contestant, type Options, type TaskKind } from './setup.js';

// ---- running ----------------------------------------------------------------------------------

const log = (s: string): void => {
  process.stderr.write(s + '\n');
};

/** Reasons a contestant cannot run, found once and reused for every later task. */
const unavailable = new Map<string, string>();
const prechecked = new Set<string>();

interface Live {
  c: Contestant;
  p: ContestantProcess;
  info: Record<string, unknown>;
}

async function startAll(list: Contestant[], task: { task: TaskKind; workload?: WorkloadSpec }, opts: Options):
  Promise<{ live: Live[]; failed: Map<string, { status: 'unavailable' | 'error'; reason: string }> }> {
  const failed = new Map<string, { status: 'unavailable' | 'error'; reason: string }>();
  const live: Live[] = [];
  for (const c of list) {
    if (!prechecked.has(c.name) && c.precheck) {
      const why = c.precheck();
      if (why) unavailable.set(c.name, why);
    }
    prechecked.add(c.name);
  }
  const starting = list.filter((c) => !unavailable.has(c.name)).map((c) => ({ c, p: new ContestantProcess(c.name, c.launch(task)) }));
  for (const c of list) if (unavailable.has(c.name)) failed.set(c.name, { status: 'unavailable', reason: unavailable.get(c.name)! });
  // The children set up (load data, compile) in parallel; nothing is measured until all are ready.
  const replies = await Promise.all(starting.map(({ p }) => p.next(opts.timeout)));
  starting.forEach(({ c, p }, i) => {
    const r = replies[i]!;
    if (r.type === 'ready') live.push({ c, p, info: r.info });
    else if (r.type === 'unavailable') {
      unavailable.set(c.name, r.reason);
      failed.set(c.name, { status: 'unavailable', reason: r.reason });
      p.kill();
    } else {
      failed.set(c.name, { status: 'error', reason: r.type === 'error' ? r.message : `unexpected reply ${r.type}` });
      p.kill();
    }
  });
  for (const [name, f] of failed) log(`  ${name}: ${f.status}: ${f.reason.split('\n')[0]}`);
  return { live, failed };
}

/** Order of the contestants in repetition `rep`: rotated, so nobody always runs first or last. */
function rotated<T>(xs: T[], rep: number): T[] {
  const k = xs.length ? rep % xs.length : 0;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

async function finish(l: Live, opts: Options): Promise<number | null> {
  const r = await l.p.request({ cmd: 'exit' }, Math.min(opts.timeout, 30_000));
  l.p.kill();
  return r.type === 'exit' && r.maxRssKiB > 0 ? r.maxRssKiB / 1024 : null;
}

async function runWorkload(described: WorkloadSpec, list: Contestant[], opts: Options): Promise<WorkloadResult> {
  log(`${described.id}: ${described.title}`);
  // W3r's drawings become .npy arrays every contestant reads (removed after the workload)
  const prepared = prepareOmniglotData(described);
  if ('reason' in prepared) {
    log(`  ${prepared.reason}`);
    const none = { reps: [], cpuPerWall: [], samplesPerSec: null, minSamplesPerSec: null, maxSamplesPerSec: null, gflops: null, peakRssMiB: null, lastLoss: null };
    const contestants = Object.fromEntries(list.map((c): [string, TrainResult] => [c.name, { status: 'unavailable', reason: prepared.reason, ...none }]));
    return { title: described.title, batch: described.batch, flopsPerSample: described.flopsPerSample, flopsNote: described.flopsNote, contestants, ratios: computeRatios(contestants) };
  }
  try {
    return await measureWorkload(prepared.spec, list, opts);
  } finally {
    if (prepared.tmp) rmSync(prepared.tmp, { recursive: true, force: true });
  }
}

async function measureWorkload(spec: WorkloadSpec, list: Contestant[], opts: Options): Promise<WorkloadResult> {
  const { live, failed } = await startAll(list, { task: 'train', workload: spec }, opts);
  const results: Record<string, TrainResult> = {};
  const empty = (): TrainResult => ({
    status: 'ok', reps: [], cpuPerWall: [], samplesPerSec: null, minSamplesPerSec: null, maxSamplesPerSec: null, gflops: null, peakRssMiB: null, lastLoss: null,
  });
  for (const c of list) results[c.name] = { ...empty(), ...(failed.get(c.name) ?? {}) };
  const broken = new Set<string>();
  const fail = (l: Live, r: Reply): void => {
    results[l.c.name] = { ...results[l.c.name]!, status: 'error', reason: r.type === 'error' ? r.message : `unexpected reply ${r.type}` };
    broken.add(l.c.name);
    log(`  ${l.c.name}: error: ${results[l.c.name]!.reason!.split('\n')[0]}`);
    l.p.kill();
  };
  for (const l of live) {
    results[l.c.name]!.info = l.info;
    const r = await l.p.request({ cmd: 'train', seconds: opts.warmup, minSteps: 1 }, opts.timeout);
    if (r.type !== 'train') fail(l, r);
  }
  for (let rep = 0; rep < opts.reps; rep++) {
    for (const l of rotated(live, rep)) {
      if (broken.has(l.c.name)) continue;
      const r = await l.p.request({ cmd: 'train', seconds: opts.seconds, minSteps: 1 }, opts.timeout);
      if (r.type !== 'train') {
        fail(l, r);
        continue;
      }
      results[l.c.name]!.reps.push(r.samples / r.seconds);
      results[l.c.name]!.cpuPerWall.push(r.cpuSeconds / r.seconds);
      results[l.c.name]!.lastLoss = r.loss;
    }
    log(`  rep ${rep + 1}/${opts.reps}: ${live.filter((l) => !broken.has(l.c.name)).map((l) => `${l.c.name} ${Math.round(results[l.c.name]!.reps.at(-1) ?? 0)}`).join(', ')}`);
  }
  for (const l of live) {
    const res = results[l.c.name]!;
    if (!broken.has(l.c.name)) res.peakRssMiB = await finish(l, opts);
    if (res.reps.length) {
      res.samplesPerSec = median(res.reps);
      res.minSamplesPerSec = Math.min(...res.reps);
      res.maxSamplesPerSec = Math.max(...res.reps);
      res.gflops = (res.samplesPerSec! * spec.flopsPerSample) / 1e9;
    }
  }
  return {
    title: spec.title, batch: spec.batch, flopsPerSample: spec.flopsPerSample, flopsNote: spec.flopsNote,
    contestants: results, ratios: computeRatios(results),
  };
}

async function runGemm(list: Contestant[], opts: Options): Promise<NonNullable<BenchResults['gemm']>> {
  const shapes = gemmShapes(64);
  log('gemm: GEMM alone on the study\'s shapes');
  const { live, failed } = await startAll(list, { task: 'gemm' }, opts);
  const results: Record<string, GemmResult> = {};
  for (const c of list) {
    const f = failed.get(c.name);
    results[c.name] = { status: f?.status ?? 'ok', reason: f?.reason, shapes: {}, geomean: null, peakRssMiB: null };
    for (const s of shapes) results[c.name]!.shapes[s.name] = { reps: [], gflops: null, microseconds: null };
  }
  const broken = new Set<string>();
  const ask = async (l: Live, s: (typeof shapes)[number], seconds: number, minCalls: number): Promise<number | null> => {
    if (broken.has(l.c.name)) return null;
    const r = await l.p.request({ cmd: 'gemm', shape: s, seconds, minCalls }, opts.timeout);
    if (r.type === 'gemm') return r.seconds / r.calls;
    results[l.c.name]!.status = 'error';
    results[l.c.name]!.reason = r.type === 'error' ? r.message : `unexpected reply ${r.type}`;
    broken.add(l.c.name);
    log(`  ${l.c.name}: error: ${results[l.c.name]!.reason!.split('\n')[0]}`);
    l.p.kill();
    return null;
  };
  for (const l of live) {
    results[l.c.name]!.info = l.info;
    for (const s of shapes) await ask(l, s, opts.gemmSeconds / 2, 1); // warm-up
  }
  // the 128-bit ceiling, probed in this (idle) parent process once per repetition, between GEMMs
  const probe = peakProbe();
  const peakReps: number[] = [];
  for (let rep = 0; rep < opts.reps; rep++) {
    for (const s of shapes) {
      for (const l of rotated(live, rep)) {
        const t = await ask(l, s, opts.gemmSeconds, 2);
        if (t !== null) results[l.c.name]!.shapes[s.name]!.reps.push(gemmFlops(s) / t / 1e9);
      }
    }
    if (probe) peakReps.push(probe.measure());
    log(`  rep ${rep + 1}/${opts.reps} done`);
  }
  for (const l of live) {
    const res = results[l.c.name]!;
    if (!broken.has(l.c.name)) res.peakRssMiB = await finish(l, opts);
    for (const s of shapes) {
      const e = res.shapes[s.name]!;
      e.gflops = median(e.reps);
      e.microseconds = e.gflops ? (gemmFlops(s) / (e.gflops * 1e9)) * 1e6 : null;
    }
    const all = shapes.map((s) => res.shapes[s.name]!.gflops);
    res.geomean = all.every((x): x is number => x !== null) ? geomean(all) : null;
  }
  const peak = probe ? { label: probe.label, reps: peakReps, gflops: median(peakReps) } : null;
  if (peak?.gflops) log(`  128-bit WebAssembly peak (${peak.label}): ${peak.gflops.toFixed(1)} GFLOP/s`);
  return { shapes, beta: 0, contestants: results, peak };
}

function gitCommit(root: string): string | null {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export async function main(argv: string[]): Promise<BenchResults> {
  const root = findRoot();
  const opts = parseOptions(argv, root);
  const t0 = Date.now();
  const all = contestants(opts, root);
  const specs = workloads({ omniglotDir: opts.omniglot });
  const date = new Date();
  const results: BenchResults = {
    meta: {
      date: date.toISOString(),
      node: process.versions.node,
      v8: process.versions.v8,
      cpu: cpus()[0]?.model ?? 'unknown CPU',
      cores: cpus().length,
      commit: gitCommit(root),
      loadavgBefore: loadavg().map((x) => x.toFixed(2)).join(' '),
      quick: opts.quick,
      reps: opts.reps,
      seconds: opts.seconds,
      warmup: opts.warmup,
      gemmSeconds: opts.gemmSeconds,
      tasks: opts.only,
      contestants: all.map((c) => c.name),
      python: opts.python,
      blasDir: opts.blasDir,
      blasNote: null,
    },
    workloads: {},
  };
  for (const t of opts.only) {
    if (t === 'gemm') {
      const list = all.filter((c) => c.tasks.includes('gemm'));
      if (list.length) results.gemm = await runGemm(list, opts);
    } else {
      const id = t as WorkloadId;
      const list = all.filter((c) => c.tasks.includes('train'));
      if (list.length) results.workloads[id] = await runWorkload(specs[id], list, opts);
    }
  }
  results.meta.busy = busyIndicator(results);
  results.meta.loadavgAfter = loadavg().map((x) => x.toFixed(2)).join(' ');
  results.meta.durationSeconds = Math.round((Date.now() - t0) / 100) / 10;
  results.meta.blasNote = blasNote(results);

  mkdirSync(opts.out, { recursive: true });
  const stamp = date.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const jsonPath = join(opts.out, `${stamp}.json`);
  writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n');
  const md = markdown(results);
  writeFileSync(join(opts.out, 'latest.md'), md + '\n');
  process.stdout.write(md + '\n');
  log(`wrote ${jsonPath} and ${join(opts.out, 'latest.md')} (${String(results.meta.durationSeconds)} s)`);
  return results;
}

/**
 * The median CPU/wall ratio of the one-thread training contestants: about 1 on a quiet machine;
 * lower means they waited for a core (other processes were running) and the numbers are noisy.
 */
function busyIndicator(r: BenchResults): number | null {
  const oneThread = ['handgrad-ref', 'handgrad-wasm-1t', 'tfjs-cpu', 'tfjs-wasm', 'torch-1t'];
  const xs: number[] = [];
  for (const w of Object.values(r.workloads)) {
    for (const [name, c] of Object.entries(w?.contestants ?? {})) if (oneThread.includes(name)) xs.push(...c.cpuPerWall);
  }
  return median(xs);
}

/** Which BLAS the Python anchors ran on, from the `blas` info their children reported. */
function blasNote(r: BenchResults): string | null {
  const infos: Record<string, unknown>[] = [];
  for (const w of Object.values(r.workloads)) for (const c of Object.values(w?.contestants ?? {})) if (c.info?.blas) infos.push(c.info as Record<string, unknown>);
  for (const c of Object.values(r.gemm?.contestants ?? {})) if (c.info?.blas) infos.push(c.info as Record<string, unknown>);
  if (!infos.length) return null;
  const notes = new Set<string>();
  for (const i of infos) {
    const b = i.blas as { openblas?: { corename: string; library: string }; warning?: string };
    notes.add(b.openblas ? `OpenBLAS, kernel ${b.openblas.corename} (${b.openblas.library})` : (b.warning ?? 'unknown'));
  }
  return [...notes].join('; ');
}

const invoked = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invoked) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
