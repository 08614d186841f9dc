// Image transforms used by dream, on one image stored channels-first as a flat array:
//   img: (C, H, W), row-major, pixel values in [0, 1] (not normalised).
// Every transform that sits between the image and the network's input in the forward pass
// (roll, resize) comes with its adjoint, so the gradient can be carried back to the image:
//   forward  x_model = A · img      ⇒   d/dimg = Aᵀ · d/dx_model.
// Browser-safe: plain typed arrays, no Node modules.

import { HandgradError, type FloatArray } from '../tensor.js';

/** The shape of one image, channels first. */
export interface ImageShape {
  /** Channels (1 for grey, 3 for RGB). */
  channels: number;
  /** Rows of pixels. */
  height: number;
  /** Columns of pixels. */
  width: number;
}

function checkSize(what: string, a: ArrayLike<number>, s: ImageShape): void {
  const n = s.channels * s.height * s.width;
  if (a.length !== n) {
    throw new HandgradError(`${what}: got ${a.length} values, expected ${n} for an image of ${s.channels}×${s.height}×${s.width}`);
  }
}

// ---- roll (jitter) ---------------------------------------------------------------------------

/**
 * Circular shift by (dy, dx) pixels: out[c, y, x] = img[c, (y − dy) mod H, (x − dx) mod W].
 * A permutation, so its adjoint is its inverse: roll by (−dy, −dx) ("un-jitter").
 */
export function roll(img: ArrayLike<number>, s: ImageShape, dy: number, dx: number, out: FloatArray): FloatArray {
  checkSize('roll', img, s);
  checkSize('roll (output)', out, s);
  if (out === img) throw new HandgradError('roll: the output must be a different array from the input');
  const { channels: C, height: H, width: W } = s;
  const sy = ((dy % H) + H) % H;
  const sx = ((dx % W) + W) % W;
  for (let c = 0; c < C; c++) {
    const base = c * H * W;
    for (let y = 0; y < H; y++) {
      const ty = (y + sy) % H;
      for (let x = 0; x < W; x++) out[base + ty * W + ((x + sx) % W)] = img[base + y * W + x]!;
    }
  }
  return out;
}

// ---- Gaussian blur -----------------------------------------------------------------------------

/** Normalised 1-D Gaussian taps exp(−k²/2σ²), k = −r…r with r = ⌈3σ⌉. */
export function gaussianKernel(sigma: number): Float64Array {
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new HandgradError(`gaussianKernel: sigma must be a finite number > 0, got ${sigma}`);
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i]! /= s;
  return k;
}

/** Index j mirrored into [0, n): … 1 0 | 0 1 … n−1 | n−1 n−2 … (half-sample symmetric, period 2n). */
function mirror(j: number, n: number): number {
  const p = 2 * n;
  let m = ((j % p) + p) % p;
  if (m >= n) m = p - 1 - m;
  return m;
}

/**
 * Separable Gaussian blur with standard deviation `sigma` pixels, in place, each channel on its
 * own, with mirrored borders. With a symmetric kernel and the half-sample mirror, the blur
 * matrix is symmetric with rows summing to 1, so its columns sum to 1 too: the blur preserves
 * each channel's sum (hence the image's mean) exactly, up to rounding.
 * `scratch` (optional) must hold H·W values.
 */
export function gaussianBlur(img: FloatArray, s: ImageShape, sigma: number, scratch?: Float64Array): FloatArray {
  checkSize('gaussianBlur', img, s);
  if (sigma === 0) return img;
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) >> 1;
  const { channels: C, height: H, width: W } = s;
  const tmp = scratch && scratch.length >= H * W ? scratch : new Float64Array(H * W);
  for (let c = 0; c < C; c++) {
    const base = c * H * W;
    // rows: tmp[y, x] = Σ_k w_k · img[y, mirror(x + k)]
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let a = 0;
        for (let t = -r; t <= r; t++) a += k[t + r]! * img[base + y * W + mirror(x + t, W)]!;
        tmp[y * W + x] = a;
      }
    }
    // columns: img[y, x] = Σ_k w_k · tmp[mirror(y + k), x]
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let a = 0;
        for (let t = -r; t <= r; t++) a += k[t + r]! * tmp[mirror(y + t, H) * W + x]!;
        img[base + y * W + x] = a;
      }
    }
  }
  return img;
}

// ---- clamp, total variation ------------------------------------------------------------------

