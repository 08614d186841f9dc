// The direct convolutions and the max pool against the reference kernels, on every wasm build
// (standard and relaxed SIMD, 1 and 2 threads, plain memory), with arrays in WASM memory and
// outside it; and the same bits whatever the thread count. The reference direct convolutions are
// themselves checked against the unfolded form (im2col + gemm, the other reference path).
//
// Tolerances (float32 results of float32 sums against the reference's float64 sums):
//   convolutions  |Δ| ≤ 1e-5 · Σ|terms| (the sum of the absolute products each output adds up)
//   max pool      exact, argmax exact (NaN, ties, −∞ included)

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { refKernels } from '../../src/kernels/ref/index.js';
import { directConvFits, directConvFloats, DIRECT_CONV_MAX_FLOATS, type Kernels } from '../../src/kernels/table.js';
import { Random } from '../../src/random.js';
import type { WasmRuntime } from '../../src/kernels/wasm/index.js';
import { CONFIGS, inMemory, makeRuntime, randomArray } from './helpers.js';

interface Shape {
  B: number; C: number; H: number; W: number; OC: number; kh: number; kw: number; ph: number; pw: number;
}
const SHAPES: Shape[] = [
  { B: 3, C: 1, H: 28, W: 28, OC: 8, kh: 3, kw: 3, ph: 1, pw: 1 }, // the bench CNN's first layer
  { B: 2, C: 8, H: 14, W: 14, OC: 16, kh: 3, kw: 3, ph: 1, pw: 1 }, // and its second
  { B: 2, C: 3, H: 7, W: 9, OC: 5, kh: 3, kw: 2, ph: 2, pw: 0 }, // odd sizes, channels not a multiple of 4
  { B: 1, C: 2, H: 5, W: 6, OC: 1, kh: 1, kw: 1, ph: 0, pw: 0 },
  { B: 2, C: 5, H: 11, W: 4, OC: 7, kh: 5, kw: 3, ph: 2, pw: 1 },
  { B: 5, C: 1, H: 3, W: 3, OC: 3, kh: 3, kw: 3, ph: 0, pw: 0 }, // one output pixel
];
const dims = (s: Shape) => ({ OH: s.H + 2 * s.ph - s.kh + 1, OW: s.W + 2 * s.pw - s.kw + 1 });
const label = (s: Shape) => `B${s.B} ${s.C}→${s.OC} ${s.H}×${s.W} k${s.kh}×${s.kw} pad ${s.ph}×${s.pw}`;

/** The three passes of one shape on kernels k: y, dx, dw (beta 0), dw (beta 1 onto dw0). */
function passes(k: Kernels, s: Shape, a: { x: Float32Array; w: Float32Array; b: Float32Array; dy: Float32Array; dw0: Float32Array; y: Float32Array; dx: Float32Array; dw: Float32Array; dw1: Float32Array }): void {
  const { B, C, H, W, OC, kh, kw, ph, pw } = s;
  k.conv2dForward(a.x, a.w, a.b, B, C, H, W, OC, kh, kw, ph, pw, a.y);
  k.conv2dBackwardData(a.dy, a.w, B, C, H, W, OC, kh, kw, ph, pw, a.dx);
  a.dw.fill(NaN); // beta 0 overwrites
  k.conv2dBackwardFilter(a.x, a.dy, B, C, H, W, OC, kh, kw, ph, pw, 0, a.dw);
  a.dw1.set(a.dw0);
  k.conv2dBackwardFilter(a.x, a.dy, B, C, H, W, OC, kh, kw, ph, pw, 1, a.dw1);
}

function operands(s: Shape, seed: number): Record<'x' | 'w' | 'b' | 'dy' | 'dw0' | 'y' | 'dx' | 'dw' | 'dw1', Float32Array> {
  const rng = new Random(seed);
  const { OH, OW } = dims(s);
  const x = randomArray(rng, s.B * s.C * s.H * s.W, 1, [0, 0, 0, 1e-3, 100]);
  return {
    x, w: randomArray(rng, s.OC * s.C * s.kh * s.kw), b: randomArray(rng, s.OC), dy: randomArray(rng, s.B * s.OC * OH * OW),
    dw0: randomArray(rng, s.OC * s.C * s.kh * s.kw),
    y: new Float32Array(s.B * s.OC * OH * OW), dx: new Float32Array(x.length), dw: new Float32Array(s.OC * s.C * s.kh * s.kw), dw1: new Float32Array(s.OC * s.C * s.kh * s.kw),
  };
}
type Operands = ReturnType<typeof operands>;

