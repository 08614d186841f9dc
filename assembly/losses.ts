// handgrad's WebAssembly kernels for the losses and dropout (AssemblyScript, re-exported by
// assembly/kernels.ts and compiled with it by scripts/build-wasm.mjs).
//
// Same conventions as kernels.ts: raw pointers into the imported memory, float32 tensors, the
// arithmetic of the reference (src/kernels/ref/index.ts) done in float64 and rounded once, so the
// results are the reference's to the last bit except where AssemblyScript's exp/log/log1p differ
// from V8's in the last float64 bit. The dropout mask is bit-identical to src/random.ts's stream.

import { LOSS_MSE, LOSS_BCE } from '../src/kernels/wasm/abi-shared';

// σ(x) in float64 without overflow (ref: math.ts sigmoid).
// @ts-ignore: decorator
@inline function sigmoidF64(x: f64): f64 {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

// ---------------------------------------------------------------------------------------------
// Cross-entropy backward
// ---------------------------------------------------------------------------------------------

/**
 * ref: softmaxCrossEntropyBackward. Row r with label l ≥ 0: g = f32(c·p), then g[l] = f32(g[l] − c);
 * with a target row t (label −1 or labels = 0): g = c·((Σ t)·p − t), Σ t in float64; neither: 0.
 */
export function softmaxCrossEntropyBackward(probs: usize, labels: usize, targets: usize, grad: usize, rows: i32, classes: i32, scale: f64): void {
  for (let r = 0; r < rows; r++) {
    const off = <usize>(r * classes) * 4;
    const p = probs + off;
    const g = grad + off;
    const label = labels ? load<i32>(labels + <usize>r * 4) : -1;
    if (label >= 0) {
      for (let j = 0; j < classes; j++) store<f32>(g + <usize>j * 4, <f32>(scale * <f64>load<f32>(p + <usize>j * 4)));
      const q = g + <usize>label * 4;
      store<f32>(q, <f32>(<f64>load<f32>(q) - scale));
    } else if (targets) {
      const t = targets + off;
      let mass: f64 = 0;
      for (let j = 0; j < classes; j++) mass += <f64>load<f32>(t + <usize>j * 4);
      for (let j = 0; j < classes; j++) {
        const o = <usize>j * 4;
        store<f32>(g + o, <f32>(scale * (mass * <f64>load<f32>(p + o) - <f64>load<f32>(t + o))));
      }
    } else {
      for (let j = 0; j < classes; j++) store<f32>(g + <usize>j * 4, 0);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Elementwise losses: kind LOSS_MSE, LOSS_BCE or LOSS_BCE_WITH_LOGITS (src/kernels/wasm/abi-shared.ts)
// ---------------------------------------------------------------------------------------------

/**
 * ref: elementwiseLoss. Σ_i ℓ(ŷ_i, y_i) in float64, in element order:
 * MSE (ŷ − y)²; BCE −[y·max(log ŷ, −100) + (1 − y)·max(log(1 − ŷ), −100)], NaN at once when ŷ ∉ [0, 1];
 * BCE with logits max(z, 0) − z·y + log1p(e^(−|z|)).
 */
export function elementwiseLoss(pred: usize, target: usize, n: i32, kind: i32): f64 {
  let s: f64 = 0;
  if (kind == LOSS_MSE) {
    for (let i = 0; i < n; i++) {
      const o = <usize>i * 4;
      const d = <f64>load<f32>(pred + o) - <f64>load<f32>(target + o);
      s += d * d;
    }
  } else if (kind == LOSS_BCE) {
    for (let i = 0; i < n; i++) {
      const o = <usize>i * 4;
      const p = <f64>load<f32>(pred + o);
      const y = <f64>load<f32>(target + o);
      if (!(p >= 0 && p <= 1)) return NaN;
      s += -(y * Math.max(Math.log(p), -100) + (1 - y) * Math.max(Math.log(1 - p), -100));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const o = <usize>i * 4;
      const z = <f64>load<f32>(pred + o);
      s += Math.max(z, 0) - z * <f64>load<f32>(target + o) + Math.log1p(Math.exp(-Math.abs(z)));
    }
  }
  return s;
}

/** PyTorch's clamp of ŷ(1 − ŷ) in BCE's backward: 1e-12 rounded to float32 (ref: BCE_EPSILON). */
const BCE_EPSILON: f64 = <f64><f32>1e-12;

/** ref: elementwiseLossBackward. g = c·∂ℓ/∂ŷ: MSE 2(ŷ − y); BCE (ŷ − y)/max(ŷ(1 − ŷ), ε); BCE with logits σ(z) − y. */
export function elementwiseLossBackward(pred: usize, target: usize, grad: usize, n: i32, kind: i32, scale: f64): void {
  if (kind == LOSS_MSE) {
    for (let i = 0; i < n; i++) {
      const o = <usize>i * 4;
      store<f32>(grad + o, <f32>(scale * (2 * (<f64>load<f32>(pred + o) - <f64>load<f32>(target + o)))));
    }
  } else if (kind == LOSS_BCE) {
    for (let i = 0; i < n; i++) {
      const o = <usize>i * 4;
      const p = <f64>load<f32>(pred + o);
      store<f32>(grad + o, <f32>(scale * ((p - <f64>load<f32>(target + o)) / Math.max(p * (1 - p), BCE_EPSILON))));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const o = <usize>i * 4;
      store<f32>(grad + o, <f32>(scale * (sigmoidF64(<f64>load<f32>(pred + o)) - <f64>load<f32>(target + o))));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Dropout
// ---------------------------------------------------------------------------------------------

/**
 * ref: dropoutMask. xoshiro128** exactly as src/random.ts (Random.nextUint32):
 *   out = rotl(s1·5, 7)·9; t = s1 << 9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
 * (u32 arithmetic wraps like Math.imul). u = out / 2³² (exact in float64, as Random.uniform) and
 * mask[i] = u < p ? 0 : f32(keepScale), compared as out < p·2³². `state` points at the four words,
 * read and written back.
 */
let dropThreshold: u64 = 0;

export function dropoutMask(mask: usize, state: usize, n: i32, p: f64, keepScale: f64): void {
  let s0 = load<u32>(state);
  let s1 = load<u32>(state, 4);
  let s2 = load<u32>(state, 8);
  let s3 = load<u32>(state, 12);
  const keepBits = reinterpret<u32>(<f32>keepScale);
  // u < p ⟺ out < p·2³² (both sides scaled by a power of two: exact) ⟺ out < ⌈p·2³²⌉ for an
  // integer out. One unsigned 64-bit comparison whose 0/1 result masks the bits of keepScale: no
  // branch (a select on the float comparison compiled to one, mispredicted on a fifth of the draws
  // at p = 0.2: 8.5 ns a draw), no conversion to float64.
  // (through a global: as a single-use local the optimiser sinks its computation into the loop)
  dropThreshold = <u64>Math.ceil(p * 4294967296.0);
  for (let i = 0; i < n; i++) {
    const out = rotl<u32>(s1 * 5, 7) * 9;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl<u32>(s3, 11);
    const kept = <u32>(<u64>out >= dropThreshold); // 1: keep, 0: drop
    store<u32>(mask + <usize>i * 4, keepBits & (0 - kept));
  }
  store<u32>(state, s0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
}

/** ref: scale. y = f32(s · x) in float64 (s need not be a float32 number, e.g. 1 − p). */
export function scale(x: usize, y: usize, n: i32, s: f64): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(y + o, <f32>(s * <f64>load<f32>(x + o)));
  }
}
