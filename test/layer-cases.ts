// The layer cases every verification runs on: one per layer variant, each naming its PyTorch
// fixture in test/fixtures/layers.json (scripts/make_fixtures.py builds the same layers in PyTorch).

import { nn } from '../src/index.js';
import type { LayerCase } from './harness.js';

export const LAYER_CASES: readonly LayerCase[] = [
  { name: 'Linear', make: () => new nn.Linear(7, 5) },
  { name: 'Linear (no bias)', make: () => new nn.Linear(6, 3, { bias: false }) },
  { name: 'ReLU', make: () => new nn.ReLU() },
  { name: 'ReLU (scale 3)', make: () => new nn.ReLU({ scale: 3 }) },
  { name: 'LeakyReLU(0.01)', make: () => new nn.LeakyReLU() },
  { name: 'LeakyReLU(0.1)', make: () => new nn.LeakyReLU({ negativeSlope: 0.1 }) },
  { name: 'Sigmoid', make: () => new nn.Sigmoid() },
  { name: 'Tanh', make: () => new nn.Tanh() },
  { name: 'GELU', make: () => new nn.GELU() },
  { name: 'GELU (tanh)', make: () => new nn.GELU({ approximate: 'tanh' }) },
  { name: 'Softplus', make: () => new nn.Softplus() },
  { name: 'Softplus(beta=2, threshold=5)', make: () => new nn.Softplus({ beta: 2, threshold: 5 }) },
  { name: 'Identity', make: () => new nn.Identity() },
  { name: 'Dropout (inverted, p=0.3, train)', make: () => new nn.Dropout({ p: 0.3, mode: 'inverted', seed: 1 }) },
  { name: 'Dropout (cmu, p=0.3, train)', make: () => new nn.Dropout({ p: 0.3, mode: 'cmu', seed: 1 }) },
  { name: 'Dropout (inverted, p=0.3, eval)', make: () => new nn.Dropout({ p: 0.3, mode: 'inverted', seed: 1 }) },
  { name: 'Dropout (cmu, p=0.3, eval)', make: () => new nn.Dropout({ p: 0.3, mode: 'cmu', seed: 1 }) },
  { name: 'Flatten', make: () => new nn.Flatten() },
  { name: 'Conv2d (3×3, stride 1, padding 0)', make: () => new nn.Conv2d(2, 3, 3) },
  { name: 'Conv2d (3×3, stride 1, padding 1)', make: () => new nn.Conv2d(2, 3, 3, { padding: 1 }) },
  { name: 'Conv2d (3×3, stride 2, padding 0)', make: () => new nn.Conv2d(2, 3, 3, { stride: 2 }) },
  { name: 'Conv2d (2×3, stride 2, padding 1)', make: () => new nn.Conv2d(2, 4, [2, 3], { stride: 2, padding: 1 }) },
  { name: 'Conv2d (1×1 → 3×2, stride 1, padding 1)', make: () => new nn.Conv2d(1, 2, [3, 2], { padding: 1 }) },
  { name: 'MaxPool2d(2, stride 2)', make: () => new nn.MaxPool2d(2, { stride: 2 }) },
  { name: 'MaxPool2d(3, stride 2, padding 1)', make: () => new nn.MaxPool2d(3, { stride: 2, padding: 1 }) },
  {
    name: 'Sequential (conv-relu-pool-flatten-linear)',
    make: () => new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(8, 3)),
  },
  {
    name: 'Sequential (linear-tanh-linear-gelu-linear)',
    make: () => new nn.Sequential(new nn.Linear(5, 8), new nn.Tanh(), new nn.Linear(8, 4), new nn.GELU(), new nn.Linear(4, 2)),
  },
];
