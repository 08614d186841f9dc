#!/usr/bin/env node
// The sparse first-layer kernels alone against the dense GEMM they replace, on one thread, on the
// course's shapes: a batch of 64 rows of real Omniglot images (105×105, ink ≈ 8.5 %; synthetic
// rows of the same density when the images are not there) through 11025 → 60 / 150 / 600, and
// MNIST-like rows (784 features, 19 % non-zero) through 784 → 128.
//
//   npm run build && node bench/sparse-kernels.mjs [--rounds 7] [--omniglot DIR] label=path.{ts,wasm} ...
//   (no module given: the committed relaxed-plain build)
//
// Each build runs in its own plain memory; builds and shapes are interleaved round by round, so a
// load change on a shared machine hits all alike. Per shape it prints the CPU milliseconds of the
// fastest call (process CPU time: time slices lost to other processes do not count) of
//   sparse fwd   y = (S[rows] + 1·cᵀ)·Wᵀ               sparseGemmForward
//   sparse bwd   dW = dyᵀ·(S[rows] + 1·cᵀ)             sparseGemmBackward (beta 0)
//   dense fwd    y = x·Wᵀ   (GEMM NT, the dense x of the same rows)
//   dense bwd    dW = dyᵀ·x (GEMM TN)
// and the speed-up (dense fwd + bwd) / (sparse fwd + bwd).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bumpAllocator, cpuMs, omniglotDrawings, takeOption, uniformStream, wasmBytes } from './wasm-builds.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => takeOption(args, name, def);
const rounds = Number(opt('--rounds', '7'));
const omniglotDir = opt('--omniglot', process.env.HANDGRAD_OMNIGLOT_DIR ?? join(root, '..', 'shared', 'data', 'omniglot'));
const specs = args.length ? args.map((a) => a.split('=')) : [['relaxed', join(root, 'src/kernels/wasm/generated/relaxed-plain.ts')]];

/** `n` Omniglot drawings (paper 1, ink 0), or null when the zips are not there. */
function omniglotRows(n) {
  try {
    const rows = omniglotDrawings(omniglotDir, n);
    return rows.length >= n ? rows : null;
  } catch {
    return null;
  }
}

const rng = uniformStream(12345);

/** Rows of `features` values: the background 0 except a fraction `density` of entries. */
function syntheticRows(n, features, density) {
  return Array.from({ length: n }, () => Float32Array.from({ length: features }, () => (rng() < density ? rng() : 0)));
}

const M = 64;
const real = omniglotRows(M);
const omniglot = real ?? syntheticRows(M, 11025, 0.085);
const mnistLike = syntheticRows(M, 784, 0.19);
const cases = [
  ...[60, 150, 600].map((N) => ({ name: `omniglot ${M}×11025 → ${N}`, rows: omniglot, background: real ? 1 : 0, N })),
  { name: `mnist-like ${M}×784 → 128`, rows: mnistLike, background: 0, N: 128 },
];

