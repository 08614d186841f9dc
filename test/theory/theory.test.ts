// Unit tests of every theory computation, in Node. Each asserts the numbers
// themselves, not only the pass flags the computations report, so a wrong flag cannot hide a
// wrong number.

import { describe, expect, it } from 'vitest';
import { theory, type nn, Tensor } from '../../src/index.js';

const allPass = (checks: theory.TheoryCheck[]): void => {
  for (const c of checks) expect(c.passed, `${c.name}: error ${c.error} > ${c.tolerance}`).toBe(true);
};

describe('activation curves by the layers', () => {
  const curves = theory.activationCurves();
  it('covers the six activations, each checked against closed form and finite differences', () => {
    expect(curves.map((c) => c.name)).toEqual(['GELU', 'LeakyReLU(0.1)', 'ReLU', 'Tanh', 'Sigmoid', 'Softplus']);
    for (const c of curves) {
      expect(c.checks).toHaveLength(3);
      allPass(c.checks);
    }
  });
  it('has the known values at landmarks', () => {
    const at = (name: string, x: number): [number, number] => {
      const c = curves.find((k) => k.name === name)!;
      const i = c.xs.findIndex((v) => Math.abs(v - x) < 1e-12);
      return [c.ys[i]!, c.dys[i]!];
    };
    expect(at('ReLU', 0)).toEqual([0, 0]); // PyTorch: ReLU′(0) = 0
    expect(at('LeakyReLU(0.1)', -2)[0]).toBeCloseTo(-0.2, 12);
    expect(at('LeakyReLU(0.1)', -2)[1]).toBeCloseTo(0.1, 12);
    expect(at('Sigmoid', 0)).toEqual([0.5, 0.25]);
    expect(at('Tanh', 0)).toEqual([0, 1]);
    expect(at('GELU', 0)[1]).toBeCloseTo(0.5, 12);
    expect(at('Softplus', 0)[0]).toBeCloseTo(Math.LN2, 12);
    // GELU′ dips below 0 around x ≈ −0.75: minimum of x·φ(x) + Φ(x)
    expect(Math.min(...curves[0]!.dys)).toBeLessThan(-0.1);
  });
  it('fails its check when the closed form disagrees (the checks can fail)', () => {
    const bad = theory.check('deliberately wrong', theory.maxAbsDiff([1, 2], [1, 2.1]), 1e-6);
    expect(bad.passed).toBe(false);
    expect(theory.check('NaN', NaN, 1).passed).toBe(false);
  });
});

describe('computation graph a = xy + z, b = a(x + x), w = ab + b', () => {
  it('matches hand values at (x, y, z) = (1, 2, 3)', () => {
    // a = 5, b = 10, w = 60; dw/dz = 2x(2a + 1) = 22, dw/dy = 2x²(2a + 1) = 22,
    // dw/dx = 2a² + 2a + 2xy(2a + 1) = 50 + 10 + 44 = 104
    const g = theory.computationGraph(1, 2, 3);
    expect(g.w).toBe(60);
    expect(g.nodes.find((n) => n.id === 'a')!.value).toBe(5);
    expect(g.nodes.find((n) => n.id === 'b')!.value).toBe(10);
    expect(g.grads).toEqual({ x: 104, y: 22, z: 22 });
    allPass(g.checks);
    expect(g.edges).toHaveLength(12); // 6 binary nodes × 2 inputs (x + x counted twice)
  });
  it('agrees with finite differences at seeded random points', () => {
    let s = 1;
    const r = (): number => ((s = (s * 16807) % 2147483647) / 2147483647) * 6 - 3;
    for (let i = 0; i < 20; i++) {
      const g = theory.computationGraph(r(), r(), r());
      allPass(g.checks);
      expect(Math.abs(g.grads.x - g.finiteDifference.x)).toBeLessThan(1e-5 * (1 + Math.abs(g.grads.x)));
    }
  });
});

describe('XOR', () => {
  const t = theory.xorTheory(21);
  it('no perceptron: the pair sums contradict and the search finds none', () => {
    expect(t.inequalities).toHaveLength(4);
    expect(t.search.found).toBe(0);
    expect(t.search.bestCorrect).toBe(3);
    expect(t.search.tried).toBe(21 ** 3 + 20000);
    // every perceptron breaks at least one of the four conditions; a sample of them, exhaustively
    for (const w1 of [-1, 0, 1]) for (const w2 of [-1, 0, 1]) for (const b of [-0.5, 0, 0.5]) {
      expect(theory.perceptronCorrect(w1, w2, b)).toBeLessThan(4);
    }
    // OR, σ(x₁ + x₂ − 0.5), gets three of four (only (1, 1) wrong): the counting is not blind
    expect(theory.perceptronCorrect(1, 1, -0.5)).toBe(3);
    expect(theory.perceptronCorrect(-1, -1, 0.5)).toBe(1);
  });
  it('the 4-neuron step network realises XOR', () => {
    expect(t.network.outputs).toEqual([1, 1, 0, 0]);
    allPass(t.checks);
  });
  it("the seed's written answer does not (it fires on (1, 1) and (0, 0))", () => {
    expect(t.seedAnswerOutputs).toEqual([1, 1, 1, 1]);
  });
});

