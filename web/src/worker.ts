// The training worker: it holds the data and one training.TrainingSession, and drives the session
// in slices of about 40 ms (runFor), reading the page's messages between them, so the page never
// freezes. Everything it computes is a library call: the embedded MNIST through data.mnistFromBytes
// (the same bytes and split as `handgrad train`), dropped files through data.parseDataFiles, the
// model from the session (the model-kind registry), weights in and out through the model bundle
// (loadModel / saveModel), records as the session's StepRecord and EpochRecord.

import { HandgradError, backend, data, dream, initBackend, initWebGPU, loadModel, saveModel, training, type Dataset } from 'handgrad';
import type { BackendRequest, DataSource, DataSummary, DreamSettings, Filters, FromWorker, ToWorker } from './protocol.js';

const post = (m: FromWorker, transfer: Transferable[] = []): void => self.postMessage(m, { transfer });

/** Training time between two looks at the message queue. */
const SLICE_MS = 40;
/** A curve point at least this often while training (and at every epoch's end)… */
const POINT_MS = 1500;
/**
 * …but no sooner than this many times the last evaluation's duration after it, so evaluating
 * takes at most a quarter of the time (the CNN on a software WebGPU adapter scores a few hundred
 * test images a second: a point every 1.5 s would leave no time to train).
 */
const POINT_EVAL_RATIO = 3;

const loaded: Record<DataSource, { dataset: Dataset; summary: DataSummary } | null> = { embedded: null, files: null };
let session: training.TrainingSession | null = null;
let sessionData: DataSummary | null = null;
let running = false;
let lastPoint = 0;
/** Milliseconds the last point's evaluation took. */
let lastEvalMs = 0;
/** The test images a point scores: the test split's first this many, or all (null). */
let evalSamples: number | null = null;
let ready: Promise<void> = Promise.resolve();

function summary(source: DataSource, d: Dataset, label: string): DataSummary {
  return {
    source, name: d.name, label, trainSize: d.train.n, testSize: d.test.n, sampleShape: [...d.sampleShape], classes: [...d.classes], warnings: [...(d.warnings ?? [])],
  };
}

async function boot(dataUrl: string, request: BackendRequest, threads: number): Promise<void> {
  const note = await chooseBackend(request, threads);
  const res = await fetch(dataUrl);
  if (!res.ok) throw new Error(`the embedded MNIST (${dataUrl}) could not be fetched: the server answered ${res.status}`);
  const d = data.mnistFromBytes(new Uint8Array(await res.arrayBuffer()), {}, data.EMBEDDED_MNIST_FILE);
  loaded.embedded = { dataset: d, summary: summary('embedded', d, 'embedded MNIST') };
  post({ type: 'booted', backend: backend().describe(), note, data: loaded.embedded.summary });
}

/**
 * Selects the backend the page asks for: webgpu when asked for, or on 'auto' where a hardware
 * adapter passes the self-test (a software one, SwiftShader or llvmpipe, trains slower than
 * wasm); otherwise the registry's 'auto' (wasm, with threads when the page is cross-origin
 * isolated) or the kind asked for. Returns why webgpu was asked for and does not run, or ''.
 */
async function chooseBackend(request: BackendRequest, threads: number): Promise<string> {
  let note = '';
  if (request === 'webgpu' || (request === 'auto' && 'gpu' in navigator)) {
    try {
      await initWebGPU({ requireHardware: request === 'auto', selfTest: true });
      return '';
    } catch (e) {
      if (request === 'webgpu') note = `The webgpu backend does not run here (${(e as Error).message}), so this page trains on the fastest other one.`;
    }
  }
  await initBackend(request === 'webgpu' ? 'auto' : request, { threads });
  return note;
}

function dataOf(source: DataSource): { dataset: Dataset; summary: DataSummary } {
  const d = loaded[source];
  if (!d) throw new Error(source === 'files' ? 'no data files have been read: choose them first' : 'the embedded MNIST is not loaded yet');
  return d;
}

/** Makes `next` the live session, stopping the one before, and tells the page. */
function begin(next: training.TrainingSession, d: DataSummary, imported: { name: string; note: string } | null): void {
  running = false;
  session = next;
  sessionData = d;
  const parameters = next.model.parameters().reduce((a, p) => a + p.value.size, 0);
  post({ type: 'session', model: next.model.describe(), parameters, data: d, config: next.config, imported });
  postPoint(next);
}

/**
 * A curve point: the record of the epoch that just ended (its test metrics a full pass), or of the
 * epoch in progress (scored on `evalSamples` test images); that test pass gives the confusion matrix.
 */
