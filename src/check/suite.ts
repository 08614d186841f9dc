// The standard gradcheck suite: every layer and loss of the library on seeded random inputs, in
// float64. `handgrad gradcheck` prints it. Every activation of the ACTIVATIONS table is a case
// of its own (a new activation is checked without being listed here), followed by the variants
// whose options matter (a scale, a slope, a threshold, an α, dropout modes, convolution shapes,
// batch norm in training and in eval mode, softmax axes, embeddings with a padding row).
// The case names are also the keys of the PyTorch fixtures the tests compare against.

import { Random } from '../random.js';
import { Tensor } from '../tensor.js';
import { ownKeys } from '../lookup.js';
import { ACTIVATIONS, ELU, GELU, LeakyReLU, ReLU, Softplus, Tanh } from '../layers/activations.js';
import { Conv2d } from '../layers/conv.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { Linear } from '../layers/linear.js';
import { BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss } from '../layers/losses.js';
import type { Module } from '../layers/module.js';
import { BatchNorm1d, BatchNorm2d, LayerNorm } from '../layers/norm.js';
import { AvgPool2d, Flatten, MaxPool2d } from '../layers/pool.js';
import { layerFromConfig } from '../layers/registry.js';
import { Sequential } from '../layers/sequential.js';
import { LogSoftmax, Softmax } from '../layers/softmax.js';
import { gradcheck, gradcheckLoss, type GradcheckResult } from './gradcheck.js';

export interface LayerCase {
  /** The case's name, and its key among the PyTorch layer fixtures. */
  name: string;
  /** Builds the layer, drawing any initial weights from `rng`. */
  make: (rng: Random) => Module;
  inputShape: number[];
  /**
   * The inputs: 'normal' (N(0, 1)), 'away' (moved to |x| ≥ 0.01, off the kink at 0 of ReLU-like
   * layers), 'distinct' (evenly spaced, permuted: max-pool windows without near-ties).
   */
  input?: 'normal' | 'away' | 'distinct';
  /** Integer indices in [0, indices) instead (Embedding): not differentiable, the input is not checked. */
  indices?: number;
  /** Dropout in training: each unit is dropped with this probability by a mask fixed for the check. */
  dropMask?: number;
  /** Run the layer in eval mode. */
  eval?: boolean;
}

function randomInput(shape: number[], rng: Random, kind: LayerCase['input'], indices?: number): Tensor {
  const x = Tensor.zeros(shape, 'float64');
  if (indices !== undefined) {
    for (let i = 0; i < x.size; i++) x.data[i] = rng.int(indices);
    return x;
  }
  if (kind === 'distinct') {
    // a random permutation of evenly spaced values: every pair differs by ≥ 0.05 ≫ ε
    const perm = rng.permutation(x.size);
    for (let i = 0; i < x.size; i++) x.data[i] = (perm[i]! - x.size / 2) * 0.05;
    return x;
  }
  rng.fillNormal(x.data);
  const m = kind === 'away' ? 1e-2 : 0;
  for (let i = 0; i < x.size; i++) {
    const v = x.data[i]!;
    if (Math.abs(v) < m) x.data[i] = v < 0 ? v - m : v + m;
  }
  return x;
}

/** One case per activation of the table, under its label. */
const ACTIVATION_CASES: LayerCase[] = ownKeys(ACTIVATIONS).map((name) => {
  const a = ACTIVATIONS[name];
  return { name: a.label, make: () => layerFromConfig(a.layer), inputShape: [4, 6], input: a.kink ? 'away' : 'normal' };
});

