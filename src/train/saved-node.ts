// A saved model (Node only): a run directory's model.safetensors, or a model bundle file on its
// own (bundle.ts), rebuilt through the layer registry with the normalisation, class names and
// data set it carries.

import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HandgradError } from '../tensor.js';
import type { LoadedModel } from './bundle.js';
import { readModelFile } from './bundle-node.js';
import { MODEL_FILE } from './run-node.js';

/** A trained model read from a run directory or a bundle file, with where it came from. */
export interface SavedModel extends LoadedModel {
  /** The run directory, or the folder of a bundle given alone. */
  dir: string;
  /** The bundle file read. */
  file: string;
}

/**
 * Loads `path`: a run directory (its model.safetensors) or a model bundle file. The model is
 * in eval mode. Errors are HandgradErrors that name the path.
 */
export function loadSavedModel(path: string): SavedModel {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    throw new HandgradError(`no such run directory or file: ${path}`);
  }
  if (isDirectory) {
    const file = join(path, MODEL_FILE);
    let exists = true;
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      exists = false;
    }
    if (!exists) throw new HandgradError(`${path} is not a handgrad run directory: ${file} does not exist`);
    if (!isFile) throw new HandgradError(`${file} is not a regular file (a FIFO, a device or a folder); a run's model is a safetensors file`);
    return { ...readModelFile(file), dir: path, file };
  }
  return { ...readModelFile(path), dir: dirname(path), file: path };
}
