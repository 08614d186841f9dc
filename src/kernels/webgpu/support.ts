// What the webgpu backend runs on the device and what it runs on the host. A row 'device' is a
// WGSL kernel; a row { host: why } runs the reference kernel on the host mirrors for the reason
// given (the arrays are brought to the host first and uploaded again by the next device kernel
// that reads them); a kernel of the table without a row has no WGSL version yet and runs on the
// host the same way, so a kernel added to `Kernels` is slower here until it gets WGSL, never
// missing. hostKernels() lists every kernel that runs on the host, and a test checks the list.
//
// Besides these rows, any single call falls back to the same host path when the device cannot
// take its arrays (kernels.ts): an array the backend did not allocate, or one allocation bound
// twice with a write. float64 never reaches this backend (its dtypes are float32 only).

import { refKernels } from '../ref/index.js';
import type { Kernels } from '../table.js';

export type KernelName = Exclude<keyof Kernels, 'name'>;
export type Support = 'device' | { readonly host: string };

/** The row of a kernel without a WGSL version: the reference loop on the host mirrors. */
const NO_WGSL = { host: 'no WGSL version: the reference loop runs on the host mirrors' } as const;

/**
 * The row of the products with sparse rows: a WGSL version would gather columns of W per non-zero;
 * training declines the sparse first layer on this backend (training.chooseInputPath), since
 * reading W back and uploading dW each step costs more than the dense product on the device.
 */
const SPARSE_ON_HOST = {
  host: 'no WGSL version: the reference loop runs on the host mirrors; training gives the first layer dense batches on this backend instead',
} as const;

/** Where each kernel runs on the webgpu backend: 'device' (a WGSL shader) or the reason it runs on the host mirrors. */
export const WEBGPU_SUPPORT = {
  gemm: 'device',
  sparseGemmForward: SPARSE_ON_HOST,
  sparseGemmBackward: SPARSE_ON_HOST,
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
  // one dispatch over the batch each (wgsl-conv.ts), or per image through the device's own
  // im2col, gemm, col2im (kernels/conv-unfolded.ts): WebGPUOptions.conv
  conv2dForward: 'device',
  conv2dBackwardData: 'device',
  conv2dBackwardFilter: 'device',
  avgPool2dForward: 'device',
  avgPool2dBackward: 'device',
  batchNormStats: 'device',
  batchNormInvStd: 'device',
  batchNormRunningUpdate: 'device',
  batchNormForward: 'device',
  batchNormBackward: 'device',
  layerNormForward: 'device',
  layerNormBackward: 'device',
  softmaxForward: 'device',
  softmaxBackward: 'device',
  logSoftmaxForward: 'device',
  logSoftmaxBackward: 'device',
  nllLoss: 'device',
  nllLossBackward: 'device',
  embeddingForward: 'device',
  embeddingBackward: 'device',
  sgdStep: 'device',
  adamStep: 'device',
  rmspropStep: 'device',
} as const satisfies Partial<Record<KernelName, Support>>;

type Rows = typeof WEBGPU_SUPPORT;

/** The kernels with a WGSL implementation. */
export type DeviceKernelName = { [K in keyof Rows]: Rows[K] extends 'device' ? K : never }[keyof Rows];
export type DeviceKernels = Pick<Kernels, DeviceKernelName>;

/** Where kernel `k` runs: its row, or the host (no WGSL version) when it has none. */
export function supportOf(k: KernelName): Support {
  return Object.hasOwn(WEBGPU_SUPPORT, k) ? WEBGPU_SUPPORT[k as keyof Rows] : NO_WGSL;
}

export function runsOnDevice(k: KernelName): k is DeviceKernelName {
  return supportOf(k) === 'device';
}

/** Every kernel of the table (its reference's names, the specification's). */
export function kernelNames(): KernelName[] {
  return Object.keys(refKernels).filter((k): k is KernelName => k !== 'name');
}

/** The kernels that always run on the host, with the reason. */
export function hostKernels(): { kernel: KernelName; why: string }[] {
  const out: { kernel: KernelName; why: string }[] = [];
  for (const k of kernelNames()) {
    const s = supportOf(k);
    if (s !== 'device') out.push({ kernel: k, why: s.host });
  }
  return out;
}
