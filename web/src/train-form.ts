// The training form in the DOM: its menus listed from the library's registries (model kinds,
// activations, optimisers, dropout modes, normalisations), the fields a choice does not read
// hidden (f and g by the model kind, the hidden width for the cnn, momentum by the optimiser),
// reading the values with the page's number checks, and marking a field as refused or as
// waiting for Reset.

import { nn, optim, training } from 'handgrad';
import { FIELD_LABELS, NUMBER_FIELDS, readsMomentum, type Field, type Invalid, type NumberField, type TrainSettings } from './settings.js';

const DROPOUT_MODE_LABELS: Record<nn.DropoutMode, string> = { inverted: 'inverted (PyTorch)', cmu: 'CMU (scale by 1 − p at test)' };
const NORMALIZE_LABELS: Record<training.NormalizeMode, string> = {
  global: 'global: (x − mean) / std', 'per-feature': 'per pixel: (x − mean) / std', none: 'none: pixels in [0, 1]',
};
const OUTPUT_LABELS: Record<training.OutputActivation, string> = { identity: 'identity (softmax cross-entropy)', sigmoid: 'σ (BCE on one-hot)' };

type Control = HTMLInputElement | HTMLSelectElement;

function control(id: string): Control {
  const e = document.getElementById(id);
  if (!(e instanceof HTMLInputElement || e instanceof HTMLSelectElement)) throw new Error(`playground: the form control #${id} is missing from index.html`);
  return e;
}

export class TrainForm {
  readonly controls: Record<Field, Control>;

  constructor() {
    const ids: Record<Field, string> = {
      arch: 'arch', hidden: 'hidden', f: 'f', g: 'g', optimizer: 'optimizer', lr: 'lr', momentum: 'momentum',
      dropout: 'dropout', dropoutMode: 'dropoutMode', batch: 'batch', seed: 'seed', normalize: 'normalize',
    };
    this.controls = Object.fromEntries(Object.entries(ids).map(([k, id]) => [k, control(id)])) as Record<Field, Control>;
    const menu = (field: Field, options: [string, string][]): void => {
      const el = this.controls[field];
      if (el instanceof HTMLSelectElement) el.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
    };
    menu('arch', training.MODEL_KIND_NAMES.map((k) => [k, training.MODEL_KINDS[k].label]));
    menu('f', nn.ACTIVATION_NAMES.map((k) => [k, nn.ACTIVATIONS[k].label]));
    menu('g', Object.entries(OUTPUT_LABELS));
    menu('optimizer', optim.OPTIMIZER_NAMES.map((k) => [k, optim.OPTIMIZERS[k].label]));
    menu('dropoutMode', nn.DROPOUT_MODES.map((k) => [k, DROPOUT_MODE_LABELS[k]]));
    menu('normalize', training.NORMALIZE_MODES.map((k) => [k, NORMALIZE_LABELS[k]]));
    for (const [k, b] of Object.entries(NUMBER_FIELDS)) if (b.max !== Infinity) this.controls[k as NumberField].setAttribute('max', String(b.max));
  }

  show(s: TrainSettings): void {
    for (const [k, el] of Object.entries(this.controls)) el.value = String(s[k as Field]);
    this.syncVisibility();
  }

  /** Shows only the fields the chosen model kind and optimiser read. */
  syncVisibility(): void {
    const kind: training.ModelKindSpec = training.MODEL_KINDS[this.controls.arch.value as training.ModelKind];
    const opt = this.controls.optimizer.value as optim.OptimizerName;
    const shown: Partial<Record<Field, boolean>> = {
      f: kind.reads.activation, g: kind.reads.output, hidden: kind.hiddenLayers !== 0, momentum: readsMomentum(opt),
    };
    for (const [k, on] of Object.entries(shown)) {
      const label = this.controls[k as Field].closest('label');
      if (label) label.hidden = !on;
    }
  }

  /** The form's values, or the first field the page refuses (empty, not a number, not whole, above the page's bound). */
  read(): TrainSettings | Invalid {
    const c = this.controls;
    const numbers: Partial<Record<NumberField, number>> = {};
    for (const [k, b] of Object.entries(NUMBER_FIELDS)) {
      const field = k as NumberField;
      const text = c[field].value.trim();
      const v = Number(text);
      const what = FIELD_LABELS[field];
      if (text === '') return { field, message: `${what} is empty: it needs a number` };
      if (!Number.isFinite(v)) return { field, message: `${what} must be a number, got "${text}"` };
      if (b.integer && !Number.isInteger(v)) return { field, message: `${what} must be a whole number, got ${text}` };
      if (v > b.max) return { field, message: `${what} must be at most ${b.max} on this page, got ${text}` };
      numbers[field] = v;
    }
    const { hidden = 0, lr = 0, momentum = 0, dropout = 0, batch = 0, seed = 0 } = numbers;
    return {
      arch: c.arch.value as training.ModelKind, f: c.f.value as nn.ActivationName, g: c.g.value as training.OutputActivation,
      optimizer: c.optimizer.value as optim.OptimizerName, dropoutMode: c.dropoutMode.value as nn.DropoutMode,
      normalize: c.normalize.value as training.NormalizeMode, hidden, lr, momentum, dropout, batch, seed,
    };
  }

  /** Marks the refused field (aria-invalid) and the fields whose values wait for Reset. */
  mark(invalid: Field | null, pending: readonly Field[]): void {
    for (const [k, el] of Object.entries(this.controls)) {
      el.setAttribute('aria-invalid', String(k === invalid));
      el.closest('label')?.classList.toggle('pending', pending.includes(k as Field));
    }
  }
}
