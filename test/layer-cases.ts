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
];

export const LAYER_CASES: readonly LayerCase[] = [...SUITE, ...EXTRA];
