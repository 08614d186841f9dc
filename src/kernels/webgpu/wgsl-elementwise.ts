// Elementwise kernels in WGSL: one thread per element, 256 threads per workgroup, the workgroups
// laid over a 2-D grid when there are more than 65535 (index = (y·gridX + x)·256 + local). Each
// array is bound whole and addressed from an element offset in the uniforms, so one bind group
// serves every sub-range of an allocation. Memory traffic is the minimum: each input read once,
// each output written once. The reference loops (src/kernels/ref/index.ts) are the specification;
// the math here is float32 (WGSL has no float64), with the numerically delicate functions written
// out (erfc, log1p, a tanh that saturates) instead of trusting the builtins' error bounds.

/** The index of this thread's element; shared by every elementwise shader. */
export const INDEX_WGSL = /* wgsl */ `
fn elementIndex(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid.x;
}
`;

/** Scalar math the activations and losses share. */
export const MATH_WGSL = /* wgsl */ `
// e^x to a few ulps for every x: x = n·ln2 + r (Cody–Waite: ln2 in two parts, so r is exact to
// float32), e^x = 2ⁿ·e^r with |r| ≤ ln2/2. A builtin exp computes 2^(x·log₂e), whose rounded
// product loses |x|·2⁻²⁴ of relative accuracy (1e-6 at x = −30).
fn expAcc(x: f32) -> f32 {
  let n = round(x * 1.4426950408889634);
  var r = fma(-n, 0.693145751953125, x);
  r = fma(-n, 1.428606765330187e-6, r);
  return ldexp(exp(r), i32(clamp(n, -200.0, 200.0)));
}
// σ(x) without overflow: e^(−|x|) is at most 1.
fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + expAcc(-x)); }
  let e = expAcc(x);
  return e / (1.0 + e);
}
// tanh that saturates cleanly (a builtin may compute e^(2x) and overflow to NaN)
fn tanhSafe(x: f32) -> f32 {
  return tanh(clamp(x, -15.0, 15.0));
}
// log(1 + e) for e ≥ 0, accurate when e is tiny (the series) and away from it (log).
fn log1pPos(e: f32) -> f32 {
  if (e < 0.01) { return e * (1.0 - e * (0.5 - e * (1.0 / 3.0 - e * (0.25 - e * 0.2)))); }
  return log(1.0 + e);
}
// erfc(z) for z ≥ 0 with relative error below 1.2e-7 (a Chebyshev fit of t·e^(−z² + poly(t)),
// t = 1/(1 + z/2)); z² is split into its float32 value and rounding error so that the exponent
// keeps full precision where erfc is tiny.
fn erfcPos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let zz = z * z;
  let err = fma(z, z, -zz);
  return t * expAcc(-zz + poly) * (1.0 - err);
}
// Φ(x) = ½ erfc(−x/√2), from the side where it does not cancel.
fn normalCdf(x: f32) -> f32 {
  let z = abs(x) * 0.70710678118654752;
  let half = 0.5 * erfcPos(z);
  if (x < 0.0) { return half; }
  return 1.0 - half;
}
fn normalPdf(x: f32) -> f32 {
  return 0.3989422804014327 * expAcc(-0.5 * x * x);
}
// e^x − 1 without cancellation near 0 (its series there), e^x − 1 elsewhere.
fn expm1Acc(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (1.0 / 720.0 +
      x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x / 362880.0))))))));
  }
  return expAcc(x) - 1.0;
}
fn isNan(x: f32) -> bool {
  let b = bitcast<u32>(x);
  return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}
`;

/** Activation kinds of the unary shader (override constant OP). */
export const UNARY_OPS = { relu: 0, leakyRelu: 1, sigmoid: 2, tanh: 3, gelu: 4, geluTanh: 5, softplus: 6, scale: 7, elu: 8 } as const;

// y = value (fill).
export const FILL_WGSL = /* wgsl */ `
struct P { n: u32, offY: u32, value: f32 }
@group(0) @binding(0) var<storage, read_write> Y: array<f32>;
@group(0) @binding(1) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = elementIndex(wid, nwg, lid);
  if (i < p.n) { Y[p.offY + i] = p.value; }
}
`;

