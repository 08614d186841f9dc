// Normalisation of a data set's pixels with statistics of the *training* split only (the test
// split must not leak into them). Browser-safe.
//   'standard': x ← (x − μ) / σ with one scalar μ, σ over every training pixel (like
//               torchvision's Normalize((0.2860,), (0.3530,)) for Fashion-MNIST)
//   'none':     unchanged (the readers' [0, 1] scaling)

import { HandgradError } from '../tensor.js';
import type { Dataset, Split } from './types.js';

export type NormalizeMode = 'standard' | 'none';

export interface Normalized {
  dataset: Dataset;
  mean: number;
  std: number;
}

/** Returns a new Dataset (the input is untouched) and the μ, σ used. */
export function normalize(dataset: Dataset, mode: NormalizeMode): Normalized {
  if (mode === 'none') return { dataset, mean: 0, std: 1 };
  if (mode !== 'standard') throw new HandgradError(`normalize: mode must be 'standard' or 'none', got '${String(mode)}'`);
  const x = dataset.train.x;
  if (x.length === 0) throw new HandgradError(`normalize: data set '${dataset.name}' has an empty training split`);
  // two passes in float64: mean, then variance about the mean (stable)
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]!;
  const mean = sum / x.length;
  let sq = 0;
  for (let i = 0; i < x.length; i++) sq += (x[i]! - mean) ** 2;
  const std = Math.sqrt(sq / x.length);
  if (!(std > 0)) throw new HandgradError(`normalize: training pixels of '${dataset.name}' are constant (σ = 0); use 'none'`);
  return { dataset: applyNormalization(dataset, mean, std), mean, std };
}

/** x ← (x − mean) / std on both splits (e.g. with the μ, σ saved in a checkpoint). */
export function applyNormalization(dataset: Dataset, mean: number, std: number): Dataset {
  const apply = (s: Split): Split => {
    const x = new Float32Array(s.x.length);
    const inv = 1 / std;
    for (let i = 0; i < x.length; i++) x[i] = (s.x[i]! - mean) * inv;
    return { x, y: s.y, n: s.n };
  };
  return {
    ...dataset,
    train: apply(dataset.train),
    test: apply(dataset.test),
    source: { ...dataset.source, normalization: { mode: 'standard', mean, std } },
  };
}
