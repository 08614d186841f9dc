// Reference kernels of the normalisation layers: batch norm over [batch, channels, spatial]
// (the statistics of a channel are taken over batch and spatial positions) and layer norm over
// the rows of [rows, cols]. Sums run in float64; each result is rounded once into its array.
// The derivation of the batch-norm backward is in docs/batchnorm-backward.md.

import type { FloatArray } from '../../tensor.js';
import type { BatchNormStatistics } from '../table.js';

// mean[c] = (1/M) Σ_{b,s} x[b, c, s];  variance[c] = (1/M) Σ_{b,s} (x[b, c, s] − mean[c])²,
// M = batch·spatial. Two passes: the second sums squares of deviations, never x² − mean².
export function batchNormStats(x: FloatArray, batch: number, channels: number, spatial: number, mean: FloatArray, variance: FloatArray): void {
  const M = batch * spatial;
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let b = 0; b < batch; b++) {
      const o = (b * channels + c) * spatial;
      for (let k = 0; k < spatial; k++) s += x[o + k]!;
    }
    const mu = s / M;
    let q = 0;
    for (let b = 0; b < batch; b++) {
      const o = (b * channels + c) * spatial;
      for (let k = 0; k < spatial; k++) {
        const d = x[o + k]! - mu;
        q += d * d;
      }
    }
    mean[c] = mu;
    variance[c] = q / M;
  }
}

// y = (x − mean[c]) · invStd[c] · γ[c] + β[c], i.e. one affine map a·x + b per channel with
// a = invStd·γ and b = β − mean·a (computed in float64).
export function batchNormForward(
  x: FloatArray, batch: number, channels: number, spatial: number, mean: FloatArray, invStd: FloatArray,
  weight: FloatArray | null, bias: FloatArray | null, y: FloatArray,
): void {
  for (let c = 0; c < channels; c++) {
    const a = invStd[c]! * (weight ? weight[c]! : 1);
    const mu = mean[c]!;
    const beta = bias ? bias[c]! : 0;
    for (let b = 0; b < batch; b++) {
      const o = (b * channels + c) * spatial;
      for (let k = 0; k < spatial; k++) y[o + k] = (x[o + k]! - mu) * a + beta;
    }
  }
}

// invStd[c] = 1/√(variance[c] + eps).
export function batchNormInvStd(variance: FloatArray, channels: number, eps: number, invStd: FloatArray): void {
  for (let c = 0; c < channels; c++) invStd[c] = 1 / Math.sqrt(variance[c]! + eps);
}

// running ← (1 − f)·running + f·batch per channel, the variance entering as σ²·unbias; in float64,
// the products formed left to right ((f·σ²)·unbias), each result rounded once.
export function batchNormRunningUpdate(
  mean: FloatArray, variance: FloatArray, channels: number, factor: number, unbias: number,
  runningMean: FloatArray, runningVar: FloatArray,
): void {
  for (let c = 0; c < channels; c++) {
    runningMean[c] = (1 - factor) * runningMean[c]! + factor * mean[c]!;
    runningVar[c] = (1 - factor) * runningVar[c]! + factor * variance[c]! * unbias;
  }
}

// Per channel, x̂ = (x − mean)·invStd, S₁ = Σ dy, S₂ = Σ dy·x̂ over its M values:
//   dγ += S₂, dβ += S₁;
//   batch statistics:   dx = γ·invStd·(dy − S₁/M − x̂·S₂/M)
//   running statistics: dx = γ·invStd·dy
export function batchNormBackward(
  x: FloatArray, dy: FloatArray, batch: number, channels: number, spatial: number, mean: FloatArray, invStd: FloatArray,
  weight: FloatArray | null, statistics: BatchNormStatistics, dweight: FloatArray | null, dbias: FloatArray | null, dx: FloatArray,
): void {
  const M = batch * spatial;
  for (let c = 0; c < channels; c++) {
    const mu = mean[c]!;
    const is = invStd[c]!;
    let s1 = 0;
    let s2 = 0;
    for (let b = 0; b < batch; b++) {
      const o = (b * channels + c) * spatial;
      for (let k = 0; k < spatial; k++) {
        const g = dy[o + k]!;
        s1 += g;
        s2 += g * (x[o + k]! - mu) * is;
      }
    }
    if (dweight) dweight[c]! += s2;
    if (dbias) dbias[c]! += s1;
    const a = (weight ? weight[c]! : 1) * is;
    if (statistics === 'running') {
      for (let b = 0; b < batch; b++) {
        const o = (b * channels + c) * spatial;
        for (let k = 0; k < spatial; k++) dx[o + k] = a * dy[o + k]!;
      }
      continue;
    }
    const m1 = s1 / M;
    const m2 = s2 / M;
    for (let b = 0; b < batch; b++) {
      const o = (b * channels + c) * spatial;
      for (let k = 0; k < spatial; k++) dx[o + k] = a * (dy[o + k]! - m1 - (x[o + k]! - mu) * is * m2);
    }
  }
}

// Per row: mean = (1/n) Σ x, rstd = 1/√((1/n) Σ (x − mean)² + eps), y = (x − mean)·rstd·γ + β.
export function layerNormForward(
  x: FloatArray, rows: number, cols: number, eps: number, weight: FloatArray | null, bias: FloatArray | null,
  y: FloatArray, mean: FloatArray, rstd: FloatArray,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[o + j]!;
    const mu = s / cols;
    let q = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[o + j]! - mu;
      q += d * d;
    }
    const is = 1 / Math.sqrt(q / cols + eps);
    for (let j = 0; j < cols; j++) {
      const h = (x[o + j]! - mu) * is;
      y[o + j] = h * (weight ? weight[j]! : 1) + (bias ? bias[j]! : 0);
    }
    mean[r] = mu;
    rstd[r] = is;
  }
}

// Column sums of the layer-norm backward, in float64, reused across calls (no allocation per
// call once it is big enough).
let scratch = new Float64Array(256);
function scratchOf(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  return scratch;
}

// Per row, with x̂ = (x − mean)·rstd and g = dy·γ:
//   dx = rstd·(g − mean(g) − x̂·mean(g·x̂));   dγ += Σ_rows dy·x̂,   dβ += Σ_rows dy
// (the column sums run in float64 and are added once).
export function layerNormBackward(
  x: FloatArray, dy: FloatArray, rows: number, cols: number, mean: FloatArray, rstd: FloatArray,
  weight: FloatArray | null, dweight: FloatArray | null, dbias: FloatArray | null, dx: FloatArray,
): void {
  const sums = scratchOf(2 * cols);
  sums.fill(0, 0, 2 * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const mu = mean[r]!;
    const is = rstd[r]!;
    let sg = 0;
    let sgx = 0;
    for (let j = 0; j < cols; j++) {
      const h = (x[o + j]! - mu) * is;
      const d = dy[o + j]!;
      const g = weight ? d * weight[j]! : d;
      sg += g;
      sgx += g * h;
      sums[j]! += d * h;
      sums[cols + j]! += d;
    }
    const m1 = sg / cols;
    const m2 = sgx / cols;
    for (let j = 0; j < cols; j++) {
      const h = (x[o + j]! - mu) * is;
      const d = dy[o + j]!;
      const g = weight ? d * weight[j]! : d;
      dx[o + j] = is * (g - m1 - h * m2);
    }
  }
  if (dweight) for (let j = 0; j < cols; j++) dweight[j]! += sums[j]!;
  if (dbias) for (let j = 0; j < cols; j++) dbias[j]! += sums[cols + j]!;
}
