// The sparse form in training: SparseBatchLoader's batches are the dense loader's (same samples,
// same order for a seed, the same normalised numbers), chooseInputPath's rule, and a training
// session that takes the sparse path where the data is mostly one value, records it, and trains
// like the dense path.

import { describe, expect, it } from 'vitest';
import { Conv2d } from '../../src/layers/conv.js';
import { Flatten } from '../../src/layers/pool.js';
import { Sequential } from '../../src/layers/sequential.js';
import { mlp } from '../../src/models/mlp.js';
import { Random } from '../../src/random.js';
import {
  BatchLoader, SPARSE_BELOW, SparseBatchLoader, chooseInputPath, computeNormalization, majorityValue,
} from '../../src/train/loader.js';
import { TrainingSession } from '../../src/train/loop.js';
import type { Dataset } from '../../src/data/types.js';
import { blobs, mnistSlice } from './helpers.js';

/** MNIST digits flattened (784 features, background 0, about 19 % ink). */
function digits(perClass: number, testPerClass: number): Dataset {
  return { ...mnistSlice(perClass, testPerClass), sampleShape: [784] };
}

describe('SparseBatchLoader', () => {
  const data = digits(12, 3);
  const norm = computeNormalization(data.train, 784, 'global');

  it('gives the dense loader\'s batches: the same samples in the same order for a seed, the same normalised values', () => {
    const dense = new BatchLoader(data.train, [784], { batchSize: 16, shuffle: true, rng: new Random(5), normalization: norm });
    const sparse = new SparseBatchLoader(data.train, 784, { batchSize: 16, shuffle: true, rng: new Random(5), normalization: norm, background: 0 });
    expect(sparse.batches).toBe(dense.batches);
    for (let epoch = 0; epoch < 2; epoch++) {
      dense.startEpoch();
      sparse.startEpoch();
      expect(Array.from(sparse.indices)).toEqual(Array.from(dense.indices));
      for (let b = 0; b < dense.batches; b++) {
        const d = dense.batch(b);
        const s = sparse.batch(b);
        expect(s.n).toBe(d.n);
        expect(Array.from(s.y)).toEqual(Array.from(d.y));
        expect(Array.from(s.x.rows)).toEqual(Array.from(sparse.indices.subarray(b * 16, b * 16 + s.n)));
        const x = new Float32Array(s.n * 784);
        s.x.matrix.densify(s.x.rows, x);
        // s' + c rounded once against (x − μ)/σ rounded once: within an ulp or two of each
        for (let i = 0; i < x.length; i++) {
          const want = d.x.data[i]!;
          if (!(Math.abs(x[i]! - want) <= 3e-7 * Math.abs(want) + 1e-7)) expect.fail(`epoch ${epoch} batch ${b} entry ${i}: ${x[i]} vs ${want}`);
        }
      }
    }
  });

  it('makes the sparse form once, reuses its batch objects, and holds only the entries off the background', () => {
    const sparse = new SparseBatchLoader(data.train, 784, { batchSize: 50, normalization: norm, background: 0 });
    const m = sparse.matrix;
    let off = 0;
    for (const v of data.train.x) if (v !== 0) off++;
    expect(m.nnz).toBe(off);
    expect(m.bytes).toBe(8 * off + 4 * (data.train.n + 1) + 4 * 784);
    expect(m.bytes).toBeLessThan(0.5 * 4 * data.train.x.length);
    sparse.startEpoch();
    const first = sparse.batch(0);
    sparse.startEpoch();
    expect(sparse.batch(0)).toBe(first);
    expect(sparse.batch(0).x.matrix).toBe(m);
    expect(sparse.batch(sparse.batches - 1).n).toBe(data.train.n - 50 * (sparse.batches - 1));
  });
});

