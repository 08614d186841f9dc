// The registry's entry for the webgpu backend: creates it, registers it and selects it.

import { registerBackend, setBackend } from './backend.js';
import { createWebGPUBackend, type WebGPUBackend, type WebGPUOptions } from './kernels/webgpu/index.js';

export interface InitWebGPUOptions extends WebGPUOptions {
  /** Select the backend after registering it. Default true. */
  select?: boolean;
}

/** Creates the webgpu backend, registers it as 'webgpu' and (by default) selects it. */
export async function initWebGPU(opts: InitWebGPUOptions = {}): Promise<WebGPUBackend> {
  const b = await createWebGPUBackend(opts);
  registerBackend(b);
  if (opts.select !== false) setBackend('webgpu');
  return b;
}