/** One build on its own plain memory: the data of every case laid out once. */
function instantiate(label, path) {
  const memory = new WebAssembly.Memory({ initial: 4096 }); // 256 MiB
  const inst = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes(path)), { env: { memory } });
  const ex = inst.exports;
  const { alloc, f32, i32, fits } = bumpAllocator(memory, ex.heapBase());
  const gemmScratch = alloc(ex.scratchBytes());
  const data = cases.map((cs) => {
    const K = cs.rows[0].length, N = cs.N, b = cs.background;
    let nnz = 0;
    for (const r of cs.rows) for (const v of r) if (v !== b) nnz++;
    const pv = alloc(4 * nnz), pc = alloc(4 * nnz), pp = alloc(4 * (M + 1)), prow = alloc(4 * M), pconst = alloc(4 * K);
    const values = f32(pv, nnz), colIdx = i32(pc, nnz), rowPtr = i32(pp, M + 1), rowsIdx = i32(prow, M);
    const px = alloc(4 * M * K), pw = alloc(4 * N * K), py = alloc(4 * M * N), pdy = alloc(4 * M * N), pdw = alloc(4 * N * K);
    const x = f32(px, M * K);
    let j = 0;
    cs.rows.forEach((r, i) => {
      rowPtr[i] = j;
      rowsIdx[i] = M - 1 - i; // a permuted batch, as the loader hands it
      for (let k = 0; k < K; k++) if (r[k] !== b) { values[j] = r[k] - b; colIdx[j++] = k; }
    });
    rowPtr[M] = j;
    cs.rows.forEach((_, i) => x.set(cs.rows[rowsIdx[i]], i * K));
    f32(pconst, K).fill(b);
    const w = f32(pw, N * K);
    for (let i = 0; i < w.length; i++) w[i] = rng() - 0.5;
    const dy = f32(pdy, M * N);
    for (let i = 0; i < dy.length; i++) dy[i] = rng() - 0.5;
    const scratch = alloc(ex.sparseScratchBytes(M, K));
    return { K, N, nnz, pv, pc, pp, prow, pconst, px, pw, py, pdy, pdw, scratch };
  });
  if (!fits()) throw new Error(`${label}: 256 MiB is not enough for the cases`);
  const kernels = {
    'sparse fwd': (d) => ex.sparseGemmForward(d.prow, d.pp, d.pc, d.pv, d.pconst, d.pw, d.py, M, d.N, d.K, d.scratch),
    'sparse bwd': (d) => ex.sparseGemmBackward(d.prow, d.pp, d.pc, d.pv, d.pconst, d.pdy, d.pdw, M, d.N, d.K, 0, d.scratch),
    'dense fwd': (d) => ex.gemm(0, 1, M, d.N, d.K, 1, d.px, d.pw, 0, d.py, gemmScratch),
    'dense bwd': (d) => ex.gemm(1, 0, d.N, d.K, M, 1, d.pdy, d.px, 0, d.pdw, gemmScratch),
  };
  return { label, data, kernels };
}

/** CPU ms of the fastest of a few calls (at least ~20 ms of calls in all). */
function fastest(f) {
  f();
  let best = Infinity;
  const t0 = cpuMs();
  let calls = 0;
  while (calls < 3 || cpuMs() - t0 < 20) {
    const c = cpuMs();
    f();
    best = Math.min(best, cpuMs() - c);
    calls++;
  }
  return best;
}

const builds = specs.map(([label, path]) => instantiate(label, path));
const names = Object.keys(builds[0].kernels);
const best = builds.map(() => cases.map(() => Object.fromEntries(names.map((n) => [n, Infinity]))));
for (let r = 0; r < rounds; r++) {
  cases.forEach((_, ci) => {
    for (const name of names) {
      builds.forEach((b, bi) => {
        const t = fastest(() => b.kernels[name](b.data[ci]));
        best[bi][ci][name] = Math.min(best[bi][ci][name], t);
      });
    }
  });
}

console.log(`sparse first-layer kernels vs dense GEMM, one thread, CPU ms of the fastest call over ${rounds} rounds` +
  ` (${real ? `real Omniglot from ${omniglotDir}` : 'synthetic rows of 8.5 % ink: no Omniglot images found'})`);
cases.forEach((cs, ci) => {
  const d = builds[0].data[ci];
  console.log(`\n${cs.name} (${((100 * d.nnz) / (M * d.K)).toFixed(1)} % non-background)`);
  console.log(`| build | ${names.join(' | ')} | speed-up |\n|---|${names.map(() => '---:').join('|')}|---:|`);
  builds.forEach((b, bi) => {
    const t = best[bi][ci];
    const speed = (t['dense fwd'] + t['dense bwd']) / (t['sparse fwd'] + t['sparse bwd']);
    console.log(`| ${b.label} | ${names.map((n) => t[n].toFixed(3)).join(' | ')} | ${speed.toFixed(2)}× |`);
  });
});
