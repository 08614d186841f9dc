// Normalisation in WGSL: batch norm over [batch, channels, spatial] (a workgroup per channel) and
// layer norm over the rows of [rows, cols] (a workgroup per row). The reference sums in float64;
// here each of the 256 threads sums a strided share of the channel or row in float32 and a tree in
// workgroup memory adds the 256 partial sums, so a sum of n values carries about log₂256 + n/256
// roundings instead of n. The parameter gradients (Σ over the batch per channel or column) go to
// a scratch array and are added to dweight and dbias by separate dispatches, which bind one of
// them each: an optimiser keeps every gradient in one flat allocation, which a single dispatch
// could not bind twice for writing.

import { INDEX_WGSL } from './wgsl-elementwise.js';
import { GROUP_WGSL, SUM2_WGSL } from './wgsl-reduce.js';

// Per channel c, over its M = batch·spatial values: mean = (1/M) Σ x, variance = (1/M) Σ (x − mean)²
// (biased; two passes, never Σx² − mean²).
export const BN_STATS_WGSL = /* wgsl */ `
struct P { batch: u32, channels: u32, spatial: u32, offX: u32, offMean: u32, offVar: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Mean: array<f32>;
@group(0) @binding(2) var<storage, read_write> Var: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${SUM2_WGSL}
${GROUP_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = groupIndex(wid, nwg);
  if (c >= p.channels) { return; }
  let n = p.batch * p.spatial;
  var s = 0.0;
  for (var e = lid.x; e < n; e += 256u) { s = s + X[p.offX + ((e / p.spatial) * p.channels + c) * p.spatial + e % p.spatial]; }
  let mu = workgroupSum2(lid.x, vec2<f32>(s, 0.0)).x / f32(n);
  var q = 0.0;
  for (var e = lid.x; e < n; e += 256u) {
    let d = X[p.offX + ((e / p.spatial) * p.channels + c) * p.spatial + e % p.spatial] - mu;
    q = q + d * d;
  }
  let v = workgroupSum2(lid.x, vec2<f32>(q, 0.0)).x / f32(n);
  if (lid.x == 0u) {
    Mean[p.offMean + c] = mu;
    Var[p.offVar + c] = v;
  }
}
`;

// y[b, c, s] = (x − mean[c])·a + β[c] with a = invStd[c]·γ[c] (γ = 1, β = 0 when not bound), a
// thread per element.
export const BN_FORWARD_WGSL = /* wgsl */ `
struct P { n: u32, channels: u32, spatial: u32, offX: u32, offMean: u32, offInv: u32, offW: u32, offB: u32, offY: u32, hasW: u32, hasB: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Mean: array<f32>;
@group(0) @binding(2) var<storage, read> Inv: array<f32>;
@group(0) @binding(3) var<storage, read> Wt: array<f32>;
@group(0) @binding(4) var<storage, read> Bs: array<f32>;
@group(0) @binding(5) var<storage, read_write> Y: array<f32>;
@group(0) @binding(6) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = elementIndex(wid, nwg, lid);
  if (i >= p.n) { return; }
  let c = (i / p.spatial) % p.channels;
  var a = Inv[p.offInv + c];
  if (p.hasW != 0u) { a = a * Wt[p.offW + c]; }
  var b = 0.0;
  if (p.hasB != 0u) { b = Bs[p.offB + c]; }
  Y[p.offY + i] = fma(X[p.offX + i] - Mean[p.offMean + c], a, b);
}
`;

// invStd[c] = 1/√(variance[c] + eps), a thread per channel.
export const BN_INV_STD_WGSL = /* wgsl */ `
struct P { channels: u32, offVar: u32, offInv: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> Var: array<f32>;
@group(0) @binding(1) var<storage, read_write> Inv: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = elementIndex(wid, nwg, lid);
  if (c >= p.channels) { return; }
  Inv[p.offInv + c] = 1.0 / sqrt(Var[p.offVar + c] + p.eps);
}
`;

