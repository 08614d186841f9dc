// The loss and dropout kernels (elementwiseLoss, elementwiseLossBackward,
// softmaxCrossEntropyBackward, dropoutMask, scale) against plain JavaScript loops written out
// below as the oracle (`plain*`: one expression per element, the arithmetic of the formulas):
//   1. the reference kernels = the plain loops, bit for bit, float32 and float64;
//   2. every wasm build (standard and relaxed SIMD, 1 and 2 threads, shared and plain memory) =
//      the reference kernels, on random shapes, with operands in WASM memory and in JS arrays;
//   3. the layers on every backend run of test/backends.ts that computes in float64 (ref, wasm 1
//      and 2 threads, standard SIMD build; not webgpu, see test/webgpu/) = the plain loops: Dropout
//      masks and generator states bit-identical, losses and
//      gradients for mean and sum, index / one-hot / soft targets, BCE's −100 clamp.
//
// Tolerances (float32):
//   dropout masks, generator states, scale, MSE and BCE gradients, cross-entropy gradients: exact
//     (integer arithmetic, or one float64 product/quotient rounded once on both sides)
//   loss sums                 |Δ| ≤ 1e-12 · Σ|ℓ_i|   (float64 sums in the same order; only exp/log/log1p
//                                                    may differ in the last float64 bit between V8 and AS)
//   BCE-with-logits gradient  |Δ| ≤ 2e-6·|ref| + 1e-30 (σ through exp), as the other kernels' table

import { describe, expect, test, beforeAll, afterAll, it } from 'vitest';
import { refKernels } from '../../src/kernels/ref/index.js';
import type { ElementwiseLossKind } from '../../src/kernels/table.js';
import type { WasmRuntime } from '../../src/kernels/wasm/index.js';
import { kernelsFor } from '../../src/backend.js';
import { sigmoid } from '../../src/kernels/ref/math.js';
import { Random } from '../../src/random.js';
import { nn, type Tensor, type DType } from '../../src/index.js';
import type { FloatArray } from '../../src/tensor.js';
import { activeRuntime, describeBackends, tensorOnBackend } from '../backends.js';
import { CONFIGS, inMemory, makeRuntime, randomArray, worst } from './helpers.js';

// ---- the plain JavaScript loops (the oracle) ---------------------------------------------------

/** Dropout's mask as a plain loop: m[i] = rng.uniform() < p ? 0 : keepScale. */
function plainDropoutMask(rng: Random, m: FloatArray, p: number, keepScale: number): void {
  for (let i = 0; i < m.length; i++) m[i] = rng.uniform() < p ? 0 : keepScale;
}

const PLAIN_BCE_EPSILON = Math.fround(1e-12);
const PLAIN_POINT: Record<ElementwiseLossKind, { loss: (p: number, y: number) => number; grad: (p: number, y: number) => number }> = {
  mse: { loss: (p, y) => (p - y) * (p - y), grad: (p, y) => 2 * (p - y) },
  bce: {
    loss: (p, y) => -(y * Math.max(Math.log(p), -100) + (1 - y) * Math.max(Math.log(1 - p), -100)),
    grad: (p, y) => (p - y) / Math.max(p * (1 - p), PLAIN_BCE_EPSILON),
  },
  bceWithLogits: { loss: (z, y) => Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z))), grad: (z, y) => sigmoid(z) - y },
};

/** ElementwiseLoss's forward sum and backward as plain loops. */
function plainElementwise(kind: ElementwiseLossKind, p: FloatArray, y: FloatArray, c: number, g: FloatArray): { sum: number; abs: number } {
  let sum = 0;
  let abs = 0;
  for (let i = 0; i < p.length; i++) {
    const l = PLAIN_POINT[kind].loss(p[i]!, y[i]!);
    sum += l;
    abs += Math.abs(l);
  }
  for (let i = 0; i < p.length; i++) g[i] = c * PLAIN_POINT[kind].grad(p[i]!, y[i]!);
  return { sum, abs };
}

