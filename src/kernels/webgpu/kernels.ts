// The kernel table on the device: each kernel finds the device allocations behind its arrays,
// uploads the ones the host has written, encodes one dispatch (the losses that return a number
// then read back a few floats) and marks what it wrote as newer on the device. The normalisation
// kernels (kernels-norm.ts) and softmax / NLL (kernels-softmax.ts) are in files of their own,
// over the same call helpers (calls.ts).
//
// A call whose arrays the device cannot take as they are runs the reference loop on the host
// mirrors instead: an array this backend did not allocate (a caller's own Float32Array, a float64
// target), or one allocation bound twice with a write (WebGPU forbids that aliasing). The kernels
// that always run on the host are rows of support.ts.

import type { FloatArray } from '../../tensor.js';
import { refKernels } from '../ref/index.js';
import { unfoldedConvKernels } from '../conv-unfolded.js';
import type { AdamHyper, ElementwiseLossKind, GeluApproximate, RmspropHyper, SgdHyper } from '../table.js';
import type { DeviceKernels } from './support.js';
import type { DeviceClient } from './client.js';
import type { PipelineSpec } from './protocol.js';
import { deviceCalls, spec, type KernelCounts } from './calls.js';
import { GEMM_DIRECT_WGSL, GEMM_TILE, GEMM_WGSL } from './wgsl-gemm.js';
import {
  ADAM_WGSL, ADD_VECTOR_WGSL, BINARY_OPS, BINARY_WGSL, FILL_WGSL, RMSPROP_WGSL, SCE_BACKWARD_WGSL, SGD_WGSL, UNARY_OPS, UNARY_WGSL,
} from './wgsl-elementwise.js';
import {
  AVGPOOL_BACKWARD_WGSL, AVGPOOL_FORWARD_WGSL, COL2IM_WGSL, IM2COL_WGSL, MAXPOOL_BACKWARD_WGSL, MAXPOOL_FORWARD_WGSL,
} from './wgsl-image.js';
import { EMBEDDING_BACKWARD_WGSL, EMBEDDING_FORWARD_WGSL } from './wgsl-lookup.js';
import { createNormKernels } from './kernels-norm.js';
import { createSoftmaxKernels } from './kernels-softmax.js';
import { CONV_BACKWARD_DATA_WGSL, CONV_BACKWARD_FILTER_WGSL, CONV_FORWARD_WGSL } from './wgsl-conv.js';
import { ELEMENTWISE_LOSS_WGSL, LOSS_BLOCK, SCE_FORWARD_WGSL, SUM_CHANNELS_WGSL, SUM_ROWS_WGSL } from './wgsl-reduce.js';

export type { KernelCounts } from './calls.js';

/** The most logits softmaxCrossEntropy brings back with its losses (64k floats). */
const CARRY_LIMIT = 1 << 16;

/**
 * Which GEMM shader runs: 'tiled' (64×64 tiles in workgroup memory), 'direct' (a thread per
 * element), or 'auto': tiled when both M and N are at least 32 (half a tile), direct otherwise.
 */
export type GemmChoice = 'auto' | 'tiled' | 'direct';

/**
 * How the direct convolutions run: 'direct' (wgsl-conv.ts: one dispatch over the batch per call)
 * or 'unfolded' (conv-unfolded.ts: im2col, a product and col2im per image on the device).
 */
export type ConvChoice = 'direct' | 'unfolded';

/** The shader choices of a webgpu backend (WebGPUOptions); may be changed between calls. */
export interface ShaderSettings {
  gemm: GemmChoice;
  conv: ConvChoice;
}

