// A saved model (Node only): a run directory's config.json + model.safetensors, rebuilt through
// the layer registry, with the normalisation it was trained with.

import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { LayerConfig, Module } from '../layers/module.js';
import { HandgradError } from '../tensor.js';
import { readWeightsFile, WEIGHTS_FILE } from './checkpoint-node.js';
import { buildFromConfig, modelInputShape } from './config.js';
import { checkNormalization } from './loader.js';
import { loadWeights } from './loop.js';
import { readRunConfig, type RunConfigFile } from './run-node.js';

export interface SavedModel {
  dir: string;
  model: Module;
  /** The shape of one sample as the model takes it. */
  inputShape: number[];
  run: RunConfigFile;
  epoch: number | null;
}

/** Loads `path`: a run directory, or the model.safetensors inside one. The model is in eval mode. */
export function loadSavedModel(path: string): SavedModel {
  if (!existsSync(path)) throw new HandgradError(`no such run directory or file: ${path}`);
  const dir = statSync(path).isDirectory() ? path : dirname(path);
  const weightsPath = statSync(path).isDirectory() ? join(path, WEIGHTS_FILE) : path;
  if (!statSync(path).isDirectory() && !basename(path).endsWith('.safetensors')) {
    throw new HandgradError(`expected a run directory or a .safetensors file, got ${path}`);
  }
  const run = readRunConfig(dir);
  const w = readWeightsFile(weightsPath);
  const config: LayerConfig = run.model;
  const model = buildFromConfig(config);
  loadWeights(model, w.weights, weightsPath);
  const features = run.data.sampleShape.reduce((a, b) => a * b, 1);
  checkNormalization(run.normalization, features, join(dir, 'config.json'));
  model.eval();
  return { dir, model, inputShape: modelInputShape(config, run.data.sampleShape), run, epoch: w.epoch };
}
