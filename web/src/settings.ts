// The training form's settings and what they mean to the library: each becomes a field of a
// training.TrainConfig, checked by training.resolveConfig (the check a config file gets on the
// command line), so the page and `handgrad train` accept and refuse the same values. The
// learning rate applies to the running model; every other field builds a new model, so it waits
// for an explicit Reset.

import { HandgradError, type nn, optim, training } from 'handgrad';

export interface TrainSettings {
  arch: training.ModelKind;
  /** The width of every hidden layer of the kinds that have them. */
  hidden: number;
  /** The NYU net's f; the MLP's activation. */
  f: nn.ActivationName;
  /** The NYU net's g: identity trains with softmax cross-entropy, σ with BCE on one-hot targets. */
  g: training.OutputActivation;
  optimizer: optim.OptimizerName;
  lr: number;
  momentum: number;
  dropout: number;
  dropoutMode: nn.DropoutMode;
  batch: number;
  seed: number;
  normalize: training.NormalizeMode;
}

export const DEFAULT_SETTINGS: TrainSettings = {
  arch: 'single-layer-mlp', hidden: 64, f: 'relu', g: 'identity', optimizer: 'sgd', lr: 0.05, momentum: 0.9,
  dropout: 0, dropoutMode: 'inverted', batch: 32, seed: 1, normalize: 'global',
};

export type Field = keyof TrainSettings;

/** Each field's name on the page. */
export const FIELD_LABELS: Record<Field, string> = {
  arch: 'Architecture', hidden: 'Hidden width h', f: 'f', g: 'g', optimizer: 'Optimiser', lr: 'Learning rate', momentum: 'Momentum',
  dropout: 'Dropout p', dropoutMode: 'Dropout mode', batch: 'Batch size', seed: 'Seed', normalize: 'Input normalisation',
};

/**
 * The form's fields that hold numbers. The library checks their values (the messages of a config
 * file's check); the page adds only what it needs itself: a whole hidden width (one width stands
 * for every hidden layer), and upper bounds that keep a model within a browser tab's memory.
 */
export const NUMBER_FIELDS = {
  hidden: { integer: true, max: 1024 }, lr: { integer: false, max: Infinity }, momentum: { integer: false, max: Infinity },
  dropout: { integer: false, max: Infinity }, batch: { integer: false, max: 1024 }, seed: { integer: false, max: Infinity },
} as const satisfies Partial<Record<Field, { integer: boolean; max: number }>>;
export type NumberField = keyof typeof NUMBER_FIELDS;

/** The config field (an error's subject.option) each form field sets. */
const OPTION_FIELDS: Record<string, Field> = {
  'model.kind': 'arch', 'model.hidden': 'hidden', 'model.activation': 'f', 'model.output': 'g', optimizer: 'optimizer', lr: 'lr',
  momentum: 'momentum', dropout: 'dropout', dropoutMode: 'dropoutMode', batchSize: 'batch', seed: 'seed', normalize: 'normalize',
};

/** The page trains until it is paused: its configs take the largest epoch count a config allows. */
const PAGE_EPOCHS = 2 ** 24;

/** Whether the optimiser reads a momentum (its registry entry has one). */
export function readsMomentum(name: optim.OptimizerName): boolean {
  const spec: optim.OptimizerSpec = optim.OPTIMIZERS[name];
  return Object.hasOwn(spec.defaults, 'momentum');
}

/** A form field that the library or the page refuses, and why, in the page's words. */
export interface Invalid {
  field: Field;
  message: string;
}

/**
 * The TrainConfig of the settings for the data set `data` (its name), checked by the library;
 * a refused value comes back as the field that holds it and the reason.
 */
export function configOf(s: TrainSettings, data: string): training.TrainConfig | Invalid {
  const kind: training.ModelKindSpec = training.MODEL_KINDS[s.arch];
  const widths = kind.hiddenLayers === 0 ? null : Array<number>(kind.hiddenLayers === 'any' ? 1 : kind.hiddenLayers).fill(s.hidden);
  const model: training.ModelSpec = {
    kind: s.arch, ...(widths ? { hidden: widths } : {}), ...(kind.reads.activation ? { activation: s.f } : {}), ...(kind.reads.output ? { output: s.g } : {}),
  };
  try {
    return training.resolveConfig({
      model, data, optimizer: s.optimizer, lr: s.lr, ...(readsMomentum(s.optimizer) ? { momentum: s.momentum } : {}),
      dropout: s.dropout, dropoutMode: s.dropoutMode, batchSize: s.batch, epochs: PAGE_EPOCHS, seed: s.seed, normalize: s.normalize,
    });
  } catch (e) {
    const option = e instanceof HandgradError && e.code === 'invalid-option' ? e.subject.option : undefined;
    const field = typeof option === 'string' ? OPTION_FIELDS[option] : undefined;
    if (!field || !(e instanceof HandgradError)) throw e;
    // the library's message is "train config: <option> <what is wrong>": the page names its field
    return { field, message: e.message.replace(`train config: ${String(option)} `, `${FIELD_LABELS[field]} `) };
  }
}

/** The settings a config stands for (after an import, the form shows what trains). */
export function settingsOf(c: training.TrainConfig, before: TrainSettings): TrainSettings {
  return {
    arch: c.model.kind, hidden: c.model.hidden?.[0] ?? before.hidden, f: c.model.activation ?? before.f, g: c.model.output ?? before.g,
    optimizer: c.optimizer, lr: c.lr, momentum: c.momentum ?? before.momentum, dropout: c.dropout, dropoutMode: c.dropoutMode,
    batch: c.batchSize, seed: c.seed, normalize: c.normalize,
  };
}

/**
 * The fields whose new value needs a new model: every difference between the config the model
 * trains with and the form's, except the learning rate (it applies to the running model) and the
 * data set (the page compares where the data comes from).
 */
export function changedFields(applied: training.TrainConfig, next: training.TrainConfig): Field[] {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const differs: [Field, boolean][] = [
    ['arch', applied.model.kind !== next.model.kind], ['hidden', !same(applied.model.hidden, next.model.hidden)],
    ['f', applied.model.activation !== next.model.activation], ['g', applied.model.output !== next.model.output],
    ['optimizer', applied.optimizer !== next.optimizer], ['momentum', applied.momentum !== next.momentum],
    ['dropout', applied.dropout !== next.dropout], ['dropoutMode', applied.dropoutMode !== next.dropoutMode],
    ['batch', applied.batchSize !== next.batchSize], ['seed', applied.seed !== next.seed], ['normalize', applied.normalize !== next.normalize],
  ];
  return differs.filter(([, d]) => d).map(([f]) => f);
}
