// The training loop. It owns the order of one step:
//   forward → loss → zeroGrad → backward → (clip the gradients' norm) → step → (per-step schedule)
// and of one epoch: the minibatches in train() mode, then the test pass and the validation pass
// in eval() mode, the per-epoch schedule (ReduceLROnPlateau reads the validation loss, or the
// training loss without a validation split), then early stopping. It emits one typed record per step and one per epoch through callbacks, which the
// CLI, the plots, the checkpoints and the browser playground all read. Browser-safe: no fs.

import type { Dataset, Split } from '../data/types.js';
import { validateLayerConfig, type LayerConfig } from '../layers/config.js';
import type { Module } from '../layers/module.js';
import { modelLoss, type LossKind } from '../models/kinds.js';
import { clipGradNorm } from '../optim/clip.js';
import { buildSchedule, OPTIMIZERS, SCHEDULES, type LRScheduler, type Optimizer, type OptimizerState, type SchedulerState } from '../optim/index.js';
import type { Parameter } from '../parameter.js';
import type { Random, RandomState } from '../random.js';
import { HandgradError, type Tensor, shapeString } from '../tensor.js';
import { buildFromConfig, checkModelInput, modelConfig, modelInputShape, resolveConfig, runStreams, type TrainConfig } from './config.js';
import { EarlyStopping, type EarlyStopState } from './early-stop.js';
import { BatchLoader, checkNormalization, computeNormalization, type Normalization } from './loader.js';
import { Objective } from './objective.js';
import { validationSplit } from './split.js';

/** One epoch: training metrics are means over the epoch's minibatches in train mode; test metrics a full pass in eval mode. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  /** Wall-clock seconds of the epoch, training and test pass. */
  seconds: number;
  /** Training samples per second of the epoch (training time only). */
  samplesPerSecond: number;
  /** The lr of the epoch's last step. */
  lr: number;
  /** Validation metrics, in eval mode (runs with a validation split only). */
  valLoss?: number;
  valAccuracy?: number;
}

/** One optimiser step. */
export interface StepRecord {
  epoch: number;
  /** Batch index within the epoch, 0-based. */
  batch: number;
  batches: number;
  /** Optimiser steps so far in the run, 1-based. */
  step: number;
  loss: number;
  /** Accuracy on this minibatch. */
  accuracy: number;
  /** Running means over the epoch so far. */
  epochLoss: number;
  epochAccuracy: number;
  /** Seconds since the epoch started and training samples per second so far. */
  seconds: number;
  samplesPerSecond: number;
  lr: number;
}

type StreamState = { words: RandomState; spare: number | null };

/** Everything beyond the weights that a checkpoint must hold to continue a run exactly. */
export interface TrainState {
  version: 1;
  config: TrainConfig;
  /** The model's LayerConfig (rebuilds it through the registry). */
  model: LayerConfig;
  normalization: Normalization;
  /** Completed epochs. */
  epoch: number;
  history: EpochRecord[];
  optimizer: OptimizerState;
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
  readonly suggestedLr: number;
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

export interface TrainCallbacks {
  onStep?: (record: StepRecord) => void;
  /** Called after every epoch (after its record is in the history); awaited (checkpoints go here). */
  onEpoch?: (record: EpochRecord, session: TrainingSession) => void | Promise<void>;
  /** Run epochs up to and including this one, then return (the run can be resumed). */
  stopAfterEpoch?: number;
  /** Checked between batches: when aborted, the epoch in progress is abandoned and run() returns. */
  signal?: AbortSignal;
  /** Yield to the event loop every this many batches (progress bars, browsers). Default 25. */
  yieldEvery?: number;
}

export interface SessionOptions {
  /** Continue from a checkpoint: its state and its weights (by namedParameters() name). */
  resume?: { state: TrainState; weights: Map<string, Tensor>; best?: Map<string, Tensor> };
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
const pause = (): Promise<void> => new Promise((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));

/** argmax over each row of logits (B, C) compared with the labels: the number correct. */
export function countCorrect(logits: Tensor, y: Int32Array, n: number): number {
  const C = logits.shape[1]!;
  const z = logits.data;
  let correct = 0;
  for (let b = 0; b < n; b++) {
    let best = 0;
    for (let j = 1; j < C; j++) if (z[b * C + j]! > z[b * C + best]!) best = j;
    if (best === y[b]) correct++;
  }
  return correct;
}

/** A model, its optimiser, its data and its streams: one run, which can be checkpointed and resumed. */
export class TrainingSession {
  readonly config: TrainConfig;
  readonly data: Dataset;
  readonly modelConfig: LayerConfig;
  readonly model: Module;
  readonly optimizer: Optimizer;
  readonly normalization: Normalization;
  /** The shape of one sample as the model sees it (flat for MLPs, [C, H, W] for the cnn). */
  readonly inputShape: number[];
  readonly shuffleRng: Random;
  readonly dropoutRng: Random;
  /** Completed epochs. */
  epoch = 0;
  readonly history: EpochRecord[] = [];
  /** The loss the model kind trains with, and its targets. */
  readonly objective: Objective;
  /** The schedule that sets the optimiser's lr (null: a constant lr). */
  readonly scheduler: LRScheduler | null;
  /** Early stopping on the validation loss (null without earlyStop). */
  readonly earlyStopping: EarlyStopping | null;
  /** The samples trained on: the training split less the validation split. */
  readonly trainSplit: Split;
  /** The validation split carved from the training data (null without val). */
  readonly valSplit: Split | null;
  private readonly trainLoader: BatchLoader;
  private readonly testLoader: BatchLoader;
  private readonly valLoader: BatchLoader | null;
  private readonly params: Parameter[];

