#!/usr/bin/env node
// How long the assignment's whole experiment grid (src/train/grid.ts: 14 runs × 200 epochs)
// takes on Omniglot-12's shape, estimated from measured epoch times of the real command line.
//
//   npm run build && node bench/grid-estimate.mjs [--epochs 3] [--jobs 2] [--only 2.1a,2.4c]
//
// 1. Writes a seeded synthetic data set of Omniglot-12's shape (105×105 = 11025 inputs,
//    12 classes, 6660 train and 1660 test samples; uint8 pixels, uniformly random) as a Keras-style
//    .npz into a temporary folder. Random pixels train no differently per epoch than real ones:
//    an epoch costs the same FLOPs whatever the values.
// 2. Runs `handgrad experiments --data <that file> --epochs E --jobs J` (the real CLI: one
//    `handgrad train` process per run, J at a time, each on the default backend, one thread),
//    exactly as a user would, and reads each run's history.jsonl.
// 3. Estimates each run's 200 epochs as 200 × its median epoch time (training and the test pass,
//    as the EpochRecord's `seconds`; the first epoch is left out when E ≥ 3: it includes the
//    engine's warm-up), and the whole grid as the makespan of those durations on J slots, handed
//    out longest first as `experiments` does. Process start and data loading are measured too
//    (wall time of the command minus the epochs) and added per run.
// Writes bench/results/grid-estimate.md and .json; prints the table.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { peakProbe } from '../dist/bench/peak.js';
import { GRID, longestFirst } from '../dist/src/train/grid.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i < 0 ? def : args[i + 1];
};
const EPOCHS = Number(opt('--epochs', '3'));
const JOBS = Number(opt('--jobs', '2'));
const ONLY = opt('--only', '');
const FULL_EPOCHS = 200;
const SHAPE = { features: 105 * 105, classes: 12, train: 6660, test: 1660 };

/** A .npy file: magic, version 1.0, a header dict padded with spaces to a 64-byte boundary. */
function npy(descr, shape, bytes) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + header.length + bytes.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  out.set(new TextEncoder().encode(header), 10);
  out.set(bytes, 10 + header.length);
  return out;
}

