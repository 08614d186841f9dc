// Every kernel of the wasm backend against the reference kernels (the specification), on every
// build (standard and relaxed SIMD, 1 and 2 threads, shared and plain memory), with operands in
// WASM memory (the fast path) and in ordinary JS arrays (staged through scratch space).
//
// Tolerances (float32):
//   gemm                 |Δ| ≤ 1e-5 · (|α|·(|op(A)|·|op(B)|) + |β|·|C₀|)   (float32 accumulation,
//                        against the reference's float64 accumulation; relaxed FMA may fuse)
//   everything else      |Δ| ≤ 2e-6·|ref| + 1e-30  (the wasm kernels compute in float64 like the
//                        reference: in practice bit-identical except tanh/exp/log ulps)
//   argmax               exact

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { refKernels } from '../../src/kernels/ref/index.js';
import type { Kernels } from '../../src/kernels/table.js';
import { Random } from '../../src/random.js';
import type { WasmRuntime } from '../../src/kernels/wasm/index.js';
import { CONFIGS, clone, inMemory, makeRuntime, randomArray, worst, type Arr } from './helpers.js';

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 64, 65, 150];

function gemmBound(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array, B: Float32Array, beta: number, C0: Float32Array): Float32Array {
  const bound = new Float32Array(M * N);
  for (let i = 0; i < C0.length; i++) bound[i] = Math.abs(beta) * (Number.isFinite(C0[i]!) ? Math.abs(C0[i]!) : 0);
  refKernels.gemm(tA, tB, M, N, K, Math.abs(alpha), A.map(Math.abs), B.map(Math.abs), beta === 0 ? 0 : 1, bound);
  return bound;
}

