// Node-only: starts the device worker on a worker_threads thread with Dawn's Node bindings (the
// optional peer dependency `webgpu`). Loaded through dynamic import() only under Node.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HandgradError } from '../../tensor.js';
import type { ServerHello } from './protocol.js';
import type { ServerInit } from './server.js';
import { NODE_WORKER_SOURCE } from './worker-source.js';

export interface StartedWorker {
  hello: ServerHello;
  terminate(): void;
  /** Runs `f` when the process exits (before Node cuts its worker threads off). */
  atExit(f: () => void): void;
}

/** The file URL of the `webgpu` package's entry, or an error saying how to install it. */
export function resolveDawn(): string {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    throw new HandgradError(
      "webgpu: in Node this backend needs the optional peer dependency 'webgpu' (Dawn's Node bindings, about 130 MB): npm install webgpu",
    );
  }
}

/**
 * Whether this machine may have a GPU, without loading Dawn: on Linux a DRM render node or the
 * NVIDIA device files; elsewhere assumed. `--backend auto` probes WebGPU only then.
 */
export function mayHaveGpu(): boolean {
  if (process.platform !== 'linux') return true;
  return existsSync('/dev/dri') || existsSync('/dev/nvidiactl');
}

/** Debian's Chromium ships SwiftShader, a Vulkan driver on the CPU. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Starts the worker; when Dawn finds no adapter, the Vulkan loader was not pointed anywhere
 * (VK_ICD_FILENAMES unset) and a software adapter is acceptable, tries once more on Chromium's
 * SwiftShader if it is installed: correct and slow (the backend says so in describe()).
 */
export async function startNodeWorker(init: ServerInit, dawnOptions: string[], softwareFallback: boolean): Promise<StartedWorker> {
  const first = await startOnce(init, dawnOptions);
  if (first.hello.ok || !softwareFallback || process.env.VK_ICD_FILENAMES || !existsSync(SWIFTSHADER_ICD)) {
    if (!first.hello.ok) first.hello.reason += ` (without a GPU, Chromium's SwiftShader gives a software adapter: VK_ICD_FILENAMES=${SWIFTSHADER_ICD} with Debian's chromium and libvulkan1)`;
    return first;
  }
  first.terminate();
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  return startOnce(init, dawnOptions);
}

function startOnce(init: ServerInit, dawnOptions: string[]): Promise<StartedWorker> {
  const webgpuUrl = resolveDawn();
  return new Promise((resolve, reject) => {
    // The source is a CommonJS script: a process started with --input-type=module (node -e) would
    // hand that flag down and make it an ES module.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    const w = new Worker(NODE_WORKER_SOURCE, { eval: true, execArgv, workerData: { init, webgpuUrl, dawnOptions } });
    const onError = (e: Error): void => reject(new HandgradError(`webgpu: the device worker failed to start: ${e.message}`));
    w.once('error', onError);
    w.once('message', (hello: ServerHello) => {
      w.off('error', onError);
      w.on('error', () => {}); // a later crash surfaces as FAILED or a timeout in the client
      w.unref();
      resolve({ hello, terminate: () => void w.terminate(), atExit: (f) => void process.once('exit', f) });
    });
  });
}
