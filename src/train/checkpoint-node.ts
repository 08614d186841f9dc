// Checkpoint files in a run directory (Node only), each written atomically: the weights first,
// then checkpoint.json. A crash between the two leaves a pair whose epochs differ, which
// readCheckpoint reports.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-node.js';
import { readRegularFile } from '../io/read-node.js';
import { checkFinite } from '../io/safetensors.js';
import { HandgradError, type Tensor } from '../tensor.js';
import { stateFromJson, stateToJson, weightsFromSafetensors, weightsToSafetensors } from './checkpoint.js';
import type { TrainingSession, TrainState } from './loop.js';

export const WEIGHTS_FILE = 'model.safetensors';
export const CHECKPOINT_FILE = 'checkpoint.json';

export function writeCheckpoint(dir: string, session: TrainingSession): void {
  const state = session.state();
  writeFileAtomic(join(dir, WEIGHTS_FILE), weightsToSafetensors(session.model, { epoch: state.epoch, model: state.model }));
  writeFileAtomic(join(dir, CHECKPOINT_FILE), stateToJson(state));
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_FILE)) && existsSync(join(dir, WEIGHTS_FILE));
}

export function readCheckpoint(dir: string): { state: TrainState; weights: Map<string, Tensor> } {
  const cpPath = join(dir, CHECKPOINT_FILE);
  const wPath = join(dir, WEIGHTS_FILE);
  for (const p of [cpPath, wPath]) if (!existsSync(p)) throw new HandgradError(`no checkpoint to resume: ${p} does not exist`);
  const state = stateFromJson(readFileSync(cpPath, 'utf8'), cpPath);
  const w = weightsFromSafetensors(new Uint8Array(readFileSync(wPath)), wPath);
  if (w.epoch !== null && w.epoch !== state.epoch) {
    throw new HandgradError(`${wPath} holds the weights of epoch ${w.epoch} but ${cpPath} is from epoch ${state.epoch}: the run stopped while writing a checkpoint; start it again without --resume`);
  }
  return { state, weights: w.weights };
}

/**
 * Reads a saved model's weights (model.safetensors of a run directory, or a .safetensors file):
 * a regular file only, and weights that are all finite.
 */
export function readWeightsFile(path: string): ReturnType<typeof weightsFromSafetensors> {
  if (!existsSync(path)) throw new HandgradError(`no such file: ${path}`);
  const w = weightsFromSafetensors(readRegularFile(path), path);
  checkFinite(w.weights, path);
  return w;
}
