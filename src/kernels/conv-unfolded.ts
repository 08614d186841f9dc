// The direct-convolution entries of the kernel table (conv2dForward, conv2dBackwardData,
// conv2dBackwardFilter: stride 1) computed through the unfolding, with a backend's own im2col,
// gemm, col2im, addChannelVector and fill, one image at a time, in a column buffer the backend
// allocates. For a backend without direct convolution kernels of its own (webgpu): its products
// stay on its device.
//   forward   y_b = W · im2col(x_b) + b
//   data      dx_b = col2im(Wᵀ · dy_b)
//   filter    dW = beta·dW + Σ_b dy_b · im2col(x_b)ᵀ

import type { FloatArray } from '../tensor.js';
import type { Kernels } from './table.js';

type Unfolding = Pick<Kernels, 'im2col' | 'col2im' | 'gemm' | 'addChannelVector' | 'fill'>;
export type DirectConvKernels = Pick<Kernels, 'conv2dForward' | 'conv2dBackwardData' | 'conv2dBackwardFilter'>;

/** The three entries over `k`; `allocate(n)` gives the backend's float32 storage for the columns. */
export function unfoldedConvKernels(k: Unfolding, allocate: (n: number) => FloatArray): DirectConvKernels {
  let col: FloatArray = allocate(0);
  /** The column buffer, at least n floats (grown, never shrunk). */
  const columns = (n: number): FloatArray => {
    if (col.length < n) col = allocate(Math.max(n, 2 * col.length));
    return col.subarray(0, n);
  };
  return {
    conv2dForward(x, w, bias, B, C, H, W, OC, kh, kw, ph, pw, y) {
      const OH = H + 2 * ph - kh + 1, OW = W + 2 * pw - kw + 1, L = OH * OW, CK = C * kh * kw;
      const c = columns(CK * L);
      for (let b = 0; b < B; b++) {
        k.im2col(x.subarray(b * C * H * W, (b + 1) * C * H * W), C, H, W, kh, kw, 1, 1, ph, pw, OH, OW, c);
        k.gemm(false, false, OC, L, CK, 1, w, c, 0, y.subarray(b * OC * L, (b + 1) * OC * L));
      }
      if (bias) k.addChannelVector(y, bias, B, OC, L);
    },
    conv2dBackwardData(dy, w, B, C, H, W, OC, kh, kw, ph, pw, dx) {
      const OH = H + 2 * ph - kh + 1, OW = W + 2 * pw - kw + 1, L = OH * OW, CK = C * kh * kw;
      const c = columns(CK * L);
      k.fill(dx, 0);
      for (let b = 0; b < B; b++) {
        k.gemm(true, false, CK, L, OC, 1, w, dy.subarray(b * OC * L, (b + 1) * OC * L), 0, c);
        k.col2im(c, C, H, W, kh, kw, 1, 1, ph, pw, OH, OW, dx.subarray(b * C * H * W, (b + 1) * C * H * W));
      }
    },
    conv2dBackwardFilter(x, dy, B, C, H, W, OC, kh, kw, ph, pw, beta, dw) {
      const OH = H + 2 * ph - kh + 1, OW = W + 2 * pw - kw + 1, L = OH * OW, CK = C * kh * kw;
      const c = columns(CK * L);
      if (B === 0 && beta === 0) k.fill(dw, 0);
      for (let b = 0; b < B; b++) {
        k.im2col(x.subarray(b * C * H * W, (b + 1) * C * H * W), C, H, W, kh, kw, 1, 1, ph, pw, OH, OW, c);
        k.gemm(false, true, OC, CK, L, 1, dy.subarray(b * OC * L, (b + 1) * OC * L), c, b === 0 ? beta : 1, dw);
      }
    },
  };
}
