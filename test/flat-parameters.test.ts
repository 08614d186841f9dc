// Parameters moved into one flat allocation by their optimiser (parameter.ts: flattenParameters):
// each parameter views its slice, a step over the flat arrays gives the bits of per-parameter
// steps with the same backend's kernels, gradients cleared lazily count as zeros, a parameter
// replaced afterwards (Module.to) sends the optimiser back to per-parameter steps, and the
// normalisation layers' parameters move while their buffers (running statistics) stay apart.

import { describe, expect, it } from 'vitest';
import { allocateFor, kernelsFor } from '../src/backend.js';
import * as nn from '../src/nn.js';
import { Adam, SGD } from '../src/optim/index.js';
import { createParameter, flattenParameters, type Parameter } from '../src/parameter.js';
import { Random } from '../src/random.js';
import { onHost, Tensor, type FloatArray } from '../src/tensor.js';
import { describeBackends, expectOnBackend } from './backends.js';

function net(seed: number): nn.Sequential {
  const rng = new Random(seed);
  return new nn.Sequential(new nn.Conv2d(1, 3, 3, { padding: 1, rng }), new nn.ReLU(), new nn.Flatten(), new nn.Linear(3 * 5 * 5, 7, { rng }));
}

/** A net with BatchNorm2d and LayerNorm: parameters and buffers (running_mean, running_var, num_batches_tracked). */
function normNet(seed: number): nn.Sequential {
  const rng = new Random(seed);
  return new nn.Sequential(
    new nn.Conv2d(1, 3, 3, { padding: 1, rng }), new nn.BatchNorm2d(3), new nn.ReLU(), new nn.Flatten(),
    new nn.LayerNorm(3 * 5 * 5), new nn.Linear(3 * 5 * 5, 7, { rng }),
  );
}

/** The byte range [start, end) of an array inside its buffer. */
const bytes = (a: ArrayBufferView): [ArrayBufferLike, number, number] => [a.buffer, a.byteOffset, a.byteOffset + a.byteLength];
const overlaps = (a: ArrayBufferView, b: ArrayBufferView): boolean => {
  const [ba, sa, ea] = bytes(a), [bb, sb, eb] = bytes(b);
  return ba === bb && sa < eb && sb < ea;
};

function fillGrads(params: Parameter[], seed: number): void {
  const rng = new Random(seed);
  for (const p of params) for (let i = 0; i < p.grad.size; i++) p.grad.data[i] = rng.normal();
}

describe('flattenParameters', () => {
  it('moves values and gradients into one allocation each, 16-float aligned, keeping their numbers', () => {
    const model = net(1);
    const params = model.parameters();
    const before = params.map((p) => Array.from(p.value.data));
    fillGrads(params, 2);
    const grads = params.map((p) => Array.from(p.grad.data));
    const flat = flattenParameters(params)!;
    expect(flat).not.toBeNull();
    params.forEach((p, i) => {
      expect(p.value.data.buffer).toBe(flat.values.buffer);
      expect(p.grad.data.buffer).toBe(flat.grads.buffer);
      expect(p.value.data.byteOffset).toBe(flat.values.byteOffset + flat.offsets[i]! * 4);
      expect(flat.offsets[i]! % 16).toBe(0);
      expect(Array.from(p.value.data)).toEqual(before[i]);
      expect(Array.from(p.grad.data)).toEqual(grads[i]);
    });
    // the gaps between parameters are zeros
    const used = new Set<number>();
    params.forEach((p, i) => { for (let k = 0; k < p.value.size; k++) used.add(flat.offsets[i]! + k); });
    for (let k = 0; k < flat.values.length; k++) if (!used.has(k)) expect(flat.values[k]).toBe(0);
  });

  it('refuses duplicated parameters and mixed dtypes', () => {
    const a = createParameter('a', new Tensor(new Float32Array(3), [3]), new Tensor(new Float32Array(3), [3]));
    const b = createParameter('b', new Tensor(new Float64Array(3), [3]), new Tensor(new Float64Array(3), [3]));
    expect(flattenParameters([a, a])).toBeNull();
    expect(flattenParameters([a, b])).toBeNull();
  });
});

