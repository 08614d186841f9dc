// The playground page: the training form and what the worker reports, the URL fragment, the tabs
// and the Backward, Theory and Dream panels. Training runs in worker.ts; this thread draws.
//
// Nothing trained is discarded without a word: the learning rate applies to the running model;
// every other setting (and another data set) waits for Reset, and the page says what Reset will
// discard. A refused value turns Start, Step and Reset off and says why. The status line says
// what the worker is doing.

import type { training } from 'handgrad';
import { renderBackward, type BackwardSettings } from './backward-panel.js';
import { dreamPanel } from './dream-panel.js';
import type { BackendRequest, DataSource, DataSummary, FromWorker, ToWorker } from './protocol.js';
import { changedFields, configOf, FIELD_LABELS, settingsOf, type Field, type Invalid } from './settings.js';
import { renderTheory } from './theory-panel.js';
import { TrainForm } from './train-form.js';
import { curvesCsv, curvesPng, drawConfusion, drawCurves, drawFilters, runTitle } from './train-view.js';
import { EVAL_SAMPLES, evalCount, fragmentOf, readState, TABS, type Tab } from './url-state.js';

function $<T extends HTMLElement = HTMLElement>(id: string, type?: new () => T): T {
  const e = document.getElementById(id);
  if (!e || (type && !(e instanceof type))) throw new Error(`playground: element #${id} is missing from index.html`);
  return e as T;
}
const svg = (id: string): SVGSVGElement => {
  const e = document.getElementById(id);
  if (!(e instanceof SVGSVGElement)) throw new Error(`playground: the chart #${id} is missing from index.html`);
  return e;
};

let state = readState(location.hash);
const writeState = (): void => history.replaceState(null, '', fragmentOf(state));

// ---- tabs (arrow keys move between them, as the WAI-ARIA tabs pattern) ------------------------
const tabs = [...document.querySelectorAll<HTMLButtonElement>('nav [role="tab"]')];
const tabOf = (b: HTMLButtonElement): Tab => TABS.find((t) => t === b.dataset.tab) ?? 'train';
let theoryRendered = false;
function showTab(tab: Tab, focus = false): void {
  state.tab = tab;
  for (const b of tabs) {
    const on = tabOf(b) === tab;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
    $(`panel-${tabOf(b)}`).hidden = !on;
    if (on && focus) b.focus();
  }
  if (tab === 'theory' && !theoryRendered) drawTheory();
  if (tab === 'backward') drawBackward();
  if (tab === 'train') redrawCurves();
  writeState();
}
tabs.forEach((b, i) => {
  b.addEventListener('click', () => showTab(tabOf(b)));
  b.addEventListener('keydown', (e) => {
    const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    const to = tabs[(i + d + tabs.length) % tabs.length];
    if (d && to) showTab(tabOf(to), true);
  });
});

