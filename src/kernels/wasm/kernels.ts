// The wasm backend's kernel table. Each line of SPECS names a table entry (the export of the same
// name in assembly/) and says, argument by argument in the table's order, how it reaches the
// export: [name, 'in' | 'out' | 'inout'] an array, 'name' a number, [name, codes] an enum.
// `elementwise` lines also pass n, the first array's length (assembly/kernels.ts gives the order).
// The types tie every line to its table entry: a wrong argument count, or an array where the
// table has a number, does not compile. wrap.ts turns each line into a kernel.
//
// GEMM and the optimiser steps are written by hand below: they run as jobs on the worker pool
// (jobs.ts), and the steps take their hyperparameters as objects; so are the products with sparse
// rows (sparse.ts). A kernel of the table with neither a line here nor a hand-written version
// runs the reference kernel on the arrays in place (a float32 array in WASM memory is an ordinary
// Float32Array to it): adding a kernel to the table needs no line here, and a faster version is
// one AssemblyScript export plus one line. The tests list exactly which kernels run the
// reference on this backend (test/backend-support.ts), so none does so unnoticed.

import type { FloatArray } from '../../tensor.js';
import { refKernels } from '../ref/index.js';
import type { AdamHyper, BatchNormStatistics, ElementwiseLossKind, GeluApproximate, Kernels, SgdHyper } from '../table.js';
import {
  BK_CONV2D_BACKWARD_DATA, BK_CONV2D_BACKWARD_FILTER, BK_CONV2D_FORWARD, BK_MAX_POOL_BACKWARD, BK_MAX_POOL_FORWARD, BK_RELU_BACKWARD,
  BK_RELU_FORWARD, BK_SUM_CHANNELS,
  BN_BATCH, BN_RUNNING,
  GELU_ERF,
  GELU_TANH, LOSS_BCE, LOSS_BCE_WITH_LOGITS, LOSS_MSE,
} from './abi-shared.js';
import type { KernelArray, Mode, WasmRuntime } from './runtime.js';
import { sparseKernels } from './sparse.js';
import { blocked, blockedElementwise, elementwise, shaped, wrap, type GenericName, type KernelSpec, type Wrapped } from './wrap.js';

const GELU = { none: GELU_ERF, tanh: GELU_TANH } as const satisfies Record<GeluApproximate, number>;
const LOSS = { mse: LOSS_MSE, bce: LOSS_BCE, bceWithLogits: LOSS_BCE_WITH_LOGITS } as const satisfies Record<ElementwiseLossKind, number>;
const BN = { batch: BN_BATCH, running: BN_RUNNING } as const satisfies Record<BatchNormStatistics, number>;
const IMAGE = ['C', 'H', 'W', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'OH', 'OW'] as const;
const CONV = ['batch', 'C', 'H', 'W', 'OC', 'kh', 'kw', 'ph', 'pw'] as const;
const PER_CHANNEL = ['batch', 'channels', 'spatial'] as const;

/** The entries that run through the generic wrapper: those SPECS lists. */
type WasmName = keyof typeof SPECS;

