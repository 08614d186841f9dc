// The wasm products with sparse rows (sparseGemmForward, sparseGemmBackward) against the reference
// kernels (the specification), on every build (standard and relaxed SIMD, 1 and 2 threads, a plain
// memory): fuzzed shapes across the 16-column chunks and the 4096-column blocks of K, repeated and
// empty rows, beta 0 / 1 / other, NaN; the CSR in WASM memory with the batch's arrays in memory or
// in JS arrays (staged), and the CSR outside WASM memory (the reference runs). And the result does
// not depend on the thread count: 1 and 2 threads give the same bits.
//
// Tolerance (float32 accumulation against the reference's float64, like gemm in kernels.test.ts):
//   |Δ| ≤ 1e-5 · (|A|·|W|ᵀ) forward,  |Δ| ≤ 1e-5 · (|dy|ᵀ·|A| + |beta|·|dW₀|) backward,
// where |A| has entries |S| + |c|: the sum of the magnitudes of the terms.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { refKernels } from '../../src/kernels/ref/index.js';
import type { WasmRuntime } from '../../src/kernels/wasm/index.js';
import { Random } from '../../src/random.js';
import { CONFIGS, inMemory, makeRuntime, randomArray } from './helpers.js';

interface Csr {
  rowPtr: Int32Array;
  colIdx: Int32Array;
  values: Float32Array;
}

/** A CSR matrix of R rows × K columns with about `density` of its entries stored (some rows empty). */
function randomCsr(rng: Random, R: number, K: number, density: number, nan = false): Csr {
  const rowPtr = new Int32Array(R + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  for (let r = 0; r < R; r++) {
    rowPtr[r] = cols.length;
    if (r % 5 === 3) continue; // an empty row
    for (let k = 0; k < K; k++) {
      if (rng.uniform() < density) {
        cols.push(k);
        vals.push(rng.normal());
      }
    }
  }
  rowPtr[R] = cols.length;
  const values = Float32Array.from(vals);
  if (nan && values.length > 0) values[Math.floor(values.length / 2)] = NaN;
  return { rowPtr, colIdx: Int32Array.from(cols), values };
}

const abs = (a: Float32Array): Float32Array => a.map(Math.abs);

/** First index where |got − want| > 1e-5·bound (NaN must meet NaN), or −1. */
function firstBad(got: Float32Array, want: Float32Array, bound: Float32Array): number {
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) ? !Number.isNaN(g) : !(Math.abs(g - w) <= 1e-5 * bound[i]! + 1e-30)) return i;
  }
  return -1;
}

/** Shapes crossing the chunk (16 columns) and block (4096 columns of K) edges. */
const SHAPES: readonly [M: number, N: number, K: number, density: number][] = [
  [1, 1, 1, 1], [3, 5, 7, 0.5], [7, 16, 33, 0.3], [9, 17, 100, 0.2], [64, 150, 1000, 0.085],
  [5, 33, 4101, 0.05], [2, 48, 9000, 0.02], [12, 60, 784, 0.19], [0, 20, 50, 0.5],
];