export function createDeviceKernels(client: DeviceClient, counts: KernelCounts, settings: ShaderSettings): DeviceKernels {
  const P = {
    gemm: spec('gemm', GEMM_WGSL, ['r', 'r', 'w']),
    gemmDirect: spec('gemmDirect', GEMM_DIRECT_WGSL, ['r', 'r', 'w']),
    fill: spec('fill', FILL_WGSL, ['w']),
    addVector: spec('addVector', ADD_VECTOR_WGSL, ['r', 'w']),
    sumRows: spec('sumRows', SUM_ROWS_WGSL, ['r', 'w']),
    sumChannels: spec('sumChannels', SUM_CHANNELS_WGSL, ['r', 'w']),
    sceForward: spec('softmaxCrossEntropy', SCE_FORWARD_WGSL, ['r', 'r', 'r', 'w', 'w']),
    sceBackward: spec('softmaxCrossEntropyBackward', SCE_BACKWARD_WGSL, ['r', 'r', 'r', 'w']),
    sgd: spec('sgdStep', SGD_WGSL, ['r', 'w', 'w']),
    adam: spec('adamStep', ADAM_WGSL, ['r', 'w', 'w', 'w']),
    rmsprop: spec('rmspropStep', RMSPROP_WGSL, ['r', 'w', 'w', 'w', 'w']),
    im2col: spec('im2col', IM2COL_WGSL, ['r', 'w']),
    col2im: spec('col2im', COL2IM_WGSL, ['r', 'w']),
    poolForward: spec('maxPool2dForward', MAXPOOL_FORWARD_WGSL, ['r', 'w', 'w']),
    poolBackward: spec('maxPool2dBackward', MAXPOOL_BACKWARD_WGSL, ['r', 'r', 'w']),
    avgPoolForward: spec('avgPool2dForward', AVGPOOL_FORWARD_WGSL, ['r', 'w']),
    avgPoolBackward: spec('avgPool2dBackward', AVGPOOL_BACKWARD_WGSL, ['r', 'w']),
    embeddingForward: spec('embeddingForward', EMBEDDING_FORWARD_WGSL, ['r', 'r', 'w']),
    embeddingBackward: spec('embeddingBackward', EMBEDDING_BACKWARD_WGSL, ['r', 'r', 'w']),
    convForward: spec('conv2dForward', CONV_FORWARD_WGSL, ['r', 'r', 'r', 'w']),
    convData: spec('conv2dBackwardData', CONV_BACKWARD_DATA_WGSL, ['r', 'r', 'w']),
    convFilter: spec('conv2dBackwardFilter', CONV_BACKWARD_FILTER_WGSL, ['r', 'r', 'w']),
  };
  const unary = (op: keyof typeof UNARY_OPS): PipelineSpec => spec(`unary/${op}`, UNARY_WGSL, ['r', 'w'], { OP: UNARY_OPS[op] });
  const binary = (op: keyof typeof BINARY_OPS): PipelineSpec => spec(`binary/${op}`, BINARY_WGSL, ['r', 'r', 'w'], { OP: BINARY_OPS[op] });
  const LOSS_OPS: Record<ElementwiseLossKind, number> = { mse: 0, bce: 1, bceWithLogits: 2 };
  const LOSS_BACKWARD: Record<ElementwiseLossKind, keyof typeof BINARY_OPS> = { mse: 'mseBackward', bce: 'bceBackward', bceWithLogits: 'bceWithLogitsBackward' };

  const calls = deviceCalls(client, counts);
  const { ids, bind, off, host, grid, launch, launchGroups, scratchFor, readScratch } = calls;

  const unaryOp = (op: keyof typeof UNARY_OPS, x: FloatArray, y: FloatArray, a: number, b: number, fallback: () => void): void => {
    if (y.length === 0) return;
    if (!bind([x, y], 'rw', x)) return (host(x, y), fallback());
    const d = launch(unary(op), y.length);
    d.u[d.at] = y.length; d.u[d.at + 1] = off(x); d.u[d.at + 2] = off(y); d.f[d.at + 3] = a; d.f[d.at + 4] = b;
    client.end();
  };
  const binaryOp = (op: keyof typeof BINARY_OPS, a: FloatArray, b: FloatArray, out: FloatArray, c: number, e: number, fallback: () => void): void => {
    if (out.length === 0) return;
    if (!bind([a, b, out], 'rrw', a)) return (host(a, b, out), fallback());
    const d = launch(binary(op), out.length);
    d.u[d.at] = out.length; d.u[d.at + 1] = off(a); d.u[d.at + 2] = off(b); d.u[d.at + 3] = off(out); d.f[d.at + 4] = c; d.f[d.at + 5] = e;
    client.end();
  };

  const geom = (d: { u: Int32Array; at: number }, k: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, OH: number, OW: number): void => {
    const u = d.u;
    const at = d.at + k;
    u[at] = C; u[at + 1] = H; u[at + 2] = W; u[at + 3] = kh; u[at + 4] = kw; u[at + 5] = sh; u[at + 6] = sw;
    u[at + 7] = ph; u[at + 8] = pw; u[at + 9] = OH; u[at + 10] = OW;
  };

  /** The first nine uniform words of the convolution shaders (wgsl-conv.ts): B, C, H, W, OC, kh, kw, ph, pw. */
  const convShape = (d: { u: Int32Array; at: number }, B: number, C: number, H: number, W: number, OC: number, kh: number, kw: number, ph: number, pw: number): void => {
    const u = d.u, at = d.at;
    u[at] = B; u[at + 1] = C; u[at + 2] = H; u[at + 3] = W; u[at + 4] = OC; u[at + 5] = kh; u[at + 6] = kw; u[at + 7] = ph; u[at + 8] = pw;
  };

  const kernels: DeviceKernels = {
    ...createNormKernels(calls),
    ...createSoftmaxKernels(calls),

    gemm(transA, transB, M, N, K, alpha, A, B, beta, C) {
      if (M === 0 || N === 0) return;
      // beta = 0 overwrites C's M·N elements; otherwise C is read too
      if (!bind([A, B, C], beta === 0 ? 'rrw' : 'rrx', A)) {
        host(A, B, C);
        return refKernels.gemm(transA, transB, M, N, K, alpha, A, B, beta, C);
      }
      const tiled = settings.gemm === 'tiled' || (settings.gemm === 'auto' && M >= 32 && N >= 32);
      const d = tiled
        ? client.dispatch(client.pipeline(P.gemm), ids, Math.ceil(N / GEMM_TILE), Math.ceil(M / GEMM_TILE), 1)
        : client.dispatch(client.pipeline(P.gemmDirect), ids, Math.ceil(N / 16), Math.ceil(M / 16), 1);
      const u = d.u, at = d.at;
      u[at] = M; u[at + 1] = N; u[at + 2] = K; u[at + 3] = transA ? 1 : 0; u[at + 4] = transB ? 1 : 0;
      u[at + 5] = off(A); u[at + 6] = off(B); u[at + 7] = off(C); d.f[at + 8] = alpha; d.f[at + 9] = beta;
      client.end();
    },

    addRowVector(y, v, rows, cols) {
      const n = rows * cols;
      if (n === 0) return;
      if (!bind([v, y], 'rx', v)) return (host(y, v), refKernels.addRowVector(y, v, rows, cols));
      const d = launch(P.addVector, n);
      d.u[d.at] = n; d.u[d.at + 1] = off(y); d.u[d.at + 2] = off(v); d.u[d.at + 3] = 1; d.u[d.at + 4] = cols;
      client.end();
    },
    addChannelVector(y, v, batch, channels, spatial) {
      const n = batch * channels * spatial;
      if (n === 0) return;
      if (!bind([v, y], 'rx', v)) return (host(y, v), refKernels.addChannelVector(y, v, batch, channels, spatial));
      const d = launch(P.addVector, n);
      d.u[d.at] = n; d.u[d.at + 1] = off(y); d.u[d.at + 2] = off(v); d.u[d.at + 3] = spatial; d.u[d.at + 4] = channels;
      client.end();
    },
    sumRowsInto(x, rows, cols, out) {
      if (cols === 0) return;
      if (!bind([x, out], 'rx', x)) return (host(x, out), refKernels.sumRowsInto(x, rows, cols, out));
      const d = launch(P.sumRows, cols);
      d.u[d.at] = rows; d.u[d.at + 1] = cols; d.u[d.at + 2] = off(x); d.u[d.at + 3] = off(out);
      client.end();
    },
    sumChannelsInto(x, batch, channels, spatial, out) {
      if (channels === 0) return;
      if (!bind([x, out], 'rx', x)) return (host(x, out), refKernels.sumChannelsInto(x, batch, channels, spatial, out));
      // one workgroup per channel
      const d = launchGroups(P.sumChannels, channels);
      d.u[d.at] = batch; d.u[d.at + 1] = channels; d.u[d.at + 2] = spatial; d.u[d.at + 3] = off(x); d.u[d.at + 4] = off(out);
      client.end();
    },
    fill(out, value) {
      if (out.length === 0) return;
      if (!bind([out], 'w', out)) return (host(out), refKernels.fill(out, value));
      const d = launch(P.fill, out.length);
      d.u[d.at] = out.length; d.u[d.at + 1] = off(out); d.f[d.at + 2] = value;
      client.end();
    },
    mul: (a, b, out) => binaryOp('mul', a, b, out, 0, 0, () => refKernels.mul(a, b, out)),
    scale: (x, s, y) => unaryOp('scale', x, y, s, 0, () => refKernels.scale(x, s, y)),

    reluForward: (x, y, s) => unaryOp('relu', x, y, s, 0, () => refKernels.reluForward(x, y, s)),
    reluBackward: (x, dy, dx, s) => binaryOp('reluBackward', x, dy, dx, s, 0, () => refKernels.reluBackward(x, dy, dx, s)),
    leakyReluForward: (x, y, k) => unaryOp('leakyRelu', x, y, k, 0, () => refKernels.leakyReluForward(x, y, k)),
    leakyReluBackward: (x, dy, dx, k) => binaryOp('leakyReluBackward', x, dy, dx, k, 0, () => refKernels.leakyReluBackward(x, dy, dx, k)),
    sigmoidForward: (x, y) => unaryOp('sigmoid', x, y, 0, 0, () => refKernels.sigmoidForward(x, y)),
    sigmoidBackward: (y, dy, dx) => binaryOp('sigmoidBackward', y, dy, dx, 0, 0, () => refKernels.sigmoidBackward(y, dy, dx)),
    tanhForward: (x, y) => unaryOp('tanh', x, y, 0, 0, () => refKernels.tanhForward(x, y)),
    tanhBackward: (y, dy, dx) => binaryOp('tanhBackward', y, dy, dx, 0, 0, () => refKernels.tanhBackward(y, dy, dx)),
    geluForward: (x, y, a: GeluApproximate) => unaryOp(a === 'tanh' ? 'geluTanh' : 'gelu', x, y, 0, 0, () => refKernels.geluForward(x, y, a)),
    geluBackward: (x, dy, dx, a: GeluApproximate) =>
      binaryOp(a === 'tanh' ? 'geluTanhBackward' : 'geluBackward', x, dy, dx, 0, 0, () => refKernels.geluBackward(x, dy, dx, a)),
    softplusForward: (x, y, beta, t) => unaryOp('softplus', x, y, beta, t, () => refKernels.softplusForward(x, y, beta, t)),
    softplusBackward: (x, dy, dx, beta, t) => binaryOp('softplusBackward', x, dy, dx, beta, t, () => refKernels.softplusBackward(x, dy, dx, beta, t)),
    eluForward: (x, y, alpha) => unaryOp('elu', x, y, alpha, 0, () => refKernels.eluForward(x, y, alpha)),
    eluBackward: (y, dy, dx, alpha) => binaryOp('eluBackward', y, dy, dx, alpha, 0, () => refKernels.eluBackward(y, dy, dx, alpha)),

    softmaxCrossEntropy(logits, rows, classes, labels, targets, probs) {
      if (rows === 0) return 0;
      // A training loop reads the logits next (accuracy): when the device holds them, they come
      // back with the losses in the same readback, and the host's copy is then current.
      const z = client.lookup(logits);
      const carry = z !== undefined && z.side === 'device' && logits.byteOffset === 0 && logits.byteLength === z.bytes && rows * classes <= CARRY_LIMIT;
      const rowLoss = scratchFor(carry ? rows * (1 + classes) : rows);
      if (!bind([logits, labels, targets, probs, rowLoss], 'rrrwx', logits)) {
        host(logits, labels, targets, probs);
        return refKernels.softmaxCrossEntropy(logits, rows, classes, labels, targets, probs);
      }
      // the per-row losses go to the scratch allocation (bound last), then to the host
      const d = launch(P.sceForward, rows);
      const u = d.u, at = d.at;
      u[at] = rows; u[at + 1] = classes; u[at + 2] = off(logits); u[at + 3] = off(labels); u[at + 4] = off(targets);
      u[at + 5] = off(probs); u[at + 6] = 0; u[at + 7] = labels ? 1 : 0; u[at + 8] = targets ? 1 : 0; u[at + 9] = carry ? 1 : 0;
      client.end();
      const losses = readScratch(carry ? rows * (1 + classes) : rows);
      if (carry) {
        logits.set(losses.subarray(rows, rows * (1 + classes)));
        z.side = 'clean';
      }
      let total = 0;
      for (let r = 0; r < rows; r++) total += losses[r]!;
      return total;
    },
    softmaxCrossEntropyBackward(probs, rows, classes, labels, targets, scale, grad) {
      const n = rows * classes;
      if (n === 0) return;
      if (!bind([probs, labels, targets, grad], 'rrrw', probs)) {
        host(probs, labels, targets, grad);
        return refKernels.softmaxCrossEntropyBackward(probs, rows, classes, labels, targets, scale, grad);
      }
      const d = launch(P.sceBackward, n);
      const u = d.u, at = d.at;
      u[at] = rows; u[at + 1] = classes; u[at + 2] = off(probs); u[at + 3] = off(labels); u[at + 4] = off(targets);
      u[at + 5] = off(grad); u[at + 6] = labels ? 1 : 0; u[at + 7] = targets ? 1 : 0; d.f[at + 8] = scale;
      client.end();
    },
    elementwiseLoss(kind, pred, target) {
      const n = pred.length;
      if (n === 0) return 0;
      const blocks = Math.ceil(n / LOSS_BLOCK);
      const partials = scratchFor(2 * blocks);
      if (!bind([pred, target, partials], 'rrx', pred)) {
        host(pred, target);
        return refKernels.elementwiseLoss(kind, pred, target);
      }
      const [x, y] = grid(blocks);
      const d = client.dispatch(client.pipeline(spec(`elementwiseLoss/${kind}`, ELEMENTWISE_LOSS_WGSL, ['r', 'r', 'w'], { OP: LOSS_OPS[kind] })), ids, x, y, 1);
      d.u[d.at] = n; d.u[d.at + 1] = off(pred); d.u[d.at + 2] = off(target); d.u[d.at + 3] = 0; d.u[d.at + 4] = blocks;
      client.end();
      const partial = readScratch(2 * blocks);
      let total = 0;
      for (let b = 0; b < blocks; b++) {
        if (partial[blocks + b]! > 0) return NaN;
        total += partial[b]!;
      }
      return total;
    },
    elementwiseLossBackward: (kind, pred, target, scale, grad) =>
      binaryOp(LOSS_BACKWARD[kind], pred, target, grad, scale, 0, () => refKernels.elementwiseLossBackward(kind, pred, target, scale, grad)),

    im2col(x, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, col) {
      const n = C * kh * kw * OH * OW;
      if (n === 0) return;
      if (!bind([x, col], 'rw', x)) return (host(x, col), refKernels.im2col(x, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, col));
      const d = launch(P.im2col, n);
      geom(d, 0, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW);
      d.u[d.at + 11] = off(x); d.u[d.at + 12] = off(col);
      client.end();
    },
    col2im(dcol, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, dx) {
      const n = C * H * W;
      if (n === 0) return;
      if (!bind([dcol, dx], 'rx', dcol)) return (host(dcol, dx), refKernels.col2im(dcol, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, dx));
      const d = launch(P.col2im, n);
      geom(d, 0, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW);
      d.u[d.at + 11] = off(dcol); d.u[d.at + 12] = off(dx);
      client.end();
    },
    maxPool2dForward(x, planes, H, W, kh, kw, sh, sw, ph, pw, OH, OW, y, argmax) {
      const n = planes * OH * OW;
      if (n === 0) return;
      if (!bind([x, y, argmax], 'rww', x)) {
        host(x, y, argmax);
        return refKernels.maxPool2dForward(x, planes, H, W, kh, kw, sh, sw, ph, pw, OH, OW, y, argmax);
      }
      const d = launch(P.poolForward, n);
      d.u[d.at] = planes;
      geom(d, 1, H, W, kh, kw, sh, sw, ph, pw, OH, OW, 0);
      d.u[d.at + 11] = off(x); d.u[d.at + 12] = off(y); d.u[d.at + 13] = off(argmax); d.f[d.at + 14] = -Infinity;
      client.end();
    },
    maxPool2dBackward(dy, argmax, planes, H, W, OH, OW, dx) {
      const n = planes * H * W;
      if (n === 0) return;
      if (!bind([dy, argmax, dx], 'rrx', dy)) {
        host(dy, argmax, dx);
        return refKernels.maxPool2dBackward(dy, argmax, planes, H, W, OH, OW, dx);
      }
      const d = launch(P.poolBackward, planes);
      d.u[d.at] = planes; d.u[d.at + 1] = H * W; d.u[d.at + 2] = OH * OW;
      d.u[d.at + 3] = off(dy); d.u[d.at + 4] = off(argmax); d.u[d.at + 5] = off(dx);
      client.end();
    },

    avgPool2dForward(x, planes, H, W, kh, kw, sh, sw, ph, pw, OH, OW, y) {
      const n = planes * OH * OW;
      if (n === 0) return;
      if (!bind([x, y], 'rw', x)) return (host(x, y), refKernels.avgPool2dForward(x, planes, H, W, kh, kw, sh, sw, ph, pw, OH, OW, y));
      const d = launch(P.avgPoolForward, n);
      d.u[d.at] = planes;
      geom(d, 1, H, W, kh, kw, sh, sw, ph, pw, OH, OW, 0);
      d.u[d.at + 11] = off(x); d.u[d.at + 12] = off(y); d.f[d.at + 13] = 1 / (kh * kw);
      client.end();
    },
    avgPool2dBackward(dy, planes, H, W, kh, kw, sh, sw, ph, pw, OH, OW, dx) {
      const n = planes * H * W;
      if (n === 0) return;
      if (!bind([dy, dx], 'rx', dy)) return (host(dy, dx), refKernels.avgPool2dBackward(dy, planes, H, W, kh, kw, sh, sw, ph, pw, OH, OW, dx));
      const d = launch(P.avgPoolBackward, n);
      d.u[d.at] = planes;
      geom(d, 1, H, W, kh, kw, sh, sw, ph, pw, OH, OW, 0);
      d.u[d.at + 11] = off(dy); d.u[d.at + 12] = off(dx); d.f[d.at + 13] = 1 / (kh * kw);
      client.end();
    },

    embeddingForward(weight, indices, dim, y) {
      const n = indices.length * dim;
      if (n === 0) return;
      if (!bind([weight, indices, y], 'rrw', weight)) return (host(weight, indices, y), refKernels.embeddingForward(weight, indices, dim, y));
      const d = launch(P.embeddingForward, n);
      d.u[d.at] = n; d.u[d.at + 1] = dim; d.u[d.at + 2] = off(weight); d.u[d.at + 3] = off(indices); d.u[d.at + 4] = off(y);
      client.end();
    },
    embeddingBackward(dy, indices, dim, paddingIdx, dweight) {
      if (indices.length === 0 || dim === 0) return;
      if (!bind([dy, indices, dweight], 'rrx', dy)) {
        host(dy, indices, dweight);
        return refKernels.embeddingBackward(dy, indices, dim, paddingIdx, dweight);
      }
      const d = launch(P.embeddingBackward, dim);
      d.u[d.at] = indices.length; d.u[d.at + 1] = dim; d.u[d.at + 2] = off(dy); d.u[d.at + 3] = off(indices); d.u[d.at + 4] = off(dweight);
      d.u[d.at + 5] = paddingIdx;
      client.end();
    },

    sgdStep(param, grad, buf, h: SgdHyper) {
      const n = param.length;
      if (n === 0) return;
      // buf is empty without momentum (an allocation of 0 floats: bound, never indexed)
      if (!bind([grad, param, buf], 'rxx', grad)) {
        host(param, grad, buf);
        return refKernels.sgdStep(param, grad, buf, h);
      }
      const d = launch(P.sgd, n);
      const u = d.u, f = d.f, at = d.at;
      u[at] = n; u[at + 1] = off(param); u[at + 2] = off(grad); u[at + 3] = off(buf);
      f[at + 4] = h.lr; f[at + 5] = h.momentum; f[at + 6] = 1 - h.dampening; f[at + 7] = h.weightDecay;
      u[at + 8] = h.nesterov ? 1 : 0; u[at + 9] = h.firstStep ? 1 : 0;
      client.end();
    },
    adamStep(param, grad, m, v, h: AdamHyper) {
      const n = param.length;
      if (n === 0) return;
      if (!bind([grad, param, m, v], 'rxxx', grad)) {
        host(param, grad, m, v);
        return refKernels.adamStep(param, grad, m, v, h);
      }
      const d = launch(P.adam, n);
      const u = d.u, f = d.f, at = d.at;
      u[at] = n; u[at + 1] = off(param); u[at + 2] = off(grad); u[at + 3] = off(m); u[at + 4] = off(v);
      f[at + 5] = h.beta1; f[at + 6] = 1 - h.beta1; f[at + 7] = h.beta2; f[at + 8] = 1 - h.beta2; f[at + 9] = h.eps;
      f[at + 10] = h.weightDecay; u[at + 11] = h.decoupled ? 1 : 0;
      f[at + 12] = h.lr / (1 - Math.pow(h.beta1, h.step)); f[at + 13] = Math.sqrt(1 - Math.pow(h.beta2, h.step));
      f[at + 14] = 1 - h.lr * h.weightDecay;
      client.end();
    },
    rmspropStep(param, grad, squareAvg, gradAvg, buf, h: RmspropHyper) {
      const n = param.length;
      if (n === 0) return;
      // gradAvg and buf are empty when not centred / without momentum (bound, never indexed)
      if (!bind([grad, param, squareAvg, gradAvg, buf], 'rxxxx', grad)) {
        host(param, grad, squareAvg, gradAvg, buf);
        return refKernels.rmspropStep(param, grad, squareAvg, gradAvg, buf, h);
      }
      const d = launch(P.rmsprop, n);
      const u = d.u, f = d.f, at = d.at;
      u[at] = n; u[at + 1] = off(param); u[at + 2] = off(grad); u[at + 3] = off(squareAvg); u[at + 4] = off(gradAvg); u[at + 5] = off(buf);
      f[at + 6] = h.lr; f[at + 7] = h.alpha; f[at + 8] = 1 - h.alpha; f[at + 9] = h.eps; f[at + 10] = h.weightDecay;
      f[at + 11] = h.momentum; u[at + 12] = h.centered ? 1 : 0;
      client.end();
    },
    // set below, over the kernels above
    conv2dForward: refKernels.conv2dForward,
    conv2dBackwardData: refKernels.conv2dBackwardData,
    conv2dBackwardFilter: refKernels.conv2dBackwardFilter,
  };
  // The direct convolutions, by settings.conv: the shaders of wgsl-conv.ts, or this table's
  // im2col, gemm and col2im per image on a column buffer on the device.
  const unfolded = unfoldedConvKernels(kernels, (n) => new Float32Array(client.allocate(Math.max(4, n * 4)).mirror, 0, n));
  kernels.conv2dForward = (x, w, bias, B, C, H, W, OC, kh, kw, ph, pw, y) => {
    if (settings.conv === 'unfolded') return unfolded.conv2dForward(x, w, bias, B, C, H, W, OC, kh, kw, ph, pw, y);
    if (y.length === 0) return;
    if (!bind([x, w, bias, y], 'rrrw', x)) return (host(x, w, bias, y), refKernels.conv2dForward(x, w, bias, B, C, H, W, OC, kh, kw, ph, pw, y));
    const d = launch(P.convForward, y.length);
    convShape(d, B, C, H, W, OC, kh, kw, ph, pw);
    d.u[d.at + 9] = off(x); d.u[d.at + 10] = off(w); d.u[d.at + 11] = off(bias); d.u[d.at + 12] = off(y); d.u[d.at + 13] = bias ? 1 : 0;
    client.end();
  };
  kernels.conv2dBackwardData = (dy, w, B, C, H, W, OC, kh, kw, ph, pw, dx) => {
    if (settings.conv === 'unfolded') return unfolded.conv2dBackwardData(dy, w, B, C, H, W, OC, kh, kw, ph, pw, dx);
    if (dx.length === 0) return;
    if (!bind([dy, w, dx], 'rrw', dy)) return (host(dy, w, dx), refKernels.conv2dBackwardData(dy, w, B, C, H, W, OC, kh, kw, ph, pw, dx));
    const d = launch(P.convData, dx.length);
    convShape(d, B, C, H, W, OC, kh, kw, ph, pw);
    d.u[d.at + 9] = off(dy); d.u[d.at + 10] = off(w); d.u[d.at + 11] = off(dx);
    client.end();
  };
  kernels.conv2dBackwardFilter = (x, dy, B, C, H, W, OC, kh, kw, ph, pw, beta, dw) => {
    if (settings.conv === 'unfolded') return unfolded.conv2dBackwardFilter(x, dy, B, C, H, W, OC, kh, kw, ph, pw, beta, dw);
    if (dw.length === 0) return;
    if (!bind([x, dy, dw], beta === 0 ? 'rrw' : 'rrx', x)) {
      host(x, dy, dw);
      return refKernels.conv2dBackwardFilter(x, dy, B, C, H, W, OC, kh, kw, ph, pw, beta, dw);
    }
    // one workgroup per weight
    const d = launchGroups(P.convFilter, dw.length);
    convShape(d, B, C, H, W, OC, kh, kw, ph, pw);
    d.u[d.at + 9] = off(x); d.u[d.at + 10] = off(dy); d.u[d.at + 11] = off(dw); d.f[d.at + 12] = beta;
    client.end();
  };
  return kernels;
}
