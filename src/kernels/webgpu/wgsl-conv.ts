// The direct convolutions of the kernel table (stride 1, the sums of table.ts's conv2dForward,
// conv2dBackwardData, conv2dBackwardFilter) in WGSL, each one dispatch over the whole batch: the
// path a hardware adapter takes (kernels.ts, WebGPUOptions.conv). A software adapter runs the
// per-image unfolding instead (kernels/conv-unfolded.ts: im2col, a product, col2im per image),
// which SwiftShader executes faster.
// Shapes: x (B, C, H, W), w (OC, C, kh, kw), y and dy (B, OC, OH, OW) with
// OH = H + 2·ph − kh + 1, OW = W + 2·pw − kw + 1; x and dy are 0 outside their images.
//
// Every kernel gathers, so no two threads write one element and no atomics are needed. A tap
// outside the image reads a clamped index and its product is replaced by 0 (select), so every
// index read is inside the arrays. Sums run in float32 (the reference adds in float64 and
// rounds once).
//
// On a GPU. A CNN step of the playground's network is 3 dispatches per convolution instead of
// about 2 per image (37 against 355 for a batch of 64), and no C·kh·kw-fold copy of each image
// is written and read back. Forward and data gradient have a thread per output element
// (B·OC·OH·OW and B·C·H·W threads, 256 to a workgroup, consecutive threads on consecutive
// columns: coalesced reads of x and dy, coalesced writes); the weights one workgroup reads are a
// few hundred floats, served from cache. The filter gradient is a reduction over B·OH·OW
// positions for each of few weights (72 and 1,152 in that network): one workgroup per weight,
// its 256 threads striding the positions (consecutive threads on consecutive columns, coalesced
// again), then a tree in workgroup memory; 50,176 products per weight for a batch of 64 at
// 28×28 become 196 per thread.

import { INDEX_WGSL } from './wgsl-elementwise.js';
import { GROUP_WGSL, SUM2_WGSL } from './wgsl-reduce.js';

const PARAMS = 'B: u32, C: u32, H: u32, W: u32, OC: u32, kh: u32, kw: u32, ph: u32, pw: u32';
const OUT_SIZE = /* wgsl */ `
fn outH() -> u32 { return p.H + 2u * p.ph + 1u - p.kh; }
fn outW() -> u32 { return p.W + 2u * p.pw + 1u - p.kw; }
`;

// y[b, o, oy, ox] = bias[o] + Σ_{c, i, j} w[o, c, i, j] · x[b, c, oy − ph + i, ox − pw + j]
export const CONV_FORWARD_WGSL = /* wgsl */ `
struct P { ${PARAMS}, offX: u32, offW: u32, offBias: u32, offY: u32, hasBias: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read> Bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
${INDEX_WGSL}
${OUT_SIZE}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let e = elementIndex(wid, nwg, lid);
  let OH = outH();
  let OW = outW();
  if (e >= p.B * p.OC * OH * OW) { return; }
  let ox = e % OW;
  let oy = (e / OW) % OH;
  let o = (e / (OW * OH)) % p.OC;
  let b = e / (OW * OH * p.OC);
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) {
    for (var i = 0u; i < p.kh; i++) {
      let iy = i32(oy + i) - i32(p.ph);
      let rowIn = iy >= 0 && iy < i32(p.H);
      let xRow = p.offX + ((b * p.C + c) * p.H + u32(clamp(iy, 0, i32(p.H) - 1))) * p.W;
      let wRow = p.offW + ((o * p.C + c) * p.kh + i) * p.kw;
      for (var j = 0u; j < p.kw; j++) {
        let ix = i32(ox + j) - i32(p.pw);
        let t = Wt[wRow + j] * X[xRow + u32(clamp(ix, 0, i32(p.W) - 1))];
        s = s + select(0.0, t, rowIn && ix >= 0 && ix < i32(p.W));
      }
    }
  }
  var bias = 0.0;
  if (p.hasBias != 0u) { bias = Bias[p.offBias + o]; }
  Y[p.offY + e] = bias + s;
}
`;

