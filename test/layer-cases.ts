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
  ...batchNormCases(),
  { name: 'BatchNorm1d (N, C, L, train)', make: () => new nn.BatchNorm1d(4) },
  { name: 'BatchNorm1d (N, C, L, eval)', make: () => new nn.BatchNorm1d(4) },
  { name: 'BatchNorm2d (momentum 0.5, eps 1e-3, train)', make: () => new nn.BatchNorm2d(2, { momentum: 0.5, eps: 1e-3 }) },
  { name: 'LayerNorm(5)', make: () => new nn.LayerNorm(5) },
  { name: 'LayerNorm([3, 4])', make: () => new nn.LayerNorm([3, 4]) },
  { name: 'LayerNorm(6) on (2, 3, 6), no affine', make: () => new nn.LayerNorm(6, { elementwiseAffine: false }) },
  { name: 'Softmax(dim=1)', make: () => new nn.Softmax({ dim: 1 }) },
  { name: 'Softmax(dim=0)', make: () => new nn.Softmax({ dim: 0 }) },
  { name: 'Softmax(dim=-1) on (2, 3, 4)', make: () => new nn.Softmax({ dim: -1 }) },
  { name: 'LogSoftmax(dim=1)', make: () => new nn.LogSoftmax({ dim: 1 }) },
  { name: 'LogSoftmax(dim=1) on (2, 3, 2, 2)', make: () => new nn.LogSoftmax({ dim: 1 }) },
  { name: 'LogSoftmax(dim=-1), large logits', make: () => new nn.LogSoftmax({ dim: -1 }) },
  { name: 'AvgPool2d(2)', make: () => new nn.AvgPool2d(2) },
  { name: 'AvgPool2d(3, stride 2, padding 1)', make: () => new nn.AvgPool2d(3, { stride: 2, padding: 1 }) },
  { name: 'AvgPool2d(2×3, stride 1×2, padding 1×1)', make: () => new nn.AvgPool2d([2, 3], { stride: [1, 2], padding: [1, 1] }) },
  { name: 'Embedding(10, 4)', make: () => new nn.Embedding(10, 4) },
  { name: 'Embedding(10, 4, paddingIdx=0)', make: () => new nn.Embedding(10, 4, { paddingIdx: 0 }) },
  ...(['train', 'eval'] as const).map((mode) => ({
    name: `Sequential (conv-bn-tanh-avgpool-flatten-linear-logsoftmax, ${mode})`,
    make: () => new nn.Sequential(
      new nn.Conv2d(1, 3, 3), new nn.BatchNorm2d(3), new nn.Tanh(), new nn.AvgPool2d(2), new nn.Flatten(),
      new nn.Linear(12, 4), new nn.LogSoftmax({ dim: 1 }),
    ),
  })),
  {
    name: 'Sequential (embedding-layernorm-linear-softmax)',
    make: () => new nn.Sequential(new nn.Embedding(10, 6, { paddingIdx: 1 }), new nn.LayerNorm(6), new nn.Linear(6, 3), new nn.Softmax({ dim: -1 })),
  },
];

/**
 * BatchNorm1d on (N, C) and BatchNorm2d on (N, C, H, W), in training and in eval mode (the
 * fixture's `training` flag sets the mode), each after PyTorch's warm-up steps: default options,
 * momentum null (the cumulative average), no affine map, and no running statistics.
 */
function batchNormCases(): LayerCase[] {
  const variants: [string, nn.BatchNormOptions][] = [
    ['', {}],
    ['momentum None, ', { momentum: null }],
    ['no affine, ', { affine: false }],
    ['no running stats, ', { trackRunningStats: false }],
  ];
  const out: LayerCase[] = [];
  for (const [kind, C] of [[1, 4], [2, 3]] as const) {
    for (const mode of ['train', 'eval']) {
      for (const [label, opts] of variants) {
        out.push({
          name: `BatchNorm${kind}d (${label}${mode})`,
          make: () => (kind === 1 ? new nn.BatchNorm1d(C, opts) : new nn.BatchNorm2d(C, opts)),
        });
      }
    }
  }
  return out;
}