/** The bounds Σ|terms| of each output of the three passes (the reference on absolute values). */
function bounds(s: Shape, a: Operands) {
  const abs = (v: Float32Array) => v.map(Math.abs);
  const b = { ...operands(s, 1), x: abs(a.x), w: abs(a.w), b: abs(a.b), dy: abs(a.dy), dw0: abs(a.dw0) };
  passes(refKernels, s, b);
  return b;
}

function expectWithin(got: Float32Array, want: Float32Array, bound: Float32Array, what: string): void {
  let bad = -1;
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= 1e-5 * bound[i]! + 1e-30)) { bad = i; break; }
  }
  expect(bad, `${what}[${bad}] = ${got[bad]}, reference ${want[bad]} (bound ${bound[bad]})`).toBe(-1);
}

describe('reference direct convolutions = im2col + gemm (the unfolded reference path)', () => {
  test.each(SHAPES.map((s) => [label(s), s] as const))('%s', (_l, s) => {
    const a = operands(s, 3);
    passes(refKernels, s, a);
    const { OH, OW } = dims(s);
    const k = refKernels, CK = s.C * s.kh * s.kw, L = OH * OW;
    const col = new Float32Array(CK * L), dcol = new Float32Array(CK * L);
    const y = new Float32Array(a.y.length), dx = new Float32Array(a.dx.length), dw = new Float32Array(a.dw.length);
    for (let b = 0; b < s.B; b++) {
      k.im2col(a.x.subarray(b * s.C * s.H * s.W), s.C, s.H, s.W, s.kh, s.kw, 1, 1, s.ph, s.pw, OH, OW, col);
      const yb = y.subarray(b * s.OC * L, (b + 1) * s.OC * L);
      k.gemm(false, false, s.OC, L, CK, 1, a.w, col, 0, yb);
      for (let o = 0; o < s.OC; o++) for (let p = 0; p < L; p++) yb[o * L + p]! += a.b[o]!;
      const dyb = a.dy.subarray(b * s.OC * L, (b + 1) * s.OC * L);
      k.gemm(false, true, s.OC, CK, L, 1, dyb, col, 1, dw);
      k.gemm(true, false, CK, L, s.OC, 1, a.w, dyb, 0, dcol);
      k.col2im(dcol, s.C, s.H, s.W, s.kh, s.kw, 1, 1, s.ph, s.pw, OH, OW, dx.subarray(b * s.C * s.H * s.W, (b + 1) * s.C * s.H * s.W));
    }
    const bd = bounds(s, a);
    expectWithin(a.y, y, bd.y, 'y');
    expectWithin(a.dx, dx, bd.dx, 'dx');
    expectWithin(a.dw, dw, bd.dw, 'dw');
  });

  test('directConvFits: stride 1, padding below the kernel, few input channels, scratch within bounds', () => {
    expect(directConvFits(1, 28, 28, 8, 3, 3, 1, 1, 1, 1)).toBe(true);
    expect(directConvFits(8, 14, 14, 16, 3, 3, 1, 1, 1, 1)).toBe(true);
    expect(directConvFits(8, 14, 14, 16, 3, 3, 2, 2, 1, 1)).toBe(false);
    expect(directConvFits(8, 14, 14, 16, 3, 3, 1, 1, 3, 1)).toBe(false);
    expect(directConvFits(64, 14, 14, 16, 3, 3, 1, 1, 1, 1)).toBe(false);
    expect(directConvFits(3, 224, 224, 16, 3, 3, 1, 1, 1, 1)).toBe(false);
    expect(directConvFloats(3, 224, 224, 16, 3, 3, 1, 1)).toBeGreaterThan(DIRECT_CONV_MAX_FLOATS);
  });
});

/** Pool inputs: 2×2 windows over planes whose width is even and odd, NaNs, ties and −∞. */
function poolCase(seed: number, planes: number, H: number, W: number) {
  const rng = new Random(seed);
  const x = randomArray(rng, planes * H * W, 1, [0, 1, 1, 1, NaN, NaN, -Infinity, -Infinity, Infinity]);
  const OH = Math.floor(H / 2), OW = Math.floor(W / 2);
  return { x, OH, OW, y: new Float32Array(planes * OH * OW), argmax: new Int32Array(planes * OH * OW) };
}

const runs: Record<string, { y: Float32Array; dx: Float32Array; dw: Float32Array }[]> = {};