// Forward was y[b, o, oy, ox] += w[o, c, i, j] · x[b, c, oy − ph + i, ox − pw + j], so
// dx[b, c, iy, ix] = Σ_{o, i, j} w[o, c, i, j] · dy[b, o, iy + ph − i, ix + pw − j]   (written).
export const CONV_BACKWARD_DATA_WGSL = /* wgsl */ `
struct P { ${PARAMS}, offDy: u32, offW: u32, offDx: u32 }
@group(0) @binding(0) var<storage, read> Dy: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> Dx: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${INDEX_WGSL}
${OUT_SIZE}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let e = elementIndex(wid, nwg, lid);
  if (e >= p.B * p.C * p.H * p.W) { return; }
  let OH = outH();
  let OW = outW();
  let ix = e % p.W;
  let iy = (e / p.W) % p.H;
  let c = (e / (p.W * p.H)) % p.C;
  let b = e / (p.W * p.H * p.C);
  var s = 0.0;
  for (var o = 0u; o < p.OC; o++) {
    for (var i = 0u; i < p.kh; i++) {
      let oy = i32(iy + p.ph) - i32(i);
      let rowIn = oy >= 0 && oy < i32(OH);
      let dyRow = p.offDy + ((b * p.OC + o) * OH + u32(clamp(oy, 0, i32(OH) - 1))) * OW;
      let wRow = p.offW + ((o * p.C + c) * p.kh + i) * p.kw;
      for (var j = 0u; j < p.kw; j++) {
        let ox = i32(ix + p.pw) - i32(j);
        let t = Wt[wRow + j] * Dy[dyRow + u32(clamp(ox, 0, i32(OW) - 1))];
        s = s + select(0.0, t, rowIn && ox >= 0 && ox < i32(OW));
      }
    }
  }
  Dx[p.offDx + e] = s;
}
`;

// Forward was y[b, o, oy, ox] += w[o, c, i, j] · x[b, c, oy − ph + i, ox − pw + j], so
// dw[o, c, i, j] = beta·dw + Σ_{b, oy, ox} dy[b, o, oy, ox] · x[b, c, oy − ph + i, ox − pw + j]
// (beta 0 overwrites: NaNs in dw vanish). Workgroup e (of a 2-D grid) computes weight e: thread t
// sums the positions t, t + 256, … of the flattened (b, oy, ox), then the 256 partial sums are
// added in a fixed tree.
export const CONV_BACKWARD_FILTER_WGSL = /* wgsl */ `
struct P { ${PARAMS}, offX: u32, offDy: u32, offDw: u32, beta: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> Dw: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${SUM2_WGSL}
${GROUP_WGSL}
${OUT_SIZE}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let e = groupIndex(wid, nwg);
  if (e >= p.OC * p.C * p.kh * p.kw) { return; }
  let OH = outH();
  let OW = outW();
  let L = OH * OW;
  let j = e % p.kw;
  let i = (e / p.kw) % p.kh;
  let c = (e / (p.kw * p.kh)) % p.C;
  let o = e / (p.kw * p.kh * p.C);
  var s = 0.0;
  for (var t = lid.x; t < p.B * L; t += 256u) {
    let b = t / L;
    let q = t % L;
    let iy = i32(q / OW + i) - i32(p.ph);
    let ix = i32(q % OW + j) - i32(p.pw);
    let xAt = p.offX + ((b * p.C + c) * p.H + u32(clamp(iy, 0, i32(p.H) - 1))) * p.W + u32(clamp(ix, 0, i32(p.W) - 1));
    let v = Dy[p.offDy + (b * p.OC + o) * L + q] * X[xAt];
    s = s + select(0.0, v, iy >= 0 && iy < i32(p.H) && ix >= 0 && ix < i32(p.W));
  }
  let S = workgroupSum2(lid.x, vec2<f32>(s, 0.0)).x;
  if (lid.x == 0u) {
    let at = p.offDw + e;
    if (p.beta == 0.0) { Dw[at] = S; }
    else { Dw[at] = p.beta * Dw[at] + S; }
  }
}
`;
