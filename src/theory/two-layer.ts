// The NYU two-layer net Linear₁ → f → Linear₂ → g (NYU 1.1) for one sample (x, y): the forward
// table (layer, input, output) and the gradient table (parameter, gradient), with numbers from
// the layers' own forward and backward. Checked against the assignment's formulas, written out:
//   s₁ = W⁽¹⁾x + b⁽¹⁾,  a₁ = f(s₁),  s₂ = W⁽²⁾a₁ + b⁽²⁾,  ŷ = g(s₂)
//   δ₂ = ∂C/∂ŷ ⊙ g′(s₂),  ∂C/∂W⁽²⁾ = δ₂ a₁ᵀ,  ∂C/∂b⁽²⁾ = δ₂
//   δ₁ = (W⁽²⁾ᵀ δ₂) ⊙ f′(s₁),  ∂C/∂W⁽¹⁾ = δ₁ xᵀ,  ∂C/∂b⁽¹⁾ = δ₁
// with C = ‖ŷ − y‖² (MSE, summed, as NYU 1.1.1) or C = (1/K) Σ BCE (NYU 1.1.2(b)).

import { Identity, ReLU, Sigmoid, Tanh } from '../layers/activations.js';
import { BCELoss, MSELoss } from '../layers/losses.js';
import { Linear } from '../layers/linear.js';
import type { Module } from '../layers/module.js';
import { Random } from '../random.js';
import { Tensor } from '../tensor.js';
import { check, maxAbsDiff, type TheoryCheck } from './check.js';

/** The activations f and g of the two-layer network: ReLU, 3·ReLU, tanh, σ or the identity. */
export type TwoLayerActivation = 'relu' | '3relu' | 'tanh' | 'sigmoid' | 'identity';
/** Every {@link TwoLayerActivation}. */
export const TWO_LAYER_ACTIVATIONS: readonly TwoLayerActivation[] = ['relu', '3relu', 'tanh', 'sigmoid', 'identity'];

interface ActSpec {
  make: () => Module;
  label: string;
  formula: string;
  d: (s: number) => number;
}

const sigma = (v: number): number => 1 / (1 + Math.exp(-v));
const ACTS: Record<TwoLayerActivation, ActSpec> = {
  relu: { make: () => new ReLU(), label: 'ReLU', formula: '(·)⁺ = max(0, ·)', d: (s) => (s > 0 ? 1 : 0) },
  '3relu': { make: () => new ReLU({ scale: 3 }), label: '3·ReLU', formula: '3(·)⁺', d: (s) => (s > 0 ? 3 : 0) },
  tanh: { make: () => new Tanh(), label: 'tanh', formula: 'tanh(·)', d: (s) => 1 - Math.tanh(s) ** 2 },
  sigmoid: { make: () => new Sigmoid(), label: 'σ', formula: 'σ(·) = 1/(1 + e^(−·))', d: (s) => sigma(s) * (1 - sigma(s)) },
  identity: { make: () => new Identity(), label: 'identity', formula: '(·)', d: () => 1 },
};

/** One layer's step of the forward pass: its input and output values. */
export interface ForwardRow {
  /** The layer's name, e.g. "Linear₁". */
  layer: string;
  /** The formula used, and the shapes, shown on hover. */
  formula: string;
  /** The input's shape. */
  inputShape: number[];
  /** The output's shape. */
  outputShape: number[];
  /** The input values, row-major. */
  input: number[];
  /** The output values, row-major. */
  output: number[];
}

/** One parameter's gradient by backward, beside the same gradient by the written-out formula. */
export interface GradientRow {
  /** The parameter, e.g. "W₁". */
  parameter: string;
  /** The gradient's formula. */
  formula: string;
  /** The parameter's shape. */
  shape: number[];
  /** dL/dparameter from backward, row-major. */
  gradient: number[];
  /** The same gradient by the written-out formula. */
  expected: number[];
}

/** The forward and backward tables of ŷ = g(W₂ f(W₁x + b₁) + b₂) on one input, with checks. */
export interface TwoLayerTables {
  /** The hidden activation. */
  f: TwoLayerActivation;
  /** The output activation. */
  g: TwoLayerActivation;
  /** The loss. */
  loss: 'mse' | 'bce';
  /** The input (n values). */
  x: number[];
  /** The target (k values). */
  y: number[];
  /** The loss of ŷ against y. */
  lossValue: number;
  /** The forward pass, layer by layer. */
  forward: ForwardRow[];
  /** Every parameter's gradient. */
  gradients: GradientRow[];
  /** backward against the formulas. */
  checks: TheoryCheck[];
}

/** Options of {@link twoLayerTables}. */
export interface TwoLayerOptions {
  /** The hidden activation (default '3relu'). */
  f?: TwoLayerActivation;
  /** The output activation (default 'identity'). */
  g?: TwoLayerActivation;
  /** The loss (default 'mse'). */
  loss?: 'mse' | 'bce';
  /** Input size (default 4). */
  n?: number;
  /** Hidden width (default 3). */
  hidden?: number;
  /** Output size (default 2). */
  k?: number;
  /** Seed of the weights, input and target (default 0). */
  seed?: number;
  /** An input of n values (default: seeded normal). */
  x?: number[];
}

