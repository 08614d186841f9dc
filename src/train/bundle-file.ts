// The model bundle's one-call file functions for the public API. They run in Node (the file
// system is reached through a dynamic import of bundle-node.ts, so a browser build never loads
// it); in a browser, saveModel / loadModel work on bytes that the page downloads or reads.

import type { Module } from '../layers/module.js';
import { HandgradError } from '../tensor.js';
import type { LoadedModel, ModelInfo } from './bundle.js';

function inNode(what: string): void {
  const host = globalThis as { process?: { versions?: { node?: string } } };
  if (host.process?.versions?.node === undefined) {
    throw new HandgradError(`${what} needs Node's file system; in a browser, use saveModel / loadModel on the file's bytes`);
  }
}

/**
 * Saves a trained model with its normalisation, class names and data set as one safetensors
 * file (Node). The file is written atomically: a crash leaves the old file or the new one.
 *
 * @example
 *   await saveModelFile('digits.safetensors', model, { normalization, classes, data: { name: 'mnist', sampleShape: [1, 28, 28] } });
 */
export async function saveModelFile(path: string, model: Module, info: ModelInfo): Promise<void> {
  inNode('saveModelFile');
  const { writeModelFile } = await import('./bundle-node.js');
  writeModelFile(path, model, info);
}

/**
 * Loads a model bundle (from saveModelFile, the playground's export, or `handgrad train`'s
 * model.safetensors) as a model in eval mode with what it needs (Node).
 *
 * @example
 *   const { model, normalization, classes, inputShape } = await loadModelFile('runs/mnist/model.safetensors');
 */
export async function loadModelFile(path: string): Promise<LoadedModel> {
  inNode('loadModelFile');
  const { readModelFile } = await import('./bundle-node.js');
  return readModelFile(path);
}
