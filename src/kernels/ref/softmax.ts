// Reference kernels of softmax and log-softmax along one axis of x viewed as [outer, size,
// inner] (the axis has stride `inner`), and of the negative log-likelihood on log-probabilities.
// Every line of the axis is max-shifted before exponentiating, so no logit overflows.

import type { FloatArray } from '../../tensor.js';

// One line along the axis: m = max x, s = Σ e^(x − m) (float64);
//   softmax y = e^(x − m) / s,   log-softmax y = x − m − log s.
function lineMaxAndSum(x: FloatArray, base: number, size: number, inner: number): [number, number] {
  let m = -Infinity;
  for (let k = 0; k < size; k++) {
    const v = x[base + k * inner]!;
    if (v > m || Number.isNaN(v)) m = v;
  }
  let s = 0;
  for (let k = 0; k < size; k++) s += Math.exp(x[base + k * inner]! - m);
  return [m, s];
}

export function softmaxForward(x: FloatArray, outer: number, size: number, inner: number, y: FloatArray): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      const [m, s] = lineMaxAndSum(x, base, size, inner);
      for (let k = 0; k < size; k++) y[base + k * inner] = Math.exp(x[base + k * inner]! - m) / s;
    }
  }
}

// forward was y = softmax(x), ∂y_j/∂x_k = y_j(δ_jk − y_k), so dx_k = y_k·(dy_k − Σ_j dy_j·y_j).
export function softmaxBackward(y: FloatArray, dy: FloatArray, outer: number, size: number, inner: number, dx: FloatArray): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let dot = 0;
      for (let k = 0; k < size; k++) dot += dy[base + k * inner]! * y[base + k * inner]!;
      for (let k = 0; k < size; k++) dx[base + k * inner] = y[base + k * inner]! * (dy[base + k * inner]! - dot);
    }
  }
}

export function logSoftmaxForward(x: FloatArray, outer: number, size: number, inner: number, y: FloatArray): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      const [m, s] = lineMaxAndSum(x, base, size, inner);
      const lse = m + Math.log(s);
      for (let k = 0; k < size; k++) y[base + k * inner] = x[base + k * inner]! - lse;
    }
  }
}

// forward was y = x − logΣe^x, ∂y_j/∂x_k = δ_jk − softmax_k, so dx_k = dy_k − e^(y_k)·Σ_j dy_j.
export function logSoftmaxBackward(y: FloatArray, dy: FloatArray, outer: number, size: number, inner: number, dx: FloatArray): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let s = 0;
      for (let k = 0; k < size; k++) s += dy[base + k * inner]!;
      for (let k = 0; k < size; k++) dx[base + k * inner] = dy[base + k * inner]! - Math.exp(y[base + k * inner]!) * s;
    }
  }
}

// L = Σ_{r: label ≥ 0} −logProbs[r, label_r];  ∂L/∂logProbs[r, label_r] = −1, 0 elsewhere.
export function nllLoss(logProbs: FloatArray, rows: number, classes: number, labels: Int32Array): number {
  let s = 0;
  for (let r = 0; r < rows; r++) {
    const l = labels[r]!;
    if (l >= 0) s -= logProbs[r * classes + l]!;
  }
  return s;
}

export function nllLossBackward(rows: number, classes: number, labels: Int32Array, scale: number, grad: FloatArray): void {
  grad.fill(0, 0, rows * classes);
  for (let r = 0; r < rows; r++) {
    const l = labels[r]!;
    if (l >= 0) grad[r * classes + l] = -scale;
  }
}
