// The playground page: controls, URL state, the training worker's view, and the Backward and
// Theory panels. Training runs in worker.ts; this thread only draws.

import { backend, nn, training } from 'handgrad';
import { lineChart, svgToPng } from './chart.js';
import { renderBackward, type BackwardSettings } from './backward-panel.js';
import { renderTheory, type GraphInputs } from './theory-panel.js';
import type { BackendRequest, DreamSettings, EvalRecord, FromWorker, ToWorker, TrainSettings } from './protocol.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`playground: element #${id} is missing from index.html`);
  return e as T;
};

// ---- state in the URL (like TensorFlow Playground: #tab=train&arch=single&lr=0.05…) ----------
type Tab = 'train' | 'backward' | 'theory' | 'dream';
interface PageState { tab: Tab; train: TrainSettings; bw: BackwardSettings; graph: GraphInputs; dream: DreamSettings }

const DEFAULTS: PageState = {
  tab: 'train',
  train: { arch: 'single-layer-mlp', hidden: 64, f: 'relu', g: 'identity', lr: 0.05, momentum: 0.9, dropout: 0, dropoutMode: 'inverted', batch: 32, seed: 1 },
  bw: { f: '3relu', g: 'identity', loss: 'mse', seed: 0 },
  graph: { x: 1, y: 2, z: 3 },
  dream: { target: 3, steps: 100, lr: 0.05, jitter: 1, blurEvery: 4, blurSigma: 0.5, weightDecay: 0.002, gradBlurSigma: 0.5, octaves: 1, clip: 0, clamp: true },
};
const DREAM_KEYS = ['target', 'steps', 'lr', 'jitter', 'blurEvery', 'blurSigma', 'weightDecay', 'gradBlurSigma', 'octaves', 'clip'] as const;

function readState(): PageState {
  const q = new URLSearchParams(location.hash.slice(1));
  const num = (k: string, d: number): number => (q.has(k) && Number.isFinite(Number(q.get(k))) ? Number(q.get(k)) : d);
  const pick = <T extends string>(k: string, allowed: readonly T[], d: T): T => (allowed.includes(q.get(k) as T) ? (q.get(k) as T) : d);
  const t = DEFAULTS.train;
  return {
    tab: pick('tab', ['train', 'backward', 'theory', 'dream'], DEFAULTS.tab),
    train: {
      arch: pick('arch', training.MODEL_KIND_NAMES, t.arch), hidden: Math.max(1, Math.round(num('hidden', t.hidden))),
      f: pick('f', nn.ACTIVATION_NAMES, t.f), g: pick('g', ['identity', 'sigmoid'], t.g),
      lr: num('lr', t.lr), momentum: num('momentum', t.momentum), dropout: num('dropout', t.dropout),
      dropoutMode: pick('dmode', ['inverted', 'cmu'], t.dropoutMode), batch: Math.max(1, Math.round(num('batch', t.batch))), seed: Math.round(num('seed', t.seed)),
    },
    bw: {
      f: pick('bf', ['relu', '3relu', 'tanh', 'sigmoid', 'identity'], DEFAULTS.bw.f), g: pick('bg', ['relu', '3relu', 'tanh', 'sigmoid', 'identity'], DEFAULTS.bw.g),
      loss: pick('bloss', ['mse', 'bce'], DEFAULTS.bw.loss), seed: Math.round(num('bseed', DEFAULTS.bw.seed)),
    },
    graph: { x: num('gx', DEFAULTS.graph.x), y: num('gy', DEFAULTS.graph.y), z: num('gz', DEFAULTS.graph.z) },
    dream: {
      ...Object.fromEntries(DREAM_KEYS.map((k) => [k, num(`d${k}`, DEFAULTS.dream[k])])) as Omit<DreamSettings, 'clamp'>,
      clamp: q.has('dclamp') ? q.get('dclamp') === '1' : DEFAULTS.dream.clamp,
    },
  };
}

function writeState(s: PageState): void {
  const q = new URLSearchParams({
    tab: s.tab, arch: s.train.arch, hidden: String(s.train.hidden), f: s.train.f, g: s.train.g, lr: String(s.train.lr),
    momentum: String(s.train.momentum), dropout: String(s.train.dropout), dmode: s.train.dropoutMode, batch: String(s.train.batch),
    seed: String(s.train.seed), bf: s.bw.f, bg: s.bw.g, bloss: s.bw.loss, bseed: String(s.bw.seed),
    gx: String(s.graph.x), gy: String(s.graph.y), gz: String(s.graph.z),
    ...Object.fromEntries(DREAM_KEYS.map((k) => [`d${k}`, String(s.dream[k])])), dclamp: s.dream.clamp ? '1' : '0',
  });
  history.replaceState(null, '', `#${q}`);
}

