// The webgpu backend: the kernel table on a GPU through WebGPU, in Node (Dawn, the optional peer
// dependency `webgpu`) and in browser workers. See README.md for the design: a device worker that
// owns the GPUDevice, a command ring, host mirrors, and the one thing that blocks, a readback.
//
//   const b = await createWebGPUBackend();   // a Backend; the registry selects it
//   b.describe()                             // "webgpu (nvidia …)"

import { onHost, allocate, HandgradError, type FloatArray } from '../../tensor.js';
import { refKernels } from '../ref/index.js';
import type { Backend, Kernels } from '../table.js';
import { DeviceClient } from './client.js';
import { createDeviceKernels, type ConvChoice, type GemmChoice, type KernelCounts, type ShaderSettings } from './kernels.js';
import { createChannel, SERVER_LAYOUT, type AdapterDescription, type ServerHello } from './protocol.js';
import type { ServerInit } from './server.js';
import { kernelNames, runsOnDevice, type DeviceKernels, type KernelName } from './support.js';
import { BROWSER_WORKER_SOURCE } from './worker-source.js';

export { WEBGPU_SUPPORT, hostKernels } from './support.js';
export type { AdapterDescription } from './protocol.js';

/** Options of the webgpu backend (initWebGPU, initBackend). */
export interface WebGPUOptions {
  /** Seconds to wait for the device (a readback, ring space) before failing. Default 120. */
  timeoutSeconds?: number;
  /** Node only: options for Dawn's create(), e.g. ['adapter=…'] or ['backend=vulkan']. */
  dawnOptions?: string[];
  /**
   * Refuse a software adapter (SwiftShader, llvmpipe/lavapipe, a fallback adapter), and in Node do
   * not even load Dawn on a Linux machine without GPU device files. Default false.
   */
  requireHardware?: boolean;
  /** Run a small product and softmax on the device against the reference before returning. Default false. */
  selfTest?: boolean;
  /**
   * The GEMM shader (kernels.ts): 'auto' (the default) is the direct one on a software adapter,
   * which emulates workgroup barriers slowly, and by shape on a GPU.
   */
  gemm?: GemmChoice;
  /**
   * The direct convolutions (kernels.ts): 'direct', one dispatch over the batch per call
   * (wgsl-conv.ts), the default on a GPU; 'unfolded', im2col + product + col2im per image, the
   * default on a software adapter, which runs those faster.
   */
  conv?: ConvChoice;
}