/** CrossEntropyLoss's backward as a plain loop (target rows, or class indices). */
function plainCrossEntropyBackward(p: FloatArray, B: number, C: number, labels: Int32Array | null, t: FloatArray | null, c: number, g: FloatArray): void {
  if (t) {
    for (let b = 0; b < B; b++) {
      let mass = 0;
      for (let j = 0; j < C; j++) mass += t[b * C + j]!;
      for (let j = 0; j < C; j++) g[b * C + j] = c * (mass * p[b * C + j]! - t[b * C + j]!);
    }
  } else {
    for (let i = 0; i < B * C; i++) g[i] = c * p[i]!;
    for (let b = 0; b < B; b++) g[b * C + labels![b]!]! -= c;
  }
}

/** Index of the first element that differs in bits (Object.is: −0 ≠ 0, NaN = NaN), or −1. */
function firstDifference(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Math.min(got.length, want.length);
  for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) return i;
  return -1;
}

function expectSameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  const at = firstDifference(got, want);
  expect(at, `${what}: [${at}] = ${got[at]}, expected ${want[at]}`).toBe(-1);
}

function words(rng: Random): number[] {
  return rng.getState().words.map((w) => w >>> 0);
}

const KINDS: ElementwiseLossKind[] = ['mse', 'bce', 'bceWithLogits'];
const SEEDS = [0, 1, 7, 2024];
const PS = [0, 0.2, 0.5, 1];
/** Mask lengths: empty, scalar tails, a SIMD-unfriendly length, a W2-sized batch (64 × 150). */
const MASK_SIZES = [0, 1, 3, 5, 1037, 64 * 150];

/** Predictions and targets for a loss: probabilities for BCE (with exact 0 and 1), anything else otherwise. */
function lossInputs(kind: ElementwiseLossKind, rng: Random, n: number): [Float32Array, Float32Array] {
  if (kind === 'bce') {
    const p = new Float32Array(n).map(() => rng.uniform());
    for (let i = 0; i < n; i += 1 + rng.int(9)) p[i] = rng.uniform() < 0.5 ? 0 : 1; // the −100 clamp
    const y = new Float32Array(n).map(() => (rng.uniform() < 0.7 ? (rng.uniform() < 0.5 ? 0 : 1) : rng.uniform()));
    return [p, y];
  }
  const p = randomArray(rng, n, 3, kind === 'bceWithLogits' ? [0, -0, 1000, -1000, 30, -30] : [0, -0, 1e-8]);
  const y = kind === 'bceWithLogits' ? new Float32Array(n).map(() => (rng.uniform() < 0.5 ? 0 : 1)) : randomArray(rng, n, 2);
  return [p, y];
}

// ---- 1. the reference kernels are the plain loops ----------------------------------------------