for (const config of CONFIGS) {
  describe(`direct convolutions and max pool, wasm ${config.name}`, () => {
    let rt: WasmRuntime;
    beforeAll(async () => {
      rt = await makeRuntime(config);
    });
    afterAll(async () => {
      await rt?.stopPool();
    });

    test.each(SHAPES.map((s) => [label(s), s] as const))('conv %s matches the reference (memory and JS arrays)', (_l, s) => {
      const want = operands(s, 5);
      passes(refKernels, s, want);
      const bd = bounds(s, want);
      for (const where of ['memory', 'js'] as const) {
        const a = operands(s, 5);
        if (where === 'memory') {
          const keys = ['x', 'w', 'b', 'dy', 'dw0', 'y', 'dx', 'dw', 'dw1'] as const;
          const moved = inMemory(rt, keys.map((k) => a[k])) as Float32Array[];
          keys.forEach((k, i) => (a[k] = moved[i]!));
        }
        passes(rt.kernels, s, a);
        expectWithin(a.y, want.y, bd.y, `${where} y`);
        expectWithin(a.dx, want.dx, bd.dx, `${where} dx`);
        expectWithin(a.dw, want.dw, bd.dw, `${where} dw (beta 0)`);
        expectWithin(a.dw1, want.dw1, bd.dw1, `${where} dw (beta 1)`);
        if (where === 'memory' && !('shared' in config)) (runs[`${config.build} ${label(s)}`] ??= []).push({ y: a.y.slice(), dx: a.dx.slice(), dw: a.dw1.slice() });
      }
    });

    test('conv2dForward without a bias', () => {
      const s = SHAPES[2]!;
      const a = operands(s, 9), want = operands(s, 9);
      const [x, w, y] = inMemory(rt, [a.x, a.w, a.y]) as Float32Array[];
      rt.kernels.conv2dForward(x!, w!, null, s.B, s.C, s.H, s.W, s.OC, s.kh, s.kw, s.ph, s.pw, y!);
      refKernels.conv2dForward(want.x, want.w, null, s.B, s.C, s.H, s.W, s.OC, s.kh, s.kw, s.ph, s.pw, want.y);
      expectWithin(y!, want.y, bounds(s, want).y, 'y');
    });

    test.each([[3, 8, 8], [2, 28, 28], [3, 7, 9], [2, 6, 19], [1, 2, 2], [4, 14, 14]])('maxPool2d 2×2 stride 2 on %i planes of %i×%i: exact, NaN and ties as the reference', (planes, H, W) => {
      const want = poolCase(planes * 100 + W, planes, H, W);
      refKernels.maxPool2dForward(want.x, planes, H, W, 2, 2, 2, 2, 0, 0, want.OH, want.OW, want.y, want.argmax);
      const got = poolCase(planes * 100 + W, planes, H, W);
      const [x, y] = inMemory(rt, [got.x, got.y]) as Float32Array[];
      const argmax = inMemory(rt, [got.argmax])[0] as Int32Array;
      rt.kernels.maxPool2dForward(x!, planes, H, W, 2, 2, 2, 2, 0, 0, want.OH, want.OW, y!, argmax);
      expect(Array.from(argmax)).toEqual(Array.from(want.argmax));
      expect(Array.from(y!)).toEqual(Array.from(want.y));
      // backward: dx += dy at the winners
      const rng = new Random(4);
      const dy = randomArray(rng, want.y.length), dx0 = randomArray(rng, planes * H * W);
      const wantDx = dx0.slice();
      refKernels.maxPool2dBackward(dy, want.argmax, planes, H, W, want.OH, want.OW, wantDx);
      const [dyM, dxM] = inMemory(rt, [dy, dx0]) as Float32Array[];
      rt.kernels.maxPool2dBackward(dyM!, argmax, planes, H, W, want.OH, want.OW, dxM!);
      expect(Array.from(dxM!)).toEqual(Array.from(wantDx));
    });
  });
}

describe('the same bits whatever the thread count', () => {
  test.each(SHAPES.map((s) => [label(s), s] as const))('conv %s: 1 and 2 threads agree exactly, per build', (_l, s) => {
    for (const build of ['simd', 'relaxed']) {
      const r = runs[`${build} ${label(s)}`];
      expect(r?.length, `${build}: both thread counts ran`).toBe(2);
      const [one, two] = r!;
      expect(Array.from(two!.y)).toEqual(Array.from(one!.y));
      expect(Array.from(two!.dx)).toEqual(Array.from(one!.dx));
      expect(Array.from(two!.dw)).toEqual(Array.from(one!.dw));
    }
  });
});
