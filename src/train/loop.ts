// The training loop. It owns the order of one step:
//   forward → loss → zeroGrad → backward → (clip the gradients' norm) → step → (per-step schedule)
// runs the model in train() mode for the epoch's minibatches and in eval() mode for the full
// test pass and the validation pass, then steps a per-epoch schedule (ReduceLROnPlateau reads
// the validation loss, or the training loss without a validation split) and early stopping; it emits one typed record per step and one per epoch, which the CLI, the plots,
// the checkpoints and the browser playground all read. Browser-safe: no fs.
//
// A TrainingSession has two faces over one step():
//   run()        whole epochs, with callbacks (the command line, scripts);
//   step()       one minibatch, and runFor(ms) for as many as fit in a time slice (a worker that
//                reads its messages between slices); evaluate() scores the model at any moment.
// An epoch ends inside the step that trains its last batch: the test pass runs, the epoch's
// record joins the history, and the next step starts the next epoch with a new shuffle.

import type { Dataset, Split } from '../data/types.js';
import { validateLayerConfig, type LayerConfig } from '../layers/config.js';
import type { Module } from '../layers/module.js';
import { modelLoss } from '../models/kinds.js';
import { clipGradNorm } from '../optim/clip.js';
import { buildSchedule, OPTIMIZERS, SCHEDULES, type LRScheduler, type Optimizer } from '../optim/index.js';
import type { Parameter } from '../parameter.js';
import type { Random } from '../random.js';
import { HandgradError, type Tensor, shapeString } from '../tensor.js';
import { buildFromConfig, checkModelInput, modelConfig, modelInputShape, resolveConfig, runStreams, type TrainConfig } from './config.js';
import { EarlyStopping } from './early-stop.js';
import { countCorrect, evaluateLoader, type Evaluation } from './evaluate.js';
import {
  checkNormalization, chooseInputPath, computeNormalization, forwardInput, loaderFor, sparseMemory, type InputPath, type Loader, type Normalization,
} from './loader.js';
import { Objective } from './objective.js';
import { TrainingDivergedError, type EpochRecord, type SliceResult, type StartingModel, type StepRecord, type TrainState } from './records.js';
import { splitPrefix, validationSplit } from './split.js';

export { TrainingDivergedError, type EpochRecord, type SliceResult, type StartingModel, type StepRecord, type TrainState } from './records.js';

/** What {@link TrainingSession.run} calls as it goes, and when it stops. */
export interface TrainCallbacks {
  /** Called after every optimiser step. */
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

/** Options of a {@link TrainingSession}. */
export interface SessionOptions {
  /** Continue from a checkpoint: its state and its weights (by namedParameters() name). */
  resume?: { state: TrainState; weights: Map<string, Tensor>; best?: Map<string, Tensor> };
  /**
   * Always feed the first layer dense batches. Otherwise a first Linear layer takes the sparse
   * form of data that is mostly one value (loader.ts: chooseInputPath), with the same results up
   * to float32 summation order. How the run computes, like the backend: not part of its config.
   */
  dense?: boolean;
  /**
   * Train on from a trained model (a model bundle's, loadModel) instead of a fresh one of
   * config.model; the optimiser, the streams and the epoch count start afresh.
   */
  from?: StartingModel;
}

/** The epoch in progress: the next batch, the running sums, the seconds spent in its steps. */
interface OpenEpoch {
  batch: number;
  lossSum: number;
  correct: number;
  seen: number;
  seconds: number;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
/** Lets the event loop run (setImmediate in Node, where setTimeout(0) waits at least 1 ms; a task elsewhere). */
const pause = (): Promise<void> => new Promise((r) => {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  if (immediate) immediate(r);
  else setTimeout(r, 0);
});

/** A model, its optimiser, its data and its streams: one run, which can be checkpointed and resumed. */
export class TrainingSession {
  /** The data set trained on and tested against. */
  readonly data: Dataset;
  /** The model's config (saved with checkpoints and bundles). */
  readonly modelConfig: LayerConfig;
  /** The network being trained. */
  readonly model: Module;
  /** The optimiser over the model's parameters. */
  readonly optimizer: Optimizer;
  /** The input normalisation, from the training split (or the resumed state). */
  readonly normalization: Normalization;
  /** The shape of one sample as the model sees it (flat for MLPs, [C, H, W] for the cnn). */
  readonly inputShape: number[];
  /** The stream that shuffles each epoch's batches. */
  readonly shuffleRng: Random;
  /** The stream the dropout layers draw their masks from. */
  readonly dropoutRng: Random;
  /** Completed epochs. */
  epoch = 0;
  /** One record per completed epoch. */
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
  /** Dense or sparse first layer, and why (chooseInputPath). */
  readonly inputPath: InputPath;
  private settings: TrainConfig;
  private readonly trainLoader: Loader;
  private readonly testLoader: Loader;
  private readonly valLoader: Loader | null;
  private readonly params: Parameter[];
  /** The schedule steps after every optimiser step (else after every epoch). */
  private readonly perStep: boolean;
  /** The lr of the last optimiser step. */
  private lastLr: number;
  /** The epoch in progress, or null between epochs (the next step starts one). */
  private open: OpenEpoch | null = null;
  /** The loader evaluate() made for a sample of a split (options.samples). */
  private sampled: { of: Split; samples: number; loader: Loader } | null = null;

