// What the shared harness (layers.test.ts) does not show about BatchNorm, LayerNorm, Softmax,
// LogSoftmax, AvgPool2d, Embedding and NLLLoss: the running statistics over many batches, the
// state dict under PyTorch's names and through a model bundle, configs that rebuild each layer,
// PyTorch's initialisations, LogSoftmax + NLLLoss = CrossEntropyLoss, and errors that name the
// layer, what it got and what it expected.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradcheck, HandgradError, nn, Random, Tensor, training } from '../src/index.js';
import { expectClose } from './harness.js';
import { TOL } from './tolerances.js';
import { torchReady } from './torch.js';

const randn = (shape: number[], rng: Random, scale = 1, shift = 0): Tensor => {
  const t = Tensor.zeros(shape, 'float64');
  for (let i = 0; i < t.size; i++) t.data[i] = shift + scale * rng.normal();
  return t;
};

/** Per-channel mean and biased variance of x (N, C, …), computed here independently. */
function channelStats(x: Tensor): { mean: number[]; variance: number[] } {
  const [N, C] = x.shape as [number, number];
  const S = x.size / (N * C);
  const mean: number[] = [];
  const variance: number[] = [];
  for (let c = 0; c < C; c++) {
    const v: number[] = [];
    for (let b = 0; b < N; b++) for (let s = 0; s < S; s++) v.push(x.data[(b * C + c) * S + s]!);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    mean.push(m);
    variance.push(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
  }
  return { mean, variance };
}

describe('BatchNorm running statistics', () => {
  it('momentum 0.1: running ← 0.9·running + 0.1·batch over five batches (unbiased variance); eval leaves them alone', () => {
    const rng = new Random(1);
    const bn = new nn.BatchNorm2d(3, { dtype: 'float64' });
    const rm = [0, 0, 0];
    const rv = [1, 1, 1];
    for (let k = 0; k < 5; k++) {
      const x = randn([4, 3, 2, 3], rng, 1.5, 0.5 * k);
      const { mean, variance } = channelStats(x);
      const M = 4 * 2 * 3;
      for (let c = 0; c < 3; c++) {
        rm[c] = 0.9 * rm[c]! + 0.1 * mean[c]!;
        rv[c] = 0.9 * rv[c]! + 0.1 * variance[c]! * (M / (M - 1));
      }
      bn.forward(x);
    }
    expectClose(bn.runningMean!.data, rm, TOL.torch64, 'running_mean');
    expectClose(bn.runningVar!.data, rv, TOL.torch64, 'running_var');
    expect(bn.numBatchesTracked).toBe(5);
    bn.eval();
    const before = Float64Array.from(bn.runningMean!.data);
    bn.forward(randn([2, 3, 2, 3], rng, 3, 7));
    expect(Array.from(bn.runningMean!.data)).toEqual(Array.from(before));
    expect(bn.numBatchesTracked).toBe(5);
  });

  it('momentum null: the running mean is the plain average of the batch means (cumulative average)', () => {
    const rng = new Random(2);
    const bn = new nn.BatchNorm1d(4, { momentum: null, dtype: 'float64' });
    const sums = [0, 0, 0, 0];
    for (let k = 0; k < 7; k++) {
      const x = randn([5, 4], rng, 1, k);
      channelStats(x).mean.forEach((m, c) => (sums[c]! += m));
      bn.forward(x);
    }
    expectClose(bn.runningMean!.data, sums.map((s) => s / 7), TOL.torch64, 'running_mean');
    expect(bn.numBatchesTracked).toBe(7);
  });

  it('eval normalises with the running statistics: y = (x − running_mean)/√(running_var + ε)·γ + β', () => {
    const bn = new nn.BatchNorm1d(2, { eps: 0.01, dtype: 'float64' });
    bn.weight!.value.data.set([2, 3]);
    bn.bias!.value.data.set([1, -1]);
    bn.runningMean!.data.set([0.5, -1]);
    bn.runningVar!.data.set([4, 0.25]);
    bn.eval();
    const y = bn.forward(Tensor.fromArray([1.5, 0, 2.5, -2], [2, 2], 'float64'));
    const want = [((1.5 - 0.5) / Math.sqrt(4.01)) * 2 + 1, ((0 + 1) / Math.sqrt(0.26)) * 3 - 1, ((2.5 - 0.5) / Math.sqrt(4.01)) * 2 + 1, ((-2 + 1) / Math.sqrt(0.26)) * 3 - 1];
    expectClose(y.data, want, TOL.torch64, 'eval output');
  });

  it('a single value per channel in training is refused, as PyTorch does', () => {
    expect(() => new nn.BatchNorm1d(3).forward(Tensor.zeros([1, 3]))).toThrow(/more than 1 value per channel when training, got input shape \[1, 3\]/);
    expect(() => new nn.BatchNorm1d(3).eval().forward(Tensor.zeros([1, 3]))).not.toThrow();
  });
});

describe('state dict: PyTorch names and order, through a model bundle', () => {
  it("BatchNorm's state_dict keys are PyTorch's: weight, bias, running_mean, running_var, num_batches_tracked", () => {
    expect(new nn.BatchNorm2d(3).stateDict().map(([n, t]) => [n, [...t.shape]])).toEqual([
      ['weight', [3]], ['bias', [3]], ['running_mean', [3]], ['running_var', [3]], ['num_batches_tracked', []],
    ]);
    expect(new nn.BatchNorm1d(3, { affine: false }).stateDict().map(([n]) => n)).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    expect(new nn.BatchNorm1d(3, { trackRunningStats: false }).stateDict().map(([n]) => n)).toEqual(['weight', 'bias']);
    const seq = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.Flatten(), new nn.Linear(8, 3), new nn.LayerNorm(3));
    expect(seq.stateDict().map(([n]) => n)).toEqual([
      '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked',
      '3.weight', '3.bias', '4.weight', '4.bias',
    ]);
  });

  /** What a model bundle needs besides the network: a 1×4×4 image data set of 3 classes. */
  const INFO: training.ModelInfo = {
    normalization: { mode: 'none', mean: [0], std: [1] },
    classes: ['a', 'b', 'c'],
    data: { name: 'test images', sampleShape: [1, 4, 4] },
  };

  it('a model bundle carries the running statistics: the reloaded model gives the same eval outputs', () => {
    const rng = new Random(3);
    const a = new nn.Sequential(new nn.Conv2d(1, 2, 3, { rng }), new nn.BatchNorm2d(2, { momentum: null }), new nn.ReLU(), new nn.Flatten(), new nn.Linear(8, 3, { rng }));
    for (let k = 0; k < 3; k++) a.forward(randn([4, 1, 4, 4], rng, 1, k).to('float32'));
    a.eval();
    const x = randn([2, 1, 4, 4], rng).to('float32');
    const want = a.forward(x).clone();
    const bytes = training.saveModel(a, INFO);
    expect([...training.readSafetensors(bytes, 'memory').tensors.keys()]).toContain('1.running_var');
    const { model: b } = training.loadModel(bytes, 'memory');
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(want.data));
    expect((b.children()[1]![1] as nn.BatchNorm2d).numBatchesTracked).toBe(3);
  });

  // PyTorch's side: the same Sequential, load_state_dict(strict=True) from the file handgrad wrote
  // (read by scripts/safetensors_fixture.py), eval, and its output on the same input.
  const TORCH_SIDE = `
import json, sys, torch
import torch.nn as nn
sys.path.insert(0, sys.argv[1])
from safetensors_fixture import read
tensors, _ = read(sys.argv[2])
m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2, momentum=None), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
m.load_state_dict(tensors, strict=True)
m.eval()
x = torch.tensor(json.loads(sys.argv[3]), dtype=torch.float32).reshape(2, 1, 4, 4)
print(json.dumps({'output': m(x).detach().flatten().tolist(), 'num_batches_tracked': int(m[1].num_batches_tracked)}))
`;
  it.skipIf(!torchReady)('a BatchNorm CNN bundle loads into PyTorch with load_state_dict(strict=True) and gives the same eval output (runs where python3-torch exists)', () => {
    const rng = new Random(6);
    const m = new nn.Sequential(new nn.Conv2d(1, 2, 3, { rng }), new nn.BatchNorm2d(2, { momentum: null }), new nn.ReLU(), new nn.Flatten(), new nn.Linear(8, 3, { rng }));
    for (let k = 0; k < 3; k++) m.forward(randn([4, 1, 4, 4], rng, 1, k).to('float32'));
    m.eval();
    const x = randn([2, 1, 4, 4], rng).to('float32');
    const ours = m.forward(x).clone();
    const path = join(mkdtempSync(join(tmpdir(), 'hg-bn-')), 'model.safetensors');
    writeFileSync(path, training.saveModel(m, INFO));
    const scripts = join(import.meta.dirname, '../scripts');
    const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', TORCH_SIDE, scripts, path, JSON.stringify(Array.from(x.data))], { encoding: 'utf8' })) as {
      output: number[]; num_batches_tracked: number;
    };
    expect(out.num_batches_tracked).toBe(3);
    expectClose(ours.data, out.output, TOL.torch32, 'eval output: handgrad vs PyTorch after load_state_dict');
  });

  it('loading weights without the buffers names the missing one', () => {
    const w = new Map(new nn.BatchNorm1d(2).namedParameters().map(([n, p]) => [n, p.value]));
    expect(() => training.loadWeights(new nn.BatchNorm1d(2), w, 'file.safetensors')).toThrow(/file.safetensors: no tensor 'running_mean' .*shape \[2\]/);
  });
});

