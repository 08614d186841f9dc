// Model bundles as files (Node only): written atomically, read after checking that the path is
// a regular file. The format is in bundle.ts.

import { readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-node.js';
import type { Module } from '../layers/module.js';
import { HandgradError } from '../tensor.js';
import { loadModel, saveModel, type LoadedModel, type ModelInfo } from './bundle.js';

/** Writes `saveModel(model, info)` to `path` atomically (the old file or the whole new one, never half). */
export function writeModelFile(path: string, model: Module, info: ModelInfo): void {
  writeFileAtomic(path, saveModel(model, info));
}

/** Reads a model bundle from `path` (see loadModel); errors name the file. */
export function readModelFile(path: string): LoadedModel {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new HandgradError(`${path}: no such file`);
  }
  if (!isFile) throw new HandgradError(`${path}: not a regular file`);
  return loadModel(new Uint8Array(readFileSync(path)), path);
}
