// The embedding lookup in WGSL: a row gather (a thread per output element) and its adjoint, a
// scatter-add that repeated indices make a race when done a thread per index. The adjoint runs a
// thread per column instead: each walks the indices in order and adds its column of dy into the
// rows they name, so no two threads write one element and every element receives its
// contributions in the reference's order (the same float32 sums, bit for bit). Its parallelism is
// the embedding's width; the lookup's memory traffic, not its arithmetic, bounds both.

import { INDEX_WGSL } from './wgsl-elementwise.js';

// y[i, j] = weight[indices[i], j].
export const EMBEDDING_FORWARD_WGSL = /* wgsl */ `
struct P { n: u32, dim: u32, offW: u32, offIdx: u32, offY: u32 }
@group(0) @binding(0) var<storage, read> Wt: array<f32>;
@group(0) @binding(1) var<storage, read> Idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let e = elementIndex(wid, nwg, lid);
  if (e >= p.n) { return; }
  let row = u32(Idx[p.offIdx + e / p.dim]);
  Y[p.offY + e] = Wt[p.offW + row * p.dim + e % p.dim];
}
`;

// dweight[indices[i], j] += dy[i, j] for i = 0, 1, … in order, skipping indices[i] = paddingIdx;
// a thread per column j.
export const EMBEDDING_BACKWARD_WGSL = /* wgsl */ `
struct P { count: u32, dim: u32, offDy: u32, offIdx: u32, offDw: u32, paddingIdx: i32 }
@group(0) @binding(0) var<storage, read> Dy: array<f32>;
@group(0) @binding(1) var<storage, read> Idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> Dw: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let j = elementIndex(wid, nwg, lid);
  if (j >= p.dim) { return; }
  for (var i = 0u; i < p.count; i++) {
    let row = Idx[p.offIdx + i];
    if (row == p.paddingIdx) { continue; }
    let at = p.offDw + u32(row) * p.dim + j;
    Dw[at] = Dw[at] + Dy[p.offDy + i * p.dim + j];
  }
}
`;
