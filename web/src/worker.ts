// The training worker: owns the data, the model, the optimiser and the loop, so the page never
// freezes. It trains in slices of ~40 ms and yields between them to read messages (pause, step,
// export). It imports only handgrad's public API.
//
// The loop is the five steps of NYU 1.1.1(a): forward, loss, zeroGrad, backward, step.
// (A minimal loop over the public API; H4's train() drives whole epochs from a Dataset and will
// replace it once it is exported.)

import * as hg from 'handgrad';
import { Random, Tensor, nn, optim, readSafetensors, writeSafetensors, setBackend, backend, dream, data, training, type Dataset } from 'handgrad';
import type { BackendRequest, DreamSettings, EvalRecord, FromWorker, ToWorker, TrainSettings } from './protocol.js';

const post = (m: FromWorker, transfer: Transferable[] = []): void =>
  (self as unknown as { postMessage(m: FromWorker, t: Transferable[]): void }).postMessage(m, transfer);

// ---- data -------------------------------------------------------------------------------
interface Split { x: Float32Array; y: Int32Array; n: number }
let train: Split | null = null;
let test: Split | null = null;
/** The data set's geometry: values per sample, the image shape [C, H, W], the class names. */
let features = 784;
let image: [number, number, number] = [1, 28, 28];
let classNames = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
let dataName = 'embedded MNIST';
let booted = false;

async function loadMnist(url: string): Promise<void> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`embedded MNIST: GET ${url} answered ${res.status}`);
  const ds = data.mnistFromBytes(new Uint8Array(await res.arrayBuffer()), {}, url);
  train = ds.train;
  test = ds.test;
  features = 784;
  image = [1, 28, 28];
  classNames = ds.classes;
  dataName = 'embedded MNIST';
}

/**
 * A data set from files the user dropped, read by handgrad's browser-safe readers: one .npz
 * (Keras layout x_train, y_train, x_test, y_test), one pickle (the course's
 * ((trainX, trainY), (testX, testY))), or four IDX files (gzipped or not).
 */
function loadFiles(files: { name: string; bytes: Uint8Array }[]): void {
  let ds: Dataset;
  if (files.length === 1) {
    const f = files[0]!;
    if (data.isZip(f.bytes)) ds = data.npzDataset(f.bytes, f.name, { name: f.name });
    else ds = data.pickleDataset(f.bytes, f.name, { name: f.name });
  } else if (files.length === 4) {
    const find = (re: RegExp, what: string): { name: string; bytes: Uint8Array } => {
      const f = files.find((x) => re.test(x.name));
      if (!f) throw new Error(`IDX files: none of ${files.map((x) => x.name).join(', ')} looks like the ${what} (expected a name matching ${re})`);
      return f;
    };
    const ti = find(/train.*images|train.*idx3/i, 'training images'), tl = find(/train.*labels|train.*idx1/i, 'training labels');
    const si = find(/(t10k|test).*(images|idx3)/i, 'test images'), sl = find(/(t10k|test).*(labels|idx1)/i, 'test labels');
    ds = data.idxDataset(
      { trainImages: ti.bytes, trainLabels: tl.bytes, testImages: si.bytes, testLabels: sl.bytes },
      { name: 'IDX files', files: { trainImages: ti.name, trainLabels: tl.name, testImages: si.name, testLabels: sl.name } },
    );
  } else {
    throw new Error(`drop one .npz or pickle file, or the four IDX files of a data set; got ${files.length} files`);
  }
  const shape = ds.sampleShape;
  const n = shape.reduce((a, b) => a * b, 1);
  image = shape.length === 3 ? [shape[0]!, shape[1]!, shape[2]!] : shape.length === 2 ? [1, shape[0]!, shape[1]!] : [1, 1, n];
  features = n;
  classNames = ds.classes;
  dataName = ds.name;
  train = ds.train;
  test = ds.test;
}

// ---- model ------------------------------------------------------------------------------
let settings: TrainSettings | null = null;
let model: nn.Sequential | null = null;
let opt: optim.SGD | null = null;
let loss: nn.Loss | null = null;
let isImage = false;
let order: Int32Array = new Int32Array(0);
let cursor = 0;
let steps = 0;
let samplesSeen = 0;
let rng = new Random(0);
let running = false;
let lastEval = 0;
let runLoss = 0, runCorrect = 0, runCount = 0;

