import { describe, expect, it } from 'vitest';
import { Random, Tensor } from '../src/index.js';

describe('Tensor', () => {
  it('holds a shape and row-major data, in float32 by default', () => {
    const t = Tensor.fromArray([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(Tensor.fromArray([1, 2], [2], 'float64').data).toBeInstanceOf(Float64Array);
    expect(t.reshape([3, -1]).shape).toEqual([3, 2]);
    expect(t.to('float64').dtype).toBe('float64');
  });

  it('names the shape and the count when they disagree', () => {
    expect(() => Tensor.fromArray([1, 2, 3], [2, 2])).toThrow('Tensor.fromArray: got 3 values but shape [2, 2] needs 4');
    expect(() => Tensor.zeros([2, 1.5])).toThrow('shape [2, 1.5] must hold non-negative integers');
    expect(() => Tensor.zeros([2, 3]).reshape([4, 2])).toThrow('cannot view [2, 3] as [4, 2]');
  });
});

describe('Random', () => {
  it('is deterministic per seed and its state can be saved and restored', () => {
    const a = new Random(42);
    const b = new Random(42);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    a.normal();
    const saved = a.getState();
    const next = [a.normal(), a.uniform(), a.normal()];
    const c = new Random(0);
    c.setState(saved);
    expect([c.normal(), c.uniform(), c.normal()]).toEqual(next);
    expect(new Random(43).uniform()).not.toBe(xs[0]);
  });

  it('draws uniforms in [0, 1) with the right mean, normals with unit variance, and permutations', () => {
    const r = new Random(7);
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      s += u;
      const z = r.normal();
      s2 += z * z;
    }
    expect(s / n).toBeCloseTo(0.5, 1);
    expect(s2 / n).toBeCloseTo(1, 1);
    const p = Array.from(r.permutation(100)).sort((x, y) => x - y);
    expect(p).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
