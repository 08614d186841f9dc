// Scalar math the reference kernels share: erf (for the exact GELU) and a stable sigmoid.

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * erf(x) to about 1e-16 relative error.
 * For |x| ≤ 6: erf(x) = 2/√π · e^(−x²) · Σ_{n≥0} 2ⁿ x^(2n+1) / (1·3·5···(2n+1)),
 * a series of positive terms (no cancellation). Beyond 6, erf(x) = ±1 in float64.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a > 6) return x > 0 ? 1 : -1;
  const x2 = a * a;
  let term = a;
  let sum = a;
  for (let n = 1; n < 300; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  const r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

/** σ(x) = 1 / (1 + e^(−x)), computed without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** φ(x), the standard normal density. */
export function normalPdf(x: number): number {
  return 0.3989422804014327 * Math.exp(-0.5 * x * x);
}
