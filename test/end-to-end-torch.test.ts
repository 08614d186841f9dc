// End to end against PyTorch: a 20-16-12-5 ReLU MLP (built with nn.mlp) and a small CNN
// (conv-relu-pool-conv-relu-pool-flatten-linear on 1×12×12), both loaded with PyTorch's initial
// weights through param.value.data.set(...). Logits, cross-entropy loss and every parameter
// gradient must match PyTorch's, and so must the losses of 20 SGD steps (momentum 0.9) on a
// fixed batch and the weights they end at — in float64 tightly (once: float64 runs on the
// reference kernels on every backend), in float32 to float32 rounding (once per backend of
// test/backends.ts, the network built after the backend is selected).

import { describe, expect, it } from 'vitest';
import { nn, optim, type Tensor, type DType } from '../src/index.js';
import { describeBackends, describeOnce, expectOnBackend, tensorOnBackend, type BackendRun } from './backends.js';
import { expectClose, expectCloseNumber, fixture, loadParameters } from './harness.js';
import { TOL, tol32, type Tolerance } from './tolerances.js';

interface E2EFixture {
  inputShape: number[];
  input: number[];
  labels: number[];
  init: Record<string, number[]>;
  paramShapes: Record<string, number[]>;
  logits: number[];
  loss: number;
  grads: Record<string, number[]>;
  sgd: { lr: number; momentum: number; steps: number };
  losses: number[];
  final: Record<string, number[]>;
}

const fx = fixture<{ mlp: E2EFixture; cnn: E2EFixture }>('e2e.json');

const NETWORKS: Record<'mlp' | 'cnn', () => nn.Sequential> = {
  mlp: () => nn.mlp(20, [16, 12], 5, { activation: 'relu' }),
  cnn: () => new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(4, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(8 * 3 * 3, 5),
  ),
};

/** Builds the network on the current backend, in `dtype`, with PyTorch's initial weights. */
function build(which: 'mlp' | 'cnn', dtype: DType): { model: nn.Sequential; x: Tensor; f: E2EFixture } {
  const f = fx[which];
  const model = NETWORKS[which]().to(dtype);
  loadParameters(model, f.init, f.paramShapes);
  return { model, x: tensorOnBackend(f.input, f.inputShape, dtype), f };
}

/** Logits, loss and every parameter gradient of one forward/backward against PyTorch's. */
function checkGradients(which: 'mlp' | 'cnn', dtype: DType, tol: Tolerance, run?: BackendRun): void {
  const { model, x, f } = build(which, dtype);
  if (run) expectOnBackend(run, model.parameters().map((p) => p.value.data), `${which}: parameters`);
  const lossFn = new nn.CrossEntropyLoss();
  model.zeroGrad();
  const logits = model.forward(x);
  expect([...logits.shape]).toEqual([f.labels.length, 5]);
  expectClose(logits.data, f.logits, tol, `${which} (${dtype}): logits`);
  const L = lossFn.forward(logits, f.labels);
  expectCloseNumber(L, f.loss, tol, `${which} (${dtype}): loss`);
  model.backward(lossFn.backward());
  const named = model.namedParameters();
  expect(named).toHaveLength(Object.keys(f.grads).length);
  for (const [n, p] of named) expectClose(p.grad.data, f.grads[n]!, tol, `${which} (${dtype}): ${n}.grad`);
}

/** 20 SGD steps (momentum 0.9) on the fixed batch: the losses and the final weights against PyTorch's. */
function checkSgdSteps(which: 'mlp' | 'cnn', dtype: DType, tol: Tolerance): void {
  const { model, x, f } = build(which, dtype);
  const lossFn = new nn.CrossEntropyLoss();
  const opt = new optim.SGD(model.parameters(), { lr: f.sgd.lr, momentum: f.sgd.momentum });
  const losses: number[] = [];
  for (let s = 0; s < f.sgd.steps; s++) {
    opt.zeroGrad();
    losses.push(lossFn.forward(model.forward(x), f.labels));
    model.backward(lossFn.backward());
    opt.step();
  }
  expectClose(losses, f.losses, tol, `${which} (${dtype}): losses of 20 SGD steps`);
  // the run really trains: the loss falls
  expect(losses[losses.length - 1]!).toBeLessThan(0.8 * losses[0]!);
  for (const [n, p] of model.namedParameters()) expectClose(p.value.data, f.final[n]!, tol, `${which} (${dtype}): ${n} after 20 steps`);
}

describeOnce('end to end in float64 (reference kernels, on every backend)', () => {
  for (const which of ['mlp', 'cnn'] as const) {
    describe(`${which} = PyTorch`, () => {
      it('logits, loss and every parameter gradient', () => checkGradients(which, 'float64', TOL.e2e64));
      it('the losses of 20 SGD steps (momentum 0.9) on a fixed batch, and the final weights', () => checkSgdSteps(which, 'float64', TOL.e2eSteps64));
    });
  }
});

describeBackends('end to end in float32', (run) => {
  for (const which of ['mlp', 'cnn'] as const) {
    describe(`${which} = PyTorch`, () => {
      it('logits, loss and every parameter gradient', () => checkGradients(which, 'float32', tol32(run).e2e32, run));
      it('the losses of 20 SGD steps (momentum 0.9) on a fixed batch, and the final weights', () => checkSgdSteps(which, 'float32', tol32(run).e2eSteps32));
    });
  }
}, { threadedGemm: true });
