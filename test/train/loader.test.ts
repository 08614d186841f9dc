import { describe, expect, it } from 'vitest';
import { Random } from '../../src/random.js';
import { BatchLoader, computeNormalization } from '../../src/train/loader.js';
import { blobs, mnistSlice } from './helpers.js';

/** The sample order of one epoch, read back through the batches' labels and first feature. */
function epochOrder(loader: BatchLoader): number[] {
  loader.startEpoch();
  const order: number[] = [];
  for (let b = 0; b < loader.batches; b++) {
    const batch = loader.batch(b);
    for (let i = 0; i < batch.n; i++) order.push(loader.indices[b * loader.batchSize + i]!);
  }
  return order;
}

describe('BatchLoader', () => {
  const data = blobs({ train: 103, features: 5 });

  it('visits every sample exactly once per epoch, in batches of batchSize and a smaller last one', () => {
    const loader = new BatchLoader(data.train, data.sampleShape, { batchSize: 10, shuffle: true, rng: new Random(1) });
    expect(loader.batches).toBe(11);
    loader.startEpoch();
    const sizes = Array.from({ length: loader.batches }, (_, b) => loader.batch(b).n);
    expect(sizes).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
    expect(loader.batch(10).x.shape).toEqual([3, 5]);
    expect(epochOrder(loader).sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
  });

  it('copies the right samples and labels into the batch', () => {
    const loader = new BatchLoader(data.train, data.sampleShape, { batchSize: 16, shuffle: true, rng: new Random(3) });
    loader.startEpoch();
    const batch = loader.batch(2);
    for (let i = 0; i < batch.n; i++) {
      const s = loader.indices[32 + i]!;
      expect(batch.y[i]).toBe(data.train.y[s]);
      expect(Array.from(batch.x.data.subarray(i * 5, i * 5 + 5))).toEqual(Array.from(data.train.x.subarray(s * 5, s * 5 + 5)));
    }
  });

  it('is deterministic for a seed and reshuffles every epoch', () => {
    const a = new BatchLoader(data.train, data.sampleShape, { batchSize: 8, shuffle: true, rng: new Random(42) });
    const b = new BatchLoader(data.train, data.sampleShape, { batchSize: 8, shuffle: true, rng: new Random(42) });
    const c = new BatchLoader(data.train, data.sampleShape, { batchSize: 8, shuffle: true, rng: new Random(43) });
    const a1 = epochOrder(a), a2 = epochOrder(a);
    expect(epochOrder(b)).toEqual(a1);
    expect(epochOrder(b)).toEqual(a2);
    expect(a2).not.toEqual(a1);
    expect(epochOrder(c)).not.toEqual(a1);
  });

  it('keeps the order 0..n−1 without shuffling', () => {
    const loader = new BatchLoader(data.test, data.sampleShape, { batchSize: 7 });
    expect(epochOrder(loader)).toEqual(Array.from({ length: data.test.n }, (_, i) => i));
  });

  it('reuses its batch tensors (no allocation per batch)', () => {
    const loader = new BatchLoader(data.train, data.sampleShape, { batchSize: 10, shuffle: true, rng: new Random(1) });
    loader.startEpoch();
    const first = loader.batch(0);
    const x = first.x;
    loader.batch(1);
    loader.startEpoch();
    expect(loader.batch(5).x).toBe(x);
    expect(loader.batch(10).x).toBe(loader.batch(10).x);
  });

  it('normalises with statistics of the training split (global and per feature)', () => {
    const mnist = mnistSlice(20, 5);
    const g = computeNormalization(mnist.train, 784, 'global');
    const loader = new BatchLoader(mnist.train, mnist.sampleShape, { batchSize: mnist.train.n, normalization: g });
    loader.startEpoch();
    const x = loader.batch(0).x.data;
    let m = 0, v = 0;
    for (const t of x) m += t;
    m /= x.length;
    for (const t of x) v += (t - m) ** 2;
    expect(m).toBeCloseTo(0, 5);
    expect(Math.sqrt(v / x.length)).toBeCloseTo(1, 4);

    const p = computeNormalization(data.train, 5, 'per-feature');
    expect(p.mean).toHaveLength(5);
    const l2 = new BatchLoader(data.train, data.sampleShape, { batchSize: data.train.n, normalization: p });
    l2.startEpoch();
    const xs = l2.batch(0).x.data;
    for (let f = 0; f < 5; f++) {
      let s = 0;
      for (let i = 0; i < data.train.n; i++) s += xs[i * 5 + f]!;
      expect(s / data.train.n).toBeCloseTo(0, 4);
    }
    // a pixel that is always 0 has std 0: it is only shifted, never divided by 0
    const pm = computeNormalization(mnist.train, 784, 'per-feature');
    expect(pm.std[0]).toBe(1);
  });

  it('refuses inconsistent splits and bad batch sizes', () => {
    expect(() => new BatchLoader(data.train, [6], { batchSize: 4 })).toThrow(/expected 103 samples × 6/);
    expect(() => new BatchLoader(data.train, data.sampleShape, { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new BatchLoader(data.train, data.sampleShape, { batchSize: 4, shuffle: true })).toThrow(/seeded Random/);
  });
});