/** The model the settings name, built by the library's model-kind registry. */
function build(s: TrainSettings): nn.Sequential {
  const kind = training.MODEL_KINDS[s.arch];
  const hidden = kind.hiddenLayers === 0 ? undefined : Array<number>(kind.hiddenLayers === 'any' ? 1 : kind.hiddenLayers).fill(s.hidden);
  const spec: training.ModelSpec = {
    kind: s.arch, ...(hidden ? { hidden } : {}), ...(kind.reads.activation ? { activation: s.f } : {}), ...(kind.reads.output ? { output: s.g } : {}),
  };
  const r = new Random(s.seed);
  const m = training.buildModel(spec, image, K(), { dropout: s.dropout, dropoutMode: s.dropoutMode, initRng: r, dropoutRng: r });
  if (!(m instanceof nn.Sequential)) throw new Error(`the ${s.arch} model is not a Sequential`);
  return m;
}

const K = (): number => classNames.length;

/** The loss for a model: BCE on one-hot targets after a final Sigmoid (NYU g = σ), else softmax CE. */
function lossFor(m: nn.Sequential): nn.Loss {
  return m.layers[m.layers.length - 1] instanceof nn.Sigmoid ? new nn.BCELoss() : new nn.CrossEntropyLoss();
}

function reset(s: TrainSettings, m?: nn.Sequential): void {
  settings = s;
  model = m ?? build(s);
  isImage = model.layers[0] instanceof nn.Conv2d;
  opt = new optim.SGD(model.parameters(), { lr: s.lr, momentum: s.momentum });
  loss = lossFor(model);
  rng = new Random(s.seed + 1);
  order = rng.permutation(train!.n);
  cursor = 0;
  steps = 0;
  samplesSeen = 0;
  runLoss = runCorrect = runCount = 0;
  post({
    type: 'ready', backend: backendName(), trainSize: train!.n, testSize: test!.n, model: model.describe(),
    parameters: model.parameters().reduce((a, p) => a + p.value.size, 0), data: dataName, sampleShape: [...image], classes: classNames,
  });
}

// batch buffers come from the backend (WASM memory when the wasm backend runs), reused per size
const batchX = (n: number): Tensor => new Tensor(backend().allocate('float32', n * features), isImage ? [n, ...image] : [n, features]);
let xb = batchX(1), yb = new Int32Array(1), onehot = Tensor.zeros([1, 10]);

/** Copies rows `idx` of a split into the reused batch buffers (reallocated only on size change). */
function gather(split: Split, idx: ArrayLike<number>, from: number, n: number): void {
  if (xb.shape[0] !== n || xb.size !== n * features || (xb.rank === 4) !== isImage || onehot.shape[1] !== K()) {
    xb = batchX(n);
    yb = new Int32Array(n);
    onehot = Tensor.zeros([n, K()]);
  }
  for (let i = 0; i < n; i++) {
    const j = idx[from + i]!;
    xb.data.set(split.x.subarray(j * features, (j + 1) * features), i * features);
    yb[i] = split.y[j]!;
  }
}

function target(): Tensor | Int32Array {
  if (!(loss instanceof nn.BCELoss)) return yb;
  onehot.data.fill(0);
  for (let i = 0; i < yb.length; i++) onehot.data[i * K() + yb[i]!] = 1;
  return onehot;
}

function argmaxCorrect(out: Tensor, n: number, confusion?: Int32Array): number {
  let c = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    const C = out.shape[1]!;
    for (let k = 1; k < C; k++) if (out.data[i * C + k]! > out.data[i * C + best]!) best = k;
    if (best === yb[i]) c++;
    if (confusion) confusion[yb[i]! * C + best]!++;
  }
  return c;
}

/** One minibatch: forward, loss, zeroGrad, backward, step. */
function trainStep(): void {
  const m = model!, s = settings!;
  if (cursor >= train!.n) {
    order = rng.permutation(train!.n, order); // reshuffle every epoch
    cursor = 0;
  }
  const n = Math.min(s.batch, train!.n - cursor);
  gather(train!, order, cursor, n);
  cursor += n;
  m.train();
  const out = m.forward(xb);
  const l = loss!.forward(out, target() as Tensor);
  if (!Number.isFinite(l)) {
    running = false;
    throw new Error(`the loss became ${l} at step ${steps + 1}: try a smaller learning rate (e.g. ${s.lr / 10})`);
  }
  opt!.zeroGrad();
  m.backward(loss!.backward());
  opt!.step();
  runLoss += l * n;
  runCorrect += argmaxCorrect(out, n);
  runCount += n;
  steps++;
  samplesSeen += n;
}