export const LAYER_CASES: readonly LayerCase[] = [
  { name: 'Linear', make: (rng) => new Linear(7, 5, { rng }), inputShape: [4, 7] },
  { name: 'Linear (no bias)', make: (rng) => new Linear(6, 3, { rng, bias: false }), inputShape: [3, 6] },
  ...ACTIVATION_CASES,
  { name: 'ReLU (scale 3)', make: () => new ReLU({ scale: 3 }), inputShape: [4, 6], input: 'away' },
  { name: 'LeakyReLU(0.1)', make: () => new LeakyReLU({ negativeSlope: 0.1 }), inputShape: [4, 6], input: 'away' },
  { name: 'Softplus(beta=2, threshold=1)', make: () => new Softplus({ beta: 2, threshold: 1 }), inputShape: [4, 6] },
  { name: 'ELU(alpha=0.5)', make: () => new ELU({ alpha: 0.5 }), inputShape: [4, 6], input: 'away' },
  { name: 'Dropout (inverted, p=0.3, train)', make: (rng) => new Dropout({ p: 0.3, rng }), inputShape: [4, 6], dropMask: 0.3 },
  { name: 'Dropout (cmu, p=0.3, train)', make: (rng) => new Dropout({ p: 0.3, mode: 'cmu', rng }), inputShape: [4, 6], dropMask: 0.3 },
  { name: 'Dropout (cmu, p=0.3, eval)', make: (rng) => new Dropout({ p: 0.3, mode: 'cmu', rng }), inputShape: [4, 6], eval: true },
  { name: 'Flatten', make: () => new Flatten(), inputShape: [2, 3, 2, 2] },
  { name: 'Conv2d (3×3, stride 1, padding 0)', make: (rng) => new Conv2d(2, 3, 3, { rng }), inputShape: [2, 2, 6, 5] },
  { name: 'Conv2d (2×3, stride 2, padding 1)', make: (rng) => new Conv2d(2, 4, [2, 3], { stride: 2, padding: 1, rng }), inputShape: [2, 2, 7, 6] },
  { name: 'MaxPool2d(2, stride 2)', make: () => new MaxPool2d(2, { stride: 2 }), inputShape: [2, 3, 4, 6], input: 'distinct' },
  { name: 'MaxPool2d(3, stride 2, padding 1)', make: () => new MaxPool2d(3, { stride: 2, padding: 1 }), inputShape: [2, 2, 5, 5], input: 'distinct' },
  {
    name: 'Sequential (conv-relu-pool-flatten-linear)',
    make: (rng) => new Sequential(new Conv2d(1, 2, 3, { rng }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8, 3, { rng })),
    inputShape: [2, 1, 6, 6],
  },
  {
    name: 'Sequential (linear-tanh-linear-gelu-linear)',
    make: (rng) => new Sequential(new Linear(5, 8, { rng }), new Tanh(), new Linear(8, 4, { rng }), new GELU(), new Linear(4, 2, { rng })),
    inputShape: [3, 5],
  },
  { name: 'BatchNorm1d (train)', make: (rng) => affine(new BatchNorm1d(4), rng), inputShape: [6, 4] },
  { name: 'BatchNorm1d (N, C, L, train)', make: (rng) => affine(new BatchNorm1d(4), rng), inputShape: [3, 4, 5] },
  { name: 'BatchNorm2d (train)', make: (rng) => affine(new BatchNorm2d(3), rng), inputShape: [4, 3, 3, 3] },
  { name: 'BatchNorm2d (eval)', make: (rng) => warmed(affine(new BatchNorm2d(3), rng), [4, 3, 3, 3], rng), inputShape: [4, 3, 3, 3], eval: true },
  { name: 'BatchNorm2d (momentum None, train)', make: (rng) => affine(new BatchNorm2d(3, { momentum: null }), rng), inputShape: [4, 3, 3, 3] },
  { name: 'BatchNorm2d (no affine, train)', make: () => new BatchNorm2d(3, { affine: false }), inputShape: [4, 3, 3, 3] },
  { name: 'BatchNorm2d (no running stats, eval)', make: (rng) => affine(new BatchNorm2d(3, { trackRunningStats: false }), rng), inputShape: [4, 3, 3, 3], eval: true },
  { name: 'LayerNorm([3, 4])', make: (rng) => affine(new LayerNorm([3, 4]), rng), inputShape: [2, 3, 4] },
  { name: 'Softmax(dim=1)', make: () => new Softmax({ dim: 1 }), inputShape: [4, 5] },
  { name: 'LogSoftmax(dim=1) on (2, 3, 2, 2)', make: () => new LogSoftmax({ dim: 1 }), inputShape: [2, 3, 2, 2] },
  { name: 'AvgPool2d(3, stride 2, padding 1)', make: () => new AvgPool2d(3, { stride: 2, padding: 1 }), inputShape: [2, 2, 5, 5] },
  { name: 'Embedding(10, 4, paddingIdx=0)', make: (rng) => new Embedding(10, 4, { paddingIdx: 0, rng }), inputShape: [2, 5], indices: 10 },
  {
    name: 'Sequential (conv-bn-tanh-avgpool-flatten-linear-logsoftmax, train)',
    make: (rng) => new Sequential(
      new Conv2d(1, 3, 3, { rng }), affine(new BatchNorm2d(3), rng), new Tanh(), new AvgPool2d(2), new Flatten(),
      new Linear(12, 4, { rng }), new LogSoftmax({ dim: 1 }),
    ),
    inputShape: [4, 1, 6, 6],
  },
  {
    name: 'Sequential (embedding-layernorm-linear-softmax)',
    make: (rng) => new Sequential(
      new Embedding(10, 6, { paddingIdx: 1, rng }), affine(new LayerNorm(6), rng), new Linear(6, 3, { rng }), new Softmax({ dim: -1 }),
    ),
    inputShape: [3, 4],
    indices: 10,
  },
];