/** Clamps every value into [lo, hi], in place. */
export function clampInPlace(a: FloatArray, lo = 0, hi = 1): FloatArray {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    a[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return a;
}

/**
 * Anisotropic total variation: Σ_c Σ_y,x |img[c, y+1, x] − img[c, y, x]| + |img[c, y, x+1] − img[c, y, x]|
 * (a plain sum over the image, in pixel units; noise has a high TV, smooth shapes a low one).
 */
export function totalVariation(img: ArrayLike<number>, s: ImageShape): number {
  checkSize('totalVariation', img, s);
  const { channels: C, height: H, width: W } = s;
  let tv = 0;
  for (let c = 0; c < C; c++) {
    const base = c * H * W;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = img[base + y * W + x]!;
        if (y + 1 < H) tv += Math.abs(img[base + (y + 1) * W + x]! - v);
        if (x + 1 < W) tv += Math.abs(img[base + y * W + x + 1]! - v);
      }
    }
  }
  return tv;
}

// ---- bilinear resize and its adjoint -----------------------------------------------------------

/**
 * The source coordinate of output pixel i when resizing n → m samples, as PyTorch's
 * F.interpolate(mode='bilinear', align_corners=False): src = (i + ½)·n/m − ½, clamped at 0;
 * returns the lower index, the upper index and the weight of the upper one.
 */
function taps(m: number, n: number): { lo: Int32Array; hi: Int32Array; w: Float64Array } {
  const lo = new Int32Array(m);
  const hi = new Int32Array(m);
  const w = new Float64Array(m);
  const scale = n / m;
  for (let i = 0; i < m; i++) {
    const src = Math.max(0, (i + 0.5) * scale - 0.5);
    const l = Math.min(Math.floor(src), n - 1);
    lo[i] = l;
    hi[i] = Math.min(l + 1, n - 1);
    w[i] = src - l;
  }
  return { lo, hi, w };
}

/**
 * Bilinear resize of img (C, h, w) to out (C, H, W), PyTorch's align_corners=False convention:
 *   out[c, Y, X] = Σ over the 4 neighbours (1−a)(1−b)·img[c, y0, x0] + … (a, b the fractional parts).
 */
export function resizeBilinear(img: ArrayLike<number>, from: ImageShape, to: ImageShape, out: FloatArray): FloatArray {
  checkSize('resizeBilinear', img, from);
  checkSize('resizeBilinear (output)', out, to);
  if (from.channels !== to.channels) throw new HandgradError(`resizeBilinear: channel counts differ (${from.channels} → ${to.channels})`);
  const { channels: C, height: h, width: w } = from;
  const { height: H, width: W } = to;
  const ty = taps(H, h);
  const tx = taps(W, w);
  for (let c = 0; c < C; c++) {
    const ib = c * h * w;
    const ob = c * H * W;
    for (let Y = 0; Y < H; Y++) {
      const y0 = ty.lo[Y]!, y1 = ty.hi[Y]!, b = ty.w[Y]!;
      for (let X = 0; X < W; X++) {
        const x0 = tx.lo[X]!, x1 = tx.hi[X]!, a = tx.w[X]!;
        out[ob + Y * W + X] =
          (1 - b) * ((1 - a) * img[ib + y0 * w + x0]! + a * img[ib + y0 * w + x1]!) +
          b * ((1 - a) * img[ib + y1 * w + x0]! + a * img[ib + y1 * w + x1]!);
      }
    }
  }
  return out;
}

/**
 * The adjoint (transpose) of resizeBilinear(·, from, to): carries a gradient g of the resized
 * image (C, H, W) back to the small image (C, h, w). Each output pixel scatters its gradient to
 * the 4 pixels it was interpolated from, with the same weights: ⟨resize(x), g⟩ = ⟨x, resizeᵀ(g)⟩.
 */
export function resizeBilinearAdjoint(g: ArrayLike<number>, from: ImageShape, to: ImageShape, out: FloatArray): FloatArray {
  checkSize('resizeBilinearAdjoint', g, to);
  checkSize('resizeBilinearAdjoint (output)', out, from);
  const { channels: C, height: h, width: w } = from;
  const { height: H, width: W } = to;
  const ty = taps(H, h);
  const tx = taps(W, w);
  out.fill(0);
  for (let c = 0; c < C; c++) {
    const ib = c * h * w;
    const ob = c * H * W;
    for (let Y = 0; Y < H; Y++) {
      const y0 = ty.lo[Y]!, y1 = ty.hi[Y]!, b = ty.w[Y]!;
      for (let X = 0; X < W; X++) {
        const x0 = tx.lo[X]!, x1 = tx.hi[X]!, a = tx.w[X]!;
        const v = g[ob + Y * W + X]!;
        out[ib + y0 * w + x0]! += (1 - b) * (1 - a) * v;
        out[ib + y0 * w + x1]! += (1 - b) * a * v;
        out[ib + y1 * w + x0]! += b * (1 - a) * v;
        out[ib + y1 * w + x1]! += b * a * v;
      }
    }
  }
  return out;
}

