// The optimisers against torch.optim: 10 steps on the quadratic f(p) = ½ (p − c)ᵀ A (p − c)
// (gradient A (p − c), recomputed from the current p at every step, exactly as the fixture
// script did), every iterate compared, in float64 and float32. Plus a save/load round trip.

import { describe, expect, it } from 'vitest';
import { nn, optim, Tensor, type DType } from '../src/index.js';
import { expectClose, fixture } from './harness.js';
import { TOL } from './tolerances.js';

interface OptimCase {
  kind: 'sgd' | 'adam' | 'adamw';
  options: { lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number; betas?: [number, number]; eps?: number };
  iterates: number[][];
}
interface OptimFixture {
  A: number[];
  c: number[];
  p0: number[];
  n: number;
  steps: number;
  cases: Record<string, OptimCase>;
}

const fx = fixture<OptimFixture>('optim.json');

function parameter(dtype: DType): nn.Parameter {
  return { name: 'p', value: Tensor.fromArray(fx.p0, [fx.n], dtype), grad: Tensor.zeros([fx.n], dtype) };
}

function makeOptimizer(c: OptimCase, params: nn.Parameter[]): optim.Optimizer {
  const o = c.options;
  if (c.kind === 'sgd') return new optim.SGD(params, o);
  const adamOptions = { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay };
  return c.kind === 'adam' ? new optim.Adam(params, adamOptions) : new optim.AdamW(params, adamOptions);
}

/** grad ← A (p − c), computed in float64 from the parameter's current values. */
function setQuadraticGradient(p: nn.Parameter): void {
  const n = fx.n;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += fx.A[i * n + j]! * (p.value.data[j]! - fx.c[j]!);
    p.grad.data[i] = s;
  }
}

describe('optimisers against torch.optim (10 steps on a fixed quadratic)', () => {
  it('covers SGD plain, momentum, nesterov, weight decay, dampening, and Adam / AdamW with weight decay', () => {
    expect(Object.keys(fx.cases)).toEqual(expect.arrayContaining([
      'SGD (plain)', 'SGD (momentum 0.9)', 'SGD (nesterov)', 'SGD (weight decay)', 'SGD (momentum 0.9, dampening 0.5)',
      'Adam', 'Adam (weight decay)', 'AdamW (weight decay 0.1)',
    ]));
  });

  for (const [name, c] of Object.entries(fx.cases)) {
    it(name, () => {
      for (const [dtype, tol] of [['float64', TOL.optim64], ['float32', TOL.optim32]] as const) {
        const p = parameter(dtype);
        const opt = makeOptimizer(c, [p]);
        c.iterates.forEach((expected, step) => {
          opt.zeroGrad();
          setQuadraticGradient(p);
          opt.step();
          expectClose(p.value.data, expected, tol, `${name} (${dtype}): parameter after step ${step + 1}`);
        });
        expect(opt.stepCount).toBe(fx.steps);
      }
    });
  }

  it('state() / loadState() resumes mid-run exactly (every case, float64)', () => {
    for (const [name, c] of Object.entries(fx.cases)) {
      const p = parameter('float64');
      const first = makeOptimizer(c, [p]);
      for (let s = 0; s < 5; s++) {
        first.zeroGrad();
        setQuadraticGradient(p);
        first.step();
      }
      const saved = JSON.parse(JSON.stringify(first.state()));
      const second = makeOptimizer(c, [p]);
      second.loadState(saved);
      for (let s = 5; s < fx.steps; s++) {
        second.zeroGrad();
        setQuadraticGradient(p);
        second.step();
        expectClose(p.value.data, c.iterates[s]!, TOL.optim64, `${name}: resumed step ${s + 1}`);
      }
    }
  });

  it('SGD with momentum and dampening 0 is the CMU rule G_M ← α·G_M + G, W ← W − lr·G_M', () => {
    const p = parameter('float64');
    const opt = new optim.SGD([p], { lr: 0.05, momentum: 0.4 });
    const w = Float64Array.from(fx.p0);
    const gm = new Float64Array(fx.n);
    for (let s = 0; s < 10; s++) {
      setQuadraticGradient(p);
      for (let i = 0; i < fx.n; i++) {
        gm[i] = 0.4 * gm[i]! + p.grad.data[i]!;
        w[i] = w[i]! - 0.05 * gm[i]!;
      }
      opt.step();
      expectClose(p.value.data, w, TOL.optim64, `CMU momentum step ${s + 1}`);
    }
  });
});