for (const config of CONFIGS) {
  describe(`wasm sparse products, ${config.name}`, () => {
    let rt: WasmRuntime;
    beforeAll(async () => {
      rt = await makeRuntime(config);
    });
    afterAll(async () => {
      await rt?.stopPool();
    });

    test('sparseGemmForward and sparseGemmBackward match the reference (batch arrays in memory and in JS arrays)', () => {
      const rng = new Random(31 + config.threads);
      for (const [M, N, K, density] of SHAPES) {
        const R = M + 4;
        const csr = randomCsr(rng, R, K, density, M === 7);
        const rows = Int32Array.from({ length: M }, () => rng.int(R)); // repeats allowed, as in any batch of indices
        const c = randomArray(rng, K);
        const W = randomArray(rng, N * K), dy = randomArray(rng, M * N);
        const [rowPtr, colIdx, values] = inMemory(rt, [csr.rowPtr, csr.colIdx, csr.values]) as [Int32Array, Int32Array, Float32Array];
        const shape = `M=${M} N=${N} K=${K}`;

        const want = new Float32Array(M * N);
        refKernels.sparseGemmForward(M, N, K, rows, csr.rowPtr, csr.colIdx, csr.values, c, W, want);
        const bound = new Float32Array(M * N);
        refKernels.sparseGemmForward(M, N, K, rows, csr.rowPtr, csr.colIdx, abs(csr.values), abs(c), abs(W), bound);
        for (const where of ['memory', 'js'] as const) {
          const [r, cc, w, y] = (where === 'memory' ? inMemory(rt, [rows, c, W, new Float32Array(M * N)]) : [rows, c, W, new Float32Array(M * N)]) as [Int32Array, Float32Array, Float32Array, Float32Array];
          rt.kernels.sparseGemmForward(M, N, K, r, rowPtr, colIdx, values, cc, w, y);
          const bad = firstBad(y, want, bound);
          expect(bad, `forward ${shape} (${where}): y[${bad}] = ${y[bad]}, reference ${want[bad]}`).toBe(-1);
        }

        for (const beta of [0, 1, 0.5]) {
          const dW0 = randomArray(rng, N * K);
          if (beta === 0) dW0[0] = NaN; // beta = 0 overwrites
          const wantW = dW0.slice();
          refKernels.sparseGemmBackward(M, N, K, rows, csr.rowPtr, csr.colIdx, csr.values, c, dy, beta, wantW);
          const boundW = abs(dW0).map((v) => (beta === 0 || Number.isNaN(v) ? 0 : Math.abs(beta) * v));
          refKernels.sparseGemmBackward(M, N, K, rows, csr.rowPtr, csr.colIdx, abs(csr.values), abs(c), abs(dy), 1, boundW);
          for (const where of ['memory', 'js'] as const) {
            const [r, cc, d, dW] = (where === 'memory' ? inMemory(rt, [rows, c, dy, dW0]) : [rows, c, dy, dW0.slice()]) as [Int32Array, Float32Array, Float32Array, Float32Array];
            rt.kernels.sparseGemmBackward(M, N, K, r, rowPtr, colIdx, values, cc, d, beta, dW);
            const bad = firstBad(dW, wantW, boundW);
            expect(bad, `backward ${shape} beta=${beta} (${where}): dW[${bad}] = ${dW[bad]}, reference ${wantW[bad]}`).toBe(-1);
          }
        }
      }
    });

    test('a CSR outside WASM memory runs the reference kernel: the same numbers', () => {
      const rng = new Random(5);
      const [M, N, K] = [6, 20, 300];
      const csr = randomCsr(rng, 10, K, 0.2);
      const rows = Int32Array.from([9, 0, 3, 3, 7, 1]);
      const c = randomArray(rng, K), W = randomArray(rng, N * K), dy = randomArray(rng, M * N);
      const want = new Float32Array(M * N), y = new Float32Array(M * N);
      refKernels.sparseGemmForward(M, N, K, rows, csr.rowPtr, csr.colIdx, csr.values, c, W, want);
      rt.kernels.sparseGemmForward(M, N, K, rows, csr.rowPtr, csr.colIdx, csr.values, c, W, y);
      expect(Array.from(y)).toEqual(Array.from(want));
      const wantW = new Float32Array(N * K), dW = new Float32Array(N * K);
      refKernels.sparseGemmBackward(M, N, K, rows, csr.rowPtr, csr.colIdx, csr.values, c, dy, 0, wantW);
      rt.kernels.sparseGemmBackward(M, N, K, rows, csr.rowPtr, csr.colIdx, csr.values, c, dy, 0, dW);
      expect(Array.from(dW)).toEqual(Array.from(wantW));
    });
  });
}

describe('wasm sparse products: the thread count does not change a bit', () => {
  const runtimes: WasmRuntime[] = [];
  afterAll(async () => {
    for (const rt of runtimes) await rt.stopPool();
  });

  test.each(['simd', 'relaxed'] as const)('%s build, 1 and 2 threads: identical y and dW', async (build) => {
    const config = (threads: 1 | 2): (typeof CONFIGS)[number] => CONFIGS.find((c) => c.build === build && c.threads === threads && !('shared' in c))!;
    const one = await makeRuntime(config(1));
    const two = await makeRuntime(config(2));
    runtimes.push(one, two);
    const rng = new Random(77);
    for (const [M, N, K, density] of [[64, 150, 11025, 0.085], [33, 60, 784, 0.19], [5, 17, 5000, 0.1]] as const) {
      const csr = randomCsr(rng, M + 2, K, density);
      const rows = Int32Array.from({ length: M }, (_, i) => (i * 7 + 3) % (M + 2));
      const c = randomArray(rng, K), W = randomArray(rng, N * K), dy = randomArray(rng, M * N), dW0 = randomArray(rng, N * K);
      // the operands in a runtime's memory, made once; each run starts from dW0 again (beta 1)
      const runner = (rt: WasmRuntime): (() => { y: number[]; dW: number[] }) => {
        const [rowPtr, colIdx, values, r, cc, w, d, y, dW] = inMemory(rt, [csr.rowPtr, csr.colIdx, csr.values, rows, c, W, dy, new Float32Array(M * N), dW0]) as
          [Int32Array, Int32Array, Float32Array, Int32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
        return () => {
          y.fill(0);
          dW.set(dW0);
          rt.kernels.sparseGemmForward(M, N, K, r, rowPtr, colIdx, values, cc, w, y);
          rt.kernels.sparseGemmBackward(M, N, K, r, rowPtr, colIdx, values, cc, d, 1, dW);
          return { y: Array.from(y), dW: Array.from(dW) };
        };
      };
      const want = runner(one)();
      const run = runner(two);
      // on a busy host the worker may wake after the calling thread took every chunk: repeat
      // the products (each time bit for bit) until the worker has taken some, as a fair share
      // does on an idle host at once
      const before = two.regionsByThread()[1]!;
      for (let rep = 0; rep < 200 && (rep === 0 || two.regionsByThread()[1] === before); rep++) {
        const got = run();
        expect(got.y, `forward M=${M} N=${N} K=${K}`).toEqual(want.y);
        expect(got.dW, `backward M=${M} N=${N} K=${K}`).toEqual(want.dW);
      }
    }
    // the 2-thread runtime did share the chunks: its worker took some
    expect(two.regionsByThread()[1], 'chunks computed by the worker thread').toBeGreaterThan(0);
  });
});
