// Messages between the page and the training worker. The worker holds the data and one
// training.TrainingSession; its records are the library's StepRecord and EpochRecord, its
// configs the library's TrainConfig (built and checked on the page by settings.ts).

import type { data, training } from 'handgrad';

/** Where the training data comes from: the embedded MNIST or the files the user chose. */
export type DataSource = 'embedded' | 'files';

/** A data set as the page shows it. */
export interface DataSummary {
  source: DataSource;
  /** The data set's name (Dataset.name: 'mnist', a file's name, 'IDX files'). */
  name: string;
  /** Its name on the page ('embedded MNIST', the file names). */
  label: string;
  trainSize: number;
  testSize: number;
  sampleShape: number[];
  classes: string[];
  /** What the reader found odd but not wrong. */
  warnings: string[];
}

/** The dream's tricks (NYU 2.2), as sliders. */
export interface DreamSettings {
  target: number;
  steps: number;
  lr: number;
  jitter: number;
  blurEvery: number;
  blurSigma: number;
  weightDecay: number;
  gradBlurSigma: number;
  octaves: number;
  clip: number;
  clamp: boolean;
}

/** The first layer's filters as images: count × h × w values, normalised per filter to [0, 1]. */
export interface Filters {
  count: number;
  h: number;
  w: number;
  data: Float32Array;
}

/**
 * The kernel backend the page asks for (its URL's ?backend=): 'auto' is webgpu on a hardware
 * adapter (navigator.gpu in the worker), else wasm, else ref.
 */
export type BackendRequest = 'auto' | 'webgpu' | 'wasm' | 'ref';

export type ToWorker =
  /** First message: choose the backend (threads when the page is cross-origin isolated), read the embedded MNIST. */
  | { type: 'boot'; dataUrl: string; backend: BackendRequest; threads: number }
  /** A new session from `config` on the data of `source`; the one before is dropped. */
  | { type: 'reset'; config: training.TrainConfig; source: DataSource }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'step' }
  /** The learning rate from the next step on. */
  | { type: 'set-lr'; lr: number }
  /**
   * How many test images each evaluation while training scores: the test split's first `samples`
   * (a uniform sample of the embedded MNIST's shuffled split), or all of it (null). An epoch's
   * record always scores the whole split.
   */
  | { type: 'set-eval'; samples: number | null }
  /** Reads the files of one data set; they are trained on after a reset with source 'files'. */
  | { type: 'read-files'; files: data.DataFile[] }
  | { type: 'export' }
  /** A model bundle; `config` trains it on when the bundle does not say how it was trained. */
  | { type: 'import'; bytes: Uint8Array; name: string; config: training.TrainConfig }
  | { type: 'dream'; settings: DreamSettings; id: number };

export type FromWorker =
  /** `note`: why the backend asked for does not run (its reason), or ''. */
  | { type: 'booted'; backend: string; note: string; data: DataSummary }
  | { type: 'files-read'; data: DataSummary }
  /** A new session is live (after a reset or an import): what it trains, on what, with which config. */
  | {
      type: 'session'; model: string; parameters: number; data: DataSummary; config: training.TrainConfig;
      /** For an imported bundle: its file name, and a note on how it differs from what it was trained on. */
      imported: { name: string; note: string } | null;
    }
  | { type: 'state'; running: boolean }
  /** After every slice of steps: the last step and the epochs trained (a fraction). */
  | { type: 'progress'; record: training.StepRecord; progress: number }
  /**
   * A point of the curves: an epoch's record when one ended, else the epoch in progress
   * (progressRecord), with the confusion matrix of the same test pass and the first layer's weights.
   */
  | {
      type: 'point'; record: training.EpochRecord; step: number; confusion: Int32Array; filters: Filters;
      /** The test images behind the record's test metrics (an epoch's record: the whole split). */
      tested: number;
    }
  | { type: 'lr'; lr: number }
  | { type: 'exported'; bytes: Uint8Array; name: string }
  | { type: 'dream'; id: number; step: number; steps: number; done: boolean; image: Float32Array; probability: number | null; predicted: number | null; predictedProbability: number | null }
  /** `during` says what failed: training stops on a diverged loss; a reset, a file or an import changes nothing. */
  | { type: 'error'; during: 'boot' | 'train' | 'reset' | 'files' | 'import' | 'export' | 'dream' | 'lr' | 'eval'; message: string };
