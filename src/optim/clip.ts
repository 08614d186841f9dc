// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (exported as nn.utils).
//   clipGradNorm:   total = ‖(‖g₁‖ₚ, …, ‖gₙ‖ₚ)‖ₚ  (p = ∞: the largest |g|),
//                   coef = min(maxNorm / (total + 1e-6), 1),  g ← coef·g
//   clipGradValue:  g ← clamp(g, −clipValue, clipValue)
// The norm is summed on the host in float64 from each gradient's values (Tensor.data, current on
// every backend), then the total and the coefficient are rounded to the gradients' dtype as
// PyTorch computes them in it; the scaling runs through the backend's `scale` kernel on the
// gradients' storage. A coefficient of 1 leaves the gradients untouched.

import { kernelsFor } from '../backend.js';
import { HandgradError } from '../errors.js';
import type { Parameter } from '../parameter.js';

/** Options of clipGradNorm. */
export interface ClipGradNormOptions {
  /** The p of the p-norm: a number ≥ 1 or Infinity. Default 2. */
  normType?: number;
}

function checkParams(what: string, params: Parameter[]): void {
  if (!Array.isArray(params)) throw new HandgradError(`${what}: expected a list of parameters (model.parameters()), got ${typeof params}`);
}

/** Scales the gradients so that their total p-norm is at most maxNorm; returns the total norm before clipping. */
export function clipGradNorm(params: Parameter[], maxNorm: number, options: ClipGradNormOptions = {}): number {
  const what = 'clipGradNorm';
  checkParams(what, params);
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0) || !Number.isFinite(maxNorm)) throw new HandgradError(`${what}: maxNorm must be a finite number ≥ 0, got ${String(maxNorm)}`);
  const p = options.normType ?? 2;
  if (typeof p !== 'number' || !(p >= 1)) throw new HandgradError(`${what}: normType must be a number ≥ 1 or Infinity, got ${String(p)}`);
  if (params.length === 0) return 0;
  const f32 = params[0]!.grad.dtype === 'float32';
  const round = (x: number): number => (f32 ? Math.fround(x) : x);
  let total = 0;
  for (const param of params) {
    const g = param.grad.data;
    let s = 0;
    if (p === Infinity) {
      for (let i = 0; i < g.length; i++) s = Math.max(s, Math.abs(g[i]!));
      total = Math.max(total, s);
    } else {
      for (let i = 0; i < g.length; i++) s += Math.abs(g[i]!) ** p;
      total += round(round(s ** (1 / p)) ** p);
    }
  }
  if (p !== Infinity) total = total ** (1 / p);
  total = round(total);
  const coef = round(maxNorm / round(total + 1e-6));
  if (coef < 1) {
    for (const param of params) kernelsFor(param.grad.dtype).scale(param.grad.storage, coef, param.grad.storage);
  }
  return total;
}

/** Clamps every gradient element into [−clipValue, clipValue]. */
export function clipGradValue(params: Parameter[], clipValue: number): void {
  const what = 'clipGradValue';
  checkParams(what, params);
  if (typeof clipValue !== 'number' || !(clipValue >= 0) || !Number.isFinite(clipValue)) throw new HandgradError(`${what}: clipValue must be a finite number ≥ 0, got ${String(clipValue)}`);
  for (const param of params) {
    const g = param.grad.data;
    const c = param.grad.dtype === 'float32' ? Math.fround(clipValue) : clipValue;
    for (let i = 0; i < g.length; i++) g[i] = Math.min(Math.max(g[i]!, -c), c);
  }
}