// The running estimates after a training batch, a thread per channel, with f the factor:
//   runningMean ← (1 − f)·runningMean + f·mean,   runningVar ← (1 − f)·runningVar + f·variance·unbias.
export const BN_RUNNING_WGSL = /* wgsl */ `
struct P { channels: u32, offMean: u32, offVar: u32, offRunMean: u32, offRunVar: u32, f: f32, unbias: f32 }
@group(0) @binding(0) var<storage, read> Mean: array<f32>;
@group(0) @binding(1) var<storage, read> Var: array<f32>;
@group(0) @binding(2) var<storage, read_write> RunMean: array<f32>;
@group(0) @binding(3) var<storage, read_write> RunVar: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = elementIndex(wid, nwg, lid);
  if (c >= p.channels) { return; }
  let keep = 1.0 - p.f;
  RunMean[p.offRunMean + c] = keep * RunMean[p.offRunMean + c] + p.f * Mean[p.offMean + c];
  RunVar[p.offRunVar + c] = keep * RunVar[p.offRunVar + c] + p.f * Var[p.offVar + c] * p.unbias;
}
`;

// Per channel, x̂ = (x − mean)·invStd, S₁ = Σ dy, S₂ = Σ dy·x̂ over its M values (a workgroup per
// channel): Sums[c] = S₂ and Sums[channels + c] = S₁ (for dweight and dbias), and
//   batch statistics (BATCH = 1):  dx = a·(dy − S₁/M − x̂·S₂/M)
//   running statistics:            dx = a·dy,     a = γ[c]·invStd[c].
export const BN_BACKWARD_WGSL = /* wgsl */ `
struct P { batch: u32, channels: u32, spatial: u32, offX: u32, offDy: u32, offMean: u32, offInv: u32, offW: u32, offDx: u32, offSums: u32, hasW: u32, batchStats: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Dy: array<f32>;
@group(0) @binding(2) var<storage, read> Mean: array<f32>;
@group(0) @binding(3) var<storage, read> Inv: array<f32>;
@group(0) @binding(4) var<storage, read> Wt: array<f32>;
@group(0) @binding(5) var<storage, read_write> Dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> Sums: array<f32>;
@group(0) @binding(7) var<uniform> p: P;
${SUM2_WGSL}
${GROUP_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = groupIndex(wid, nwg);
  if (c >= p.channels) { return; }
  let n = p.batch * p.spatial;
  let mu = Mean[p.offMean + c];
  let is = Inv[p.offInv + c];
  var s = vec2<f32>(0.0, 0.0);
  for (var e = lid.x; e < n; e += 256u) {
    let at = ((e / p.spatial) * p.channels + c) * p.spatial + e % p.spatial;
    let g = Dy[p.offDy + at];
    s = s + vec2<f32>(g, g * ((X[p.offX + at] - mu) * is));
  }
  let S = workgroupSum2(lid.x, s);
  if (lid.x == 0u) {
    Sums[p.offSums + c] = S.y;
    Sums[p.offSums + p.channels + c] = S.x;
  }
  var a = is;
  if (p.hasW != 0u) { a = Wt[p.offW + c] * is; }
  let m1 = S.x / f32(n);
  let m2 = S.y / f32(n);
  for (var e = lid.x; e < n; e += 256u) {
    let at = ((e / p.spatial) * p.channels + c) * p.spatial + e % p.spatial;
    let g = Dy[p.offDy + at];
    if (p.batchStats != 0u) {
      Dx[p.offDx + at] = a * (g - m1 - (X[p.offX + at] - mu) * is * m2);
    } else {
      Dx[p.offDx + at] = a * g;
    }
  }
}
`;

