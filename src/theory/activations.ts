// Activation curves and their derivatives, computed by the library's own layers (NYU 1.2(c)):
// the value by forward(x), the derivative by backward(dy = 1), which returns
// dy · f′(x) = f′(x). Both are checked against closed forms written here independently of the
// kernels, and the derivative also against central differences of the layer's own forward.

import { GELU, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh } from '../layers/activations.js';
import type { Module } from '../layers/module.js';
import { Tensor } from '../tensor.js';
import { check, linspace, maxAbsDiff, type TheoryCheck } from './check.js';

/** The activations whose curves the theory panel draws. */
export type CurveName = 'GELU' | 'LeakyReLU(0.1)' | 'ReLU' | 'Tanh' | 'Sigmoid' | 'Softplus';
/** Every {@link CurveName}, in display order. */
export const CURVE_NAMES: readonly CurveName[] = ['GELU', 'LeakyReLU(0.1)', 'ReLU', 'Tanh', 'Sigmoid', 'Softplus'];

/** An activation's curve and derivative, computed by the library's layer (forward, and backward with dy = 1) and checked against closed forms and finite differences. */
export interface ActivationCurve {
  /** The activation. */
  name: CurveName;
  /** The formula shown beside the plot. */
  formula: string;
  /** The derivative's formula shown beside the plot. */
  derivativeFormula: string;
  /** The inputs x, evenly spaced. */
  xs: number[];
  /** f(x) from the layer's forward. */
  ys: number[];
  /** f′(x) from the layer's backward with dy = 1. */
  dys: number[];
  /** Forward and backward against the closed forms, backward against central differences. */
  checks: TheoryCheck[];
}

// erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7): deliberately not the kernels' series,
// so the GELU check compares two independent computations.
function erfAS(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1 - poly * Math.exp(-a * a));
}
const Phi = (x: number): number => 0.5 * (1 + erfAS(x / Math.SQRT2));
const phi = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
const sig = (x: number): number => 1 / (1 + Math.exp(-x));

interface Spec {
  make: () => Module;
  f: (x: number) => number;
  df: (x: number) => number;
  formula: string;
  derivativeFormula: string;
  /** Points where f is not differentiable (skipped by the finite-difference check). */
  kinks: number[];
  /** Tolerance of the closed-form comparison (GELU's closed form carries erf's 1.5e-7). */
  tol: number;
}

const SPECS: Record<CurveName, Spec> = {
  GELU: {
    make: () => new GELU(), f: (x) => x * Phi(x), df: (x) => Phi(x) + x * phi(x),
    formula: 'x·Φ(x)', derivativeFormula: 'Φ(x) + x·φ(x)', kinks: [], tol: 1e-6,
  },
  'LeakyReLU(0.1)': {
    make: () => new LeakyReLU({ negativeSlope: 0.1 }), f: (x) => (x > 0 ? x : 0.1 * x), df: (x) => (x > 0 ? 1 : 0.1),
    formula: 'x if x > 0 else 0.1·x', derivativeFormula: '1 if x > 0 else 0.1', kinks: [0], tol: 1e-12,
  },
  ReLU: {
    make: () => new ReLU(), f: (x) => Math.max(0, x), df: (x) => (x > 0 ? 1 : 0),
    formula: 'max(0, x)', derivativeFormula: '1 if x > 0 else 0', kinks: [0], tol: 1e-12,
  },
  Tanh: {
    make: () => new Tanh(), f: (x) => (Math.exp(x) - Math.exp(-x)) / (Math.exp(x) + Math.exp(-x)),
    df: (x) => 4 / (Math.exp(x) + Math.exp(-x)) ** 2,
    formula: '(eˣ − e⁻ˣ)/(eˣ + e⁻ˣ)', derivativeFormula: '1 − tanh²x = 4/(eˣ + e⁻ˣ)²', kinks: [], tol: 1e-12,
  },
  Sigmoid: {
    make: () => new Sigmoid(), f: sig, df: (x) => sig(x) * (1 - sig(x)),
    formula: '1/(1 + e⁻ˣ)', derivativeFormula: 'σ(x)(1 − σ(x))', kinks: [], tol: 1e-12,
  },
  Softplus: {
    make: () => new Softplus(), f: (x) => Math.log(1 + Math.exp(x)), df: sig,
    formula: 'log(1 + eˣ)', derivativeFormula: 'σ(x)', kinks: [], tol: 1e-12,
  },
};

/** Values and derivatives of the six activations at `xs` (default: 161 points on [−4, 4]). */
export function activationCurves(xs: readonly number[] = linspace(-4, 4, 161)): ActivationCurve[] {
  const x = Tensor.fromArray(xs, [xs.length], 'float64');
  const ones = Tensor.full([xs.length], 1, 'float64');
  const h = 1e-5;
  const xPlus = Tensor.fromArray(xs.map((v) => v + h), [xs.length], 'float64');
  const xMinus = Tensor.fromArray(xs.map((v) => v - h), [xs.length], 'float64');
  return CURVE_NAMES.map((name) => {
    const s = SPECS[name];
    const layer = s.make().to('float64');
    const ys = Array.from(layer.forward(x).data);
    const dys = Array.from(layer.backward(ones).data); // dy = 1, so dx = f′(x)
    // central differences of the layer's own forward, away from kinks
    const up = Array.from(layer.forward(xPlus).data);
    const down = Array.from(layer.forward(xMinus).data);
    let fdErr = 0;
    xs.forEach((v, i) => {
      if (s.kinks.some((k) => Math.abs(v - k) < 2 * h)) return;
      fdErr = Math.max(fdErr, Math.abs((up[i]! - down[i]!) / (2 * h) - dys[i]!));
    });
    return {
      name, formula: s.formula, derivativeFormula: s.derivativeFormula, xs: [...xs], ys, dys,
      checks: [
        check(`${name}: forward vs closed form ${s.formula}`, maxAbsDiff(ys, xs.map(s.f)), s.tol),
        check(`${name}: backward(1) vs closed form ${s.derivativeFormula}`, maxAbsDiff(dys, xs.map(s.df)), s.tol),
        check(`${name}: backward(1) vs central differences of forward`, fdErr, 1e-7),
      ],
    };
  });
}
