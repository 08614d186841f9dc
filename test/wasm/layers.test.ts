// Every layer of src/layers, forward and backward, on the reference and the wasm backend with the
// same weights and inputs: outputs, input gradients and parameter gradients must agree within
// float32 tolerance. Losses and a few optimiser steps of a small MLP and CNN too.
//
// Tolerance table (per element, `ref` = reference backend result, `scale` = max |ref| over the tensor):
//   layers without a GEMM (activations, pool, flatten, dropout)   |Δ| ≤ 1e-6·|ref| + 1e-7·scale
//   Linear, Conv2d, Sequential, losses' gradients                 |Δ| ≤ 1e-5·|ref| + 2e-5·scale
//   loss values                                                   relative 1e-5
//   parameters after optimiser steps                              |Δ| ≤ 1e-5·|ref| + 2e-5·scale
// (GEMM accumulates in float32 in wasm and in float64 in the reference.)

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backend, initWasm, refBackend, setBackend, shutdownWasm, wasmRuntime } from '../../src/backend.js';
import { Tensor } from '../../src/tensor.js';
import { Random } from '../../src/random.js';
import * as nn from '../../src/nn.js';
import { SGD } from '../../src/optim/sgd.js';
import { Adam } from '../../src/optim/adam.js';
import { randomArray, worst } from './helpers.js';

type Backends = 'ref' | 'wasm';

interface LayerCase {
  name: string;
  make: () => nn.Module;
  inputShape: number[];
  gemm: boolean;
  train?: boolean;
}

const cases: LayerCase[] = [
  { name: 'Linear', make: () => new nn.Linear(37, 19), inputShape: [13, 37], gemm: true },
  { name: 'Linear without bias', make: () => new nn.Linear(8, 33, { bias: false }), inputShape: [5, 8], gemm: true },
  { name: 'ReLU', make: () => new nn.ReLU(), inputShape: [7, 33], gemm: false },
  { name: 'ReLU scaled', make: () => new nn.ReLU({ scale: 1.5 }), inputShape: [7, 33], gemm: false },
  { name: 'LeakyReLU', make: () => new nn.LeakyReLU({ negativeSlope: 0.05 }), inputShape: [7, 33], gemm: false },
  { name: 'Sigmoid', make: () => new nn.Sigmoid(), inputShape: [7, 33], gemm: false },
  { name: 'Tanh', make: () => new nn.Tanh(), inputShape: [7, 33], gemm: false },
  { name: 'GELU', make: () => new nn.GELU(), inputShape: [7, 33], gemm: false },
  { name: 'GELU tanh', make: () => new nn.GELU({ approximate: 'tanh' }), inputShape: [7, 33], gemm: false },
  { name: 'Softplus', make: () => new nn.Softplus({ beta: 2, threshold: 10 }), inputShape: [7, 33], gemm: false },
  { name: 'Identity', make: () => new nn.Identity(), inputShape: [7, 33], gemm: false },
  { name: 'Dropout inverted', make: () => new nn.Dropout({ p: 0.3, seed: 5 }), inputShape: [9, 21], gemm: false, train: true },
  { name: 'Dropout cmu', make: () => new nn.Dropout({ p: 0.2, mode: 'cmu', seed: 5 }), inputShape: [9, 21], gemm: false, train: true },
  { name: 'Dropout eval', make: () => new nn.Dropout({ p: 0.2, mode: 'cmu', seed: 5 }), inputShape: [9, 21], gemm: false, train: false },
  { name: 'Conv2d', make: () => new nn.Conv2d(3, 4, [3, 3], { stride: [2, 1], padding: [1, 1] }), inputShape: [2, 3, 9, 8], gemm: true },
  { name: 'Conv2d 1x1 no bias', make: () => new nn.Conv2d(5, 6, [1, 1], { bias: false }), inputShape: [3, 5, 4, 4], gemm: true },
  { name: 'MaxPool2d', make: () => new nn.MaxPool2d([2, 2]), inputShape: [2, 3, 8, 6], gemm: false },
  { name: 'MaxPool2d padded', make: () => new nn.MaxPool2d([3, 3], { stride: [2, 2], padding: [1, 1] }), inputShape: [2, 3, 7, 9], gemm: false },
  { name: 'Flatten', make: () => new nn.Flatten(), inputShape: [2, 3, 4, 5], gemm: false },
  {
    name: 'Sequential MLP',
    make: () => new nn.Sequential(new nn.Linear(30, 40), new nn.ReLU(), new nn.Dropout({ p: 0.25, seed: 3 }), new nn.Linear(40, 10), new nn.Tanh()),
    inputShape: [16, 30], gemm: true, train: true,
  },
  {
    name: 'Sequential CNN',
    make: () => new nn.Sequential(
      new nn.Conv2d(1, 4, [3, 3], { padding: [1, 1] }), new nn.ReLU(), new nn.MaxPool2d([2, 2]),
      new nn.Flatten(), new nn.Linear(4 * 5 * 5, 10),
    ),
    inputShape: [3, 1, 10, 10], gemm: true,
  },
];

