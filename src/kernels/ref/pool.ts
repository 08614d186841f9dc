// Reference kernels of the pooling layers over planes x[planes, H, W] (planes = batch·channels),
// windows kh×kw moved by sh×sw over the input padded by ph×pw on each side.

import type { FloatArray } from '../../tensor.js';

// y[p, oy, ox] = max over the window of x[p, ·, ·]; padding counts as −∞ (PyTorch).
export function maxPool2dForward(
  x: FloatArray, planes: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, OH: number, OW: number,
  y: FloatArray, argmax: Int32Array,
): void {
  for (let p = 0; p < planes; p++) {
    const xo = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let best = -Infinity;
        let where = -1;
        for (let i = 0; i < kh; i++) {
          const iy = oy * sh - ph + i;
          if (iy < 0 || iy >= H) continue;
          for (let j = 0; j < kw; j++) {
            const ix = ox * sw - pw + j;
            if (ix < 0 || ix >= W) continue;
            const v = x[xo + iy * W + ix]!;
            // NaN propagates, as in PyTorch; otherwise the first maximum wins.
            if (v > best || Number.isNaN(v) || where < 0) {
              best = v;
              where = iy * W + ix;
              if (Number.isNaN(v)) break;
            }
          }
        }
        const o = (p * OH + oy) * OW + ox;
        y[o] = best;
        argmax[o] = where;
      }
    }
  }
}

// dx[p, argmax] += dy[p, oy, ox]: the gradient flows only to the winner of each window.
export function maxPool2dBackward(
  dy: FloatArray, argmax: Int32Array, planes: number, H: number, W: number,
  OH: number, OW: number, dx: FloatArray,
): void {
  for (let p = 0; p < planes; p++) {
    for (let k = 0; k < OH * OW; k++) {
      const o = p * OH * OW + k;
      const where = argmax[o]!;
      if (where >= 0) dx[p * H * W + where]! += dy[o]!;
    }
  }
}

// y[p, oy, ox] = (1/(kh·kw)) Σ_window x[p, ·, ·], padding counting as zeros in the divisor
// (PyTorch's count_include_pad = True; with ceil_mode off no window leaves the padded input).
export function avgPool2dForward(
  x: FloatArray, planes: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, y: FloatArray,
): void {
  const inv = 1 / (kh * kw);
  for (let p = 0; p < planes; p++) {
    const xo = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const y0 = oy * sh - ph;
      const ya = Math.max(y0, 0);
      const yb = Math.min(y0 + kh, H);
      for (let ox = 0; ox < OW; ox++) {
        const x0 = ox * sw - pw;
        const xa = Math.max(x0, 0);
        const xb = Math.min(x0 + kw, W);
        let s = 0;
        for (let iy = ya; iy < yb; iy++) for (let ix = xa; ix < xb; ix++) s += x[xo + iy * W + ix]!;
        y[(p * OH + oy) * OW + ox] = s * inv;
      }
    }
  }
}

// forward was y = (1/(kh·kw)) Σ_window x, so every input of the window (inside the image)
// receives dy/(kh·kw); overlapping windows add up.
export function avgPool2dBackward(
  dy: FloatArray, planes: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, dx: FloatArray,
): void {
  const inv = 1 / (kh * kw);
  for (let p = 0; p < planes; p++) {
    const xo = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const y0 = oy * sh - ph;
      const ya = Math.max(y0, 0);
      const yb = Math.min(y0 + kh, H);
      for (let ox = 0; ox < OW; ox++) {
        const x0 = ox * sw - pw;
        const xa = Math.max(x0, 0);
        const xb = Math.min(x0 + kw, W);
        const g = dy[(p * OH + oy) * OW + ox]! * inv;
        for (let iy = ya; iy < yb; iy++) for (let ix = xa; ix < xb; ix++) dx[xo + iy * W + ix]! += g;
      }
    }
  }
}