/** The webgpu Backend, with what it says about its device. */
export interface WebGPUBackend extends Backend {
  /** Always 'webgpu'. */
  readonly name: 'webgpu';
  /** The adapter the device came from: vendor, architecture, description. */
  readonly adapter: AdapterDescription;
  /** True for a CPU implementation of WebGPU (SwiftShader, llvmpipe): correct, slow. */
  readonly software: boolean;
  /** Kernel calls that ran on the device / on the host mirrors (support.ts, kernels.ts). */
  readonly counts: KernelCounts;
  /** Transfers and dispatches so far. */
  readonly transfers: DeviceClient['stats'];
  /** The GEMM and convolution shaders in use (WebGPUOptions.gemm, .conv); may be changed between calls. */
  readonly settings: ShaderSettings;
  /** True for the kernels support.ts runs on the host mirrors. */
  runsOnHost(kernel: KernelName): boolean;
  /** True when `a` views storage this backend allocated (a host mirror of a device buffer). */
  owns(a: ArrayBufferView): boolean;
  /** Stops the device worker; the backend's arrays keep their last host values. */
  shutdown(): void;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/i;

export function isSoftwareAdapter(a: AdapterDescription): boolean {
  return SOFTWARE.test(`${a.vendor} ${a.architecture} ${a.device} ${a.description}`);
}

/** A short name of the adapter, e.g. "swiftshader" or "nvidia hopper". */
export function adapterName(a: AdapterDescription): string {
  return [a.vendor, a.architecture].filter((s) => s).join(' ') || a.description || 'unknown adapter';
}

interface Started {
  hello: ServerHello;
  terminate(): void;
  /** Node: runs `f` when the process exits. */
  atExit?(f: () => void): void;
}

async function startWorker(init: ServerInit, opts: WebGPUOptions): Promise<Started> {
  // Node's process, looked up on globalThis: this module is browser-safe
  if ((globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node) {
    const { mayHaveGpu, startNodeWorker } = await import('./start-node.js');
    if (opts.requireHardware && !mayHaveGpu()) return { hello: { ok: false, reason: 'no GPU device on this machine (/dev/dri, /dev/nvidiactl)' }, terminate: () => {} };
    return startNodeWorker(init, opts.dawnOptions ?? [], !opts.requireHardware);
  }
  if (typeof Worker === 'undefined' || typeof Blob === 'undefined') throw new HandgradError('webgpu: this engine has no Worker to run the device on');
  const url = URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
  const w = new Worker(url);
  URL.revokeObjectURL(url);
  const hello = await new Promise<ServerHello>((resolve) => {
    w.onmessage = (e: MessageEvent<ServerHello>) => resolve(e.data);
    w.onerror = (e) => resolve({ ok: false, reason: `the device worker failed to start: ${e.message}` });
    w.postMessage({ init });
  });
  return { hello, terminate: () => w.terminate() };
}

/** Why this thread cannot run the backend, or null when it can. */
function blockingUnavailable(): string | null {
  if (typeof SharedArrayBuffer === 'undefined') return 'SharedArrayBuffer is missing (in a browser: serve the page cross-origin isolated, COOP + COEP)';
  const isBrowserMain = typeof window !== 'undefined' && typeof document !== 'undefined';
  if (isBrowserMain) return "a browser's main thread cannot block on a readback (Atomics.wait); run training in a Worker";
  return null;
}

/**
 * Starts a device worker, asks it for an adapter and a device, and returns the backend (not
 * registered or selected: the registry does that). Rejects with the reason when there is no
 * usable adapter, no `webgpu` package in Node, or a thread that cannot block.
 */
export async function createWebGPUBackend(opts: WebGPUOptions = {}): Promise<WebGPUBackend> {
  const why = blockingUnavailable();
  if (why) throw new HandgradError(`webgpu: ${why}`);
  const channel = createChannel();
  const worker = await startWorker({ channel, layout: SERVER_LAYOUT }, opts);
  const hello = worker.hello;
  if (!hello.ok) {
    worker.terminate();
    throw new HandgradError(`webgpu: ${hello.reason}`);
  }
  const adapter = hello.adapter;
  const software = isSoftwareAdapter(adapter);
  if (opts.requireHardware && software) {
    worker.terminate();
    throw new HandgradError(`webgpu: the only adapter is a software one (${adapterName(adapter)})`);
  }
  // After shutdown() the worker finishes what is queued; it is terminated once it says it has
  // stopped (terminating it inside a call to Dawn would abort the process). A process that exits
  // with work still queued halts it first, for the same reason.
  const client: DeviceClient = new DeviceClient(channel, { timeoutSeconds: opts.timeoutSeconds ?? 120 }, () => terminateWhenStopped(client, worker));
  worker.atExit?.(() => client.halt(2000));
  const counts: KernelCounts = { device: 0, host: 0 };
  const settings: ShaderSettings = { gemm: opts.gemm ?? (software ? 'direct' : 'auto'), conv: opts.conv ?? (software ? 'unfolded' : 'direct') };
  const kernels = assemble(createDeviceKernels(client, counts, settings), counts);
  const b: WebGPUBackend = {
    name: 'webgpu',
    kernels,
    dtypes: ['float32'],
    adapter,
    software,
    counts,
    transfers: client.stats,
    settings,
    allocate(dtype, size): FloatArray {
      if (dtype !== 'float32') return allocate(dtype, size);
      return new Float32Array(client.allocate(size * 4).mirror);
    },
    describe: () => `webgpu (${adapterName(adapter)}${software ? ', software' : ''})`,
    runsOnHost: (k) => !runsOnDevice(k),
    owns: (a) => client.lookup(a) !== undefined,
    shutdown: () => client.close(),
  };
  if (opts.selfTest) {
    const failure = selfTest(b);
    if (failure) {
      b.shutdown();
      throw new HandgradError(`webgpu: the self-test on ${adapterName(adapter)} failed: ${failure}`);
    }
  }
  return b;
}

/** Terminates the worker once the client says it has stopped (polled; at most a minute). */
function terminateWhenStopped(client: DeviceClient, worker: Started): void {
  const until = Date.now() + 60_000;
  const poll = (): void => {
    if (client.stopped || Date.now() > until) return worker.terminate();
    const t = setTimeout(poll, 20) as { unref?: () => void };
    t.unref?.();
  };
  poll();
}

/** A 13×11·(9×11)ᵀ product and a softmax cross-entropy of it against the reference; null when they agree. */
function selfTest(b: WebGPUBackend): string | null {
  const [M, N, K] = [13, 9, 11];
  const A = onHost(b.allocate('float32', M * K)), B = onHost(b.allocate('float32', N * K)), C = b.allocate('float32', M * N);
  const T = onHost(b.allocate('float32', M * N));
  for (let i = 0; i < A.length; i++) A[i] = Math.sin(i + 1);
  for (let i = 0; i < B.length; i++) B[i] = Math.cos(0.7 * i);
  for (let r = 0; r < M; r++) T[r * N + (r % N)] = 1;
  const want = new Float32Array(M * N);
  refKernels.gemm(false, true, M, N, K, 1, A, B, 0, want);
  b.kernels.gemm(false, true, M, N, K, 1, A, B, 0, C);
  const probs = b.allocate('float32', M * N);
  const loss = b.kernels.softmaxCrossEntropy(C, M, N, null, T, probs);
  const wantLoss = refKernels.softmaxCrossEntropy(want, M, N, null, T, new Float32Array(M * N));
  onHost(C);
  for (let i = 0; i < want.length; i++) if (!(Math.abs(C[i]! - want[i]!) <= 1e-4 * (1 + Math.abs(want[i]!)))) return `product element ${i} is ${C[i]}, expected ${want[i]}`;
  if (!(Math.abs(loss - wantLoss) <= 1e-3 * (1 + Math.abs(wantLoss)))) return `softmax cross-entropy ${loss}, expected ${wantLoss}`;
  return null;
}

/** The full table: WGSL kernels where support.ts says 'device', the reference on the host mirrors elsewhere. */
function assemble(device: DeviceKernels, counts: KernelCounts): Kernels {
  const table: Partial<Record<KernelName, Kernels[KernelName]>> = {};
  for (const k of kernelNames()) table[k] = runsOnDevice(k) ? device[k] : onHostThen(refKernels[k], counts);
  return { name: 'webgpu', ...table } as Kernels;
}

/** f on the host mirrors: every array argument is brought to the host first. */
function onHostThen<F extends (...args: never[]) => unknown>(f: F, counts: KernelCounts): F {
  const wrapped = (...args: Parameters<F>): ReturnType<F> => {
    for (const a of args) if (ArrayBuffer.isView(a)) onHost(a);
    counts.host++;
    return f(...args) as ReturnType<F>;
  };
  return wrapped as F;
}
