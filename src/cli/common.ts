// What several commands do the same way: start and stop the kernel backend, load a data set,
// load a saved model, and check that the two fit. Library errors are reported against the flag
// that named the thing (errors.ts asFlag).

import { existsSync, statSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { initBackend, initWebGPU, shapeSize, shapeString, shutdownWasm, type BackendChoice, type Dataset, type WebGPUBackend } from '../index.js';
import { loadDataset, loadSavedModel, type SavedModel } from '../node.js';
import { asFlag, asFlagAsync, UsageError } from './errors.js';

/** Threads when --threads is not given: the machine's cores, at most 4. */
export function defaultThreads(): number {
  const cores = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
  return Math.max(1, Math.min(4, cores));
}

/**
 * Brings up the kernel backend --backend names before any tensor is allocated, with `threads`
 * threads (default defaultThreads()). 'auto' takes webgpu on a hardware GPU that passes its
 * self-test, else the fastest the engine can run (AUTO_ORDER); a named one the engine cannot run
 * is a usage error.
 */
export async function chooseBackend(choice: BackendChoice, threads?: number): Promise<void> {
  if (choice === 'webgpu' || choice === 'auto') {
    try {
      webgpu = await initWebGPU({ requireHardware: choice === 'auto', selfTest: true });
      return;
    } catch (e) {
      if (choice === 'webgpu') throw new UsageError(`--backend webgpu: ${(e as Error).message}`);
    }
  }
  const b = await initBackend(choice, { threads: threads ?? defaultThreads() });
  if (choice !== 'auto' && b.name !== choice) throw new UsageError(`--backend ${choice}: this JavaScript engine cannot run it (${b.describe()} instead); use --backend auto`);
}

let webgpu: WebGPUBackend | null = null;

/** Ends the backend's worker threads (wasm's pool, webgpu's device worker) so the process can exit. */
export async function releaseBackend(): Promise<void> {
  webgpu?.shutdown();
  webgpu = null;
  await shutdownWasm();
}

/**
 * Loads a data set by registered name or path through the data readers; their errors (unknown
 * name, missing or corrupt file, with the byte offset) are reported against --data, a missing
 * folder against --data-dir.
 */
export async function loadData(spec: string, dataDir?: string, quiet = false): Promise<Dataset> {
  if (dataDir !== undefined) requireDirectory('--data-dir', dataDir);
  return asFlagAsync('--data', () => loadDataset(spec, { ...(dataDir !== undefined ? { dataDir } : {}), log: (m) => { if (!quiet) console.error(m); } }));
}

/** `path`, which `flag` names, must be an existing directory. */
export function requireDirectory(flag: string, path: string): void {
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new UsageError(`${flag}: no such directory: ${path}`);
}

/** The saved model that --model names: a run directory or a model bundle. */
export function loadModel(path: string): SavedModel {
  return asFlag('--model', () => loadSavedModel(path));
}

/** The data must have the sample size and the number of classes the model was trained on. */
export function checkCompatible(saved: SavedModel, data: Dataset): void {
  const want = saved.data.sampleShape;
  if (shapeSize(want) !== shapeSize(data.sampleShape)) {
    throw new UsageError(`--data: ${data.name} has samples of shape ${shapeString(data.sampleShape)} but the model was trained on ${shapeString(want)}`);
  }
  if (data.classes.length !== saved.classes.length) {
    throw new UsageError(`--data: ${data.name} has ${data.classes.length} classes but the model was trained on ${saved.classes.length}`);
  }
}
