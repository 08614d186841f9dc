// Where a training step of the bench CNN spends its time: each layer's forward and backward
// timed on its own (the same batch of 64 Fashion-MNIST-shaped inputs, the layers of
// bench/workloads.ts), on the wasm backend with 1 and 2 threads, and the optimiser step.
// For each (layer, pass) it prints the median wall time of a call, its CPU time (all threads of
// the process), CPU/wall (≈ the threads kept busy; spinning workers count) and, threaded, the
// share of the pool's blocks the workers took (load-independent evidence that the pass is
// shared). A ReLU before a MaxPool2d also gets rows for the pair as one step, as a Sequential
// runs it (the whole step runs it so). Threads are interleaved round by round so a change of load
// hits both alike. Run:
//   npx esbuild bench/cnn-layers.ts --bundle --platform=node --format=esm --outfile=/tmp/cnn.mjs && node /tmp/cnn.mjs [--rounds 7]

import { backend, initWasm, wasmRuntime } from '../src/backend.js';
import { Tensor } from '../src/tensor.js';
import { Random } from '../src/random.js';
import * as nn from '../src/nn.js';
import { SGD } from '../src/optim/sgd.js';

const BATCH = 64;
const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const rounds = Number(opt('--rounds', '7'));
const threadList = opt('--threads', '1,2').split(',').map(Number);

function buildNet(rng: Random): nn.Module[] {
  return [
    new nn.Conv2d(1, 8, 3, { padding: 1, rng }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1, rng }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(784, 64, { rng }), new nn.ReLU(),
    new nn.Linear(64, 10, { rng }),
  ];
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Row {
  name: string;
  wall: number[];
  cpu: number[];
  /** Blocks of threaded jobs taken by the caller and by the workers. */
  blocks: [number, number];
}

/** Blocks the calling thread and the workers have taken so far. */
function blocks(): [number, number] {
  const r = wasmRuntime()?.regionsByThread() ?? [0];
  return [r[0] ?? 0, r.slice(1).reduce((a, b) => a + b, 0)];
}

/** One set of layers on the selected backend: timed closures per (layer, pass). */
function setup(): { names: string[]; calls: (() => void)[]; step: () => void } {
  const rng = new Random(1);
  const layers = buildNet(rng);
  layers[0]!.computeInputGradient = false;
  const model = new nn.Sequential(...layers);
  const params = model.parameters();
  const opt = new SGD(params, { lr: 0.01 });
  const loss = new nn.CrossEntropyLoss();
  const x = new Tensor(backend().allocate('float32', BATCH * 784) as Float32Array, [BATCH, 1, 28, 28]);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.uniform() < 0.5 ? 0 : rng.uniform();
  const labels = Array.from({ length: BATCH }, (_, i) => i % 10);
  // one full step so every layer has its caches and buffers
  const ins: Tensor[] = [];
  let h = x;
  for (const l of layers) {
    ins.push(h);
    h = l.forward(h);
  }
  loss.forward(h, labels);
  const grads: Tensor[] = new Array<Tensor>(layers.length);
  let g = loss.backward();
  for (let i = layers.length - 1; i >= 0; i--) {
    grads[i] = g;
    g = layers[i]!.backward(g);
  }
  const names: string[] = [];
  const calls: (() => void)[] = [];
  layers.forEach((l, i) => {
    const label = `${i} ${l.describe().replace(/\(.*/, '')}${l instanceof nn.Conv2d ? ` ${l.inChannels}→${l.outChannels}` : ''}`;
    names.push(`${label} fwd`);
    calls.push(() => void l.forward(ins[i]!));
    names.push(`${label} bwd`);
    calls.push(() => {
      l.forward(ins[i]!);
      l.backward(grads[i]!);
    });
    // a ReLU before a MaxPool2d: the pair as the Sequential runs it (the pool's forwardAfterReLU)
    const pool = layers[i + 1];
    if (l instanceof nn.ReLU && pool instanceof nn.MaxPool2d) {
      names.push(`${i}+${i + 1} ReLU→MaxPool2d step fwd`);
      calls.push(() => void pool.forwardAfterReLU(ins[i]!));
      names.push(`${i}+${i + 1} ReLU→MaxPool2d step bwd`);
      calls.push(() => {
        pool.forwardAfterReLU(ins[i]!);
        pool.backward(grads[i + 1]!);
      });
    }
  });
  names.push('loss fwd+bwd');
  calls.push(() => {
    loss.forward(h, labels);
    loss.backward();
  });
  names.push('SGD step + zeroGrad');
  calls.push(() => {
    opt.step();
    opt.zeroGrad();
  });
  const step = (): void => {
    opt.zeroGrad();
    const logits = model.forward(x);
    loss.forward(logits, labels);
    model.backward(loss.backward());
    opt.step();
  };
  names.push('whole step');
  calls.push(step);
  return { names, calls, step };
}

function time(f: () => void): { wall: number; cpu: number } {
  // ≈ 30 ms of calls: enough to average over a time slice, short enough to interleave
  let n = 0;
  const c0 = cpuNow();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < 30 || n < 3) {
    f();
    n++;
    t = performance.now();
  }
  return { wall: ((t - t0) / n) * 1000, cpu: ((cpuNow() - c0) / n) * 1000 };
}

