#!/usr/bin/env node
// Two builds of handgrad training the same MLP on sparse batches of real Omniglot drawings, side
// by side: the CPU milliseconds of a training step (forward, cross-entropy, zeroGrad, backward,
// SGD step), on the wasm backend. For a change to the sparse first layer, compare its dist/ with
// one built at another commit (git worktree add /tmp/base <commit> && cd /tmp/base &&
// ln -s <repo>/node_modules && npx tsc -p tsconfig.json).
//
//   npm run build && node bench/first-layer-ab.mjs [--hidden 150] [--momentum 0] [--threads 1]
//       [--rounds 5] [--steps 200] label=path/to/dist ...        (no build given: this dist/)
//
// Each build runs in its own process (one wasm runtime each), rounds interleaved build by build;
// prints per build the median and range over rounds of the CPU ms per step (the process's, all
// threads: other processes' time slices do not count). The batches are the first layer's sparse
// form of Omniglot-small's training drawings (11025 pixels, ink ≈ 8 %), 64 rows a step in a
// fixed order, as bench/w3r-profile.ts caches them.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { takeOption } from './wasm-builds.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => takeOption(args, name, def);

if (process.env.HANDGRAD_AB_CHILD) {
  // one round in this process: `steps` steps after 50 of warm-up, repeated `rounds` times
  const [dist, hidden, momentum, threads, rounds, steps, cache] = JSON.parse(process.env.HANDGRAD_AB_CHILD);
  const lib = await import(join(dist, 'src', 'index.js'));
  const { SparseRows, rowIndices } = await import(join(dist, 'src', 'layers', 'sparse-input.js'));
  const { mlp } = await import(join(dist, 'src', 'models', 'mlp.js'));
  const { SGD } = await import(join(dist, 'src', 'optim', 'sgd.js'));
  const { CrossEntropyLoss } = await import(join(dist, 'src', 'layers', 'losses.js'));
  await lib.initWasm({ threads });
  const buf = readFileSync(join(cache, 'x.npy'));
  const x = new Float32Array(buf.buffer.slice(buf.byteOffset + 10 + buf.readUInt16LE(8)));
  const n = x.length / 11025;
  // the arrays are normalised already: the background is the most common value, the first pixel's
  const matrix = SparseRows.fromDense(x, n, 11025, { background: x[0] });
  const net = mlp(11025, hidden, 8, { rng: new lib.Random(1) });
  net.layers[0].computeInputGradient = false;
  const opt = new SGD(net.parameters(), { lr: 0.001, momentum });
  const ce = new CrossEntropyLoss();
  const rows = rowIndices(64);
  const labels = Int32Array.from({ length: 64 }, (_, i) => i % 8);
  const step = (s) => {
    for (let i = 0; i < 64; i++) rows[i] = (s * 64 + i * 13) % n;
    ce.forward(net.forwardSparse({ matrix, rows }), labels);
    opt.zeroGrad();
    net.backward(ce.backward());
    opt.step();
  };
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  for (let s = 0; s < 50; s++) step(s);
  const out = [];
  for (let r = 0; r < rounds; r++) {
    const t = cpu();
    for (let s = 0; s < steps; s++) step(s);
    out.push((cpu() - t) / steps);
  }
  process.stdout.write(JSON.stringify(out));
  await lib.shutdownWasm();
} else {
  const hidden = opt('--hidden', '150').split(',').map(Number);
  const momentum = Number(opt('--momentum', '0'));
  const threads = Number(opt('--threads', '1'));
  const rounds = Number(opt('--rounds', '5'));
  const steps = Number(opt('--steps', '200'));
  const builds = args.length ? args.map((a) => a.split('=')) : [['this', join(root, 'dist')]];
  // the cached arrays of bench/w3r-profile.ts, written on first use
  const cache = join(tmpdir(), 'handgrad-w3r-profile');
  if (!existsSync(join(cache, 'x.npy'))) {
    mkdirSync(cache, { recursive: true });
    const { defaultOmniglotDir, writeOmniglotTrainArrays } = await import(join(root, 'dist', 'bench', 'omniglot-node.js'));
    writeOmniglotTrainArrays(defaultOmniglotDir(root), cache);
  }
  const times = builds.map(() => []);
  for (let r = 0; r < rounds; r++) {
    builds.forEach(([label, dist], b) => {
      const env = { ...process.env, HANDGRAD_AB_CHILD: JSON.stringify([resolve(dist), hidden, momentum, threads, 1, steps, cache]) };
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], { env, encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`${label}: ${child.stderr}`);
      times[b].push(...JSON.parse(child.stdout));
    });
  }
  const median = (a) => a.slice().sort((p, q) => p - q)[a.length >> 1];
  console.log(`11025 → [${hidden}] → 8, SGD lr 0.001 momentum ${momentum}, batch 64, ${threads} thread(s): CPU ms per step, median [min–max] of ${rounds} rounds of ${steps} steps`);
  builds.forEach(([label], b) => console.log(`${label.padEnd(12)} ${median(times[b]).toFixed(3)} [${Math.min(...times[b]).toFixed(3)}–${Math.max(...times[b]).toFixed(3)}]`));
}
