// Reductions in WGSL: bias gradients, softmax cross-entropy and the elementwise losses. Sums that
// the kernel table returns as a number are finished on the host in float64: the device writes one
// float32 partial per row (cross-entropy) or per 1024 elements (elementwise losses), and only those
// few floats are read back. SUM2_WGSL and GROUP_WGSL are the workgroup sum and the 2-D group
// index that every workgroup-per-channel (or per-row, per-weight) kernel uses: here, in
// wgsl-norm.ts and in wgsl-conv.ts.

import { INDEX_WGSL, MATH_WGSL } from './wgsl-elementwise.js';

/** Workgroup-wide sums of two values: every thread passes its pair, every thread gets the totals. */
export const SUM2_WGSL = /* wgsl */ `
var<workgroup> part: array<vec2<f32>, 256>;
fn workgroupSum2(lid: u32, v: vec2<f32>) -> vec2<f32> {
  part[lid] = v;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half = half / 2u) {
    if (lid < half) { part[lid] = part[lid] + part[lid + half]; }
    workgroupBarrier();
  }
  let s = part[0];
  workgroupBarrier();  // part is written again by the next call
  return s;
}
`;

/** The group index of a workgroup in a 2-D grid of them. */
export const GROUP_WGSL = /* wgsl */ `
fn groupIndex(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y * nwg.x + wid.x;
}
`;

// out[c] += Σ_r x[r, c]: one thread per column, walking the rows (adjacent threads read adjacent
// columns of a row, so every row is read in one coalesced sweep).
export const SUM_ROWS_WGSL = /* wgsl */ `
struct P { rows: u32, cols: u32, offX: u32, offOut: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Out: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = elementIndex(wid, nwg, lid);
  if (c >= p.cols) { return; }
  var s = 0.0;
  for (var r = 0u; r < p.rows; r++) { s = s + X[p.offX + r * p.cols + c]; }
  Out[p.offOut + c] = Out[p.offOut + c] + s;
}
`;

// out[c] += Σ_{b,s} x[b, c, s]: one workgroup per channel; 256 threads stride over the batch's
// spatial positions, then a tree in workgroup memory adds their 256 partial sums.
export const SUM_CHANNELS_WGSL = /* wgsl */ `
struct P { batch: u32, channels: u32, spatial: u32, offX: u32, offOut: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Out: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${SUM2_WGSL}
${GROUP_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = groupIndex(wid, nwg);
  if (c >= p.channels) { return; }
  let n = p.batch * p.spatial;
  var s = 0.0;
  for (var e = lid.x; e < n; e += 256u) {
    let b = e / p.spatial;
    s = s + X[p.offX + (b * p.channels + c) * p.spatial + e % p.spatial];
  }
  let S = workgroupSum2(lid.x, vec2<f32>(s, 0.0));
  if (lid.x == 0u) { Out[p.offOut + c] = Out[p.offOut + c] + S.x; }
}
`;

