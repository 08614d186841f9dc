// The records a training run emits and keeps (browser-safe): one per optimiser step, one per
// epoch, the state a checkpoint holds to continue a run exactly, the model a run may start from,
// and the error that stops a diverging run. The loop (loop.ts) writes them; the CLI, the plots,
// the checkpoints and the playground read them.

import type { LayerConfig } from '../layers/config.js';
import type { OptimizerState, SchedulerState } from '../optim/index.js';
import type { RandomState } from '../random.js';
import { HandgradError, type Tensor } from '../tensor.js';
import type { TrainConfig } from './config.js';
import type { EarlyStopState } from './early-stop.js';
import type { Normalization } from './loader.js';

/** One epoch: training metrics are means over the epoch's minibatches in train mode; test metrics a full pass in eval mode. */
export interface EpochRecord {
  /**
   * The epoch (1-based). A record of an epoch in progress (TrainingSession.progressRecord) has
   * the epochs trained so far as a fraction instead: 2.25 is a quarter into the third.
   */
  epoch: number;
  /** Mean training loss over the epoch's minibatches. */
  trainLoss: number;
  /** Mean training accuracy over the epoch's minibatches, in [0, 1]. */
  trainAccuracy: number;
  /** Loss on the whole test split, in eval mode. */
  testLoss: number;
  /** Accuracy on the whole test split, in eval mode, in [0, 1]. */
  testAccuracy: number;
  /** Seconds spent in the epoch's steps and its test pass (time between steps is not counted). */
  seconds: number;
  /** Training samples per second of the epoch (training time only). */
  samplesPerSecond: number;
  /** The learning rate of the epoch's last step. */
  lr: number;
  /** The form the first layer took its batches in (TrainingSession.inputPath). */
  inputPath?: 'sparse' | 'dense';
  /** Validation metrics, in eval mode (runs with a validation split only). */
  valLoss?: number;
  /** Validation accuracy (runs with a validation split only). */
  valAccuracy?: number;
}

/** One optimiser step. */
export interface StepRecord {
  /** The epoch, 1-based. */
  epoch: number;
  /** Batch index within the epoch, 0-based. */
  batch: number;
  /** The number of batches in the epoch. */
  batches: number;
  /** Optimiser steps so far in the run, 1-based. */
  step: number;
  /** The minibatch's loss. */
  loss: number;
  /** Accuracy on this minibatch. */
  accuracy: number;
  /** Running means over the epoch so far. */
  epochLoss: number;
  /** Running mean of the minibatch accuracies over the epoch so far. */
  epochAccuracy: number;
  /** Seconds spent in the epoch's steps so far, and training samples per second over them. */
  seconds: number;
  /** Training samples per second of the epoch so far. */
  samplesPerSecond: number;
  /** The learning rate of the step. */
  lr: number;
}

type StreamState = { words: RandomState; spare: number | null };

/** Everything beyond the weights that a checkpoint must hold to continue a run exactly. */
export interface TrainState {
  /** The format's version. */
  version: 1;
  /** The run's training config, every default filled in. */
  config: TrainConfig;
  /** The model's LayerConfig (rebuilds it through the registry). */
  model: LayerConfig;
  /** The input normalisation computed from the training split. */
  normalization: Normalization;
  /** Completed epochs. */
  epoch: number;
  /** One record per completed epoch. */
  history: EpochRecord[];
  /** The optimiser's state (moments, momentum buffers, step count). */
  optimizer: OptimizerState;
  /** The shuffling and dropout streams' states. */
  rng: { shuffle: StreamState; dropout: StreamState };
  /** The learning-rate scheduler's state (runs with a schedule). */
  scheduler?: SchedulerState | null;
  /** Early stopping's counters (runs with earlyStop); the best weights travel beside them. */
  earlyStop?: EarlyStopState | null;
}

/**
 * The loss became NaN or infinite: the run stops, the last checkpoint stays as it was. The error
 * carries a smaller learning rate to try (a tenth of the one in use) for the caller to suggest.
 */
export class TrainingDivergedError extends HandgradError {
  override name = 'TrainingDivergedError';
  /** A tenth of the learning rate in use, rounded to 3 significant digits. */
  readonly suggestedLr: number;
  /** The loss `loss` at `epoch`, batch index `batch`, with learning rate `lr`. */
  constructor(readonly epoch: number, readonly batch: number, readonly loss: number, readonly lr: number) {
    const suggestedLr = +(lr / 10).toPrecision(3);
    super(
      `training diverged: the loss became ${loss} at epoch ${epoch}, batch ${batch + 1} with learning rate ${lr}; ` +
        `a smaller one may train, e.g. ${suggestedLr} (the last good checkpoint was kept)`,
      { code: 'training-diverged', subject: { epoch, batch, loss: String(loss), lr, suggestedLr } },
    );
    this.suggestedLr = suggestedLr;
  }
}

/** A trained model to start from: its layers, its weights (by state-dict name) and the normalisation it was trained with. */
export interface StartingModel {
  /** The model's layer config. */
  config: LayerConfig;
  /** Its parameters and buffers by state-dict name. */
  weights: Map<string, Tensor>;
  /** The input normalisation it was trained with. */
  normalization: Normalization;
}

/** What runFor did: the steps it took, the last one's record, and the epoch it finished, if any. */
export interface SliceResult {
  /** The optimiser steps taken. */
  steps: number;
  /** The last step's record. */
  last: StepRecord;
  /** The record of the epoch whose last batch the slice trained (runFor stops there), or null. */
  epoch: EpochRecord | null;
}
