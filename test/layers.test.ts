// Every layer and variant through the shared harness (test/harness.ts): finite differences,
// TensorFlow.js autograd, PyTorch fixtures, and backward-twice — plus PyTorch's edge conventions.
// The float64 checks run once (on the reference kernels, which every backend uses for float64);
// the float32 checks run once per backend of test/backends.ts (ref, wasm 1 thread, wasm 2 threads).

import { describe, expect, it } from 'vitest';
import { nn, Random, Tensor, type DType } from '../src/index.js';
import { runLayerGradchecks, runLossGradchecks } from '../src/check/suite.js';
import { describeBackends, describeOnce, tensorOnBackend } from './backends.js';
import { checkLayerFloat32, checkLayerFloat64, expectClose, fixture, layerFixtureNames } from './harness.js';
import { LAYER_CASES as CASES } from './layer-cases.js';
import { TOL, tol32, type Tolerance } from './tolerances.js';

describeOnce('float64 (reference kernels, on every backend)', () => {
  for (const c of CASES) checkLayerFloat64(c);
});

describe('coverage', () => {
  it('every PyTorch layer fixture has a case, and every case a fixture', () => {
    expect(CASES.map((c) => c.name).sort()).toEqual(layerFixtureNames().sort());
  });

  it('every layer type of the registry is covered by a case', () => {
    const covered = new Set<string>();
    const walk = (m: nn.Module): void => {
      covered.add(m.config().type);
      for (const [, ch] of m.children()) walk(ch);
    };
    for (const c of CASES) walk(c.make(new Random(0)));
    expect([...nn.LAYER_TYPES].filter((t) => !covered.has(t))).toEqual([]);
  });
});

// ---- PyTorch's conventions at the edges -----------------------------------------------------

interface ElementwiseEdge {
  input: number[];
  inputShape: number[];
  r: number[];
  f64: { output: number[]; dx: number[] };
  f32: { output: number[]; dx: number[] };
}

const EDGE_LAYERS: Record<string, () => nn.Module> = {
  "ReLU'(0) = 0": () => new nn.ReLU(),
  "3·ReLU'(0) = 0": () => new nn.ReLU({ scale: 3 }),
  "LeakyReLU(0.01)'(0) = slope": () => new nn.LeakyReLU(),
  "LeakyReLU(0.1)'(0) = slope": () => new nn.LeakyReLU({ negativeSlope: 0.1 }),
  'Softplus above the threshold': () => new nn.Softplus(),
  'Softplus(beta=2, threshold=5) above the threshold': () => new nn.Softplus({ beta: 2, threshold: 5 }),
  'Sigmoid at ±100': () => new nn.Sigmoid(),
  'Tanh at ±100': () => new nn.Tanh(),
  'GELU far out': () => new nn.GELU(),
  'GELU (tanh) far out': () => new nn.GELU({ approximate: 'tanh' }),
  "ELU'(0) = alpha": () => new nn.ELU(),
  "ELU(alpha=0.5)'(0) = alpha": () => new nn.ELU({ alpha: 0.5 }),
};

/** One edge case in one dtype, on the current backend: finite, and equal to PyTorch's values. */
function checkEdge(name: string, dtype: DType, tol: Tolerance): void {
  const fx = fixture<{ cases: Record<string, ElementwiseEdge> }>('edges.json').cases[name]!;
  expect(fx, `edges.json case ${name}`).toBeDefined();
  const ref = dtype === 'float64' ? fx.f64 : fx.f32;
  const layer = EDGE_LAYERS[name]!();
  const y = layer.forward(tensorOnBackend(fx.input, fx.inputShape, dtype)).clone();
  const dx = layer.backward(tensorOnBackend(fx.r, fx.inputShape, dtype)).clone();
  for (const v of [...y.data, ...dx.data]) expect(Number.isFinite(v), `${name}: finite`).toBe(true);
  expectClose(y.data, ref.output, tol, `${name} (${dtype}): output`);
  expectClose(dx.data, ref.dx, tol, `${name} (${dtype}): dx`);
}

describe('edge cases, as PyTorch (float64; float32 runs per backend above)', () => {
  for (const name of Object.keys(EDGE_LAYERS)) it(name, () => checkEdge(name, 'float64', TOL.edge64));

  it('the kink values themselves: ReLU′(0) = 0, LeakyReLU′(0) = slope, ELU′(0) = α', () => {
    const x = Tensor.fromArray([0], [1, 1], 'float64');
    const dy = Tensor.fromArray([1], [1, 1], 'float64');
    const relu = new nn.ReLU({ scale: 3 });
    relu.forward(x);
    expect(relu.backward(dy).data[0]).toBe(0);
    const leaky = new nn.LeakyReLU({ negativeSlope: 0.1 });
    leaky.forward(x);
    expect(leaky.backward(dy).data[0]).toBe(0.1);
    const elu = new nn.ELU({ alpha: 0.5 });
    elu.forward(x);
    expect(elu.backward(dy).data[0]).toBe(0.5);
  });
});

describeBackends('float32', (run) => {
  for (const c of CASES) checkLayerFloat32(c, run);
  describe('edge cases, as PyTorch (float32)', () => {
    for (const name of Object.keys(EDGE_LAYERS)) it(name, () => checkEdge(name, 'float32', tol32(run).edge32));
  });
}, { threadedGemm: true });

describe('Dropout draws its own masks as documented', () => {
  it('drops about p of the units, scales kept ones by 1/(1−p) (inverted) or 1 (cmu), and backward uses the same mask', () => {
    for (const mode of ['inverted', 'cmu'] as const) {
      const d = new nn.Dropout({ p: 0.25, mode, seed: 42 });
      const x = Tensor.full([200, 50], 1, 'float64');
      const y = d.forward(x).clone();
      const keep = mode === 'inverted' ? 1 / 0.75 : 1;
      let dropped = 0;
      for (const v of y.data) {
        if (v === 0) dropped++;
        else expect(v).toBeCloseTo(keep, 14);
      }
      // 10 000 Bernoulli(0.25) draws: mean 2500, sd 43; ±6 sd
      expect(Math.abs(dropped - 2500)).toBeLessThan(260);
      const dx = d.backward(Tensor.full([200, 50], 1, 'float64'));
      expectClose(dx.data, y.data, TOL.twiceDx, `Dropout(${mode}) backward mask`);
      // same seed → same mask
      const d2 = new nn.Dropout({ p: 0.25, mode, seed: 42 });
      expectClose(d2.forward(x).data, y.data, TOL.twiceDx, `Dropout(${mode}) seeded mask`);
    }
  });

  it('eval: identity (inverted) or × (1 − p) (cmu)', () => {
    const x = Tensor.fromArray([1, -2, 3], [1, 3], 'float64');
    expect(Array.from(new nn.Dropout({ p: 0.2 }).eval().forward(x).data)).toEqual([1, -2, 3]);
    expectClose(new nn.Dropout({ p: 0.2, mode: 'cmu' }).eval().forward(x).data, [0.8, -1.6, 2.4], TOL.torch64, 'cmu eval');
  });
});

describe('the standard gradcheck suite (what `npx handgrad gradcheck` prints)', () => {
  it('passes for every layer and loss', () => {
    const results = [...runLayerGradchecks(), ...runLossGradchecks()];
    const failing = results.filter((r) => !r.passed).map((r) => `${r.layer}: ${r.entries.filter((e) => !e.passed).map((e) => `${e.tensor} ${e.maxRelativeError}`).join(', ')}`);
    expect(failing).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(20);
  });
});
