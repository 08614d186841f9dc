// C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C, in WGSL (the reference is gemm in
// src/kernels/ref/index.ts). A is stored [M,K] (transA 0) or [K,M] (transA 1); B is stored
// [K,N] or [N,K]. beta = 0 writes C without reading it.
//
// Tiling: a workgroup of 16×16 threads computes a 64×64 tile of C; each thread keeps a 4×4 block
// of accumulators in registers, at rows ty + 16i and columns tx + 16j of the tile, so that a warp's
// writes of C are 16 consecutive floats and its shared-memory reads are conflict-free. K is walked
// in slices of 16: the workgroup stages op(A)[64×16] and op(B)[16×64] in workgroup memory (8 KiB),
// each thread loading 4 + 4 floats with consecutive threads on consecutive addresses of the layout
// as stored (the transpose flags pick the mapping). Per slice every loaded float is used 64 times
// from workgroup memory, so global traffic is (M·N·K)·(1/64 + 1/64) floats instead of 2·M·N·K.
// Each C element sums its K products in order, in float32.

export const GEMM_TILE = 64;

export const GEMM_WGSL = /* wgsl */ `
struct P {
  M: u32, N: u32, K: u32, transA: u32,
  transB: u32, offA: u32, offB: u32, offC: u32,
  alpha: f32, beta: f32,
}
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: P;

const TS: u32 = 64u;
const KS: u32 = 16u;
var<workgroup> As: array<array<f32, 64>, 16>;  // As[k][m]
var<workgroup> Bs: array<array<f32, 64>, 16>;  // Bs[k][n]

// op(A)[m, k] and op(B)[k, n], 0 outside the matrices
fn loadA(m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  if (p.transA == 0u) { return A[p.offA + m * p.K + k]; }
  return A[p.offA + k * p.M + m];
}
fn loadB(k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  if (p.transB == 0u) { return B[p.offB + k * p.N + n]; }
  return B[p.offB + n * p.K + k];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tx = lid.x;
  let ty = lid.y;
  let t = ty * 16u + tx;             // 0..255
  let m0 = wid.y * TS;
  let n0 = wid.x * TS;
  var acc: array<array<f32, 4>, 4>;
  for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i][j] = 0.0; } }

  for (var k0 = 0u; k0 < p.K; k0 += KS) {
    // 1024 floats of each tile, 4 per thread
    for (var q = 0u; q < 4u; q++) {
      let e = t + q * 256u;
      // A stored [M,K]: consecutive threads walk k; stored [K,M]: they walk m
      if (p.transA == 0u) {
        let kk = e % KS; let mm = e / KS;
        As[kk][mm] = loadA(m0 + mm, k0 + kk);
      } else {
        let mm = e % TS; let kk = e / TS;
        As[kk][mm] = loadA(m0 + mm, k0 + kk);
      }
      // B stored [K,N]: consecutive threads walk n; stored [N,K]: they walk k
      if (p.transB == 0u) {
        let nn = e % TS; let kk = e / TS;
        Bs[kk][nn] = loadB(k0 + kk, n0 + nn);
      } else {
        let kk = e % KS; let nn = e / KS;
        Bs[kk][nn] = loadB(k0 + kk, n0 + nn);
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KS; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = As[kk][ty + 16u * i]; }
      for (var j = 0u; j < 4u; j++) { b[j] = Bs[kk][tx + 16u * j]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] = acc[i][j] + a[i] * b[j]; }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let m = m0 + ty + 16u * i;
    if (m >= p.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + tx + 16u * j;
      if (n >= p.N) { continue; }
      let at = p.offC + m * p.N + n;
      if (p.beta == 0.0) { C[at] = p.alpha * acc[i][j]; }
      else { C[at] = p.alpha * acc[i][j] + p.beta * C[at]; }
    }
  }
}
`;

// The same product without workgroup memory: one thread per element of C, 16×16 threads per
// workgroup, each walking K with two global loads per multiply-add. For products too small to fill
// 64×64 tiles (a convolution's per-image product has M = the output channels), and on software
// adapters, which emulate workgroup barriers slowly.
export const GEMM_DIRECT_WGSL = /* wgsl */ `
struct P {
  M: u32, N: u32, K: u32, transA: u32,
  transB: u32, offA: u32, offB: u32, offC: u32,
  alpha: f32, beta: f32,
}
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: P;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let n = g.x;
  let m = g.y;
  if (m >= p.M || n >= p.N) { return; }
  // op(A)[m, k] = A[m·K + k] or A[k·M + m]; op(B)[k, n] = B[k·N + n] or B[n·K + k]
  var aAt = p.offA + m * p.K;
  var aStep = 1u;
  if (p.transA != 0u) { aAt = p.offA + m; aStep = p.M; }
  var bAt = p.offB + n;
  var bStep = p.N;
  if (p.transB != 0u) { bAt = p.offB + n * p.K; bStep = 1u; }
  var acc = 0.0;
  for (var k = 0u; k < p.K; k++) {
    acc = acc + A[aAt] * B[bAt];
    aAt += aStep;
    bAt += bStep;
  }
  let at = p.offC + m * p.N + n;
  if (p.beta == 0.0) { C[at] = p.alpha * acc; }
  else { C[at] = p.alpha * acc + p.beta * C[at]; }
}
`;
