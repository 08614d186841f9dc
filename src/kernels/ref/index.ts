// The reference kernels: plain, commented TypeScript loops. They are the specification every
// fast backend is tested against, and the fallback where WebAssembly SIMD is missing.
// Shapes are in each kernel's comment in table.ts; the math is written next to each loop.
// Activations, optimiser steps, convolutions, pooling, normalisation, softmax, the embedding
// lookup and the products with sparse rows live in their own files beside this one.

import type { FloatArray } from '../../tensor.js';
import type { ElementwiseLossKind, Kernels } from '../table.js';
import { activationKernels } from './activations.js';
import { convKernels } from './conv.js';
import { embeddingBackward, embeddingForward } from './embedding.js';
import { sigmoid } from './math.js';
import {
  batchNormBackward, batchNormForward, batchNormInvStd, batchNormRunningUpdate, batchNormStats, layerNormBackward, layerNormForward,
} from './norm.js';
import { optimizerKernels } from './optimizers.js';
import { avgPool2dBackward, avgPool2dForward, maxPool2dBackward, maxPool2dForward } from './pool.js';
import { logSoftmaxBackward, logSoftmaxForward, nllLoss, nllLossBackward, softmaxBackward, softmaxForward } from './softmax.js';
import { sparseGemmBackward, sparseGemmForward } from './sparse.js';

// One float64 row of scratch, reused across calls, so products accumulate in double precision
// before being rounded once into C (no allocation per call once it is big enough).
let scratch = new Float64Array(1024);
function scratchRow(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  return scratch;
}

/** C[M,N] = alpha · op(A) op(B) + beta · C. */
function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, A: FloatArray, B: FloatArray, beta: number, C: FloatArray,
): void {
  const acc = scratchRow(N);
  for (let i = 0; i < M; i++) {
    acc.fill(0, 0, N);
    if (!transB) {
      // Row i of C is a combination of rows of B: C[i,:] = Σ_p op(A)[i,p] · B[p,:]
      for (let p = 0; p < K; p++) {
        const a = transA ? A[p * M + i]! : A[i * K + p]!;
        if (a === 0) continue;
        const bRow = p * N;
        for (let j = 0; j < N; j++) acc[j]! += a * B[bRow + j]!;
      }
    } else {
      // B is stored [N,K]: C[i,j] = Σ_p op(A)[i,p] · B[j,p], a dot product of two rows.
      for (let j = 0; j < N; j++) {
        const bRow = j * K;
        let s = 0;
        if (transA) for (let p = 0; p < K; p++) s += A[p * M + i]! * B[bRow + p]!;
        else {
          const aRow = i * K;
          for (let p = 0; p < K; p++) s += A[aRow + p]! * B[bRow + p]!;
        }
        acc[j] = s;
      }
    }
    const cRow = i * N;
    if (beta === 0) for (let j = 0; j < N; j++) C[cRow + j] = alpha * acc[j]!;
    else for (let j = 0; j < N; j++) C[cRow + j] = alpha * acc[j]! + beta * C[cRow + j]!;
  }
}

function addRowVector(y: FloatArray, v: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) y[o + c]! += v[c]!;
  }
}

function sumRowsInto(x: FloatArray, rows: number, cols: number, out: FloatArray): void {
  const acc = scratchRow(cols);
  acc.fill(0, 0, cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) acc[c]! += x[o + c]!;
  }
  for (let c = 0; c < cols; c++) out[c]! += acc[c]!;
}

function addChannelVector(y: FloatArray, v: FloatArray, batch: number, channels: number, spatial: number): void {
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < channels; c++) {
      const o = (b * channels + c) * spatial;
      const bias = v[c]!;
      for (let s = 0; s < spatial; s++) y[o + s]! += bias;
    }
  }
}

function sumChannelsInto(x: FloatArray, batch: number, channels: number, spatial: number, out: FloatArray): void {
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let b = 0; b < batch; b++) {
      const o = (b * channels + c) * spatial;
      for (let k = 0; k < spatial; k++) s += x[o + k]!;
    }
    out[c]! += s;
  }
}

