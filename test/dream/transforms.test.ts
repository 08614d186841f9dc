// Unit tests of the image transforms: blur, clamp, jitter (roll) and its inverse, bilinear
// resize and its adjoint, octave sizes, gradient clipping, total variation.
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/index.js';
import {
  clampInPlace, clipGradient, gaussianBlur, gaussianKernel, octaveSizes, resizeBilinear, resizeBilinearAdjoint, roll,
  totalVariation,
} from '../../src/dream/index.js';

function randomImage(n: number, seed: number, lo = -0.5, hi = 1.5): Float64Array {
  const a = new Float64Array(n);
  new Random(seed).fillUniform(a, lo, hi);
  return a;
}

const sum = (a: ArrayLike<number>, from = 0, to = a.length): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i]!;
  return s;
};

describe('gaussianBlur', () => {
  it('preserves the mean of every channel (small and large σ, kernels wider than the image)', () => {
    const s = { channels: 2, height: 9, width: 7 };
    for (const sigma of [0.5, 1.3, 5]) {
      const img = randomImage(2 * 9 * 7, 1);
      const before = [sum(img, 0, 63), sum(img, 63, 126)];
      gaussianBlur(img, s, sigma);
      expect(sum(img, 0, 63)).toBeCloseTo(before[0]!, 10);
      expect(sum(img, 63, 126)).toBeCloseTo(before[1]!, 10);
    }
  });

  it('smooths: the total variation drops, a constant image is unchanged', () => {
    const s = { channels: 1, height: 12, width: 12 };
    const img = randomImage(144, 2);
    const tv = totalVariation(img, s);
    gaussianBlur(img, s, 1);
    expect(totalVariation(img, s)).toBeLessThan(tv / 3);
    const flat = new Float64Array(144).fill(0.7);
    gaussianBlur(flat, s, 2);
    for (const v of flat) expect(v).toBeCloseTo(0.7, 12);
  });

  it('has a normalised, symmetric kernel with radius ⌈3σ⌉', () => {
    const k = gaussianKernel(1.2);
    expect(k.length).toBe(2 * 4 + 1);
    expect(sum(k)).toBeCloseTo(1, 14);
    for (let i = 0; i < k.length; i++) expect(k[i]).toBe(k[k.length - 1 - i]);
    expect(() => gaussianKernel(0)).toThrow(/sigma/);
  });
});

describe('clamp', () => {
  it('leaves every value in [0, 1] and keeps values already inside', () => {
    const a = randomImage(500, 3, -3, 4);
    const inside = Array.from(a).map((v, i) => [v, i] as const).filter(([v]) => v >= 0 && v <= 1);
    clampInPlace(a);
    for (const v of a) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    for (const [v, i] of inside) expect(a[i]).toBe(v);
    expect(a.some((v) => v === 0) && a.some((v) => v === 1)).toBe(true);
  });
});

describe('jitter', () => {
  it('roll then un-roll is the identity on the gradient', () => {
    const s = { channels: 3, height: 5, width: 6 };
    const g = randomImage(90, 4);
    for (const [dy, dx] of [[2, -1], [-3, 4], [7, 13], [0, 0]]) {
      const rolled = roll(g, s, dy!, dx!, new Float64Array(90));
      const back = roll(rolled, s, -dy!, -dx!, new Float64Array(90));
      expect(Array.from(back)).toEqual(Array.from(g));
    }
  });

  it('rolls by (dy, dx): out[y, x] = in[y − dy, x − dx] (circularly)', () => {
    const s = { channels: 1, height: 3, width: 4 };
    const a = Float64Array.from({ length: 12 }, (_, i) => i);
    const r = roll(a, s, 1, 2, new Float64Array(12));
    // row 0 of the output is row 2 of the input shifted right by 2: [10, 11, 8, 9]
    expect(Array.from(r.subarray(0, 4))).toEqual([10, 11, 8, 9]);
    expect(r[1 * 4 + 2]).toBe(a[0]);
  });
});

describe('octaves and resizing', () => {
  it('octave sizes grow by the scale up to the model size', () => {
    expect(octaveSizes(28, 28, 3, 1.4)).toEqual([[14, 14], [20, 20], [28, 28]]);
    expect(octaveSizes(28, 20, 1, 1.4)).toEqual([[28, 20]]);
    expect(() => octaveSizes(28, 28, 0, 1.4)).toThrow(/octaves/);
  });

  it('an octave step upsamples to the next size, bilinear with align_corners=False (PyTorch)', () => {
    // torch.nn.functional.interpolate(torch.tensor([[[[0., 1.], [2., 3.]]]]), size=(4, 4), mode='bilinear')
    const up = resizeBilinear([0, 1, 2, 3], { channels: 1, height: 2, width: 2 }, { channels: 1, height: 4, width: 4 }, new Float64Array(16));
    expect(Array.from(up)).toEqual([
      0, 0.25, 0.75, 1,
      0.5, 0.75, 1.25, 1.5,
      1.5, 1.75, 2.25, 2.5,
      2, 2.25, 2.75, 3,
    ]);
    // the 14 → 20 step keeps a constant image constant and a smooth ramp a ramp
    const small = new Float64Array(14 * 14).fill(0.25);
    const big = resizeBilinear(small, { channels: 1, height: 14, width: 14 }, { channels: 1, height: 20, width: 20 }, new Float64Array(400));
    for (const v of big) expect(v).toBeCloseTo(0.25, 14);
  });

  it('the resize adjoint is its transpose: ⟨resize(x), g⟩ = ⟨x, resizeᵀ(g)⟩', () => {
    for (const [h, w, H, W] of [[14, 14, 20, 20], [5, 7, 28, 28], [9, 4, 9, 13]] as const) {
      const from = { channels: 2, height: h, width: w };
      const to = { channels: 2, height: H, width: W };
      const x = randomImage(2 * h * w, 5);
      const g = randomImage(2 * H * W, 6);
      const rx = resizeBilinear(x, from, to, new Float64Array(2 * H * W));
      const ag = resizeBilinearAdjoint(g, from, to, new Float64Array(2 * h * w));
      let l = 0, r = 0;
      for (let i = 0; i < rx.length; i++) l += rx[i]! * g[i]!;
      for (let i = 0; i < x.length; i++) r += x[i]! * ag[i]!;
      expect(l).toBeCloseTo(r, 10);
    }
  });
});

describe('gradient clipping and total variation', () => {
  it('clips by value and by norm', () => {
    const g = Float64Array.from([3, -4, 0.5]);
    expect(Array.from(clipGradient(g.slice(), 1, 'value'))).toEqual([1, -1, 0.5]);
    const n = clipGradient(g.slice(), 2, 'norm');
    expect(Math.hypot(...n)).toBeCloseTo(2, 12);
    expect(n[0]! / n[1]!).toBeCloseTo(-0.75, 12);
    expect(Array.from(clipGradient(g.slice(), 10, 'norm'))).toEqual([3, -4, 0.5]);
  });

  it('total variation sums absolute neighbour differences', () => {
    // [[0, 1], [1, 3]]: |1−0| + |3−1| (rows) + |1−0| + |3−1| (columns) = 6
    expect(totalVariation([0, 1, 1, 3], { channels: 1, height: 2, width: 2 })).toBe(6);
    expect(totalVariation(new Float64Array(50).fill(0.3), { channels: 2, height: 5, width: 5 })).toBe(0);
  });
});
