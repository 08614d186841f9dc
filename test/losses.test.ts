// Every loss and reduction: the loss value and dL/dprediction against PyTorch (fixtures, float64
// and float32), against TensorFlow.js's autograd (float32), and against central finite
// differences (float64, the library's gradcheckLoss); plus PyTorch's edge conventions
// (BCE at ŷ = 0 and 1, logits of ±1000). The float64 checks run once (float64 runs on the
// reference kernels on every backend); the float32 ones once per backend of test/backends.ts.

import { beforeAll, describe, expect, it } from 'vitest';
import { gradcheckLoss, nn, Tensor, type DType } from '../src/index.js';
import { describeBackends, describeOnce, tensorOnBackend } from './backends.js';
import { expectClose, expectCloseNumber, fixture } from './harness.js';
import { initTfjs, tfjsLossGrad } from './tfjs-oracle.js';
import { TOL, tol32, type Tolerance } from './tolerances.js';

interface LossFixture {
  predShape: number[];
  pred: number[];
  targetShape: number[];
  target: number[];
  targetIsIndex: boolean;
  loss: number;
  grad: number[];
  reduction: nn.Reduction;
  ignoreIndex?: number;
}

/** The handgrad loss of each fixture case (by the PyTorch class name at the start of the key). */
function makeLoss(name: string, { reduction, ignoreIndex }: Pick<LossFixture, 'reduction' | 'ignoreIndex'>): nn.Loss {
  const cls = name.split(' ')[0];
  switch (cls) {
    case 'NLLLoss': return new nn.NLLLoss({ reduction, ignoreIndex });
    case 'MSELoss': return new nn.MSELoss({ reduction });
    case 'BCELoss': return new nn.BCELoss({ reduction });
    case 'BCEWithLogitsLoss': return new nn.BCEWithLogitsLoss({ reduction });
    case 'CrossEntropyLoss': return new nn.CrossEntropyLoss({ reduction });
    default: throw new Error(`no handgrad loss for fixture '${name}'`);
  }
}

/** The target as handgrad takes it: class indices as a plain array (mean) or a 1-D tensor (sum), else a tensor. */
function target(fx: { target: number[]; targetShape: number[]; targetIsIndex: boolean }, dtype: DType, reduction: nn.Reduction): Tensor | number[] {
  if (fx.targetIsIndex && reduction === 'mean') return fx.target;
  return tensorOnBackend(fx.target, fx.targetShape, dtype);
}

const cases = fixture<{ cases: Record<string, LossFixture> }>('losses.json').cases;

interface LossEdge {
  pred: number[];
  predShape: number[];
  target: number[];
  targetShape: number[];
  targetIsIndex: boolean;
  f64: { loss: number; grad: number[] };
  f32: { loss: number; grad: number[] };
}

const EDGE_LOSSES: Record<string, () => nn.Loss> = {
  'BCELoss at 0 and 1 (mean)': () => new nn.BCELoss(),
  'BCELoss at 0 and 1 (sum)': () => new nn.BCELoss({ reduction: 'sum' }),
  'BCEWithLogitsLoss at ±1000': () => new nn.BCEWithLogitsLoss(),
  'CrossEntropyLoss with logits ±1000 (indices)': () => new nn.CrossEntropyLoss(),
  'CrossEntropyLoss with logits ±1000 (one-hot, sum)': () => new nn.CrossEntropyLoss({ reduction: 'sum' }),
};

/** Loss value and gradient against PyTorch's, in one dtype, on the current backend. */
function checkAgainstTorch(name: string, fx: LossFixture, dtype: DType, tol: Tolerance): void {
  const loss = makeLoss(name, fx);
  const L = loss.forward(tensorOnBackend(fx.pred, fx.predShape, dtype), target(fx, dtype, fx.reduction));
  const g = loss.backward();
  expect([...g.shape]).toEqual(fx.predShape);
  expect(g.dtype).toBe(dtype);
  expectCloseNumber(L, fx.loss, tol, `${name} (${dtype}): loss`);
  expectClose(g.data, fx.grad, tol, `${name} (${dtype}): dL/dprediction`);
}

/** A second backward returns the same gradient (losses keep no accumulators). */
function checkBackwardTwice(name: string, fx: LossFixture, dtype: DType): void {
  const loss = makeLoss(name, fx);
  loss.forward(tensorOnBackend(fx.pred, fx.predShape, dtype), target(fx, dtype, fx.reduction));
  const g1 = loss.backward().clone();
  expectClose(loss.backward().data, g1.data, TOL.twiceDx, `${name} (${dtype}): second backward`);
}