  constructor(config: Partial<TrainConfig>, data: Dataset, options: SessionOptions = {}) {
    checkDataset(data);
    const resume = options.resume;
    this.config = resolveConfig(resume ? resume.state.config : config);
    this.data = data;
    const c = this.config;
    const streams = runStreams(c.seed);
    this.shuffleRng = streams.shuffle;
    this.dropoutRng = streams.dropout;
    const features = data.train.x.length / data.train.n;
    const split = c.val > 0 ? validationSplit(data.train, features, c.val, streams.split) : null;
    this.trainSplit = split?.train ?? data.train;
    this.valSplit = split?.val ?? null;
    if (resume) {
      const s = resume.state;
      if (s.version !== 1) throw new HandgradError(`checkpoint: unknown version ${String(s.version)}, expected 1`);
      this.modelConfig = validateLayerConfig(s.model, 'checkpoint: model');
      checkModelInput(this.modelConfig, data.sampleShape, 'checkpoint');
      this.normalization = checkNormalization(s.normalization, features, 'checkpoint');
    } else {
      this.modelConfig = modelConfig(c.model, data.sampleShape, data.classes.length, c.dropout, c.dropoutMode);
      this.normalization = computeNormalization(this.trainSplit, features, c.normalize);
    }
    this.model = buildFromConfig(this.modelConfig, { initRng: streams.init, dropoutRng: this.dropoutRng });
    // The data is not trained: the first layer with weights need not compute dL/dx.
    const first = firstLayerWithParameters(this.model);
    if (first) first.computeInputGradient = false;
    this.params = this.model.parameters();
    this.optimizer = OPTIMIZERS[c.optimizer].build(this.params, c);
    this.objective = new Objective(modelLoss(c.model));
    this.inputShape = modelInputShape(this.modelConfig, data.sampleShape);
    this.trainLoader = new BatchLoader(this.trainSplit, this.inputShape, { batchSize: c.batchSize, shuffle: true, rng: this.shuffleRng, normalization: this.normalization });
    this.testLoader = new BatchLoader(data.test, this.inputShape, { batchSize: Math.max(c.batchSize, 500), normalization: this.normalization });
    this.valLoader = this.valSplit ? new BatchLoader(this.valSplit, this.inputShape, { batchSize: Math.max(c.batchSize, 500), normalization: this.normalization }) : null;
    this.scheduler = c.lrSchedule ? buildSchedule(this.optimizer, c.lrSchedule, { epochs: c.epochs, stepsPerEpoch: this.trainLoader.batches }, 'train config') : null;
    this.earlyStopping = c.earlyStop > 0 ? new EarlyStopping(c.earlyStop, this.model) : null;
    if (resume) {
      const s = resume.state;
      loadWeights(this.model, resume.weights, 'checkpoint');
      this.optimizer.loadState(s.optimizer);
      if (this.scheduler) {
        if (!s.scheduler) throw new HandgradError('checkpoint: the run has a learning-rate schedule but the checkpoint holds no scheduler state');
        this.scheduler.loadState(s.scheduler);
      }
      if (this.earlyStopping) {
        if (!s.earlyStop) throw new HandgradError('checkpoint: the run stops early but the checkpoint holds no early-stopping state');
        this.earlyStopping.load(s.earlyStop, resume.best ?? new Map());
      }
      this.shuffleRng.setState(s.rng.shuffle);
      this.dropoutRng.setState(s.rng.dropout);
      this.epoch = s.epoch;
      this.history.push(...s.history);
    }
  }