// y = f(x) for the forward activations, plus y = s·x (scale).
export const UNARY_WGSL = /* wgsl */ `
override OP: u32;
struct P { n: u32, offX: u32, offY: u32, a: f32, b: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${INDEX_WGSL}
${MATH_WGSL}
fn f(v: f32) -> f32 {
  switch (OP) {
    case 0u: { if (v > 0.0 || isNan(v)) { return p.a * v; } return 0.0; } // scale·max(0, x); NaN passes
    case 1u: { if (v > 0.0) { return v; } return p.a * v; }              // leaky, slope a
    case 2u: { return sigmoid(v); }
    case 3u: { return tanhSafe(v); }
    case 4u: { return v * normalCdf(v); }                                 // x·Φ(x)
    case 5u: {                                                           // ½x(1 + tanh u) = x·σ(2u)
      let u = 0.7978845608028654 * (v + 0.044715 * v * v * v);
      return v * sigmoid(2.0 * u);
    }
    case 6u: {                                                           // softplus, beta a, threshold b
      let bx = p.a * v;
      if (bx > p.b) { return v; }
      return (max(bx, 0.0) + log1pPos(expAcc(-abs(bx)))) / p.a;
    }
    case 8u: { if (v > 0.0) { return v; } return p.a * expm1Acc(v); }   // ELU, alpha a
    default: { return p.a * v; }
  }
}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = elementIndex(wid, nwg, lid);
  if (i >= p.n) { return; }
  Y[p.offY + i] = f(X[p.offX + i]);
}
`;

/** Kinds of the binary shader: out = g(a, b) (OP). */
export const BINARY_OPS = {
  reluBackward: 0, leakyReluBackward: 1, sigmoidBackward: 2, tanhBackward: 3, geluBackward: 4, geluTanhBackward: 5,
  softplusBackward: 6, mul: 7, mseBackward: 8, bceBackward: 9, bceWithLogitsBackward: 10, eluBackward: 11,
} as const;

// out = g(a, b): the activations' backward (a = the saved x or y, b = dy), mul, and the per-element
// loss gradients (a = prediction, b = target, times the scale c).
export const BINARY_WGSL = /* wgsl */ `
override OP: u32;
struct P { n: u32, offA: u32, offB: u32, offOut: u32, c: f32, d: f32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> Out: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${INDEX_WGSL}
${MATH_WGSL}
fn g(v: f32, w: f32) -> f32 {
  switch (OP) {
    case 0u: { if (v > 0.0 || isNan(v)) { return p.c * w; } return 0.0; }  // relu': scale c; NaN passes
    case 1u: { if (v > 0.0) { return w; } return p.c * w; }                 // leaky': slope c
    case 2u: { return w * v * (1.0 - v); }                                  // σ' = y(1 − y)
    case 3u: { return w * (1.0 - v * v); }                                  // tanh' = 1 − y²
    case 4u: { return w * (normalCdf(v) + v * normalPdf(v)); }              // Φ + xφ
    case 5u: {
      // ½(1 + tanh u) + ½x(1 − tanh² u)·u′, with 1 + tanh u = 2σ(2u) and 1 − tanh² u = 4σ(2u)σ(−2u)
      // (no cancellation where tanh u is near ±1)
      let u = 0.7978845608028654 * (v + 0.044715 * v * v * v);
      let s = sigmoid(2.0 * u);
      let sn = sigmoid(-2.0 * u);
      let du = 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * v * v);
      return w * (s + 2.0 * v * s * sn * du);
    }
    case 6u: {                                                              // σ(βx), 1 above the threshold d
      let bx = p.c * v;
      if (bx > p.d) { return w; }
      return w * sigmoid(bx);
    }
    case 7u: { return v * w; }
    case 8u: { return p.c * (2.0 * (v - w)); }
    case 9u: { return p.c * ((v - w) / max(v * (1.0 - v), 1e-12)); }
    case 11u: { if (v > 0.0) { return w; } return w * (v + p.c); }          // ELU' from y: y + α below 0
    default: { return p.c * (sigmoid(v) - w); }
  }
}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = elementIndex(wid, nwg, lid);
  if (i >= p.n) { return; }
  Out[p.offOut + i] = g(A[p.offA + i], B[p.offB + i]);
}
`;

// y[r, c] += v[c] (rows: cols = inner 1) or y[b, c, s] += v[c] (channels: inner = spatial).
export const ADD_VECTOR_WGSL = /* wgsl */ `
struct P { n: u32, offY: u32, offV: u32, inner: u32, count: u32 }
@group(0) @binding(0) var<storage, read> V: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = elementIndex(wid, nwg, lid);
  if (i >= p.n) { return; }
  let c = (i / p.inner) % p.count;
  Y[p.offY + i] = Y[p.offY + i] + V[p.offV + c];
}
`;

// Softmax cross-entropy's gradient from the saved probabilities, times c (see the table):
//   labels[r] ≥ 0:  c·p, then c subtracted at the label (two float32 roundings, as the reference);
//   target rows:    c·((Σ t)·p − t);   neither: 0.
export const SCE_BACKWARD_WGSL = /* wgsl */ `
struct P { rows: u32, classes: u32, offP: u32, offL: u32, offT: u32, offG: u32, hasLabels: u32, hasTargets: u32, c: f32 }
@group(0) @binding(0) var<storage, read> Prob: array<f32>;
@group(0) @binding(1) var<storage, read> Labels: array<i32>;
@group(0) @binding(2) var<storage, read> T: array<f32>;
@group(0) @binding(3) var<storage, read_write> G: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = elementIndex(wid, nwg, lid);
  if (i >= p.rows * p.classes) { return; }
  let r = i / p.classes;
  let j = i % p.classes;
  var label = -1;
  if (p.hasLabels != 0u) { label = Labels[p.offL + r]; }
  if (label >= 0) {
    let g = p.c * Prob[p.offP + i];
    if (u32(label) == j) { G[p.offG + i] = g - p.c; } else { G[p.offG + i] = g; }
  } else if (p.hasTargets != 0u) {
    var mass = 0.0;
    let o = r * p.classes;
    for (var k = 0u; k < p.classes; k++) { mass = mass + T[p.offT + o + k]; }
    G[p.offG + i] = p.c * (mass * Prob[p.offP + i] - T[p.offT + i]);
  } else {
    G[p.offG + i] = 0.0;
  }
}
`;