/**
 * The image sizes of `octaves` scales ending at (H, W), each `scale` times smaller than the
 * next: octave i (0 = first, smallest) is round(H / scale^(octaves−1−i)) × round(W / …), at least 1.
 */
export function octaveSizes(height: number, width: number, octaves: number, scale: number): [number, number][] {
  if (!Number.isInteger(octaves) || octaves < 1) throw new HandgradError(`octaveSizes: octaves must be an integer ≥ 1, got ${octaves}`);
  if (!(scale >= 1) || !Number.isFinite(scale)) throw new HandgradError(`octaveSizes: the octave scale must be a finite number ≥ 1, got ${scale}`);
  const out: [number, number][] = [];
  for (let i = 0; i < octaves; i++) {
    const f = scale ** (octaves - 1 - i);
    out.push([Math.max(1, Math.round(height / f)), Math.max(1, Math.round(width / f))]);
  }
  return out;
}

// ---- penalties on the image (energies added to −S) and their gradients ------------------------

/**
 * Smoothed anisotropic total variation and its gradient, for the TV penalty of dream:
 *   TV_ε(img) = Σ_c Σ_y,x ρ(img[c, y+1, x] − img[c, y, x]) + ρ(img[c, y, x+1] − img[c, y, x]),
 *   ρ(d) = √(d² + ε²) − ε     (≈ |d| for |d| ≫ ε, smooth at 0 so the gradient is defined)
 * For one difference d = b − a:  ∂ρ/∂b = d / √(d² + ε²) = −∂ρ/∂a.
 * Adds weight · dTV_ε/dimg into `gradOut` (when given) and returns TV_ε.
 */
export function smoothTotalVariation(img: ArrayLike<number>, s: ImageShape, eps: number, gradOut: FloatArray | null = null, weight = 1): number {
  checkSize('smoothTotalVariation', img, s);
  if (gradOut) checkSize('smoothTotalVariation (gradient)', gradOut, s);
  if (!(eps > 0)) throw new HandgradError(`smoothTotalVariation: eps must be > 0, got ${eps}`);
  const { channels: C, height: H, width: W } = s;
  const e2 = eps * eps;
  let tv = 0;
  for (let c = 0; c < C; c++) {
    const base = c * H * W;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = base + y * W + x;
        const v = img[i]!;
        if (y + 1 < H) {
          const d = img[i + W]! - v;
          const r = Math.sqrt(d * d + e2);
          tv += r - eps;
          if (gradOut) { const g = (weight * d) / r; gradOut[i + W]! += g; gradOut[i]! -= g; }
        }
        if (x + 1 < W) {
          const d = img[i + 1]! - v;
          const r = Math.sqrt(d * d + e2);
          tv += r - eps;
          if (gradOut) { const g = (weight * d) / r; gradOut[i + 1]! += g; gradOut[i]! -= g; }
        }
      }
    }
  }
  return tv;
}

/**
 * Smoothed L1 norm (sparsity) Σ √(v² + ε²) − ε and its gradient v / √(v² + ε²) (≈ sign v),
 * added as weight · gradient into `gradOut` when given. On clamped images (v ≥ 0) it pushes
 * every lit pixel towards 0 = black, the background of MNIST-like data.
 */
export function smoothL1(img: ArrayLike<number>, eps: number, gradOut: FloatArray | null = null, weight = 1): number {
  if (gradOut && gradOut.length !== img.length) throw new HandgradError(`smoothL1: gradient has ${gradOut.length} values, the image ${img.length}`);
  if (!(eps > 0)) throw new HandgradError(`smoothL1: eps must be > 0, got ${eps}`);
  const e2 = eps * eps;
  let s = 0;
  for (let i = 0; i < img.length; i++) {
    const v = img[i]!;
    const r = Math.sqrt(v * v + e2);
    s += r - eps;
    if (gradOut) gradOut[i]! += (weight * v) / r;
  }
  return s;
}

/**
 * The prior ½‖img − m‖² (L2 towards a mean image m, e.g. the training set's per-pixel mean)
 * and its gradient img − m, added as weight · (img − m) into `gradOut` when given.
 */
export function meanPrior(img: ArrayLike<number>, m: ArrayLike<number>, gradOut: FloatArray | null = null, weight = 1): number {
  if (m.length !== img.length) throw new HandgradError(`meanPrior: the mean image has ${m.length} values, the image ${img.length}`);
  if (gradOut && gradOut.length !== img.length) throw new HandgradError(`meanPrior: gradient has ${gradOut.length} values, the image ${img.length}`);
  let s = 0;
  for (let i = 0; i < img.length; i++) {
    const d = img[i]! - m[i]!;
    s += 0.5 * d * d;
    if (gradOut) gradOut[i]! += weight * d;
  }
  return s;
}