describeOnce('losses in float64 against PyTorch and finite differences (reference kernels, on every backend)', () => {
  it('covers every loss and reduction', () => {
    const names = Object.keys(cases);
    for (const want of [
      'MSELoss (mean)', 'MSELoss (sum)', 'BCELoss (mean)', 'BCELoss (sum)', 'BCEWithLogitsLoss (mean)',
      'CrossEntropyLoss (indices, mean)', 'CrossEntropyLoss (indices, sum)', 'CrossEntropyLoss (one-hot, mean)', 'CrossEntropyLoss (one-hot, sum)',
      'NLLLoss (mean)', 'NLLLoss (sum)', 'NLLLoss (ignoreIndex -100, mean)', 'NLLLoss (ignoreIndex 2, sum)',
    ]) expect(names).toContain(want);
  });

  for (const [name, fx] of Object.entries(cases)) {
    describe(name, () => {
      it('loss and gradient = PyTorch (float64)', () => checkAgainstTorch(name, fx, 'float64', TOL.torch64));

      it('gradient = central finite differences (float64)', () => {
        const loss = makeLoss(name, fx);
        const res = gradcheckLoss(loss, Tensor.fromArray(fx.pred, fx.predShape, 'float64'), target(fx, 'float64', fx.reduction), { tolerance: TOL.gradcheck });
        const e = res.entries[0]!;
        expect(e.checked).toBe(fx.pred.length);
        expect(e.maxRelativeError, `${name}: index ${e.worstIndex}: analytic ${e.analytic}, numeric ${e.numeric}`).toBeLessThanOrEqual(TOL.gradcheck);
      });

      it('backward twice returns the same gradient (float64)', () => checkBackwardTwice(name, fx, 'float64'));
    });
  }
});

describeBackends('losses in float32 against PyTorch and TensorFlow.js', (run) => {
  beforeAll(() => initTfjs());
  const tol = tol32(run);

  for (const [name, fx] of Object.entries(cases)) {
    describe(name, () => {
      it('loss and gradient = PyTorch (float32)', () => checkAgainstTorch(name, fx, 'float32', tol.torch32));

      it('loss and gradient = TensorFlow.js (float32)', () => {
        const loss = makeLoss(name, fx);
        const pred = tensorOnBackend(fx.pred, fx.predShape, 'float32');
        const t = tensorOnBackend(fx.target, fx.targetShape, 'float32');
        const L = loss.forward(pred, fx.targetIsIndex ? fx.target : t);
        const g = loss.backward();
        const theirs = tfjsLossGrad(loss, pred, t, fx.targetIsIndex);
        expectCloseNumber(L, theirs.loss, tol.tfjs32, `${name}: loss vs tfjs`);
        expectClose(g.data, theirs.grad, tol.tfjs32, `${name}: dL/dprediction vs tfjs`);
      });

      it('backward twice returns the same gradient (float32)', () => checkBackwardTwice(name, fx, 'float32'));
    });
  }

  describe('edge cases, as PyTorch (float32)', () => {
    for (const name of Object.keys(EDGE_LOSSES)) it(`${name}: finite, equal to PyTorch's`, () => checkLossEdge(name, 'float32', tol.edge32));
  });
});


/** One loss edge case in one dtype, on the current backend: finite, and equal to PyTorch's values. */
function checkLossEdge(name: string, dtype: DType, tol: Tolerance): void {
  const fx = fixture<{ cases: Record<string, LossEdge> }>('edges.json').cases[name]!;
  expect(fx, `edges.json case ${name}`).toBeDefined();
  const ref = dtype === 'float64' ? fx.f64 : fx.f32;
  const loss = EDGE_LOSSES[name]!();
  const t = fx.targetIsIndex ? fx.target : tensorOnBackend(fx.target, fx.targetShape, dtype);
  const L = loss.forward(tensorOnBackend(fx.pred, fx.predShape, dtype), t);
  const g = loss.backward();
  expect(Number.isFinite(L), `${name} (${dtype}): loss ${L} is finite`).toBe(true);
  for (const v of g.data) expect(Number.isFinite(v), `${name} (${dtype}): gradient finite`).toBe(true);
  expectCloseNumber(L, ref.loss, tol, `${name} (${dtype}): loss`);
  expectClose(g.data, ref.grad, tol, `${name} (${dtype}): gradient`);
}

describe('loss edge cases, as PyTorch (float64; float32 runs per backend above)', () => {
  for (const name of Object.keys(EDGE_LOSSES)) it(`${name}: finite, equal to PyTorch's`, () => checkLossEdge(name, 'float64', TOL.edge64));

  it('BCE: ŷ = 0 with y = 1 costs exactly 100 (the −100 log clamp), ŷ = y costs 0', () => {
    const bce = new nn.BCELoss({ reduction: 'sum' });
    expect(bce.forward(Tensor.fromArray([0, 1], [1, 2], 'float64'), Tensor.fromArray([1, 0], [1, 2], 'float64'))).toBe(200);
    expect(bce.forward(Tensor.fromArray([0, 1], [1, 2], 'float64'), Tensor.fromArray([0, 1], [1, 2], 'float64'))).toBe(0);
  });

  it('cross-entropy of ±1000 logits: the right class costs 0, the wrong one 2000', () => {
    const ce = new nn.CrossEntropyLoss({ reduction: 'sum' });
    const z = Tensor.fromArray([1000, -1000, -1000, 1000], [2, 2], 'float64');
    expect(ce.forward(z, [0, 0])).toBe(2000);
    const g = ce.backward();
    // row 1: softmax = [0, 1], label 0 → softmax − onehot = [−1, 1]
    expect(Array.from(g.data)).toEqual([0, 0, -1, 1]);
  });
});
