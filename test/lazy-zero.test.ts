// Optimizer.zeroGrad() clears a layer's gradients lazily (src/layers/module.ts): the next dW GEMM
// overwrites (beta = 0) instead of filling zeros and then adding. These tests pin the contract
// that makes this invisible: after zeroGrad the gradient reads as zeros, the first backward gives
// exactly the gradient of a fresh layer, the second one adds to it, and a parameter no backward
// touched still reads as zeros (the optimiser never sees stale values).

import { expect, it } from 'vitest';
import { nn, optim, Random, Tensor } from '../src/index.js';
import { describeBackends } from './backends.js';

function net(seed: number): nn.Sequential {
  const rng = new Random(seed);
  return new nn.Sequential(
    new nn.Conv2d(1, 2, 3, { padding: 1, rng }), new nn.ReLU(), new nn.Flatten(),
    new nn.Linear(2 * 5 * 5, 7, { rng }), new nn.ReLU(), new nn.Linear(7, 3, { rng }),
  );
}

function input(): { x: Tensor; labels: number[] } {
  const rng = new Random(5);
  const x = Tensor.zeros([4, 1, 5, 5]);
  rng.fillNormal(x.data);
  return { x, labels: [0, 2, 1, 2] };
}

/** Gradients of one forward/backward (cloned: the buffers are reused). */
function backwardOnce(model: nn.Sequential, loss: nn.CrossEntropyLoss): void {
  const { x, labels } = input();
  loss.forward(model.forward(x), labels);
  model.backward(loss.backward());
}

const grads = (model: nn.Module): number[][] => model.parameters().map((p) => Array.from(p.grad.data));

describeBackends('Optimizer.zeroGrad is lazy and invisible', () => {
  it('reads as zeros, then the first backward equals a fresh model\'s, the second doubles it', () => {
    const loss = new nn.CrossEntropyLoss();
    const fresh = net(1);
    backwardOnce(fresh, loss);
    const expected = grads(fresh);

    const model = net(1);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    backwardOnce(model, loss);
    backwardOnce(model, loss); // stale, non-zero gradients
    opt.zeroGrad();
    for (const g of grads(model)) expect(g.every((v) => v === 0)).toBe(true);

    opt.zeroGrad();
    backwardOnce(model, loss); // overwrites (beta = 0)
    expect(grads(model)).toEqual(expected);
    backwardOnce(model, loss); // accumulates (beta = 1)
    const doubled = grads(model);
    doubled.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(2 * expected[i]![j]!, 5)));
  });

  it('a step after zeroGrad without backward does not move the weights', () => {
    const loss = new nn.CrossEntropyLoss();
    const model = net(2);
    const opt = new optim.SGD(model.parameters(), { lr: 0.5, momentum: 0.9 });
    backwardOnce(model, loss);
    opt.zeroGrad();
    const before = model.parameters().map((p) => Array.from(p.value.data));
    opt.step();
    expect(model.parameters().map((p) => Array.from(p.value.data))).toEqual(before);
  });
});
