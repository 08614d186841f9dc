// The standard gradcheck suite: every layer and loss of the library on seeded random inputs,
// in float64. `npx handgrad gradcheck` prints it; the tests run it too.

import { Random } from '../random.js';
import { Tensor } from '../tensor.js';
import { GELU, Identity, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh } from '../layers/activations.js';
import { Conv2d } from '../layers/conv.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { Linear } from '../layers/linear.js';
import { BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss } from '../layers/losses.js';
import type { Module } from '../layers/module.js';
import { BatchNorm1d, BatchNorm2d, LayerNorm } from '../layers/norm.js';
import { AvgPool2d, Flatten, MaxPool2d } from '../layers/pool.js';
import { Sequential } from '../layers/sequential.js';
import { LogSoftmax, Softmax } from '../layers/softmax.js';
import { gradcheck, gradcheckLoss, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';

interface LayerCase {
  name: string;
  make: (rng: Random) => Module;
  inputShape: number[];
  /** Keep inputs at least this far from 0 (the kink of ReLU-like layers). */
  awayFromZero?: number;
  /** Spread inputs so that max-pool windows have no near-ties. */
  distinct?: boolean;
  /** Integer indices in [0, indices) instead of real inputs (Embedding): the input is not checked. */
  indices?: number;
  options?: (layer: Module, rng: Random) => GradcheckOptions;
}

function randomInput(shape: number[], rng: Random, c: LayerCase): Tensor {
  const x = Tensor.zeros(shape, 'float64');
  if (c.indices !== undefined) {
    for (let i = 0; i < x.size; i++) x.data[i] = rng.int(c.indices);
    return x;
  }
  if (c.distinct) {
    // a random permutation of evenly spaced values: every pair differs by ≥ 0.05 ≫ ε
    const perm = rng.permutation(x.size);
    for (let i = 0; i < x.size; i++) x.data[i] = (perm[i]! - x.size / 2) * 0.05;
    return x;
  }
  rng.fillNormal(x.data);
  const m = c.awayFromZero ?? 0;
  for (let i = 0; i < x.size; i++) {
    const v = x.data[i]!;
    if (Math.abs(v) < m) x.data[i] = v < 0 ? v - m : v + m;
  }
  return x;
}

export const LAYER_CASES: readonly LayerCase[] = [
  { name: 'Linear', make: (rng) => new Linear(7, 5, { rng }), inputShape: [4, 7] },
  { name: 'Linear (no bias)', make: (rng) => new Linear(6, 3, { rng, bias: false }), inputShape: [3, 6] },
  { name: 'ReLU', make: () => new ReLU(), inputShape: [4, 6], awayFromZero: 1e-2 },
  { name: '3·ReLU', make: () => new ReLU({ scale: 3 }), inputShape: [4, 6], awayFromZero: 1e-2 },
  { name: 'LeakyReLU(0.1)', make: () => new LeakyReLU({ negativeSlope: 0.1 }), inputShape: [4, 6], awayFromZero: 1e-2 },
  { name: 'Sigmoid', make: () => new Sigmoid(), inputShape: [4, 6] },
  { name: 'Tanh', make: () => new Tanh(), inputShape: [4, 6] },
  { name: 'GELU', make: () => new GELU(), inputShape: [4, 6] },
  { name: 'GELU (tanh)', make: () => new GELU({ approximate: 'tanh' }), inputShape: [4, 6] },
  { name: 'Softplus', make: () => new Softplus(), inputShape: [4, 6] },
  { name: 'Softplus(β=2, threshold=1)', make: () => new Softplus({ beta: 2, threshold: 1 }), inputShape: [4, 6], awayFromZero: 0 },
  { name: 'Identity', make: () => new Identity(), inputShape: [3, 5] },
  {
    name: 'Dropout (inverted, p=0.3)', make: (rng) => new Dropout({ p: 0.3, rng }), inputShape: [4, 6],
    options: (layer, rng) => {
      const keep = Tensor.zeros([4, 6], 'float64');
      for (let i = 0; i < keep.size; i++) keep.data[i] = rng.uniform() < 0.3 ? 0 : 1;
      return { beforeForward: () => (layer as Dropout).setMask(keep) };
    },
  },
  {
    name: 'Dropout (cmu, p=0.3)', make: (rng) => new Dropout({ p: 0.3, mode: 'cmu', rng }), inputShape: [4, 6],
    options: (layer, rng) => {
      const keep = Tensor.zeros([4, 6], 'float64');
      for (let i = 0; i < keep.size; i++) keep.data[i] = rng.uniform() < 0.3 ? 0 : 1;
      return { beforeForward: () => (layer as Dropout).setMask(keep) };
    },
  },
  { name: 'Dropout (cmu, eval)', make: (rng) => new Dropout({ p: 0.3, mode: 'cmu', rng }).eval(), inputShape: [4, 6] },
  { name: 'Flatten', make: () => new Flatten(), inputShape: [2, 3, 2, 2] },
  { name: 'Conv2d', make: (rng) => new Conv2d(2, 3, 3, { rng }), inputShape: [2, 2, 6, 5] },
  { name: 'Conv2d (stride 2, padding 1, 2×3)', make: (rng) => new Conv2d(2, 4, [2, 3], { stride: 2, padding: 1, rng }), inputShape: [2, 2, 7, 6] },
  { name: 'MaxPool2d(2)', make: () => new MaxPool2d(2), inputShape: [2, 3, 4, 6], distinct: true },
  { name: 'MaxPool2d(3, stride 2, padding 1)', make: () => new MaxPool2d(3, { stride: 2, padding: 1 }), inputShape: [2, 2, 5, 5], distinct: true },
  {
    name: 'Sequential (small CNN)',
    make: (rng) => new Sequential(new Conv2d(1, 2, 3, { rng }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8, 3, { rng })),
    inputShape: [2, 1, 6, 6],
  },
  {
    name: 'Sequential (MLP)',
    make: (rng) => new Sequential(new Linear(5, 8, { rng }), new Tanh(), new Linear(8, 4, { rng }), new GELU(), new Linear(4, 2, { rng })),
    inputShape: [3, 5],
  },
  { name: 'BatchNorm1d (train)', make: (rng) => affine(new BatchNorm1d(4), rng), inputShape: [6, 4] },
  { name: 'BatchNorm1d (N, C, L, train)', make: (rng) => affine(new BatchNorm1d(4), rng), inputShape: [3, 4, 5] },
  { name: 'BatchNorm2d (train)', make: (rng) => affine(new BatchNorm2d(3), rng), inputShape: [4, 3, 3, 3] },
  { name: 'BatchNorm2d (eval, after 3 training batches)', make: (rng) => warmed(affine(new BatchNorm2d(3), rng), [4, 3, 3, 3], rng).eval(), inputShape: [4, 3, 3, 3] },
  { name: 'BatchNorm2d (no affine, no running stats)', make: () => new BatchNorm2d(3, { affine: false, trackRunningStats: false }), inputShape: [4, 3, 3, 3] },
  { name: 'LayerNorm([3, 4])', make: (rng) => affine(new LayerNorm([3, 4]), rng), inputShape: [2, 3, 4] },
  { name: 'Softmax(dim=1)', make: () => new Softmax({ dim: 1 }), inputShape: [2, 3, 4] },
  { name: 'LogSoftmax(dim=-1)', make: () => new LogSoftmax({ dim: -1 }), inputShape: [2, 3, 4] },
  { name: 'AvgPool2d(3, stride 2, padding 1)', make: () => new AvgPool2d(3, { stride: 2, padding: 1 }), inputShape: [2, 2, 5, 5] },
  { name: 'Embedding(10, 4, paddingIdx=0)', make: (rng) => new Embedding(10, 4, { paddingIdx: 0, rng }), inputShape: [3, 4], indices: 10 },
  {
    name: 'Sequential (CNN with BatchNorm2d)',
    make: (rng) => new Sequential(
      new Conv2d(1, 3, 3, { rng }), affine(new BatchNorm2d(3), rng), new Tanh(), new AvgPool2d(2), new Flatten(),
      new Linear(12, 4, { rng }), new LogSoftmax({ dim: 1 }),
    ),
    inputShape: [4, 1, 6, 6],
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

export function runLayerGradchecks(seed = 0): GradcheckResult[] {
  return LAYER_CASES.map((c, i) => {
    const rng = new Random(seed * 1000 + i);
    const layer = c.make(rng);
    const x = randomInput(c.inputShape, rng, c);
    const opts = c.options?.(layer, rng) ?? {};
    // the projection r gets a stream of its own: with the layer's seed it would equal the input
    const res = gradcheck(layer, x, { seed: seed * 1000 + i + 500, checkInput: c.indices === undefined, ...opts });
    return { ...res, layer: c.name };
  });
}

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
