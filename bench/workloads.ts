// The benchmark's workloads and GEMM shapes, described once as plain JSON so that every
// contestant — handgrad, TensorFlow.js, and the Python children (numpy, PyTorch) — builds the
// same network from the same description (it is passed to each child on its command line).

/** One layer of a workload's network, in PyTorch's layout (NCHW images, Linear weight [out, in]). */
export type LayerSpec =
  | { type: 'linear'; in: number; out: number }
  | { type: 'relu' }
  | { type: 'dropout'; p: number }
  | { type: 'conv'; in: number; out: number; k: number; pad: number }
  | { type: 'maxpool'; k: number }
  | { type: 'flatten' };

export type DataSpec =
  /** Real Fashion-MNIST training images (pixels / 255), labels 0..9. */
  | { kind: 'idx'; images: string; labels: string }
  /** Uniform [0, 1) features and uniform labels, seeded (the shape of Omniglot-12). */
  | { kind: 'synthetic'; n: number; features: number; classes: number; seed: number }
  /**
   * Real Omniglot-small drawings from the zips in `dir` (bench/omniglot-node.ts). The runner turns
   * this into 'npy' arrays before it starts the contestants, so that every one reads the same numbers.
   */
  | { kind: 'omniglot'; dir: string }
  /** Arrays in .npy files: x float32 [n, features], y int32 [n]. */
  | { kind: 'npy'; x: string; y: string; n: number; features: number; classes: number; source: string };

export interface WorkloadSpec {
  id: WorkloadId;
  title: string;
  /** Shape of one sample: [784] for vectors, [1, 28, 28] for images. */
  sampleShape: number[];
  classes: number;
  layers: LayerSpec[];
  batch: number;
  lr: number;
  momentum: number;
  data: DataSpec;
  /** Floating-point operations per training sample (see flopsPerSample). */
  flopsPerSample: number;
  flopsNote: string;
}

export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W3r' | 'CNN';
export const WORKLOAD_IDS: readonly WorkloadId[] = ['W1', 'W2', 'W3', 'W3r', 'CNN'];

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

function mlpLayers(sizes: number[], dropout: number): LayerSpec[] {
  const layers: LayerSpec[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push({ type: 'linear', in: sizes[i]!, out: sizes[i + 1]! });
    if (i + 2 < sizes.length) {
      layers.push({ type: 'relu' });
      if (dropout > 0) layers.push({ type: 'dropout', p: dropout });
    }
  }
  return layers;
}

/**
 * Multiply-adds of the GEMM-shaped layers (linear, conv) for one sample, following the shapes
 * through the network. A training step costs 2·MAC forward, 2·MAC for dW and 2·MAC for dX:
 * 6·MAC per sample — for an MLP that is "6 · weights" (biases, activations, pooling, the loss
 * and the update are left out, as is customary). For the CNN this is exact for the
 * convolutions and linears, counting the first layer's dX too (handgrad computes it).
 */
export function macsPerSample(sampleShape: number[], layers: LayerSpec[]): number {
  let shape = [...sampleShape];
  let macs = 0;
  for (const l of layers) {
    switch (l.type) {
      case 'linear':
        macs += l.in * l.out;
        shape = [l.out];
        break;
      case 'conv': {
        const [, H, W] = shape as [number, number, number];
        const OH = H + 2 * l.pad - l.k + 1;
        const OW = W + 2 * l.pad - l.k + 1;
        macs += OH * OW * l.out * l.in * l.k * l.k;
        shape = [l.out, OH, OW];
        break;
      }
      case 'maxpool': {
        const [C, H, W] = shape as [number, number, number];
        shape = [C, Math.floor(H / l.k), Math.floor(W / l.k)];
        break;
      }
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      default:
        break;
    }
  }
  return macs;
}