function fill(out: FloatArray, value: number): void {
  for (let i = 0; i < out.length; i++) out[i] = value;
}

function mul(a: FloatArray, b: FloatArray, out: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! * b[i]!;
}

// ---- losses --------------------------------------------------------------------------------

// For each row: m = max_j z_j, lse = m + log Σ_j e^(z_j − m), p_j = e^(z_j − lse),
// loss_r = lse − z_label (or Σ_j t_j (lse − z_j) for a target row t).
function softmaxCrossEntropy(
  logits: FloatArray, rows: number, classes: number,
  labels: Int32Array | null, targets: FloatArray | null, probs: FloatArray,
): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let m = -Infinity;
    for (let j = 0; j < classes; j++) if (logits[o + j]! > m) m = logits[o + j]!;
    let s = 0;
    for (let j = 0; j < classes; j++) s += Math.exp(logits[o + j]! - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < classes; j++) probs[o + j] = Math.exp(logits[o + j]! - lse);
    const label = labels ? labels[r]! : -1;
    if (label >= 0) total += lse - logits[o + label]!;
    else if (targets) for (let j = 0; j < classes; j++) total += targets[o + j]! * (lse - logits[o + j]!);
  }
  return total;
}

// dL/dz of the sum above, times c: for a class index l, (p − onehot(l))·c, written as c·p and then
// c subtracted at l (each rounded to the dtype); for a target row t, c·((Σ t)·p − t).
function softmaxCrossEntropyBackward(
  probs: FloatArray, rows: number, classes: number,
  labels: Int32Array | null, targets: FloatArray | null, scale: number, grad: FloatArray,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    const label = labels ? labels[r]! : -1;
    if (label >= 0) {
      for (let j = 0; j < classes; j++) grad[o + j] = scale * probs[o + j]!;
      grad[o + label]! -= scale;
    } else if (targets) {
      let mass = 0;
      for (let j = 0; j < classes; j++) mass += targets[o + j]!;
      for (let j = 0; j < classes; j++) grad[o + j] = scale * (mass * probs[o + j]! - targets[o + j]!);
    } else {
      for (let j = 0; j < classes; j++) grad[o + j] = 0;
    }
  }
}

// Σ_i ℓ(ŷ_i, y_i), one loop per loss (float64 accumulation in element order):
//   mse: (ŷ − y)²;  bce: −[y·max(log ŷ, −100) + (1 − y)·max(log(1 − ŷ), −100)], NaN at once for ŷ ∉ [0, 1];
//   bceWithLogits: max(z, 0) − z·y + log1p(e^(−|z|)).
function elementwiseLoss(kind: ElementwiseLossKind, pred: FloatArray, target: FloatArray): number {
  const n = pred.length;
  let s = 0;
  if (kind === 'mse') {
    for (let i = 0; i < n; i++) {
      const d = pred[i]! - target[i]!;
      s += d * d;
    }
  } else if (kind === 'bce') {
    for (let i = 0; i < n; i++) {
      const p = pred[i]!;
      const y = target[i]!;
      if (!(p >= 0 && p <= 1)) return NaN;
      s += -(y * Math.max(Math.log(p), -100) + (1 - y) * Math.max(Math.log(1 - p), -100));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const z = pred[i]!;
      s += Math.max(z, 0) - z * target[i]! + Math.log1p(Math.exp(-Math.abs(z)));
    }
  }
  return s;
}

/** PyTorch's clamp of ŷ(1 − ŷ) in BCE's backward: the float constant 1e-12, i.e. 1e-12 rounded to float32. */
const BCE_EPSILON = Math.fround(1e-12);