describe('tanh network ≡ sigmoid network', () => {
  it('float32: max difference below 1e-5', () => {
    const r = theory.tanhSigmoidEquivalence('float32', 3);
    expect(r.maxDifference).toBeLessThan(1e-5);
    allPass(r.checks);
  });
  it('float64: max difference below 1e-12', () => {
    const r = theory.tanhSigmoidEquivalence('float64', 4);
    expect(r.maxDifference).toBeLessThan(1e-12);
    expect(r.maxDifference).toBeGreaterThanOrEqual(0);
    allPass(r.checks);
  });
  it('the conversion is not the identity: changing a weight breaks equality', () => {
    const r = theory.tanhSigmoidEquivalence('float64', 5);
    (r.sigmoidNet.layers[2] as nn.Linear).bias!.value.data[0]! += 0.1;
    const x = Tensor.fromArray([0.3, -1, 2, 0.5], [1, 4], 'float64');
    const a = r.tanhNet.forward(x).clone();
    const b = r.sigmoidNet.forward(x);
    expect(Math.abs(a.data[0]! - b.data[0]!)).toBeCloseTo(0.1, 10);
  });
});

describe('dropout on linear regression ≡ ridge in expectation', () => {
  it('Monte Carlo mean within its 99.9% interval of the formula', () => {
    const r = theory.dropoutRidge({ trials: 20000, seed: 7 });
    allPass(r.checks);
    expect(r.interval[0]).toBeLessThan(r.formula);
    expect(r.interval[1]).toBeGreaterThan(r.formula);
    expect(r.ridgeTerm).toBeGreaterThan(0);
    // the ridge term matters: without it the formula is far outside the interval
    expect(Math.abs(r.monteCarlo - r.fitTerm) / r.standardError).toBeGreaterThan(10);
  });
  it('holds at another keep probability', () => {
    allPass(theory.dropoutRidge({ keep: 0.4, n: 8, d: 6, trials: 20000, seed: 11 }).checks);
  });
});

describe('Jacobian of W₂W₁', () => {
  it('backward rows equal the matrix product', () => {
    const r = theory.jacobianOfProduct(5, 4, 3, 2);
    expect(r.byBackward).toHaveLength(3);
    expect(r.byBackward[0]).toHaveLength(5);
    allPass(r.checks);
    // and the product is not trivially W₁ or W₂
    expect(r.product.flat().some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });
});

describe('NYU two-layer net tables', () => {
  it('3·ReLU / identity / MSE (NYU 1.1.1)', () => {
    const t = theory.twoLayerTables({ f: '3relu', g: 'identity', loss: 'mse', seed: 1 });
    expect(t.forward.map((r) => r.layer)).toEqual(['Linear₁', 'f = 3·ReLU', 'Linear₂', 'g = identity', 'Loss (MSE, sum)']);
    // each layer's input is the previous layer's output
    for (let i = 1; i < 4; i++) expect(t.forward[i]!.input).toEqual(t.forward[i - 1]!.output);
    const yhat = t.forward[3]!.output;
    expect(t.lossValue).toBeCloseTo(yhat.reduce((s, v, i) => s + (v - t.y[i]!) ** 2, 0), 12);
    expect(t.gradients.map((g) => g.shape)).toEqual([[3, 4], [3], [2, 3], [2]]);
    allPass(t.checks);
  });
  it('tanh / sigmoid / MSE and BCE (NYU 1.1.2)', () => {
    allPass(theory.twoLayerTables({ f: 'tanh', g: 'sigmoid', loss: 'mse', seed: 2 }).checks);
    const b = theory.twoLayerTables({ f: 'tanh', g: 'sigmoid', loss: 'bce', seed: 3 });
    allPass(b.checks);
    expect(b.y.every((v) => v === 0 || v === 1)).toBe(true);
  });
  it('BCE with a non-sigmoid g is refused with a message naming g', () => {
    expect(() => theory.twoLayerTables({ g: 'identity', loss: 'bce' })).toThrow(/g must be 'sigmoid'/);
  });
});
