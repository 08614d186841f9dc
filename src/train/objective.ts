// What a model trains against, chosen by its kind (models/kinds.ts): softmax cross-entropy on the
// class indices, or BCE on one-hot rows made from them (the NYU net with g = σ). The one-hot rows
// live in a buffer reused while the batch shape stays the same.

import { BCELoss, CrossEntropyLoss, type Loss } from '../layers/losses.js';
import { OutputBuffer } from '../layers/module.js';
import type { LossKind } from '../models/kinds.js';
import type { Tensor } from '../tensor.js';

const LOSSES: Record<LossKind, { make: () => Loss; oneHot: boolean }> = {
  'cross-entropy': { make: () => new CrossEntropyLoss(), oneHot: false },
  'bce-one-hot': { make: () => new BCELoss(), oneHot: true },
};

/**
 * The loss a model of a given kind trains against, from class-index labels: softmax cross-entropy,
 * or BCE on one-hot rows made from the labels (the NYU net with g = σ).
 */
export class Objective {
  /** 'cross-entropy' or 'bce-one-hot'. */
  readonly kind: LossKind;
  /** The loss layer itself (its backward gives dL/dprediction). */
  readonly loss: Loss;
  private readonly oneHot: boolean;
  private readonly targets = new OutputBuffer();

  /** The objective of `kind`. */
  constructor(kind: LossKind) {
    this.kind = kind;
    this.loss = LOSSES[kind].make();
    this.oneHot = LOSSES[kind].oneHot;
  }

  /** The loss of predictions (B, C) against the first B labels (a mean over the batch). */
  forward(prediction: Tensor, labels: Int32Array): number {
    if (!this.oneHot) return this.loss.forward(prediction, labels);
    const [B, C] = prediction.shape as [number, number];
    const t = this.targets.get([B, C], prediction.dtype);
    // one-hot rows written on the host (a device backend uploads them with the loss's first kernel)
    const td = t.data;
    td.fill(0);
    for (let b = 0; b < B; b++) td[b * C + labels[b]!] = 1;
    return this.loss.forward(prediction, t);
  }

  /** dL/dprediction of the last forward. */
  backward(): Tensor {
    return this.loss.backward();
  }
}