const state = readState();

// ---- tabs (arrow keys move between them, as the WAI-ARIA tabs pattern) ------------------------
const tabs = [...document.querySelectorAll<HTMLButtonElement>('nav [role="tab"]')];
let theoryRendered = false;
function showTab(tab: Tab, focus = false): void {
  state.tab = tab;
  for (const b of tabs) {
    const on = b.dataset.tab === tab;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
    $(`panel-${b.dataset.tab}`).hidden = !on;
    if (on && focus) b.focus();
  }
  if (tab === 'theory' && !theoryRendered) drawTheory();
  if (tab === 'backward') drawBackward();
  writeState(state);
}
tabs.forEach((b, i) => {
  b.addEventListener('click', () => showTab(b.dataset.tab as Tab));
  b.addEventListener('keydown', (e) => {
    const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (d) showTab(tabs[(i + d + tabs.length) % tabs.length]!.dataset.tab as Tab, true);
  });
});

// ---- Theory ------------------------------------------------------------------------------------
function drawTheory(): void {
  const checks = renderTheory($('theory-out'), state.graph, (g) => {
    state.graph = g;
    writeState(state);
    updateSummary();
  });
  theoryRendered = true;
  void checks;
  updateSummary();
}
function updateSummary(): void {
  const all = [...$('theory-out').querySelectorAll<HTMLElement>('.check[data-passed]')];
  const failed = all.filter((c) => c.dataset.passed !== 'true').length;
  const s = $('theory-summary');
  s.textContent = failed === 0 ? `All ${all.length} numeric checks pass.` : `${failed} of ${all.length} checks FAIL.`;
  s.className = `summary check ${failed === 0 ? 'pass' : 'fail'}`;
  s.dataset.passed = String(failed === 0);
}

// ---- Backward, visible -------------------------------------------------------------------------
const bwInputs = { f: $<HTMLSelectElement>('bw-f'), g: $<HTMLSelectElement>('bw-g'), loss: $<HTMLSelectElement>('bw-loss'), seed: $<HTMLInputElement>('bw-seed') };
function drawBackward(): void {
  renderBackward($('backward-out'), $('bw-tip'), state.bw);
}
bwInputs.f.value = state.bw.f;
bwInputs.g.value = state.bw.g;
bwInputs.loss.value = state.bw.loss;
bwInputs.seed.value = String(state.bw.seed);
for (const el of Object.values(bwInputs)) {
  el.addEventListener('change', () => {
    state.bw = { f: bwInputs.f.value as BackwardSettings['f'], g: bwInputs.g.value as BackwardSettings['g'], loss: bwInputs.loss.value as 'mse' | 'bce', seed: Math.round(Number(bwInputs.seed.value) || 0) };
    writeState(state);
    drawBackward();
  });
}

