// Tensors print as PyTorch prints them (the expected bodies are torch 1.13's `str(t)` of the same
// values), then the shape and dtype; randn/rand/arange draw from the seeded generator.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Random, Tensor, formatTensor, globalRandom, manualSeed } from '../src/index.js';

/** torch's print of a tensor of the default dtype, with handgrad's shape and dtype appended. */
function withSuffix(torchStr: string, shape: string, dtype = 'float32'): string {
  return `${torchStr.slice(0, -1)}, shape=${shape}, dtype=${dtype})`;
}

describe('Tensor printing', () => {
  it('prints integral values with a trailing point, rows on lines of their own, like torch', () => {
    const t = Tensor.arange(6).reshape([2, 3]);
    expect(String(t)).toBe('tensor([[0., 1., 2.],\n        [3., 4., 5.]], shape=[2, 3], dtype=float32)');
    expect(t.toString()).toBe(String(t));
    expect(`${t}`).toBe(String(t));
  });

  it('prints four decimals and separates the blocks of a 3-D tensor by a blank line', () => {
    const t = Tensor.arange(24).reshape([2, 3, 4]);
    t.data.forEach((v, i) => (t.data[i] = v / 8));
    const torch = 'tensor([[[0.0000, 0.1250, 0.2500, 0.3750],\n         [0.5000, 0.6250, 0.7500, 0.8750],\n         [1.0000, 1.1250, 1.2500, 1.3750]],\n\n'
      + '        [[1.5000, 1.6250, 1.7500, 1.8750],\n         [2.0000, 2.1250, 2.2500, 2.3750],\n         [2.5000, 2.6250, 2.7500, 2.8750]]])';
    expect(String(t)).toBe(withSuffix(torch, '[2, 3, 4]'));
  });

  it('summarises past 1000 elements with the first and last three of each dimension around ...', () => {
    const t = Tensor.arange(2000).reshape([40, 50]);
    const torch = 'tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n         4.9000e+01],\n'
      + '        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n         9.9000e+01],\n'
      + '        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n         1.4900e+02],\n'
      + '        ...,\n'
      + '        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n         1.8990e+03],\n'
      + '        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n         1.9490e+03],\n'
      + '        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n         1.9990e+03]])';
    expect(String(t)).toBe(withSuffix(torch, '[40, 50]'));
    const big = Tensor.arange(1200).reshape([2, 3, 200]);
    const torchBig = 'tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9700e+02,\n          1.9800e+02, 1.9900e+02],\n'
      + '         [2.0000e+02, 2.0100e+02, 2.0200e+02,  ..., 3.9700e+02,\n          3.9800e+02, 3.9900e+02],\n'
      + '         [4.0000e+02, 4.0100e+02, 4.0200e+02,  ..., 5.9700e+02,\n          5.9800e+02, 5.9900e+02]],\n\n'
      + '        [[6.0000e+02, 6.0100e+02, 6.0200e+02,  ..., 7.9700e+02,\n          7.9800e+02, 7.9900e+02],\n'
      + '         [8.0000e+02, 8.0100e+02, 8.0200e+02,  ..., 9.9700e+02,\n          9.9800e+02, 9.9900e+02],\n'
      + '         [1.0000e+03, 1.0010e+03, 1.0020e+03,  ..., 1.1970e+03,\n          1.1980e+03, 1.1990e+03]]])';
    expect(String(big)).toBe(withSuffix(torchBig, '[2, 3, 200]'));
    // no summary at or below the threshold: every value of a 1000-element tensor prints
    expect(String(Tensor.arange(1000))).not.toContain('...');
    expect(String(Tensor.arange(1000))).toContain(' 999.]');
  });

  it('wraps a long row at 80 columns and switches to scientific notation as torch does', () => {
    const t = Tensor.arange(30);
    t.data.forEach((v, i) => (t.data[i] = v / 7));
    const torch = 'tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n'
      + '        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n'
      + '        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n'
      + '        3.8571, 4.0000, 4.1429])';
    expect(String(t)).toBe(withSuffix(torch, '[30]'));
    expect(String(Tensor.fromArray([1e-5, 1, 2]))).toBe('tensor([1.0000e-05, 1.0000e+00, 2.0000e+00], shape=[3], dtype=float32)');
  });

  it('prints nan and infinities, scalars, empty tensors and float64', () => {
    expect(String(Tensor.fromArray([1, NaN, Infinity, -Infinity, 0.5]))).toBe(
      'tensor([1.0000,    nan,    inf,   -inf, 0.5000], shape=[5], dtype=float32)',
    );
    expect(String(Tensor.scalar(2.5))).toBe('tensor(2.5000, shape=[], dtype=float32)');
    expect(String(Tensor.zeros([0, 3]))).toBe('tensor([], shape=[0, 3], dtype=float32)');
    expect(String(Tensor.fromArray([0.5, -1], [2], 'float64'))).toBe('tensor([ 0.5000, -1.0000], shape=[2], dtype=float64)');
  });

  it("is what Node's util.inspect and console.log show, and takes torch's print options", () => {
    const t = Tensor.fromArray([[1.5, 2], [3, 4]]);
    expect(inspect(t)).toBe(String(t));
    expect(inspect({ t })).toContain('tensor([[1.5000, 2.0000],');
    expect(t.toString({ precision: 2 })).toBe('tensor([[1.50, 2.00],\n        [3.00, 4.00]], shape=[2, 2], dtype=float32)');
    expect(formatTensor([1, 2, 3, 4, 5], [5], 'float32', { threshold: 4, edgeitems: 1 })).toBe('tensor([1.,  ..., 5.], shape=[5], dtype=float32)');
  });
});

