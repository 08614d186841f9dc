// Fallback trainer for the dream experiments (H7): trains the CNN on the Debian
// Fashion-MNIST files with a minimal loop over the public API (SGD + CrossEntropyLoss) and
// writes the weights as JSON (names as namedParameters(), plus the layer config and the
// normalisation). Used only while `handgrad train --model cnn` does not exist.
// Run: npx esbuild scripts/dream-train-fashion-cnn.ts --bundle --platform=node --format=esm \
//        --outfile=/tmp/dtf.mjs && HANDGRAD_BACKEND=wasm node /tmp/dtf.mjs [outDir] [epochs]
// (HANDGRAD_BACKEND=wasm uses the WebAssembly kernels, ~9× faster than the reference ones here;
// RESUME=1 LR=0.01 continues a stopped run up to [epochs]).
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { Tensor, nn, optim, Random, initWasm } from '../src/index.js';

const dir = '/usr/share/datasets/fashion-mnist';
const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

function idx(file: string): { dims: number[]; data: Uint8Array } {
  const b = gunzipSync(readFileSync(join(dir, file)));
  const nd = b[3]!;
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(b.readUInt32BE(4 + 4 * i));
  return { dims, data: new Uint8Array(b.buffer, b.byteOffset + 4 + 4 * nd, b.length - 4 - 4 * nd) };
}

const outDir = process.argv[2] ?? 'runs/h7-fashion-cnn';
if (process.env.HANDGRAD_BACKEND === 'wasm') console.log('backend', (await initWasm({ threads: 1 })).name);
const maxBatches = Number(process.env.MAX_BATCHES ?? Infinity);
const epochs = Number(process.argv[3] ?? 6);
const trX = idx('train-images-idx3-ubyte.gz'), trY = idx('train-labels-idx1-ubyte.gz');
const teX = idx('t10k-images-idx3-ubyte.gz'), teY = idx('t10k-labels-idx1-ubyte.gz');
const nTr = trX.dims[0]!, nTe = teX.dims[0]!;
let mean = 0;
for (const v of trX.data) mean += v / 255;
mean /= trX.data.length;
let v2 = 0;
for (const v of trX.data) v2 += (v / 255 - mean) ** 2;
const std = Math.sqrt(v2 / trX.data.length);
console.log(`mean ${mean} std ${std}`);

const rng = new Random(1);
const model = new nn.Sequential(
  new nn.Conv2d(1, 8, 3, { padding: 1, rng }), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Conv2d(8, 16, 3, { padding: 1, rng }), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(), new nn.Linear(16 * 7 * 7, 64, { rng }), new nn.ReLU(), new nn.Linear(64, 10, { rng }),
);
const loss = new nn.CrossEntropyLoss();
const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
const B = 64;
const xb = Tensor.zeros([B, 1, 28, 28]);
const yb = new Int32Array(B);
const fill = (X: Uint8Array, Y: Uint8Array, idxs: ArrayLike<number>, start: number, n: number, x: Tensor, y: Int32Array) => {
  for (let i = 0; i < n; i++) {
    const s = idxs[start + i]!;
    for (let p = 0; p < 784; p++) x.data[i * 784 + p] = (X[s * 784 + p]! / 255 - mean) / std;
    y[i] = Y[s]!;
  }
};
function evaluate(): number {
  model.eval();
  const ident = Int32Array.from({ length: nTe }, (_, i) => i);
  const EB = 500;
  const x = Tensor.zeros([EB, 1, 28, 28]);
  const y = new Int32Array(EB);
  let correct = 0;
  for (let s = 0; s < nTe; s += EB) {
    fill(teX.data, teY.data, ident, s, EB, x, y);
    const z = model.forward(x);
    for (let i = 0; i < EB; i++) {
      let best = 0;
      for (let j = 1; j < 10; j++) if (z.data[i * 10 + j]! > z.data[i * 10 + best]!) best = j;
      if (best === y[i]) correct++;
    }
  }
  model.train();
  return correct / nTe;
}
mkdirSync(outDir, { recursive: true });
// RESUME=1: continue from the weights.json in outDir (epochs counts on from its epoch; LR sets the rate)
let first = 1;
if (process.env.RESUME === '1') {
  const w = JSON.parse(readFileSync(join(outDir, 'weights.json'), 'utf8')) as { epoch: number; params: Record<string, { data: number[] }> };
  for (const [name, p] of model.namedParameters()) p.value.data.set(w.params[name]!.data);
  first = w.epoch + 1;
  for (let e = 1; e < first; e++) rng.permutation(nTr); // a different shuffle than the first run's epochs
  opt.lr = Number(process.env.LR ?? 0.01);
  console.log(`resumed at epoch ${first} with lr ${opt.lr}`);
}
for (let e = first; e <= epochs; e++) {
  const t0 = Date.now();
  const perm = rng.permutation(nTr);
  let tl = 0, nb = 0;
  if (e === epochs && epochs > 2 && first === 1) opt.lr = 0.01;
  for (let s = 0; s + B <= nTr && nb < maxBatches; s += B) {
    fill(trX.data, trY.data, perm, s, B, xb, yb);
    const l = loss.forward(model.forward(xb), yb);
    opt.zeroGrad();
    model.backward(loss.backward());
    opt.step();
    tl += l; nb++;
  }
  if (nb < (nTr / B) - 1) { console.log(`${nb} batches in ${((Date.now() - t0) / 1000).toFixed(1)} s, loss ${(tl / nb).toFixed(4)}`); process.exit(0); }
  const acc = evaluate();
  console.log(`epoch ${e} train loss ${(tl / nb).toFixed(4)} test acc ${(acc * 100).toFixed(2)}% (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  const params: Record<string, { shape: number[]; data: number[] }> = {};
  for (const [name, p] of model.namedParameters()) params[name] = { shape: [...p.value.shape], data: Array.from(p.value.data) };
  const tmp = join(outDir, 'weights.json.tmp');
  writeFileSync(tmp, JSON.stringify({ model: model.config(), classes: CLASSES, sampleShape: [1, 28, 28], normalize: { mean: [mean], std: [std] }, epoch: e, testAccuracy: acc, params }));
  renameSync(tmp, join(outDir, 'weights.json'));
}
