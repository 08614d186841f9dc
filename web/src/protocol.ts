// Messages between the page and the training worker. Model kinds and activations are the
// library's registries' names (training.MODEL_KINDS, nn.ACTIVATIONS).

import type { nn, training } from 'handgrad';

export type Arch = training.ModelKind;
export type Act = nn.ActivationName;
export type OutAct = training.OutputActivation;

export interface TrainSettings {
  arch: Arch;
  hidden: number;
  /** NYU net: f (hidden) and g (output). g = identity trains with softmax cross-entropy on
   * the outputs as logits; g = σ trains with BCE against one-hot targets (NYU 1.1.2(b)). */
  f: Act;
  g: OutAct;
  lr: number;
  momentum: number;
  dropout: number;
  dropoutMode: 'inverted' | 'cmu';
  batch: number;
  seed: number;
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

/**
 * The kernel backend the page asks for (its URL's ?backend=): 'auto' is webgpu on a hardware
 * adapter (navigator.gpu in the worker), else wasm, else ref.
 */
export type BackendRequest = 'auto' | 'webgpu' | 'wasm' | 'ref';

export type ToWorker =
  | { type: 'configure'; settings: TrainSettings; dataUrl: string; backend: BackendRequest }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'export' }
  | { type: 'import'; bytes: Uint8Array; name: string }
  | { type: 'dream'; settings: DreamSettings; id: number }
  | { type: 'use-embedded'; dataUrl: string }
  | { type: 'load-data'; files: { name: string; bytes: Uint8Array }[]; settings: TrainSettings };

export interface EvalRecord {
  /** Training steps (batches) so far, and the epochs as a fraction. */
  step: number;
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
}

export type FromWorker =
  | { type: 'ready'; backend: string; trainSize: number; testSize: number; model: string; parameters: number; data: string; sampleShape: number[]; classes: string[] }
  | { type: 'state'; running: boolean }
  | { type: 'progress'; step: number; epoch: number; samplesPerSec: number }
  | {
      type: 'eval';
      record: EvalRecord;
      confusion: number[];
      /** The first layer's filters as images: count × h × w values, normalised per filter to [0, 1]. */
      filters: { count: number; h: number; w: number; data: Float32Array };
    }
  | { type: 'exported'; bytes: Uint8Array; name: string }
  | { type: 'imported'; name: string; model: string }
  | { type: 'dream'; id: number; step: number; steps: number; done: boolean; image: Float32Array; probability: number | null; predicted: number | null; predictedProbability: number | null }
  | { type: 'error'; message: string };