function postPoint(s: training.TrainingSession, epoch: training.EpochRecord | null = null): void {
  const t0 = performance.now();
  const test = s.evaluate({ confusion: true, ...(evalSamples === null ? {} : { samples: evalSamples }) });
  lastEvalMs = performance.now() - t0;
  const confusion = test.confusion ?? new Int32Array(0);
  const filters = firstLayerFilters(s);
  // between epochs progressRecord is the last epoch's record, a full pass too
  const tested = epoch || (s.history.length > 0 && s.progress === s.epoch) ? s.data.test.n : test.n;
  post({ type: 'point', record: epoch ?? s.progressRecord(test), step: s.optimizer.stepCount, confusion, filters, tested }, [confusion.buffer, filters.data.buffer]);
  lastPoint = performance.now();
}

/** Trains in slices until paused, replaced, or stopped by an error. */
async function drive(s: training.TrainingSession): Promise<void> {
  running = true;
  post({ type: 'state', running: true });
  try {
    while (running && session === s) {
      const slice = s.runFor(SLICE_MS);
      post({ type: 'progress', record: slice.last, progress: s.progress });
      if (slice.epoch) postPoint(s, slice.epoch);
      else if (performance.now() - lastPoint > Math.max(POINT_MS, POINT_EVAL_RATIO * lastEvalMs)) postPoint(s);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  } catch (e) {
    post({ type: 'error', during: 'train', message: trainingError(e) });
  }
  if (session === s) {
    running = false;
    postPoint(s);
    post({ type: 'state', running: false });
  }
}

/** A training error in the page's words: a diverged loss says where and suggests a learning rate. */
function trainingError(e: unknown): string {
  if (e instanceof HandgradError && e.code === 'training-diverged') {
    const { loss, epoch, batch, lr, suggestedLr } = e.subject;
    return `Training stopped: the loss became ${String(loss)} in epoch ${String(epoch)}, batch ${Number(batch) + 1}, with learning rate ${String(lr)}. ` +
      `Try a smaller learning rate (e.g. ${String(suggestedLr)}) and Reset.`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** One step outside the slices ("Step one batch"); the point is the epoch's record when the step ended one. */
function stepOnce(s: training.TrainingSession): void {
  const epochs = s.history.length;
  const r = s.step();
  post({ type: 'progress', record: r, progress: s.progress });
  postPoint(s, s.history.length > epochs ? s.history[s.history.length - 1]! : null);
}

/** Each first-layer unit (Linear row) or filter (Conv2d, first channel) as an image, scaled to [0, 1]. */
function firstLayerFilters(s: training.TrainingSession): Filters {
  const w = s.model.parameters()[0]!.value;
  const [, h, wd] = imageShape(s.data.sampleShape);
  const [count, fh, fw] = w.rank === 4 ? [w.shape[0]!, w.shape[2]!, w.shape[3]!] : [Math.min(w.shape[0]!, 32), h, wd];
  const size = fh * fw;
  const stride = w.size / w.shape[0]!;
  const out = new Float32Array(count * size);
  for (let f = 0; f < count; f++) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < size; i++) {
      const v = w.data[f * stride + i]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    for (let i = 0; i < size; i++) out[f * size + i] = (w.data[f * stride + i]! - lo) / (hi - lo || 1);
  }
  return { count, h: fh, w: fw, data: out };
}

/** A sample as an image [C, H, W]: as stored, or a flat square sample as one channel, else one row. */
function imageShape(sample: readonly number[]): [number, number, number] {
  if (sample.length === 3) return [sample[0]!, sample[1]!, sample[2]!];
  const n = sample.reduce((a, b) => a * b, 1);
  const side = Math.round(Math.sqrt(n));
  return side * side === n ? [1, side, side] : [1, 1, n];
}

/** A model bundle as the live session: trained on from its weights and normalisation. */
function importBundle(bytes: Uint8Array, name: string, pageConfig: training.TrainConfig): void {
  const bundle = loadModel(bytes, name);
  const d = dataOf(sessionData?.source ?? 'embedded');
  if (bundle.classes.length !== d.dataset.classes.length) {
    throw new Error(`${name}: the model tells ${bundle.classes.length} classes apart, ${d.summary.label} has ${d.dataset.classes.length}`);
  }
  // the config it was trained with (a bundle from `handgrad train` or from this page), else the page's
  let config = pageConfig;
  const notes: string[] = [];
  try {
    // unchecked JSON from the file: resolveConfig checks every field
    if (bundle.training) config = training.resolveConfig({ ...(bundle.training as Partial<training.TrainConfig>), data: d.dataset.name });
  } catch {
    notes.push('its training config is not one this page reads, so it trains on with the settings on the page');
  }
  if (!bundle.training) notes.push('it does not say how it was trained, so it trains on with the settings on the page');
  if (bundle.data.name !== d.dataset.name) notes.push(`it was trained on ${bundle.data.name} and is scored here on ${d.summary.label}`);
  const from = { config: bundle.config, weights: new Map(bundle.model.stateDict()), normalization: bundle.normalization };
  begin(new training.TrainingSession(config, d.dataset, { from }), d.summary, { name, note: notes.join('; ') });
}

function exportBundle(s: training.TrainingSession): void {
  const bytes = saveModel(s.model, training.sessionModelInfo(s));
  post({ type: 'exported', bytes, name: `handgrad-${s.config.model.kind}-step${s.optimizer.stepCount}.safetensors` }, [bytes.buffer]);
}

/**
 * Class visualisation of the session's model: gradient ascent on the input image, with the
 * tricks as options, through the normalisation the model trains with (dream.dreamModelOf, as
 * `handgrad dream` takes a saved model). Posts the image's probability every few steps so the
 * page updates live.
 */
function runDream(s: training.TrainingSession, d: DreamSettings, id: number): void {
  const target = dream.dreamModelOf({
    model: s.model, sampleShape: s.data.sampleShape, inputShape: s.inputShape, normalization: s.normalization, classes: s.data.classes,
  });
  const every = Math.max(1, Math.round(d.steps / 10));
  const result = dream.dream(target, {
    objective: { kind: dream.DEFAULT_CLASS_OBJECTIVE, class: d.target }, steps: d.steps, lr: d.lr, jitter: d.jitter, blurEvery: d.blurEvery,
    blurSigma: d.blurSigma, weightDecay: d.weightDecay, gradBlurSigma: d.gradBlurSigma, octaves: d.octaves,
    clip: d.clip, clamp: d.clamp, seed: 0,
    onStep: (info) => {
      if (info.step % every !== 0 || info.step === info.steps) return;
      post({ type: 'dream', id, step: info.step, steps: info.steps, done: false, image: new Float32Array(0), probability: info.probability, predicted: null, predictedProbability: null });
    },
  });
  const pixels = Float32Array.from(result.image.data);
  post({ type: 'dream', id, step: d.steps, steps: d.steps, done: true, image: pixels, probability: result.probability, predicted: result.predicted, predictedProbability: result.predictedProbability }, [pixels.buffer]);
}

/** What a failure while handling each message is a failure of. */
const DURING: Record<ToWorker['type'], Extract<FromWorker, { type: 'error' }>['during']> = {
  boot: 'boot', reset: 'reset', start: 'train', pause: 'train', step: 'train', 'set-lr': 'lr', 'set-eval': 'eval', 'read-files': 'files', export: 'export',
  import: 'import', dream: 'dream',
};

const live = (): training.TrainingSession => {
  if (!session) throw new Error('there is no model yet');
  return session;
};

self.onmessage = async (e: MessageEvent<ToWorker>): Promise<void> => {
  const msg = e.data;
  if (msg.type === 'boot') {
    ready = boot(msg.dataUrl, msg.backend, msg.threads).catch((err: unknown) => post({ type: 'error', during: 'boot', message: (err as Error).message }));
    return;
  }
  await ready;
  const during = DURING[msg.type];
  try {
    switch (msg.type) {
      case 'reset': {
        const d = dataOf(msg.source);
        begin(new training.TrainingSession(msg.config, d.dataset), d.summary, null);
        break;
      }
      case 'start':
        if (!running) void drive(live());
        break;
      case 'pause':
        running = false;
        break;
      case 'step':
        if (!running) stepOnce(live());
        break;
      case 'set-lr':
        live().setLearningRate(msg.lr);
        post({ type: 'lr', lr: msg.lr });
        break;
      case 'set-eval':
        evalSamples = msg.samples;
        // a paused model's numbers are rescored at once; a running one's at its next point
        if (session && !running) postPoint(session);
        break;
      case 'read-files': {
        const d = data.parseDataFiles(msg.files);
        loaded.files = { dataset: d, summary: summary('files', d, d.name) };
        post({ type: 'files-read', data: loaded.files.summary });
        break;
      }
      case 'export':
        exportBundle(live());
        break;
      case 'import':
        importBundle(msg.bytes, msg.name, msg.config);
        break;
      case 'dream':
        runDream(live(), msg.settings, msg.id);
        break;
    }
  } catch (err) {
    post({ type: 'error', during, message: during === 'train' ? trainingError(err) : (err as Error).message });
  }
};
