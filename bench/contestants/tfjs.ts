// TensorFlow.js as a benchmark anchor: the `cpu` backend (plain JS kernels) and the `wasm`
// backend (XNNPACK, SIMD; its .wasm files ship in @tensorflow/tfjs-backend-wasm/dist/ and are
// loaded from there as file paths). The network is written with tf ops on tf.variables and
// trained with the stock optimisers, one minimize() per batch (autograd), so each step does
// forward, softmax cross-entropy, backward and the SGD update, like every other contestant.

import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import type { BenchData } from '../data-node.js';
import type { WorkloadSpec } from '../workloads.js';
import { Unavailable } from './handgrad.js';

export type TfBackendKind = 'cpu' | 'wasm' | 'wasm-threads';

export async function loadTf(kind: TfBackendKind, root: string): Promise<{ tf: typeof TF; info: Record<string, unknown> }> {
  const tf = (await import('@tensorflow/tfjs')) as typeof TF;
  if (kind !== 'cpu') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/');
    tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', kind === 'wasm-threads');
    if (kind === 'wasm-threads') wasm.setThreadsCount(2);
  }
  const name = kind === 'cpu' ? 'cpu' : 'wasm';
  // setBackend resolves false (and logs why) when the backend fails to initialise; in Node 20 the
  // threaded wasm build does: Emscripten starts its pthreads from a blob: URL, which
  // worker_threads refuses (ERR_WORKER_PATH).
  const ok = await tf.setBackend(name).catch(() => false);
  if (!ok || tf.getBackend() !== name) {
    throw new Unavailable(kind === 'wasm-threads'
      ? 'tfjs wasm threaded-simd build failed to start in Node (Emscripten pthread workers from a blob: URL → ERR_WORKER_PATH)'
      : `tf.setBackend('${name}') failed`);
  }
  await tf.ready();
  const info: Record<string, unknown> = { backend: tf.getBackend(), version: tf.version.tfjs };
  if (kind !== 'cpu') {
    info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    info.threads = kind === 'wasm-threads' ? 2 : 1;
  }
  return { tf, info };
}

export class TfTrainer {
  readonly info: Record<string, unknown>;
  private readonly tf: typeof TF;
  private readonly xs: TF.Tensor[] = [];
  private readonly ys: TF.Tensor[] = [];
  private readonly vars: TF.Variable[] = [];
  private readonly opt: TF.Optimizer;
  private readonly forward: (x: TF.Tensor) => TF.Tensor;
  private cursor = 0;

  constructor(tf: typeof TF, spec: WorkloadSpec, data: BenchData, info: Record<string, unknown>) {
    this.tf = tf;
    const backendName = tf.getBackend();
    if (spec.layers.some((l) => l.type === 'conv') && !tf.getKernel('Conv2DBackpropFilter', backendName)) {
      throw new Unavailable(`tfjs ${backendName} backend has no Conv2DBackpropFilter kernel: it cannot train a convolution`);
    }
    const B = spec.batch;
    const F = data.features;
    // Images are NHWC in tfjs; with one channel the bytes are the same as NCHW.
    const image = spec.sampleShape.length === 3;
    const shape = image ? [B, spec.sampleShape[1]!, spec.sampleShape[2]!, spec.sampleShape[0]!] : [B, F];
    const batches = Math.floor(data.n / B);
    for (let i = 0; i < batches; i++) {
      this.xs.push(tf.tensor(data.x.subarray(i * B * F, (i + 1) * B * F), shape, 'float32'));
      this.ys.push(tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(data.y.subarray(i * B, (i + 1) * B), 'int32'), spec.classes), 'float32')));
    }
    // PyTorch's default init, U(−1/√fan_in, 1/√fan_in), for weights and biases.
    let seed = 11;
    const uniform = (shape: number[], fanIn: number): TF.Variable => {
      const v = tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', seed++));
      this.vars.push(v);
      return v;
    };
    const ops: ((h: TF.Tensor) => TF.Tensor)[] = [];
    for (const l of spec.layers) {
      switch (l.type) {
        case 'linear': {
          const W = uniform([l.in, l.out], l.in);
          const b = uniform([l.out], l.in);
          ops.push((h) => tf.add(tf.matMul(h as TF.Tensor2D, W as TF.Tensor2D), b));
          break;
        }
        case 'relu':
          ops.push((h) => tf.relu(h));
          break;
        case 'dropout':
          ops.push((h) => tf.dropout(h, l.p));
          break;
        case 'conv': {
          const Wc = uniform([l.k, l.k, l.in, l.out], l.in * l.k * l.k);
          const b = uniform([l.out], l.in * l.k * l.k);
          const pad = l.pad === 0 ? 'valid' : l.pad === (l.k - 1) / 2 ? 'same' : (() => { throw new Error(`tfjs: conv padding ${l.pad} for kernel ${l.k}`); })();
          ops.push((h) => tf.add(tf.conv2d(h as TF.Tensor4D, Wc as TF.Tensor4D, 1, pad), b));
          break;
        }
        case 'maxpool':
          ops.push((h) => tf.maxPool(h as TF.Tensor4D, l.k, l.k, 'valid'));
          break;
        case 'flatten':
          ops.push((h) => tf.reshape(h, [h.shape[0]!, -1]));
          break;
      }
    }
    this.forward = (x) => ops.reduce((h, op) => op(h), x);
    this.opt = spec.momentum > 0 ? tf.train.momentum(spec.lr, spec.momentum) : tf.train.sgd(spec.lr);
    this.info = { ...info, parameters: this.vars.reduce((s, v) => s + v.size, 0), batches };
  }

  step(): number {
    const i = this.cursor;
    this.cursor = i + 1 === this.xs.length ? 0 : i + 1;
    const x = this.xs[i]!;
    const y = this.ys[i]!;
    const cost = this.opt.minimize(() => this.tf.losses.softmaxCrossEntropy(y, this.forward(x)) as TF.Scalar, true, this.vars);
    const loss = cost!.dataSync()[0]!;
    cost!.dispose();
    return loss;
  }
}