describe('Tensor.randn, rand, arange', () => {
  it('draws from the default stream, so manualSeed makes them repeat', () => {
    manualSeed(7);
    const a = Tensor.randn([3, 4]);
    const u = Tensor.rand([5]);
    manualSeed(7);
    expect(Tensor.randn([3, 4]).data).toEqual(a.data);
    expect(Tensor.rand([5]).data).toEqual(u.data);
    expect(a.shape).toEqual([3, 4]);
    expect(a.dtype).toBe('float32');
    // the same numbers as the generator gives directly
    const r = new Random(7);
    expect(Array.from(a.data)).toEqual(Array.from({ length: 12 }, () => Math.fround(r.normal())));
    globalRandom.seed(0);
  });

  it('draws from a given generator, in the requested dtype, with the right distribution', () => {
    const before = globalRandom.getState();
    const n = Tensor.randn([20000], { rng: new Random(3), dtype: 'float64' });
    const u = Tensor.rand([20000], { rng: new Random(4) });
    expect(globalRandom.getState()).toEqual(before);
    expect(n.dtype).toBe('float64');
    expect(Tensor.randn([4], { rng: new Random(3), dtype: 'float64' }).data).toEqual(n.data.slice(0, 4));
    const mean = (d: ArrayLike<number>): number => Array.from(d).reduce((s, v) => s + v, 0) / d.length;
    const nm = mean(n.data);
    const nv = mean(Array.from(n.data, (v) => (v - nm) ** 2));
    expect(Math.abs(nm)).toBeLessThan(0.03); // 4 standard errors of the mean (1/√20000 ≈ 0.007)
    expect(Math.abs(nv - 1)).toBeLessThan(0.04);
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u.data)).toBeLessThan(1);
    expect(Math.abs(mean(u.data) - 0.5)).toBeLessThan(0.01); // 4 standard errors (0.289/√20000)
    expect(() => Tensor.rand([2], { dtype: 'int8' as 'float32' })).toThrow("Tensor.rand: unknown dtype \"int8\"; expected 'float32' or 'float64'");
  });

  it('arange counts from start by step up to but excluding end', () => {
    expect(Array.from(Tensor.arange(5).data)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(Tensor.arange(1, 2, 0.25).data)).toEqual([1, 1.25, 1.5, 1.75]);
    expect(Array.from(Tensor.arange(3, 0, -1).data)).toEqual([3, 2, 1]);
    expect(Tensor.arange(2, 2).shape).toEqual([0]);
    expect(Tensor.arange(0, 1, 0.5, 'float64').dtype).toBe('float64');
    expect(() => Tensor.arange(0, 1, 0)).toThrow('Tensor.arange: start 0, end 1 and step 0 must be finite numbers and step non-zero');
    expect(() => Tensor.arange(Infinity)).toThrow('must be finite numbers');
  });
});