describeBackends('a step over flat parameters', (run) => {
  const OPTS = [
    ['SGD', (p: Parameter[]) => new SGD(p, { lr: 0.1 })],
    ['SGD momentum nesterov decay', (p: Parameter[]) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
    ['Adam', (p: Parameter[]) => new Adam(p, { lr: 1e-2, weightDecay: 0.01 })],
  ] as const;

  it.each(OPTS)('%s: the bits of per-parameter steps, three steps', (_name, make) => {
    const model = net(3);
    const params = model.parameters();
    const opt = make(params);
    expectOnBackend(run, params.map((p) => p.value.storage), 'flat parameter values');
    // the same steps, parameter by parameter, with this backend's kernels on copies in its storage
    const k = kernelsFor('float32');
    const copy = (a: ArrayLike<number>): FloatArray => {
      const c = onHost(allocateFor('float32', a.length));
      c.set(a);
      return c;
    };
    const values = params.map((p) => copy(p.value.data));
    const bufs = params.map((p) => [copy(new Float32Array(p.value.size)), copy(new Float32Array(p.value.size))] as const);
    for (let step = 1; step <= 3; step++) {
      fillGrads(params, 10 + step);
      params.forEach((p, i) => {
        const g = copy(p.grad.data);
        if (opt instanceof SGD) {
          k.sgdStep(values[i]!, g, bufs[i]![0], { lr: opt.lr, momentum: opt.momentum, dampening: 0, weightDecay: opt.weightDecay, nesterov: opt.nesterov, firstStep: step === 1 });
        } else {
          k.adamStep(values[i]!, g, bufs[i]![0], bufs[i]![1], { lr: opt.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: false, step });
        }
      });
      opt.step();
      params.forEach((p, i) => expect(Array.from(p.value.data), `${_name} step ${step}, parameter ${i}`).toEqual(Array.from(onHost(values[i]!))));
    }
  });

  it('normalisation layers: weight and bias move into the flat arrays, the buffers do not; two SGD steps match a model stepped by hand', () => {
    const model = normNet(8);
    const twin = normNet(8);
    const params = model.parameters();
    // Conv2d, BatchNorm2d, LayerNorm and Linear: weight and bias each
    expect(params.map((p) => p.name)).toEqual(['weight', 'bias', 'weight', 'bias', 'weight', 'bias', 'weight', 'bias']);
    const opt = new SGD(params, { lr: 0.25 });
    expectOnBackend(run, params.map((p) => p.value.storage), 'flat parameter values');
    const flat = params[0]!.value.storage;
    params.forEach((p, i) => {
      expect(p.value.storage.buffer, `parameter ${i}`).toBe(flat.buffer);
      expect(p.value.storage.byteOffset - flat.byteOffset, `parameter ${i} lies after the first`).toBeGreaterThanOrEqual(0);
    });
    const length = params.reduce((n, p) => n + Math.ceil(p.value.size / 16) * 16, 0);
    const values = new Float32Array(flat.buffer, flat.byteOffset, length);
    const grads = new Float32Array(params[0]!.grad.storage.buffer, params[0]!.grad.storage.byteOffset, length);
    const buffers = model.namedBuffers();
    expect(buffers.map(([n]) => n)).toEqual(['1.running_mean', '1.running_var', '1.num_batches_tracked']);
    for (const [name, t] of buffers) {
      expect(overlaps(t.storage, values), `${name} inside the flat values`).toBe(false);
      expect(overlaps(t.storage, grads), `${name} inside the flat gradients`).toBe(false);
    }
    const rng = new Random(9);
    for (let step = 1; step <= 2; step++) {
      const x = Tensor.zeros([4, 1, 5, 5]);
      for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
      const dy = Tensor.zeros([4, 7]);
      for (let i = 0; i < dy.size; i++) dy.data[i] = rng.normal();
      opt.zeroGrad();
      model.forward(x);
      model.backward(dy);
      opt.step();
      twin.zeroGrad();
      twin.forward(x);
      twin.backward(dy);
      // lr = 0.25 is a power of two: v − 0.25·g is rounded once in every backend's step
      for (const p of twin.parameters()) {
        const v = p.value.data, g = p.grad.data;
        for (let k = 0; k < v.length; k++) v[k] = Math.fround(v[k]! - 0.25 * g[k]!);
      }
      const ours = model.stateDict(), want = twin.stateDict();
      expect(ours.map(([n]) => n)).toEqual(want.map(([n]) => n));
      ours.forEach(([name, t], i) => expect(Array.from(t.data), `step ${step}: ${name}`).toEqual(Array.from(want[i]![1].data)));
    }
    expect(model.stateDict().find(([n]) => n === '1.num_batches_tracked')![1].data[0]).toBe(2);
  });

  it('a gradient cleared lazily and not written since counts as zeros', () => {
    const model = net(4);
    const params = model.parameters();
    const opt = new SGD(params, { lr: 0.5 });
    fillGrads(params, 5);
    opt.zeroGrad();
    // only the last layer's gradients are written after zeroGrad
    const last = params.at(-1)!;
    last.grad.data.fill(1);
    const before = params.map((p) => Array.from(p.value.data));
    opt.step();
    params.slice(0, -1).forEach((p, i) => expect(Array.from(p.value.data), `parameter ${i}`).toEqual(before[i]));
    expect(Array.from(last.value.data)).toEqual(before.at(-1)!.map((v) => Math.fround(v - 0.5)));
  });

  it('a parameter replaced after the move (Module.to) is still updated, per parameter', () => {
    const model = net(6);
    const params = model.parameters();
    const opt = new SGD(params, { lr: 0.25, momentum: 0.5 });
    const p0 = params[0]!;
    p0.value = new Tensor(Float32Array.from(p0.value.data), p0.value.shape);
    fillGrads(params, 7);
    const want = params.map((p) => Array.from(p.value.data).map((v, k) => Math.fround(v - 0.25 * p.grad.data[k]!)));
    opt.step();
    params.forEach((p, i) => expect(Array.from(p.value.data), `parameter ${i}`).toEqual(want[i]));
  });
});