function copyParams(from: nn.Module, to: nn.Module): void {
  const src = from.parameters();
  const dst = to.parameters();
  dst.forEach((p, i) => p.value.data.set(src[i]!.value.data));
}

function expectClose(got: Tensor | Float32Array, want: Tensor | Float32Array, gemm: boolean, what: string): void {
  const g = got instanceof Tensor ? got.data : got;
  const w = want instanceof Tensor ? want.data : want;
  let scale = 0;
  for (let i = 0; i < w.length; i++) scale = Math.max(scale, Math.abs(w[i]!));
  const r = worst(g, w, gemm ? 1e-5 : 1e-6, (gemm ? 2e-5 : 1e-7) * scale);
  expect(r.excess, `${what}[${r.at}] = ${r.got}, reference ${r.want}`).toBe(0);
}

function inputFor(shape: number[], seed: number): Float32Array {
  let n = 1;
  for (const d of shape) n *= d;
  return randomArray(new Random(seed), n, 2, [0, 1, -1, 100, -100]);
}

/** Runs a layer made on `which` backend with weights copied from `weightsFrom`. */
function run(which: Backends, c: LayerCase, weightsFrom: nn.Module, xInMemory: boolean) {
  setBackend(which);
  const layer = c.make();
  copyParams(weightsFrom, layer);
  layer.train(c.train ?? true);
  const xs = inputFor(c.inputShape, 11);
  const x = xInMemory ? new Tensor(backend().allocate('float32', xs.length) as Float32Array, c.inputShape) : new Tensor(xs.slice(), c.inputShape);
  if (xInMemory) x.data.set(xs);
  const y = layer.forward(x).clone();
  const dy = new Tensor(inputFor(y.shape as number[], 12), y.shape);
  layer.zeroGrad();
  const dx = layer.backward(dy).clone();
  // a second backward with another batch must accumulate into the same parameter gradients
  return { y, dx, grads: layer.parameters().map((p) => p.grad.clone()) };
}

