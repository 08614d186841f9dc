// `handgrad predict --model runs/<x> <input>`: the top classes, with their probabilities, for one
// input: a PNG image (converted to grayscale in [0, 1], same size as the training images) or an
// index into the test split of the run's data set.

import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { decodePng } from '../io/png-node.js';
import { readRegularFile } from '../io/read-node.js';
import { HandgradError, Tensor, shapeSize, shapeString } from '../tensor.js';
import { normalizeInto } from '../train/loader.js';
import { softmaxRow } from '../train/evaluate.js';
import { chooseBackend, loadData, parseNumber, BACKEND_HELP, parseBackend } from './common.js';
import { checkCompatible, loadModelOrUsage } from './eval.js';
import { UsageError } from './main.js';

interface PredictFlags {
  model: string;
  data?: string;
  dataDir?: string;
  top: string;
  backend: string;
  json?: boolean;
}

/** Grayscale in [0, 1] of a PNG: luminance 0.299 R + 0.587 G + 0.114 B, composited on black by alpha. */
export function readPngGray(path: string): { pixels: Float32Array; width: number; height: number } {
  let png: { width: number; height: number; data: Uint8Array };
  try {
    // a regular file, its size checked from its header before decoding
    png = decodePng(readRegularFile(path), path);
  } catch (e) {
    throw new UsageError(e instanceof HandgradError ? e.message : `${path}: not a readable PNG (${(e as Error).message})`);
  }
  const { width, height, data } = png;
  const pixels = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const a = data[4 * i + 3]! / 255;
    pixels[i] = (a * (0.299 * data[4 * i]! + 0.587 * data[4 * i + 1]! + 0.114 * data[4 * i + 2]!)) / 255;
  }
  return { pixels, width, height };
}

export function register(program: Command): void {
  program
    .command('predict')
    .description('top classes and probabilities for a PNG image or an index into the test split')
    .requiredOption('--model <dir|file>', 'a run directory (runs/<name>) or a model bundle (.safetensors)')
    .argument('<input>', 'a PNG file, or an integer index into the test split')
    .option('--data <name|path>', "data set for an index (default: the run's own)")
    .option('--data-dir <dir>', 'where to look for data files')
    .option('--top <k>', 'how many classes to show', '3')
    .option('--backend <name>', BACKEND_HELP, 'auto')
    .option('--json', 'print the result as JSON')
    .action(async (input: string, f: PredictFlags) => {
      await chooseBackend(parseBackend(f.backend));
      const saved = loadModelOrUsage(f.model);
      const { model } = saved;
      const sampleShape = saved.data.sampleShape;
      const features = shapeSize(sampleShape);
      const top = parseNumber('--top', f.top, { min: 1, integer: true });
      let raw: Float32Array;
      let label: number | null = null;
      let what: string;
      if (/^\d+$/.test(input) && !existsSync(input)) {
        const index = Number(input);
        const data = await loadData(f.data ?? saved.data.spec ?? saved.data.name, f.dataDir ?? saved.data.dataDir);
        checkCompatible(saved, data);
        if (index >= data.test.n) throw new UsageError(`<input>: index ${index} is out of range; the test split of ${data.name} has ${data.test.n} samples (0 to ${data.test.n - 1})`);
        raw = data.test.x.subarray(index * features, (index + 1) * features);
        label = data.test.y[index]!;
        what = `${data.name} test sample ${index}`;
      } else {
        if (!existsSync(input)) throw new UsageError(`<input>: no such file: ${input} (give a PNG path or a test-split index)`);
        const img = readPngGray(input);
        if (img.width * img.height !== features) {
          throw new UsageError(`${input}: the image is ${img.width}×${img.height} but the model takes samples of shape ${shapeString(sampleShape)} (${features} pixels)`);
        }
        raw = img.pixels;
        what = input;
      }
      const x = Tensor.zeros([1, ...saved.inputShape]);
      normalizeInto(raw, 0, features, saved.normalization, x.data, 0);
      const probs = softmaxRow(model.forward(x), 0);
      const classes = saved.classes;
      const ranked = probs.map((p, i) => ({ class: classes[i] ?? String(i), index: i, probability: p }))
        .sort((a, b) => b.probability - a.probability).slice(0, top);
      if (f.json) {
        console.log(JSON.stringify({ input: what, ...(label !== null ? { label: classes[label], labelIndex: label } : {}), top: ranked }));
        return;
      }
      console.log(`${what}${label !== null ? ` (true class ${classes[label]})` : ''}:`);
      for (const r of ranked) console.log(`  ${r.class.padEnd(Math.max(...ranked.map((q) => q.class.length)))}  ${(100 * r.probability).toFixed(2).padStart(6)}%`);
    });
}
