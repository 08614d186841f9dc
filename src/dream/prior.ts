// A data prior for dream: the span of the training set's top principal components.
//
// Dreams in raw pixel space find patterns the classifier reads but a person does not (the
// network was never trained to reject them). Restricting the image to the mean image plus the
// top-k principal directions of the training images,
//   img = m + U z,   U (d × k) orthonormal columns = top-k eigenvectors of the covariance,
// keeps it on (a linear approximation of) the data manifold: each direction is a smooth
// garment-like pattern, so the dreamed class appears as a silhouette. The step stays a gradient
// step: for img = m + U z, dS/dz = Uᵀ dS/dimg, i.e. the pixel gradient projected onto the span;
// after each step (and each clamp) the image is projected back: img ← m + U Uᵀ (img − m).
// Browser-safe: plain typed arrays.

import type { Split } from '../data/types.js';
import { HandgradError, Tensor, type FloatArray } from '../tensor.js';
import { Random } from '../random.js';

/** The top-k principal subspace of a set of images: mean (d), basis (k × d, orthonormal rows), variances (k). */
export interface PcaPrior {
  /** The data's mean image (d values). */
  mean: Float64Array;
  /** Row j = the j-th principal direction (unit norm), rows sorted by decreasing variance. */
  basis: Float64Array;
  /** The number of directions kept. */
  k: number;
  /** Values per image (C·H·W). */
  d: number;
  /** The variance of the data along each direction (the covariance's eigenvalues). */
  variances: Float64Array;
}

/** Above this many features the covariance (d × d) is never formed: C q is computed from the samples. */
export const PCA_DENSE_MAX_FEATURES = 2048;

/**
 * PCA of n samples of d features (row-major, `samples[i·d + j]`, any scale; pass `scale` to
 * convert, e.g. 1/255 for bytes): mean, covariance C = (1/n) Σ (x − m)(x − m)ᵀ, then the top-k
 * eigenvectors by subspace iteration (Q ← orth(C Q), `iterations` times, from a seeded random
 * start) and a final Rayleigh–Ritz step (the eigenvectors of Qᵀ C Q, by Jacobi rotations) to
 * sort them. Up to PCA_DENSE_MAX_FEATURES features (or with `dense: true`) C is formed once (d² values); above, each
 * product C Q is (1/n) Σ (x − m) ((x − m)ᵀ Q), 2·n·d·k operations and no d × d matrix (a
 * 105×105 image has d = 11025: C would take 970 MB). `iterations` defaults to 40 for the first
 * form and 12 for the second, where each costs n·d·k (the prior needs the span of the top
 * directions, not their last digits).
 */