// ---- Dream ---------------------------------------------------------------------------------
let dreamId = 0;
let dreamQueue: number[] = [];
let dreamTarget = 0;
const dreamTimer = { t: 0 };
function dreamFromForm(): DreamSettings {
  const d = { ...state.dream };
  d.target = Number($<HTMLSelectElement>('d-target').value);
  for (const k of DREAM_KEYS) if (k !== 'target') d[k] = Number($<HTMLInputElement>(`d-${k}`).value);
  d.clamp = $<HTMLInputElement>('d-clamp').checked;
  return d;
}
function showDreamValues(): void {
  for (const k of DREAM_KEYS) if (k !== 'target') $(`d-${k}-out`).textContent = ` ${$<HTMLInputElement>(`d-${k}`).value}`;
}
$<HTMLSelectElement>('d-target').value = String(state.dream.target);
for (const k of DREAM_KEYS) if (k !== 'target') $<HTMLInputElement>(`d-${k}`).value = String(state.dream[k]);
$<HTMLInputElement>('d-clamp').checked = state.dream.clamp;
showDreamValues();
function startDreams(targets: number[]): void {
  state.dream = dreamFromForm();
  writeState(state);
  dreamQueue = [...targets];
  $('dream-images').replaceChildren();
  nextDream();
}
function nextDream(): void {
  const t = dreamQueue.shift();
  if (t === undefined) return;
  dreamId++;
  dreamTarget = t;
  send({ type: 'dream', settings: { ...state.dream, target: t }, id: dreamId });
  $('dream-status').textContent = `dreaming class ${t}…`;
}
function drawDream(m: Extract<FromWorker, { type: 'dream' }>): void {
  const fig = document.createElement('figure');
  const c = document.createElement('canvas');
  const [h, w] = sampleShape.slice(-2) as [number, number];
  c.width = w;
  c.height = h;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const v = Math.round(Math.min(1, Math.max(0, m.image[i]!)) * 255);
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  c.setAttribute('role', 'img');
  fig.dataset.probability = String(m.probability);
  fig.className = 'dream';
  const cap = document.createElement('figcaption');
  fig.dataset.target = String(dreamTarget);
  fig.dataset.predicted = String(m.predicted);
  cap.textContent = `class ${classNames[dreamTarget] ?? dreamTarget}: p = ${(m.probability ?? NaN).toFixed(3)}, predicted ${classNames[m.predicted ?? -1] ?? m.predicted} (${((m.predictedProbability ?? 0) * 100).toFixed(1)}%)`;
  c.setAttribute('aria-label', cap.textContent);
  fig.append(c, cap);
  $('dream-images').appendChild(fig);
}
for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('#dream-form input, #dream-form select')) {
  el.addEventListener('input', showDreamValues);
  el.addEventListener('change', () => {
    clearTimeout(dreamTimer.t);
    dreamTimer.t = window.setTimeout(() => startDreams([Number($<HTMLSelectElement>('d-target').value)]), 150);
  });
}
$('dream-run').addEventListener('click', () => startDreams([Number($<HTMLSelectElement>('d-target').value)]));
$('dream-all').addEventListener('click', () => startDreams(classNames.map((_, i) => i)));

// ---- Train and watch ---------------------------------------------------------------------------
// The model and activation menus list the library's registries.
$<HTMLSelectElement>('arch').replaceChildren(...training.MODEL_KIND_NAMES.map((k) => new Option(training.MODEL_KINDS[k].label, k)));
$<HTMLSelectElement>('f').replaceChildren(...nn.ACTIVATION_NAMES.map((k) => new Option(nn.ACTIVATIONS[k].label, k)));
const inputs = {
  arch: $<HTMLSelectElement>('arch'), hidden: $<HTMLInputElement>('hidden'), f: $<HTMLSelectElement>('f'), g: $<HTMLSelectElement>('g'),
  lr: $<HTMLInputElement>('lr'), momentum: $<HTMLInputElement>('momentum'), dropout: $<HTMLInputElement>('dropout'),
  dropoutMode: $<HTMLSelectElement>('dropoutMode'), batch: $<HTMLInputElement>('batch'), seed: $<HTMLInputElement>('seed'),
};
for (const [k, el] of Object.entries(inputs)) el.value = String(state.train[k as keyof TrainSettings]);

function settingsFromForm(): TrainSettings | string {
  const n = (el: HTMLInputElement, what: string, lo: number, hi: number): number | string => {
    const v = Number(el.value);
    return Number.isFinite(v) && v >= lo && v <= hi ? v : `${what} must be a number in [${lo}, ${hi}], got "${el.value}"`;
  };
  const vals = {
    hidden: n(inputs.hidden, 'hidden width', 1, 1024), lr: n(inputs.lr, 'learning rate', 0, 10), momentum: n(inputs.momentum, 'momentum', 0, 0.999),
    dropout: n(inputs.dropout, 'dropout p', 0, 0.95), batch: n(inputs.batch, 'batch size', 1, 1024), seed: n(inputs.seed, 'seed', -1e9, 1e9),
  };
  for (const v of Object.values(vals)) if (typeof v === 'string') return v;
  return {
    arch: inputs.arch.value as TrainSettings['arch'], f: inputs.f.value as TrainSettings['f'], g: inputs.g.value as TrainSettings['g'],
    dropoutMode: inputs.dropoutMode.value as TrainSettings['dropoutMode'],
    hidden: Math.round(vals.hidden as number), lr: vals.lr as number, momentum: vals.momentum as number, dropout: vals.dropout as number,
    batch: Math.round(vals.batch as number), seed: Math.round(vals.seed as number),
  };
}

/** Shows the f and g menus for the model kinds that read them. */
function syncModelOptions(): void {
  const reads = training.MODEL_KINDS[inputs.arch.value as training.ModelKind].reads;
  for (const el of document.querySelectorAll<HTMLElement>('[data-reads]')) el.hidden = !reads[el.dataset.reads as keyof typeof reads];
}
syncModelOptions();

