// The standard gradcheck suite: every layer and loss of the library on seeded random inputs,
// in float64. `npx handgrad gradcheck` prints it; the tests run it too.

import { Random } from '../random.js';
import { Tensor } from '../tensor.js';
import { GELU, Identity, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh } from '../layers/activations.js';
import { Conv2d } from '../layers/conv.js';
import { Dropout } from '../layers/dropout.js';
import { Linear } from '../layers/linear.js';
import { BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss } from '../layers/losses.js';
import type { Module } from '../layers/module.js';
import { Flatten, MaxPool2d } from '../layers/pool.js';
import { Sequential } from '../layers/sequential.js';
import { gradcheck, gradcheckLoss, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';

interface LayerCase {
  name: string;
  make: (rng: Random) => Module;
  inputShape: number[];
  /** Keep inputs at least this far from 0 (the kink of ReLU-like layers). */
  awayFromZero?: number;
  /** Spread inputs so that max-pool windows have no near-ties. */
  distinct?: boolean;
  options?: (layer: Module, rng: Random) => GradcheckOptions;
}

function randomInput(shape: number[], rng: Random, c: LayerCase): Tensor {
  const x = Tensor.zeros(shape, 'float64');
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
];

export function runLayerGradchecks(seed = 0): GradcheckResult[] {
  return LAYER_CASES.map((c, i) => {
    const rng = new Random(seed * 1000 + i);
    const layer = c.make(rng);
    const x = randomInput(c.inputShape, rng, c);
    const opts = c.options?.(layer, rng) ?? {};
    const res = gradcheck(layer, x, { seed: seed + i, ...opts });
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
  ];
  return out;
}
