// Model bundles as files (Node only): written atomically, read only from a regular file. The
// format is in bundle.ts.

import { writeFileAtomic } from '../io/atomic-node.js';
import { readRegularFile } from '../io/read-node.js';
import type { Module } from '../layers/module.js';
import { loadModel, saveModel, type LoadedModel, type ModelInfo } from './bundle.js';

/** Writes `saveModel(model, info)` to `path` atomically (the old file or the whole new one, never half). */
export function writeModelFile(path: string, model: Module, info: ModelInfo): void {
  writeFileAtomic(path, saveModel(model, info));
}

/**
 * Reads a model bundle from `path` (see loadModel); errors name the file. The file is opened
 * once and the open handle checked (readRegularFile): a FIFO or a device is refused, not waited on.
 */
export function readModelFile(path: string): LoadedModel {
  return loadModel(readRegularFile(path), path);
}