/** Gives a norm layer's γ and β random values (1 + 0.3·N(0, 1) and 0.2·N(0, 1)), away from the identity. */
function affine<T extends BatchNorm1d | BatchNorm2d | LayerNorm>(layer: T, rng: Random): T {
  if (layer.weight) for (let i = 0; i < layer.weight.value.size; i++) layer.weight.value.data[i] = 1 + 0.3 * rng.normal();
  if (layer.bias) for (let i = 0; i < layer.bias.value.size; i++) layer.bias.value.data[i] = 0.2 * rng.normal();
  return layer;
}

/** Three training forwards on random batches, so that the running statistics are not the initial ones. */
function warmed<T extends BatchNorm2d>(layer: T, shape: number[], rng: Random): T {
  for (let k = 0; k < 3; k++) {
    const x = Tensor.zeros(shape, layer.weight?.value.dtype ?? 'float32');
    for (let i = 0; i < x.size; i++) x.data[i] = 1.5 * rng.normal() + 0.4;
    layer.forward(x);
  }
  return layer;
}

/** Gives every Dropout inside `layer` the keep-mask for its next training forward. */
function setMasks(layer: Module, keep: Tensor): void {
  if (layer instanceof Dropout) layer.setMask(keep);
  for (const [, c] of layer.children()) setMasks(c, keep);
}

/** Gradient-checks every layer case of the standard suite in float64 (each from its own seeded stream); one result per layer. */
export function runLayerGradchecks(seed = 0, cases: readonly LayerCase[] = LAYER_CASES): GradcheckResult[] {
  return cases.map((c, i) => {
    const rng = new Random(seed * 1000 + i);
    const layer = c.make(rng);
    if (c.eval) layer.eval();
    const x = randomInput(c.inputShape, rng, c.input, c.indices);
    let beforeForward: (() => void) | undefined;
    if (c.dropMask !== undefined) {
      const keep = Tensor.zeros(c.inputShape, 'float64');
      for (let k = 0; k < keep.size; k++) keep.data[k] = rng.uniform() < c.dropMask ? 0 : 1;
      beforeForward = () => setMasks(layer, keep);
    }
    // the projection r gets a stream of its own: with the layer's seed it would equal the input
    const res = gradcheck(layer, x, { seed: seed * 1000 + i + 500, checkInput: c.indices === undefined, ...(beforeForward ? { beforeForward } : {}) });
    return { ...res, layer: c.name };
  });
}

/** Gradient-checks every loss of the standard suite in float64; one result per loss. */
export function runLossGradchecks(seed = 0): GradcheckResult[] {
  const rng = new Random(seed + 7919);
  const normal = (shape: number[]): Tensor => {
    const t = Tensor.zeros(shape, 'float64');
    rng.fillNormal(t.data);
    return t;
  };
  const probs = (shape: number[]): Tensor => {
    const t = Tensor.zeros(shape, 'float64');
    for (let i = 0; i < t.size; i++) t.data[i] = 0.05 + 0.9 * rng.uniform();
    return t;
  };
  const oneHot = Tensor.zeros([4, 5], 'float64');
  const labels = [3, 0, 4, 1];
  labels.forEach((l, r) => (oneHot.data[r * 5 + l] = 1));
  const out: GradcheckResult[] = [
    { ...gradcheckLoss(new MSELoss(), normal([4, 3]), normal([4, 3])), layer: 'MSELoss (mean)' },
    { ...gradcheckLoss(new MSELoss({ reduction: 'sum' }), normal([4, 3]), normal([4, 3])), layer: 'MSELoss (sum)' },
    { ...gradcheckLoss(new BCELoss(), probs([4, 3]), probs([4, 3])), layer: 'BCELoss (mean)' },
    { ...gradcheckLoss(new BCELoss({ reduction: 'sum' }), probs([4, 3]), probs([4, 3])), layer: 'BCELoss (sum)' },
    { ...gradcheckLoss(new BCEWithLogitsLoss(), normal([4, 3]), probs([4, 3])), layer: 'BCEWithLogitsLoss' },
    { ...gradcheckLoss(new CrossEntropyLoss(), normal([4, 5]), labels), layer: 'CrossEntropyLoss (indices)' },
    { ...gradcheckLoss(new CrossEntropyLoss({ reduction: 'sum' }), normal([4, 5]), oneHot), layer: 'CrossEntropyLoss (one-hot, sum)' },
    { ...gradcheckLoss(new NLLLoss(), normal([4, 5]), labels), layer: 'NLLLoss (mean)' },
    { ...gradcheckLoss(new NLLLoss({ reduction: 'sum', ignoreIndex: 0 }), normal([4, 5]), labels), layer: 'NLLLoss (sum, ignoreIndex 0)' },
  ];
  return out;
}