describe('configs rebuild every new layer', () => {
  const layers: nn.Module[] = [
    new nn.BatchNorm1d(4, { eps: 1e-3, momentum: null, affine: false }),
    new nn.BatchNorm2d(3, { momentum: 0.3, trackRunningStats: false }),
    new nn.LayerNorm([3, 4], { eps: 1e-6, elementwiseAffine: false }),
    new nn.Softmax({ dim: -1 }),
    new nn.LogSoftmax({ dim: 1 }),
    new nn.AvgPool2d([2, 3], { stride: [1, 2], padding: 1 }),
    new nn.Embedding(7, 3, { paddingIdx: -1 }),
  ];
  for (const l of layers) {
    it(l.describe(), () => {
      const c = JSON.parse(JSON.stringify(l.config())) as nn.LayerConfig;
      const back = nn.layerFromConfig(c);
      expect(back.config()).toEqual(l.config());
      expect(back.stateDict().map(([n, t]) => [n, [...t.shape]])).toEqual(l.stateDict().map(([n, t]) => [n, [...t.shape]]));
    });
  }
});

describe("PyTorch's initialisations", () => {
  it('BatchNorm and LayerNorm: γ = 1, β = 0, running_mean = 0, running_var = 1, num_batches_tracked = 0', () => {
    const bn = new nn.BatchNorm2d(3);
    expect(bn.stateDict().map(([n, t]) => [n, Array.from(t.data)])).toEqual([
      ['weight', [1, 1, 1]], ['bias', [0, 0, 0]], ['running_mean', [0, 0, 0]], ['running_var', [1, 1, 1]], ['num_batches_tracked', [0]],
    ]);
    const ln = new nn.LayerNorm(2);
    expect(ln.stateDict().map(([n, t]) => [n, Array.from(t.data)])).toEqual([['weight', [1, 1]], ['bias', [0, 0]]]);
  });

  it('Embedding: weights N(0, 1), the padding row zero (negative paddingIdx counts from the end)', () => {
    const e = new nn.Embedding(1000, 20, { paddingIdx: -2, rng: new Random(4) });
    expect(e.paddingIdx).toBe(998);
    const w = e.weight.value.data;
    expect(Array.from(w.subarray(998 * 20, 999 * 20))).toEqual(new Array(20).fill(0));
    let s = 0;
    let q = 0;
    for (const v of w) {
      s += v;
      q += v * v;
    }
    // 20 000 draws (20 of them zeros): mean 0 ± 0.007, variance 1 ± 0.01 (one sd)
    expect(Math.abs(s / w.length)).toBeLessThan(0.04);
    expect(Math.abs(q / w.length - 1)).toBeLessThan(0.06);
  });
});

