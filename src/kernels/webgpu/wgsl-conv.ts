// The direct convolutions of the kernel table (stride 1, the sums of table.ts's conv2dForward,
// conv2dBackwardData, conv2dBackwardFilter) in WGSL, each one dispatch over the whole batch.
// Shapes: x (B, C, H, W), w (OC, C, kh, kw), y and dy (B, OC, OH, OW) with
// OH = H + 2·ph − kh + 1, OW = W + 2·pw − kw + 1; x and dy are 0 outside their images.
//
// Every kernel gathers: one thread per output element walks its taps with the window's bounds
// clipped once per row, so no two threads write one element and no atomics are needed. Each sum
// runs in float32 in the reference's order (the reference adds in float64 and rounds once). A
// row's start index may pass below 0 before the first tap's offset is added: u32 arithmetic wraps,
// and every index read is inside the arrays.
//
// On a GPU: the callers use these where directConvFits() holds (C·kh·kw ≤ 288 taps, small
// images), where an unfolding would write and read C·kh·kw copies of the input per image and
// cost two dispatches per image. Forward and data gradient have a thread per output element
// (B·OC·OH·OW and B·C·H·W threads, 256 to a workgroup, consecutive threads on consecutive
// columns: coalesced reads of x, dy and writes); the weights a workgroup reads are a few hundred
// floats, served from cache. The filter gradient has a thread per weight (OC·C·kh·kw threads,
// e.g. 1,152), each summing B·OH·OW products along contiguous rows of dy and x: few threads with
// long sums, which suits the small filters these layers have and a software adapter's few cores.

const PARAMS = 'B: u32, C: u32, H: u32, W: u32, OC: u32, kh: u32, kw: u32, ph: u32, pw: u32';
const INDEX = /* wgsl */ `
fn elementIndex(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid.x;
}
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
${INDEX}
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
${INDEX}
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
// (beta 0 overwrites: NaNs in dw vanish).
export const CONV_BACKWARD_FILTER_WGSL = /* wgsl */ `
struct P { ${PARAMS}, offX: u32, offDy: u32, offDw: u32, beta: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> Dw: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${INDEX}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let e = elementIndex(wid, nwg, lid);
  if (e >= p.OC * p.C * p.kh * p.kw) { return; }
  let OH = outH();
  let OW = outW();
  let j = e % p.kw;
  let i = (e / p.kw) % p.kh;
  let c = (e / (p.kw * p.kh)) % p.C;
  let o = e / (p.kw * p.kh * p.C);
  var s = 0.0;
  for (var b = 0u; b < p.B; b++) {
    for (var oy = 0u; oy < OH; oy++) {
      let iy = i32(oy + i) - i32(p.ph);
      let rowIn = iy >= 0 && iy < i32(p.H);
      let dyRow = p.offDy + ((b * p.OC + o) * OH + oy) * OW;
      let xRow = p.offX + ((b * p.C + c) * p.H + u32(clamp(iy, 0, i32(p.H) - 1))) * p.W;
      for (var ox = 0u; ox < OW; ox++) {
        let ix = i32(ox + j) - i32(p.pw);
        let t = Dy[dyRow + ox] * X[xRow + u32(clamp(ix, 0, i32(p.W) - 1))];
        s = s + select(0.0, t, rowIn && ix >= 0 && ix < i32(p.W));
      }
    }
  }
  let at = p.offDw + e;
  if (p.beta == 0.0) { Dw[at] = s; }
  else { Dw[at] = p.beta * Dw[at] + s; }
}
`;