describe('reference loss and dropout kernels = the plain JavaScript loops, bit for bit', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const make = (n: number): FloatArray => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));

    test(`dropoutMask (${dtype}): seeds ${SEEDS.join(', ')}, p ∈ {${PS.join(', ')}}, mask and generator state`, () => {
      for (const seed of SEEDS) {
        for (const p of PS) {
          for (const keepScale of [1 / (1 - p), 1]) {
            const rng = new Random(seed);
            const oracle = new Random(seed);
            const state = new Uint32Array(4);
            for (const n of MASK_SIZES) {
              const got = make(n).fill(NaN), want = make(n).fill(NaN);
              plainDropoutMask(oracle, want, p, keepScale);
              rng.copyWordsTo(state);
              refKernels.dropoutMask(got, p, keepScale, state);
              if (n > 0) rng.setWords(state);
              expectSameBits(got, want, `seed ${seed} p ${p} keep ${keepScale} n ${n}: mask`);
              expect(words(rng), `seed ${seed} p ${p} n ${n}: generator state`).toEqual(words(oracle));
              // p = 0 keeps every unit, p = 1 drops every unit
              if (p === 0) expect(got.every((v) => v === 1)).toBe(true);
              if (p === 1) expect(got.every((v) => v === 0)).toBe(true);
            }
            // the stream continues where the kernel left it
            expect(rng.uniform()).toBe(oracle.uniform());
          }
        }
      }
    });

    test(`elementwiseLoss and elementwiseLossBackward (${dtype}): every kind, mean and sum scales`, () => {
      const rng = new Random(31);
      for (const kind of KINDS) {
        for (const n of [1, 4, 7, 130, 1037]) {
          const [p32, y32] = lossInputs(kind, rng, n);
          const p = make(n), y = make(n);
          p.set(p32);
          y.set(y32);
          for (const c of [1, 1 / n]) {
            const want = make(n), got = make(n).fill(NaN);
            const { sum } = plainElementwise(kind, p, y, c, want);
            expect(Object.is(refKernels.elementwiseLoss(kind, p, y), sum), `${kind} n ${n}: the sum`).toBe(true);
            refKernels.elementwiseLossBackward(kind, p, y, c, got);
            expectSameBits(got, want, `${kind} n ${n} scale ${c}: gradient`);
          }
        }
      }
    });

    test(`softmaxCrossEntropyBackward (${dtype}): indices, one-hot and soft targets, mean and sum`, () => {
      const rng = new Random(32);
      for (const [B, C] of [[1, 1], [1, 10], [7, 3], [64, 10], [5, 1000]] as const) {
        const logits = make(B * C);
        logits.set(randomArray(rng, B * C, 4, [1000, -1000]));
        const probs = make(B * C);
        const labels = new Int32Array(B).map(() => rng.int(C));
        const onehot = make(B * C);
        labels.forEach((l, b) => (onehot[b * C + l] = 1));
        const soft = make(B * C).map(() => rng.uniform());
        for (const c of [1, 1 / B]) {
          refKernels.softmaxCrossEntropy(logits, B, C, labels, null, probs);
          for (const [what, lab, t] of [['indices', labels, null], ['one-hot', null, onehot], ['soft targets', null, soft]] as const) {
            const want = make(B * C), got = make(B * C).fill(NaN);
            plainCrossEntropyBackward(probs, B, C, lab, t, c, want);
            refKernels.softmaxCrossEntropyBackward(probs, B, C, lab, t, c, got);
            expectSameBits(got, want, `${B}×${C} ${what} scale ${c}`);
          }
        }
      }
    });

    test(`scale (${dtype}) = s·x rounded once, s = 1 a copy`, () => {
      const x = make(1037);
      x.set(randomArray(new Random(33), 1037, 5, [0, -0, Infinity, -Infinity, NaN, 1e-38]));
      for (const s of [1, 0.8, 0.7, 1 / 0.7, 0]) {
        const got = make(x.length).fill(NaN);
        refKernels.scale(x, s, got);
        expectSameBits(got, s === 1 ? x : x.map((v) => s * v), `scale by ${s}`);
      }
    });
  }
});

// ---- 2. every wasm build = the reference kernels ----------------------------------------------

