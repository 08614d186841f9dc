// A Sequential runs a ReLU (scale 1) followed by a MaxPool2d as one step, relu(maxPool(x)) with
// the ReLU's mask applied to the pooled gradient. It must give the bits of the two layers run one
// after the other: the output, the input gradient and every parameter gradient exactly equal
// (inputs with ties, zeros, negative windows, ±∞ and NaN; 2×2 windows and overlapping padded
// 3×3 ones), on every backend. A ReLU of another scale runs on its own; a backward() of the
// skipped ReLU alone fails.

import { expect, test } from 'vitest';
import { Random } from '../src/random.js';
import * as nn from '../src/nn.js';
import type { Tensor } from '../src/tensor.js';
import { describeBackends, tensorOnBackend } from './backends.js';

/**
 * A batch of small integers (ties in most windows), zeros of both signs, one image's first channel
 * entirely negative (every window ≤ 0), and where `special`, a few ±∞ and NaN.
 */
function input(shape: number[], seed: number, special: boolean): Tensor {
  const rng = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, () => [0, -0, 1, 1, 2, -1, -2][Math.floor(rng.uniform() * 7)]!);
  for (let i = 0; i < shape[2]! * shape[3]!; i++) data[i] = -1 - Math.floor(rng.uniform() * 3);
  if (special) for (const [i, v] of [[70, NaN], [75, NaN], [100, Infinity], [130, -Infinity]] as const) data[i] = v;
  return tensorOnBackend(data, shape, 'float32');
}

/** ReLU → pool on the input itself (its ties), then conv → ReLU → overlapping padded 3×3 pool. */
function layersOf(scale: number): nn.Module[] {
  const rng = new Random(7);
  return [
    new nn.ReLU({ scale }), new nn.MaxPool2d(2),
    new nn.Conv2d(2, 3, 3, { padding: 1, rng }), new nn.ReLU(), new nn.MaxPool2d(3, { stride: 2, padding: 1 }),
    new nn.Flatten(), new nn.Linear(3 * 2 * 2, 5, { rng }),
  ];
}

interface Result { y: number[]; dx: number[]; grads: number[][] }

/** Forward and backward of `layers` on x with dy = g, either through a Sequential or one layer at a time. */
function run(layers: nn.Module[], x: Tensor, g: (y: Tensor) => Tensor, sequential: boolean): Result {
  const params = layers.flatMap((l) => l.parameters());
  for (const p of params) p.grad.data.fill(0);
  let y: Tensor, dx: Tensor;
  if (sequential) {
    const model = new nn.Sequential(...layers);
    y = model.forward(x);
    dx = model.backward(g(y));
  } else {
    const ins: Tensor[] = [];
    let h = x;
    for (const l of layers) {
      ins.push(h);
      h = l.forward(h);
    }
    y = h;
    let d = g(y);
    for (let i = layers.length - 1; i >= 0; i--) d = layers[i]!.backward(d);
    dx = d;
  }
  return { y: Array.from(y.data), dx: Array.from(dx.data), grads: params.map((p) => Array.from(p.grad.data)) };
}

const sameBits = (a: number[], b: number[]): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describeBackends('ReLU then MaxPool2d as one step of a Sequential', () => {
  for (const scale of [1, 1.5]) {
    for (const special of [false, true]) {
      test(`the bits of the layers one at a time (ReLU scale ${scale}${special ? ', with ±∞ and NaN' : ''})`, () => {
        const x = input([3, 2, 8, 8], 11, special);
        const rng = new Random(5);
        const layers = layersOf(scale);
        const outShape = layers.reduce((h, l) => l.forward(h), x).shape;
        const dyData = Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => rng.normal());
        const g = (y: Tensor): Tensor => tensorOnBackend(dyData, y.shape, 'float32');
        const fused = run(layers, x, g, true);
        const plain = run(layers, x, g, false);
        expect(sameBits(fused.y, plain.y), 'output').toBe(true);
        expect(sameBits(fused.dx, plain.dx), 'input gradient').toBe(true);
        expect(fused.dx.some((v) => v !== 0) && fused.dx.some((v) => Object.is(v, 0)), 'the input gradient has zeros and non-zeros').toBe(true);
        if (special) {
          expect(fused.y.some(Number.isNaN), 'NaN reaches the output').toBe(true);
        } else {
          fused.grads.forEach((gr, i) => expect(sameBits(gr, plain.grads[i]!), `parameter gradient ${i}`).toBe(true));
        }
      });
    }
  }

  test('the ReLU the step ran inside the pool has no saved batch: its own backward() fails', () => {
    const layers = layersOf(1);
    const model = new nn.Sequential(...layers);
    const x = input([1, 2, 8, 8], 3, false);
    const y = model.forward(x);
    model.backward(tensorOnBackend(new Float32Array(y.size).fill(1), y.shape, 'float32'));
    const relu = layers[3]!;
    expect(() => relu.backward(tensorOnBackend(new Float32Array(3 * 16), [1, 3, 4, 4], 'float32'))).toThrow(/backward\(\) called before forward\(\)/);
  });
});
