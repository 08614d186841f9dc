// ReLU of NaN, as PyTorch has it (torch 1.13, checked by hand): relu(NaN) = NaN, not 0, and the
// gradient at NaN passes dy (PyTorch's backward tests the output ≤ 0, which NaN is not).
//   x        = [NaN, −1, 0, 2, ∞, −∞],  dy = 1
//   relu(x)  = [NaN,  0, 0, 2, ∞,  0]
//   dx       = [  1,  0, 0, 1, 1,  0]   (times scale for scale·ReLU)
// A NaN that training produces must stay visible downstream instead of turning into a zero.
// The property holds on every backend.

import { expect, it } from 'vitest';
import { ReLU } from '../../src/layers/activations.js';
import { describeBackends, describeOnce, tensorOnBackend } from '../backends.js';

const X = [NaN, -1, 0, 2, Infinity, -Infinity];
const Y = [NaN, 0, 0, 2, Infinity, 0];
const DX = [1, 0, 0, 1, 1, 0];

function check(dtype: 'float32' | 'float64', scale: number): void {
  const relu = new ReLU({ scale });
  const y = relu.forward(tensorOnBackend(X, [1, 6], dtype));
  expect(Array.from(y.data)).toEqual(Y.map((v) => scale * v));
  const dx = relu.backward(tensorOnBackend(new Array(6).fill(1), [1, 6], dtype));
  expect(Array.from(dx.data)).toEqual(DX.map((v) => scale * v));
}

describeBackends('ReLU keeps NaN, as PyTorch does', () => {
  it('float32, scale 1 and 3', () => {
    check('float32', 1);
    check('float32', 3);
  });
});

describeOnce('ReLU keeps NaN, as PyTorch does [float64]', () => {
  it('float64, scale 1 and 3', () => {
    check('float64', 1);
    check('float64', 3);
  });
});
