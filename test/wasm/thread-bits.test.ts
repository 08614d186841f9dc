// A result never depends on the thread count: GEMMs (cut into regions of C, or along K by shape
// alone) and the blocked kernels give the same bits on 1, 2 and 3 threads, per build.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { refKernels } from '../../src/kernels/ref/index.js';
import { Random } from '../../src/random.js';
import { createWasmRuntime, type WasmRuntime } from '../../src/kernels/wasm/index.js';
import { kSlices } from '../../src/kernels/wasm/jobs.js';
import { inMemory, randomArray } from './helpers.js';

const GEMMS: [string, boolean, boolean, number, number, number][] = [
  ['fwd 64×784 → 60 (cut along K)', false, true, 64, 60, 784],
  ['fwd 64×3000 → 150 (cut along K)', false, true, 64, 150, 3000],
  ['dW 60×64×1500 (regions of columns)', true, false, 60, 1500, 64],
  ['dX 64×150×784 (regions)', false, false, 64, 784, 150],
  ['300×70×520 NN (regions of rows)', false, false, 300, 520, 70],
  ['13×2001×9 TT (cut along K)', true, true, 13, 9, 2001],
];

describe('the same bits on 1, 2 and 3 threads', () => {
  const runtimes: Record<string, WasmRuntime[]> = {};
  beforeAll(async () => {
    for (const build of ['simd', 'relaxed'] as const) {
      runtimes[build] = [];
      for (const threads of [1, 2, 3]) {
        const rt = await createWasmRuntime({ build, threads, minFlopsPerThread: 0, spinMicros: 200 });
        if (!rt) throw new Error('no WebAssembly SIMD');
        runtimes[build]!.push(rt);
      }
    }
  });
  afterAll(async () => {
    for (const list of Object.values(runtimes)) for (const rt of list) await rt.stopPool();
  });

  test('kSlices depends on the shape only: long K and small C', () => {
    expect(kSlices(64, 60, 784)).toBe(2);
    expect(kSlices(64, 150, 11025)).toBe(4);
    expect(kSlices(150, 11025, 64)).toBe(1);
    expect(kSlices(4, 4, 100)).toBe(1); // below 2 MFLOP
  });

  test.each(GEMMS)('gemm %s', (_name, tA, tB, M, N, K) => {
    for (const build of ['simd', 'relaxed']) {
      const rng = new Random(M * N + K);
      const A = randomArray(rng, M * K), B = randomArray(rng, K * N), C0 = randomArray(rng, M * N);
      const results = runtimes[build]!.map((rt) => {
        const [a, b, c] = inMemory(rt, [A, B, C0]) as Float32Array[];
        rt.kernels.gemm(tA, tB, M, N, K, 0.75, a!, b!, 0.5, c!);
        return { c: Array.from(c!), workers: rt.regionsByThread().slice(1).reduce((x, y) => x + y, 0) };
      });
      expect(results[1]!.c, `${build}: 2 threads vs 1`).toEqual(results[0]!.c);
      expect(results[2]!.c, `${build}: 3 threads vs 1`).toEqual(results[0]!.c);
    }
  });

  test('the workers took part (the threaded paths ran)', () => {
    for (const build of ['simd', 'relaxed']) {
      for (const rt of runtimes[build]!.slice(1)) expect(rt.regionsByThread().slice(1).reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
    }
  });

  test('conv2d forward, input and weight gradients of a batch of 9', () => {
    const [B, C, H, W, OC] = [9, 3, 12, 10, 6];
    for (const build of ['simd', 'relaxed']) {
      const rng = new Random(3);
      const x = randomArray(rng, B * C * H * W), w = randomArray(rng, OC * C * 9), bias = randomArray(rng, OC), dy = randomArray(rng, B * OC * H * W);
      const results = runtimes[build]!.map((rt) => {
        const [xm, wm, bm, dym, y, dx, dw] = inMemory(rt, [x, w, bias, dy, new Float32Array(dy.length), new Float32Array(x.length), new Float32Array(w.length)]) as Float32Array[];
        rt.kernels.conv2dForward(xm!, wm!, bm!, B, C, H, W, OC, 3, 3, 1, 1, y!);
        rt.kernels.conv2dBackwardData(dym!, wm!, B, C, H, W, OC, 3, 3, 1, 1, dx!);
        rt.kernels.conv2dBackwardFilter(xm!, dym!, B, C, H, W, OC, 3, 3, 1, 1, 0, dw!);
        return [y!, dx!, dw!].map((a) => Array.from(a));
      });
      for (const i of [1, 2]) expect(results[i], `${build}: ${i + 1} threads vs 1`).toEqual(results[0]);
    }
  });

  test('reluForward and reluBackward over 100003 elements (shared from 32768 on): the reference bits on every thread count', () => {
    const n = 100003;
    const rng = new Random(8);
    const x = randomArray(rng, n, 1, [0, -0, NaN, 1e-30]), dy = randomArray(rng, n);
    const want = new Float32Array(n), wantDx = new Float32Array(n);
    refKernels.reluForward(x, want, 1.5);
    refKernels.reluBackward(x, dy, wantDx, 1.5);
    for (const build of ['simd', 'relaxed']) {
      for (const rt of runtimes[build]!) {
        const [xm, dym, y, dx] = inMemory(rt, [x, dy, new Float32Array(n), new Float32Array(n)]) as Float32Array[];
        rt.kernels.reluForward(xm!, y!, 1.5);
        rt.kernels.reluBackward(xm!, dym!, dx!, 1.5);
        expect(Array.from(y!), `${build} ${rt.threads} threads`).toEqual(Array.from(want));
        expect(Array.from(dx!), `${build} ${rt.threads} threads`).toEqual(Array.from(wantDx));
      }
    }
  });
});