// Softmax cross-entropy forward, one thread per row: m = max z, ls = log Σ e^(z − m),
// log p = (z − m) − ls, probs = e^(log p), loss[r] = −log p[label] (or −Σ t·log p for a target row;
// 0 for neither). Shifting by m first keeps z − m exact: z − (m + ls) would round m + ls to the
// float32 grid of m (6e-5 at |z| = 1000).
export const SCE_FORWARD_WGSL = /* wgsl */ `
struct P { rows: u32, classes: u32, offZ: u32, offL: u32, offT: u32, offP: u32, offLoss: u32, hasLabels: u32, hasTargets: u32, copyLogits: u32 }
@group(0) @binding(0) var<storage, read> Z: array<f32>;
@group(0) @binding(1) var<storage, read> Labels: array<i32>;
@group(0) @binding(2) var<storage, read> T: array<f32>;
@group(0) @binding(3) var<storage, read_write> Prob: array<f32>;
@group(0) @binding(4) var<storage, read_write> Loss: array<f32>;
@group(0) @binding(5) var<uniform> p: P;
${INDEX_WGSL}
${MATH_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = elementIndex(wid, nwg, lid);
  if (r >= p.rows) { return; }
  let o = p.offZ + r * p.classes;
  var m = Z[o];
  for (var j = 1u; j < p.classes; j++) { m = max(m, Z[o + j]); }
  var s = 0.0;
  for (var j = 0u; j < p.classes; j++) { s = s + expAcc(Z[o + j] - m); }
  let ls = log(s);
  let q = p.offP + r * p.classes;
  for (var j = 0u; j < p.classes; j++) { Prob[q + j] = expAcc((Z[o + j] - m) - ls); }
  var label = -1;
  if (p.hasLabels != 0u) { label = Labels[p.offL + r]; }
  var loss = 0.0;
  if (label >= 0) {
    loss = ls - (Z[o + u32(label)] - m);
  } else if (p.hasTargets != 0u) {
    let t = p.offT + r * p.classes;
    for (var j = 0u; j < p.classes; j++) { loss = loss + T[t + j] * (ls - (Z[o + j] - m)); }
  }
  Loss[p.offLoss + r] = loss;
  // the logits too, behind the losses, when the host will want them (one readback for both)
  if (p.copyLogits != 0u) {
    for (var j = 0u; j < p.classes; j++) { Loss[p.offLoss + p.rows + r * p.classes + j] = Z[o + j]; }
  }
}
`;

/** Elements per workgroup of the elementwise loss (4 per thread). */
export const LOSS_BLOCK = 1024;

// Σ ℓ(ŷ, y) of one block of 1024 elements into partial[block]; partial[blocks + block] counts the
// predictions that are not in [0, 1] (BCE; NaN included), so that the host can return NaN.
//   OP 0 mse (ŷ − y)²;  1 bce −[y·max(log ŷ, −100) + (1 − y)·max(log(1 − ŷ), −100)];
//   2 bceWithLogits max(z, 0) − z·y + log(1 + e^(−|z|)).
export const ELEMENTWISE_LOSS_WGSL = /* wgsl */ `
override OP: u32;
struct P { n: u32, offA: u32, offB: u32, offOut: u32, blocks: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> Out: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${MATH_WGSL}
var<workgroup> part: array<f32, 256>;
var<workgroup> bad: array<u32, 256>;
// max(log v, −100) with log 0 = −∞ spelled out (a GPU's log(0) need not be −∞)
fn clampedLog(v: f32) -> f32 {
  if (v <= 0.0) { return -100.0; }
  return max(log(v), -100.0);
}
fn ell(v: f32, y: f32) -> f32 {
  if (OP == 0u) { let d = v - y; return d * d; }
  if (OP == 1u) { return -(y * clampedLog(v) + (1.0 - y) * clampedLog(1.0 - v)); }
  return max(v, 0.0) - v * y + log1pPos(expAcc(-abs(v)));
}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let block = wid.y * nwg.x + wid.x;
  var s = 0.0;
  var invalid = 0u;
  for (var q = 0u; q < 4u; q++) {
    let i = block * 1024u + q * 256u + lid.x;
    if (i < p.n) {
      let v = A[p.offA + i];
      if (OP == 1u && (isNan(v) || v < 0.0 || v > 1.0)) { invalid = invalid + 1u; }
      else { s = s + ell(v, B[p.offB + i]); }
    }
  }
  part[lid.x] = s;
  bad[lid.x] = invalid;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half = half / 2u) {
    if (lid.x < half) {
      part[lid.x] = part[lid.x] + part[lid.x + half];
      bad[lid.x] = bad[lid.x] + bad[lid.x + half];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u && block < p.blocks) {
    Out[p.offOut + block] = part[0];
    Out[p.offOut + p.blocks + block] = f32(bad[0]);
  }
}
`;