// grad = c·∂ℓ/∂ŷ:  mse 2(ŷ − y);  bce (ŷ − y) / max(ŷ(1 − ŷ), ε);  bceWithLogits σ(z) − y.
function elementwiseLossBackward(kind: ElementwiseLossKind, pred: FloatArray, target: FloatArray, scale: number, grad: FloatArray): void {
  const n = pred.length;
  if (kind === 'mse') {
    for (let i = 0; i < n; i++) grad[i] = scale * (2 * (pred[i]! - target[i]!));
  } else if (kind === 'bce') {
    for (let i = 0; i < n; i++) {
      const p = pred[i]!;
      grad[i] = scale * ((p - target[i]!) / Math.max(p * (1 - p), BCE_EPSILON));
    }
  } else {
    for (let i = 0; i < n; i++) grad[i] = scale * (sigmoid(pred[i]!) - target[i]!);
  }
}

// ---- dropout -------------------------------------------------------------------------------

// xoshiro128** (as Random.nextUint32): out = rotl(s1·5, 7)·9; t = s1 << 9; s2 ^= s0; s3 ^= s1;
// s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11). u = out / 2³² is Random.uniform(), and the
// unit is dropped when u < p. The state words live in `state` between calls.
function dropoutMask(mask: FloatArray, p: number, keepScale: number, state: Uint32Array): void {
  let s0 = state[0]!, s1 = state[1]!, s2 = state[2]!, s3 = state[3]!;
  for (let i = 0; i < mask.length; i++) {
    const out = Math.imul(rotl32(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl32(s3, 11);
    mask[i] = out / 4294967296 < p ? 0 : keepScale;
  }
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
}

function rotl32(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// y = s·x.
function scale(x: FloatArray, s: number, y: FloatArray): void {
  for (let i = 0; i < x.length; i++) y[i] = s * x[i]!;
}

// ---- images --------------------------------------------------------------------------------

// col[(c·kh + i)·kw + j, oy·OW + ox] = x[c, oy·sh − ph + i, ox·sw − pw + j] (0 outside the image).
function im2col(
  x: FloatArray, C: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, col: FloatArray,
): void {
  const L = OH * OW;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((c * kh + i) * kw + j) * L;
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * sh - ph + i;
          const out = row + oy * OW;
          if (iy < 0 || iy >= H) {
            for (let ox = 0; ox < OW; ox++) col[out + ox] = 0;
            continue;
          }
          const xRow = (c * H + iy) * W;
          for (let ox = 0; ox < OW; ox++) {
            const ix = ox * sw - pw + j;
            col[out + ox] = ix >= 0 && ix < W ? x[xRow + ix]! : 0;
          }
        }
      }
    }
  }
}

// The transpose of im2col: every column entry adds back into the pixel it was copied from.
function col2im(
  dcol: FloatArray, C: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, dx: FloatArray,
): void {
  const L = OH * OW;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((c * kh + i) * kw + j) * L;
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * sh - ph + i;
          if (iy < 0 || iy >= H) continue;
          const xRow = (c * H + iy) * W;
          for (let ox = 0; ox < OW; ox++) {
            const ix = ox * sw - pw + j;
            if (ix >= 0 && ix < W) dx[xRow + ix]! += dcol[row + oy * OW + ox]!;
          }
        }
      }
    }
  }
}

/** The reference kernels: plain TypeScript loops over float32 or float64 arrays, the definition every other backend is tested against. */
export const refKernels: Kernels = {
  name: 'ref',
  ...activationKernels,
  ...optimizerKernels,
  ...convKernels,
  gemm,
  sparseGemmForward,
  sparseGemmBackward,
  addRowVector,
  fill,
  sumRowsInto,
  addChannelVector,
  sumChannelsInto,
  mul,
  softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
  elementwiseLoss,
  elementwiseLossBackward,
  dropoutMask,
  scale,
  im2col,
  col2im,
  maxPool2dForward,
  maxPool2dBackward,
  avgPool2dForward,
  avgPool2dBackward,
  batchNormStats,
  batchNormForward,
  batchNormInvStd,
  batchNormRunningUpdate,
  batchNormBackward,
  layerNormForward,
  layerNormBackward,
  softmaxForward,
  softmaxBackward,
  logSoftmaxForward,
  logSoftmaxBackward,
  nllLoss,
  nllLossBackward,
  embeddingForward,
  embeddingBackward,
};
