// The penalties added to the dream energy (smoothed TV, smoothed L1, L2 to the mean image):
// their hand-written gradients against central finite differences in float64; the PCA data
// prior (principal directions of real Fashion-MNIST images, projection); and that each of them
// does what it is for inside a dream (TV lowers the total variation, the mean prior pulls the
// image towards the mean, the PCA prior keeps it in the span).
import { describe, expect, it } from 'vitest';
import { Random, Tensor } from '../../src/index.js';
import {
  dream, meanPrior, pcaPrior, projectOntoPrior, resolveDreamOptions, smoothL1, smoothTotalVariation, totalVariation,
} from '../../src/dream/index.js';
import { fashion, halve, MEAN, STD, tinyTrainedCnn } from './helpers.js';

function randomImage(n: number, seed: number, lo = 0, hi = 1): Float64Array {
  const a = new Float64Array(n);
  new Random(seed).fillUniform(a, lo, hi);
  return a;
}

/** max |analytic − numeric| / max(1, |numeric|) over every pixel, central differences with step h. */
function fdError(f: (x: Float64Array) => number, grad: Float64Array, x: Float64Array, h = 1e-6): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v + h;
    const up = f(x);
    x[i] = v - h;
    const down = f(x);
    x[i] = v;
    const num = (up - down) / (2 * h);
    worst = Math.max(worst, Math.abs(grad[i]! - num) / Math.max(1, Math.abs(num)));
  }
  return worst;
}

describe('penalty gradients (finite differences, float64)', () => {
  const s = { channels: 2, height: 5, width: 6 };
  const n = 60;

  it('smoothed total variation: gradient matches, value tends to the TV as ε → 0', () => {
    for (const eps of [0.01, 0.3]) {
      const img = randomImage(n, 1);
      const g = new Float64Array(n);
      smoothTotalVariation(img, s, eps, g, 1.7);
      expect(fdError((x) => 1.7 * smoothTotalVariation(x, s, eps), g, img)).toBeLessThan(1e-6);
    }
    const img = randomImage(n, 2);
    expect(smoothTotalVariation(img, s, 1e-9)).toBeCloseTo(totalVariation(img, s), 6);
    // the gradient is accumulated (+=), not overwritten
    const g1 = new Float64Array(n), g2 = new Float64Array(n);
    smoothTotalVariation(img, s, 0.01, g1);
    smoothTotalVariation(img, s, 0.01, g2);
    smoothTotalVariation(img, s, 0.01, g2);
    for (let i = 0; i < n; i++) expect(g2[i]).toBeCloseTo(2 * g1[i]!, 12);
  });

  it('smoothed L1: gradient matches (on both signs), ≈ sign(v) away from 0', () => {
    const img = randomImage(n, 3, -1, 1);
    const g = new Float64Array(n);
    smoothL1(img, 0.01, g, 0.4);
    expect(fdError((x) => 0.4 * smoothL1(x, 0.01), g, img)).toBeLessThan(1e-6);
    for (let i = 0; i < n; i++) if (Math.abs(img[i]!) > 0.2) expect(g[i]).toBeCloseTo(0.4 * Math.sign(img[i]!), 2);
  });

  it('mean prior ½‖img − m‖²: gradient matches, zero at the mean', () => {
    const img = randomImage(n, 4);
    const m = randomImage(n, 5);
    const g = new Float64Array(n);
    meanPrior(img, m, g, 2);
    expect(fdError((x) => 2 * meanPrior(x, m), g, img)).toBeLessThan(1e-6);
    const g0 = new Float64Array(n);
    expect(meanPrior(m, m, g0)).toBe(0);
    expect(Math.max(...g0.map(Math.abs))).toBe(0);
  });
});

describe('PCA prior on real Fashion-MNIST images', () => {
  const N = 600;
  const { x } = fashion('train', N);
  const p = pcaPrior(x, N, 784, 12, { iterations: 60 });

  it('without the covariance matrix (the form for large images), the same directions and variances', () => {
    const q = pcaPrior(x, N, 784, 12, { iterations: 60, dense: false });
    for (let a = 0; a < 6; a++) {
      expect(q.variances[a]!).toBeCloseTo(p.variances[a]!, 6);
      let dot = 0;
      for (let j = 0; j < 784; j++) dot += p.basis[a * 784 + j]! * q.basis[a * 784 + j]!;
      expect(Math.abs(dot)).toBeCloseTo(1, 4);
    }
  });

  it('finds orthonormal directions, sorted, whose variance matches the data; projection is idempotent', () => {
    for (let a = 0; a < p.k; a++) {
      for (let b = 0; b <= a; b++) {
        let dot = 0;
        for (let j = 0; j < 784; j++) dot += p.basis[a * 784 + j]! * p.basis[b * 784 + j]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 6);
      }
      if (a > 0) expect(p.variances[a]!).toBeLessThanOrEqual(p.variances[a - 1]! + 1e-9);
    }
    // the variance of the data along direction 0 is the first eigenvalue
    let v = 0;
    for (let i = 0; i < N; i++) {
      let z = 0;
      for (let j = 0; j < 784; j++) z += p.basis[j]! * (x[i * 784 + j]! - p.mean[j]!);
      v += (z * z) / N;
    }
    expect(v).toBeCloseTo(p.variances[0]!, 4);
    // no direction outside the span carries more variance than the last one kept: a random unit
    // vector orthogonal to the span has variance ≤ the 12th eigenvalue
    const r = randomImage(784, 6, -1, 1);
    projectOntoPrior(r, p, false); // r − UUᵀr is orthogonal to the span
    const q = randomImage(784, 6, -1, 1);
    for (let j = 0; j < 784; j++) q[j]! -= r[j]!;
    const nq = Math.hypot(...q);
    let vq = 0;
    for (let i = 0; i < N; i++) {
      let z = 0;
      for (let j = 0; j < 784; j++) z += (q[j]! / nq) * (x[i * 784 + j]! - p.mean[j]!);
      vq += (z * z) / N;
    }
    expect(vq).toBeLessThanOrEqual(p.variances[p.k - 1]! * 1.001);
    // projecting twice = projecting once; the mean image is its own projection
    const img = randomImage(784, 7);
    projectOntoPrior(img, p, true);
    const again = Float64Array.from(img);
    projectOntoPrior(again, p, true);
    for (let j = 0; j < 784; j++) expect(again[j]).toBeCloseTo(img[j]!, 10);
    const m = Float64Array.from(p.mean);
    projectOntoPrior(m, p, true);
    for (let j = 0; j < 784; j++) expect(m[j]).toBeCloseTo(p.mean[j]!, 12);
  });
});

