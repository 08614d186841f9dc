// Gradient clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (fixtures from
// scripts/make_fixtures.py): three gradients of different shapes, norms 2, 1 and ∞, a case under
// the limit, in float64 (once) and float32 (on every backend of test/backends.ts, the gradients
// stored by the backend and scaled by its kernel).

import { expect, it } from 'vitest';
import { nn, type DType } from '../src/index.js';
import { describeBackends, describeOnce, tensorOnBackend } from './backends.js';
import { expectClose, fixture } from './harness.js';

interface ClipCase {
  kind: 'norm' | 'value';
  maxNorm?: number;
  normType?: number | 'Infinity';
  clipValue?: number;
  total?: number;
  total32?: number;
  clipped: number[][];
  clipped32: number[][];
}
interface ClipFixture {
  shapes: number[][];
  grads: number[][];
  cases: Record<string, ClipCase>;
}

const fx = fixture<ClipFixture>('clip.json');

function params(dtype: DType): nn.Parameter[] {
  return fx.shapes.map((shape, i) => ({
    name: `p${i}`, value: tensorOnBackend(new Array<number>(fx.grads[i]!.length).fill(0), shape, dtype), grad: tensorOnBackend(fx.grads[i]!, shape, dtype),
  }));
}

function run(c: ClipCase, ps: nn.Parameter[]): number | undefined {
  if (c.kind === 'value') {
    nn.utils.clipGradValue(ps, c.clipValue!);
    return undefined;
  }
  return nn.utils.clipGradNorm(ps, c.maxNorm!, { normType: c.normType === 'Infinity' ? Infinity : c.normType });
}

describeOnce('gradient clipping in float64 against PyTorch', () => {
  for (const [name, c] of Object.entries(fx.cases)) {
    it(name, () => {
      const ps = params('float64');
      const total = run(c, ps);
      if (c.kind === 'norm') expect(Math.abs(total! / c.total! - 1)).toBeLessThan(1e-14);
      ps.forEach((p, i) => expectClose(p.grad.data, c.clipped[i]!, { atol: 0, rtol: 1e-14 }, `${name}: gradient ${i}`));
    });
  }

  it('refuses bad limits and norm types', () => {
    expect(() => nn.utils.clipGradNorm(params('float64'), -1)).toThrow(/maxNorm must be a finite number ≥ 0, got -1/);
    expect(() => nn.utils.clipGradNorm(params('float64'), 1, { normType: 0.5 })).toThrow(/normType must be a number ≥ 1 or Infinity/);
    expect(() => nn.utils.clipGradValue(params('float64'), NaN)).toThrow(/clipValue must be a finite number ≥ 0, got NaN/);
  });
});

describeBackends('gradient clipping in float32 against PyTorch', () => {
  for (const [name, c] of Object.entries(fx.cases)) {
    it(name, () => {
      const ps = params('float32');
      const total = run(c, ps);
      if (c.kind === 'norm') expect(Math.abs(total! / c.total32! - 1)).toBeLessThan(1e-6);
      ps.forEach((p, i) => expectClose(p.grad.data, c.clipped32[i]!, { atol: 1e-7, rtol: 1e-6 }, `${name}: gradient ${i}`));
    });
  }
});
