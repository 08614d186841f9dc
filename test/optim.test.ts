// The optimisers against torch.optim: 10 steps on the quadratic f(p) = ½ (p − c)ᵀ A (p − c)
// (gradient A (p − c), recomputed from the current p at every step, exactly as the fixture
// script did), every iterate compared, in float64 (once: the reference kernels run float64 on
// every backend) and in float32 (once per backend of test/backends.ts: the sgdStep / adamStep /
// rmspropStep kernels on parameters, gradients and buffers the backend allocated), against
// PyTorch's float64 iterates and against its own float32 run. Plus save/load round trips, and
// the registry (optim.OPTIMIZERS) against the classes.

import { describe, expect, it } from 'vitest';
import { type nn, optim, type DType } from '../src/index.js';
import { BACKENDS, describeBackends, describeOnce, expectOnBackend, tensorOnBackend, useBackend } from './backends.js';
import { kernelsFor } from '../src/backend.js';
import { expectClose, fixture } from './harness.js';
import { TOL, tol32, type Tolerance } from './tolerances.js';

interface OptimCase {
  kind: optim.OptimizerName;
  options: {
    lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number; betas?: [number, number]; eps?: number;
    alpha?: number; centered?: boolean;
  };
  /** PyTorch's iterates in float64, and with the parameter and state in float32. */
  iterates: number[][];
  iterates32: number[][];
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

/** The parameter p0, its storage from the current backend (as a layer's would be). */
function parameter(dtype: DType): nn.Parameter {
  return { name: 'p', value: tensorOnBackend(fx.p0, [fx.n], dtype), grad: tensorOnBackend(new Array<number>(fx.n).fill(0), [fx.n], dtype) };
}

function makeOptimizer(c: OptimCase, params: nn.Parameter[]): optim.Optimizer {
  const o = c.options;
  if (c.kind === 'sgd') return new optim.SGD(params, o);
  if (c.kind === 'rmsprop') return new optim.RMSprop(params, { lr: o.lr, alpha: o.alpha, eps: o.eps, weightDecay: o.weightDecay, momentum: o.momentum, centered: o.centered });
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

/** 10 steps in one dtype on the current backend, every iterate against PyTorch's (its float64 ones by default). */
function checkSteps(name: string, c: OptimCase, dtype: DType, tol: Tolerance, iterates = c.iterates): optim.Optimizer {
  const p = parameter(dtype);
  const opt = makeOptimizer(c, [p]);
  iterates.forEach((expected, step) => {
    opt.zeroGrad();
    setQuadraticGradient(p);
    opt.step();
    expectClose(p.value.data, expected, tol, `${name} (${dtype}): parameter after step ${step + 1}`);
  });
  expect(opt.stepCount).toBe(fx.steps);
  return opt;
}

describeBackends('optimisers in float32 against torch.optim (10 steps on a fixed quadratic)', (run) => {
  for (const [name, c] of Object.entries(fx.cases)) it(name, () => checkSteps(name, c, 'float32', tol32(run).optim32));
  for (const [name, c] of Object.entries(fx.cases)) {
    it(`${name}: against PyTorch's float32 run`, () => checkSteps(name, c, 'float32', tol32(run).optim32, c.iterates32));
  }

  it('the parameter, its gradient and the optimiser state are stored by the backend', () => {
    const p = parameter('float32');
    const sgd = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    const adam = new optim.Adam([p]);
    // (private fields, read here only to prove where they live: src/optim/sgd.ts, adam.ts)
    const { buffers } = sgd as unknown as { buffers: Float32Array[] };
    const { m, v } = adam as unknown as { m: Float32Array[]; v: Float32Array[] };
    const state = [buffers[0], m[0], v[0]];
    for (const a of state) expect(a, 'SGD momentum buffer, Adam m and v').toBeInstanceOf(Float32Array);
    expectOnBackend(run, [p.value.data, p.grad.data, ...(state as Float32Array[])], 'optimiser storage');
  });
});

describeOnce('optimisers in float64 against torch.optim (10 steps on a fixed quadratic; reference kernels, on every backend)', () => {
  it('covers SGD plain, momentum, nesterov, weight decay, dampening, Adam / AdamW with weight decay, and every RMSprop option', () => {
    expect(Object.keys(fx.cases)).toEqual(expect.arrayContaining([
      'SGD (plain)', 'SGD (momentum 0.9)', 'SGD (nesterov)', 'SGD (weight decay)', 'SGD (momentum 0.9, dampening 0.5)',
      'Adam', 'Adam (weight decay)', 'AdamW (weight decay 0.1)',
      'RMSprop', 'RMSprop (alpha 0.9, eps 1e-6)', 'RMSprop (weight decay)', 'RMSprop (momentum 0.9)', 'RMSprop (centered)',
      'RMSprop (centered, momentum 0.5, weight decay 0.05)',
    ]));
    // every optimiser of the registry has fixtures
    expect([...new Set(Object.values(fx.cases).map((c) => c.kind))].sort()).toEqual([...optim.OPTIMIZER_NAMES].sort());
  });

  for (const [name, c] of Object.entries(fx.cases)) it(name, () => checkSteps(name, c, 'float64', TOL.optim64));

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

  it('a resumed run is bit-identical to an uninterrupted one (every case, float64 and float32)', () => {
    const step = (o: optim.Optimizer, p: nn.Parameter): void => {
      o.zeroGrad();
      setQuadraticGradient(p);
      o.step();
    };
    for (const dtype of ['float64', 'float32'] as const) {
      for (const [name, c] of Object.entries(fx.cases)) {
        const straight = parameter(dtype);
        const whole = makeOptimizer(c, [straight]);
        for (let s = 0; s < fx.steps; s++) step(whole, straight);
        // 4 steps, the state through JSON (as a checkpoint holds it), a new optimiser for the rest
        const split = parameter(dtype);
        const first = makeOptimizer(c, [split]);
        for (let s = 0; s < 4; s++) step(first, split);
        const second = makeOptimizer(c, [split]);
        second.loadState(JSON.parse(JSON.stringify(first.state())));
        for (let s = 4; s < fx.steps; s++) step(second, split);
        const at = split.value.data.findIndex((v, i) => !Object.is(v, straight.value.data[i]));
        expect(at, `${name} (${dtype}): resumed parameter[${at}] = ${split.value.data[at]}, uninterrupted ${straight.value.data[at]}`).toBe(-1);
        expect(Array.from(straight.value.data), `${name} (${dtype}): moved from p0`).not.toEqual(Array.from(parameter(dtype).value.data));
      }
    }
  });

  it('the state is tagged with the registry name, and each registry entry builds its optimiser', () => {
    const p = parameter('float64');
    for (const name of optim.OPTIMIZER_NAMES) {
      const hyper = optim.resolveOptimizerHyper(name, { lr: 0.01 });
      const o = optim.OPTIMIZERS[name].build([p], hyper);
      expect(o.kind, name).toBe(name);
      expect(o.state().type, name).toBe(name);
      expect(o.label, name).toBe(optim.OPTIMIZERS[name].label);
      expect(o.lr).toBe(0.01);
    }
    // a state saved under the class name still loads; another optimiser's is refused
    const sgd = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    sgd.loadState({ ...sgd.state(), type: 'SGD' });
    expect(() => sgd.loadState({ ...new optim.Adam([p]).state() })).toThrow(/saved state is for adam, not SGD \('sgd'\)/);
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

describe('weight decay 0 adds nothing (PyTorch skips the term: 0·p would make an infinite p NaN)', () => {
  const h = { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, firstStep: true };
  const hAdam = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 };
  for (const run of BACKENDS.filter((r) => r.name === 'ref' || r.threads === 1)) {
    it(`on ${run.label}: an infinite parameter stays infinite under SGD (with and without momentum) and Adam`, async () => {
      await useBackend(run);
      const k = kernelsFor('float32');
      for (const momentum of [0, 0.9]) {
        const p = tensorOnBackend([Infinity, 1, 2, 3, 4], [5], 'float32').data;
        const g = tensorOnBackend([1, 1, 1, 1, 1], [5], 'float32').data;
        const b = tensorOnBackend([0, 0, 0, 0, 0], [5], 'float32').data;
        k.sgdStep(p, g, b, { ...h, momentum });
        expect(p[0]).toBe(Infinity);
      }
      const p = tensorOnBackend([Infinity, 1, 2, 3, 4], [5], 'float32').data;
      const zeros = () => tensorOnBackend([0, 0, 0, 0, 0], [5], 'float32').data;
      k.adamStep(p, tensorOnBackend([1, 1, 1, 1, 1], [5], 'float32').data, zeros(), zeros(), hAdam);
      expect(p[0]).toBe(Infinity);
    });
  }
});
