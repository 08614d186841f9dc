// Every loss and reduction: the loss value and dL/dprediction against PyTorch (fixtures, float64
// and float32), against TensorFlow.js's autograd (float32), and against central finite
// differences (float64, the library's gradcheckLoss); plus PyTorch's edge conventions
// (BCE at ŷ = 0 and 1, logits of ±1000).

import { beforeAll, describe, expect, it } from 'vitest';
import { gradcheckLoss, nn, Tensor, type DType } from '../src/index.js';
import { expectClose, expectCloseNumber, fixture } from './harness.js';
import { initTfjs, tfjsLossGrad } from './tfjs-oracle.js';
import { TOL } from './tolerances.js';

interface LossFixture {
  predShape: number[];
  pred: number[];
  targetShape: number[];
  target: number[];
  targetIsIndex: boolean;
  loss: number;
  grad: number[];
  reduction: nn.Reduction;
}

/** The handgrad loss of each fixture case (by the PyTorch class name at the start of the key). */
function makeLoss(name: string, reduction: nn.Reduction): nn.Loss {
  const cls = name.split(' ')[0];
  switch (cls) {
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
  return Tensor.fromArray(fx.target, fx.targetShape, dtype);
}

const cases = fixture<{ cases: Record<string, LossFixture> }>('losses.json').cases;

describe('losses against PyTorch, TensorFlow.js and finite differences', () => {
  beforeAll(() => initTfjs());

  it('covers every loss and reduction of issue 2', () => {
    const names = Object.keys(cases);
    for (const want of [
      'MSELoss (mean)', 'MSELoss (sum)', 'BCELoss (mean)', 'BCELoss (sum)', 'BCEWithLogitsLoss (mean)',
      'CrossEntropyLoss (indices, mean)', 'CrossEntropyLoss (indices, sum)', 'CrossEntropyLoss (one-hot, mean)', 'CrossEntropyLoss (one-hot, sum)',
    ]) expect(names).toContain(want);
  });

  for (const [name, fx] of Object.entries(cases)) {
    describe(name, () => {
      it('loss and gradient = PyTorch (float64 and float32)', () => {
        for (const [dtype, tol] of [['float64', TOL.torch64], ['float32', TOL.torch32]] as const) {
          const loss = makeLoss(name, fx.reduction);
          const L = loss.forward(Tensor.fromArray(fx.pred, fx.predShape, dtype), target(fx, dtype, fx.reduction));
          const g = loss.backward();
          expect([...g.shape]).toEqual(fx.predShape);
          expect(g.dtype).toBe(dtype);
          expectCloseNumber(L, fx.loss, tol, `${name} (${dtype}): loss`);
          expectClose(g.data, fx.grad, tol, `${name} (${dtype}): dL/dprediction`);
        }
      });

      it('loss and gradient = TensorFlow.js (float32)', () => {
        const loss = makeLoss(name, fx.reduction);
        const pred = Tensor.fromArray(fx.pred, fx.predShape, 'float32');
        const t = Tensor.fromArray(fx.target, fx.targetShape, 'float32');
        const L = loss.forward(pred, fx.targetIsIndex ? fx.target : t);
        const g = loss.backward();
        const theirs = tfjsLossGrad(loss, pred, t, fx.targetIsIndex);
        expectCloseNumber(L, theirs.loss, TOL.tfjs32, `${name}: loss vs tfjs`);
        expectClose(g.data, theirs.grad, TOL.tfjs32, `${name}: dL/dprediction vs tfjs`);
      });

      it('gradient = central finite differences (float64)', () => {
        const loss = makeLoss(name, fx.reduction);
        const res = gradcheckLoss(loss, Tensor.fromArray(fx.pred, fx.predShape, 'float64'), target(fx, 'float64', fx.reduction), { tolerance: TOL.gradcheck });
        const e = res.entries[0]!;
        expect(e.checked).toBe(fx.pred.length);
        expect(e.maxRelativeError, `${name}: index ${e.worstIndex}: analytic ${e.analytic}, numeric ${e.numeric}`).toBeLessThanOrEqual(TOL.gradcheck);
      });

      it('backward twice returns the same gradient (losses keep no accumulators)', () => {
        const loss = makeLoss(name, fx.reduction);
        loss.forward(Tensor.fromArray(fx.pred, fx.predShape, 'float64'), target(fx, 'float64', fx.reduction));
        const g1 = loss.backward().clone();
        expectClose(loss.backward().data, g1.data, TOL.twiceDx, `${name}: second backward`);
      });
    });
  }
});

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

describe('loss edge cases, as PyTorch', () => {
  const edges = fixture<{ cases: Record<string, LossEdge> }>('edges.json').cases;
  for (const [name, make] of Object.entries(EDGE_LOSSES)) {
    it(`${name}: finite, equal to PyTorch's`, () => {
      const fx = edges[name]!;
      expect(fx, `edges.json case ${name}`).toBeDefined();
      for (const [dtype, ref, tol] of [['float64', fx.f64, TOL.edge64], ['float32', fx.f32, TOL.edge32]] as const) {
        const loss = make();
        const t = fx.targetIsIndex ? fx.target : Tensor.fromArray(fx.target, fx.targetShape, dtype);
        const L = loss.forward(Tensor.fromArray(fx.pred, fx.predShape, dtype), t);
        const g = loss.backward();
        expect(Number.isFinite(L), `${name} (${dtype}): loss ${L} is finite`).toBe(true);
        for (const v of g.data) expect(Number.isFinite(v), `${name} (${dtype}): gradient finite`).toBe(true);
        expectCloseNumber(L, ref.loss, tol, `${name} (${dtype}): loss`);
        expectClose(g.data, ref.grad, tol, `${name} (${dtype}): gradient`);
      }
    });
  }

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