function evaluate(): void {
  const m = model!;
  m.eval();
  const confusion = new Int32Array(K() * K());
  const idx = Int32Array.from({ length: test!.n }, (_, i) => i);
  let total = 0, correct = 0;
  for (let from = 0; from < test!.n; from += 250) {
    const n = Math.min(250, test!.n - from);
    gather(test!, idx, from, n);
    const out = m.forward(xb);
    total += loss!.forward(out, target() as Tensor) * n;
    correct += argmaxCorrect(out, n, confusion);
  }
  const record: EvalRecord = {
    step: steps, epoch: samplesSeen / train!.n,
    trainLoss: runCount ? runLoss / runCount : NaN, trainAcc: runCount ? runCorrect / runCount : NaN,
    testLoss: total / test!.n, testAcc: correct / test!.n,
  };
  runLoss = runCorrect = runCount = 0;
  const filters = firstLayerFilters();
  post({ type: 'eval', record, confusion: Array.from(confusion), filters }, [filters.data.buffer]);
  lastEval = performance.now();
}

function firstLayerFilters(): { count: number; h: number; w: number; data: Float32Array } {
  const first = model!.layers[0]!;
  const w = first.parameters()[0]!.value;
  // Linear: each unit's weights as an image of the first channel; Conv2d: each filter's first channel
  const [count, h, wd] = w.rank === 4 ? [w.shape[0]!, w.shape[2]!, w.shape[3]!] : [Math.min(w.shape[0]!, 32), image[1], image[2]];
  const size = h * wd;
  const data = new Float32Array(count * size);
  for (let f = 0; f < count; f++) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < size; i++) {
      const v = w.data[f * (w.size / w.shape[0]!) + i]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    for (let i = 0; i < size; i++) data[f * size + i] = (w.data[f * (w.size / w.shape[0]!) + i]! - lo) / (hi - lo || 1);
  }
  return { count, h, w: wd, data };
}

async function loop(): Promise<void> {
  let windowStart = performance.now(), windowSamples = 0;
  while (running) {
    const t0 = performance.now();
    const before = samplesSeen;
    const epochBefore = Math.floor(samplesSeen / train!.n);
    while (running && performance.now() - t0 < 40) trainStep();
    windowSamples += samplesSeen - before;
    const now = performance.now();
    if (now - windowStart > 500) {
      post({ type: 'progress', step: steps, epoch: samplesSeen / train!.n, samplesPerSec: (windowSamples * 1000) / (now - windowStart) });
      windowStart = now;
      windowSamples = 0;
    }
    // evaluate on the test split every ~1.5 s and at every epoch's end
    if (now - lastEval > 1500 || Math.floor(samplesSeen / train!.n) > epochBefore) evaluate();
    await new Promise((r) => setTimeout(r, 0));
  }
  // paused before a window closed (a fast backend reaches 85 % in under half a second): report
  // the partial window, so the page never shows a run without its speed
  const now = performance.now();
  if (windowSamples > 0 && now > windowStart) {
    post({ type: 'progress', step: steps, epoch: samplesSeen / train!.n, samplesPerSec: (windowSamples * 1000) / (now - windowStart) });
  }
}

function backendName(): string {
  return backend().describe?.() ?? backend().name;
}

async function chooseBackend(request: BackendRequest): Promise<void> {
  if (request === 'ref') return;
  // webgpu when asked for, or on 'auto' with a hardware adapter (a software one, SwiftShader or
  // llvmpipe, trains slower than wasm); its device runs in a worker of this worker
  if (request === 'webgpu' || (request === 'auto' && 'gpu' in navigator)) {
    try {
      await hg.initWebGPU({ requireHardware: request === 'auto', selfTest: true });
      return;
    } catch (e) {
      if (request === 'webgpu') console.warn(`handgrad playground: webgpu unavailable, using wasm: ${(e as Error).message}`);
    }
  }
  // The WASM backend is used when this build of handgrad exports initWasm and it succeeds
  // (threads when the page is cross-origin isolated); otherwise the reference kernels.
  const name = ['init', 'Wasm'].join(''); // looked up at run time: builds without the WASM backend lack it
  const init = (hg as Record<string, unknown>)[name];
  if (typeof init !== 'function') return;
  try {
    const threads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
    await (init as (o: { threads: number }) => Promise<unknown>)({ threads });
    setBackend('wasm');
  } catch (e) {
    setBackend('ref');
    console.warn(`handgrad playground: WASM backend unavailable, using ref: ${(e as Error).message}`);
  }
}

