// Shared by the dream tests: real Fashion-MNIST samples from Debian's files, and a tiny CNN
// trained on them in a few seconds with a minimal loop over the public API.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { nn, optim, Random, Tensor } from '../../src/index.js';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The first n images (pixels in [0, 1]) and labels of a Fashion-MNIST split. */
export function fashion(split: 'train' | 't10k', n: number): { x: Float32Array; y: Int32Array } {
  const img = gunzipSync(readFileSync(`${FASHION_DIR}/${split}-images-idx3-ubyte.gz`));
  const lab = gunzipSync(readFileSync(`${FASHION_DIR}/${split}-labels-idx1-ubyte.gz`));
  if (img.readUInt32BE(0) !== 2051 || lab.readUInt32BE(0) !== 2049) throw new Error('not IDX files');
  const x = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) x[i] = img[16 + i]! / 255;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = lab[8 + i]!;
  return { x, y };
}

export const MEAN = 0.286;
export const STD = 0.353;

/** Images (n, 28·28) averaged 2×2 down to (n, 14·14), so the tiny model trains in seconds. */
export function halve(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * 196);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < 14; y++) {
      for (let xx = 0; xx < 14; xx++) {
        const at = (dy: number, dx: number): number => x[i * 784 + (2 * y + dy) * 28 + 2 * xx + dx]!;
        out[i * 196 + y * 14 + xx] = (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4;
      }
    }
  }
  return out;
}

/**
 * A tiny CNN (conv 1→4, ReLU, pool, conv 4→8, ReLU, pool, flatten, linear → 10) on Fashion-MNIST
 * halved to 14×14, trained on 2000 images for 3 epochs.
 */
export function tinyTrainedCnn(seed = 3): { net: nn.Sequential; testAccuracy: number } {
  const rng = new Random(seed);
  const net = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1, rng }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(4, 8, 3, { padding: 1, rng }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(8 * 3 * 3, 10, { rng }),
  );
  const N = 2000;
  const full = fashion('train', N);
  const x = halve(full.x, N);
  const y = full.y;
  for (let i = 0; i < x.length; i++) x[i] = (x[i]! - MEAN) / STD;
  const loss = new nn.CrossEntropyLoss();
  const opt = new optim.SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
  const B = 50;
  const xb = Tensor.zeros([B, 1, 14, 14]);
  const yb = new Int32Array(B);
  for (let epoch = 0; epoch < 3; epoch++) {
    const perm = rng.permutation(N);
    for (let s = 0; s < N; s += B) {
      for (let i = 0; i < B; i++) {
        xb.data.set(x.subarray(perm[s + i]! * 196, (perm[s + i]! + 1) * 196), i * 196);
        yb[i] = y[perm[s + i]!]!;
      }
      loss.forward(net.forward(xb), yb);
      opt.zeroGrad();
      net.backward(loss.backward());
      opt.step();
    }
  }
  const te = fashion('t10k', 1000);
  const tx = halve(te.x, 1000);
  for (let i = 0; i < tx.length; i++) tx[i] = (tx[i]! - MEAN) / STD;
  net.eval();
  const z = net.forward(new Tensor(tx, [1000, 1, 14, 14]));
  let correct = 0;
  for (let i = 0; i < 1000; i++) {
    let b = 0;
    for (let j = 1; j < 10; j++) if (z.data[i * 10 + j]! > z.data[i * 10 + b]!) b = j;
    if (b === te.y[i]) correct++;
  }
  net.train();
  return { net, testAccuracy: correct / 1000 };
}