for (const config of CONFIGS) {
  describe(`wasm loss and dropout kernels = reference, ${config.name}`, () => {
    let rt: WasmRuntime;
    beforeAll(async () => {
      rt = await makeRuntime(config);
    });
    afterAll(async () => {
      await rt?.stopPool();
    });

    /** A float32 array in WASM memory ('memory') or an ordinary one ('js', staged by the kernel). */
    const place = (where: 'memory' | 'js', a: Float32Array): Float32Array => (where === 'memory' ? (inMemory(rt, [a])[0] as Float32Array) : a.slice());
    const placeInt = (where: 'memory' | 'js', a: Int32Array): Int32Array => (where === 'memory' ? (inMemory(rt, [a])[0] as Int32Array) : a.slice());

    test('dropoutMask: masks and generator states bit-identical to the reference and to Random, p ∈ {0, 0.2, 0.5, 1}', () => {
      for (const where of ['memory', 'js'] as const) {
        for (const seed of SEEDS) {
          for (const p of PS) {
            const keepScale = p < 1 ? 1 / (1 - p) : 1;
            const rng = new Random(seed);
            const oracle = new Random(seed);
            const refState = new Uint32Array(4);
            new Random(seed).copyWordsTo(refState);
            const state = new Uint32Array(4);
            for (const n of MASK_SIZES) {
              const got = place(where, new Float32Array(n).fill(NaN));
              const want = new Float32Array(n), wantRef = new Float32Array(n);
              plainDropoutMask(oracle, want, p, keepScale);
              refKernels.dropoutMask(wantRef, p, keepScale, refState);
              rng.copyWordsTo(state);
              rt.kernels.dropoutMask(got, p, keepScale, state);
              if (n > 0) rng.setWords(state);
              expectSameBits(got, want, `${where} seed ${seed} p ${p} n ${n}: mask vs the plain JS loop`);
              expectSameBits(got, wantRef, `${where} seed ${seed} p ${p} n ${n}: mask vs the reference kernel`);
              expect(Array.from(state), `${where} seed ${seed} p ${p} n ${n}: state vs the reference kernel`).toEqual(Array.from(refState));
              expect(words(rng), `${where} seed ${seed} p ${p} n ${n}: generator state vs Random`).toEqual(words(oracle));
            }
          }
        }
      }
    });

    test('dropoutMask: the fraction dropped is about p (the comparison is u < p, not u ≤ p)', () => {
      const n = 20000;
      for (const p of [0.2, 0.5]) {
        const m = place('memory', new Float32Array(n));
        const state = new Uint32Array(4);
        new Random(5).copyWordsTo(state);
        rt.kernels.dropoutMask(m, p, 2, state);
        const dropped = m.reduce((a, v) => a + (v === 0 ? 1 : 0), 0) / n;
        expect(Math.abs(dropped - p), `p ${p}: dropped ${dropped}`).toBeLessThan(0.02);
        expect(m.every((v) => v === 0 || v === 2)).toBe(true);
      }
    });

    test('elementwiseLoss / elementwiseLossBackward: random lengths, every kind, mean and sum scales', () => {
      const rng = new Random(40 + config.threads);
      for (const kind of KINDS) {
        for (let c = 0; c < 12; c++) {
          const n = c < 4 ? [1, 2, 3, 4][c]! : 1 + rng.int(3000);
          const [p, y] = lossInputs(kind, rng, n);
          const scale = c % 2 ? 1 : 1 / n;
          const want = new Float32Array(n);
          const oracle = plainElementwise(kind, p, y, scale, new Float32Array(n));
          const wantSum = refKernels.elementwiseLoss(kind, p, y);
          refKernels.elementwiseLossBackward(kind, p, y, scale, want);
          for (const where of ['memory', 'js'] as const) {
            const [pp, yy, g] = [place(where, p), place(where, y), place(where, new Float32Array(n).fill(NaN))];
            const sum = rt.kernels.elementwiseLoss(kind, pp, yy);
            expect(Math.abs(sum - wantSum), `${kind} n ${n} (${where}): sum ${sum}, reference ${wantSum}`).toBeLessThanOrEqual(1e-12 * oracle.abs);
            if (kind === 'mse') expect(sum, `${kind}: no transcendentals, the same sum`).toBe(wantSum);
            rt.kernels.elementwiseLossBackward(kind, pp, yy, scale, g);
            if (kind === 'bceWithLogits') {
              const w = worst(g, want, 2e-6, 1e-30);
              expect(w.excess, `${kind} n ${n} (${where}): grad[${w.at}] = ${w.got}, reference ${w.want}`).toBe(0);
            } else expectSameBits(g, want, `${kind} n ${n} (${where}): gradient`);
          }
        }
      }
    });

    test('BCE: the −100 clamp (ŷ = 0 with y = 1 costs exactly 100), an invalid prediction gives NaN', () => {
      for (const where of ['memory', 'js'] as const) {
        const p = place(where, Float32Array.of(0, 1, 0, 1));
        const y = place(where, Float32Array.of(1, 0, 0, 1));
        expect(rt.kernels.elementwiseLoss('bce', p, y)).toBe(200);
        const g = place(where, new Float32Array(4));
        rt.kernels.elementwiseLossBackward('bce', p, y, 1, g);
        // (ŷ − y) / max(ŷ(1 − ŷ), 1e−12 as float32)
        const eps = Math.fround(1e-12);
        expectSameBits(g, Float32Array.of(-1 / eps, 1 / eps, 0, 0), `BCE gradient at the clamp (${where})`);
        for (const bad of [1.5, -0.25, NaN]) {
          expect(rt.kernels.elementwiseLoss('bce', place(where, Float32Array.of(0.5, bad, 0.5)), place(where, Float32Array.of(1, 1, 1)))).toBeNaN();
        }
      }
    });

    test('elementwiseLoss: a float64 target beside a float32 prediction goes to the reference', () => {
      const rng = new Random(41);
      const [p, y] = lossInputs('mse', rng, 37);
      const y64 = Float64Array.from(y, (v) => v + 1e-9);
      const pm = place('memory', p);
      expect(rt.kernels.elementwiseLoss('mse', pm, y64)).toBe(refKernels.elementwiseLoss('mse', p, y64));
      const g = place('memory', new Float32Array(37)), w = new Float32Array(37);
      rt.kernels.elementwiseLossBackward('mse', pm, y64, 0.5, g);
      refKernels.elementwiseLossBackward('mse', p, y64, 0.5, w);
      expectSameBits(g, w, 'mixed-dtype MSE gradient');
    });

    test('softmaxCrossEntropyBackward: random shapes; indices, one-hot, soft, mixed −1 rows, none; mean and sum', () => {
      const rng = new Random(42 + config.threads);
      for (let c = 0; c < 16; c++) {
        const B = c < 2 ? 1 : 1 + rng.int(80), C = c === 0 ? 1 : 1 + rng.int(c % 4 === 3 ? 300 : 20);
        const logits = randomArray(rng, B * C, 4, [1000, -1000, 0]);
        const labels = new Int32Array(B).map(() => rng.int(C));
        const probs = new Float32Array(B * C);
        refKernels.softmaxCrossEntropy(logits, B, C, labels, null, probs);
        const onehot = new Float32Array(B * C);
        labels.forEach((l, b) => (onehot[b * C + l] = 1));
        const soft = new Float32Array(B * C).map(() => rng.uniform());
        const mixed = labels.map((l, b) => (b % 2 ? -1 : l));
        const scale = c % 2 ? 1 : 1 / B;
        const variants: [string, Int32Array | null, Float32Array | null][] = [
          ['indices', labels, null], ['one-hot', null, onehot], ['soft', null, soft], ['mixed −1 rows', mixed, soft], ['no target', null, null],
        ];
        for (const [what, lab, t] of variants) {
          const want = new Float32Array(B * C).fill(NaN);
          refKernels.softmaxCrossEntropyBackward(probs, B, C, lab, t, scale, want);
          if (what === 'indices' || what === 'one-hot') {
            const oracle = new Float32Array(B * C);
            plainCrossEntropyBackward(probs, B, C, lab, t, scale, oracle);
            expectSameBits(want, oracle, `${B}×${C} ${what}: reference vs the plain loop`);
          }
          if (what === 'no target') expect(want.every((v) => v === 0)).toBe(true);
          for (const where of ['memory', 'js'] as const) {
            const got = place(where, new Float32Array(B * C).fill(NaN));
            rt.kernels.softmaxCrossEntropyBackward(place(where, probs), B, C, lab && placeInt(where, lab), t && place(where, t), scale, got);
            expectSameBits(got, want, `${B}×${C} ${what} scale ${scale} (${where})`);
          }
        }
      }
    });

    test('scale: bit-identical to the reference (s·x in float64, rounded once), s = 1 copies', () => {
      const x = randomArray(new Random(43), 1037, 5, [0, -0, Infinity, -Infinity, 1e-38, 3e38]);
      for (const s of [1, 0.8, 1 / 0.7, 0.5, 0]) {
        const want = new Float32Array(x.length);
        refKernels.scale(x, s, want);
        for (const where of ['memory', 'js'] as const) {
          const got = place(where, new Float32Array(x.length).fill(NaN));
          rt.kernels.scale(place(where, x), s, got);
          expectSameBits(got, want, `scale by ${s} (${where})`);
        }
      }
    });
  });
}