  /** A run of `config` (missing fields take their defaults) on `data`; `options.resume` continues a checkpoint. */
  constructor(config: Partial<TrainConfig>, data: Dataset, options: SessionOptions = {}) {
    checkDataset(data);
    const { resume, from } = options;
    if (resume && from) throw new HandgradError('TrainingSession: give either resume (a checkpoint) or from (a trained model), not both');
    if (resume && resume.state.version !== 1) throw new HandgradError(`checkpoint: unknown version ${String(resume.state.version)}, expected 1`);
    this.settings = resolveConfig(resume ? resume.state.config : config);
    this.data = data;
    const c = this.settings;
    const streams = runStreams(c.seed);
    this.shuffleRng = streams.shuffle;
    this.dropoutRng = streams.dropout;
    const features = data.train.x.length / data.train.n;
    const split = c.val > 0 ? validationSplit(data.train, features, c.val, streams.split) : null;
    this.trainSplit = split?.train ?? data.train;
    this.valSplit = split?.val ?? null;
    const start = resume ? { config: resume.state.model, normalization: resume.state.normalization, source: 'checkpoint' }
      : from ? { config: from.config, normalization: from.normalization, source: 'starting model' } : null;
    if (start) {
      this.modelConfig = validateLayerConfig(start.config, `${start.source}: model`);
      checkModelInput(this.modelConfig, data.sampleShape, start.source);
      this.normalization = checkNormalization(start.normalization, features, start.source);
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
    if (from) loadWeights(this.model, from.weights, 'starting model');
    this.inputShape = modelInputShape(this.modelConfig, data.sampleShape);
    // the first layer's batches: sparse when the samples trained on are mostly one value (made sparse once)
    const path = chooseInputPath(this.trainSplit, this.model, options.dense === true);
    const evalOptions = { batchSize: Math.max(c.batchSize, 500), normalization: this.normalization };
    this.trainLoader = loaderFor(this.trainSplit, this.inputShape, { batchSize: c.batchSize, shuffle: true, rng: this.shuffleRng, normalization: this.normalization }, path);
    this.testLoader = loaderFor(data.test, this.inputShape, evalOptions, path);
    this.valLoader = this.valSplit ? loaderFor(this.valSplit, this.inputShape, evalOptions, path) : null;
    this.inputPath = path.path === 'sparse' ? { ...path, ...sparseMemory([this.trainLoader, this.testLoader, this.valLoader]) } : path;
    this.scheduler = c.lrSchedule ? buildSchedule(this.optimizer, c.lrSchedule, { epochs: c.epochs, stepsPerEpoch: this.trainLoader.batches }, 'train config') : null;
    this.perStep = c.lrSchedule !== null && SCHEDULES[c.lrSchedule.type].interval === 'step';
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
    this.lastLr = this.optimizer.lr;
  }

  /** The run has stopped early (its model holds the best epoch's weights). */
  get stoppedEarly(): boolean {
    return this.earlyStopping?.state.stopped ?? false;
  }

  /** The run's config, with the learning rate in use (setLearningRate changes it). */
  get config(): TrainConfig {
    return this.settings;
  }

  /** Minibatches per epoch. */
  get batches(): number {
    return this.trainLoader.batches;
  }

  /** Epochs trained, as a fraction: the completed ones plus the share of this epoch's batches done. */
  get progress(): number {
    return this.epoch + (this.open ? this.open.batch / this.trainLoader.batches : 0);
  }

  /**
   * Trains with learning rate `lr` from the next step on (checked as a config's lr is); the
   * config, the records and a checkpoint carry the new value.
   */
  setLearningRate(lr: number): void {
    this.settings = resolveConfig({ ...this.settings, lr });
    this.optimizer.lr = lr;
  }

  /** The state a checkpoint needs (a snapshot: safe to serialise later). */
  state(): TrainState {
    return {
      version: 1,
      config: this.settings,
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

  /**
   * Mean loss and accuracy over a whole split, in eval mode, in the split's order; with
   * `confusion: true` the confusion matrix too (row = true class, column = predicted); with
   * `samples`, over the split's first `samples` samples only (splitPrefix: a quick look where a
   * full pass is slow). The model is left in eval mode; the next step switches it back.
   */
  evaluate(options: { split?: 'test' | 'train' | 'val'; confusion?: boolean; samples?: number } = {}): Evaluation {
    if (options.split === 'val' && !this.valLoader) throw new HandgradError('evaluate: the run has no validation split (val is 0)');
    const loader = options.split === 'train' ? loaderFor(this.trainSplit, this.inputShape, { batchSize: 500, normalization: this.normalization }, this.inputPath)
      : options.split === 'val' ? this.valLoader! : this.testLoader;
    const sample = options.samples === undefined ? loader : this.sampleLoader(loader, options.samples);
    return evaluateLoader(this.model, sample, this.objective, options.confusion ? this.data.classes.length : undefined);
  }

  /** A loader of the first `samples` samples of `loader`'s split (kept for the next call that asks the same), or `loader` when it has no more. */
  private sampleLoader(loader: Loader, samples: number): Loader {
    const prefix = splitPrefix(loader.split, samples);
    if (prefix === loader.split) return loader;
    const kept = this.sampled;
    if (kept && kept.of === loader.split && kept.samples === samples) return kept.loader;
    const sample = loaderFor(prefix, this.inputShape, { batchSize: Math.max(this.settings.batchSize, 500), normalization: this.normalization }, this.inputPath);
    this.sampled = { of: loader.split, samples, loader: sample };
    return sample;
  }


  /**
   * One minibatch: forward → loss → zeroGrad → backward → step, in train mode. The first step of
   * an epoch draws its shuffle; the step that trains its last batch also ends it (test pass, the
   * record in `history`, `epoch` counted). Throws TrainingDivergedError, before updating
   * anything, when the loss is NaN or infinite.
   */
  step(): StepRecord {
    const t0 = now();
    const { model, optimizer, objective, trainLoader: loader, scheduler } = this;
    if (this.stoppedEarly) throw new HandgradError(`TrainingSession.step: the run stopped early after epoch ${this.epoch}`);
    if (!this.open) {
      loader.startEpoch();
      this.open = { batch: 0, lossSum: 0, correct: 0, seen: 0, seconds: 0 };
    }
    const e = this.open;
    const epoch = this.epoch + 1;
    const b = e.batch;
    model.train();
    const batch = loader.batch(b);
    const logits = forwardInput(model, batch.x);
    const loss = objective.forward(logits, batch.y);
    if (!Number.isFinite(loss)) throw new TrainingDivergedError(epoch, b, loss, optimizer.lr);
    const right = countCorrect(logits, batch.y, batch.n);
    optimizer.zeroGrad();
    model.backward(objective.backward());
    if (this.settings.clipGradNorm > 0) clipGradNorm(this.params, this.settings.clipGradNorm);
    const lr = optimizer.lr;
    this.lastLr = lr;
    optimizer.step();
    // the schedule steps after every optimiser step but the run's last (whose next lr is never used)
    if (this.perStep && optimizer.stepCount < this.settings.epochs * loader.batches) scheduler!.step();
    e.batch = b + 1;
    e.lossSum += loss;
    e.correct += right;
    e.seen += batch.n;
    e.seconds += (now() - t0) / 1000;
    const record: StepRecord = {
      epoch, batch: b, batches: loader.batches, step: optimizer.stepCount, loss, accuracy: right / batch.n,
      epochLoss: e.lossSum / e.batch, epochAccuracy: e.correct / e.seen, seconds: e.seconds,
      samplesPerSecond: e.seconds > 0 ? e.seen / e.seconds : 0, lr,
    };
    if (e.batch === loader.batches) this.endEpoch(e);
    return record;
  }

  /**
   * Steps until `ms` milliseconds have passed (at least one step) or an epoch ends, whichever
   * comes first, so a caller that must stay responsive (a worker reading its messages) trains in
   * slices and sees every epoch's end.
   */
  runFor(ms: number): SliceResult {
    const t0 = now();
    let steps = 0;
    let last: StepRecord;
    do {
      last = this.step();
      steps++;
      if (!this.open) return { steps, last, epoch: this.history[this.history.length - 1]! };
    } while (now() - t0 < ms);
    return { steps, last, epoch: null };
  }

  /**
   * The epoch in progress as a record, as if it ended now: `epoch` is `progress` (a fraction),
   * the training metrics are over its batches so far, the test metrics are `test`'s (an
   * evaluate() of the model as it is). Between epochs, the last epoch's record; before any
   * training, NaN training metrics.
   */
  progressRecord(test: Evaluation): EpochRecord {
    const e = this.open;
    const last = this.history[this.history.length - 1];
    if (!e && last) return { ...last };
    const seconds = e?.seconds ?? 0;
    return {
      epoch: this.progress,
      trainLoss: e ? e.lossSum / e.batch : NaN,
      trainAccuracy: e ? e.correct / e.seen : NaN,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      seconds,
      samplesPerSecond: e && seconds > 0 ? e.seen / seconds : 0,
      lr: this.optimizer.lr,
    };
  }

  /** Runs the remaining epochs (or up to callbacks.stopAfterEpoch). Returns the history. */
  async run(callbacks: TrainCallbacks = {}): Promise<EpochRecord[]> {
    const last = Math.min(this.settings.epochs, callbacks.stopAfterEpoch ?? this.settings.epochs);
    const yieldEvery = callbacks.yieldEvery ?? 25;
    while (this.epoch < last && !this.stoppedEarly) {
      if (callbacks.signal?.aborted) {
        this.open = null;
        return this.history;
      }
      const r = this.step();
      callbacks.onStep?.(r);
      if (!this.open) await callbacks.onEpoch?.(this.history[this.history.length - 1]!, this);
      else if (yieldEvery > 0 && (r.batch + 1) % yieldEvery === 0) await pause();
    }
    return this.history;
  }

  /** Ends the epoch whose last batch was just trained: the test pass, its record, the count. */
  private endEpoch(e: OpenEpoch): void {
    const t0 = now();
    const test = evaluateLoader(this.model, this.testLoader, this.objective);
    const val = this.valLoader ? evaluateLoader(this.model, this.valLoader, this.objective) : null;
    this.model.train();
    this.epoch += 1;
    const trainLoss = e.lossSum / e.batch;
    this.history.push({
      epoch: this.epoch,
      trainLoss,
      trainAccuracy: e.correct / e.seen,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      seconds: e.seconds + (now() - t0) / 1000,
      samplesPerSecond: e.seconds > 0 ? e.seen / e.seconds : 0,
      lr: this.lastLr,
      inputPath: this.inputPath.path,
      ...(val ? { valLoss: val.loss, valAccuracy: val.accuracy } : {}),
    });
    if (this.scheduler && !this.perStep) this.scheduler.step(val ? val.loss : trainLoss);
    if (this.earlyStopping && val) this.earlyStopping.update(this.epoch, val.loss);
    this.open = null;
  }
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
