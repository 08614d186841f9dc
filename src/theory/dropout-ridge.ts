// Dropout on linear regression is ridge regression in expectation (CMU problem 4).
// Each input entry is kept with probability p (R_ij ~ Bernoulli(p)); then
//   E_R ‖y − (R⊙X)w‖² = ‖y − pXw‖² + p(1 − p)‖Γw‖²,   Γ = diag(XᵀX)^{1/2},
// because row n of (R⊙X)w has mean p·(Xw)_n and variance p(1 − p) Σ_i X_ni² w_i² (independent
// entries), and E[u²] = (E u)² + Var u summed over rows gives the two terms.
//
// The Monte Carlo side uses the library's layers: (R⊙X) is Dropout in 'cmu' mode (training
// y = x·mask, no rescaling) with drop probability 1 − p, and ·w is a bias-free Linear(D → 1).

import { Dropout } from '../layers/dropout.js';
import { Linear } from '../layers/linear.js';
import { Random } from '../random.js';
import { Tensor } from '../tensor.js';
import { check, type TheoryCheck } from './check.js';

/**
 * Dropout on linear regression against ridge regression: the Monte Carlo mean of the dropped-out
 * loss beside the closed form ‖y − pXw‖² + p(1 − p)‖Γw‖².
 */
export interface DropoutRidgeResult {
  /** Rows of X (samples). */
  n: number;
  /** Columns of X (features). */
  d: number;
  /** p, the probability of keeping each entry. */
  keep: number;
  /** The number of dropout masks drawn. */
  trials: number;
  /** Monte Carlo mean of ‖y − (R⊙X)w‖². */
  monteCarlo: number;
  /** Its standard error, and the 99.9% interval mean ± 3.29·se. */
  standardError: number;
  /** The 99.9% interval of the Monte Carlo mean. */
  interval: [number, number];
  /** ‖y − pXw‖² and p(1 − p)‖Γw‖², and their sum. */
  fitTerm: number;
  /** p(1 − p)‖Γw‖², Γ = diag(XᵀX)^{1/2}. */
  ridgeTerm: number;
  /** fitTerm + ridgeTerm, the expectation in closed form. */
  formula: number;
  /** The closed form lies in the Monte Carlo interval. */
  checks: TheoryCheck[];
}

/** Draws X, w and y (n 12, d 4 by default, from `seed`, default 0) and compares the mean dropped-out loss over `trials` (default 20000) masks keeping each entry with probability `keep` (default 0.7) with the closed form. */
export function dropoutRidge(options: { n?: number; d?: number; keep?: number; trials?: number; seed?: number } = {}): DropoutRidgeResult {
  const n = options.n ?? 12, d = options.d ?? 4, p = options.keep ?? 0.7, trials = options.trials ?? 20000;
  const rng = new Random(options.seed ?? 0);
  const X = new Tensor(new Float64Array(n * d), [n, d]);
  rng.fillNormal(X.data);
  const w = new Float64Array(d);
  rng.fillNormal(w);
  const y = new Float64Array(n);
  rng.fillNormal(y, 0, 2);

  // the formula
  let fitTerm = 0;
  for (let r = 0; r < n; r++) {
    let xw = 0;
    for (let i = 0; i < d; i++) xw += X.data[r * d + i]! * w[i]!;
    fitTerm += (y[r]! - p * xw) ** 2;
  }
  let gw2 = 0; // ‖Γw‖² = Σ_i (XᵀX)_ii w_i²
  for (let i = 0; i < d; i++) {
    let xtx = 0;
    for (let r = 0; r < n; r++) xtx += X.data[r * d + i]! ** 2;
    gw2 += xtx * w[i]! ** 2;
  }
  const ridgeTerm = p * (1 - p) * gw2;
  const formula = fitTerm + ridgeTerm;

  // Monte Carlo with the layers
  const dropout = new Dropout({ p: 1 - p, mode: 'cmu', rng: new Random((options.seed ?? 0) + 1) }).train();
  const linear = new Linear(d, 1, { bias: false, dtype: 'float64' });
  linear.weight.value.data.set(w);
  let sum = 0, sumSq = 0;
  for (let t = 0; t < trials; t++) {
    const pred = linear.forward(dropout.forward(X)).data; // (R⊙X)w
    let loss = 0;
    for (let r = 0; r < n; r++) loss += (y[r]! - pred[r]!) ** 2;
    sum += loss;
    sumSq += loss * loss;
  }
  const monteCarlo = sum / trials;
  const variance = (sumSq - trials * monteCarlo * monteCarlo) / (trials - 1);
  const standardError = Math.sqrt(variance / trials);
  const interval: [number, number] = [monteCarlo - 3.29 * standardError, monteCarlo + 3.29 * standardError];
  return {
    n, d, keep: p, trials, monteCarlo, standardError, interval, fitTerm, ridgeTerm, formula,
    checks: [
      check(`formula within the 99.9% interval of ${trials} Monte Carlo draws (error in standard errors, limit 3.29)`, Math.abs(monteCarlo - formula) / standardError, 3.29),
    ],
  };
}
