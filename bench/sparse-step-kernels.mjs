#!/usr/bin/env node
// The three first-layer kernels of a W3r training step, one thread, with the caches as a step
// leaves them: a batch of 64 real Omniglot drawings (11025 pixels, ink ≈ 9 %) through 11025 → 150,
//   fwd   sparseGemmForward    y = (S[rows] + 1·cᵀ)·Wᵀ
//   bwd   sparseGemmBackward   dW = dyᵀ·(S[rows] + 1·cᵀ)   (beta 0, as after zeroGrad)
//   sgd   sgdStep              W ← W − lr·dW               (lr 0.01, no momentum: W3r's rule)
//   pfwd  sparseColumns + sparsePackedForward     the same y from the packed weight, the batch
//                                                 sorted by column for the backward
//   psgd  sparseColumnsProduct (mode 1)           bwd then sgd in one pass, on the packed weight
//   (the packed pair, where a build has it, is the step the Linear layer runs with plain SGD:
//   pfwd + psgd against fwd + bwd + sgd)
// each call on the next of 4 copies of W and dW (53 MB: more than the last-level cache, as W and
// dW are by the time a step comes back to them). bench/sparse-kernels.mjs times the same
// products with W hot in the cache, beside the dense GEMM.
//
//   npm run build && node bench/sparse-step-kernels.mjs [--rounds 7] [--only fwd,bwd,sgd] label=path.{ts,wasm} ...
//   (no module given: the committed relaxed-plain build)
//
// Builds are interleaved round by round (each in its own plain memory); per build and kernel it
// prints the median and range over rounds of the CPU milliseconds per call (process CPU time, so
// time slices lost to other processes do not count). Then whether every build's y, dW and W after
// one call each are bit for bit those of the first build.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bumpAllocator, cpuMs, omniglotDrawings, takeOption, uniformStream, wasmBytes } from './wasm-builds.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => takeOption(args, name, def);
const rounds = Number(opt('--rounds', '7'));
const only = opt('--only', 'fwd,bwd,sgd,pfwd,psgd').split(',');
const omniglotDir = process.env.HANDGRAD_OMNIGLOT_DIR ?? join(root, '..', 'shared', 'data', 'omniglot');
const specs = args.length ? args.map((a) => a.split('=')) : [['relaxed', join(root, 'src/kernels/wasm/generated/relaxed-plain.ts')]];

const M = 64, N = 150, K = 11025, COPIES = 4, LR = 0.01;

const rng = uniformStream(12345);

// The batch in CSR (the normalised ink, −1/σ), rows permuted as a loader hands them, and the
// operands every build starts from.
const drawings = omniglotDrawings(omniglotDir, M); // paper 1, ink 0
const colIdx = [], values = [], rowPtr = [0];
for (const d of drawings) {
  for (let k = 0; k < K; k++) if (d[k] !== 1) { colIdx.push(k); values.push(-1 / 0.2745); }
  rowPtr.push(colIdx.length);
}
const nnz = colIdx.length;
const rows = Int32Array.from({ length: M }, (_, i) => (i * 37) % M);
const c = new Float32Array(K).fill((1 - 0.9187) / 0.2745);
const dy = Float32Array.from({ length: M * N }, () => rng() - 0.5);
const W0 = Array.from({ length: COPIES }, () => Float32Array.from({ length: N * K }, () => (rng() - 0.5) / 50));

