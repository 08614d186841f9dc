// A model's summary, as Keras' model.summary() and torchinfo show it: one row per layer with its
// output shape and parameter count, the totals, and the memory the parameters (with their
// gradients and the buffers) and the activations (every layer's output, for a batch) take.
// The shapes come from one forward pass in eval mode on a batch of one zero sample (the batch
// dimension is printed as B); the model's training mode is restored afterwards. Containers whose
// config is a Sequential are opened, their layers listed with dotted names ('0', '3.1').

import { HandgradError, Tensor, shapeSize, type DType } from '../tensor.js';

/** What a summary reads of a module (Module satisfies it; no import of module.ts, which calls this). */
export interface Summarizable {
  training: boolean;
  describe(): string;
  forward(x: Tensor): Tensor;
  children(): [string, Summarizable][];
  parameters(): { value: Tensor }[];
  namedBuffers(): [string, Tensor][];
  config(): { type: string };
  train(mode?: boolean): unknown;
}

/** One layer of a model summary. */
export interface SummaryRow {
  /** The layer's name in the state dict ('0', '3.1'; '' for a model that is one layer). */
  name: string;
  /** The layer's description (its describe()). */
  layer: string;
  /** The output shape without the batch dimension. */
  outputShape: number[];
  /** The layer's own parameter count. */
  params: number;
}

/** What model.summary() returns: the rows, the totals and the memory. */
export interface ModelSummary {
  /** One row per layer, in order. */
  rows: SummaryRow[];
  /** The shape of one sample the summary was made for. */
  inputShape: number[];
  /** Parameter count of the whole model. */
  params: number;
  /** Buffer elements (BatchNorm's running statistics). */
  buffers: number;
  /** The dtype of the parameters (the memory counts its bytes). */
  dtype: DType;
  /** Bytes of the parameters, their gradients and the buffers. */
  parameterBytes: number;
  /** Bytes of every layer's output for a batch of `batchSize`. */
  activationBytes: number;
  /** The batch the activation memory is counted for. */
  batchSize: number;
}

const bytesOf = (dtype: DType): number => (dtype === 'float64' ? 8 : 4);

/** The summary of `model` for samples of `inputShape` (without the batch dimension) and batches of `batchSize`. */
export function summarize(model: Summarizable, inputShape: readonly number[], batchSize = 1): ModelSummary {
  if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new HandgradError(`summary: inputShape must be the shape of one sample, a list of positive integers, got ${JSON.stringify(inputShape)}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new HandgradError(`summary: batchSize must be an integer ≥ 1, got ${String(batchSize)}`);
  const params = model.parameters();
  const dtype: DType = params[0]?.value.dtype ?? 'float32';
  const rows: SummaryRow[] = [];
  const wasTraining = model.training;
  model.train(false);
  try {
    const walk = (m: Summarizable, name: string, x: Tensor): Tensor => {
      if (m.config().type === 'Sequential') {
        let y = x;
        for (const [child, c] of m.children()) y = walk(c, name ? `${name}.${child}` : child, y);
        return y;
      }
      let y: Tensor;
      try {
        y = m.forward(x);
      } catch (e) {
        throw new HandgradError(`summary: layer ${name || '(the model)'} ${m.describe()} refuses an input of shape [B, ${x.shape.slice(1).join(', ')}]: ${(e as Error).message}`);
      }
      rows.push({ name, layer: m.describe(), outputShape: y.shape.slice(1), params: m.parameters().reduce((s, p) => s + p.value.size, 0) });
      return y;
    };
    walk(model, '', Tensor.zeros([1, ...inputShape], dtype));
  } finally {
    model.train(wasTraining);
  }
  const total = params.reduce((s, p) => s + p.value.size, 0);
  const buffers = model.namedBuffers().reduce((s, [, t]) => s + t.size, 0);
  const b = bytesOf(dtype);
  return {
    rows, inputShape: [...inputShape], params: total, buffers, dtype, batchSize,
    parameterBytes: (2 * total + buffers) * b,
    activationBytes: rows.reduce((s, r) => s + shapeSize(r.outputShape), 0) * batchSize * b,
  };
}

/** 1234567 → "1.2 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** The last line of the table: totals and memory. */
export function summaryTotals(s: ModelSummary): string {
  return `${count(s.params)} parameters (${formatBytes(s.parameterBytes)} with gradients${s.buffers ? ` and ${count(s.buffers)} buffer values` : ''}, ${s.dtype}); ` +
    `activations ${formatBytes(s.activationBytes)} for a batch of ${s.batchSize}`;
}

/** The summary as a table: name, layer, output shape, parameters; then the totals. */
export function formatSummary(s: ModelSummary): string {
  const head = ['', 'layer', 'output shape', 'params'];
  const body = s.rows.map((r) => [r.name, r.layer, `[B, ${r.outputShape.join(', ')}]`, count(r.params)]);
  const table = [head, ...body];
  const widths = head.map((_, j) => Math.max(...table.map((row) => row[j]!.length)));
  const line = (row: string[]): string => row.map((c, j) => (j === 3 ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join('  ').trimEnd();
  const rule = '-'.repeat(line(head).length);
  return [`input [B, ${s.inputShape.join(', ')}]`, line(head), rule, ...body.map(line), rule, summaryTotals(s)].join('\n');
}