async function main(): Promise<void> {
  const sets = new Map<number, ReturnType<typeof setup>>();
  for (const T of threadList) {
    await initWasm({ threads: T });
    sets.set(T, setup());
  }
  const rows = new Map<string, Row>();
  for (let r = 0; r < rounds; r++) {
    for (const T of r % 2 ? [...threadList].reverse() : threadList) {
      await initWasm({ threads: T });
      const s = sets.get(T)!;
      s.names.forEach((name, i) => {
        if (r === 0) time(s.calls[i]!); // warm-up
        const key = `${name}|${T}`;
        const row = rows.get(key) ?? { name, wall: [], cpu: [], blocks: [0, 0] };
        const b0 = blocks();
        const m = time(s.calls[i]!);
        const b1 = blocks();
        row.wall.push(m.wall);
        row.cpu.push(m.cpu);
        row.blocks[0] += b1[0] - b0[0];
        row.blocks[1] += b1[1] - b0[1];
        rows.set(key, row);
      });
    }
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`bench CNN, batch ${BATCH}, ${backend().describe()}; median of ${rounds} interleaved rounds (µs per call; a layer's bwd row is its backward alone: the timed fwd+bwd less the fwd)`);
  const head = threadList.flatMap((T) => [`${T}t wall µs`, `${T}t CPU µs`, `${T}t CPU/wall`, ...(T > 1 ? [`${T}t workers' blocks`] : [])]);
  console.log(`| layer, pass | ${head.join(' | ')} |`);
  console.log(`|---|${head.map(() => '---:').join('|')}|`);
  const names = sets.get(threadList[0]!)!.names;
  for (const name of names) {
    const cells = threadList.flatMap((T) => {
      const row = rows.get(`${name}|${T}`)!;
      let w = med(row.wall), c = med(row.cpu);
      if (name.endsWith(' bwd')) {
        const f = rows.get(`${name.replace(/ bwd$/, ' fwd')}|${T}`)!;
        w -= med(f.wall);
        c -= med(f.cpu);
      }
      // (a bwd row's blocks include its forward's)
      const [own, workers] = row.blocks;
      const share = own + workers > 0 ? `${Math.round((100 * workers) / (own + workers))} %` : '–';
      return [w.toFixed(0), c.toFixed(0), (c / w).toFixed(2), ...(T > 1 ? [share] : [])];
    });
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
  for (const T of threadList) {
    const w = med(rows.get(`whole step|${T}`)!.wall);
    console.log(`${T} thread(s): ${((BATCH / w) * 1e6).toFixed(0)} samples/s (whole step)`);
  }
  process.exit(0);
}

void main();