/** One build on its own plain memory: the batch, and the copies of W and dW. */
function instantiate(label, path) {
  const memory = new WebAssembly.Memory({ initial: 2048 }); // 128 MiB
  const ex = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes(path)), { env: { memory } }).exports;
  const { alloc, f32, i32, fits } = bumpAllocator(memory, ex.heapBase());
  const pv = alloc(4 * nnz), pc = alloc(4 * nnz), pp = alloc(4 * (M + 1)), pr = alloc(4 * M), pk = alloc(4 * K);
  const pdy = alloc(4 * M * N), py = alloc(4 * M * N);
  f32(pv, nnz).set(values); i32(pc, nnz).set(colIdx); i32(pp, M + 1).set(rowPtr); i32(pr, M).set(rows);
  f32(pk, K).set(c); f32(pdy, M * N).set(dy);
  const Ws = W0.map((w) => { const at = alloc(4 * N * K); f32(at, N * K).set(w); return at; });
  const dWs = W0.map(() => alloc(4 * N * K));
  // (a build whose sparseScratchBytes takes M and K only ignores the third argument)
  const scratch = alloc(ex.sparseScratchBytes(M, K, nnz));
  // the packed first layer (builds that have it): W packed, the batch's columns, one stored value
  const packed = typeof ex.sparsePackedForward === 'function';
  const Wts = packed ? W0.map(() => alloc(4 * Math.ceil(N / 16) * 16 * K)) : [];
  const pcp = alloc(4 * (K + 1)), per = alloc(4 * nnz), pev = alloc(4 * nnz);
  if (!fits()) throw new Error(`${label}: 128 MiB is not enough`);
  Wts.forEach((at, i) => ex.packWeight(Ws[i], N, K, at));
  let next = 0;
  const kernels = {
    fwd: (i) => ex.sparseGemmForward(pr, pp, pc, pv, pk, Ws[i], py, M, N, K, scratch),
    bwd: (i) => ex.sparseGemmBackward(pr, pp, pc, pv, pk, pdy, dWs[i], M, N, K, 0, scratch),
    sgd: (i) => ex.sgdStep(Ws[i], dWs[i], 0, N * K, LR, 0, 0, 0, 0, 0),
    // packed forward (the sort of the batch by column included, as a training step runs it), and
    // the backward by columns with the SGD step applied to the packed weight
    pfwd: (i) => {
      ex.sparseColumns(pr, pp, pc, pv, M, K, pcp, per, pev);
      ex.sparsePackedForward(pr, pp, pc, pv, 1, values[0], pk, Wts[i], py, M, N, K, scratch);
    },
    psgd: (i) => ex.sparseColumnsProduct(pcp, per, pev, 1, values[0], pk, pdy, 1, 0, LR, 0, Wts[i], M, N, K, scratch),
  };
  if (!packed) for (const name of ['pfwd', 'psgd']) kernels[name] = () => {};
  return {
    label,
    call: (name) => kernels[name](next++ % COPIES),
    /** y, dW and W of copy 0 after one forward, backward and step on it. */
    results: () => {
      kernels.fwd(0); kernels.bwd(0); kernels.sgd(0);
      return [f32(py, M * N), f32(dWs[0], N * K), f32(Ws[0], N * K)].map((a) => new Uint32Array(Float32Array.from(a).buffer));
    },
  };
}

const builds = specs.map(([label, path]) => instantiate(label, path));
const times = builds.map(() => Object.fromEntries(only.map((n) => [n, []])));
for (const b of builds) for (const name of only) for (let i = 0; i < 2 * COPIES; i++) b.call(name);
for (let r = 0; r < rounds; r++) {
  builds.forEach((b, bi) => {
    for (const name of only) {
      const calls = 8 * COPIES;
      const t = cpuMs();
      for (let i = 0; i < calls; i++) b.call(name);
      times[bi][name].push((cpuMs() - t) / calls);
    }
  });
}

const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
console.log(`first-layer kernels of a W3r step, one thread, CPU ms per call (median [min–max] of ${rounds} rounds); ` +
  `${M} Omniglot drawings, ${((100 * nnz) / (M * K)).toFixed(1)} % ink, 11025 → ${N}, W and dW rotated over ${COPIES} copies`);
console.log(`| build | ${only.join(' | ')} |\n|---|${only.map(() => '---:').join('|')}|`);
builds.forEach((b, bi) => {
  const cell = (n) => `${median(times[bi][n]).toFixed(3)} [${Math.min(...times[bi][n]).toFixed(3)}–${Math.max(...times[bi][n]).toFixed(3)}]`;
  console.log(`| ${b.label} | ${only.map(cell).join(' | ')} |`);
});
const first = builds[0].results();
for (const b of builds.slice(1)) {
  const same = b.results().map((a, i) => a.every((v, j) => v === first[i][j]));
  console.log(`${b.label}: y ${same[0] ? 'identical' : 'DIFFERS'}, dW ${same[1] ? 'identical' : 'DIFFERS'}, W after the step ${same[2] ? 'identical' : 'DIFFERS'} (to ${builds[0].label})`);
}
