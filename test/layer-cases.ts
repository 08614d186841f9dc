// The layer cases every verification runs on: the library's gradcheck suite (src/check/suite.ts,
// what `handgrad gradcheck` checks: every activation of the ACTIVATIONS table and the variants
// that matter) plus the variants only the tests check. Each names its PyTorch fixture in
// test/fixtures/layers.json (scripts/make_fixtures.py builds the same layers in PyTorch).

import { nn } from '../src/index.js';
import { LAYER_CASES as SUITE, type LayerCase } from '../src/check/suite.js';

const EXTRA: readonly LayerCase[] = [
  { name: 'Softplus(beta=2, threshold=5)', make: () => new nn.Softplus({ beta: 2, threshold: 5 }), inputShape: [4, 6] },
  { name: 'Dropout (inverted, p=0.3, eval)', make: () => new nn.Dropout({ p: 0.3, mode: 'inverted', seed: 1 }), inputShape: [4, 6], eval: true },
  { name: 'Conv2d (3×3, stride 1, padding 1)', make: (rng) => new nn.Conv2d(2, 3, 3, { padding: 1, rng }), inputShape: [2, 2, 5, 5] },
  { name: 'Conv2d (3×3, stride 2, padding 0)', make: (rng) => new nn.Conv2d(2, 3, 3, { stride: 2, rng }), inputShape: [2, 2, 7, 6] },
  { name: 'Conv2d (1×1 → 3×2, stride 1, padding 1)', make: (rng) => new nn.Conv2d(1, 2, [3, 2], { padding: 1, rng }), inputShape: [2, 1, 4, 5] },
  ...batchNormCases(),
  { name: 'BatchNorm1d (N, C, L, eval)', make: () => new nn.BatchNorm1d(4), inputShape: [3, 4, 5], eval: true },
  { name: 'BatchNorm2d (momentum 0.5, eps 1e-3, train)', make: () => new nn.BatchNorm2d(2, { momentum: 0.5, eps: 1e-3 }), inputShape: [3, 2, 4, 3] },
  { name: 'LayerNorm(5)', make: () => new nn.LayerNorm(5), inputShape: [4, 5] },
  { name: 'LayerNorm(6) on (2, 3, 6), no affine', make: () => new nn.LayerNorm(6, { elementwiseAffine: false }), inputShape: [2, 3, 6] },
  { name: 'Softmax(dim=0)', make: () => new nn.Softmax({ dim: 0 }), inputShape: [4, 5] },
  { name: 'Softmax(dim=-1) on (2, 3, 4)', make: () => new nn.Softmax({ dim: -1 }), inputShape: [2, 3, 4] },
  { name: 'LogSoftmax(dim=1)', make: () => new nn.LogSoftmax({ dim: 1 }), inputShape: [4, 5] },
  { name: 'LogSoftmax(dim=-1), large logits', make: () => new nn.LogSoftmax({ dim: -1 }), inputShape: [3, 4] },
  { name: 'AvgPool2d(2)', make: () => new nn.AvgPool2d(2), inputShape: [2, 3, 4, 6] },
  { name: 'AvgPool2d(2×3, stride 1×2, padding 1×1)', make: () => new nn.AvgPool2d([2, 3], { stride: [1, 2], padding: [1, 1] }), inputShape: [2, 2, 4, 5] },
  { name: 'Embedding(10, 4)', make: (rng) => new nn.Embedding(10, 4, { rng }), inputShape: [3, 4], indices: 10 },
  {
    name: 'Sequential (conv-bn-tanh-avgpool-flatten-linear-logsoftmax, eval)',
    make: (rng) => new nn.Sequential(
      new nn.Conv2d(1, 3, 3, { rng }), new nn.BatchNorm2d(3), new nn.Tanh(), new nn.AvgPool2d(2), new nn.Flatten(),
      new nn.Linear(12, 4, { rng }), new nn.LogSoftmax({ dim: 1 }),
    ),
    inputShape: [4, 1, 6, 6],
    eval: true,
  },
];

/**
 * The BatchNorm variants of the fixtures the suite does not check, each after PyTorch's warm-up
 * steps (the harness loads the running statistics from the fixture): BatchNorm1d on (N, C) and
 * BatchNorm2d on (N, C, H, W), in training and in eval mode, with default options, momentum null
 * (the cumulative average), no affine map, and no running statistics.
 */
function batchNormCases(): LayerCase[] {
  const variants: [string, nn.BatchNormOptions][] = [
    ['', {}],
    ['momentum None, ', { momentum: null }],
    ['no affine, ', { affine: false }],
    ['no running stats, ', { trackRunningStats: false }],
  ];
  const suite = new Set(SUITE.map((c) => c.name));
  const out: LayerCase[] = [];
  for (const [kind, C, inputShape] of [[1, 4, [6, 4]], [2, 3, [4, 3, 3, 3]]] as const) {
    for (const mode of ['train', 'eval'] as const) {
      for (const [label, opts] of variants) {
        const name = `BatchNorm${kind}d (${label}${mode})`;
        if (suite.has(name)) continue;
        const make = (): nn.Module => (kind === 1 ? new nn.BatchNorm1d(C, opts) : new nn.BatchNorm2d(C, opts));
        out.push({ name, make, inputShape: [...inputShape], eval: mode === 'eval' });
      }
    }
  }
  return out;
}

export const LAYER_CASES: readonly LayerCase[] = [...SUITE, ...EXTRA];
