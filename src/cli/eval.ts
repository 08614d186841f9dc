// `handgrad eval --model runs/<x>`: test loss and accuracy of a saved model on its run's data set
// (or on --data), in eval mode, with the normalisation it was trained with.

import type { Command } from 'commander';
import type { Dataset } from '../data/types.js';
import { HandgradError, shapeString } from '../tensor.js';
import { evaluateModel } from '../train/evaluate.js';
import { loadSavedModel, type SavedModel } from '../train/saved-node.js';
import { chooseBackend, loadData, parseChoice, BACKEND_HELP, parseBackend } from './common.js';
import { UsageError } from './main.js';

interface EvalFlags {
  model: string;
  data?: string;
  dataDir?: string;
  split: string;
  backend: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('eval')
    .description("loss and accuracy of a saved model on its data set's test split (or --data)")
    .requiredOption('--model <dir|file>', 'a run directory (runs/<name>) or a model bundle (.safetensors)')
    .option('--data <name|path>', "data set (default: the run's own)")
    .option('--data-dir <dir>', 'where to look for data files')
    .option('--split <which>', 'test or train', 'test')
    .option('--backend <name>', BACKEND_HELP, 'auto')
    .option('--json', 'print the result as JSON')
    .action(async (f: EvalFlags) => {
      const split = parseChoice('--split', f.split, ['test', 'train'] as const);
      await chooseBackend(parseBackend(f.backend));
      const saved = loadModelOrUsage(f.model);
      const data = await loadData(f.data ?? saved.data.spec ?? saved.data.name, f.dataDir ?? saved.data.dataDir);
      checkCompatible(saved, data);
      const r = evaluateModel(saved.model, data[split], saved.inputShape, saved.normalization);
      if (f.json) {
        console.log(JSON.stringify({ model: saved.dir, epoch: saved.epoch ?? null, data: data.name, split, samples: r.n, loss: r.loss, accuracy: r.accuracy }));
      } else {
        console.log(`${saved.dir} (epoch ${saved.epoch ?? '?'}) on ${data.name} ${split} (${r.n} samples): loss ${r.loss.toFixed(4)}, accuracy ${(100 * r.accuracy).toFixed(2)}%`);
      }
    });
}

export function loadModelOrUsage(path: string): SavedModel {
  try {
    return loadSavedModel(path);
  } catch (e) {
    if (e instanceof HandgradError) throw new UsageError(`--model: ${e.message}`);
    throw e;
  }
}

/** The data must have the sample shape and the number of classes the model was trained on. */
export function checkCompatible(saved: SavedModel, data: Dataset): void {
  const want = saved.data.sampleShape;
  const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  if (size(want) !== size(data.sampleShape)) {
    throw new UsageError(`--data: ${data.name} has samples of shape ${shapeString(data.sampleShape)} but the model was trained on ${shapeString(want)}`);
  }
  if (data.classes.length !== saved.classes.length) {
    throw new UsageError(`--data: ${data.name} has ${data.classes.length} classes but the model was trained on ${saved.classes.length}`);
  }
}
