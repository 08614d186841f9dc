// What the webgpu backend runs on the device and what it runs on the host, one row per kernel of
// the table. The type makes the table complete: a kernel added to `Kernels` fails to compile here
// until it has a row, and a row { host: why } runs the reference kernel on the host mirrors (the
// arrays are brought to the host first and uploaded again by the next device kernel that reads
// them), so a kernel without WGSL is slower, never missing.
//
// Besides these rows, any single call falls back to the same host path when the device cannot
// take its arrays (kernels.ts): an array the backend did not allocate, or one allocation bound
// twice with a write. float64 never reaches this backend (its dtypes are float32 only).

import type { Kernels } from '../table.js';

export type KernelName = Exclude<keyof Kernels, 'name'>;
export type Support = 'device' | { readonly host: string };

/** The row of a kernel without a WGSL version: the reference loop on the host mirrors. */
const NO_WGSL = { host: 'no WGSL version: the reference loop runs on the host mirrors' } as const;

/** Where each kernel runs on the webgpu backend: 'device' (a WGSL shader) or the reason it runs on the host mirrors. */
export const WEBGPU_SUPPORT = {
  gemm: 'device',
  addRowVector: 'device',
  sumRowsInto: 'device',
  addChannelVector: 'device',
  sumChannelsInto: 'device',
  fill: 'device',
  mul: 'device',
  reluForward: 'device',
  reluBackward: 'device',
  leakyReluForward: 'device',
  leakyReluBackward: 'device',
  sigmoidForward: 'device',
  sigmoidBackward: 'device',
  tanhForward: 'device',
  tanhBackward: 'device',
  geluForward: 'device',
  geluBackward: 'device',
  softplusForward: 'device',
  softplusBackward: 'device',
  eluForward: 'device',
  eluBackward: 'device',
  softmaxCrossEntropy: 'device',
  softmaxCrossEntropyBackward: 'device',
  elementwiseLoss: 'device',
  elementwiseLossBackward: 'device',
  dropoutMask: {
    host:
      'the mask is the xoshiro128** stream of Random, one draw per unit in order (a sequential recurrence); ' +
      'it is drawn into the host mirror and uploaded by the kernel that applies it (mul)',
  },
  scale: 'device',
  im2col: 'device',
  col2im: 'device',
  maxPool2dForward: 'device',
  maxPool2dBackward: 'device',
  // through the device's own im2col, gemm, col2im (kernels/conv-unfolded.ts)
  conv2dForward: 'device',
  conv2dBackwardData: 'device',
  conv2dBackwardFilter: 'device',
  sgdStep: 'device',
  adamStep: 'device',
  rmspropStep: 'device',
  avgPool2dForward: NO_WGSL,
  avgPool2dBackward: NO_WGSL,
  batchNormStats: NO_WGSL,
  batchNormForward: NO_WGSL,
  batchNormBackward: NO_WGSL,
  layerNormForward: NO_WGSL,
  layerNormBackward: NO_WGSL,
  softmaxForward: NO_WGSL,
  softmaxBackward: NO_WGSL,
  logSoftmaxForward: NO_WGSL,
  logSoftmaxBackward: NO_WGSL,
  nllLoss: NO_WGSL,
  nllLossBackward: NO_WGSL,
  embeddingForward: NO_WGSL,
  embeddingBackward: NO_WGSL,
} as const satisfies Record<KernelName, Support>;

/** The kernels with a WGSL implementation. */
export type DeviceKernelName = { [K in KernelName]: (typeof WEBGPU_SUPPORT)[K] extends 'device' ? K : never }[KernelName];
export type DeviceKernels = Pick<Kernels, DeviceKernelName>;

export function runsOnDevice(k: KernelName): k is DeviceKernelName {
  return WEBGPU_SUPPORT[k] === 'device';
}

/** The kernels that always run on the host, with the reason. */
export function hostKernels(): { kernel: KernelName; why: string }[] {
  const out: { kernel: KernelName; why: string }[] = [];
  for (const [k, s] of Object.entries(WEBGPU_SUPPORT)) if (s !== 'device') out.push({ kernel: k as KernelName, why: s.host });
  return out;
}
