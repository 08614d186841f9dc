// The reference activation kernels: y = f(x) and dx = dy · f'(x), elementwise, each pair with
// its formula. Shapes are free (any length); table.ts says which of x or y each backward reads.

import type { FloatArray } from '../../tensor.js';
import type { GeluApproximate, Kernels } from '../table.js';
import { erf, normalPdf, sigmoid } from './math.js';

// y = scale · max(0, x); dy/dx = scale for x > 0, and 0 for x ≤ 0 (PyTorch: ReLU'(0) = 0).
// NaN is not ≤ 0, so it passes as PyTorch has it: relu(NaN) = NaN, and its gradient is scale · dy.
function reluForward(x: FloatArray, y: FloatArray, scale: number): void {
  for (let i = 0; i < x.length; i++) y[i] = x[i]! <= 0 ? 0 : scale * x[i]!;
}
function reluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, scale: number): void {
  for (let i = 0; i < x.length; i++) dx[i] = x[i]! <= 0 ? 0 : scale * dy[i]!;
}

// y = x for x > 0, else slope · x; dy/dx = 1 for x > 0, slope for x ≤ 0 (PyTorch: LeakyReLU'(0) = slope).
function leakyReluForward(x: FloatArray, y: FloatArray, slope: number): void {
  for (let i = 0; i < x.length; i++) y[i] = x[i]! > 0 ? x[i]! : slope * x[i]!;
}
function leakyReluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, slope: number): void {
  for (let i = 0; i < x.length; i++) dx[i] = x[i]! > 0 ? dy[i]! : slope * dy[i]!;
}

// y = σ(x); σ'(x) = y (1 − y).
function sigmoidForward(x: FloatArray, y: FloatArray): void {
  for (let i = 0; i < x.length; i++) y[i] = sigmoid(x[i]!);
}
function sigmoidBackward(y: FloatArray, dy: FloatArray, dx: FloatArray): void {
  for (let i = 0; i < y.length; i++) dx[i] = dy[i]! * y[i]! * (1 - y[i]!);
}

// y = tanh x; tanh'(x) = 1 − y².
function tanhForward(x: FloatArray, y: FloatArray): void {
  for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]!);
}
function tanhBackward(y: FloatArray, dy: FloatArray, dx: FloatArray): void {
  for (let i = 0; i < y.length; i++) dx[i] = dy[i]! * (1 - y[i]! * y[i]!);
}

// Exact: y = x Φ(x), y' = Φ(x) + x φ(x).
// Tanh approximation: u = √(2/π)(x + 0.044715 x³), y = ½ x (1 + tanh u),
//   y' = ½(1 + tanh u) + ½ x (1 − tanh² u) √(2/π)(1 + 3·0.044715 x²).
const SQRT_2_OVER_PI = 0.7978845608028654;
const GELU_C = 0.044715;
function geluForward(x: FloatArray, y: FloatArray, approximate: GeluApproximate): void {
  if (approximate === 'tanh') {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      y[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v)));
    }
  } else {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      y[i] = 0.5 * v * (1 + erf(v * Math.SQRT1_2));
    }
  }
}
function geluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, approximate: GeluApproximate): void {
  if (approximate === 'tanh') {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const t = Math.tanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v));
      const du = SQRT_2_OVER_PI * (1 + 3 * GELU_C * v * v);
      dx[i] = dy[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du);
    }
  } else {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      dx[i] = dy[i]! * (0.5 * (1 + erf(v * Math.SQRT1_2)) + v * normalPdf(v));
    }
  }
}

// y = log(1 + e^(βx)) / β, and y = x where βx > threshold (as PyTorch);
// y' = σ(βx), and 1 where βx > threshold.
function softplusForward(x: FloatArray, y: FloatArray, beta: number, threshold: number): void {
  for (let i = 0; i < x.length; i++) {
    const bx = beta * x[i]!;
    // log1p(e^z) = max(z, 0) + log1p(e^(−|z|)) never overflows.
    y[i] = bx > threshold ? x[i]! : (Math.max(bx, 0) + Math.log1p(Math.exp(-Math.abs(bx)))) / beta;
  }
}
function softplusBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, beta: number, threshold: number): void {
  for (let i = 0; i < x.length; i++) {
    const bx = beta * x[i]!;
    dx[i] = bx > threshold ? dy[i]! : dy[i]! * sigmoid(bx);
  }
}

// y = x for x > 0, else α(eˣ − 1) (expm1: no cancellation near 0); y' = 1 for x > 0, else
// αeˣ = y + α, read from the output (x ≤ 0 exactly where y ≤ 0, since α ≥ 0).
function eluForward(x: FloatArray, y: FloatArray, alpha: number): void {
  for (let i = 0; i < x.length; i++) y[i] = x[i]! > 0 ? x[i]! : alpha * Math.expm1(x[i]!);
}
function eluBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, alpha: number): void {
  for (let i = 0; i < y.length; i++) dx[i] = y[i]! > 0 ? dy[i]! : dy[i]! * (y[i]! + alpha);
}

export const activationKernels = {
  reluForward,
  reluBackward,
  leakyReluForward,
  leakyReluBackward,
  sigmoidForward,
  sigmoidBackward,
  tanhForward,
  tanhBackward,
  geluForward,
  geluBackward,
  softplusForward,
  softplusBackward,
  eluForward,
  eluBackward,
} satisfies Partial<Kernels>;
