// The gradient with respect to the input, through the layers' own backward passes, against
// central finite differences in float64: for a CNN and an MLP, every objective kind, combined
// objectives, and the whole pixel-space step (jitter roll, octave resize, normalisation).
import { describe, expect, it } from 'vitest';
import { nn, Random, Tensor } from '../../src/index.js';
import {
  inputGradient, objectiveScore, PixelObjective, resolveLayer, layerNames, type Objective,
} from '../../src/dream/index.js';

const EPS = 1e-5;
const TOL = 1e-6;

function smallCnn(): nn.Sequential {
  const rng = new Random(11);
  return new nn.Sequential(
    new nn.Conv2d(1, 3, 3, { padding: 1, rng, dtype: 'float64' }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(3, 4, 3, { padding: 1, rng, dtype: 'float64' }), new nn.Tanh(),
    new nn.Flatten(), new nn.Linear(4 * 4 * 4, 5, { rng, dtype: 'float64' }),
  ).eval();
}

function randomInput(shape: number[], seed: number): Tensor {
  const t = Tensor.zeros(shape, 'float64');
  new Random(seed).fillNormal(t.data);
  return t;
}

/** Max relative error of the analytic input gradient against central differences of f. */
function fdError(x: Tensor, analytic: ArrayLike<number>, f: () => number): number {
  let worst = 0;
  for (let i = 0; i < x.size; i++) {
    const v = x.data[i]!;
    x.data[i] = v + EPS;
    const up = f();
    x.data[i] = v - EPS;
    const down = f();
    x.data[i] = v;
    const num = (up - down) / (2 * EPS);
    const err = Math.abs(num - analytic[i]!) / Math.max(Math.abs(num), Math.abs(analytic[i]!), 1e-4);
    worst = Math.max(worst, err);
  }
  return worst;
}

describe('layer names', () => {
  it('resolves indices, typed names and logits; unknown names list the layers', () => {
    const net = smallCnn();
    expect(layerNames(net).map(([, n]) => n)).toEqual(['conv1', 'relu1', 'pool1', 'conv2', 'tanh1', 'flatten1', 'linear1']);
    expect(resolveLayer(net, 'conv2')).toBe(3);
    expect(resolveLayer(net, '3')).toBe(3);
    expect(resolveLayer(net, 'maxpool1')).toBe(2);
    expect(resolveLayer(net, 'logits')).toBe(6);
    expect(() => resolveLayer(net, 'conv3')).toThrow(/no layer named 'conv3'.*0=conv1/);
  });
});

describe('inputGradient matches finite differences (float64)', () => {
  const cnnObjectives: [string, Objective][] = [
    ['class logit', { kind: 'logit', class: 2 }],
    ['class log-probability', { kind: 'logprob', class: 4 }],
    ['channel mean of conv2', { kind: 'channel', layer: 'conv2', channel: 1 }],
    ['single neuron of relu1', { kind: 'neuron', layer: 'relu1', index: [2, 3, 5] }],
    ['DeepDream mean square of tanh1', { kind: 'deepdream', layer: 'tanh1' }],
  ];
  for (const [name, objective] of cnnObjectives) {
    it(`CNN: ${name}`, () => {
      const net = smallCnn();
      const x = randomInput([1, 1, 8, 8], 5);
      const { score, grad } = inputGradient(net, x, objective);
      expect(grad.shape).toEqual([1, 1, 8, 8]);
      expect(score).toBeCloseTo(objectiveScore(net, x, objective), 12);
      expect(fdError(x, grad.data, () => objectiveScore(net, x, objective))).toBeLessThan(TOL);
    });
  }

  it('CNN: the class logit objective is the logit itself (sign: ascent raises the logit)', () => {
    const net = smallCnn();
    const x = randomInput([1, 1, 8, 8], 6);
    const { score, grad } = inputGradient(net, x, { kind: 'logit', class: 3 });
    const z = net.forward(x).data[3]!;
    expect(score).toBeCloseTo(z, 12);
    // independent of the dream code: finite differences of net.forward's logit 3
    expect(fdError(x, grad.data, () => net.forward(x).data[3]!)).toBeLessThan(TOL);
    // a small step along +grad raises the logit, along −grad lowers it
    const step = (sgn: number): number => {
      const y = x.clone();
      for (let i = 0; i < y.size; i++) y.data[i]! += sgn * 1e-3 * grad.data[i]!;
      return net.forward(y).data[3]!;
    };
    expect(step(1)).toBeGreaterThan(z);
    expect(step(-1)).toBeLessThan(z);
  });

  it('CNN: a middle-layer channel gradient matches differences of forwardTrace', () => {
    const net = smallCnn();
    const x = randomInput([1, 1, 8, 8], 7);
    const { grad } = inputGradient(net, x, { kind: 'channel', layer: '3', channel: 2 });
    const mean = (): number => {
      const a = net.forwardTrace(x)[4]!; // output of layer 3 (conv2): (1, 4, 4, 4)
      let s = 0;
      for (let i = 2 * 16; i < 3 * 16; i++) s += a.data[i]!;
      return s / 16;
    };
    expect(fdError(x, grad.data, mean)).toBeLessThan(TOL);
  });

  it('MLP: logit, log-probability, a hidden neuron and DeepDream', () => {
    const net = nn.mlp(12, [9, 7], 4, { activation: 'tanh', dtype: 'float64', rng: new Random(2) }).eval();
    const x = randomInput([1, 12], 8);
    const objectives: Objective[] = [
      { kind: 'logit', class: 1 },
      { kind: 'logprob', class: 3 },
      { kind: 'neuron', layer: 'tanh2', index: 4 },
      { kind: 'channel', layer: '0', channel: 6 },
      { kind: 'deepdream', layer: 'tanh1' },
    ];
    for (const o of objectives) {
      const { grad } = inputGradient(net, x, o);
      expect(fdError(x, grad.data, () => objectiveScore(net, x, o))).toBeLessThan(TOL);
    }
    // and the logit against the network's own forward
    const { grad } = inputGradient(net, x, { kind: 'logit', class: 2 });
    expect(fdError(x, grad.data, () => net.forward(x).data[2]!)).toBeLessThan(TOL);
  });

  it('combined objectives add up: score and gradient are the weighted sums', () => {
    const net = smallCnn();
    const x = randomInput([1, 1, 8, 8], 9);
    const a: Objective = { kind: 'logit', class: 0 };
    const b: Objective = { kind: 'channel', layer: 'conv1', channel: 2 };
    const c: Objective = { kind: 'deepdream', layer: 'relu1' };
    const ga = inputGradient(net, x, a);
    const gb = inputGradient(net, x, b);
    const gc = inputGradient(net, x, c);
    const both = inputGradient(net, x, [{ ...a, weight: 2 }, { ...b, weight: -0.5 }, { ...c, weight: 0.25 }]);
    expect(both.score).toBeCloseTo(2 * ga.score - 0.5 * gb.score + 0.25 * gc.score, 10);
    for (let i = 0; i < x.size; i++) {
      expect(both.grad.data[i]).toBeCloseTo(2 * ga.grad.data[i]! - 0.5 * gb.grad.data[i]! + 0.25 * gc.grad.data[i]!, 10);
    }
    // two objectives on the same layer share its gradient buffer correctly
    const same = inputGradient(net, x, [b, { kind: 'channel', layer: 'conv1', channel: 0 }]);
    const g0 = inputGradient(net, x, { kind: 'channel', layer: 'conv1', channel: 0 });
    for (let i = 0; i < x.size; i++) expect(same.grad.data[i]).toBeCloseTo(gb.grad.data[i]! + g0.grad.data[i]!, 12);
  });

  it('the whole pixel-space step (roll, octave resize, normalisation) matches finite differences', () => {
    const net = smallCnn();
    // one mean/std for the image, and one per pixel (a 'per-feature' run)
    const perPixel = { mean: Array.from({ length: 64 }, (_, i) => 0.1 + i / 200), std: Array.from({ length: 64 }, (_, i) => 0.2 + i / 100) };
    for (const norm of [{ mean: 0.3, std: 0.4 }, perPixel]) {
      const model = { net, inputShape: [1, 8, 8] as [number, number, number], ...norm };
      const o = new PixelObjective(model, [{ kind: 'logit', class: 1 }, { kind: 'channel', layer: 'conv2', channel: 3, weight: 0.5 }]);
      for (const [h, w, dy, dx] of [[8, 8, 2, -1], [6, 5, -1, 2], [8, 8, 0, 0]] as const) {
        const s = { channels: 1, height: h, width: w };
        const img = Tensor.zeros([1, h, w], 'float64');
        new Random(h * 10 + w).fillUniform(img.data, 0, 1);
        const g = new Float64Array(h * w);
        o.run(img.data, s, dy, dx, g);
        expect(fdError(img, g, () => o.run(img.data, s, dy, dx, null).score)).toBeLessThan(TOL);
      }
    }
    expect(() => new PixelObjective({ net, inputShape: [1, 8, 8], std: [1, 2] }, { kind: 'logit', class: 0 })).toThrow(/std must be/);
  });
});