describe('chooseInputPath', () => {
  it('majorityValue: the value that fills more than half, or null', () => {
    expect(majorityValue(Float32Array.from([1, 0, 1, 1, 0.5]))).toEqual({ value: 1, count: 3 });
    expect(majorityValue(Float32Array.from([0, 1, 0, 1]))).toBeNull();
    expect(majorityValue(Float32Array.from([NaN, NaN, NaN]))).toBeNull();
    expect(majorityValue([])).toBeNull();
  });

  it('sparse for a first Linear on data mostly one value; dense when asked, for other first layers, for dense data', () => {
    const digitsData = digits(5, 1);
    const net = mlp(784, [10], 10);
    const p = chooseInputPath(digitsData.train, net, false);
    expect(p.path).toBe('sparse');
    expect(p.background).toBe(0);
    expect(p.nonBackground!).toBeGreaterThan(0.1);
    expect(p.nonBackground!).toBeLessThan(SPARSE_BELOW);
    expect(p.reason).toMatch(/% of the training entries differ from 0/);
    expect(chooseInputPath(digitsData.train, net, true)).toMatchObject({ path: 'dense', reason: 'asked for with --dense' });
    const cnn = new Sequential(new Conv2d(1, 2, 3), new Flatten());
    expect(chooseInputPath(digitsData.train, cnn, false)).toMatchObject({ path: 'dense', reason: expect.stringMatching(/first layer takes dense batches only/) });
    const blobData = blobs({ features: 8 });
    expect(chooseInputPath(blobData.train, mlp(8, [4], 3), false)).toMatchObject({ path: 'dense', reason: 'no value fills more than half of the training data' });
    // 60 % background: a majority, but too many entries off it
    const x = Float32Array.from({ length: 1000 }, (_, i) => (i % 5 < 3 ? 1 : i));
    expect(chooseInputPath({ x, y: new Int32Array(100), n: 100 }, mlp(10, [4], 3), false)).toMatchObject({ path: 'dense', background: 1, reason: expect.stringMatching(/40\.0 % .* \(sparse below 30 %\)/) });
  });
});

describe('TrainingSession with a sparse first layer', () => {
  const data = digits(20, 6);
  const config = { model: { kind: 'mlp' as const, hidden: [32] }, epochs: 3, batchSize: 25, lr: 0.05, momentum: 0.9, seed: 3 };

  it('runs sparse on MNIST digits, records the path, and follows the dense run', async () => {
    const sparse = new TrainingSession(config, data);
    const dense = new TrainingSession(config, data, { dense: true });
    expect(sparse.inputPath.path).toBe('sparse');
    expect(sparse.inputPath.sparseBytes!).toBeLessThan(sparse.inputPath.denseBytes!);
    expect(dense.inputPath).toMatchObject({ path: 'dense', reason: 'asked for with --dense' });
    const hs = await sparse.run();
    const hd = await dense.run();
    expect(hs.map((r) => r.inputPath)).toEqual(['sparse', 'sparse', 'sparse']);
    expect(hd.map((r) => r.inputPath)).toEqual(['dense', 'dense', 'dense']);
    for (let e = 0; e < 3; e++) {
      // float32 rounding differences only: the losses agree to 1e-4, the accuracies to a sample or two
      expect(Math.abs(hs[e]!.trainLoss - hd[e]!.trainLoss), `train loss epoch ${e + 1}`).toBeLessThan(1e-4 * hd[e]!.trainLoss);
      expect(Math.abs(hs[e]!.testLoss - hd[e]!.testLoss), `test loss epoch ${e + 1}`).toBeLessThan(1e-4 * hd[e]!.testLoss);
      expect(Math.abs(hs[e]!.testAccuracy - hd[e]!.testAccuracy), `test accuracy epoch ${e + 1}`).toBeLessThanOrEqual(2 / data.test.n);
    }
    expect(sparse.evaluate({ split: 'train' }).loss).toBeCloseTo(dense.evaluate({ split: 'train' }).loss, 4);
  });
});
