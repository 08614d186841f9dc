// Softmax and log-softmax along one axis of x viewed as [outer, size, inner] (the axis has stride
// `inner`), a thread per line of the axis (outer·inner lines; adjacent threads read adjacent
// addresses when inner > 1), and the negative log-likelihood on log-probabilities. Every line is
// shifted by its maximum before exponentiating; the sums along a line run in float32, in the
// reference's order. NLL's total is finished on the host in float64 from one float per row.

import { INDEX_WGSL, MATH_WGSL } from './wgsl-elementwise.js';

/** The first element of a line and its stride. */
const LINE_WGSL = /* wgsl */ `
fn lineBase(line: u32) -> u32 {
  return (line / p.inner) * p.size * p.inner + line % p.inner;
}
`;

// LOG 0: y = e^(x − m) / Σ e^(x − m);  LOG 1: y = (x − m) − log Σ e^(x − m), m the line's maximum
// (NaN wins, as the reference's). Shifting by m first keeps x − m exact where x is near m:
// x − (m + log s) would round m + log s to the float32 grid of m.
export const SOFTMAX_FORWARD_WGSL = /* wgsl */ `
override LOG: u32;
struct P { lines: u32, size: u32, inner: u32, offX: u32, offY: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${INDEX_WGSL}
${MATH_WGSL}
${LINE_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let line = elementIndex(wid, nwg, lid);
  if (line >= p.lines) { return; }
  let b = lineBase(line);
  let xo = p.offX + b;
  var m = X[xo];
  for (var k = 1u; k < p.size; k++) {
    let v = X[xo + k * p.inner];
    if (v > m || isNan(v)) { m = v; }
    if (isNan(m)) { break; }
  }
  var s = 0.0;
  for (var k = 0u; k < p.size; k++) { s = s + expAcc(X[xo + k * p.inner] - m); }
  let yo = p.offY + b;
  if (LOG == 1u) {
    let ls = log(s);
    for (var k = 0u; k < p.size; k++) { Y[yo + k * p.inner] = (X[xo + k * p.inner] - m) - ls; }
  } else {
    for (var k = 0u; k < p.size; k++) { Y[yo + k * p.inner] = expAcc(X[xo + k * p.inner] - m) / s; }
  }
}
`;

// From the saved output y, along each line:
//   LOG 0 (softmax):      dx = y·(dy − Σ dy·y)
//   LOG 1 (log-softmax):  dx = dy − e^y·Σ dy
export const SOFTMAX_BACKWARD_WGSL = /* wgsl */ `
override LOG: u32;
struct P { lines: u32, size: u32, inner: u32, offY: u32, offDy: u32, offDx: u32 }
@group(0) @binding(0) var<storage, read> Y: array<f32>;
@group(0) @binding(1) var<storage, read> Dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> Dx: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${INDEX_WGSL}
${MATH_WGSL}
${LINE_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let line = elementIndex(wid, nwg, lid);
  if (line >= p.lines) { return; }
  let b = lineBase(line);
  let yo = p.offY + b;
  let go = p.offDy + b;
  let xo = p.offDx + b;
  var s = 0.0;
  if (LOG == 1u) {
    for (var k = 0u; k < p.size; k++) { s = s + Dy[go + k * p.inner]; }
    for (var k = 0u; k < p.size; k++) { Dx[xo + k * p.inner] = Dy[go + k * p.inner] - expAcc(Y[yo + k * p.inner]) * s; }
  } else {
    for (var k = 0u; k < p.size; k++) { s = s + Dy[go + k * p.inner] * Y[yo + k * p.inner]; }
    for (var k = 0u; k < p.size; k++) { Dx[xo + k * p.inner] = Y[yo + k * p.inner] * (Dy[go + k * p.inner] - s); }
  }
}
`;

// Loss[r] = −logProbs[r, labels[r]], or 0 for a row labelled −1 (ignored): a thread per row.
export const NLL_FORWARD_WGSL = /* wgsl */ `
struct P { rows: u32, classes: u32, offLp: u32, offL: u32, offLoss: u32 }
@group(0) @binding(0) var<storage, read> Lp: array<f32>;
@group(0) @binding(1) var<storage, read> Labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> Loss: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = elementIndex(wid, nwg, lid);
  if (r >= p.rows) { return; }
  let l = Labels[p.offL + r];
  var v = 0.0;
  if (l >= 0) { v = -Lp[p.offLp + r * p.classes + u32(l)]; }
  Loss[p.offLoss + r] = v;
}
`;

// grad[r, j] = −scale where j = labels[r] (a row labelled −1 gets none), 0 elsewhere: a thread per element.
export const NLL_BACKWARD_WGSL = /* wgsl */ `
struct P { n: u32, classes: u32, offL: u32, offG: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> Labels: array<i32>;
@group(0) @binding(1) var<storage, read_write> G: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = elementIndex(wid, nwg, lid);
  if (i >= p.n) { return; }
  var v = 0.0;
  if (Labels[p.offL + i / p.classes] == i32(i % p.classes)) { v = -p.scale; }
  G[p.offG + i] = v;
}
`;