describe('LogSoftmax followed by NLLLoss is CrossEntropyLoss', () => {
  it('same loss, same dL/dlogits (float64)', () => {
    const rng = new Random(5);
    const z = randn([6, 4], rng, 2);
    const labels = [0, 3, 1, 1, 2, 0];
    const ce = new nn.CrossEntropyLoss();
    const want = ce.forward(z, labels);
    const wantGrad = ce.backward().clone();
    const ls = new nn.LogSoftmax({ dim: 1 });
    const nll = new nn.NLLLoss();
    expect(nll.forward(ls.forward(z), labels)).toBeCloseTo(want, 14);
    expectClose(ls.backward(nll.backward()).data, wantGrad.data, TOL.torch64, 'dL/dlogits');
  });

  it('ignoreIndex: ignored rows add nothing and are not counted in the mean', () => {
    const z = Tensor.fromArray([-1, -2, -3, -4, -5, -6], [3, 2], 'float64');
    expect(new nn.NLLLoss({ ignoreIndex: 9 }).forward(z, [1, 9, 0])).toBe((2 + 5) / 2);
    expect(new nn.NLLLoss({ reduction: 'sum' }).forward(z, [-100, -100, -100])).toBe(0);
  });
});

// [description, action, message fragments: the layer, what it got, what it expected]
const T = (shape: number[]): Tensor => Tensor.zeros(shape);
const ERRORS: [string, () => unknown, (string | RegExp)[]][] = [
  ['BatchNorm2d: a flat input', () => new nn.BatchNorm2d(3).forward(T([2, 3])), ['BatchNorm2d(3', 'got [2, 3]', 'expected an input of shape [batch, 3, height, width]']],
  ['BatchNorm1d: wrong channels', () => new nn.BatchNorm1d(3).forward(T([2, 4])), ['BatchNorm1d(3', 'got [2, 4]', '[batch, 3] or [batch, 3, length]']],
  ['BatchNorm1d: float64 input into a float32 layer', () => new nn.BatchNorm1d(3).forward(Tensor.zeros([2, 3], 'float64')), ['BatchNorm1d(3', 'got a float64 input', 'layer is float32']],
  ['BatchNorm1d: momentum above 1', () => new nn.BatchNorm1d(3, { momentum: 2 }), ['BatchNorm1d', 'momentum', '≤ 1', 'got number 2']],
  ['BatchNorm2d: eps 0', () => new nn.BatchNorm2d(3, { eps: 0 }), ['BatchNorm2d', 'eps', '> 0', 'got number 0']],
  ['BatchNorm2d: affine not a boolean', () => new nn.BatchNorm2d(3, { affine: 1 as unknown as boolean }), ['BatchNorm2d', 'affine', 'true or false', 'got number 1']],
  ['BatchNorm2d: backward before forward', () => new nn.BatchNorm2d(3).backward(T([2, 3, 1, 1])), ['BatchNorm2d(3', 'backward() called before forward()']],
  ['LayerNorm: wrong trailing shape', () => new nn.LayerNorm([3, 4]).forward(T([2, 4, 3])), ['LayerNorm([3, 4]', 'got [2, 4, 3]', 'expected an input of shape [..., 3, 4]']],
  ['LayerNorm: empty shape', () => new nn.LayerNorm([]), ['LayerNorm', 'normalizedShape', 'non-empty array', 'got an array of length 0']],
  ['Softmax: no dim', () => new nn.Softmax({} as nn.SoftmaxOptions), ['Softmax', 'option dim', 'integer axis', 'got undefined']],
  ['LogSoftmax: dim out of range', () => new nn.LogSoftmax({ dim: 2 }).forward(T([2, 3])), ['LogSoftmax(dim=2)', 'out of range', 'shape [2, 3] (rank 2)']],
  ['AvgPool2d: padding more than half the kernel', () => new nn.AvgPool2d(2, { padding: 2 }), ['AvgPool2d', 'padding 2×2', 'at most half the kernel 2×2']],
  ['AvgPool2d: a flat input', () => new nn.AvgPool2d(2).forward(T([1, 9])), ['AvgPool2d', 'got [1, 9]', 'expected an input of shape [batch, channels, height, width]']],
  ['Embedding: index out of range', () => new nn.Embedding(5, 2).forward(Tensor.fromArray([1, 5], [2])), ['Embedding(5, 2)', 'index 1 of the input (shape [2]) is 5', 'integer row in [0, 4]']],
  ['Embedding: fractional index', () => new nn.Embedding(5, 2).forward(Tensor.fromArray([1.5], [1])), ['Embedding(5, 2)', 'is 1.5', 'integer row']],
  ['Embedding: paddingIdx out of range', () => new nn.Embedding(5, 2, { paddingIdx: 5 }), ['Embedding', 'paddingIdx', '≤ 4', 'got number 5']],
  ['NLLLoss: label out of range', () => new nn.NLLLoss().forward(T([2, 3]), [0, 3]), ['NLLLoss', 'label 1 is 3', 'in [0, 2] or ignoreIndex -100']],
  ['NLLLoss: every target ignored, mean', () => new nn.NLLLoss().forward(T([2, 3]), [-100, -100]), ['NLLLoss', 'every target of the batch is ignoreIndex -100', 'undefined']],
  ['NLLLoss: backward before forward', () => new nn.NLLLoss().backward(), ['NLLLoss', 'backward() called before forward()']],
];