const SPECS = {
  addRowVector: shaped([['y', 'inout'], ['v', 'in'], 'rows', 'cols']),
  sumRowsInto: shaped([['x', 'in'], 'rows', 'cols', ['out', 'inout']]),
  addChannelVector: shaped([['y', 'inout'], ['v', 'in'], 'batch', 'channels', 'spatial']),
  sumChannelsInto: blocked({ code: BK_SUM_CHANNELS, over: 'channels', grain: 1 }, [['x', 'in'], 'batch', 'channels', 'spatial', ['out', 'inout']]),
  fill: elementwise([['out', 'out'], 'value']),
  mul: elementwise([['a', 'in'], ['b', 'in'], ['out', 'out']]),

  reluForward: blockedElementwise(BK_RELU_FORWARD, [['x', 'in'], ['y', 'out'], 'scale']),
  reluBackward: blockedElementwise(BK_RELU_BACKWARD, [['x', 'in'], ['dy', 'in'], ['dx', 'out'], 'scale']),
  leakyReluForward: elementwise([['x', 'in'], ['y', 'out'], 'negativeSlope']),
  leakyReluBackward: elementwise([['x', 'in'], ['dy', 'in'], ['dx', 'out'], 'negativeSlope']),
  sigmoidForward: elementwise([['x', 'in'], ['y', 'out']]),
  sigmoidBackward: elementwise([['y', 'in'], ['dy', 'in'], ['dx', 'out']]),
  tanhForward: elementwise([['x', 'in'], ['y', 'out']]),
  tanhBackward: elementwise([['y', 'in'], ['dy', 'in'], ['dx', 'out']]),
  geluForward: elementwise([['x', 'in'], ['y', 'out'], ['approximate', GELU]]),
  geluBackward: elementwise([['x', 'in'], ['dy', 'in'], ['dx', 'out'], ['approximate', GELU]]),
  softplusForward: elementwise([['x', 'in'], ['y', 'out'], 'beta', 'threshold']),
  softplusBackward: elementwise([['x', 'in'], ['dy', 'in'], ['dx', 'out'], 'beta', 'threshold']),

  softmaxCrossEntropy: shaped([['logits', 'in'], 'rows', 'classes', ['labels', 'in'], ['targets', 'in'], ['probs', 'out']]),
  softmaxCrossEntropyBackward: shaped([['probs', 'in'], 'rows', 'classes', ['labels', 'in'], ['targets', 'in'], 'scale', ['grad', 'out']]),
  elementwiseLoss: elementwise([['kind', LOSS], ['pred', 'in'], ['target', 'in']]),
  elementwiseLossBackward: elementwise([['kind', LOSS], ['pred', 'in'], ['target', 'in'], 'scale', ['grad', 'out']]),

  dropoutMask: elementwise([['mask', 'out'], 'p', 'keepScale', ['state', 'inout']]),
  scale: elementwise([['x', 'in'], 's', ['y', 'out']]),

  im2col: shaped([['x', 'in'], ...IMAGE, ['col', 'out']]),
  col2im: shaped([['dcol', 'in'], ...IMAGE, ['dx', 'inout']]),
  maxPool2dForward: blocked({ code: BK_MAX_POOL_FORWARD, over: 'planes', grain: 1 }, [['x', 'in'], 'planes', 'H', 'W', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'OH', 'OW', ['y', 'out'], ['argmax', 'out']]),
  maxPool2dBackward: blocked({ code: BK_MAX_POOL_BACKWARD, over: 'planes', grain: 1 }, [['dy', 'in'], ['argmax', 'in'], 'planes', 'H', 'W', 'OH', 'OW', ['dx', 'inout']]),
  conv2dForward: blocked({ code: BK_CONV2D_FORWARD, over: 'batch', grain: 1 }, [['x', 'in'], ['w', 'in'], ['bias', 'in'], ...CONV, ['y', 'out']]),
  conv2dBackwardData: blocked({ code: BK_CONV2D_BACKWARD_DATA, over: 'batch', grain: 1 }, [['dy', 'in'], ['w', 'in'], ...CONV, ['dx', 'out']]),
  // one block per 4 output channels over the whole batch: no sum across threads
  conv2dBackwardFilter: blocked({ code: BK_CONV2D_BACKWARD_FILTER, over: 'OC', grain: 4 }, [['x', 'in'], ['dy', 'in'], ...CONV, 'beta', ['dw', 'inout']]),

  batchNormStats: shaped([['x', 'in'], ...PER_CHANNEL, ['mean', 'out'], ['variance', 'out']]),
  batchNormForward: shaped([['x', 'in'], ...PER_CHANNEL, ['mean', 'in'], ['invStd', 'in'], ['weight', 'in'], ['bias', 'in'], ['y', 'out']]),
  batchNormBackward: shaped([
    ['x', 'in'], ['dy', 'in'], ...PER_CHANNEL, ['mean', 'in'], ['invStd', 'in'], ['weight', 'in'], ['statistics', BN],
    ['dweight', 'inout'], ['dbias', 'inout'], ['dx', 'out'],
  ]),
} satisfies { readonly [N in GenericName]?: KernelSpec<N> };

const f32 = (a: FloatArray): a is Float32Array => a instanceof Float32Array;

