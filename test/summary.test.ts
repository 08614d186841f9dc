// model.summary(inputShape): one row per layer (Sequentials opened, dotted names), each with its
// output shape (from a forward pass in eval mode) and parameter count; the totals match the
// model's parameters and buffers; the memory counts parameters with gradients and buffers, and
// every layer's output for the batch; the model's mode and running statistics are untouched.

import { describe, expect, it } from 'vitest';
import { nn, training } from '../src/index.js';

describe('model.summary', () => {
  it('lists every layer of a BatchNorm CNN with its output shape and parameters, and totals that match the model', () => {
    const model = training.buildModel({ kind: 'cnn', batchNorm: true }, [1, 12, 12], 5);
    const before = model.namedBuffers().map(([, t]) => Array.from(t.data));
    const s = model.summary([1, 12, 12], 32);
    expect(model.training).toBe(true);
    expect(model.namedBuffers().map(([, t]) => Array.from(t.data))).toEqual(before);
    expect(s.rows.map((r) => [r.name, r.layer.split('(')[0], r.outputShape, r.params])).toEqual([
      ['0', 'Conv2d', [8, 12, 12], 80], ['1', 'BatchNorm2d', [8, 12, 12], 16], ['2', 'ReLU', [8, 12, 12], 0], ['3', 'MaxPool2d', [8, 6, 6], 0],
      ['4', 'Conv2d', [16, 6, 6], 1168], ['5', 'BatchNorm2d', [16, 6, 6], 32], ['6', 'ReLU', [16, 6, 6], 0], ['7', 'MaxPool2d', [16, 3, 3], 0],
      ['8', 'Flatten', [144], 0], ['9', 'Linear', [64], 9280], ['10', 'BatchNorm1d', [64], 128], ['11', 'ReLU', [64], 0], ['12', 'Linear', [5], 325],
    ]);
    const params = model.parameters().reduce((n, p) => n + p.value.size, 0);
    expect(s.params).toBe(params);
    // running mean and var per channel, and num_batches_tracked, for each of the three BatchNorms
    expect(s.buffers).toBe(2 * 8 + 1 + 2 * 16 + 1 + 2 * 64 + 1);
    expect(s.parameterBytes).toBe((2 * params + s.buffers) * 4);
    const outputs = s.rows.reduce((n, r) => n + r.outputShape.reduce((a, b) => a * b, 1), 0);
    expect(s.activationBytes).toBe(outputs * 32 * 4);
    const text = nn.formatSummary(s);
    expect(text.split('\n')).toHaveLength(2 + 1 + 13 + 1 + 1);
    expect(text).toMatch(/^12 +Linear\(64 → 5\) +\[B, 5\] +325$/m);
  });

  it('opens nested Sequentials with dotted names and names a layer that refuses the input', () => {
    const model = new nn.Sequential(new nn.Linear(6, 4), new nn.Sequential(new nn.ReLU(), new nn.Linear(4, 2)));
    expect(model.summary([6]).rows.map((r) => r.name)).toEqual(['0', '1.0', '1.1']);
    expect(() => model.summary([5])).toThrow(/summary: layer 0 Linear\(6 → 4\) refuses an input of shape \[B, 5\]/);
    expect(() => model.summary([])).toThrow(/inputShape must be the shape of one sample/);
  });
});
