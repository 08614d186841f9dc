// Turns the weights.json written by scripts/dream-train-fashion-cnn.ts into a handgrad run
// directory (config.json + model.safetensors, the format of src/train/run-node.ts) so that
// `handgrad dream/eval/predict --model <dir>` load it like any run.
// Run: npx esbuild scripts/dream-export-run.ts --bundle --platform=node --format=esm \
//        --outfile=/tmp/der.mjs && node /tmp/der.mjs runs/h7-fashion-cnn
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { layerFromConfig, type LayerConfig } from '../src/nn.js';
import { writeFileAtomic } from '../src/io/atomic-node.js';
import { weightsToSafetensors } from '../src/train/checkpoint.js';
import { DEFAULT_CONFIG } from '../src/train/config.js';

const dir = process.argv[2] ?? 'runs/h7-fashion-cnn';
const w = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8')) as {
  model: LayerConfig; classes: string[]; sampleShape: number[]; normalize: { mean: number[]; std: number[] };
  epoch: number; testAccuracy: number; params: Record<string, { shape: number[]; data: number[] }>;
};
const model = layerFromConfig(w.model);
for (const [name, p] of model.namedParameters()) {
  const src = w.params[name];
  if (!src || src.data.length !== p.value.size) throw new Error(`weights.json: parameter ${name} missing or of the wrong size`);
  p.value.data.set(src.data);
}
writeFileAtomic(join(dir, 'model.safetensors'), weightsToSafetensors(model, { epoch: w.epoch, model: w.model }));
const config = {
  handgrad: 'scripts/dream-train-fashion-cnn.ts (SGD lr 0.05 momentum 0.9, batch 64; lr 0.01 in the last epoch)',
  created: new Date().toISOString(),
  config: { ...DEFAULT_CONFIG, model: { kind: 'cnn' }, data: 'fashion-mnist', lr: 0.05, momentum: 0.9, batchSize: 64, epochs: w.epoch, seed: 1, normalize: 'global' },
  model: w.model,
  normalization: { mode: 'global', mean: w.normalize.mean, std: w.normalize.std },
  data: {
    name: 'fashion-mnist', spec: 'fashion-mnist', sampleShape: w.sampleShape, classes: w.classes, trainSize: 60000, testSize: 10000,
    source: { dir: '/usr/share/datasets/fashion-mnist', testAccuracy: w.testAccuracy },
  },
};
writeFileAtomic(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
console.log(`${dir}: config.json and model.safetensors of epoch ${w.epoch} (test accuracy ${(100 * w.testAccuracy).toFixed(2)}%)`);
