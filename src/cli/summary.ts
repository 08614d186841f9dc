// `handgrad summary --model RUN`: the saved model's layers, one row each with its output shape
// and parameter count, the totals, and the memory of the parameters and of the activations for a
// batch (nn.formatSummary).

import type { Command } from 'commander';
import { nn } from '../index.js';
import { chooseBackend, loadModel } from './common.js';
import { addModelOption, parseNumber } from './flags.js';

interface SummaryFlags {
  model: string;
  batchSize: string;
  json?: boolean;
}

export function register(program: Command): void {
  addModelOption(program.command('summary').description('a saved model layer by layer: output shapes, parameters, memory'))
    .option('--batch-size <n>', 'the batch the activation memory is counted for', '64')
    .option('--json', 'print the summary as JSON')
    .action(async (f: SummaryFlags) => {
      const batch = parseNumber('--batch-size', f.batchSize, { min: 1, max: 1_000_000, integer: true });
      await chooseBackend('ref', undefined);
      const saved = loadModel(f.model);
      const s = saved.model.summary(saved.inputShape, batch);
      console.log(f.json ? JSON.stringify(s) : `${saved.dir}${saved.epoch !== undefined ? ` (epoch ${saved.epoch})` : ''}\n${nn.formatSummary(s)}`);
    });
}
