// The reference direct convolutions (stride 1): the sums of table.ts's conv2dForward,
// conv2dBackwardData and conv2dBackwardFilter written out as loops, each output accumulated in
// float64 and rounded once. Shapes: x (B, C, H, W), w (OC, C, kh, kw), y and dy (B, OC, OH, OW)
// with OH = H + 2·ph − kh + 1, OW = W + 2·pw − kw + 1.

import type { FloatArray } from '../../tensor.js';
import type { Kernels } from '../table.js';

// y[b, o, oy, ox] = bias[o] + Σ_{c,i,j} w[o, c, i, j] · x[b, c, oy − ph + i, ox − pw + j]
function conv2dForward(
  x: FloatArray, w: FloatArray, bias: FloatArray | null,
  B: number, C: number, H: number, W: number, OC: number, kh: number, kw: number, ph: number, pw: number,
  y: FloatArray,
): void {
  const OH = H + 2 * ph - kh + 1, OW = W + 2 * pw - kw + 1;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OC; o++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let s = 0;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < kh; i++) {
              const iy = oy - ph + i;
              if (iy < 0 || iy >= H) continue;
              for (let j = 0; j < kw; j++) {
                const ix = ox - pw + j;
                if (ix < 0 || ix >= W) continue;
                s += w[((o * C + c) * kh + i) * kw + j]! * x[((b * C + c) * H + iy) * W + ix]!;
              }
            }
          }
          y[((b * OC + o) * OH + oy) * OW + ox] = (bias ? bias[o]! : 0) + s;
        }
      }
    }
  }
}

// Forward was y[b, o, oy, ox] += w[o, c, i, j] · x[b, c, oy − ph + i, ox − pw + j], so each input
// pixel (iy, ix) collects w[o, c, i, j] · dy[b, o, iy + ph − i, ix + pw − j] over o, i, j.
function conv2dBackwardData(
  dy: FloatArray, w: FloatArray,
  B: number, C: number, H: number, W: number, OC: number, kh: number, kw: number, ph: number, pw: number,
  dx: FloatArray,
): void {
  const OH = H + 2 * ph - kh + 1, OW = W + 2 * pw - kw + 1;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      for (let iy = 0; iy < H; iy++) {
        for (let ix = 0; ix < W; ix++) {
          let s = 0;
          for (let o = 0; o < OC; o++) {
            for (let i = 0; i < kh; i++) {
              const oy = iy + ph - i;
              if (oy < 0 || oy >= OH) continue;
              for (let j = 0; j < kw; j++) {
                const ox = ix + pw - j;
                if (ox < 0 || ox >= OW) continue;
                s += w[((o * C + c) * kh + i) * kw + j]! * dy[((b * OC + o) * OH + oy) * OW + ox]!;
              }
            }
          }
          dx[((b * C + c) * H + iy) * W + ix] = s;
        }
      }
    }
  }
}

// Forward was y[b, o, oy, ox] += w[o, c, i, j] · x[b, c, oy − ph + i, ox − pw + j], so
// dw[o, c, i, j] = beta·dw + Σ_{b, oy, ox} dy[b, o, oy, ox] · x[b, c, oy − ph + i, ox − pw + j].
function conv2dBackwardFilter(
  x: FloatArray, dy: FloatArray,
  B: number, C: number, H: number, W: number, OC: number, kh: number, kw: number, ph: number, pw: number,
  beta: number, dw: FloatArray,
): void {
  const OH = H + 2 * ph - kh + 1, OW = W + 2 * pw - kw + 1;
  for (let o = 0; o < OC; o++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          let s = 0;
          for (let b = 0; b < B; b++) {
            for (let oy = 0; oy < OH; oy++) {
              const iy = oy - ph + i;
              if (iy < 0 || iy >= H) continue;
              for (let ox = 0; ox < OW; ox++) {
                const ix = ox - pw + j;
                if (ix < 0 || ix >= W) continue;
                s += dy[((b * OC + o) * OH + oy) * OW + ox]! * x[((b * C + c) * H + iy) * W + ix]!;
              }
            }
          }
          const k = ((o * C + c) * kh + i) * kw + j;
          dw[k] = beta === 0 ? s : beta * dw[k]! + s;
        }
      }
    }
  }
}

export const convKernels = {
  conv2dForward,
  conv2dBackwardData,
  conv2dBackwardFilter,
} satisfies Partial<Kernels>;