for (const config of CONFIGS) {
  describe(`wasm kernels, ${config.name}`, () => {
    let rt: WasmRuntime;
    beforeAll(async () => {
      rt = await makeRuntime(config);
    });
    afterAll(async () => {
      await rt?.stopPool();
    });

    test('describes its build and thread count', () => {
      expect(rt.relaxed).toBe(config.build === 'relaxed');
      expect(rt.threads).toBe(config.threads);
      expect(rt.shared).toBe(!('shared' in config && config.shared === false));
    });

    test('gemm: fuzzed shapes, all transposes, alpha, beta 0/1/other, edge tiles', () => {
      const rng = new Random(1234 + config.threads);
      const cases = 70;
      for (let c = 0; c < cases; c++) {
        const pick = (): number => SIZES[rng.int(SIZES.length)]!;
        let M = pick(), N = pick(), K = pick();
        // a few shapes crossing the KC = 256 / NC = 256 / MC = 64 block edges
        if (c % 10 === 0) K = 257 + rng.int(60);
        if (c % 10 === 1) N = 250 + rng.int(30);
        if (c % 10 === 2) M = 120 + rng.int(20);
        const tA = (c & 1) === 1, tB = (c & 2) === 2;
        const beta = [0, 1, 0.5][c % 3]!;
        const alpha = c % 4 === 3 ? -0.75 : 1;
        const A = randomArray(rng, M * K), B = randomArray(rng, K * N), C0 = randomArray(rng, M * N);
        if (beta === 0) C0[0] = NaN; // beta = 0 must overwrite, not propagate NaN
        const want = C0.slice();
        refKernels.gemm(tA, tB, M, N, K, alpha, A, B, beta, want);
        const bound = gemmBound(tA, tB, M, N, K, alpha, A, B, beta, C0);
        for (const where of ['memory', 'js'] as const) {
          const [a, b, cc] = (where === 'memory' ? inMemory(rt, [A, B, C0]) : clone([A, B, C0])) as Float32Array[];
          rt.kernels.gemm(tA, tB, M, N, K, alpha, a!, b!, beta, cc!);
          let bad = -1;
          for (let i = 0; i < want.length; i++) {
            if (!(Math.abs(cc![i]! - want[i]!) <= 1e-5 * bound[i]! + 1e-30)) { bad = i; break; }
          }
          expect(bad, `gemm ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} M=${M} N=${N} K=${K} alpha=${alpha} beta=${beta} (${where}): C[${bad}] = ${cc![bad]} vs ${want[bad]}`).toBe(-1);
        }
      }
    });

    test('gemm: larger products split into many blocks, K = 0, and a subarray operand', () => {
      const rng = new Random(99);
      for (const [M, N, K] of [[300, 520, 70], [64, 60, 784], [9, 1000, 40], [1000, 9, 40]] as const) {
        for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const A = randomArray(rng, M * K), B = randomArray(rng, K * N);
          const want = new Float32Array(M * N);
          refKernels.gemm(tA, tB, M, N, K, 1, A, B, 0, want);
          const bound = gemmBound(tA, tB, M, N, K, 1, A, B, 0, want);
          const [a, b, c] = inMemory(rt, [A, B, new Float32Array(M * N)]) as Float32Array[];
          rt.kernels.gemm(tA, tB, M, N, K, 1, a!, b!, 0, c!);
          const bad = c!.findIndex((v, i) => !(Math.abs(v - want[i]!) <= 1e-5 * bound[i]! + 1e-30));
          expect(bad, `gemm ${M}x${K}x${N} tA=${tA} tB=${tB}: C[${bad}]`).toBe(-1);
        }
      }
      // K = 0: C = beta·C
      const [c0] = inMemory(rt, [Float32Array.from([1, 2, NaN, 4])]) as Float32Array[];
      rt.kernels.gemm(false, false, 2, 2, 0, 1, new Float32Array(0), new Float32Array(0), 0, c0!);
      expect(Array.from(c0!)).toEqual([0, 0, 0, 0]);
      // operands that are subarrays of a bigger allocation (as Conv2d passes them)
      const big = inMemory(rt, [randomArray(rng, 3 * 40 * 50)])[0] as Float32Array;
      const Bv = big.subarray(40 * 50, 2 * 40 * 50);
      const A = randomArray(rng, 17 * 40);
      const got = new Float32Array(17 * 50), want = new Float32Array(17 * 50);
      rt.kernels.gemm(false, false, 17, 50, 40, 1, A, Bv, 0, got);
      refKernels.gemm(false, false, 17, 50, 40, 1, A, Bv, 0, want);
      expect(worst(got, want, 1e-5, 1e-5).excess).toBe(0);
    });

    test('gemm: a long K and a small C (cut along K on 2 threads): alpha, beta, NaN in C, all transposes', () => {
      const rng = new Random(7);
      for (const [M, N, K] of [[64, 60, 784], [5, 7, 1001], [12, 40, 3001]] as const) {
        for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          for (const [alpha, beta] of [[1, 0], [-0.75, 0.5], [1, 1]] as const) {
            const A = randomArray(rng, M * K), B = randomArray(rng, K * N), C0 = randomArray(rng, M * N);
            if (beta === 0) C0[1] = NaN;
            const want = C0.slice();
            refKernels.gemm(tA, tB, M, N, K, alpha, A, B, beta, want);
            const bound = gemmBound(tA, tB, M, N, K, alpha, A, B, beta, C0);
            const [a, b, c] = inMemory(rt, [A, B, C0]) as Float32Array[];
            rt.kernels.gemm(tA, tB, M, N, K, alpha, a!, b!, beta, c!);
            const bad = c!.findIndex((v, i) => !(Math.abs(v - want[i]!) <= 1e-5 * bound[i]! + 1e-30));
            expect(bad, `gemm ${M}x${K}x${N} tA=${tA} tB=${tB} alpha=${alpha} beta=${beta}: C[${bad}] = ${c![bad]} vs ${want[bad]}`).toBe(-1);
          }
        }
      }
    });

    // ---- every other kernel: random data with edge values, both in memory and in JS arrays ----
    const EDGES = [0, -0, 1, -1, 100, -100, 1e-8, -1e-8, 30, -30, 20, -20];
    interface Case {
      name: string;
      arrays: (rng: Random) => Arr[];
      run: (k: Kernels, a: Arr[]) => number | void;
      rtol?: number;
    }
    const f = (a: Arr): Float32Array => a as Float32Array;
    const n = 1037; // not a multiple of 4: SIMD loops and their scalar tails
    const un = (rng: Random): Arr[] => [randomArray(rng, n, 3, EDGES), new Float32Array(n)];
    const bin = (rng: Random): Arr[] => [randomArray(rng, n, 3, EDGES), randomArray(rng, n, 1, EDGES), new Float32Array(n)];
    const cases: Case[] = [
      { name: 'addRowVector', arrays: (r) => [randomArray(r, 13 * 37), randomArray(r, 37)], run: (k, a) => k.addRowVector(f(a[0]!), f(a[1]!), 13, 37) },
      { name: 'sumRowsInto', arrays: (r) => [randomArray(r, 13 * 37), randomArray(r, 37)], run: (k, a) => k.sumRowsInto(f(a[0]!), 13, 37, f(a[1]!)) },
      { name: 'addChannelVector', arrays: (r) => [randomArray(r, 3 * 5 * 49), randomArray(r, 5)], run: (k, a) => k.addChannelVector(f(a[0]!), f(a[1]!), 3, 5, 49) },
      { name: 'sumChannelsInto', arrays: (r) => [randomArray(r, 3 * 5 * 49), randomArray(r, 5)], run: (k, a) => k.sumChannelsInto(f(a[0]!), 3, 5, 49, f(a[1]!)) },
      { name: 'mul', arrays: bin, run: (k, a) => k.mul(f(a[0]!), f(a[1]!), f(a[2]!)) },
      { name: 'reluForward', arrays: un, run: (k, a) => k.reluForward(f(a[0]!), f(a[1]!), 1) },
      { name: 'reluForward scaled', arrays: un, run: (k, a) => k.reluForward(f(a[0]!), f(a[1]!), 1 / 0.7) },
      { name: 'reluBackward', arrays: bin, run: (k, a) => k.reluBackward(f(a[0]!), f(a[1]!), f(a[2]!), 1.25) },
      { name: 'leakyReluForward', arrays: un, run: (k, a) => k.leakyReluForward(f(a[0]!), f(a[1]!), 0.01) },
      { name: 'leakyReluBackward', arrays: bin, run: (k, a) => k.leakyReluBackward(f(a[0]!), f(a[1]!), f(a[2]!), 0.2) },
      { name: 'sigmoidForward', arrays: un, run: (k, a) => k.sigmoidForward(f(a[0]!), f(a[1]!)) },
      { name: 'sigmoidBackward', arrays: bin, run: (k, a) => k.sigmoidBackward(f(a[0]!), f(a[1]!), f(a[2]!)) },
      { name: 'tanhForward', arrays: un, run: (k, a) => k.tanhForward(f(a[0]!), f(a[1]!)) },
      { name: 'tanhBackward', arrays: bin, run: (k, a) => k.tanhBackward(f(a[0]!), f(a[1]!), f(a[2]!)) },
      { name: 'geluForward exact', arrays: un, run: (k, a) => k.geluForward(f(a[0]!), f(a[1]!), 'none') },
      { name: 'geluForward tanh', arrays: un, run: (k, a) => k.geluForward(f(a[0]!), f(a[1]!), 'tanh') },
      { name: 'geluBackward exact', arrays: bin, run: (k, a) => k.geluBackward(f(a[0]!), f(a[1]!), f(a[2]!), 'none') },
      { name: 'geluBackward tanh', arrays: bin, run: (k, a) => k.geluBackward(f(a[0]!), f(a[1]!), f(a[2]!), 'tanh') },
      { name: 'softplusForward', arrays: un, run: (k, a) => k.softplusForward(f(a[0]!), f(a[1]!), 1, 20) },
      { name: 'softplusForward beta 2', arrays: un, run: (k, a) => k.softplusForward(f(a[0]!), f(a[1]!), 2, 10) },
      { name: 'softplusBackward', arrays: bin, run: (k, a) => k.softplusBackward(f(a[0]!), f(a[1]!), f(a[2]!), 1.5, 20) },
      {
        name: 'softmaxCrossEntropy labels (±1000 logits)',
        arrays: (r) => {
          const logits = randomArray(r, 17 * 10, 5, [1000, -1000, 0, 100, -100]);
          const labels = new Int32Array(17).map(() => r.int(10));
          return [logits, labels, new Float32Array(17 * 10)];
        },
        run: (k, a) => k.softmaxCrossEntropy(f(a[0]!), 17, 10, a[1] as Int32Array, null, f(a[2]!)),
      },
      {
        name: 'softmaxCrossEntropy soft targets and −1 labels',
        arrays: (r) => {
          const logits = randomArray(r, 9 * 7, 5, [1000, -1000]);
          const labels = new Int32Array(9).map((_, i) => (i % 2 ? -1 : r.int(7)));
          const targets = new Float32Array(9 * 7).map(() => r.uniform());
          return [logits, labels, targets, new Float32Array(9 * 7)];
        },
        run: (k, a) => k.softmaxCrossEntropy(f(a[0]!), 9, 7, a[1] as Int32Array, f(a[2]!), f(a[3]!)),
      },
      {
        name: 'softmaxCrossEntropy targets only',
        arrays: (r) => [randomArray(r, 6 * 4, 3), new Float32Array(6 * 4).map(() => r.uniform()), new Float32Array(6 * 4)],
        run: (k, a) => k.softmaxCrossEntropy(f(a[0]!), 6, 4, null, f(a[1]!), f(a[2]!)),
      },
      // im2col/col2im/pool: C=3, H=7, W=9, kernel 3×2, stride 2×1, padding 1×1 → OH=4, OW=10
      { name: 'im2col', arrays: (r) => [randomArray(r, 3 * 7 * 9), new Float32Array(3 * 3 * 2 * 4 * 10)], run: (k, a) => k.im2col(f(a[0]!), 3, 7, 9, 3, 2, 2, 1, 1, 1, 4, 10, f(a[1]!)) },
      { name: 'col2im', arrays: (r) => [randomArray(r, 3 * 3 * 2 * 4 * 10), randomArray(r, 3 * 7 * 9)], run: (k, a) => k.col2im(f(a[0]!), 3, 7, 9, 3, 2, 2, 1, 1, 1, 4, 10, f(a[1]!)) },
      {
        // 2×2 windows, stride 2, padding 1 on 5×6 planes → 3×4; NaNs and ties included
        name: 'maxPool2dForward',
        arrays: (r) => {
          const x = randomArray(r, 4 * 5 * 6, 1, [0, 1, 1, NaN, -Infinity]);
          return [x, new Float32Array(4 * 3 * 4), new Int32Array(4 * 3 * 4)];
        },
        run: (k, a) => k.maxPool2dForward(f(a[0]!), 4, 5, 6, 2, 2, 2, 2, 1, 1, 3, 4, f(a[1]!), a[2] as Int32Array),
      },
      {
        name: 'maxPool2dBackward',
        arrays: (r) => [randomArray(r, 4 * 3 * 4), new Int32Array(4 * 3 * 4).map((_, i) => (i % 7 === 0 ? -1 : r.int(30))), randomArray(r, 4 * 5 * 6)],
        run: (k, a) => k.maxPool2dBackward(f(a[0]!), a[1] as Int32Array, 4, 5, 6, 3, 4, f(a[2]!)),
      },
      // batch norm over [batch, channels, spatial]: spatial 49 (SIMD and a tail), 1 (BatchNorm1d), 16
      ...([[3, 5, 49], [7, 6, 1], [2, 3, 16]] as const).flatMap(([B, C, S]): Case[] => {
        const x = (r: Random): Float32Array => randomArray(r, B * C * S, 2).map((v, i) => v + (i % C) - 1);
        const perChannel = (r: Random, scale = 1): Float32Array => randomArray(r, C, scale);
        const invStd = (r: Random): Float32Array => new Float32Array(C).map(() => 0.5 + r.uniform());
        return [
          { name: `batchNormStats ${B}×${C}×${S}`, arrays: (r) => [x(r), new Float32Array(C), new Float32Array(C)], run: (k, a) => k.batchNormStats(f(a[0]!), B, C, S, f(a[1]!), f(a[2]!)) },
          {
            name: `batchNormForward ${B}×${C}×${S}`,
            arrays: (r) => [x(r), perChannel(r), invStd(r), perChannel(r), perChannel(r), new Float32Array(B * C * S)],
            run: (k, a) => k.batchNormForward(f(a[0]!), B, C, S, f(a[1]!), f(a[2]!), f(a[3]!), f(a[4]!), f(a[5]!)),
          },
          {
            name: `batchNormForward ${B}×${C}×${S}, no affine`,
            arrays: (r) => [x(r), perChannel(r), invStd(r), new Float32Array(B * C * S)],
            run: (k, a) => k.batchNormForward(f(a[0]!), B, C, S, f(a[1]!), f(a[2]!), null, null, f(a[3]!)),
          },
          ...(['batch', 'running'] as const).map((statistics): Case => ({
            name: `batchNormBackward ${B}×${C}×${S}, ${statistics} statistics`,
            arrays: (r) => [x(r), randomArray(r, B * C * S), perChannel(r), invStd(r), perChannel(r), perChannel(r), perChannel(r), new Float32Array(B * C * S)],
            run: (k, a) => k.batchNormBackward(f(a[0]!), f(a[1]!), B, C, S, f(a[2]!), f(a[3]!), f(a[4]!), statistics, f(a[5]!), f(a[6]!), f(a[7]!)),
          })),
          {
            name: `batchNormBackward ${B}×${C}×${S}, no affine`,
            arrays: (r) => [x(r), randomArray(r, B * C * S), perChannel(r), invStd(r), new Float32Array(B * C * S)],
            run: (k, a) => k.batchNormBackward(f(a[0]!), f(a[1]!), B, C, S, f(a[2]!), f(a[3]!), null, 'batch', null, null, f(a[4]!)),
          },
        ];
      }),
      ...[
        { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, firstStep: false },
        { lr: 0.05, momentum: 0.4, dampening: 0, weightDecay: 1e-3, nesterov: false, firstStep: true },
        { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0, nesterov: false, firstStep: false },
        { lr: 0.01, momentum: 0.9, dampening: 0, weightDecay: 5e-4, nesterov: true, firstStep: false },
      ].map((h, i): Case => ({
        name: `sgdStep ${i}`,
        arrays: (r) => [randomArray(r, n), randomArray(r, n, 1, EDGES), randomArray(r, n)],
        run: (k, a) => k.sgdStep(f(a[0]!), f(a[1]!), f(a[2]!), h),
      })),
      ...[
        { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 },
        { lr: 1e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.01, decoupled: false, step: 7 },
        { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 120 },
      ].map((h, i): Case => ({
        name: `adamStep ${i}`,
        arrays: (r) => [randomArray(r, n), randomArray(r, n, 1, EDGES), randomArray(r, n, 0.1), new Float32Array(n).map(() => r.uniform() * 0.01)],
        run: (k, a) => k.adamStep(f(a[0]!), f(a[1]!), f(a[2]!), f(a[3]!), h),
      })),
    ];

    test.each(cases.map((c) => [c.name, c] as const))('%s matches the reference (memory and JS arrays)', (_name, c) => {
      const rng = new Random(7);
      const base = c.arrays(rng);
      const want = clone(base);
      const wantValue = c.run(refKernels, want);
      for (const where of ['memory', 'js'] as const) {
        const got = where === 'memory' ? inMemory(rt, base) : clone(base);
        const value = c.run(rt.kernels, got);
        got.forEach((g, i) => {
          if (g === null) return;
          const w = worst(g, want[i]!, c.rtol ?? 2e-6, 1e-30);
          expect(w.excess, `${c.name} (${where}) array ${i}[${w.at}] = ${w.got}, reference ${w.want}`).toBe(0);
        });
        if (typeof wantValue === 'number') {
          expect(Math.abs((value as number) - wantValue), `${c.name} (${where}) returned ${value}, reference ${wantValue}`).toBeLessThanOrEqual(1e-9 * Math.abs(wantValue) + 1e-12);
        }
      }
    });
  });
}
