// `handgrad predict --model runs/<x> <input>`: the top classes, with their probabilities, for one
// input: a PNG image (read as grey, or RGB for a colour model, in [0, 1], the size of the
// training images) or an index into the test split of the run's data set.

import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { Tensor, shapeSize, shapeString, training } from '../index.js';
import { readPngImage } from '../node.js';
import { chooseBackend, checkCompatible, loadData, loadModel } from './common.js';
import { asFlag, UsageError } from './errors.js';
import { addBackendOptions, addDataOptions, addModelOption, parseNumber, readBackendFlags, type BackendFlags, type DataFlags } from './flags.js';

interface PredictFlags extends DataFlags, BackendFlags {
  model: string;
  top: string;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('predict')
    .description('top classes and probabilities for a PNG image or an index into the test split')
    .argument('<input>', 'a PNG file, or an integer index into the test split');
  addDataOptions(addModelOption(cmd))
    .option('--top <k>', 'how many classes to show', '3');
  addBackendOptions(cmd)
    .option('--json', 'print the result as JSON')
    .action(async (input: string, f: PredictFlags) => {
      const top = parseNumber('--top', f.top, { min: 1, integer: true });
      const { backend, threads } = readBackendFlags(f);
      await chooseBackend(backend, threads);
      const saved = loadModel(f.model);
      const { model, data: trainedOn } = saved;
      const features = shapeSize(trainedOn.sampleShape);
      let raw: Float32Array;
      let label: number | null = null;
      let what: string;
      if (/^\d+$/.test(input) && !existsSync(input)) {
        const index = Number(input);
        const data = await loadData(f.data ?? trainedOn.spec ?? trainedOn.name, f.dataDir ?? trainedOn.dataDir);
        checkCompatible(saved, data);
        if (index >= data.test.n) throw new UsageError(`<input>: index ${index} is out of range; the test split of ${data.name} has ${data.test.n} samples (0 to ${data.test.n - 1})`);
        raw = data.test.x.subarray(index * features, (index + 1) * features);
        label = data.test.y[index]!;
        what = `${data.name} test sample ${index}`;
      } else {
        if (!existsSync(input)) throw new UsageError(`<input>: no such file: ${input} (give a PNG path or a test-split index)`);
        const channels = trainedOn.sampleShape.length === 3 && trainedOn.sampleShape[0] === 3 ? 3 : 1;
        const img = asFlag('<input>', () => readPngImage(input, channels));
        if (img.size !== features) {
          throw new UsageError(`<input>: ${input} is ${img.shape[2]}×${img.shape[1]} but the model takes samples of shape ${shapeString(trainedOn.sampleShape)} (${features} pixels)`);
        }
        raw = Float32Array.from(img.data);
        what = input;
      }
      const x = Tensor.zeros([1, ...saved.inputShape]);
      training.normalizeInto(raw, 0, features, saved.normalization, x.data, 0);
      const probs = training.softmaxRow(model.forward(x), 0);
      const classes = saved.classes;
      const ranked = probs.map((p, i) => ({ class: classes[i] ?? String(i), index: i, probability: p }))
        .sort((a, b) => b.probability - a.probability).slice(0, top);
      if (f.json) {
        console.log(JSON.stringify({ input: what, ...(label !== null ? { label: classes[label], labelIndex: label } : {}), top: ranked }));
        return;
      }
      console.log(`${what}${label !== null ? ` (true class ${classes[label]})` : ''}:`);
      const width = Math.max(...ranked.map((q) => q.class.length));
      for (const r of ranked) console.log(`  ${r.class.padEnd(width)}  ${(100 * r.probability).toFixed(2).padStart(6)}%`);
    });
}