describe('layers: wasm backend against the reference backend', () => {
  beforeAll(async () => {
    await initWasm({ threads: 2, minFlopsPerThread: 0, spinMicros: 200 });
  });
  afterAll(async () => {
    setBackend('ref');
    await shutdownWasm();
  });

  test('the wasm backend describes itself and keeps float64 on the reference', () => {
    setBackend('wasm');
    expect(backend().describe()).toMatch(/^wasm \(simd128(\+relaxed)?, 2 threads\)$/);
    const a = backend().allocate('float32', 10);
    expect(a).toBeInstanceOf(Float32Array);
    expect(backend().allocate('float64', 10)).toBeInstanceOf(Float64Array);
    expect(backend().dtypes).toEqual(['float32']);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s: forward and backward agree', (_n, c) => {
    setBackend('ref');
    const weights = c.make();
    const want = run('ref', c, weights, false);
    for (const xInMemory of [false, true]) {
      const got = run('wasm', c, weights, xInMemory);
      const where = xInMemory ? 'input in wasm memory' : 'input in a JS array';
      expectClose(got.y, want.y, c.gemm, `${c.name} output (${where})`);
      expectClose(got.dx, want.dx, c.gemm, `${c.name} input gradient (${where})`);
      got.grads.forEach((g, i) => expectClose(g, want.grads[i]!, c.gemm, `${c.name} parameter gradient ${i} (${where})`));
    }
  });

  test('parameters of a layer made on the wasm backend live in wasm memory', async () => {
    setBackend('wasm');
    const l = new nn.Linear(4, 3);
    for (const p of l.parameters()) {
      expect(wasmRuntime()!.inMemory(p.value.data)).toBe(true);
      expect(wasmRuntime()!.inMemory(p.grad.data)).toBe(true);
    }
  });

  const losses = [
    { name: 'MSELoss', make: () => new nn.MSELoss(), target: (shape: number[]) => new Tensor(inputFor(shape, 21), shape) },
    { name: 'BCELoss', make: () => new nn.BCELoss(), pred: 'sigmoid', target: (shape: number[]) => new Tensor(inputFor(shape, 21).map((v) => (v > 0 ? 1 : 0)), shape) },
    { name: 'BCEWithLogitsLoss', make: () => new nn.BCEWithLogitsLoss(), target: (shape: number[]) => new Tensor(inputFor(shape, 21).map((v) => (v > 0 ? 1 : 0)), shape) },
    { name: 'CrossEntropyLoss labels', make: () => new nn.CrossEntropyLoss(), target: (shape: number[]) => Array.from({ length: shape[0]! }, (_, i) => (i * 7) % shape[1]!) },
    {
      name: 'CrossEntropyLoss one-hot', make: () => new nn.CrossEntropyLoss({ reduction: 'sum' }),
      target: (shape: number[]) => new Tensor(new Float32Array(shape[0]! * shape[1]!).map((_, i) => (i % shape[1]! === (i * 3) % 5 ? 1 : 0)), shape),
    },
  ];
  test.each(losses.map((l) => [l.name, l] as const))('%s: value and gradient agree', (_n, l) => {
    const shape = [17, 10];
    const results = (['ref', 'wasm'] as const).map((which) => {
      setBackend(which);
      let pred = new Tensor(inputFor(shape, 20).map((v) => v * 3), shape);
      if (l.pred === 'sigmoid') pred = new Tensor(pred.data.map((v) => 1 / (1 + Math.exp(-v))).map((v) => Math.min(Math.max(v, 1e-4), 1 - 1e-4)), shape);
      const loss = l.make();
      const value = loss.forward(pred, l.target(shape) as Tensor);
      return { value, grad: loss.backward().clone() };
    });
    expect(Math.abs(results[1]!.value - results[0]!.value)).toBeLessThanOrEqual(1e-5 * Math.abs(results[0]!.value));
    expectClose(results[1]!.grad, results[0]!.grad, true, `${l.name} gradient`);
  });

  test.each([
    ['SGD momentum, MLP', 'mlp', (ps: nn.Parameter[]) => new SGD(ps, { lr: 0.05, momentum: 0.4 })],
    ['Adam, CNN', 'cnn', (ps: nn.Parameter[]) => new Adam(ps, { lr: 1e-2 })],
  ] as const)('%s: three training steps agree', (_n, which, makeOpt) => {
    const c = cases.find((x) => x.name === (which === 'mlp' ? 'Sequential MLP' : 'Sequential CNN'))!;
    setBackend('ref');
    const weights = c.make();
    const finals = (['ref', 'wasm'] as const).map((b) => {
      setBackend(b);
      const model = c.make();
      copyParams(weights, model);
      const opt = makeOpt(model.parameters());
      const loss = new nn.CrossEntropyLoss();
      for (let step = 0; step < 3; step++) {
        const x = new Tensor(inputFor(c.inputShape, 30 + step), c.inputShape);
        const logits = model.forward(x);
        const labels = Array.from({ length: c.inputShape[0]! }, (_, i) => (i + step) % logits.shape[1]!);
        model.zeroGrad();
        loss.forward(logits, labels);
        model.backward(loss.backward());
        opt.step();
      }
      return model.parameters().map((p) => p.value.clone());
    });
    finals[1]!.forEach((p, i) => expectClose(p, finals[0]![i]!, true, `${which} parameter ${i} after 3 steps`));
  });

  test('refBackend is untouched by the wasm backend', () => {
    expect(refBackend.name).toBe('ref');
    expect(refBackend.dtypes).toEqual(['float32', 'float64']);
  });
});
