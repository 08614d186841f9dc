// The two charts of one training run: loss and accuracy over the epochs, train dashed and test
// solid, titled with what the run was ("mnist, MLP 784-128-10, lr 0.01, momentum 0.9").
// Browser-safe: chart specs only; plot/ renders them.

import type { LayerConfig } from '../layers/module.js';
import type { Chart } from '../plot/index.js';
import type { TrainConfig } from '../train/config.js';
import type { EpochRecord } from '../train/loop.js';

/** "mnist, MLP 784-128-10, lr 0.01, momentum 0.9": what a chart title says about a run. */
export function runLabel(config: TrainConfig, model: LayerConfig, dataName: string): string {
  const kind = config.model.kind === 'cnn' ? 'CNN' : `MLP ${linearWidths(model).join('-')}`;
  const parts = [dataName, kind, `${config.optimizer === 'adam' ? 'Adam ' : ''}lr ${config.lr}`];
  if (config.optimizer === 'sgd' && config.momentum) parts.push(`momentum ${config.momentum}`);
  if (config.dropout) parts.push(`dropout ${config.dropout} (${config.dropoutMode})`);
  return parts.join(', ');
}

/** The widths a model's Linear layers chain, in order: [in₁, out₁, out₂, …] (784-128-10). */
function linearWidths(model: LayerConfig): number[] {
  const linears: [number, number][] = [];
  const visit = (config: object): void => {
    const field = new Map<string, unknown>(Object.entries(config));
    const [type, inF, outF, layers] = [field.get('type'), field.get('inFeatures'), field.get('outFeatures'), field.get('layers')];
    if (type === 'Linear' && typeof inF === 'number' && typeof outF === 'number') linears.push([inF, outF]);
    if (Array.isArray(layers)) for (const l of layers) if (typeof l === 'object' && l !== null) visit(l);
  };
  visit(model);
  return linears.length ? [linears[0]![0], ...linears.map(([, o]) => o)] : [];
}

/** The charts 'loss' and 'accuracy' of a run's history; none when no epoch is recorded. */
export function runCharts(history: readonly EpochRecord[], label?: string): Chart[] {
  if (history.length === 0) return [];
  const x = history.map((r) => r.epoch);
  const chart = (file: string, title: string, yLabel: string, train: number[], test: number[], yFormat?: string): Chart => ({
    file,
    spec: {
      title: label ? `${title}: ${label}` : title, xLabel: 'epoch', yLabel, ...(yFormat ? { yFormat } : {}),
      series: [{ name: 'train', x, y: train, dash: true }, { name: 'test', x, y: test }],
    },
  });
  return [
    chart('loss', 'Loss', 'cross-entropy loss', history.map((r) => r.trainLoss), history.map((r) => r.testLoss)),
    chart('accuracy', 'Accuracy', 'accuracy', history.map((r) => r.trainAccuracy), history.map((r) => r.testAccuracy), '.0%'),
  ];
}
