// What the training panel draws from the worker's records: the loss and accuracy curves (train
// dashed, test solid, as `handgrad train` draws them), the first layer's weights, the confusion
// matrix; and the curves as CSV (the header of the command line's history.csv) or as PNG charts
// titled with the run.

import { optim, training } from 'handgrad';
import { chartForExport, lineChart, svgToPng, type Series } from './chart.js';
import type { Filters } from './protocol.js';

type Metric = 'loss' | 'accuracy';

const AXES: Record<Metric, { title: string; yLabel: string; yMin: number; yMax?: number }> = {
  loss: { title: 'Loss', yLabel: 'loss', yMin: 0 },
  accuracy: { title: 'Accuracy', yLabel: 'accuracy', yMin: 0, yMax: 1 },
};

/** Train (the running mean over each epoch's batches, dashed) and test (the test images scored, solid) of one metric. */
function series(history: readonly training.EpochRecord[], metric: Metric): Series[] {
  const pick = (r: training.EpochRecord, split: 'train' | 'test'): number =>
    metric === 'loss' ? (split === 'train' ? r.trainLoss : r.testLoss) : split === 'train' ? r.trainAccuracy : r.testAccuracy;
  const xs = history.map((r) => r.epoch);
  return [
    { name: 'train', color: '#0b57d0', xs, ys: history.map((r) => pick(r, 'train')), dashed: true },
    { name: 'test', color: '#c2410c', xs, ys: history.map((r) => pick(r, 'test')) },
  ];
}

export function drawCurves(history: readonly training.EpochRecord[], charts: Record<Metric, SVGSVGElement>): void {
  for (const metric of ['loss', 'accuracy'] as const) {
    const a = AXES[metric];
    lineChart(charts[metric], series(history, metric), { xLabel: 'epoch', yLabel: a.yLabel, yMin: a.yMin, ...(a.yMax !== undefined ? { yMax: a.yMax } : {}) });
  }
}

/** The curves as the command line's history.csv: one EpochRecord a row. */
export function curvesCsv(history: readonly training.EpochRecord[]): Blob {
  return new Blob([training.historyCsv(history)], { type: 'text/csv' });
}

/** The two charts as PNG files, each titled "Loss: <run>" / "Accuracy: <run>". */
export async function curvesPng(history: readonly training.EpochRecord[], run: string): Promise<Record<Metric, Blob>> {
  const png = (metric: Metric): Promise<Blob> => {
    const a = AXES[metric];
    return svgToPng(chartForExport(series(history, metric), {
      title: `${a.title}: ${run}`, xLabel: 'epoch', yLabel: a.yLabel, yMin: a.yMin, ...(a.yMax !== undefined ? { yMax: a.yMax } : {}),
    }));
  };
  return { loss: await png('loss'), accuracy: await png('accuracy') };
}

/** "mnist, MLP 784-64-10, SGD lr 0.05, momentum 0.9": what a chart title says about a run. */
export function runTitle(config: training.TrainConfig, dataLabel: string, sampleShape: readonly number[], classes: number): string {
  const c = config;
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const model = c.model.kind === 'cnn' ? 'CNN' : `${c.model.kind === 'nyu' ? 'NYU net' : 'MLP'} ${[size, ...(c.model.hidden ?? []), classes].join('-')}`;
  const optimizer: optim.OptimizerSpec = optim.OPTIMIZERS[c.optimizer];
  const parts = [dataLabel, model, `${optimizer.label} lr ${c.lr}`];
  if (c.momentum) parts.push(`momentum ${c.momentum}`);
  if (c.dropout) parts.push(`dropout ${c.dropout} (${c.dropoutMode})`);
  return parts.join(', ');
}

/** The first layer's units or filters as small grey images (min black, max white). */
export function drawFilters(box: HTMLElement, f: Filters): void {
  while (box.children.length > f.count) box.lastElementChild?.remove();
  while (box.children.length < f.count) {
    const c = document.createElement('canvas');
    c.setAttribute('role', 'img');
    c.setAttribute('aria-label', `first-layer unit ${box.children.length}`);
    box.appendChild(c);
  }
  [...box.querySelectorAll('canvas')].forEach((canvas, k) => {
    canvas.width = f.w;
    canvas.height = f.h;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(f.w, f.h);
    for (let i = 0; i < f.w * f.h; i++) {
      const v = Math.round((f.data[k * f.w * f.h + i] ?? 0) * 255);
      img.data.set([v, v, v, 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
  });
}

/** The confusion matrix as a table: rows the true class, columns the predicted one, shaded by count. */
export function drawConfusion(box: HTMLElement, m: Int32Array, classNames: readonly string[]): void {
  const K = Math.round(Math.sqrt(m.length));
  const name = (k: number): string => (classNames[k] ?? String(k)).replace(/[&<>"]/g, '');
  const max = Math.max(1, ...m);
  const ks = [...Array(K).keys()];
  const head = `<tr><th scope="col">true \\ pred</th>${ks.map((k) => `<th scope="col">${name(k)}</th>`).join('')}</tr>`;
  const body = ks.map((r) => `<tr><th scope="row">${name(r)}</th>${ks.map((c) => {
    const v = m[r * K + c] ?? 0;
    const a = v / max;
    return `<td style="background: rgba(11, 87, 208, ${(a * 0.85).toFixed(3)}); color: ${a > 0.5 ? '#fff' : '#111'}">${v}</td>`;
  }).join('')}</tr>`).join('');
  box.innerHTML = `<div class="scroll"><table class="confusion" id="confusion-table">${head}${body}</table></div>`;
}