export function pcaPrior(
  samples: ArrayLike<number>, n: number, d: number, k: number,
  { scale = 1, dense = d <= PCA_DENSE_MAX_FEATURES, iterations = dense ? 40 : 12, seed = 0 }: { scale?: number; dense?: boolean; iterations?: number; seed?: number } = {},
): PcaPrior {
  if (!(Number.isInteger(n) && n >= 2 && Number.isInteger(d) && d >= 1 && samples.length >= n * d)) {
    throw new HandgradError(`pcaPrior: need n ≥ 2 samples of d features (${n}·${d} values), got ${samples.length} values`);
  }
  if (!(Number.isInteger(k) && k >= 1 && k <= d)) throw new HandgradError(`pcaPrior: k must be an integer in [1, ${d}], got ${k}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += samples[i * d + j]! * scale;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  const applyC = dense ? denseCovariance(samples, n, d, scale, mean) : sampleCovariance(samples, n, d, scale, mean);
  // subspace iteration on Q (k × d, rows)
  const rng = new Random(seed);
  const Q = new Float64Array(k * d);
  for (let i = 0; i < Q.length; i++) Q[i] = rng.normal();
  orthonormaliseRows(Q, k, d);
  const Z = new Float64Array(k * d);
  for (let it = 0; it < iterations; it++) {
    applyC(Q, k, Z);
    Q.set(Z);
    orthonormaliseRows(Q, k, d);
  }
  // Rayleigh–Ritz: T = Q C Qᵀ (k × k), T = V Λ Vᵀ, basis = Vᵀ Q
  applyC(Q, k, Z);
  const T = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += Q[a * d + j]! * Z[b * d + j]!;
    T[a * k + b] = s;
  }
  const { values, vectors } = jacobiEigen(T, k);
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const basis = new Float64Array(k * d);
  const variances = new Float64Array(k);
  order.forEach((e, r) => {
    variances[r] = values[e]!;
    for (let a = 0; a < k; a++) {
      const v = vectors[a * k + e]!;
      for (let j = 0; j < d; j++) basis[r * d + j]! += v * Q[a * d + j]!;
    }
  });
  return { mean, basis, k, d, variances };
}

/** The data prior of a training split: its mean image and, with k > 0, its top-k principal subspace. */
export interface DataPrior {
  /** The per-pixel mean of the images used, (C, H, W). */
  meanImage: Tensor;
  /** The PCA prior (k > 0 only); its mean is meanImage's values. */
  pca?: PcaPrior;
  /** How many training images they were computed from. */
  samples: number;
  /** The variance the k components hold (the sum of their eigenvalues); 0 without them. */
  explainedVariance: number;
}

/**
 * The data prior of dream from a training split of images of `imageShape` (C, H, W): at most
 * `samples` images, evenly spaced through the split, give the mean image and, for k > 0, the
 * top-k principal components (pcaPrior).
 */
export function priorFromSplit(split: Split, imageShape: readonly [number, number, number], { k, samples }: { k: number; samples: number }): DataPrior {
  const [C, H, W] = imageShape;
  const d = C * H * W;
  if (split.n < 1 || split.x.length !== split.n * d) {
    throw new HandgradError(`the split holds ${split.n} samples of ${split.n > 0 ? split.x.length / split.n : 0} values; the prior needs images of ${C}×${H}×${W} = ${d}`);
  }
  if (!(Number.isInteger(samples) && samples >= 2)) throw new HandgradError(`samples must be an integer ≥ 2, got ${samples}`);
  if (!(Number.isInteger(k) && k >= 0 && k <= d)) throw new HandgradError(`k must be an integer from 0 to ${d} (the number of pixels), got ${k}`);
  const n = Math.min(samples, split.n);
  const stride = split.n / n;
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const from = Math.floor(i * stride) * d;
    x.set(split.x.subarray(from, from + d), i * d);
  }
  if (k > 0) {
    const pca = pcaPrior(x, n, d, k);
    return { meanImage: new Tensor(Float64Array.from(pca.mean), [C, H, W]), pca, samples: n, explainedVariance: pca.variances.reduce((a, b) => a + b, 0) };
  }
  const m = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m[j]! += x[i * d + j]! / n;
  return { meanImage: new Tensor(m, [C, H, W]), samples: n, explainedVariance: 0 };
}

/** out (k × d) = rows of Q (k × d) each multiplied by the covariance: q ↦ C q. */
type CovarianceProduct = (Q: Float64Array, k: number, out: Float64Array) => void;

/** C formed once (upper triangle accumulated row by row, then mirrored); products by mulRowsBySymmetric. */
function denseCovariance(samples: ArrayLike<number>, n: number, d: number, scale: number, mean: Float64Array): CovarianceProduct {
  const C = new Float64Array(d * d);
  const x = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[j] = samples[i * d + j]! * scale - mean[j]!;
    for (let a = 0; a < d; a++) {
      const xa = x[a]!;
      if (xa === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) C[row + b]! += xa * x[b]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) C[b * d + a] = C[a * d + b] = C[a * d + b]! / n;
  return (Q, k, out) => mulRowsBySymmetric(Q, C, k, d, out);
}

/** C q = (1/n) Σᵢ (xᵢ − m) ((xᵢ − m)ᵀ q) for every row q of Q, from the samples. */
function sampleCovariance(samples: ArrayLike<number>, n: number, d: number, scale: number, mean: Float64Array): CovarianceProduct {
  const x = new Float64Array(d);
  return (Q, k, out) => {
    out.fill(0);
    const dots = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) x[j] = samples[i * d + j]! * scale - mean[j]!;
      for (let r = 0; r < k; r++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += Q[r * d + j]! * x[j]!;
        dots[r] = s / n;
      }
      for (let r = 0; r < k; r++) {
        const s = dots[r]!;
        for (let j = 0; j < d; j++) out[r * d + j]! += s * x[j]!;
      }
    }
  };
}

/** out (k × d) = Q (k × d) · C (d × d, symmetric): each row q ↦ C q. */
function mulRowsBySymmetric(Q: Float64Array, C: Float64Array, k: number, d: number, out: Float64Array): void {
  out.fill(0);
  for (let r = 0; r < k; r++) {
    for (let a = 0; a < d; a++) {
      const q = Q[r * d + a]!;
      const row = a * d;
      for (let b = 0; b < d; b++) out[r * d + b]! += q * C[row + b]!;
    }
  }
}

/** Modified Gram–Schmidt on the rows of Q (k × d), in place. */
function orthonormaliseRows(Q: Float64Array, k: number, d: number): void {
  for (let r = 0; r < k; r++) {
    for (let p = 0; p < r; p++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += Q[r * d + j]! * Q[p * d + j]!;
      for (let j = 0; j < d; j++) Q[r * d + j]! -= s * Q[p * d + j]!;
    }
    let s = 0;
    for (let j = 0; j < d; j++) s += Q[r * d + j]! ** 2;
    const inv = 1 / Math.sqrt(Math.max(s, 1e-300));
    for (let j = 0; j < d; j++) Q[r * d + j]! *= inv;
  }
}

/** Eigen-decomposition of a symmetric k × k matrix by cyclic Jacobi rotations: A = V diag(values) Vᵀ (columns of V). */
function jacobiEigen(A0: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(A0);
  const V = new Float64Array(k * k);
  for (let i = 0; i < k; i++) V[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += A[p * k + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = A[p * k + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * k + q]! - A[p * k + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let i = 0; i < k; i++) { // A ← A J (columns p, q)
          const aip = A[i * k + p]!, aiq = A[i * k + q]!;
          A[i * k + p] = c * aip - s * aiq;
          A[i * k + q] = s * aip + c * aiq;
        }
        for (let i = 0; i < k; i++) { // A ← Jᵀ A (rows p, q)
          const api = A[p * k + i]!, aqi = A[q * k + i]!;
          A[p * k + i] = c * api - s * aqi;
          A[q * k + i] = s * api + c * aqi;
        }
        for (let i = 0; i < k; i++) { // V ← V J
          const vip = V[i * k + p]!, viq = V[i * k + q]!;
          V[i * k + p] = c * vip - s * viq;
          V[i * k + q] = s * vip + c * viq;
        }
      }
    }
  }
  const values = new Float64Array(k);
  for (let i = 0; i < k; i++) values[i] = A[i * k + i]!;
  return { values, vectors: V };
}

/**
 * Projects v onto the prior's span, in place. centred = true: v is an image, v ← m + U Uᵀ (v − m);
 * centred = false: v is a gradient (a direction), v ← U Uᵀ v. `z` (optional) holds k values.
 */
export function projectOntoPrior(v: FloatArray, p: PcaPrior, centred: boolean, z?: Float64Array): FloatArray {
  const { d, k, basis, mean } = p;
  if (v.length !== d) throw new HandgradError(`projectOntoPrior: got ${v.length} values, the prior has ${d} features`);
  const c = z && z.length >= k ? z : new Float64Array(k);
  for (let r = 0; r < k; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += basis[r * d + j]! * (v[j]! - (centred ? mean[j]! : 0));
    c[r] = s;
  }
  for (let j = 0; j < d; j++) v[j] = centred ? mean[j]! : 0;
  for (let r = 0; r < k; r++) {
    const s = c[r]!;
    for (let j = 0; j < d; j++) v[j]! += s * basis[r * d + j]!;
  }
  return v;
}
