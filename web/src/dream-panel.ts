// The Dream panel: the tricks of class visualisation as sliders; a change dreams again after a
// short pause, "Dream all" dreams every class in turn. The worker dreams with the model trained
// on the Train tab and posts the image and its probability.

import type { DreamSettings, FromWorker, ToWorker } from './protocol.js';
import { DREAM_KEYS } from './url-state.js';

type DreamMessage = Extract<FromWorker, { type: 'dream' }>;

const $ = <T extends HTMLElement>(id: string, type: new () => T): T => {
  const e = document.getElementById(id);
  if (!(e instanceof type)) throw new Error(`playground: #${id} is missing from index.html`);
  return e;
};

export interface DreamPanel {
  /** Shows these values on the sliders. */
  show(d: DreamSettings): void;
  /** The data set's classes and image shape [C, H, W] (the class menu and the canvases follow them). */
  setData(classNames: readonly string[], sampleShape: readonly number[]): void;
  receive(m: DreamMessage): void;
}

export function dreamPanel(send: (m: ToWorker) => void, onChange: (d: DreamSettings) => void): DreamPanel {
  const target = $('d-target', HTMLSelectElement);
  const clamp = $('d-clamp', HTMLInputElement);
  const slider = (k: Exclude<(typeof DREAM_KEYS)[number], 'target'>): HTMLInputElement => $(`d-${k}`, HTMLInputElement);
  const sliders = DREAM_KEYS.filter((k) => k !== 'target').map((k) => [k, slider(k)] as const);
  const status = $('dream-status', HTMLElement);
  const images = $('dream-images', HTMLElement);
  let classNames: readonly string[] = [];
  let shape: readonly number[] = [1, 28, 28];
  let id = 0;
  let queue: number[] = [];
  let current = 0;
  let timer = 0;

  const values = (): DreamSettings => {
    const d: DreamSettings = { target: Number(target.value), clamp: clamp.checked, steps: 0, lr: 0, jitter: 0, blurEvery: 0, blurSigma: 0, weightDecay: 0, gradBlurSigma: 0, octaves: 0, clip: 0 };
    for (const [k, el] of sliders) d[k] = Number(el.value);
    return d;
  };
  const showValues = (): void => {
    for (const [k, el] of sliders) $(`d-${k}-out`, HTMLOutputElement).textContent = ` ${el.value}`;
  };
  const next = (): void => {
    const t = queue.shift();
    if (t === undefined) return;
    id++;
    current = t;
    send({ type: 'dream', settings: { ...values(), target: t }, id });
    status.textContent = `dreaming class ${classNames[t] ?? t}…`;
  };
  const start = (targets: number[]): void => {
    onChange(values());
    queue = [...targets];
    images.replaceChildren();
    next();
  };
  const draw = (m: DreamMessage): void => {
    const fig = document.createElement('figure');
    const c = document.createElement('canvas');
    const [h = 1, w = 1] = shape.slice(-2);
    c.width = w;
    c.height = h;
    const ctx = c.getContext('2d');
    if (ctx) {
      const img = ctx.createImageData(w, h);
      for (let i = 0; i < w * h; i++) {
        const v = Math.round(Math.min(1, Math.max(0, m.image[i] ?? 0)) * 255);
        img.data.set([v, v, v, 255], i * 4);
      }
      ctx.putImageData(img, 0, 0);
    }
    c.setAttribute('role', 'img');
    fig.className = 'dream';
    fig.dataset.probability = String(m.probability);
    fig.dataset.target = String(current);
    fig.dataset.predicted = String(m.predicted);
    const cap = document.createElement('figcaption');
    const predicted = m.predicted === null ? '?' : classNames[m.predicted] ?? String(m.predicted);
    cap.textContent = `class ${classNames[current] ?? current}: p = ${(m.probability ?? NaN).toFixed(3)}, predicted ${predicted} (${((m.predictedProbability ?? 0) * 100).toFixed(1)}%)`;
    c.setAttribute('aria-label', cap.textContent);
    fig.append(c, cap);
    images.appendChild(fig);
  };

  for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('#dream-form input, #dream-form select')) {
    el.addEventListener('input', showValues);
    el.addEventListener('change', () => {
      clearTimeout(timer);
      timer = window.setTimeout(() => start([Number(target.value)]), 150);
    });
  }
  $('dream-run', HTMLButtonElement).addEventListener('click', () => start([Number(target.value)]));
  $('dream-all', HTMLButtonElement).addEventListener('click', () => start(classNames.map((_, i) => i)));

  return {
    show(d) {
      target.value = String(d.target);
      clamp.checked = d.clamp;
      for (const [k, el] of sliders) el.value = String(d[k]);
      showValues();
    },
    setData(names, sampleShape) {
      shape = [...sampleShape];
      if (names.join('\u0000') === classNames.join('\u0000')) return;
      const chosen = Number(target.value);
      classNames = [...names];
      target.replaceChildren(...classNames.map((c, i) => new Option(`${i}: ${c}`, String(i))));
      target.value = String(Math.min(Number.isFinite(chosen) ? chosen : 0, classNames.length - 1));
    },
    receive(m) {
      if (m.id !== id) return; // a newer dream replaced this one
      if (!m.done) {
        status.textContent = `dreaming class ${classNames[current] ?? current}… step ${m.step}/${m.steps}, p = ${(m.probability ?? NaN).toFixed(3)}`;
        return;
      }
      draw(m);
      status.textContent = queue.length ? '' : `done: ${images.children.length} image(s)`;
      next();
    },
  };
}
