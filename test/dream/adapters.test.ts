// Dream on the course adapters' networks: the CMU TwoLayerMLP (its `layers`) and the NYU MLP (its
// `net`), each trained here for 2 epochs through its own interface on 1500 Fashion-MNIST images
// halved to 14×14 and flattened, then dreamed through dreamModelOf: the image is 14×14, the network
// gets its 196 values, and the class's probability rises past 0.9. Anything else is refused by name.
import { describe, expect, it } from 'vitest';
import { cmu, dream, nn, nyu, optim, Random, Tensor } from '../../src/index.js';
import { fashion, FASHION_CLASSES, halve, MEAN, STD } from './helpers.js';

const N = 1500;
const B = 50;

/** 1500 normalised, flattened 14×14 training images and their labels. */
function data(): { x: Float32Array; y: Int32Array } {
  const full = fashion('train', N);
  const x = halve(full.x, N);
  for (let i = 0; i < x.length; i++) x[i] = (x[i]! - MEAN) / STD;
  return { x, y: full.y };
}

/** Two epochs of minibatches: `step(xb, yb)` trains on one. */
function epochs(step: (xb: Tensor, yb: Int32Array) => void): void {
  const { x, y } = data();
  const rng = new Random(4);
  const xb = Tensor.zeros([B, 196]);
  const yb = new Int32Array(B);
  for (let epoch = 0; epoch < 2; epoch++) {
    const perm = rng.permutation(N);
    for (let s = 0; s < N; s += B) {
      for (let i = 0; i < B; i++) {
        xb.data.set(x.subarray(perm[s + i]! * 196, (perm[s + i]! + 1) * 196), i * 196);
        yb[i] = y[perm[s + i]!]!;
      }
      step(xb, yb);
    }
  }
}

const classifier = { sampleShape: [1, 14, 14], inputShape: [196], normalization: { mean: [MEAN], std: [STD] }, classes: FASHION_CLASSES };
const options = { objective: { kind: 'logprob', class: 1 } as const, steps: 60, seed: 1 };

describe('dream on the adapters', () => {
  it('a CMU TwoLayerMLP: its layers run as one Sequential; Trouser rises past 0.9', () => {
    const net = new cmu.TwoLayerMLP(196, 10, [32, 32], 0.9, 0.2, 0.1, { rng: new Random(2) });
    const loss = new cmu.SoftmaxCrossEntropyLoss();
    epochs((xb, yb) => {
      net.zerograd();
      loss.forward(net.forward(xb, true), yb);
      net.backward(loss.backward());
      net.step();
    });
    const model = dream.dreamModelOf({ ...classifier, model: net });
    expect(model.inputShape).toEqual([1, 14, 14]);
    expect(model.networkInputShape).toEqual([1, 196]);
    expect(model.net.layers).toEqual(net.layers);
    const r = dream.dream(model, options);
    expect(r.image.shape).toEqual([1, 14, 14]);
    expect(r.probability).toBeGreaterThan(0.9);
    expect(r.probability).toBeGreaterThan(r.probabilities[0]!);
  }, 60_000);

  it('the NYU MLP (Linear → ReLU → Linear → identity): its net; Trouser rises past 0.9', () => {
    const net = new nyu.MLP(196, 32, 'relu', 32, 10, 'identity', { rng: new Random(3) });
    const ce = new nn.CrossEntropyLoss();
    const opt = new optim.SGD(net.net.parameters(), { lr: 0.05, momentum: 0.9 });
    epochs((xb, yb) => {
      net.clearGradAndCache();
      ce.forward(net.forward(xb), yb);
      net.backward(ce.backward());
      opt.step();
    });
    const model = dream.dreamModelOf({ ...classifier, model: net });
    expect(model.net).toBe(net.net);
    const r = dream.dream(model, options);
    expect(r.probability).toBeGreaterThan(0.9);
  }, 60_000);

  it('anything else is refused, naming what it got', () => {
    expect(() => dream.dreamModelOf({ ...classifier, model: new nn.Linear(196, 10) })).toThrow(/dream needs a Sequential model \(or the NYU MLP, or a CMU network\), got Linear\(196 → 10\)/);
  });
});
