// The assignments' interfaces are thin adapters: they must compute exactly what the shared
// layers compute, with the homework's update rules.
import { describe, expect, it } from 'vitest';
import { Random, Tensor, cmu, nn, nyu, optim } from '../src/index.js';

function randn(shape: number[], rng: Random, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const t = Tensor.zeros(shape, dtype);
  rng.fillNormal(t.data);
  return t;
}

describe('NYU MLP(in1, out1, f, in2, out2, g)', () => {
  it('forward is g(W2 f(W1 x + b1) + b2) and backward fills dJdW1…dJdb2 like the layers', () => {
    const rng = new Random(3);
    const net = new nyu.MLP(4, 6, 'relu', 6, 2, 'sigmoid', { dtype: 'float64', rng });
    const x = randn([5, 4], rng);
    const y = Tensor.fromArray([1, 0, 0, 1, 1, 1, 0, 0, 1, 0], [5, 2], 'float64');
    const { W1, b1, W2, b2 } = net.parameters;
    // Written out by hand from the parameter tensors.
    const yHat = net.forward(x).clone();
    for (let n = 0; n < 5; n++) {
      const h = Array.from({ length: 6 }, (_, j) => {
        let s = b1.data[j]!;
        for (let i = 0; i < 4; i++) s += W1.data[j * 4 + i]! * x.data[n * 4 + i]!;
        return Math.max(0, s);
      });
      for (let k = 0; k < 2; k++) {
        let s = b2.data[k]!;
        for (let j = 0; j < 6; j++) s += W2.data[k * 6 + j]! * h[j]!;
        expect(yHat.data[n * 2 + k]).toBeCloseTo(1 / (1 + Math.exp(-s)), 12);
      }
    }
    const { J, dJdy_hat } = nyu.bceLoss(y, yHat);
    expect(J).toBeGreaterThan(0);
    net.forward(x);
    net.backward(dJdy_hat);
    // The same computation through plain layers gives the same gradients.
    const l1 = new nn.Linear(4, 6, { dtype: 'float64' });
    const l2 = new nn.Linear(6, 2, { dtype: 'float64' });
    l1.weight.value.data.set(W1.data); l1.bias!.value.data.set(b1.data);
    l2.weight.value.data.set(W2.data); l2.bias!.value.data.set(b2.data);
    const seq = new nn.Sequential(l1, new nn.ReLU(), l2, new nn.Sigmoid());
    const loss = new nn.BCELoss();
    loss.forward(seq.forward(x), y);
    seq.backward(loss.backward());
    const g = net.grads;
    expect(Array.from(g.dJdW1.data)).toEqual(Array.from(l1.weight.grad.data));
    expect(Array.from(g.dJdb2.data)).toEqual(Array.from(l2.bias!.grad.data));
    net.clearGradAndCache();
    expect(g.dJdW1.data.every((v) => v === 0)).toBe(true);
    expect(() => net.backward(dJdy_hat)).toThrow(/before forward/);
  });

  it('mseLoss returns J = mean (ŷ − y)² and dJ/dŷ = 2(ŷ − y)/N', () => {
    const y = Tensor.fromArray([1, 2, 3, 4], [2, 2], 'float64');
    const yHat = Tensor.fromArray([1.5, 2, 2, 4], [2, 2], 'float64');
    const { J, dJdy_hat } = nyu.mseLoss(y, yHat);
    expect(J).toBeCloseTo((0.25 + 0 + 1 + 0) / 4, 14);
    expect(Array.from(dJdy_hat.data)).toEqual([0.25, 0, -0.5, 0]);
  });

  it('rejects mismatched hidden sizes by name', () => {
    expect(() => new nyu.MLP(3, 4, 'relu', 5, 1, 'identity')).toThrow(/linear_1_out_features \(4\) must equal linear_2_in_features \(5\)/);
  });
});

