// The normalisation kernels of the table on the device (shaders in wgsl-norm.ts): batch norm's
// statistics, 1/√(σ² + ε), running estimates, forward and backward, layer norm's forward and
// backward. A backward pass is one
// dispatch for dx and the per-channel (or per-column) parameter sums, which it leaves in the
// scratch allocation, and one small dispatch each that adds them to dweight and to dbias. A call
// whose arrays the device cannot take runs the reference on the host mirrors, as in kernels.ts.

import { refKernels } from '../ref/index.js';
import type { Kernels } from '../table.js';
import { HandgradError, type FloatArray } from '../../tensor.js';
import { spec, type DeviceCalls } from './calls.js';
import { ADD_VECTOR_WGSL } from './wgsl-elementwise.js';
import {
  BN_BACKWARD_WGSL, BN_FORWARD_WGSL, BN_INV_STD_WGSL, BN_RUNNING_WGSL, BN_STATS_WGSL, LN_BACKWARD_WGSL, LN_FORWARD_WGSL, LN_PARAM_SUMS_WGSL,
} from './wgsl-norm.js';

export type NormKernelName =
  | 'batchNormStats' | 'batchNormInvStd' | 'batchNormRunningUpdate' | 'batchNormForward' | 'batchNormBackward'
  | 'layerNormForward' | 'layerNormBackward';