/** The tables of the two-layer network of the NYU assignment (1.2(a)), built from the library's layers. */
export function twoLayerTables(options: TwoLayerOptions = {}): TwoLayerTables {
  const f = options.f ?? '3relu', g = options.g ?? 'identity', lossName = options.loss ?? 'mse';
  const n = options.n ?? 4, H = options.hidden ?? 3, K = options.k ?? 2;
  if (lossName === 'bce' && g !== 'sigmoid') throw new Error(`twoLayerTables: BCE needs outputs in [0, 1], so g must be 'sigmoid', got '${g}'`);
  const rng = new Random(options.seed ?? 0);
  const lin1 = new Linear(n, H, { dtype: 'float64', rng });
  const fl = ACTS[f].make();
  const lin2 = new Linear(H, K, { dtype: 'float64', rng });
  const gl = ACTS[g].make();
  const x = new Tensor(new Float64Array(n), [1, n]);
  if (options.x) {
    if (options.x.length !== n) throw new Error(`twoLayerTables: x has ${options.x.length} values, expected ${n}`);
    x.data.set(options.x);
  } else rng.fillNormal(x.data);
  const y = new Tensor(new Float64Array(K), [1, K]);
  for (let i = 0; i < K; i++) y.data[i] = lossName === 'bce' ? (rng.uniform() < 0.5 ? 0 : 1) : rng.normal();
  const loss = lossName === 'mse' ? new MSELoss({ reduction: 'sum' }) : new BCELoss({ reduction: 'mean' });

  // forward, keeping copies (layers own and reuse their output buffers)
  const s1 = lin1.forward(x).clone();
  const a1 = fl.forward(s1).clone();
  const s2 = lin2.forward(a1).clone();
  const yhat = gl.forward(s2).clone();
  const J = loss.forward(yhat, y);
  // backward: the loss's dC/dŷ, then each layer's backward in reverse
  const dyhat = loss.backward().clone();
  for (const l of [lin1, fl, lin2, gl]) l.zeroGrad();
  lin1.backward(fl.backward(lin2.backward(gl.backward(dyhat))));

  const arr = (t: Tensor): number[] => Array.from(t.data);
  const fF = ACTS[f], gF = ACTS[g];
  const forward: ForwardRow[] = [
    { layer: 'Linear₁', formula: 's₁ = W⁽¹⁾x + b⁽¹⁾', inputShape: [n], outputShape: [H], input: arr(x), output: arr(s1) },
    { layer: `f = ${fF.label}`, formula: `a₁ = f(s₁), f = ${fF.formula}`, inputShape: [H], outputShape: [H], input: arr(s1), output: arr(a1) },
    { layer: 'Linear₂', formula: 's₂ = W⁽²⁾a₁ + b⁽²⁾', inputShape: [H], outputShape: [K], input: arr(a1), output: arr(s2) },
    { layer: `g = ${gF.label}`, formula: `ŷ = g(s₂), g = ${gF.formula}`, inputShape: [K], outputShape: [K], input: arr(s2), output: arr(yhat) },
    {
      layer: lossName === 'mse' ? 'Loss (MSE, sum)' : 'Loss (BCE, mean over K)',
      formula: lossName === 'mse' ? 'C = ‖ŷ − y‖²' : 'C = −(1/K) Σ [y log ŷ + (1 − y) log(1 − ŷ)]',
      inputShape: [K], outputShape: [], input: arr(yhat), output: [J],
    },
  ];

  // the written-out formulas
  const dC = arr(yhat).map((p, i) => (lossName === 'mse' ? 2 * (p - y.data[i]!) : (p - y.data[i]!) / (p * (1 - p)) / K));
  const d2 = dC.map((v, i) => v * gF.d(s2.data[i]!));
  const W2 = lin2.weight.value.data;
  const d1 = Array.from({ length: H }, (_, j) => {
    let s = 0;
    for (let k = 0; k < K; k++) s += W2[k * H + j]! * d2[k]!;
    return s * fF.d(s1.data[j]!);
  });
  const outer = (u: number[], v: ArrayLike<number>): number[] => u.flatMap((ui) => Array.from(v, (vj) => ui * vj));
  const gradients: GradientRow[] = [
    { parameter: 'W⁽¹⁾', formula: 'δ₁ xᵀ,  δ₁ = (W⁽²⁾ᵀ δ₂) ⊙ f′(s₁)', shape: [H, n], gradient: arr(lin1.weight.grad), expected: outer(d1, x.data) },
    { parameter: 'b⁽¹⁾', formula: 'δ₁', shape: [H], gradient: arr(lin1.bias!.grad), expected: d1 },
    { parameter: 'W⁽²⁾', formula: 'δ₂ a₁ᵀ,  δ₂ = ∂C/∂ŷ ⊙ g′(s₂)', shape: [K, H], gradient: arr(lin2.weight.grad), expected: outer(d2, a1.data) },
    { parameter: 'b⁽²⁾', formula: 'δ₂', shape: [K], gradient: arr(lin2.bias!.grad), expected: d2 },
  ];
  const err = Math.max(...gradients.map((r) => maxAbsDiff(r.gradient, r.expected)));
  return {
    f, g, loss: lossName, x: arr(x), y: arr(y), lossValue: J, forward, gradients,
    checks: [check(`gradients by backward vs the written-out formulas (f = ${fF.label}, g = ${gF.label}, ${lossName.toUpperCase()})`, err, 1e-10)],
  };
}