describe('the new terms inside a dream (tiny CNN, 14×14 Fashion-MNIST)', () => {
  const { net } = tinyTrainedCnn();
  const model = { net, inputShape: [1, 14, 14] as [number, number, number], mean: MEAN, std: STD };
  const N = 500;
  const small = halve(fashion('train', N).x, N);
  const mean = new Float64Array(196);
  for (let i = 0; i < N; i++) for (let j = 0; j < 196; j++) mean[j]! += small[i * 196 + j]! / N;
  const meanImage = new Tensor(mean, [1, 14, 14]);
  const base = { objective: { kind: 'logprob' as const, class: 8 }, steps: 60, octaves: 1, blurEvery: 0, gradBlurSigma: 0, weightDecay: 0, jitter: 1 };
  const dist = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
    return Math.sqrt(s);
  };

  it('a TV penalty lowers the total variation of the result', () => {
    const off = dream(model, base);
    const on = dream(model, { ...base, tv: 0.5 });
    expect(on.totalVariation).toBeLessThan(0.7 * off.totalVariation);
  });

  it('the mean prior pulls the image towards the mean image; start: mean starts there (recorded)', () => {
    const off = dream(model, { ...base, start: 'mean', meanImage });
    const on = dream(model, { ...base, start: 'mean', meanImage, prior: 10 }); // allows ~1/10 per pixel against the normalised gradient
    expect(off.options.init).toBe('mean');
    expect(dist(on.image.data, mean)).toBeLessThan(0.7 * dist(off.image.data, mean));
    // with no steps' worth of movement, the start is the mean image plus the noise
    const still = dream(model, { ...base, start: 'mean', meanImage, steps: 1, lr: 1e-9, noise: 0 });
    expect(dist(still.image.data, mean)).toBeLessThan(1e-6);
    expect(() => dream(model, { ...base, start: 'mean' })).toThrow(/meanImage/);
  });

  it('the PCA prior keeps the image in the span and switches the pixel-space defaults', () => {
    const p = pcaPrior(small, N, 196, 8);
    const o = resolveDreamOptions({ objective: base.objective, pca: p });
    expect(o).toMatchObject({ init: 'mean', octaves: 1, blurEvery: 0, gradBlurSigma: 0, weightDecay: 0, tv: 0.35, pca: 8, lr: 0.05, steps: 300, priorRelax: 0.05 });
    expect(o.lrEnd).toBeCloseTo(0.005, 12);
    expect(resolveDreamOptions({ objective: base.objective, pca: p, plain: true })).toMatchObject({ init: 'noise', pca: 0, tv: 0, priorRelax: 0 });
    const r = dream(model, { objective: base.objective, pca: p, steps: 60, clamp: false, priorRelax: 0 });
    const proj = Float64Array.from(r.image.data);
    projectOntoPrior(proj, p, true);
    expect(dist(proj, r.image.data)).toBeLessThan(1e-9);
    expect(r.probability!).toBeGreaterThan(0.9);
  });

  it('the prior lets go in the final steps: the image leaves the span by little, the probability only rises', () => {
    const p = pcaPrior(small, N, 196, 8);
    const held = dream(model, { objective: base.objective, pca: p, steps: 60, priorRelax: 0 });
    const relaxed = dream(model, { objective: base.objective, pca: p, steps: 60, priorRelax: 0.25 });
    // the first 45 steps are the same
    expect(relaxed.probabilities.slice(0, 45)).toEqual(held.probabilities.slice(0, 45));
    const proj = Float64Array.from(relaxed.image.data);
    projectOntoPrior(proj, p, true);
    const off = dist(proj, relaxed.image.data);
    expect(off).toBeGreaterThan(1e-6);
    expect(off).toBeLessThan(0.5 * dist(relaxed.image.data, p.mean));
    expect(relaxed.probability!).toBeGreaterThanOrEqual(held.probability! - 1e-6);
  });
});