/** The kernel table over a runtime: SPECS through the generic wrapper, plus GEMM and the optimiser steps. */
export function makeKernels(rt: WasmRuntime): Kernels {
  const ref = refKernels;
  const generic = {} as Record<WasmName, Wrapped>;
  for (const name of Object.keys(SPECS) as WasmName[]) generic[name] = wrap(rt, ref, name, SPECS[name]);

  // Staging vectors of the hand-written kernels, made once.
  const arrays: (KernelArray | null)[] = [null, null, null, null];
  const ptrs = [0, 0, 0, 0];
  const gemmModes: Mode[] = ['in', 'in', 'inout'];
  const gemmModesOut: Mode[] = ['in', 'in', 'out'];
  const stepModes: Mode[] = ['inout', 'in', 'inout', 'inout'];
  /** Stages arrays[0 … count − 1] (a mask for unstage), or −1 when there is no room (the caller uses the reference). */
  const stage = (count: number, modes: Mode[]): number => {
    for (let i = 0; i < count; i++) ptrs[i] = rt.offsetOf(arrays[i]!);
    const mask = rt.stageIn(arrays, modes, count, ptrs);
    if (mask < 0) arrays.fill(null);
    return mask;
  };
  const unstage = (count: number, modes: Mode[], mask: number): void => {
    rt.stageOut(arrays, modes, count, ptrs, mask);
    arrays.fill(null);
  };

  return {
    // every kernel without a WebAssembly version runs the reference, on the same arrays in place
    ...ref,
    name: 'wasm',
    ...generic,
    ...sparseKernels(rt, ref),

    gemm(transA, transB, M, N, K, alpha, A, B, beta, C) {
      if (!f32(A) || !f32(B) || !f32(C)) return ref.gemm(transA, transB, M, N, K, alpha, A, B, beta, C);
      if (M === 0 || N === 0) return;
      if (rt.inMemory(A) && rt.inMemory(B) && rt.inMemory(C)) {
        return rt.jobs.gemm(transA, transB, M, N, K, alpha, A.byteOffset, B.byteOffset, beta, C.byteOffset);
      }
      const modes = beta === 0 ? gemmModesOut : gemmModes;
      arrays[0] = A; arrays[1] = B; arrays[2] = C;
      const mask = stage(3, modes);
      if (mask < 0) return ref.gemm(transA, transB, M, N, K, alpha, A, B, beta, C);
      rt.jobs.gemm(transA, transB, M, N, K, alpha, ptrs[0]!, ptrs[1]!, beta, ptrs[2]!);
      unstage(3, modes, mask);
    },

    sgdStep(param, grad, buf, h: SgdHyper) {
      if (!f32(param) || !f32(grad) || !f32(buf)) return ref.sgdStep(param, grad, buf, h);
      // Without momentum the buffer is never touched (and may be empty): do not stage it.
      const b = h.momentum !== 0 ? buf : null;
      if (rt.inMemory(param) && rt.inMemory(grad) && (!b || rt.inMemory(b))) {
        return rt.jobs.sgd(param.byteOffset, grad.byteOffset, b ? b.byteOffset : 0, param.length, h);
      }
      arrays[0] = param; arrays[1] = grad; arrays[2] = b;
      const mask = stage(3, stepModes);
      if (mask < 0) return ref.sgdStep(param, grad, buf, h);
      rt.jobs.sgd(ptrs[0]!, ptrs[1]!, ptrs[2]!, param.length, h);
      unstage(3, stepModes, mask);
    },

    adamStep(param, grad, m, v, h: AdamHyper) {
      if (!f32(param) || !f32(grad) || !f32(m) || !f32(v)) return ref.adamStep(param, grad, m, v, h);
      // The same scalars as the reference, computed the same way in float64.
      const bc1 = 1 - Math.pow(h.beta1, h.step);
      const sqrtBc2 = Math.sqrt(1 - Math.pow(h.beta2, h.step));
      const stepSize = h.lr / bc1;
      if (rt.inMemory(param) && rt.inMemory(grad) && rt.inMemory(m) && rt.inMemory(v)) {
        return rt.jobs.adam(param.byteOffset, grad.byteOffset, m.byteOffset, v.byteOffset, param.length, h, stepSize, sqrtBc2);
      }
      arrays[0] = param; arrays[1] = grad; arrays[2] = m; arrays[3] = v;
      const mask = stage(4, stepModes);
      if (mask < 0) return ref.adamStep(param, grad, m, v, h);
      rt.jobs.adam(ptrs[0]!, ptrs[1]!, ptrs[2]!, ptrs[3]!, param.length, h, stepSize, sqrtBc2);
      unstage(4, stepModes, mask);
    },
  };
}
