// Scoring a classifier on a split: the mean loss, the accuracy (argmax of the logits against the
// label) and, when asked, the confusion matrix. The model runs in eval() mode over the split in its
// stored order, batch after batch from a BatchLoader (normalised as in training). Browser-safe.
//   logits (B, C), labels Int32Array (B) → correct count; confusion (C × C) Int32Array,
//   confusion[t · C + p] = samples of true class t predicted as p.

import type { Split } from '../data/types.js';
import type { Module } from '../layers/module.js';
import type { LossKind } from '../models/kinds.js';
import type { Tensor } from '../tensor.js';
import { BatchLoader, type Normalization } from './loader.js';
import { Objective } from './objective.js';

/** The score of a model on a split. */
export interface Evaluation {
  /** Mean loss over the split's samples. */
  loss: number;
  /** Fraction of samples whose largest logit is their label. */
  accuracy: number;
  /** Samples scored. */
  n: number;
  /** When asked for: classes × classes counts, row = true class, column = predicted class. */
  confusion?: Int32Array;
}

/**
 * argmax over each of the first `n` rows of logits (B, C) compared with the labels: the number
 * correct. With `confusion` (C × C), each row also adds one to confusion[label · C + argmax].
 */
export function countCorrect(logits: Tensor, y: Int32Array, n: number, confusion?: Int32Array): number {
  const C = logits.shape[1]!;
  const z = logits.data;
  let correct = 0;
  for (let b = 0; b < n; b++) {
    let best = 0;
    for (let j = 1; j < C; j++) if (z[b * C + j]! > z[b * C + best]!) best = j;
    const label = y[b]!;
    if (best === label) correct++;
    if (confusion) confusion[label * C + best]! += 1;
  }
  return correct;
}

/**
 * One pass over every batch of `loader` in eval mode: the mean loss (each batch's mean weighted
 * by its size) and the accuracy; the confusion matrix too when `classes` is given.
 */
export function evaluateLoader(model: Module, loader: BatchLoader, objective: Objective, classes?: number): Evaluation {
  model.eval();
  loader.startEpoch();
  const confusion = classes === undefined ? undefined : new Int32Array(classes * classes);
  let lossSum = 0;
  let correct = 0;
  let n = 0;
  for (let b = 0; b < loader.batches; b++) {
    const batch = loader.batch(b);
    const logits = model.forward(batch.x);
    lossSum += objective.forward(logits, batch.y) * batch.n;
    correct += countCorrect(logits, batch.y, batch.n, confusion);
    n += batch.n;
  }
  return { loss: lossSum / n, accuracy: correct / n, n, ...(confusion ? { confusion } : {}) };
}

/**
 * Mean loss (cross-entropy unless `loss` says otherwise) and accuracy of a model over a split, in
 * eval mode (normalised like training). `inputShape` is the model's sample shape (modelInputShape).
 */
export function evaluateModel(
  model: Module, split: Split, inputShape: readonly number[], normalization: Normalization, batchSize = 500, loss: LossKind = 'cross-entropy',
): { loss: number; accuracy: number; n: number } {
  const loader = new BatchLoader(split, inputShape, { batchSize, normalization });
  const r = evaluateLoader(model, loader, new Objective(loss));
  return { loss: r.loss, accuracy: r.accuracy, n: r.n };
}

/** Softmax probabilities (float64) of logits row `row` of a (B, C) tensor. */
export function softmaxRow(logits: Tensor, row: number): number[] {
  const C = logits.shape[1]!;
  let m = -Infinity;
  for (let j = 0; j < C; j++) m = Math.max(m, logits.data[row * C + j]!);
  const e = Array.from({ length: C }, (_, j) => Math.exp(logits.data[row * C + j]! - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