/** `omniglotDir`: the folder of the Omniglot-small zips (W3r's data; see bench/omniglot-node.ts). */
export function workloads(options: { omniglotDir?: string } = {}): Record<WorkloadId, WorkloadSpec> {
  const fashion: DataSpec = {
    kind: 'idx',
    images: `${FASHION_DIR}/train-images-idx3-ubyte.gz`,
    labels: `${FASHION_DIR}/train-labels-idx1-ubyte.gz`,
  };
  const make = (w: Omit<WorkloadSpec, 'flopsPerSample' | 'flopsNote'>, note: string): WorkloadSpec => ({
    ...w,
    flopsPerSample: 6 * macsPerSample(w.sampleShape, w.layers),
    flopsNote: note,
  });
  return {
    W1: make({
      id: 'W1', title: 'Fashion-MNIST 784-60-10, SGD', sampleShape: [784], classes: 10,
      layers: mlpLayers([784, 60, 10], 0), batch: 64, lr: 0.01, momentum: 0, data: fashion,
    }, '6 · weights'),
    W2: make({
      id: 'W2', title: 'Fashion-MNIST 784-150-150-10, momentum 0.4, dropout 0.2 (inverted)', sampleShape: [784], classes: 10,
      layers: mlpLayers([784, 150, 150, 10], 0.2), batch: 64, lr: 0.01, momentum: 0.4, data: fashion,
    }, '6 · weights'),
    W3: make({
      id: 'W3', title: 'synthetic 11025-150-12 (Omniglot-12 shape), SGD', sampleShape: [11025], classes: 12,
      layers: mlpLayers([11025, 150, 12], 0), batch: 64, lr: 0.01, momentum: 0,
      // 40 batches of 64: 113 MB of float32, more than the L3 cache, like the real 6660 samples.
      data: { kind: 'synthetic', n: 2560, features: 11025, classes: 12, seed: 7 },
    }, '6 · weights'),
    W3r: make({
      id: 'W3r', title: 'Omniglot-small 11025-150-8 (real drawings, normalised), SGD', sampleShape: [11025], classes: 8,
      layers: mlpLayers([11025, 150, 8], 0), batch: 64, lr: 0.01, momentum: 0,
      // the training split of the 8 alphabets (≈ 3870 drawings, 60 batches): 8 % ink on paper
      data: { kind: 'omniglot', dir: options.omniglotDir ?? '' },
    }, '6 · weights, as for a dense first layer (handgrad runs it sparse: fewer real FLOPs)'),
    CNN: make({
      id: 'CNN', title: 'Fashion-MNIST CNN conv8-pool-conv16-pool-64-10, SGD', sampleShape: [1, 28, 28], classes: 10,
      layers: [
        { type: 'conv', in: 1, out: 8, k: 3, pad: 1 }, { type: 'relu' }, { type: 'maxpool', k: 2 },
        { type: 'conv', in: 8, out: 16, k: 3, pad: 1 }, { type: 'relu' }, { type: 'maxpool', k: 2 },
        { type: 'flatten' },
        { type: 'linear', in: 784, out: 64 }, { type: 'relu' },
        { type: 'linear', in: 64, out: 10 },
      ],
      batch: 64, lr: 0.01, momentum: 0, data: fashion,
    }, '6 · MACs of the convolutions and linears (fwd + dW + dX)'),
  };
}

/**
 * A GEMM as handgrad's Linear layer issues it (weight stored [out, in], see src/layers/linear.ts):
 *   fwd  y  = x Wᵀ    M=B,   N=out, K=in    (NT)
 *   dW   dW = dyᵀ x   M=out, N=in,  K=B     (TN)
 *   dX   dx = dy W    M=B,   N=in,  K=out   (NN)
 * The flop counts equal those of the study's shapes (wasm-gemm-study.md), whose layout stored W
 * as [in, out]; numpy runs the same products on transposed views (no copies).
 */
export interface GemmShape {
  name: string;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
}

export function gemmShapes(batch = 64): GemmShape[] {
  const layers: [string, number, number][] = [['1', 784, 60], ['2', 11025, 150], ['3', 150, 150]];
  const shapes: GemmShape[] = [];
  for (const [id, inF, outF] of layers) {
    shapes.push({ name: `fwd${id} ${batch}x${inF}x${outF} (y=xWᵀ)`, M: batch, N: outF, K: inF, transA: false, transB: true });
    shapes.push({ name: `dW${id} ${outF}x${batch}x${inF} (dW=dyᵀx)`, M: outF, N: inF, K: batch, transA: true, transB: false });
    shapes.push({ name: `dX${id} ${batch}x${outF}x${inF} (dx=dyW)`, M: batch, N: inF, K: outF, transA: false, transB: false });
  }
  return shapes;
}

export const gemmFlops = (s: GemmShape): number => 2 * s.M * s.N * s.K;
