// Image kernels in WGSL: im2col / col2im (the convolution's unfolding and its adjoint), max and
// average pooling. Every kernel gathers: one thread per output element reads what it needs, so no
// two threads write the same element and no atomics are needed. The adjoints (col2im, the
// poolings' backward) visit their contributions in the reference's order and add them to the
// output, which the caller zeroed: col2im and max pooling give the same float32 sums, bit for bit
// (average pooling rounds dy/(kh·kw) to float32 first, the reference in float64). Max pooling's
// backward is the exception: a thread per plane scatters into it, in order.

import { INDEX_WGSL, MATH_WGSL } from './wgsl-elementwise.js';

const GEOMETRY = 'C: u32, H: u32, W: u32, kh: u32, kw: u32, sh: u32, sw: u32, ph: u32, pw: u32, OH: u32, OW: u32';

// col[(c·kh + i)·kw + j, oy·OW + ox] = x[c, oy·sh − ph + i, ox·sw − pw + j] (0 outside the image).
export const IM2COL_WGSL = /* wgsl */ `
struct P { ${GEOMETRY}, offX: u32, offCol: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Col: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let e = elementIndex(wid, nwg, lid);
  let L = p.OH * p.OW;
  if (e >= p.C * p.kh * p.kw * L) { return; }
  let row = e / L;
  let l = e % L;
  let j = row % p.kw;
  let i = (row / p.kw) % p.kh;
  let c = row / (p.kw * p.kh);
  let iy = i32((l / p.OW) * p.sh + i) - i32(p.ph);
  let ix = i32((l % p.OW) * p.sw + j) - i32(p.pw);
  var v = 0.0;
  if (iy >= 0 && iy < i32(p.H) && ix >= 0 && ix < i32(p.W)) { v = X[p.offX + (c * p.H + u32(iy)) * p.W + u32(ix)]; }
  Col[p.offCol + e] = v;
}
`;

// dx[c, iy, ix] += Σ over the kernel offsets (i, j) whose window position (oy, ox) lands on the
// pixel: oy·sh − ph + i = iy, ox·sw − pw + j = ix.
export const COL2IM_WGSL = /* wgsl */ `
struct P { ${GEOMETRY}, offCol: u32, offDx: u32 }
@group(0) @binding(0) var<storage, read> Col: array<f32>;
@group(0) @binding(1) var<storage, read_write> Dx: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let e = elementIndex(wid, nwg, lid);
  if (e >= p.C * p.H * p.W) { return; }
  let ix = e % p.W;
  let iy = (e / p.W) % p.H;
  let c = e / (p.W * p.H);
  let L = p.OH * p.OW;
  var s = Dx[p.offDx + e];
  for (var i = 0u; i < p.kh; i++) {
    let ty = i32(iy + p.ph) - i32(i);
    if (ty < 0 || ty % i32(p.sh) != 0) { continue; }
    let oy = u32(ty) / p.sh;
    if (oy >= p.OH) { continue; }
    for (var j = 0u; j < p.kw; j++) {
      let tx = i32(ix + p.pw) - i32(j);
      if (tx < 0 || tx % i32(p.sw) != 0) { continue; }
      let ox = u32(tx) / p.sw;
      if (ox >= p.OW) { continue; }
      s = s + Col[p.offCol + ((c * p.kh + i) * p.kw + j) * L + oy * p.OW + ox];
    }
  }
  Dx[p.offDx + e] = s;
}
`;

// y[q, oy, ox] = max over the window (padding is −∞; NaN wins; the first maximum wins ties);
// argmax = the flat position iy·W + ix of the winner in its plane, −1 for a window of padding.
export const MAXPOOL_FORWARD_WGSL = /* wgsl */ `
struct P { planes: u32, ${GEOMETRY.replace('C: u32, ', '')}, offX: u32, offY: u32, offArg: u32, negInf: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<storage, read_write> Arg: array<i32>;
@group(0) @binding(3) var<uniform> p: P;
${INDEX_WGSL}
${MATH_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let o = elementIndex(wid, nwg, lid);
  if (o >= p.planes * p.OH * p.OW) { return; }
  let ox = o % p.OW;
  let oy = (o / p.OW) % p.OH;
  let q = o / (p.OW * p.OH);
  let xo = p.offX + q * p.H * p.W;
  var best = 0.0;
  var win = -1;
  var done = false;
  for (var i = 0u; i < p.kh && !done; i++) {
    let iy = i32(oy * p.sh + i) - i32(p.ph);
    if (iy < 0 || iy >= i32(p.H)) { continue; }
    for (var j = 0u; j < p.kw; j++) {
      let ix = i32(ox * p.sw + j) - i32(p.pw);
      if (ix < 0 || ix >= i32(p.W)) { continue; }
      let v = X[xo + u32(iy) * p.W + u32(ix)];
      if (win < 0 || v > best || isNan(v)) {
        best = v;
        win = iy * i32(p.W) + ix;
        if (isNan(v)) { done = true; break; }
      }
    }
  }
  if (win < 0) { best = p.negInf; }  // (WGSL has no −∞ literal)
  Y[p.offY + o] = best;
  Arg[p.offArg + o] = win;
}
`;

