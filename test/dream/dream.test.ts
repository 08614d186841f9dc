// A dream on a tiny CNN trained here (2000 real Fashion-MNIST images halved to 14×14, seconds):
// from seeded grey noise the target probability rises above 0.99; the options behave as documented.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../src/index.js';
import { dream, resolveDreamOptions, type DreamModel, type DreamStep } from '../../src/dream/index.js';
import { fashion, halve, MEAN, STD, tinyTrainedCnn } from './helpers.js';

let model: DreamModel;
let accuracy = 0;

beforeAll(() => {
  const { net, testAccuracy } = tinyTrainedCnn();
  accuracy = testAccuracy;
  model = { net, inputShape: [1, 14, 14], mean: MEAN, std: STD };
}, 120_000);

describe('dream on a tiny trained CNN', () => {
  it('the tiny model learned something', () => {
    expect(accuracy).toBeGreaterThan(0.65);
  });

  // The defaults are tuned for 28×28 inputs; on this 14×14 model the pixel sizes are halved.
  const HALF = { jitter: 1, blurSigma: 0.35, gradBlurSigma: 0.5 };

  it('raises the target probability above 0.99 from grey noise (the tricks on, log-probability objective)', () => {
    for (const cls of [0, 1, 8]) {
      const r = dream(model, { objective: { kind: 'logprob', class: cls }, seed: 1, ...HALF });
      expect(r.probabilities[0]!).toBeLessThan(0.9);
      expect(r.probability!).toBeGreaterThan(0.99);
      expect(r.predicted).toBe(cls);
      expect(r.probabilities).toHaveLength(200);
      expect(r.image.shape).toEqual([1, 14, 14]);
      // clamped (the default): every pixel in [0, 1]
      for (const v of r.image.data) expect(v >= 0 && v <= 1).toBe(true);
    }
  });

  it('plain gradient ascent raises the logit (the sign) and leaves a noisier image than the tricks', () => {
    for (const cls of [0, 1]) {
      const p = dream(model, { objective: { kind: 'logit', class: cls }, steps: 100, seed: 1, plain: true });
      const t = dream(model, { objective: { kind: 'logit', class: cls }, steps: 100, seed: 1, ...HALF });
      expect(p.scores[99]!).toBeGreaterThan(p.scores[0]! + 1);
      expect(p.logit!).toBeGreaterThan(p.scores[0]!);
      expect(p.probability!).toBeGreaterThan(0.99);
      expect(p.totalVariation).toBeGreaterThan(2 * t.totalVariation);
    }
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const o = { objective: { kind: 'logprob' as const, class: 5 }, steps: 20 };
    const a = dream(model, { ...o, seed: 4 });
    const b = dream(model, { ...o, seed: 4 });
    const c = dream(model, { ...o, seed: 5 });
    expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
    expect(Array.from(a.image.data)).not.toEqual(Array.from(c.image.data));
    expect(a.scores[19]!).toBeGreaterThan(a.scores[0]!);
  });

  it('octaves: starts small and upsamples to each next size at equal intervals, ending at the model size', () => {
    const sizes: DreamStep['size'][] = [];
    const r = dream(model, {
      objective: { kind: 'logit', class: 7 }, steps: 30, octaves: 3, octaveScale: 1.4, onStep: (s) => sizes.push(s.size),
    });
    expect(sizes.slice(0, 10).every(([h, w]) => h === 7 && w === 7)).toBe(true);
    expect(sizes.slice(10, 20).every(([h, w]) => h === 10 && w === 10)).toBe(true);
    expect(sizes.slice(20).every(([h, w]) => h === 14 && w === 14)).toBe(true);
    expect(r.image.shape).toEqual([1, 14, 14]);
  });

  it('a middle-layer channel objective raises that channel', () => {
    const r = dream(model, { objective: { kind: 'channel', layer: 'conv2', channel: 3 }, steps: 40, seed: 2 });
    expect(r.target).toBeNull();
    expect(r.probability).toBeNull();
    expect(r.score).toBeGreaterThan(r.scores[0]! + 0.5);
  });

  it('starts from a given image', () => {
    const te = fashion('t10k', 3); // test image 1 is a pullover (class 2)
    expect(te.y[1]).toBe(2);
    const img = new Tensor(halve(te.x, 3).slice(196, 392), [1, 14, 14]);
    const r = dream(model, { objective: { kind: 'logit', class: 2 }, steps: 1, init: img, jitter: 0, octaves: 1, lr: 1e-9 });
    expect(r.options.init).toBe('image');
    // one negligible step: the image is still the start image (only the weight decay 0.005 moves it)
    let diff = 0;
    for (let i = 0; i < 196; i++) diff = Math.max(diff, Math.abs(r.image.data[i]! - img.data[i]!));
    expect(diff).toBeLessThan(0.01);
    expect(() => dream(model, { objective: { kind: 'logit', class: 2 }, init: Tensor.zeros([3, 14, 14]) })).toThrow(/start image/);
  });
});

describe('dream options', () => {
  it('plain turns every trick off; explicit options still win', () => {
    const t = resolveDreamOptions({ objective: { kind: 'logit', class: 0 } });
    expect(t).toMatchObject({ blurEvery: 2, blurSigma: 0.7, clamp: true, weightDecay: 0.005, gradBlurSigma: 1, octaves: 2, normalizeStep: true, jitter: 2, lr: 0.05, steps: 200, target: 0 });
    const p = resolveDreamOptions({ objective: { kind: 'logit', class: 3 }, plain: true });
    expect(p).toMatchObject({ blurEvery: 0, clamp: false, weightDecay: 0, gradBlurSigma: 0, clip: 0, octaves: 1, normalizeStep: false, jitter: 2, lr: 0.1, target: 3 });
    expect(resolveDreamOptions({ objective: { kind: 'logit', class: 3 }, plain: true, clamp: true }).clamp).toBe(true);
    expect(() => resolveDreamOptions({ objective: { kind: 'logit', class: 0 }, steps: 0 })).toThrow(/steps/);
    expect(() => resolveDreamOptions({ objective: [] })).toThrow(/objective/);
  });

  it('errors name the layer or class', () => {
    expect(() => dream(model, { objective: { kind: 'channel', layer: 'conv9', channel: 0 }, steps: 1 })).toThrow(/no layer named 'conv9'/);
    expect(() => dream(model, { objective: { kind: 'channel', layer: 'conv1', channel: 4 }, steps: 1 })).toThrow(/channel 4/);
    expect(() => dream(model, { objective: { kind: 'logit', class: 10 }, steps: 1 })).toThrow(/class 10/);
  });
});