const status = $('status');
function say(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(m, transfer);
const history_: EvalRecord[] = [];
let running = false;

/** The backend asked for in the page's URL (?backend=webgpu|wasm|ref), 'auto' otherwise. */
function backendRequest(): BackendRequest {
  const b = new URLSearchParams(location.search).get('backend');
  return b === 'webgpu' || b === 'wasm' || b === 'ref' ? b : 'auto';
}

function configure(): void {
  const s = settingsFromForm();
  if (typeof s === 'string') return say(s, true);
  state.train = s;
  writeState(state);
  history_.length = 0;
  drawCurves();
  send({ type: 'configure', settings: s, dataUrl: new URL('mnist-10k.bin.gz', document.baseURI).href, backend: backendRequest() });
  say('building the model…');
}

for (const el of Object.values(inputs)) el.addEventListener('change', () => { syncModelOptions(); configure(); });
$<HTMLSelectElement>('data').addEventListener('change', (e) => {
  const v = (e.target as HTMLSelectElement).value;
  if (v === 'embedded') {
    history_.length = 0;
    send({ type: 'use-embedded', dataUrl: new URL('mnist-10k.bin.gz', document.baseURI).href });
    say('loading the embedded MNIST…');
  } else $('data-files').focus();
});
$<HTMLInputElement>('data-files').addEventListener('change', async (e) => {
  const list = [...((e.target as HTMLInputElement).files ?? [])];
  if (!list.length) return;
  $<HTMLSelectElement>('data').value = 'files';
  say(`reading ${list.map((f) => f.name).join(', ')}…`);
  const files = await Promise.all(list.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
  history_.length = 0;
  const s = settingsFromForm();
  if (typeof s === 'string') return say(s, true);
  send({ type: 'load-data', files, settings: s }, files.map((f) => f.bytes.buffer));
});
$('start').addEventListener('click', () => send({ type: 'start' }));
$('pause').addEventListener('click', () => send({ type: 'pause' }));
$('step').addEventListener('click', () => send({ type: 'step' }));
$('reset').addEventListener('click', configure);
$('export-model').addEventListener('click', () => send({ type: 'export' }));
$<HTMLInputElement>('import-model').addEventListener('change', async (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (!f) return;
  const bytes = new Uint8Array(await f.arrayBuffer());
  send({ type: 'import', bytes, name: f.name }, [bytes.buffer]);
});
$('export-csv').addEventListener('click', () => {
  const rows = ['step,epoch,train_loss,train_accuracy,test_loss,test_accuracy', ...history_.map((r) => [r.step, r.epoch, r.trainLoss, r.trainAcc, r.testLoss, r.testAcc].join(','))];
  download(new Blob([rows.join('\n') + '\n'], { type: 'text/csv' }), 'handgrad-curves.csv');
});
$('export-png').addEventListener('click', async () => {
  download(await svgToPng($<SVGSVGElement & HTMLElement>('chart-loss') as unknown as SVGSVGElement), 'handgrad-loss.png');
  download(await svgToPng($<SVGSVGElement & HTMLElement>('chart-acc') as unknown as SVGSVGElement), 'handgrad-accuracy.png');
});

function download(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function drawCurves(): void {
  const xs = history_.map((r) => r.epoch);
  lineChart($('chart-loss') as unknown as SVGSVGElement, [
    { name: 'train', color: '#0b57d0', xs: xs.filter((_, i) => Number.isFinite(history_[i]!.trainLoss)), ys: history_.map((r) => r.trainLoss).filter(Number.isFinite) },
    { name: 'test', color: '#c2410c', xs, ys: history_.map((r) => r.testLoss), dashed: true },
  ], { xLabel: 'epoch', yLabel: 'loss', yMin: 0 });
  lineChart($('chart-acc') as unknown as SVGSVGElement, [
    { name: 'train', color: '#0b57d0', xs: xs.filter((_, i) => Number.isFinite(history_[i]!.trainAcc)), ys: history_.map((r) => r.trainAcc).filter(Number.isFinite) },
    { name: 'test', color: '#c2410c', xs, ys: history_.map((r) => r.testAcc), dashed: true },
  ], { xLabel: 'epoch', yLabel: 'accuracy', yMin: 0, yMax: 1 });
}

function drawFilters(f: { count: number; h: number; w: number; data: Float32Array }): void {
  const box = $('filters');
  while (box.children.length > f.count) box.lastChild!.remove();
  while (box.children.length < f.count) {
    const c = document.createElement('canvas');
    c.setAttribute('role', 'img');
    c.setAttribute('aria-label', `first-layer unit ${box.children.length}`);
    box.appendChild(c);
  }
  [...box.children].forEach((c, k) => {
    const canvas = c as HTMLCanvasElement;
    canvas.width = f.w;
    canvas.height = f.h;
    const ctx = canvas.getContext('2d')!;
    const img = ctx.createImageData(f.w, f.h);
    for (let i = 0; i < f.w * f.h; i++) {
      const v = Math.round(f.data[k * f.w * f.h + i]! * 255);
      img.data.set([v, v, v, 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
  });
}

function drawConfusion(m: number[]): void {
  const K = Math.round(Math.sqrt(m.length));
  const name = (k: number): string => (classNames[k] ?? String(k)).replace(/[&<>"]/g, '');
  const max = Math.max(1, ...m);
  const head = `<tr><th scope="col">true \\ pred</th>${[...Array(K).keys()].map((k) => `<th scope="col">${name(k)}</th>`).join('')}</tr>`;
  const body = [...Array(K).keys()].map((r) => `<tr><th scope="row">${name(r)}</th>${[...Array(K).keys()].map((c) => {
    const v = m[r * K + c]!;
    const a = v / max;
    return `<td style="background: rgba(11, 87, 208, ${(a * 0.85).toFixed(3)}); color: ${a > 0.5 ? '#fff' : '#111'}">${v}</td>`;
  }).join('')}</tr>`).join('');
  $('confusion').innerHTML = `<div class="scroll"><table class="confusion" id="confusion-table">${head}${body}</table></div>`;
}

let classNames: string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
let sampleShape: number[] = [1, 28, 28];
let backendText = `backend: ${backend().describe?.() ?? backend().name} on the page`;
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'ready':
      backendText = `training backend: ${m.backend}${self.crossOriginIsolated ? ' · cross-origin isolated (threads possible)' : ' · not cross-origin isolated (no threads)'}`;
      $('backend').textContent = backendText;
      $('backend').dataset.backend = m.backend;
      say(`${m.data}: ${m.trainSize} train / ${m.testSize} test samples of shape [${m.sampleShape.join(', ')}], ${m.classes.length} classes · ${m.model} · ${m.parameters.toLocaleString('en')} parameters. Press Start.`);
      if (m.classes.join('\u0000') !== classNames.join('\u0000')) {
        classNames = m.classes;
        const sel = $<HTMLSelectElement>('d-target');
        sel.replaceChildren(...classNames.map((c, i) => new Option(`${i}: ${c}`, String(i))));
        sel.value = String(Math.min(state.dream.target, classNames.length - 1));
      }
      sampleShape = m.sampleShape;
      break;
    case 'state':
      running = m.running;
      $('start').textContent = running ? 'Running…' : 'Start';
      break;
    case 'progress':
      $('stat-step').textContent = String(m.step);
      $('stat-epoch').textContent = m.epoch.toFixed(2);
      $('stat-speed').textContent = Math.round(m.samplesPerSec).toLocaleString('en');
      $('stat-speed').dataset.value = String(m.samplesPerSec);
      break;
    case 'eval': {
      const r = m.record;
      if (history_.length && history_[history_.length - 1]!.step === r.step) history_.pop();
      history_.push(r);
      $('stat-step').textContent = String(r.step);
      $('stat-epoch').textContent = r.epoch.toFixed(2);
      $('test-acc').textContent = `${(100 * r.testAcc).toFixed(1)}%`;
      $('test-acc').dataset.value = String(r.testAcc);
      $('test-loss').textContent = r.testLoss.toFixed(4);
      drawCurves();
      drawFilters(m.filters);
      drawConfusion(m.confusion);
      break;
    }
    case 'exported':
      download(new Blob([m.bytes as BlobPart], { type: 'application/octet-stream' }), m.name);
      say(`exported ${m.name} (${m.bytes.length.toLocaleString('en')} bytes)`);
      break;
    case 'imported':
      history_.length = 0;
      say(`imported ${m.name}: ${m.model}`);
      break;
    case 'dream':
      if (m.id !== dreamId) break; // a newer dream replaced this one
      if (!m.done) {
        $('dream-status').textContent = `dreaming class ${dreamTarget}… step ${m.step}/${m.steps}, p = ${(m.probability ?? NaN).toFixed(3)}`;
        break;
      }
      drawDream(m);
      $('dream-status').textContent = dreamQueue.length ? '' : `done: ${$('dream-images').children.length} image(s)`;
      nextDream();
      break;
    case 'error':
      say(m.message, true);
      break;
  }
};
worker.onerror = (e) => say(`the training worker failed: ${e.message}`, true);

showTab(state.tab);
drawCurves();
configure();