  /** The run has stopped early (its model holds the best epoch's weights). */
  get stoppedEarly(): boolean {
    return this.earlyStopping?.state.stopped ?? false;
  }

  /** The state a checkpoint needs (a snapshot: safe to serialise later). */
  state(): TrainState {
    return {
      version: 1,
      config: this.config,
      model: this.modelConfig,
      normalization: this.normalization,
      epoch: this.epoch,
      history: this.history.map((r) => ({ ...r })),
      optimizer: this.optimizer.state(),
      rng: { shuffle: this.shuffleRng.getState(), dropout: this.dropoutRng.getState() },
      scheduler: this.scheduler?.state() ?? null,
      earlyStop: this.earlyStopping ? { ...this.earlyStopping.state } : null,
    };
  }

  /** Mean loss and accuracy over a whole split, in eval mode, in the split's order. */
  evaluate(which: 'test' | 'train' | 'val' = 'test'): { loss: number; accuracy: number } {
    if (which === 'val' && !this.valLoader) throw new HandgradError('evaluate: the run has no validation split (val is 0)');
    const loader = which === 'test' ? this.testLoader : which === 'val' ? this.valLoader! : new BatchLoader(this.trainSplit, this.inputShape, { batchSize: 500, normalization: this.normalization });
    return evaluateLoader(this.model, loader, this.objective);
  }

