// The dream library's option table, the adapter from a trained classifier, and the data prior
// from a split: the table's rules are the ones resolveDreamOptions enforces; dreamModelOf gives
// the network the input shape it was trained on; priorFromSplit samples evenly and averages right.
import { describe, expect, it } from 'vitest';
import { DREAM_TRICKS, dreamModelOf, layerChannels, priorFromSplit, resolveDreamOptions, type DreamTrick } from '../../src/dream/index.js';
import { Linear, ReLU, Sequential, Conv2d, Flatten } from '../../src/nn.js';
import { Tensor } from '../../src/tensor.js';

const objective = { kind: 'logit', class: 0 } as const;

describe('the trick table', () => {
  const entries = Object.entries(DREAM_TRICKS) as [DreamTrick, (typeof DREAM_TRICKS)[DreamTrick]][];

  it('names each flag once', () => {
    const flags = entries.map(([, t]) => t.flag);
    expect(new Set(flags).size).toBe(flags.length);
    expect(flags).toContain('grad-blur');
    expect(flags).toContain('no-clamp');
  });

  it('is the rule resolveDreamOptions enforces: every numeric trick refuses what its rule refuses', () => {
    for (const [key, t] of entries) {
      if (t.kind !== 'number') continue;
      const { min, max, integer } = t.rule;
      const bad = [NaN, Infinity, ...(min !== undefined ? [min - 1] : []), ...(max !== undefined ? [max + 1] : []), ...(integer ? [(min ?? 0) + 1.5] : [])];
      for (const v of bad) expect(() => resolveDreamOptions({ objective, [key]: v }), `${key} = ${v}`).toThrow(new RegExp(`option ${key} must be`));
      const ok = min !== undefined ? (t.rule.minExclusive ? min + 0.5 : min) : 0;
      expect(resolveDreamOptions({ objective, [key]: ok })[key as keyof ReturnType<typeof resolveDreamOptions>]).toBe(ok);
    }
  });

  it('choices and switches: a value outside the choices is refused; a switch sets its value', () => {
    expect(() => resolveDreamOptions({ objective, clipMode: 'max' as 'value' })).toThrow(/option clipMode must be one of 'value', 'norm'/);
    expect(() => resolveDreamOptions({ objective, start: 'zero' as 'noise' })).toThrow(/option start must be one of 'noise', 'mean'/);
    expect(DREAM_TRICKS.clamp).toMatchObject({ kind: 'switch', value: false });
    expect(resolveDreamOptions({ objective, clamp: DREAM_TRICKS.clamp.value }).clamp).toBe(false);
    expect(resolveDreamOptions({ objective, plain: DREAM_TRICKS.plain.value }).plain).toBe(true);
  });
});

describe('dreamModelOf', () => {
  const norm = { mean: [0.5], std: [0.25] };
  it('an MLP on flattened images: the image is [1, H, W], the network gets [1, H·W]', () => {
    const mlp = new Sequential(new Linear(16, 8), new ReLU(), new Linear(8, 3));
    const m = dreamModelOf({ model: mlp, sampleShape: [1, 4, 4], inputShape: [16], normalization: norm, classes: ['a', 'b', 'c'] });
    expect(m.inputShape).toEqual([1, 4, 4]);
    expect(m.networkInputShape).toEqual([1, 16]);
    expect(m.mean).toEqual([0.5]);
    expect(layerChannels(m, 0)).toBe(8);
    // flat square samples too
    expect(dreamModelOf({ model: mlp, sampleShape: [16], inputShape: [16], normalization: norm, classes: [] }).inputShape).toEqual([1, 4, 4]);
  });

  it('a CNN: the network takes the image itself', () => {
    const cnn = new Sequential(new Conv2d(1, 2, 3, { padding: 1 }), new Flatten(), new Linear(32, 3));
    const m = dreamModelOf({ model: cnn, sampleShape: [1, 4, 4], inputShape: [1, 4, 4], normalization: norm, classes: ['a', 'b', 'c'] });
    expect(m.networkInputShape).toEqual([1, 1, 4, 4]);
    expect(layerChannels(m, 0)).toBe(2);
  });

  it('refuses what it cannot dream, naming why', () => {
    const mlp = new Sequential(new Linear(15, 3));
    expect(() => dreamModelOf({ model: mlp, sampleShape: [15], inputShape: [15], normalization: norm, classes: [] })).toThrow(/image samples .* got samples of shape \[15\]/);
    expect(() => dreamModelOf({ model: new Linear(16, 3), sampleShape: [16], inputShape: [16], normalization: norm, classes: [] })).toThrow(/needs a Sequential model/);
    expect(() => dreamModelOf({ model: mlp, sampleShape: [1, 4, 4], inputShape: [15], normalization: norm, classes: [] })).toThrow(/do not hold a 1×4×4 image/);
  });
});

describe('priorFromSplit', () => {
  // 10 images of 2×2, image i filled with the value i
  const n = 10;
  const x = new Float32Array(n * 4).map((_, j) => Math.floor(j / 4));
  const split = { x, y: new Int32Array(n), n };

  it('averages evenly spaced images: samples 5 of 10 takes images 0, 2, 4, 6, 8', () => {
    const p = priorFromSplit(split, [1, 2, 2], { k: 0, samples: 5 });
    expect(p.samples).toBe(5);
    expect(p.pca).toBeUndefined();
    expect(p.meanImage.shape).toEqual([1, 2, 2]);
    expect([...p.meanImage.data]).toEqual([4, 4, 4, 4]);
    expect(p.meanImage).toBeInstanceOf(Tensor);
  });

  it('with k > 0: the PCA prior of the same images, whose mean is the mean image', () => {
    const p = priorFromSplit(split, [1, 2, 2], { k: 1, samples: 100 });
    expect(p.samples).toBe(10);
    expect(p.pca!.k).toBe(1);
    expect([...p.meanImage.data]).toEqual([...p.pca!.mean]);
    for (const v of p.meanImage.data) expect(v).toBeCloseTo(4.5, 12);
    expect(p.explainedVariance).toBeCloseTo(4 * 8.25, 6); // 4 pixels, each with the variance of 0…9
  });

  it('refuses a split of the wrong image size and a k beyond the pixels', () => {
    expect(() => priorFromSplit(split, [1, 3, 3], { k: 0, samples: 5 })).toThrow(/images of 1×3×3 = 9/);
    expect(() => priorFromSplit(split, [1, 2, 2], { k: 5, samples: 5 })).toThrow(/k must be an integer from 0 to 4/);
  });
});