describe('bad input throws an error naming the layer, what it got and what it expected', () => {
  for (const [name, f, fragments] of ERRORS) {
    it(name, () => {
      let error: unknown = null;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(error, 'expected an error').toBeInstanceOf(HandgradError);
      const message = (error as Error).message;
      for (const frag of fragments) {
        if (typeof frag === 'string') expect(message).toContain(frag);
        else expect(message).toMatch(frag);
      }
    });
  }
});

describe('gradcheck leaves a BatchNorm as it found it', () => {
  it('same dtype (also without parameters), same running statistics', () => {
    const rng = new Random(8);
    for (const bn of [new nn.BatchNorm1d(3), new nn.BatchNorm1d(3, { affine: false, momentum: null })]) {
      bn.forward(randn([4, 3], rng, 1, 2).to('float32'));
      const before = bn.stateDict().map(([n, t]) => [n, t.dtype, Array.from(t.data)]);
      expect(gradcheck(bn, randn([5, 3], rng)).passed).toBe(true);
      expect(bn.stateDict().map(([n, t]) => [n, t.dtype, Array.from(t.data)])).toEqual(before);
    }
  });
});

describe('configs from outside are checked against the schema before anything is built', () => {
  const CONFIG_ERRORS: [string, unknown, RegExp][] = [
    ['BatchNorm2d momentum above 1', { type: 'BatchNorm2d', numFeatures: 3, momentum: 2 }, /momentum must be ≤ 1, got number 2/],
    ['BatchNorm1d without numFeatures', { type: 'BatchNorm1d' }, /numFeatures is missing \(BatchNorm1d needs it\)/],
    ['BatchNorm1d eps 0', { type: 'BatchNorm1d', numFeatures: 2, eps: 0 }, /eps must be > 0/],
    ['LayerNorm without normalizedShape', { type: 'LayerNorm' }, /normalizedShape is missing/],
    ['LayerNorm with a shape of zeros', { type: 'LayerNorm', normalizedShape: [3, 0] }, /normalizedShape must be an integer in \[1, \d+\] or a list/],
    ['Softmax without dim', { type: 'Softmax' }, /dim is missing \(Softmax needs it\)/],
    ['LogSoftmax with a fractional dim', { type: 'LogSoftmax', dim: 0.5 }, /dim must be an integer/],
    ['Embedding with a fractional paddingIdx', { type: 'Embedding', numEmbeddings: 4, embeddingDim: 2, paddingIdx: 1.5 }, /paddingIdx must be null or an integer/],
    ['an unknown BatchNorm option', { type: 'BatchNorm2d', numFeatures: 3, track_running_stats: false }, /track_running_stats is not an option of BatchNorm2d/],
    ['a huge Embedding', { type: 'Embedding', numEmbeddings: 2 ** 24, embeddingDim: 2 ** 24 }, /parameters; at most/],
  ];
  for (const [what, config, message] of CONFIG_ERRORS) {
    it(what, () => expect(() => nn.layerFromConfig(config)).toThrow(message));
  }

  it('momentum null and paddingIdx null are valid values, not missing ones', () => {
    expect(nn.layerFromConfig({ type: 'BatchNorm1d', numFeatures: 2, momentum: null }).config()).toMatchObject({ momentum: null });
    expect(nn.layerFromConfig({ type: 'Embedding', numEmbeddings: 4, embeddingDim: 2, paddingIdx: null }).config()).toMatchObject({ paddingIdx: null });
  });
});
