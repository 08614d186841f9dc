// Softmax, log-softmax and the negative log-likelihood of the table on the device (shaders in
// wgsl-softmax.ts). nllLoss reads back one float per row and adds them on the host in float64, in
// the reference's order (the same sum, bit for bit). A call whose arrays the device cannot take
// runs the reference on the host mirrors, as in kernels.ts.

import { refKernels } from '../ref/index.js';
import type { Kernels } from '../table.js';
import { spec, type DeviceCalls } from './calls.js';
import { NLL_BACKWARD_WGSL, NLL_FORWARD_WGSL, SOFTMAX_BACKWARD_WGSL, SOFTMAX_FORWARD_WGSL } from './wgsl-softmax.js';

export type SoftmaxKernelName =
  'softmaxForward' | 'softmaxBackward' | 'logSoftmaxForward' | 'logSoftmaxBackward' | 'nllLoss' | 'nllLossBackward';

export function createSoftmaxKernels(calls: DeviceCalls): Pick<Kernels, SoftmaxKernelName> {
  const { client, bind, off, host, launch, scratchFor, readScratch } = calls;
  const P = {
    softmax: spec('softmaxForward', SOFTMAX_FORWARD_WGSL, ['r', 'w'], { LOG: 0 }),
    logSoftmax: spec('logSoftmaxForward', SOFTMAX_FORWARD_WGSL, ['r', 'w'], { LOG: 1 }),
    softmaxBackward: spec('softmaxBackward', SOFTMAX_BACKWARD_WGSL, ['r', 'r', 'w'], { LOG: 0 }),
    logSoftmaxBackward: spec('logSoftmaxBackward', SOFTMAX_BACKWARD_WGSL, ['r', 'r', 'w'], { LOG: 1 }),
    nll: spec('nllLoss', NLL_FORWARD_WGSL, ['r', 'r', 'w']),
    nllBackward: spec('nllLossBackward', NLL_BACKWARD_WGSL, ['r', 'w']),
  };

  type Forward = Kernels['softmaxForward'];
  type Backward = Kernels['softmaxBackward'];
  const forward = (log: boolean): Forward => (x, outer, size, inner, y) => {
    const lines = outer * inner;
    if (lines === 0 || size === 0) return;
    if (!bind([x, y], 'rw', x)) {
      host(x, y);
      return (log ? refKernels.logSoftmaxForward : refKernels.softmaxForward)(x, outer, size, inner, y);
    }
    const d = launch(log ? P.logSoftmax : P.softmax, lines);
    d.u[d.at] = lines; d.u[d.at + 1] = size; d.u[d.at + 2] = inner; d.u[d.at + 3] = off(x); d.u[d.at + 4] = off(y);
    client.end();
  };
  const backward = (log: boolean): Backward => (y, dy, outer, size, inner, dx) => {
    const lines = outer * inner;
    if (lines === 0 || size === 0) return;
    if (!bind([y, dy, dx], 'rrw', y)) {
      host(y, dy, dx);
      return (log ? refKernels.logSoftmaxBackward : refKernels.softmaxBackward)(y, dy, outer, size, inner, dx);
    }
    const d = launch(log ? P.logSoftmaxBackward : P.softmaxBackward, lines);
    d.u[d.at] = lines; d.u[d.at + 1] = size; d.u[d.at + 2] = inner; d.u[d.at + 3] = off(y); d.u[d.at + 4] = off(dy); d.u[d.at + 5] = off(dx);
    client.end();
  };

  return {
    softmaxForward: forward(false),
    logSoftmaxForward: forward(true),
    softmaxBackward: backward(false),
    logSoftmaxBackward: backward(true),

    nllLoss(logProbs, rows, classes, labels) {
      if (rows === 0) return 0;
      const rowLoss = scratchFor(rows);
      if (!bind([logProbs, labels, rowLoss], 'rrw', logProbs)) {
        host(logProbs, labels);
        return refKernels.nllLoss(logProbs, rows, classes, labels);
      }
      const d = launch(P.nll, rows);
      d.u[d.at] = rows; d.u[d.at + 1] = classes; d.u[d.at + 2] = off(logProbs); d.u[d.at + 3] = off(labels); d.u[d.at + 4] = 0;
      client.end();
      // −lp summed as the reference subtracts lp: the same float64 operations in the same order
      const losses = readScratch(rows);
      let total = 0;
      for (let r = 0; r < rows; r++) total += losses[r]!;
      return total;
    },

    nllLossBackward(rows, classes, labels, scale, grad) {
      const n = rows * classes;
      if (n === 0) return;
      if (!bind([labels, grad], 'rw', labels)) {
        host(labels, grad);
        return refKernels.nllLossBackward(rows, classes, labels, scale, grad);
      }
      const d = launch(P.nllBackward, n);
      d.u[d.at] = n; d.u[d.at + 1] = classes; d.u[d.at + 2] = off(labels); d.u[d.at + 3] = off(grad); d.f[d.at + 4] = scale;
      client.end();
    },
  };
}
