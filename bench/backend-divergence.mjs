// How fast two backends' float32 training trajectories part: the Fashion-MNIST CNN with the
// command line's defaults (SGD lr 0.01, momentum 0.9, batch 64, seed 0), step by step.
//   node bench/backend-divergence.mjs run BACKEND STEPS OUT.json   per-step losses and final weights
//   node bench/backend-divergence.mjs compare REF.json A.json B.json …
//   node bench/backend-divergence.mjs epoch BACKEND SEED …           one epoch per seed: test loss and accuracy
// compare prints each run's per-step loss relative to REF's at a few steps, and the relative L2
// distance of its weights to REF's after the last step. Round-off alone (a different summation
// order) starts near 1e-9 and grows to percent within a hundred steps of momentum SGD, so two
// backends are as exact as each other when their distances to the reference grow alike.
// epoch trains whole epochs as `handgrad train --model cnn --data fashion-mnist --epochs 1 --seed S`
// does, on BACKEND: ref, wasm, webgpu, or wasm-fma / wasm-nofma (the relaxed-SIMD build, whose
// multiply-adds are fused on a CPU with FMA, or the standard build, a multiply then an add): the
// last two are one algorithm whose only difference is the rounding of a·b + c, which shows how far
// round-off alone moves an epoch's test accuracy.
// (webgpu in Node needs an adapter: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.)

import { readFileSync, writeFileSync } from 'node:fs';
import { initBackend, training } from '../dist/src/index.js';
import { loadDataset } from '../dist/src/node.js';

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'run') {
  const [kind, stepsArg, out] = rest;
  if (!kind || !out) throw new Error('usage: backend-divergence.mjs run BACKEND STEPS OUT.json');
  const steps = Number(stepsArg);
  await initBackend(kind);
  const data = await loadDataset('fashion-mnist');
  const s = new training.TrainingSession({ model: { kind: 'cnn' }, lr: 0.01, momentum: 0.9, batchSize: 64, epochs: 1, seed: 0 }, data);
  const losses = [];
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) losses.push(s.step().loss);
  const weights = s.model.parameters().flatMap((p) => Array.from(p.value.data));
  writeFileSync(out, JSON.stringify({ backend: kind, losses, weights }));
  console.log(`${kind}: ${steps} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${out}`);
  process.exit(0);
} else if (mode === 'compare') {
  const [ref, ...others] = rest.map((f) => JSON.parse(readFileSync(f, 'utf8')));
  if (!ref || others.length === 0) throw new Error('usage: backend-divergence.mjs compare REF.json A.json …');
  const n = Math.min(ref.losses.length, ...others.map((o) => o.losses.length));
  const rel = (a, b) => Math.abs(a - b) / Math.abs(b);
  console.log(`| step | ${ref.backend} loss | ${others.map((o) => `${o.backend} ÷ ${ref.backend} − 1`).join(' | ')} |`);
  console.log(`|---:|---:|${others.map(() => '---:').join('|')}|`);
  for (const s of [1, 2, 5, 10, 20, 50, 100, 150, 200, 500].filter((s) => s <= n)) {
    console.log(`| ${s} | ${ref.losses[s - 1].toFixed(6)} | ${others.map((o) => rel(o.losses[s - 1], ref.losses[s - 1]).toExponential(1)).join(' | ')} |`);
  }
  const dist = (a, b) => {
    let d = 0, m = 0;
    for (let i = 0; i < b.length; i++) { d += (a[i] - b[i]) ** 2; m += b[i] ** 2; }
    return Math.sqrt(d / m);
  };
  for (const o of others) {
    if (o.losses.length !== ref.losses.length) {
      console.log(`weights: ${o.backend} ran ${o.losses.length} steps, ${ref.backend} ${ref.losses.length}: not compared`);
    } else {
      console.log(`weights after step ${n}: ‖${o.backend} − ${ref.backend}‖/‖${ref.backend}‖ = ${dist(o.weights, ref.weights).toExponential(2)}`);
    }
  }
} else if (mode === 'epoch') {
  const [kind, ...seeds] = rest;
  if (!kind || seeds.length === 0) throw new Error('usage: backend-divergence.mjs epoch BACKEND SEED …');
  const builds = { 'wasm-fma': true, 'wasm-nofma': false };
  await (kind in builds ? initBackend('wasm', { relaxed: builds[kind] }) : initBackend(kind));
  const data = await loadDataset('fashion-mnist');
  console.log(`| backend | seed | train loss | test loss | test accuracy % |\n|---|---:|---:|---:|---:|`);
  for (const seed of seeds.map(Number)) {
    const s = new training.TrainingSession({ model: { kind: 'cnn' }, data: 'fashion-mnist', epochs: 1, seed }, data);
    const e = (await s.run()).at(-1);
    console.log(`| ${kind} | ${seed} | ${e.trainLoss.toFixed(4)} | ${e.testLoss.toFixed(4)} | ${(100 * e.testAccuracy).toFixed(2)} |`);
  }
  process.exit(0);
} else {
  throw new Error('usage: backend-divergence.mjs run BACKEND STEPS OUT.json | compare REF.json A.json … | epoch BACKEND SEED …');
}