// dx[q, argmax[o]] += dy[o]: one thread per plane walks its outputs in the reference's order
// (windows overlap when the stride is below the kernel, so a thread per output would race).
export const MAXPOOL_BACKWARD_WGSL = /* wgsl */ `
struct P { planes: u32, plane: u32, outs: u32, offDy: u32, offArg: u32, offDx: u32 }
@group(0) @binding(0) var<storage, read> Dy: array<f32>;
@group(0) @binding(1) var<storage, read> Arg: array<i32>;
@group(0) @binding(2) var<storage, read_write> Dx: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let q = elementIndex(wid, nwg, lid);
  if (q >= p.planes) { return; }
  for (var k = 0u; k < p.outs; k++) {
    let o = q * p.outs + k;
    let win = Arg[p.offArg + o];
    if (win >= 0) {
      let at = p.offDx + q * p.plane + u32(win);
      Dx[at] = Dx[at] + Dy[p.offDy + o];
    }
  }
}
`;

// y[q, oy, ox] = inv·Σ x over the window's inputs inside the image (padding counts as zeros in
// inv = 1/(kh·kw)), a thread per output, summed in the reference's order.
export const AVGPOOL_FORWARD_WGSL = /* wgsl */ `
struct P { planes: u32, ${GEOMETRY.replace('C: u32, ', '')}, offX: u32, offY: u32, inv: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let o = elementIndex(wid, nwg, lid);
  if (o >= p.planes * p.OH * p.OW) { return; }
  let ox = o % p.OW;
  let oy = (o / p.OW) % p.OH;
  let xo = p.offX + (o / (p.OW * p.OH)) * p.H * p.W;
  let y0 = i32(oy * p.sh) - i32(p.ph);
  let x0 = i32(ox * p.sw) - i32(p.pw);
  let ya = max(y0, 0);
  let yb = min(y0 + i32(p.kh), i32(p.H));
  let xa = max(x0, 0);
  let xb = min(x0 + i32(p.kw), i32(p.W));
  var s = 0.0;
  for (var iy = ya; iy < yb; iy++) {
    for (var ix = xa; ix < xb; ix++) { s = s + X[xo + u32(iy) * p.W + u32(ix)]; }
  }
  Y[p.offY + o] = s * p.inv;
}
`;

// dx[q, iy, ix] += inv·dy[q, oy, ox] for every window (oy, ox) holding the pixel, gathered by a
// thread per pixel in the reference's order (oy, then ox, ascending): oy·sh − ph ≤ iy < oy·sh − ph + kh.
export const AVGPOOL_BACKWARD_WGSL = /* wgsl */ `
struct P { planes: u32, ${GEOMETRY.replace('C: u32, ', '')}, offDy: u32, offDx: u32, inv: f32 }
@group(0) @binding(0) var<storage, read> Dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> Dx: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${INDEX_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let e = elementIndex(wid, nwg, lid);
  if (e >= p.planes * p.H * p.W) { return; }
  let ix = e % p.W;
  let iy = (e / p.W) % p.H;
  let go = p.offDy + (e / (p.W * p.H)) * p.OH * p.OW;
  // the windows holding row iy: ⌈(iy + ph − kh + 1)/sh⌉ ≤ oy ≤ ⌊(iy + ph)/sh⌋, inside [0, OH)
  let ty = i32(iy + p.ph);
  let tx = i32(ix + p.pw);
  let oy0 = max(0, (ty - i32(p.kh) + i32(p.sh)) / i32(p.sh));
  let oy1 = min(i32(p.OH) - 1, ty / i32(p.sh));
  let ox0 = max(0, (tx - i32(p.kw) + i32(p.sw)) / i32(p.sw));
  let ox1 = min(i32(p.OW) - 1, tx / i32(p.sw));
  var s = Dx[p.offDx + e];
  for (var oy = oy0; oy <= oy1; oy++) {
    for (var ox = ox0; ox <= ox1; ox++) { s = s + Dy[go + u32(oy) * p.OW + u32(ox)] * p.inv; }
  }
  Dx[p.offDx + e] = s;
}
`;