/** xorshift32: seeded pixels and labels (the values do not matter for timing, only the shape). */
function filler(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

function syntheticNpz(path) {
  const next = filler(12);
  const part = (n) => {
    const x = new Uint8Array(n * SHAPE.features);
    for (let i = 0; i < x.length; i++) x[i] = next() & 0xff;
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) y[i] = next() % SHAPE.classes;
    return { x: npy('|u1', [n, SHAPE.features], x), y: npy('|u1', [n], y) };
  };
  const tr = part(SHAPE.train), te = part(SHAPE.test);
  writeFileSync(path, zipSync({ 'x_train.npy': tr.x, 'y_train.npy': tr.y, 'x_test.npy': te.x, 'y_test.npy': te.y }, { level: 0 }));
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Makespan of `durations` handed out in order to `slots` workers (each takes the next when free). */
function makespan(durations, slots) {
  const free = new Array(slots).fill(0);
  for (const d of durations) {
    const i = free.indexOf(Math.min(...free));
    free[i] += d;
  }
  return Math.max(...free);
}

const fmt = (s) => (s >= 3600 ? `${(s / 3600).toFixed(2)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`);

function main() {
  const dir = mkdtempSync(join(tmpdir(), 'handgrad-grid-'));
  try {
    const data = join(dir, 'omniglot12-shape.npz');
    syntheticNpz(data);
    const out = join(dir, 'runs');
    const load0 = loadavg();
    const t0 = performance.now();
    const cli = [join(root, 'bin', 'handgrad.js'), 'experiments', '--data', data, '--epochs', String(EPOCHS), '--jobs', String(JOBS), '--out', out, ...(ONLY ? ['--only', ONLY] : [])];
    const r = spawnSync(process.execPath, cli, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) {
      console.error(r.stdout, r.stderr);
      throw new Error(`handgrad experiments exited with ${r.status}`);
    }
    const ids = readdirSync(out).filter((d) => /^2\.\d[a-z]$/.test(d)).sort();
    const runs = ids.map((id) => {
      const history = readFileSync(join(out, id, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const config = JSON.parse(readFileSync(join(out, id, 'config.json'), 'utf8'));
      const secs = history.map((h) => h.seconds);
      const steady = secs.length >= 3 ? secs.slice(1) : secs;
      const epoch = median(steady);
      return {
        id, hidden: config.model?.hidden ?? config.config?.model?.hidden, epochSeconds: secs, medianEpochSeconds: epoch,
        samplesPerSecond: median(history.map((h) => h.samplesPerSecond)), estimatedSeconds: epoch * FULL_EPOCHS,
      };
    });
    const epochsTotal = runs.reduce((s, r) => s + r.epochSeconds.reduce((a, b) => a + b, 0), 0);
    // Start-up per run (process, module compile, data load, checkpoint writes): the command's
    // wall time minus its epochs' share, spread over the runs.
    // The floor: the grid's multiply-adds at 100 % of the 128-bit WebAssembly peak on every slot.
    // Per training sample 6 · weights, less the first layer's dL/dx (2 · inputs · width, not
    // computed); per test sample 2 · weights (forward only).
    const probe = peakProbe();
    const peak = probe ? Math.max(...Array.from({ length: 5 }, () => probe.measure())) : null;
    let flops = 0;
    for (const r of runs) {
      const sizes = [SHAPE.features, ...r.hidden, SHAPE.classes];
      const weights = sizes.slice(1).reduce((s, h, i) => s + h * sizes[i], 0);
      flops += FULL_EPOCHS * (SHAPE.train * (6 * weights - 2 * SHAPE.features * sizes[1]) + SHAPE.test * 2 * weights);
    }
    const floor = peak ? flops / (peak * 1e9 * Math.min(JOBS, runs.length)) : null;
    const slots = Math.min(JOBS, runs.length);
    const overheadPerRun = Math.max(0, (wall * slots - epochsTotal) / runs.length);
    // handed out in the order `experiments` starts them (its own longestFirst)
    const byId = new Map(runs.map((r) => [r.id, r]));
    const order = longestFirst(GRID.filter((g) => byId.has(g.id)), SHAPE.features, SHAPE.classes).map((g) => byId.get(g.id));
    const grid = makespan(order.map((r) => r.estimatedSeconds + overheadPerRun), JOBS);
    const gridTableOrder = makespan(runs.map((r) => r.estimatedSeconds + overheadPerRun), JOBS);
    const result = {
      date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: cpus().length, node: process.version,
      loadBefore: load0, loadAfter: loadavg(), shape: SHAPE, measuredEpochs: EPOCHS, jobs: JOBS,
      commandSeconds: wall, overheadPerRunSeconds: overheadPerRun, runs, estimatedGridSeconds: grid, estimatedGridSecondsInTableOrder: gridTableOrder,
      gridTflop: flops / 1e12, peakGflopsPerCore: peak, floorSeconds: floor,
    };
    const lines = [
      `# The experiment grid on Omniglot-12's shape — estimate of ${result.date}`,
      '',
      `${result.cpu}, ${result.cores} cores, Node ${process.version}; load average before/after ${load0.map((l) => l.toFixed(2)).join(' ')} / ${result.loadAfter.map((l) => l.toFixed(2)).join(' ')}.`,
      `\`handgrad experiments --data <synthetic ${SHAPE.features}-feature, ${SHAPE.classes}-class npz: ${SHAPE.train} train, ${SHAPE.test} test> --epochs ${EPOCHS} --jobs ${JOBS}\` (one thread per run) took ${fmt(wall)};`,
      `each run's ${FULL_EPOCHS} epochs are estimated as ${FULL_EPOCHS} × its median epoch${EPOCHS >= 3 ? ' (epochs 2…)' : ''}, plus ${overheadPerRun.toFixed(1)} s of start-up per run, handed out to ${JOBS} slots, longest first.`,
      '',
      '| run | hidden | s per epoch (train + test pass) | train samples/s | 200 epochs |',
      '|---|---|---:|---:|---:|',
      ...runs.map((r) => `| ${r.id} | [${(r.hidden ?? []).join(', ')}] | ${r.medianEpochSeconds.toFixed(2)} | ${Math.round(r.samplesPerSecond).toLocaleString('en-US')} | ${fmt(r.estimatedSeconds)} |`),
      '',
      `**Whole grid (${runs.length} runs × ${FULL_EPOCHS} epochs, ${JOBS} at a time, longest first as \`experiments\` hands them out): ≈ ${fmt(grid)}** (in table order it would be ${fmt(gridTableOrder)}).`,
      '',
      floor === null ? '' : `The floor: the grid's ${(flops / 1e12).toFixed(0)} TFLOP of products at 100 % of this machine's 128-bit WebAssembly peak (${peak.toFixed(1)} GFLOP/s per core, ${probe.label}, measured now) on ${slots} cores take ${fmt(floor)}; the estimate is ${(floor / grid * 100).toFixed(0)} % of that speed.`,
      '',
    ];
    const resultsDir = join(root, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'grid-estimate.json'), JSON.stringify(result, null, 2) + '\n');
    writeFileSync(join(resultsDir, 'grid-estimate.md'), lines.join('\n'));
    console.log(lines.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
