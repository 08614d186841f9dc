// Training steps per CPU-second on the reference and the wasm backend (one thread), for the
// issue's MLP workloads: forward, cross-entropy, backward, SGD. Inputs are allocated by the
// backend (as a data loader writing into backend memory would). Not part of the test suite. Run:
//   npx esbuild bench/wasm-step.ts --bundle --platform=node --format=esm --outfile=/tmp/ws.mjs && node /tmp/ws.mjs
// CPU time (process.cpuUsage) rather than wall time, so other processes on a busy machine do
// not count; only meaningful on one thread.

import { backend, initWasm, setBackend } from '../src/backend.js';
import { Tensor } from '../src/tensor.js';
import { Random } from '../src/random.js';
import * as nn from '../src/nn.js';
import { SGD } from '../src/optim/sgd.js';

const WORKLOADS = [
  { name: 'W1 784-60-10 SGD', sizes: [784, 60, 10], dropout: 0, momentum: 0 },
  { name: 'W2 784-150-150-10 mom 0.4 dropout 0.2', sizes: [784, 150, 150, 10], dropout: 0.2, momentum: 0.4 },
  { name: 'W3 11025-150-12 SGD', sizes: [11025, 150, 12], dropout: 0, momentum: 0 },
];
const BATCH = 64;

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function samplesPerCpuSecond(w: (typeof WORKLOADS)[number]): number {
  const rng = new Random(1);
  const hidden = w.sizes.slice(1, -1);
  const model = nn.mlp(w.sizes[0]!, hidden, w.sizes.at(-1)!, { dropout: w.dropout, rng });
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: w.momentum });
  const loss = new nn.CrossEntropyLoss();
  const x = new Tensor(backend().allocate('float32', BATCH * w.sizes[0]!) as Float32Array, [BATCH, w.sizes[0]!]);
  rng.fillNormal(x.data);
  const labels = Array.from({ length: BATCH }, (_, i) => i % w.sizes.at(-1)!);
  const step = (): void => {
    const logits = model.forward(x);
    model.zeroGrad();
    loss.forward(logits, labels);
    model.backward(loss.backward());
    opt.step();
  };
  const flopsPerStep = 6 * BATCH * w.sizes.slice(1).reduce((a, s, i) => a + s * w.sizes[i]!, 0);
  const steps = Math.max(5, Math.round(3e9 / flopsPerStep));
  for (let i = 0; i < Math.ceil(steps / 5); i++) step();
  const results: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = cpuSeconds();
    for (let i = 0; i < steps; i++) step();
    results.push((steps * BATCH) / (cpuSeconds() - t));
  }
  return results.sort((a, b) => a - b)[1]!;
}

async function main(): Promise<void> {
  await initWasm({ threads: 1, select: false });
  console.log('| workload | ref samples/CPU-s | wasm samples/CPU-s | ratio |');
  console.log('|---|---:|---:|---:|');
  for (const w of WORKLOADS) {
    setBackend('ref');
    const ref = samplesPerCpuSecond(w);
    setBackend('wasm');
    const wasm = samplesPerCpuSecond(w);
    console.log(`| ${w.name} | ${ref.toFixed(0)} | ${wasm.toFixed(0)} | ${(wasm / ref).toFixed(1)}× |`);
  }
}

void main();