// ---- 3. the layers on every backend = the plain loops ----------------------------------------------

describeBackends('Dropout and losses through the kernel table', (run) => {
  it('float32 runs on the backend\'s own kernels', () => {
    expect(kernelsFor('float32').name).toBe(run.name);
  });

  it('Dropout masks: bit-identical to the plain loop for seeds and p, both modes, consecutive batches; the generator continues', () => {
    for (const seed of SEEDS) {
      for (const p of [0, 0.2, 0.5, 0.9]) {
        for (const mode of ['inverted', 'cmu'] as const) {
          const layer = new nn.Dropout({ p, mode, seed });
          const oracle = new Random(seed);
          const keepScale = mode === 'inverted' ? 1 / (1 - p) : 1;
          for (const shape of [[16, 150], [3, 7], [1, 1], [64, 60]]) {
            const n = shape[0]! * shape[1]!;
            const x = tensorOnBackend(randomArray(new Random(seed + n), n, 2), shape, 'float32');
            const y = layer.forward(x);
            const mask = new Float32Array(n).fill(1);
            if (p > 0) plainDropoutMask(oracle, mask, p, keepScale);
            expectSameBits(y.data, x.data.map((v, i) => v * mask[i]!), `seed ${seed} p ${p} ${mode} [${shape}]: y = x·mask`);
            const dy = tensorOnBackend(randomArray(new Random(seed - n), n), shape, 'float32');
            expectSameBits(layer.backward(dy).data, dy.data.map((v, i) => v * mask[i]!), `seed ${seed} p ${p} ${mode} [${shape}]: dx = dy·mask`);
            expect(layer.generator.getState(), `seed ${seed} p ${p} ${mode} [${shape}]: generator state, as drawn in JS`).toEqual(oracle.getState());
          }
        }
      }
    }
  });

  it('Dropout: two layers sharing one generator draw from it in turn (float32 and float64)', () => {
    for (const dtype of ['float32', 'float64'] as DType[]) {
      const shared = new Random(99);
      const a = new nn.Dropout({ p: 0.3, rng: shared });
      const b = new nn.Dropout({ p: 0.6, mode: 'cmu', rng: shared });
      const oracle = new Random(99);
      for (let step = 0; step < 3; step++) {
        const x = tensorOnBackend(new Float32Array(40).fill(1), [4, 10], dtype);
        const ya = a.forward(x).clone();
        const yb = b.forward(x);
        const ma = new Float64Array(40), mb = new Float64Array(40);
        plainDropoutMask(oracle, ma, 0.3, 1 / (1 - 0.3));
        plainDropoutMask(oracle, mb, 0.6, 1);
        const round = dtype === 'float32' ? Math.fround : (v: number): number => v;
        expectSameBits(ya.data, Array.from(ma, round), `${dtype} step ${step}: layer a`);
        expectSameBits(yb.data, Array.from(mb, round), `${dtype} step ${step}: layer b`);
      }
      expect(shared.getState()).toEqual(oracle.getState());
    }
  });

  it('Dropout in eval mode: y = (1 − p)·x (cmu) or x (inverted), dx the same, as the oracle loop', () => {
    const x = tensorOnBackend(randomArray(new Random(3), 9 * 21, 2, [0, -0, 100]), [9, 21], 'float32');
    const dy = tensorOnBackend(randomArray(new Random(4), 9 * 21), [9, 21], 'float32');
    for (const mode of ['inverted', 'cmu'] as const) {
      const layer = new nn.Dropout({ p: 0.2, mode, seed: 1 });
      layer.eval();
      const before = layer.generator.getState();
      const s = mode === 'cmu' ? 1 - 0.2 : 1;
      expectSameBits(layer.forward(x).data, x.data.map((v) => s * v), `${mode}: eval forward`);
      expectSameBits(layer.backward(dy).data, dy.data.map((v) => s * v), `${mode}: eval backward`);
      expect(layer.generator.getState(), `${mode}: eval draws nothing`).toEqual(before);
    }
  });

  describe('elementwise losses = the oracle loops, mean and sum, random shapes', () => {
    const classes: [ElementwiseLossKind, new (o: nn.LossOptions) => nn.Loss][] = [
      ['mse', nn.MSELoss], ['bce', nn.BCELoss], ['bceWithLogits', nn.BCEWithLogitsLoss],
    ];
    for (const [kind, Cls] of classes) {
      for (const reduction of ['mean', 'sum'] as const) {
        it(`${kind} (${reduction})`, () => {
          const rng = new Random(50);
          for (const shape of [[1, 1], [8, 1], [13, 37], [64, 10], [2, 3, 5]]) {
            const n = shape.reduce((a, b) => a * b, 1);
            const [p, y] = lossInputs(kind, rng, n);
            const loss = new Cls({ reduction });
            const L = loss.forward(tensorOnBackend(p, shape, 'float32'), tensorOnBackend(y, shape, 'float32'));
            const c = reduction === 'mean' ? 1 / n : 1;
            const want = new Float32Array(n);
            const oracle = plainElementwise(kind, p, y, c, want);
            expect(Math.abs(L - oracle.sum * c), `${kind} ${reduction} [${shape}]: loss ${L}, oracle loop ${oracle.sum * c}`).toBeLessThanOrEqual(1e-12 * oracle.abs * c);
            const g = loss.backward();
            if (kind === 'bceWithLogits') {
              const w = worst(g.data, want, 2e-6, 1e-30);
              expect(w.excess, `${kind} ${reduction} [${shape}]: grad[${w.at}] = ${w.got}, oracle loop ${w.want}`).toBe(0);
            } else expectSameBits(g.data, want, `${kind} ${reduction} [${shape}]: gradient`);
          }
        });
      }
    }

    it('BCELoss: the −100 clamp through the layer (mean of 100, 100, ln 2), and the same error for an invalid prediction', () => {
      const bce = new nn.BCELoss();
      const L = bce.forward(tensorOnBackend([0, 1, 0.5], [1, 3], 'float32'), tensorOnBackend([1, 0, 1], [1, 3], 'float32'));
      expect(L).toBeCloseTo((200 + Math.LN2) / 3, 12);
      for (const v of bce.backward().data) expect(Number.isFinite(v)).toBe(true);
      expect(() => bce.forward(tensorOnBackend([0.5, 0.25, 1.5, -1], [2, 2], 'float32'), tensorOnBackend([1, 1, 1, 1], [2, 2], 'float32'))).toThrow(
        'BCELoss: every prediction must be a probability in [0, 1] (apply Sigmoid first, or use BCEWithLogitsLoss); element 2 is 1.5',
      );
      expect(() => bce.forward(tensorOnBackend([0.5, NaN], [2], 'float32'), tensorOnBackend([1, 1], [2], 'float32'))).toThrow('element 1 is NaN');
      // a NaN target is not an error: the loss is NaN, as before
      expect(bce.forward(tensorOnBackend([0.5, 0.5], [2], 'float32'), tensorOnBackend([1, NaN], [2], 'float32'))).toBeNaN();
    });
  });

  it('CrossEntropyLoss keeps its class labels in the backend\'s memory (wasm: read in place, no staging), reused across batches', () => {
    const ce = new nn.CrossEntropyLoss();
    const z = tensorOnBackend(randomArray(new Random(61), 8 * 5), [8, 5], 'float32');
    ce.forward(z, [0, 1, 2, 3, 4, 0, 1, 2]);
    // (a private field, read here only to check where it lives)
    const labels = (ce as unknown as { labelStore: { labels: Int32Array } }).labelStore.labels;
    expect(Array.from(labels)).toEqual([0, 1, 2, 3, 4, 0, 1, 2]);
    const rt = activeRuntime();
    expect(rt !== null && rt.inMemory(labels), `labels in wasm memory on '${run.label}'`).toBe(run.name === 'wasm');
    ce.forward(z, [4, 4, 4, 4, 4, 4, 4, 4]);
    expect((ce as unknown as { labelStore: { labels: Int32Array } }).labelStore.labels, 'the same buffer for a batch of the same size').toBe(labels);
    expect(Array.from(labels)).toEqual([4, 4, 4, 4, 4, 4, 4, 4]);
  });

  describe('CrossEntropyLoss backward = the oracle loop: indices (array, tensor), one-hot, soft targets; mean and sum', () => {
    for (const reduction of ['mean', 'sum'] as const) {
      it(reduction, () => {
        const rng = new Random(60);
        for (const [B, C] of [[1, 2], [5, 3], [64, 10], [3, 300]] as const) {
          const z = tensorOnBackend(randomArray(rng, B * C, 4, [1000, -1000]), [B, C], 'float32');
          const labels = Array.from({ length: B }, () => rng.int(C));
          const onehot = new Float32Array(B * C);
          labels.forEach((l, b) => (onehot[b * C + l] = 1));
          const soft = new Float32Array(B * C).map(() => rng.uniform());
          const c = reduction === 'mean' ? 1 / B : 1;
          const targets: [string, Tensor | number[], Float32Array | null][] = [
            ['indices (array)', labels, null],
            ['indices (tensor)', tensorOnBackend(labels, [B], 'float32'), null],
            ['one-hot', tensorOnBackend(onehot, [B, C], 'float32'), onehot],
            ['soft targets', tensorOnBackend(soft, [B, C], 'float32'), soft],
          ];
          for (const [what, t, rows] of targets) {
            const ce = new nn.CrossEntropyLoss({ reduction });
            ce.forward(z, t);
            const want = new Float32Array(B * C);
            plainCrossEntropyBackward(ce.probabilities.data, B, C, rows ? null : Int32Array.from(labels), rows, c, want);
            expectSameBits(ce.backward().data, want, `${B}×${C} ${what} (${reduction})`);
          }
        }
      });
    }
  });
}, { float64Arithmetic: true });