describe('CMU Transform interface', () => {
  it('LinearMap momentum follows G_M ← α·G_M + G, W ← W − lr·G_M', () => {
    const rng = new Random(5);
    const lm = new cmu.LinearMap(3, 2, 0.4, 0.1, { dtype: 'float64', rng });
    const W = lm.getW().clone();
    let GM = new Float64Array(W.size);
    const x = randn([4, 3], rng);
    for (let step = 0; step < 3; step++) {
      lm.zerograd();
      lm.forward(x);
      const dy = randn([4, 2], rng);
      lm.backward(dy);
      // G = dyᵀ x
      const G = new Float64Array(6);
      for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) for (let n = 0; n < 4; n++) G[o * 3 + i]! += dy.data[n * 2 + o]! * x.data[n * 3 + i]!;
      GM = GM.map((g, k) => 0.4 * g + G[k]!);
      for (let k = 0; k < 6; k++) W.data[k]! -= 0.1 * GM[k]!;
      lm.step();
      for (let k = 0; k < 6; k++) expect(lm.getW().data[k]).toBeCloseTo(W.data[k]!, 12);
    }
  });

  it('ReLU with dropout: training zeroes units with probability p, eval scales by 1 − p', () => {
    const relu = new cmu.ReLU(0.25, { rng: new Random(9) });
    const x = Tensor.full([200, 50], 2, 'float64');
    const yTrain = relu.forward(x, true);
    const zeros = yTrain.data.filter((v) => v === 0).length / yTrain.size;
    expect(zeros).toBeGreaterThan(0.22);
    expect(zeros).toBeLessThan(0.28);
    expect(yTrain.data.every((v) => v === 0 || v === 2)).toBe(true);
    const yEval = relu.forward(x, false);
    expect(yEval.data.every((v) => v === 1.5)).toBe(true);
  });

  it('SoftmaxCrossEntropyLoss gives the mean loss, its gradient and the accuracy', () => {
    const loss = new cmu.SoftmaxCrossEntropyLoss();
    const logits = Tensor.fromArray([2, 0, 0, 0, 3, 0], [2, 3], 'float64');
    const onehot = Tensor.fromArray([1, 0, 0, 0, 0, 1], [2, 3], 'float64');
    const L = loss.forward(logits, onehot);
    const lse0 = Math.log(Math.exp(2) + 2);
    const lse1 = Math.log(Math.exp(3) + 2);
    expect(L).toBeCloseTo((lse0 - 2 + lse1 - 0) / 2, 12);
    expect(loss.getAccu()).toBe(0.5);
    const g = loss.backward();
    expect(g.data[0]).toBeCloseTo((Math.exp(2) / Math.exp(lse0) - 1) / 2, 12);
  });

  it('TwoLayerMLP equals the same Sequential trained with optim.SGD(momentum)', () => {
    const rng = new Random(11);
    const net = new cmu.TwoLayerMLP(5, 3, [8, 6], 0.4, 0, 0.05, { dtype: 'float64', rng });
    const seq = nn.mlp(5, [8, 6], 3, { dtype: 'float64' });
    const lins = seq.layers.filter((l): l is nn.Linear => l instanceof nn.Linear);
    lins.forEach((l, i) => {
      l.weight.value.data.set(net.getWs()[i]!.data);
      l.bias!.value.data.set(net.getbs()[i]!.data);
    });
    const opt = new optim.SGD(seq.parameters(), { lr: 0.05, momentum: 0.4 });
    const ce1 = new cmu.SoftmaxCrossEntropyLoss();
    const ce2 = new nn.CrossEntropyLoss();
    const x = randn([7, 5], rng);
    const labels = [0, 1, 2, 0, 1, 2, 0];
    for (let s = 0; s < 5; s++) {
      net.zerograd();
      const a = ce1.forward(net.forward(x, true), labels);
      net.backward(ce1.backward());
      net.step();
      opt.zeroGrad();
      const b = ce2.forward(seq.forward(x), labels);
      seq.backward(ce2.backward());
      opt.step();
      expect(a).toBeCloseTo(b, 12);
    }
    expect(net.getWs()[2]!.data[0]).toBeCloseTo(lins[2]!.weight.value.data[0]!, 12);
  });
});

describe('computeInputGradient = false', () => {
  it('skips dL/dx (zeros) and leaves the parameter gradients unchanged', () => {
    const rng = new Random(2);
    for (const make of [() => new nn.Linear(5, 4, { rng, dtype: 'float64' }), () => new nn.Conv2d(2, 3, 3, { rng, dtype: 'float64', padding: 1 })]) {
      const a = make();
      const b = make();
      b.parameters().forEach((p, i) => p.value.data.set(a.parameters()[i]!.value.data));
      b.computeInputGradient = false;
      const x = a instanceof nn.Linear ? randn([3, 5], rng) : randn([2, 2, 4, 4], rng);
      const ya = a.forward(x);
      const dy = randn([...ya.shape], rng);
      const dxa = a.backward(dy);
      b.forward(x);
      const dxb = b.backward(dy);
      expect(dxa.data.some((v) => v !== 0)).toBe(true);
      expect(dxb.data.every((v) => v === 0)).toBe(true);
      a.parameters().forEach((p, i) => expect(Array.from(b.parameters()[i]!.grad.data)).toEqual(Array.from(p.grad.data)));
    }
  });
});