// Each row r (a workgroup): mean = (1/cols) Σ x, rstd = 1/√((1/cols) Σ (x − mean)² + eps),
// y = (x − mean)·rstd·γ + β (γ = 1, β = 0 when not bound).
export const LN_FORWARD_WGSL = /* wgsl */ `
struct P { rows: u32, cols: u32, offX: u32, offW: u32, offB: u32, offY: u32, offMean: u32, offRstd: u32, hasW: u32, hasB: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read> Bs: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<storage, read_write> Mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> Rstd: array<f32>;
@group(0) @binding(6) var<uniform> p: P;
${SUM2_WGSL}
${GROUP_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = groupIndex(wid, nwg);
  if (r >= p.rows) { return; }
  let o = p.offX + r * p.cols;
  var s = 0.0;
  for (var j = lid.x; j < p.cols; j += 256u) { s = s + X[o + j]; }
  let mu = workgroupSum2(lid.x, vec2<f32>(s, 0.0)).x / f32(p.cols);
  var q = 0.0;
  for (var j = lid.x; j < p.cols; j += 256u) {
    let d = X[o + j] - mu;
    q = q + d * d;
  }
  let is = 1.0 / sqrt(workgroupSum2(lid.x, vec2<f32>(q, 0.0)).x / f32(p.cols) + p.eps);
  for (var j = lid.x; j < p.cols; j += 256u) {
    var h = (X[o + j] - mu) * is;
    if (p.hasW != 0u) { h = h * Wt[p.offW + j]; }
    if (p.hasB != 0u) { h = h + Bs[p.offB + j]; }
    Y[p.offY + r * p.cols + j] = h;
  }
  if (lid.x == 0u) {
    Mean[p.offMean + r] = mu;
    Rstd[p.offRstd + r] = is;
  }
}
`;

// The input gradient of layer norm, a workgroup per row: with x̂ = (x − mean)·rstd and
// g = dy·γ, dx = rstd·(g − mean(g) − x̂·mean(g·x̂)).
export const LN_BACKWARD_WGSL = /* wgsl */ `
struct P { rows: u32, cols: u32, offX: u32, offDy: u32, offMean: u32, offRstd: u32, offW: u32, offDx: u32, hasW: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Dy: array<f32>;
@group(0) @binding(2) var<storage, read> Mean: array<f32>;
@group(0) @binding(3) var<storage, read> Rstd: array<f32>;
@group(0) @binding(4) var<storage, read> Wt: array<f32>;
@group(0) @binding(5) var<storage, read_write> Dx: array<f32>;
@group(0) @binding(6) var<uniform> p: P;
${SUM2_WGSL}
${GROUP_WGSL}
fn gradAt(o: u32, j: u32) -> f32 {
  if (p.hasW != 0u) { return Dy[p.offDy + o + j] * Wt[p.offW + j]; }
  return Dy[p.offDy + o + j];
}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = groupIndex(wid, nwg);
  if (r >= p.rows) { return; }
  let o = r * p.cols;
  let mu = Mean[p.offMean + r];
  let is = Rstd[p.offRstd + r];
  var s = vec2<f32>(0.0, 0.0);
  for (var j = lid.x; j < p.cols; j += 256u) {
    let g = gradAt(o, j);
    s = s + vec2<f32>(g, g * ((X[p.offX + o + j] - mu) * is));
  }
  let m = workgroupSum2(lid.x, s) / f32(p.cols);
  for (var j = lid.x; j < p.cols; j += 256u) {
    let h = (X[p.offX + o + j] - mu) * is;
    Dx[p.offDx + o + j] = is * (gradAt(o, j) - m.x - h * m.y);
  }
}
`;

// The parameter gradients of layer norm, a thread per column j walking the rows:
// Sums[j] = Σ_r dy·x̂ (for dweight), Sums[cols + j] = Σ_r dy (for dbias).
export const LN_PARAM_SUMS_WGSL = /* wgsl */ `
struct P { rows: u32, cols: u32, offX: u32, offDy: u32, offMean: u32, offRstd: u32, offSums: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Dy: array<f32>;
@group(0) @binding(2) var<storage, read> Mean: array<f32>;
@group(0) @binding(3) var<storage, read> Rstd: array<f32>;
@group(0) @binding(4) var<storage, read_write> Sums: array<f32>;
@group(0) @binding(5) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let j = elementIndex(wid, nwg, lid);
  if (j >= p.cols) { return; }
  var sw = 0.0;
  var sb = 0.0;
  for (var r = 0u; r < p.rows; r++) {
    let d = Dy[p.offDy + r * p.cols + j];
    sw = sw + d * ((X[p.offX + r * p.cols + j] - Mean[p.offMean + r]) * Rstd[p.offRstd + r]);
    sb = sb + d;
  }
  Sums[p.offSums + j] = sw;
  Sums[p.offSums + p.cols + j] = sb;
}
`;
