// The validation split: a seeded fraction of the training data held out from training, for
// validation metrics and early stopping (never the test set). The held-out samples are the first
// ⌊n·fraction⌉ of a permutation drawn from the run's split stream; the rest keep their order (the
// loader shuffles them every epoch). At least one sample goes to each side. A split's prefix is
// the sample a quick evaluation scores.

import type { Split } from '../data/types.js';
import type { Random } from '../random.js';
import { HandgradError } from '../tensor.js';

function take(split: Split, features: number, indices: Int32Array): Split {
  const x = new Float32Array(indices.length * features);
  const y = new Int32Array(indices.length);
  indices.forEach((s, i) => {
    x.set(split.x.subarray(s * features, (s + 1) * features), i * features);
    y[i] = split.y[s]!;
  });
  return { x, y, n: indices.length };
}

/** Splits `train` into a training part and a validation part of `fraction` of its samples. */
export function validationSplit(train: Split, features: number, fraction: number, rng: Random): { train: Split; val: Split } {
  const nVal = Math.min(train.n - 1, Math.max(1, Math.round(train.n * fraction)));
  if (train.n < 2 || !(fraction > 0 && fraction < 1)) {
    throw new HandgradError(`validation split: needs a fraction in (0, 1) of at least 2 training samples, got ${fraction} of ${train.n}`);
  }
  const perm = rng.permutation(train.n);
  const held = perm.slice(0, nVal).sort();
  const isHeld = new Uint8Array(train.n);
  for (const i of held) isHeld[i] = 1;
  const kept = new Int32Array(train.n - nVal);
  let k = 0;
  for (let i = 0; i < train.n; i++) if (!isHeld[i]) kept[k++] = i;
  return { train: take(train, features, kept), val: take(train, features, held) };
}

/**
 * The first `n` samples of `split` (views of its arrays, no copy), or the split itself when it has
 * no more than `n`. In a split stored in a seeded random order (the embedded MNIST's) the prefix
 * is a uniform sample of it.
 */
export function splitPrefix(split: Split, n: number): Split {
  if (!Number.isInteger(n) || n < 1) throw new HandgradError(`split prefix: the sample count must be a whole number ≥ 1, got ${n}`);
  if (n >= split.n) return split;
  const features = split.x.length / split.n;
  return { x: split.x.subarray(0, n * features), y: split.y.subarray(0, n), n };
}
