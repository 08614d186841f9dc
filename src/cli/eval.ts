// `handgrad eval --model runs/<x>`: test loss and accuracy of a saved model on its run's data set
// (or on --data), in eval mode, with the normalisation it was trained with.

import type { Command } from 'commander';
import { training } from '../index.js';
import { chooseBackend, checkCompatible, loadData, loadModel } from './common.js';
import { addBackendOptions, addDataOptions, addModelOption, parseChoice, readBackendFlags, type BackendFlags, type DataFlags } from './flags.js';

interface EvalFlags extends DataFlags, BackendFlags {
  model: string;
  split: string;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description("loss and accuracy of a saved model on its data set's test split (or --data)");
  addDataOptions(addModelOption(cmd))
    .option('--split <which>', 'test or train', 'test');
  addBackendOptions(cmd)
    .option('--json', 'print the result as JSON')
    .action(async (f: EvalFlags) => {
      const split = parseChoice('--split', f.split, ['test', 'train'] as const);
      const { backend, threads } = readBackendFlags(f);
      await chooseBackend(backend, threads);
      const saved = loadModel(f.model);
      const data = await loadData(f.data ?? saved.data.spec ?? saved.data.name, f.dataDir ?? saved.data.dataDir);
      checkCompatible(saved, data);
      const r = training.evaluateModel(saved.model, data[split], saved.inputShape, saved.normalization);
      if (f.json) {
        console.log(JSON.stringify({ model: saved.dir, epoch: saved.epoch ?? null, data: data.name, split, samples: r.n, loss: r.loss, accuracy: r.accuracy }));
      } else {
        console.log(`${saved.dir} (epoch ${saved.epoch ?? '?'}) on ${data.name} ${split} (${r.n} samples): loss ${r.loss.toFixed(4)}, accuracy ${(100 * r.accuracy).toFixed(2)}%`);
      }
    });
}
