// Bad input: a wrong shape, dtype or argument throws a HandgradError whose message names the
// layer (or optimiser), what it got and what it expected. Each case asserts the message text:
// [the thing, what it got, what it expected].

import { describe, expect, it } from 'vitest';
import { HandgradError, nn, optim, Tensor, type DType } from '../src/index.js';

const T = (shape: number[], dtype: DType = 'float32'): Tensor => Tensor.zeros(shape, dtype);
const params = (): nn.Parameter[] => new nn.Linear(2, 2).parameters();

/** Runs `f`, expects a HandgradError, and that its message contains every fragment (strings, in order given, or patterns). */
function expectError(f: () => unknown, fragments: (string | RegExp)[]): void {
  let error: unknown = null;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, 'expected an error to be thrown').toBeInstanceOf(HandgradError);
  const message = (error as Error).message;
  for (const frag of fragments) {
    if (typeof frag === 'string') expect(message, `message: ${message}`).toContain(frag);
    else expect(message, `message: ${message}`).toMatch(frag);
  }
}

// [description, action, [layer, got, expected]]
const CASES: [string, () => unknown, (string | RegExp)[]][] = [
  // ---- shapes
  ['Linear: input with the wrong number of features', () => new nn.Linear(4, 3).forward(T([2, 5])),
    ['Linear(4 → 3)', 'got [2, 5]', 'expected an input of shape [batch, 4]']],
  ['Linear: backward with the wrong gradient shape', () => { const l = new nn.Linear(4, 3); l.forward(T([2, 4])); l.backward(T([2, 4])); },
    ['Linear(4 → 3)', 'gradient of shape [2, 4]', 'expected the output shape [2, 3]']],
  ['Flatten: backward with the wrong gradient shape', () => { const f = new nn.Flatten(); f.forward(T([2, 3, 2])); f.backward(T([2, 5])); },
    ['Flatten', '[2, 5]', 'expected the output shape [2, 6]']],
  ['Conv2d: wrong number of channels', () => new nn.Conv2d(3, 2, 3).forward(T([1, 1, 5, 5])),
    ['Conv2d(3 → 2', 'got [1, 1, 5, 5]', 'expected an input of shape [batch, 3, height, width]']],
  ['Conv2d: a flat input', () => new nn.Conv2d(1, 2, 3).forward(T([1, 25])),
    ['Conv2d(1 → 2', 'got [1, 25]', 'expected an input of shape [batch, 1, height, width]']],
  ['Conv2d: kernel larger than the input', () => new nn.Conv2d(1, 2, 5).forward(T([1, 1, 3, 3])),
    ['Conv2d(1 → 2, kernel 5×5', 'kernel 5×5 is larger than the padded input 3×3', 'input 3×3']],
  ['MaxPool2d: kernel larger than the input', () => new nn.MaxPool2d(4).forward(T([1, 1, 3, 3])),
    ['MaxPool2d(kernel 4×4', 'kernel 4×4 is larger than the padded input 3×3', 'input shape [1, 1, 3, 3]']],
  ['MaxPool2d: a flat input', () => new nn.MaxPool2d(2).forward(T([1, 9])),
    ['MaxPool2d', 'got [1, 9]', 'expected an input of shape [batch, channels, height, width]']],
  ['Dropout: a mask of the wrong shape', () => { const d = new nn.Dropout({ p: 0.5 }); d.setMask(T([2, 2])); d.forward(T([2, 3])); },
    ['Dropout(p=0.5, mode=inverted)', 'has shape [2, 2]', 'expected the input shape [2, 3]']],
  ['MSELoss: prediction and target shapes differ', () => new nn.MSELoss().forward(T([2, 3]), T([3, 2])),
    ['MSELoss', 'prediction has shape [2, 3]', 'target has shape [3, 2]', 'must match']],
  ['CrossEntropyLoss: logits that are not [batch, classes]', () => new nn.CrossEntropyLoss().forward(T([6]), [0]),
    ['CrossEntropyLoss', 'got [6]', 'expected logits of shape [batch, classes]']],
  ['CrossEntropyLoss: one-hot rows of the wrong width', () => new nn.CrossEntropyLoss().forward(T([2, 3]), T([2, 4])),
    ['CrossEntropyLoss', 'shape [2, 4]', 'expected [2, 3]']],
  ['CrossEntropyLoss: wrong number of labels', () => new nn.CrossEntropyLoss().forward(T([2, 3]), [0]),
    ['CrossEntropyLoss', 'got 1 class labels', 'batch of 2']],
  ['Tensor.fromArray: wrong number of values', () => Tensor.fromArray([1, 2, 3], [2, 2]),
    ['Tensor.fromArray', 'got 3 values', 'shape [2, 2] needs 4']],
  // ---- dtypes
  ['Linear: float64 input into float32 weights', () => new nn.Linear(4, 3).forward(T([2, 4], 'float64')),
    ['Linear(4 → 3)', 'got a float64 input', 'weights are float32']],
  ['Conv2d: float64 input into float32 weights', () => new nn.Conv2d(1, 1, 2).forward(T([1, 1, 3, 3], 'float64')),
    ['Conv2d(1 → 1', 'got a float64 input', 'weights are float32']],
  ['Linear: float64 gradient for a float32 output', () => { const l = new nn.Linear(4, 3); l.forward(T([2, 4])); l.backward(T([2, 3], 'float64')); },
    ['Linear(4 → 3)', 'got a float64 gradient', 'expected float32']],
  ['CrossEntropyLoss: one-hot targets of another dtype', () => new nn.CrossEntropyLoss().forward(T([2, 3]), T([2, 3], 'float64')),
    ['CrossEntropyLoss', 'one-hot targets are float64', 'logits are float32']],
  ['Sigmoid: not a tensor', () => new nn.Sigmoid().forward(null as unknown as Tensor),
    ['Sigmoid', 'must be a Tensor', 'got null']],
  ['Linear: a plain array instead of a tensor', () => new nn.Linear(4, 3).forward([1, 2] as unknown as Tensor),
    ['Linear(4 → 3)', 'must be a Tensor', 'got an array of length 2']],
  // ---- arguments
  ['Dropout: p = 1', () => new nn.Dropout({ p: 1 }), ['Dropout', 'option p', 'must be < 1', 'got number 1']],
  ['Dropout: p < 0', () => new nn.Dropout({ p: -0.1 }), ['Dropout', 'option p', 'must be ≥ 0', 'got number -0.1']],
  ['Dropout: p = NaN', () => new nn.Dropout({ p: NaN }), ['Dropout', 'option p', 'finite number', 'got number NaN']],
  ['Dropout: unknown mode', () => new nn.Dropout({ mode: 'gaussian' as nn.DropoutMode }), ['Dropout', "'inverted' or 'cmu'", "got 'gaussian'"]],
  ['Linear: zero input features', () => new nn.Linear(0, 3), ['Linear', 'inFeatures', 'must be ≥ 1', 'got number 0']],
  ['Linear: fractional features', () => new nn.Linear(2.5, 3), ['Linear', 'inFeatures', 'must be an integer', 'got number 2.5']],
  ['Conv2d: stride 0', () => new nn.Conv2d(1, 2, 3, { stride: 0 }), ['Conv2d', 'stride', 'must be ≥ 1', 'got number 0']],
  ['Conv2d: negative padding', () => new nn.Conv2d(1, 2, 3, { padding: -1 }), ['Conv2d', 'padding', 'must be ≥ 0', 'got number -1']],
  ['MaxPool2d: padding more than half the kernel', () => new nn.MaxPool2d(2, { padding: 2 }), ['MaxPool2d', 'padding 2×2', 'at most half the kernel 2×2']],
  ['GELU: unknown approximation', () => new nn.GELU({ approximate: 'fast' as 'tanh' }), ['GELU', "'none' or 'tanh'", "got 'fast'"]],
  ['Softplus: beta = 0', () => new nn.Softplus({ beta: 0 }), ['Softplus', 'beta', 'must be > 0', 'got number 0']],
  ['LeakyReLU: NaN slope', () => new nn.LeakyReLU({ negativeSlope: NaN }), ['LeakyReLU', 'negativeSlope', 'finite number', 'got number NaN']],
  ['ReLU: infinite scale', () => new nn.ReLU({ scale: Infinity }), ['ReLU', 'scale', 'finite number', 'got number Infinity']],
  ['Sequential: a non-layer item', () => new nn.Sequential(3 as unknown as nn.Module), ['Sequential', 'item 0', 'must be a layer', 'got number 3']],
  ['MSELoss: unknown reduction', () => new nn.MSELoss({ reduction: 'avg' as nn.Reduction }), ['MSELoss', "'mean' or 'sum'", "got 'avg'"]],
  ['CrossEntropyLoss: label out of range', () => new nn.CrossEntropyLoss().forward(T([2, 3]), [0, 3]),
    ['CrossEntropyLoss', 'label 1 is 3', 'expected an integer class index in [0, 2]']],
  ['CrossEntropyLoss: negative label', () => new nn.CrossEntropyLoss().forward(T([2, 3]), [0, -1]),
    ['CrossEntropyLoss', 'label 1 is -1', 'in [0, 2]']],
  ['CrossEntropyLoss: fractional label', () => new nn.CrossEntropyLoss().forward(T([2, 3]), [0, 1.5]),
    ['CrossEntropyLoss', 'label 1 is 1.5', 'expected an integer class index']],
  ['BCELoss: prediction above 1', () => new nn.BCELoss().forward(Tensor.fromArray([0.5, 1.5], [1, 2]), T([1, 2])),
    ['BCELoss', 'element 1 is 1.5', 'probability in [0, 1]']],
  ['BCELoss: negative prediction', () => new nn.BCELoss().forward(Tensor.fromArray([-0.25, 0.5], [1, 2]), T([1, 2])),
    ['BCELoss', 'element 0 is -0.25', 'probability in [0, 1]']],
  ['SGD: negative lr', () => new optim.SGD(params(), { lr: -0.1 }), ['SGD', 'lr', 'got -0.1', '≥ 0']],
  ['SGD: lr set negative later', () => { const o = new optim.SGD(params(), { lr: 0.1 }); o.lr = -1; }, ['SGD', 'lr', 'got -1', '≥ 0']],
  ['SGD: no parameters', () => new optim.SGD([], { lr: 0.1 }), ['SGD', 'got an empty list', 'expected a non-empty list of parameters']],
  ['SGD: dampening above 1', () => new optim.SGD(params(), { lr: 0.1, momentum: 0.9, dampening: 2 }), ['SGD', 'dampening', 'in [0, 1]', 'got 2']],
  ['SGD: nesterov without momentum', () => new optim.SGD(params(), { lr: 0.1, nesterov: true }),
    ['SGD', 'nesterov', 'requires a momentum > 0 and zero dampening', 'got momentum 0']],
  ['Adam: beta1 = 1', () => new optim.Adam(params(), { betas: [1, 0.999] }), ['Adam', 'betas[0]', 'in [0, 1)', 'got 1']],
  ['AdamW: negative lr', () => new optim.AdamW(params(), { lr: -1 }), ['AdamW', 'lr', '≥ 0', 'got -1']],
  ['SGD.loadState: a state of another optimiser', () => new optim.SGD(params(), { lr: 0.1 }).loadState({ type: 'Adam', step: 1, buffers: [] }),
    ['SGD.loadState', 'for Adam', 'not SGD']],
  ['layerFromConfig: unknown type', () => nn.layerFromConfig({ type: 'Nope' }), ['layerFromConfig', "'Nope'", 'known types: Linear']],
  // ---- order
  ['Linear: backward before forward', () => new nn.Linear(4, 3).backward(T([2, 3])), ['Linear(4 → 3)', 'backward() called before forward()']],
  ['ReLU: backward before forward', () => new nn.ReLU().backward(T([2, 3])), ['ReLU', 'backward() called before forward()']],
  ['Conv2d: backward before forward', () => new nn.Conv2d(1, 1, 2).backward(T([1, 1, 2, 2])), ['Conv2d(1 → 1', 'backward() called before forward()']],
  ['MaxPool2d: backward before forward', () => new nn.MaxPool2d(2).backward(T([1, 1, 2, 2])), ['MaxPool2d', 'backward() called before forward()']],
  ['Dropout: backward before forward', () => new nn.Dropout().backward(T([1, 2])), ['Dropout', 'backward() called before forward()']],
  ['Sequential: backward before forward', () => new nn.Sequential(new nn.Linear(2, 2)).backward(T([2, 2])),
    ['Sequential(Linear(2 → 2))', 'backward() called before forward()']],
  ['CrossEntropyLoss: backward before forward', () => new nn.CrossEntropyLoss().backward(), ['CrossEntropyLoss', 'backward() called before forward()']],
  ['MSELoss: backward before forward', () => new nn.MSELoss().backward(), ['MSELoss', 'backward() called before forward()']],
];

describe('bad input throws an error naming the layer, what it got and what it expected', () => {
  for (const [name, f, fragments] of CASES) it(name, () => expectError(f, fragments));

  it('a failed forward leaves the layer usable', () => {
    const l = new nn.Linear(4, 3);
    expect(() => l.forward(T([2, 5]))).toThrow(HandgradError);
    expect([...l.forward(T([2, 4])).shape]).toEqual([2, 3]);
  });
});