// ---- Theory and Backward -------------------------------------------------------------------------
function drawTheory(): void {
  renderTheory($('theory-out'), state.graph, (g) => {
    state.graph = g;
    writeState();
    updateSummary();
  });
  theoryRendered = true;
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
const bw = { f: $('bw-f', HTMLSelectElement), g: $('bw-g', HTMLSelectElement), loss: $('bw-loss', HTMLSelectElement), seed: $('bw-seed', HTMLInputElement) };
const drawBackward = (): void => renderBackward($('backward-out'), $('bw-tip'), state.bw);
function showBackward(s: BackwardSettings): void {
  bw.f.value = s.f;
  bw.g.value = s.g;
  bw.loss.value = s.loss;
  bw.seed.value = String(s.seed);
}
for (const el of Object.values(bw)) {
  el.addEventListener('change', () => {
    state.bw = { f: bw.f.value as BackwardSettings['f'], g: bw.g.value as BackwardSettings['g'], loss: bw.loss.value === 'bce' ? 'bce' : 'mse', seed: Math.round(Number(bw.seed.value) || 0) };
    writeState();
    drawBackward();
  });
}

// ---- the worker -----------------------------------------------------------------------------------
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(m, transfer);
const dream = dreamPanel(send, (d) => {
  state.dream = d;
  writeState();
});

// ---- Train and watch: what the page knows --------------------------------------------------------
const form = new TrainForm();
const dataSelect = $('data', HTMLSelectElement);
/** The model the worker trains: its config, data, description; and what training it has had. */
interface Live {
  config: training.TrainConfig;
  data: DataSummary;
  filesRead: number;
  model: string;
  parameters: number;
  imported: string | null;
}
let booted = false;
let embedded: DataSummary | null = null;
let files: DataSummary | null = null;
/** How many times data files were read (a reset records which reading it trains on). */
let filesRead = 0;
let live: Live | null = null;
let building: { filesRead: number } | null = null;
/** What an import in flight replaces (atStake when it was asked for). */
let replacing = '';
let running = false;
/** Training stopped on an error (a diverged loss): the notice says which; cleared by a new model or a new start. */
let stoppedByError = false;
let step = 0;
let progress = 0;
let testAccuracy: number | null = null;
const curve: training.EpochRecord[] = [];
/** The form's values as a config, or what is refused. */
let formConfig: training.TrainConfig | Invalid | null = null;

const source = (): DataSource => (dataSelect.value === 'files' ? 'files' : 'embedded');
const pct = (a: number): string => `${(100 * a).toFixed(2)}%`;
const describeData = (d: DataSummary): string => `${d.label}: ${d.trainSize} train / ${d.testSize} test samples of shape [${d.sampleShape.join(', ')}], ${d.classes.length} classes`;

/** Reads the form: the settings and their config, or the refused field; applies a new learning rate to the running model. */
function readForm(): void {
  const s = form.read();
  if ('message' in s) {
    formConfig = s;
  } else {
    const d = source() === 'files' ? files : embedded;
    formConfig = configOf(s, d?.name ?? 'mnist');
    state.train = s;
    writeState();
    if (live && !('message' in formConfig) && formConfig.lr !== live.config.lr) send({ type: 'set-lr', lr: formConfig.lr });
  }
  form.syncVisibility();
  refresh();
}

/** The fields (and the data set) whose values wait for Reset. */
function pending(): { fields: Field[]; data: boolean } {
  if (!live || !formConfig || 'message' in formConfig) return { fields: [], data: false };
  const data = source() !== live.data.source || (source() === 'files' && live.filesRead !== filesRead);
  return { fields: changedFields(live.config, formConfig), data };
}

/** What Reset discards, in words, or '' when the model has not trained. */
function atStake(): string {
  if (!live) return '';
  if (live.imported && step === 0) return `the imported ${live.imported}`;
  if (step === 0) return '';
  return `the model trained for ${step.toLocaleString('en')} step${step === 1 ? '' : 's'} (${progress.toFixed(2)} epochs${testAccuracy === null ? '' : `, test accuracy ${pct(testAccuracy)}`})`;
}

/** The buttons, the marks on the form, the waiting changes and the status line, from what the page knows. */
function refresh(): void {
  const invalid = formConfig && 'message' in formConfig ? formConfig : null;
  const wait = pending();
  const noFiles = source() === 'files' && !files;
  form.mark(invalid?.field ?? null, wait.fields);
  $('data').closest('label')?.classList.toggle('pending', wait.data);
  const busy = !booted || building !== null;
  $('start', HTMLButtonElement).disabled = !live || running || invalid !== null || busy;
  $('start').textContent = running ? 'Running…' : 'Start';
  $('pause', HTMLButtonElement).disabled = !running;
  $('step', HTMLButtonElement).disabled = !live || running || invalid !== null || busy;
  $('reset', HTMLButtonElement).disabled = invalid !== null || noFiles || busy;
  const changes = [...wait.fields.map((f) => FIELD_LABELS[f]), ...(wait.data ? ['data set'] : [])];
  $('reset').textContent = changes.length ? 'Reset and apply' : 'Reset';
  const lose = atStake();
  const box = $('pending');
  box.classList.toggle('error', invalid !== null);
  box.textContent = invalid ? `${invalid.message}. Start, Step and Reset are off until it is fixed${running && live ? `; training goes on with learning rate ${live.config.lr}` : ''}.`
    : noFiles ? 'Choose the data files to train on (one .npz, one pickle, four IDX or four .npy files); Reset then builds a model for them.'
    : changes.length ? `Waiting for Reset: ${changes.join(', ')}. ${lose ? `Reset builds a new model and discards ${lose}; ` : 'Reset builds a new model; '}Start and Step go on with the current one.`
    : '';
  box.hidden = box.textContent === '';
  $('status').textContent = statusLine();
  $('export-model', HTMLButtonElement).disabled = !live;
  $('reset').title = lose ? `Builds a new model from the form and discards ${lose}` : 'Builds a new model from the form';
}

function statusLine(): string {
  if (!booted) return 'Starting: loading the embedded MNIST and the fastest backend…';
  if (building) return 'Building the model…';
  if (!live) return 'No model yet: fix the form, then press Reset.';
  const what = `${describeData(live.data)} · ${live.model} · ${live.parameters.toLocaleString('en')} parameters.`;
  if (running) return `${what} Training: step ${step.toLocaleString('en')}, epoch ${progress.toFixed(2)}. Pause stops it.`;
  if (stoppedByError) return `${what} Stopped at step ${step.toLocaleString('en')} (epoch ${progress.toFixed(2)}) by the error below.`;
  if (step === 0) return `${what} Ready: Start trains, Step trains one batch.`;
  return `${what} Paused at step ${step.toLocaleString('en')} (epoch ${progress.toFixed(2)}): Start goes on.`;
}

function notice(text: string, error = false): void {
  const n = $('notice');
  n.textContent = text;
  n.classList.toggle('error', error);
}

const charts = { loss: svg('chart-loss'), accuracy: svg('chart-acc') };
const redrawCurves = (): void => drawCurves(curve, charts);
new ResizeObserver(() => redrawCurves()).observe($('chart-loss').parentElement ?? document.body);

function reset(): void {
  if (!formConfig || 'message' in formConfig) return;
  const lose = atStake();
  building = { filesRead };
  send({ type: 'reset', config: formConfig, source: source() });
  notice(lose ? `Reset: ${lose} was discarded.` : '');
  refresh();
}

// ---- controls ------------------------------------------------------------------------------------
for (const el of Object.values(form.controls)) el.addEventListener('change', readForm);
const evalSelect = $('eval-samples', HTMLSelectElement);
/** Tells the worker how many test images to score (the state's choice). */
const sendEval = (): void => send({ type: 'set-eval', samples: evalCount(state.evalSamples) });
evalSelect.addEventListener('change', () => {
  state.evalSamples = EVAL_SAMPLES.find((e) => e === evalSelect.value) ?? 'all';
  writeState();
  sendEval();
});
dataSelect.addEventListener('change', () => {
  if (source() === 'files' && !files) $('data-files').focus();
  readForm();
});
$('data-files', HTMLInputElement).addEventListener('change', async (e) => {
  const list = [...((e.target as HTMLInputElement).files ?? [])];
  if (!list.length) return;
  notice(`reading ${list.map((f) => f.name).join(', ')}…`);
  const chosen = await Promise.all(list.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
  send({ type: 'read-files', files: chosen }, chosen.map((f) => f.bytes.buffer));
});
$('start').addEventListener('click', () => send({ type: 'start' }));
$('pause').addEventListener('click', () => send({ type: 'pause' }));
$('step').addEventListener('click', () => send({ type: 'step' }));
$('reset').addEventListener('click', reset);
$('export-model').addEventListener('click', () => send({ type: 'export' }));
$('import-model', HTMLInputElement).addEventListener('change', async (e) => {
  const input = e.target as HTMLInputElement;
  const f = input.files?.[0];
  input.value = '';
  if (!f) return;
  // a bundle that does not say how it was trained trains on with the form's settings: they must hold
  if (!formConfig || 'message' in formConfig) return notice(`${f.name} was not imported: ${formConfig?.message ?? 'the form is not read yet'}.`, true);
  const bytes = new Uint8Array(await f.arrayBuffer());
  replacing = atStake();
  send({ type: 'import', bytes, name: f.name, config: formConfig }, [bytes.buffer]);
  notice(`importing ${f.name}…`);
});
$('export-csv').addEventListener('click', () => download(curvesCsv(curve), 'handgrad-curves.csv'));
$('export-png').addEventListener('click', async () => {
  if (!live) return;
  const png = await curvesPng(curve, runTitle(live.config, live.data.label, live.data.sampleShape, live.data.classes.length));
  download(png.loss, 'handgrad-loss.png');
  download(png.accuracy, 'handgrad-accuracy.png');
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

// ---- what the worker says ------------------------------------------------------------------------
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'booted':
      booted = true;
      embedded = m.data;
      // the backend line keeps the reason a backend asked for does not run (notices come and go)
      $('backend').textContent = `training backend: ${m.backend}${self.crossOriginIsolated ? ' · cross-origin isolated (threads possible)' : ' · not cross-origin isolated (no threads)'}${m.note ? ` · ${m.note}` : ''}`;
      $('backend').dataset.backend = m.backend;
      readForm();
      reset();
      break;
    case 'files-read':
      files = m.data;
      filesRead++;
      dataSelect.value = 'files';
      notice(`Read ${describeData(m.data)}.${m.data.warnings.length ? ` ${m.data.warnings.join(' ')}` : ''} Reset trains on them.`);
      readForm();
      break;
    case 'session':
      live = { config: m.config, data: m.data, filesRead: building?.filesRead ?? filesRead, model: m.model, parameters: m.parameters, imported: m.imported?.name ?? null };
      building = null;
      running = false;
      stoppedByError = false;
      step = 0;
      progress = 0;
      testAccuracy = null;
      curve.length = 0;
      dataSelect.value = m.data.source;
      if (m.imported) {
        form.show(settingsOf(m.config, state.train));
        const notes = [m.imported.note, replacing ? `it replaces ${replacing}` : ''].filter((n) => n !== '');
        notice(`Imported ${m.imported.name}: ${m.model}${notes.length ? `; ${notes.join('; ')}` : ''}.`);
        replacing = '';
      }
      dream.setData(m.data.classes, m.data.sampleShape);
      readForm();
      break;
    case 'state':
      running = m.running;
      // a run that starts makes the last notice (a reset, an import, an error) old news
      if (running) {
        stoppedByError = false;
        notice('');
      }
      refresh();
      break;
    case 'progress':
      step = m.record.step;
      progress = m.progress;
      $('stat-step').textContent = String(step);
      $('stat-epoch').textContent = progress.toFixed(2);
      $('stat-speed').textContent = Math.round(m.record.samplesPerSecond).toLocaleString('en');
      $('stat-speed').dataset.value = String(m.record.samplesPerSecond);
      $('status').textContent = statusLine();
      break;
    case 'point': {
      const r = m.record;
      const last = curve[curve.length - 1];
      if (last && last.epoch === r.epoch) curve.pop();
      curve.push(r);
      step = m.step;
      testAccuracy = r.testAccuracy;
      $('stat-step').textContent = String(step);
      $('test-acc').textContent = pct(r.testAccuracy);
      $('test-acc').dataset.value = String(r.testAccuracy);
      $('test-n').textContent = `(${m.tested.toLocaleString('en')} images)`;
      $('test-loss').textContent = r.testLoss.toFixed(4);
      redrawCurves();
      drawFilters($('filters'), m.filters);
      drawConfusion($('confusion'), m.confusion, live?.data.classes ?? []);
      refresh();
      break;
    }
    case 'lr':
      if (live) live.config = { ...live.config, lr: m.lr };
      refresh();
      break;
    case 'exported':
      download(new Blob([m.bytes as BlobPart], { type: 'application/octet-stream' }), m.name);
      notice(`Exported ${m.name} (${m.bytes.length.toLocaleString('en')} bytes): \`handgrad eval --model ${m.name}\` scores it on the command line.`);
      break;
    case 'dream':
      dream.receive(m);
      break;
    case 'error':
      if (m.during === 'reset') building = null;
      if (m.during === 'train') stoppedByError = true;
      notice(m.message, true);
      refresh();
      break;
  }
};
worker.onerror = (e) => notice(`the training worker failed: ${e.message}`, true);

/** Applies the URL fragment: the tab and every panel's settings; training settings as form edits. */
function applyState(): void {
  form.show(state.train);
  evalSelect.value = state.evalSamples;
  showBackward(state.bw);
  dream.show(state.dream);
  theoryRendered = false;
  $('theory-out').replaceChildren();
  showTab(state.tab);
}
window.addEventListener('hashchange', () => {
  const evaluated = state.evalSamples;
  state = readState(location.hash);
  applyState();
  readForm();
  if (state.evalSamples !== evaluated) sendEval();
});

applyState();
readForm();
/** The backend asked for in the page's URL (?backend=webgpu|wasm|ref), 'auto' otherwise. */
function backendRequest(): BackendRequest {
  const b = new URLSearchParams(location.search).get('backend');
  return b === 'webgpu' || b === 'wasm' || b === 'ref' ? b : 'auto';
}
send({
  type: 'boot', dataUrl: new URL('mnist-10k.bin.gz', document.baseURI).href, backend: backendRequest(),
  threads: self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1,
});
sendEval();