// PyTorch's SGD step (see sgdStep in the reference), one thread per parameter element; 1 − dampening
// comes from the host in float64 (rounding 0.9 to float32 first would move it).
export const SGD_WGSL = /* wgsl */ `
struct P { n: u32, offP: u32, offG: u32, offB: u32, lr: f32, momentum: f32, undamped: f32, wd: f32, nesterov: u32, first: u32 }
@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read_write> Param: array<f32>;
@group(0) @binding(2) var<storage, read_write> Buf: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = elementIndex(wid, nwg, lid);
  if (i >= p.n) { return; }
  var g = G[p.offG + i];
  let w = Param[p.offP + i];
  if (p.wd != 0.0) { g = g + p.wd * w; }
  if (p.momentum != 0.0) {
    var b = g;
    if (p.first == 0u) { b = p.momentum * Buf[p.offB + i] + p.undamped * g; }
    Buf[p.offB + i] = b;
    if (p.nesterov != 0u) { g = g + p.momentum * b; } else { g = b; }
  }
  Param[p.offP + i] = w - p.lr * g;
}
`;

// PyTorch's Adam / AdamW step. The host computes in float64 what depends only on the
// hyper-parameters: 1 − β₁, 1 − β₂ (1 − 0.999 from a float32 0.999 would be 1e-5 off), the
// bias corrections stepSize = lr/(1 − β₁ᵗ), sqrtBc2 = √(1 − β₂ᵗ), and AdamW's factor 1 − lr·wd.
export const ADAM_WGSL = /* wgsl */ `
struct P {
  n: u32, offP: u32, offG: u32, offM: u32, offV: u32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, eps: f32, wd: f32,
  decoupled: u32, stepSize: f32, sqrtBc2: f32, decay: f32,
}
@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read_write> Param: array<f32>;
@group(0) @binding(2) var<storage, read_write> M: array<f32>;
@group(0) @binding(3) var<storage, read_write> V: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = elementIndex(wid, nwg, lid);
  if (i >= p.n) { return; }
  var w = Param[p.offP + i];
  var g = G[p.offG + i];
  if (p.decoupled != 0u) { w = w * p.decay; } else if (p.wd != 0.0) { g = g + p.wd * w; }
  let m = p.beta1 * M[p.offM + i] + p.oneMinusBeta1 * g;
  let v = p.beta2 * V[p.offV + i] + p.oneMinusBeta2 * g * g;
  M[p.offM + i] = m;
  V[p.offV + i] = v;
  Param[p.offP + i] = w - (p.stepSize * m) / (sqrt(v) / p.sqrtBc2 + p.eps);
}
`;

// PyTorch's RMSprop step (see rmspropStep in the reference); 1 − α from the host in float64.
export const RMSPROP_WGSL = /* wgsl */ `
struct P { n: u32, offP: u32, offG: u32, offS: u32, offA: u32, offB: u32, lr: f32, alpha: f32, oneMinusAlpha: f32, eps: f32, wd: f32, momentum: f32, centered: u32 }
@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read_write> Param: array<f32>;
@group(0) @binding(2) var<storage, read_write> Sq: array<f32>;
@group(0) @binding(3) var<storage, read_write> Avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> Buf: array<f32>;
@group(0) @binding(5) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = elementIndex(wid, nwg, lid);
  if (i >= p.n) { return; }
  var g = G[p.offG + i];
  let w = Param[p.offP + i];
  if (p.wd != 0.0) { g = g + p.wd * w; }
  let v = p.alpha * Sq[p.offS + i] + p.oneMinusAlpha * g * g;
  Sq[p.offS + i] = v;
  var r: f32;
  if (p.centered != 0u) {
    let m = p.alpha * Avg[p.offA + i] + p.oneMinusAlpha * g;
    Avg[p.offA + i] = m;
    r = sqrt(v - m * m) + p.eps;
  } else {
    r = sqrt(v) + p.eps;
  }
  if (p.momentum > 0.0) {
    let b = p.momentum * Buf[p.offB + i] + g / r;
    Buf[p.offB + i] = b;
    Param[p.offP + i] = w - p.lr * b;
  } else {
    Param[p.offP + i] = w - p.lr * (g / r);
  }
}
`;
