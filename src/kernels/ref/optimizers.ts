// The reference optimiser kernels: one step of PyTorch's SGD, Adam/AdamW and RMSprop on one
// parameter, in place, computed in float64 and rounded once per stored value.

import type { FloatArray } from '../../tensor.js';
import type { AdamHyper, Kernels, RmspropHyper, SgdHyper } from '../table.js';

// PyTorch SGD: g ← g + wd·p (only when wd ≠ 0, as PyTorch: 0·p would turn an infinite p into
// NaN); b ← g (first step) or μ·b + (1 − dampening)·g; g ← g + μ·b (nesterov) or b; p ← p − lr·g.
function sgdStep(param: FloatArray, grad: FloatArray, buf: FloatArray, h: SgdHyper): void {
  const { lr, momentum, dampening, weightDecay, nesterov, firstStep } = h;
  for (let i = 0; i < param.length; i++) {
    let g = grad[i]!;
    if (weightDecay !== 0) g += weightDecay * param[i]!;
    if (momentum !== 0) {
      const b = firstStep ? g : momentum * buf[i]! + (1 - dampening) * g;
      buf[i] = b;
      g = nesterov ? g + momentum * b : b;
    }
    param[i] = param[i]! - lr * g;
  }
}

// PyTorch Adam/AdamW: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
function adamStep(param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, h: AdamHyper): void {
  const { lr, beta1, beta2, eps, weightDecay, decoupled, step } = h;
  const bc1 = 1 - Math.pow(beta1, step);
  const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, step));
  const stepSize = lr / bc1;
  for (let i = 0; i < param.length; i++) {
    let p = param[i]!;
    let g = grad[i]!;
    if (decoupled) p *= 1 - lr * weightDecay;
    else if (weightDecay !== 0) g += weightDecay * p;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = p - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
  }
}

// PyTorch RMSprop: g ← g + wd·p (wd ≠ 0); v ← αv + (1 − α)g²;
// centered: ḡ ← αḡ + (1 − α)g, r = √(v − ḡ²) + ε; otherwise r = √v + ε;
// momentum μ > 0: b ← μb + g/r, p ← p − lr·b; otherwise p ← p − lr·g/r.
function rmspropStep(param: FloatArray, grad: FloatArray, squareAvg: FloatArray, gradAvg: FloatArray, buf: FloatArray, h: RmspropHyper): void {
  const { lr, alpha, eps, weightDecay, momentum, centered } = h;
  for (let i = 0; i < param.length; i++) {
    let g = grad[i]!;
    if (weightDecay !== 0) g += weightDecay * param[i]!;
    const v = alpha * squareAvg[i]! + (1 - alpha) * g * g;
    squareAvg[i] = v;
    let r: number;
    if (centered) {
      const m = alpha * gradAvg[i]! + (1 - alpha) * g;
      gradAvg[i] = m;
      r = Math.sqrt(v - m * m) + eps;
    } else {
      r = Math.sqrt(v) + eps;
    }
    if (momentum > 0) {
      const b = momentum * buf[i]! + g / r;
      buf[i] = b;
      param[i] = param[i]! - lr * b;
    } else {
      param[i] = param[i]! - lr * (g / r);
    }
  }
}

export const optimizerKernels = {
  sgdStep,
  adamStep,
  rmspropStep,
} satisfies Partial<Kernels>;