  /** Runs the remaining epochs (or up to callbacks.stopAfterEpoch). Returns the history. */
  async run(callbacks: TrainCallbacks = {}): Promise<EpochRecord[]> {
    const c = this.config;
    const last = Math.min(c.epochs, callbacks.stopAfterEpoch ?? c.epochs);
    const yieldEvery = callbacks.yieldEvery ?? 25;
    const loader = this.trainLoader;
    const { model, optimizer, objective, scheduler, params } = this;
    const perStep = scheduler !== null && SCHEDULES[c.lrSchedule!.type].interval === 'step';
    // the schedule steps after every optimiser step but the run's last (whose next lr is never used)
    const totalSteps = c.epochs * loader.batches;
    while (this.epoch < last && !this.stoppedEarly) {
      const epoch = this.epoch + 1;
      const t0 = now();
      model.train();
      loader.startEpoch();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = optimizer.lr;
      for (let b = 0; b < loader.batches; b++) {
        if (callbacks.signal?.aborted) return this.history;
        const batch = loader.batch(b);
        const logits = model.forward(batch.x);
        const loss = objective.forward(logits, batch.y);
        if (!Number.isFinite(loss)) throw new TrainingDivergedError(epoch, b, loss, optimizer.lr);
        const right = countCorrect(logits, batch.y, batch.n);
        optimizer.zeroGrad();
        model.backward(objective.backward());
        if (c.clipGradNorm > 0) clipGradNorm(params, c.clipGradNorm);
        lr = optimizer.lr;
        optimizer.step();
        if (perStep && optimizer.stepCount < totalSteps) scheduler.step();
        lossSum += loss;
        correct += right;
        seen += batch.n;
        if (callbacks.onStep) {
          const seconds = (now() - t0) / 1000;
          callbacks.onStep({
            epoch, batch: b, batches: loader.batches, step: optimizer.stepCount, loss, accuracy: right / batch.n,
            epochLoss: lossSum / (b + 1), epochAccuracy: correct / seen, seconds,
            samplesPerSecond: seconds > 0 ? seen / seconds : 0, lr,
          });
        }
        if (yieldEvery > 0 && (b + 1) % yieldEvery === 0) await pause();
      }
      const trainSeconds = (now() - t0) / 1000;
      const test = evaluateLoader(model, this.testLoader, objective);
      const val = this.valLoader ? evaluateLoader(model, this.valLoader, objective) : null;
      model.train();
      const record: EpochRecord = {
        epoch,
        trainLoss: lossSum / loader.batches,
        trainAccuracy: correct / seen,
        testLoss: test.loss,
        testAccuracy: test.accuracy,
        seconds: (now() - t0) / 1000,
        samplesPerSecond: trainSeconds > 0 ? seen / trainSeconds : 0,
        lr,
        ...(val ? { valLoss: val.loss, valAccuracy: val.accuracy } : {}),
      };
      if (scheduler && !perStep) scheduler.step(val ? val.loss : record.trainLoss);
      this.epoch = epoch;
      this.history.push(record);
      if (this.earlyStopping && val) this.earlyStopping.update(epoch, val.loss);
      await callbacks.onEpoch?.(record, this);
    }
    return this.history;
  }
}

function evaluateLoader(model: Module, loader: BatchLoader, objective: Objective): { loss: number; accuracy: number } {
  model.eval();
  loader.startEpoch();
  let lossSum = 0;
  let correct = 0;
  let n = 0;
  for (let b = 0; b < loader.batches; b++) {
    const batch = loader.batch(b);
    const logits = model.forward(batch.x);
    // the loss is a mean over the batch: weight it by the batch size for the mean over the split
    lossSum += objective.forward(logits, batch.y) * batch.n;
    correct += countCorrect(logits, batch.y, batch.n);
    n += batch.n;
  }
  return { loss: lossSum / n, accuracy: correct / n };
}

/**
 * Copies named tensors into a model's state dict (its parameters and buffers, by PyTorch's
 * names); every entry must be present with its exact shape, and no tensor may be left over.
 */
export function loadWeights(model: Module, weights: Map<string, Tensor>, source: string): void {
  const named = model.stateDict();
  const names = new Set(named.map(([n]) => n));
  for (const [name, value] of named) {
    const t = weights.get(name);
    if (!t) throw new HandgradError(`${source}: no tensor '${name}' for the model's entry of shape ${shapeString(value.shape)} (found: ${[...weights.keys()].join(', ') || 'none'})`);
    if (t.shape.length !== value.shape.length || t.shape.some((d, i) => d !== value.shape[i])) {
      throw new HandgradError(`${source}: tensor '${name}' has shape ${shapeString(t.shape)}, expected ${shapeString(value.shape)}`);
    }
    value.data.set(t.data);
  }
  for (const name of weights.keys()) {
    if (!names.has(name)) throw new HandgradError(`${source}: tensor '${name}' matches nothing in the model's state dict (expected: ${[...names].join(', ')})`);
  }
}

function checkDataset(d: Dataset): void {
  if (!d || !d.train || !d.test || !Array.isArray(d.sampleShape) || !Array.isArray(d.classes)) {
    throw new HandgradError('train: expected a Dataset with name, sampleShape, classes, train and test');
  }
  for (const [name, s] of [['train', d.train], ['test', d.test]] as const) {
    if (s.n < 1) throw new HandgradError(`train: data set '${d.name}' has an empty ${name} split`);
    for (let i = 0; i < s.n; i++) {
      const y = s.y[i]!;
      if (y < 0 || y >= d.classes.length) throw new HandgradError(`train: data set '${d.name}', ${name} label ${i} is ${y}, expected a class index in [0, ${d.classes.length - 1}]`);
    }
  }
}

function firstLayerWithParameters(m: Module): Module | null {
  const children = m.children();
  if (children.length === 0) return m.parameters().length > 0 ? m : null;
  for (const [, c] of children) {
    const f = firstLayerWithParameters(c);
    if (f) return f;
  }
  return null;
}

/** Trains a fresh model on `data` with `config` (defaults filled in); see TrainingSession. */
export async function train(config: Partial<TrainConfig>, data: Dataset, callbacks: TrainCallbacks = {}): Promise<TrainingSession> {
  const session = new TrainingSession(config, data);
  await session.run(callbacks);
  return session;
}

/**
 * Mean loss (cross-entropy unless `loss` says otherwise) and accuracy of a model over a split, in
 * eval mode (normalised like training). `inputShape` is the model's sample shape (modelInputShape).
 */
export function evaluateModel(
  model: Module, split: Dataset['test'], inputShape: readonly number[], normalization: Normalization, batchSize = 500, loss: LossKind = 'cross-entropy',
): { loss: number; accuracy: number; n: number } {
  const loader = new BatchLoader(split, inputShape, { batchSize, normalization });
  const r = evaluateLoader(model, loader, new Objective(loss));
  return { ...r, n: split.n };
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