export function createNormKernels(calls: DeviceCalls): Pick<Kernels, NormKernelName> {
  const { client, bind, off, host, launch, launchGroups, scratchFor } = calls;
  const P = {
    bnStats: spec('batchNormStats', BN_STATS_WGSL, ['r', 'w', 'w']),
    bnInvStd: spec('batchNormInvStd', BN_INV_STD_WGSL, ['r', 'w']),
    bnRunning: spec('batchNormRunningUpdate', BN_RUNNING_WGSL, ['r', 'r', 'w', 'w']),
    bnForward: spec('batchNormForward', BN_FORWARD_WGSL, ['r', 'r', 'r', 'r', 'r', 'w']),
    bnBackward: spec('batchNormBackward', BN_BACKWARD_WGSL, ['r', 'r', 'r', 'r', 'r', 'w', 'w']),
    lnForward: spec('layerNormForward', LN_FORWARD_WGSL, ['r', 'r', 'r', 'w', 'w', 'w']),
    lnBackward: spec('layerNormBackward', LN_BACKWARD_WGSL, ['r', 'r', 'r', 'r', 'r', 'w']),
    lnSums: spec('layerNormParamSums', LN_PARAM_SUMS_WGSL, ['r', 'r', 'r', 'r', 'w']),
    addVector: spec('addVector', ADD_VECTOR_WGSL, ['r', 'w']),
  };

  /** True when each of the parameter gradients is absent or on the device (later dispatches bind them). */
  const onDevice = (a: FloatArray | null, b: FloatArray | null): boolean =>
    (a === null || client.lookup(a) !== undefined) && (b === null || client.lookup(b) !== undefined);

  /** out[0, n) += sums[at, at + n), `sums` the whole scratch allocation: one dispatch (out null: none). */
  const addSums = (sums: Float32Array, at: number, n: number, out: FloatArray | null): void => {
    if (!out) return;
    // out is on the device (checked before the call's first dispatch) and is not the scratch
    if (!bind([sums, out], 'rx', sums)) throw new HandgradError('webgpu: a parameter gradient could not be bound (the checks before the dispatch should have caught it)');
    const d = launch(P.addVector, n);
    d.u[d.at] = n; d.u[d.at + 1] = off(out); d.u[d.at + 2] = at; d.u[d.at + 3] = 1; d.u[d.at + 4] = n;
    client.end();
  };

  return {
    batchNormStats(x, batch, channels, spatial, mean, variance) {
      if (channels === 0) return;
      if (batch * spatial === 0 || !bind([x, mean, variance], 'rww', x)) {
        host(x, mean, variance);
        return refKernels.batchNormStats(x, batch, channels, spatial, mean, variance);
      }
      const d = launchGroups(P.bnStats, channels);
      d.u[d.at] = batch; d.u[d.at + 1] = channels; d.u[d.at + 2] = spatial;
      d.u[d.at + 3] = off(x); d.u[d.at + 4] = off(mean); d.u[d.at + 5] = off(variance);
      client.end();
    },

    batchNormInvStd(variance, channels, eps, invStd) {
      if (channels === 0) return;
      if (!bind([variance, invStd], 'rw', variance)) {
        host(variance, invStd);
        return refKernels.batchNormInvStd(variance, channels, eps, invStd);
      }
      const d = launch(P.bnInvStd, channels);
      d.u[d.at] = channels; d.u[d.at + 1] = off(variance); d.u[d.at + 2] = off(invStd); d.f[d.at + 3] = eps;
      client.end();
    },

    batchNormRunningUpdate(mean, variance, channels, factor, unbias, runningMean, runningVar) {
      if (channels === 0) return;
      if (!bind([mean, variance, runningMean, runningVar], 'rrxx', mean)) {
        host(mean, variance, runningMean, runningVar);
        return refKernels.batchNormRunningUpdate(mean, variance, channels, factor, unbias, runningMean, runningVar);
      }
      const d = launch(P.bnRunning, channels);
      const u = d.u, at = d.at;
      u[at] = channels; u[at + 1] = off(mean); u[at + 2] = off(variance); u[at + 3] = off(runningMean); u[at + 4] = off(runningVar);
      d.f[at + 5] = factor; d.f[at + 6] = unbias;
      client.end();
    },

    batchNormForward(x, batch, channels, spatial, mean, invStd, weight, bias, y) {
      const n = batch * channels * spatial;
      if (n === 0) return;
      if (!bind([x, mean, invStd, weight, bias, y], 'rrrrrw', x)) {
        host(x, mean, invStd, weight, bias, y);
        return refKernels.batchNormForward(x, batch, channels, spatial, mean, invStd, weight, bias, y);
      }
      const d = launch(P.bnForward, n);
      const u = d.u, at = d.at;
      u[at] = n; u[at + 1] = channels; u[at + 2] = spatial; u[at + 3] = off(x); u[at + 4] = off(mean); u[at + 5] = off(invStd);
      u[at + 6] = off(weight); u[at + 7] = off(bias); u[at + 8] = off(y); u[at + 9] = weight ? 1 : 0; u[at + 10] = bias ? 1 : 0;
      client.end();
    },

    batchNormBackward(x, dy, batch, channels, spatial, mean, invStd, weight, statistics, dweight, dbias, dx) {
      if (channels === 0) return;
      const sums = scratchFor(2 * channels);
      if (batch * spatial === 0 || !onDevice(dweight, dbias) || !bind([x, dy, mean, invStd, weight, dx, sums], 'rrrrrww', x)) {
        host(x, dy, mean, invStd, weight, dweight, dbias, dx);
        return refKernels.batchNormBackward(x, dy, batch, channels, spatial, mean, invStd, weight, statistics, dweight, dbias, dx);
      }
      const d = launchGroups(P.bnBackward, channels);
      const u = d.u, at = d.at;
      u[at] = batch; u[at + 1] = channels; u[at + 2] = spatial; u[at + 3] = off(x); u[at + 4] = off(dy); u[at + 5] = off(mean);
      u[at + 6] = off(invStd); u[at + 7] = off(weight); u[at + 8] = off(dx); u[at + 9] = 0; u[at + 10] = weight ? 1 : 0;
      u[at + 11] = statistics === 'batch' ? 1 : 0;
      client.end();
      // the scratch holds S₂ (Σ dy·x̂) then S₁ (Σ dy) per channel
      addSums(sums, 0, channels, dweight);
      addSums(sums, channels, channels, dbias);
    },

    layerNormForward(x, rows, cols, eps, weight, bias, y, mean, rstd) {
      if (rows === 0 || cols === 0) return;
      if (!bind([x, weight, bias, y, mean, rstd], 'rrrwww', x)) {
        host(x, weight, bias, y, mean, rstd);
        return refKernels.layerNormForward(x, rows, cols, eps, weight, bias, y, mean, rstd);
      }
      const d = launchGroups(P.lnForward, rows);
      const u = d.u, at = d.at;
      u[at] = rows; u[at + 1] = cols; u[at + 2] = off(x); u[at + 3] = off(weight); u[at + 4] = off(bias); u[at + 5] = off(y);
      u[at + 6] = off(mean); u[at + 7] = off(rstd); u[at + 8] = weight ? 1 : 0; u[at + 9] = bias ? 1 : 0; d.f[at + 10] = eps;
      client.end();
    },

    layerNormBackward(x, dy, rows, cols, mean, rstd, weight, dweight, dbias, dx) {
      if (cols === 0) return;
      if (rows === 0 || !onDevice(dweight, dbias) || !bind([x, dy, mean, rstd, weight, dx], 'rrrrrw', x)) {
        host(x, dy, mean, rstd, weight, dweight, dbias, dx);
        return refKernels.layerNormBackward(x, dy, rows, cols, mean, rstd, weight, dweight, dbias, dx);
      }
      const d = launchGroups(P.lnBackward, rows);
      const u = d.u, at = d.at;
      u[at] = rows; u[at + 1] = cols; u[at + 2] = off(x); u[at + 3] = off(dy); u[at + 4] = off(mean); u[at + 5] = off(rstd);
      u[at + 6] = off(weight); u[at + 7] = off(dx); u[at + 8] = weight ? 1 : 0;
      client.end();
      if (!dweight && !dbias) return;
      // Σ_rows dy·x̂ then Σ_rows dy per column, into the scratch (x, dy, mean, rstd are bound already: read-only)
      const sums = scratchFor(2 * cols);
      if (!bind([x, dy, mean, rstd, sums], 'rrrrw', x)) throw new HandgradError('webgpu: layerNormBackward could not bind the arrays it bound a dispatch ago');
      const s = launch(P.lnSums, cols);
      s.u[s.at] = rows; s.u[s.at + 1] = cols; s.u[s.at + 2] = off(x); s.u[s.at + 3] = off(dy); s.u[s.at + 4] = off(mean);
      s.u[s.at + 5] = off(rstd); s.u[s.at + 6] = 0;
      client.end();
      addSums(sums, 0, cols, dweight);
      addSums(sums, cols, cols, dbias);
    },
  };
}