function exportModel(): void {
  const m = model!;
  const bytes = writeSafetensors(m.namedParameters().map(([name, p]) => [name, p.value] as [string, Tensor]), {
    format: 'handgrad', model: JSON.stringify(m.config()), settings: JSON.stringify(settings), step: String(steps),
  });
  post({ type: 'exported', bytes, name: `handgrad-${settings!.arch}-step${steps}.safetensors` }, [bytes.buffer]);
}

function importModel(bytes: Uint8Array, name: string): void {
  const file = readSafetensors(bytes, name);
  // A model trained on the command line carries its LayerConfig in the metadata ("model");
  // without it, the weights must fit the model configured on the page.
  const m = file.metadata.model ? (nn.layerFromConfig(JSON.parse(file.metadata.model) as nn.LayerConfig) as nn.Sequential) : build(settings!);
  if (!(m instanceof nn.Sequential)) throw new Error(`${name}: the model in its metadata is not a Sequential`);
  const params = new Map(m.namedParameters());
  for (const [pname, t] of file.tensors) {
    const p = params.get(pname);
    if (!p) throw new Error(`${name}: tensor '${pname}' has no parameter of that name in ${m.describe()} (expected ${[...params.keys()].join(', ')})`);
    if (p.value.size !== t.size) throw new Error(`${name}: tensor '${pname}' has shape [${t.shape.join(', ')}], expected [${p.value.shape.join(', ')}]`);
    p.value.data.set(t.data);
    params.delete(pname);
  }
  if (params.size > 0) throw new Error(`${name}: missing tensors ${[...params.keys()].join(', ')}`);
  const first = m.layers[0];
  if (first instanceof nn.Conv2d ? first.inChannels !== image[0] : !(first instanceof nn.Linear && first.inFeatures === features)) {
    throw new Error(`${name}: its first layer is ${first?.describe()}, which does not take ${dataName}'s samples of shape [${image.join(', ')}]`);
  }
  running = false;
  reset(settings!, m);
  post({ type: 'imported', name, model: m.describe() });
  evaluate();
}

/**
 * Class visualisation of the model trained on the page (H7's dream): gradient ascent on the
 * input image, with the tricks as options. Posts the image every few steps so the page updates
 * live. Runs between training slices, so training may continue while dreaming.
 */
function runDream(d: DreamSettings, id: number): void {
  const m = model!;
  const target: dream.DreamModel = {
    net: m, inputShape: image, networkInputShape: isImage ? [1, ...image] : [1, features],
    classes: classNames,
  };
  const every = Math.max(1, Math.round(d.steps / 10));
  const result = dream.dream(target, {
    objective: { kind: 'logit', class: d.target }, steps: d.steps, lr: d.lr, jitter: d.jitter, blurEvery: d.blurEvery,
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

self.onmessage = async (e: MessageEvent<ToWorker>): Promise<void> => {
  const msg = e.data;
  try {
    switch (msg.type) {
      case 'configure':
        running = false;
        if (!booted) {
          booted = true;
          await chooseBackend(msg.backend);
          await loadMnist(msg.dataUrl);
        }
        reset(msg.settings);
        evaluate();
        break;
      case 'start':
        if (!running && model) {
          running = true;
          post({ type: 'state', running });
          await loop();
          // paused (or reconfigured): show the accuracy of the model as it is now
          if (model) evaluate();
          post({ type: 'state', running: false });
        }
        break;
      case 'pause':
        running = false;
        break;
      case 'step':
        if (model && !running) {
          trainStep();
          evaluate();
        }
        break;
      case 'export':
        if (model) exportModel();
        break;
      case 'import':
        importModel(msg.bytes, msg.name);
        break;
      case 'use-embedded':
        running = false;
        await loadMnist(msg.dataUrl);
        reset(settings!);
        evaluate();
        break;
      case 'load-data':
        running = false;
        loadFiles(msg.files);
        reset(settings ?? msg.settings);
        evaluate();
        break;
      case 'dream':
        if (model) runDream(msg.settings, msg.id);
        break;
    }
  } catch (err) {
    running = false;
    post({ type: 'error', message: (err as Error).message });
  }
};
