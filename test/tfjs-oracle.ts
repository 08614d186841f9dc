// An independent autograd oracle: TensorFlow.js (cpu backend, float32). Each handgrad layer is
// rewritten here with tfjs ops, and tf.grads differentiates it; nothing of handgrad's backward
// is used. Test-only: @tensorflow/tfjs is a dev dependency.
//
// Layouts: handgrad (like PyTorch) is NCHW with conv weights [out, in, kh, kw]; tfjs's conv2d
// and maxPool run NHWC with filters [kh, kw, in, out], so images and weights are transposed
// on the way in and back on the way out.

import * as tf from '@tensorflow/tfjs';
import { nn, type Tensor } from '../src/index.js';

let ready: Promise<void> | null = null;

/** Selects the cpu backend once (float32 everywhere). Await it in beforeAll. */
export function initTfjs(): Promise<void> {
  ready ??= (async () => {
    // tfjs prints a hint about tfjs-node once; it is not an error.
    await tf.setBackend('cpu');
    await tf.ready();
  })();
  return ready;
}

/** A tfjs function of the input and the named parameters that computes the layer's forward. */
export type TfForward = (x: tf.Tensor, params: Record<string, tf.Tensor>) => tf.Tensor;

export interface TfContext {
  /** The keep-mask (1 keep, 0 drop) given to the Dropout layers in training mode. */
  mask?: tf.Tensor;
}

/** NCHW → NHWC and back. */
const toNHWC = (x: tf.Tensor): tf.Tensor4D => tf.transpose(x as tf.Tensor4D, [0, 2, 3, 1]);
const toNCHW = (x: tf.Tensor): tf.Tensor4D => tf.transpose(x as tf.Tensor4D, [0, 3, 1, 2]);

/** Explicit symmetric padding in NHWC, as PyTorch pads. */
function explicitPad(ph: number, pw: number): [[number, number], [number, number], [number, number], [number, number]] {
  return [[0, 0], [ph, ph], [pw, pw], [0, 0]];
}

/** The tfjs forward of a handgrad layer (recursing into Sequential); parameters by dotted name. */
export function tfForward(layer: nn.Module, prefix = '', ctx: TfContext = {}): TfForward {
  const P = (params: Record<string, tf.Tensor>, name: string): tf.Tensor => {
    const p = params[prefix + name];
    if (!p) throw new Error(`tfjs oracle: no parameter '${prefix + name}' for ${layer.describe()}`);
    return p;
  };
  if (layer instanceof nn.Sequential) {
    const fs = layer.layers.map((l, i) => tfForward(l, `${prefix}${i}.`, ctx));
    return (x, params) => fs.reduce((h, f) => f(h, params), x);
  }
  if (layer instanceof nn.Linear) {
    const hasBias = layer.bias !== null;
    // y = x Wᵀ + b, leading dims folded into the batch (tfjs's broadcasting matMul has no gradient for them)
    return (x, params) => {
      const w = P(params, 'weight') as tf.Tensor2D;
      const flat = tf.reshape(x, [-1, x.shape[x.rank - 1]!]) as tf.Tensor2D;
      let y: tf.Tensor = tf.matMul(flat, w, false, true);
      if (hasBias) y = tf.add(y, P(params, 'bias'));
      return tf.reshape(y, [...x.shape.slice(0, -1), w.shape[0]]);
    };
  }
  if (layer instanceof nn.ReLU) {
    const s = layer.scale;
    return (x) => tf.mul(tf.relu(x), s);
  }
  if (layer instanceof nn.LeakyReLU) {
    const a = layer.negativeSlope;
    return (x) => tf.leakyRelu(x, a);
  }
  if (layer instanceof nn.Sigmoid) return (x) => tf.sigmoid(x);
  if (layer instanceof nn.Tanh) return (x) => tf.tanh(x);
  if (layer instanceof nn.GELU) {
    if (layer.approximate === 'tanh') {
      // ½ x (1 + tanh(√(2/π)(x + 0.044715 x³)))
      return (x) => {
        const u = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
        return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(u)));
      };
    }
    // ½ x (1 + erf(x/√2))
    return (x) => tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  }
  if (layer instanceof nn.Softplus) {
    const { beta, threshold } = layer;
    // PyTorch: x where βx > threshold, else log(1 + e^(βx))/β
    // (the branch condition is a constant of the data: tfjs has no gradient for Greater)
    return (x) => {
      const bx = tf.mul(x, beta);
      const above = tf.tensor(tf.greater(bx, threshold).dataSync(), bx.shape, 'bool');
      return tf.where(above, x, tf.div(tf.softplus(bx), beta));
    };
  }
  if (layer instanceof nn.ELU) {
    const a = layer.alpha;
    // x where x > 0, α(eˣ − 1) elsewhere, written with tfjs ops (tf.elu has no α); the branch is
    // a constant of the data, as for Softplus
    return (x) => {
      const above = tf.tensor(tf.greater(x, 0).dataSync(), x.shape, 'bool');
      return tf.where(above, x, tf.mul(a, tf.expm1(x)));
    };
  }
  if (layer instanceof nn.Identity) return (x) => x;
  if (layer instanceof nn.Dropout) {
    const { p, mode, training } = layer;
    if (training && p > 0) {
      const keepScale = mode === 'inverted' ? 1 / (1 - p) : 1;
      return (x) => {
        if (!ctx.mask) throw new Error(`tfjs oracle: ${layer.describe()} in training needs the mask`);
        return tf.mul(tf.mul(x, ctx.mask), keepScale);
      };
    }
    const s = layer.evalScale;
    return (x) => tf.mul(x, s);
  }
  if (layer instanceof nn.Flatten) return (x) => tf.reshape(x, [x.shape[0]!, -1]);
  if (layer instanceof nn.Conv2d) {
    const [sh, sw] = layer.stride;
    const [ph, pw] = layer.padding;
    const hasBias = layer.bias !== null;
    return (x, params) => {
      // weights [out, in, kh, kw] → [kh, kw, in, out]
      const w = tf.transpose(P(params, 'weight') as tf.Tensor4D, [2, 3, 1, 0]);
      let y: tf.Tensor = tf.conv2d(toNHWC(x), w, [sh, sw], explicitPad(ph, pw), 'NHWC', 1, 'floor');
      if (hasBias) y = tf.add(y, P(params, 'bias')); // bias broadcasts over the last (channel) axis
      return toNCHW(y);
    };
  }
  if (layer instanceof nn.MaxPool2d) {
    const [kh, kw] = layer.kernelSize;
    const [sh, sw] = layer.stride;
    const [ph, pw] = layer.padding;
    return (x) => toNCHW(tf.maxPool(toNHWC(x), [kh, kw], [sh, sw], explicitPad(ph, pw), 'floor'));
  }
  if (layer instanceof nn.AvgPool2d) {
    const [kh, kw] = layer.kernelSize;
    const [sh, sw] = layer.stride;
    const [ph, pw] = layer.padding;
    // zero padding first, then a 'valid' average: the padding counts in every window's divisor
    // (count_include_pad), which tfjs's own padded avgPool does not do
    return (x) => toNCHW(tf.avgPool(tf.pad(toNHWC(x), explicitPad(ph, pw)), [kh, kw], [sh, sw], 'valid'));
  }
  if (layer instanceof nn.BatchNorm1d || layer instanceof nn.BatchNorm2d) {
    const { eps, affine, numFeatures: C } = layer;
    const batchStats = layer.training || !layer.trackRunningStats;
    // running statistics, read now (forward in eval mode leaves them as they are)
    const rm = layer.runningMean ? Float32Array.from(layer.runningMean.data) : null;
    const rv = layer.runningVar ? Float32Array.from(layer.runningVar.data) : null;
    return (x, params) => {
      const perChannel = [1, C, ...x.shape.slice(2).map(() => 1)];
      const axes = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
      // y = (x − μ)/√(σ² + ε)·γ + β, μ and σ² (biased) from tf.moments over batch and space
      const { mean, variance } = batchStats ? tf.moments(x, axes, true) : { mean: tf.tensor(rm!, perChannel), variance: tf.tensor(rv!, perChannel) };
      let y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
      if (affine) y = tf.add(tf.mul(y, tf.reshape(P(params, 'weight'), perChannel)), tf.reshape(P(params, 'bias'), perChannel));
      return y;
    };
  }
  if (layer instanceof nn.LayerNorm) {
    const { eps, elementwiseAffine, normalizedShape } = layer;
    return (x, params) => {
      const axes = normalizedShape.map((_, i) => x.rank - normalizedShape.length + i);
      const { mean, variance } = tf.moments(x, axes, true);
      const y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
      return elementwiseAffine ? tf.add(tf.mul(y, P(params, 'weight')), P(params, 'bias')) : y;
    };
  }
  if (layer instanceof nn.Softmax || layer instanceof nn.LogSoftmax) {
    const log = layer instanceof nn.LogSoftmax;
    const dim = layer.dim;
    // tfjs normalises along the last axis: move dim there and back
    return (x) => {
      const d = dim < 0 ? dim + x.rank : dim;
      const perm = [...Array(x.rank).keys()].filter((i) => i !== d).concat(d);
      const inverse = perm.map((_, i) => perm.indexOf(i));
      const t = tf.transpose(x, perm);
      return tf.transpose(log ? tf.logSoftmax(t) : tf.softmax(t), inverse);
    };
  }
  if (layer instanceof nn.Embedding) {
    // y = W[indices], the indices as int32 (see tfjsLayerGrads); the padding row is a constant:
    // gathered from W·keep with keep = 0 on that row (where W is 0), so it gets no gradient
    const { numEmbeddings, embeddingDim, paddingIdx } = layer;
    const keep = new Float32Array(numEmbeddings * embeddingDim).fill(1);
    if (paddingIdx !== null) keep.fill(0, paddingIdx * embeddingDim, (paddingIdx + 1) * embeddingDim);
    return (x, params) => tf.gather(tf.mul(P(params, 'weight'), tf.tensor(keep, [numEmbeddings, embeddingDim])), x);
  }
  throw new Error(`tfjs oracle: no tfjs equivalent written for ${layer.describe()}`);
}

export interface OracleResult {
  output: Float32Array;
  dx: Float32Array;
  grads: Record<string, Float32Array>;
}

const tfOf = (t: Tensor): tf.Tensor => tf.tensor(Float32Array.from(t.data), [...t.shape], 'float32');

export interface OracleOptions {
  /** The keep-mask of the Dropout layers in training mode. */
  mask?: Tensor;
  /** x holds integer indices (Embedding): passed as int32, not differentiated; dL/dx is zeros. */
  inputIsIndex?: boolean;
}

/**
 * Runs the tfjs version of `layer` on x with the parameters `params` (by dotted name) and
 * differentiates L = Σ y·r with tf.grads: returns y, dL/dx and dL/dθ, all float32.
 */
export function tfjsLayerGrads(layer: nn.Module, x: Tensor, params: Record<string, Tensor>, r: Tensor, opts: OracleOptions = {}): OracleResult {
  return tf.tidy(() => {
    const ctx: TfContext = opts.mask ? { mask: tfOf(opts.mask) } : {};
    const f = tfForward(layer, '', ctx);
    const names = Object.keys(params);
    const xt = opts.inputIsIndex ? tf.tensor(Int32Array.from(x.data), [...x.shape], 'int32') : tfOf(x);
    const pts = names.map((n) => tfOf(params[n]!));
    const rt = tfOf(r);
    const asParams = (ts: tf.Tensor[]): Record<string, tf.Tensor> => Object.fromEntries(names.map((n, i) => [n, ts[i]!]));
    const y = f(xt, asParams(pts));
    if (opts.inputIsIndex) {
      const L = (...args: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(f(xt, asParams(args)), rt)) as tf.Scalar;
      const gs = names.length > 0 ? tf.grads(L)(pts) : [];
      return {
        output: y.dataSync() as Float32Array,
        dx: new Float32Array(x.size),
        grads: Object.fromEntries(names.map((n, i) => [n, gs[i]!.dataSync() as Float32Array])),
      };
    }
    const L = (...args: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(f(args[0]!, asParams(args.slice(1))), rt)) as tf.Scalar;
    const gs = tf.grads(L)([xt, ...pts]);
    return {
      output: y.dataSync() as Float32Array,
      dx: gs[0]!.dataSync() as Float32Array,
      grads: Object.fromEntries(names.map((n, i) => [n, gs[i + 1]!.dataSync() as Float32Array])),
    };
  });
}

// ---- losses ---------------------------------------------------------------------------------

/** The tfjs loss of a handgrad loss object, of the prediction and the target (float32). */
export function tfLoss(loss: nn.Loss, targetIsIndex: boolean, classes = 0): (pred: tf.Tensor, target: tf.Tensor) => tf.Scalar {
  const reduce = (t: tf.Tensor, batch: number): tf.Scalar =>
    (loss.reduction === 'sum' ? tf.sum(t) : tf.div(tf.sum(t), batch)) as tf.Scalar;
  if (loss instanceof nn.MSELoss) return (p, t) => reduce(tf.square(tf.sub(p, t)), p.size);
  if (loss instanceof nn.BCELoss) {
    // −[y·max(log ŷ, −100) + (1 − y)·max(log(1 − ŷ), −100)]
    return (p, t) => {
      const a = tf.mul(t, tf.maximum(tf.log(p), -100));
      const b = tf.mul(tf.sub(1, t), tf.maximum(tf.log(tf.sub(1, p)), -100));
      return reduce(tf.neg(tf.add(a, b)), p.size);
    };
  }
  if (loss instanceof nn.BCEWithLogitsLoss) {
    // max(z, 0) − z·y + log(1 + e^(−|z|))
    return (z, t) => reduce(tf.add(tf.sub(tf.relu(z), tf.mul(z, t)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))), z.size);
  }
  if (loss instanceof nn.CrossEntropyLoss) {
    // −Σ_j t_j log softmax(z)_j per row, t one-hot (built from the indices if given)
    return (z, t) => {
      const rows = targetIsIndex ? tf.oneHot(tf.cast(t, 'int32') as tf.Tensor1D, classes) : t;
      return reduce(tf.neg(tf.sum(tf.mul(rows, tf.logSoftmax(z)), 1)), z.shape[0]!);
    };
  }
  if (loss instanceof nn.NLLLoss) {
    // −Σ_b z_b[label_b] / n over the targets ≠ ignoreIndex (tf.oneHot of an out-of-range index is a zero row)
    const ignore = loss.ignoreIndex;
    return (z, t) => {
      const labels = Array.from(t.dataSync()).map((v) => (v === ignore ? -1 : v));
      const counted = labels.filter((v) => v >= 0).length;
      const rows = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
      const total = tf.neg(tf.sum(tf.mul(rows, z)));
      return (loss.reduction === 'sum' ? total : tf.div(total, counted)) as tf.Scalar;
    };
  }
  throw new Error(`tfjs oracle: no tfjs equivalent written for ${loss.describe()}`);
}

/** The loss value and dL/dprediction from tfjs. */
export function tfjsLossGrad(loss: nn.Loss, pred: Tensor, target: Tensor, targetIsIndex: boolean): { loss: number; grad: Float32Array } {
  return tf.tidy(() => {
    const classes = pred.shape[pred.rank - 1]!;
    const f = tfLoss(loss, targetIsIndex, classes);
    const p = tfOf(pred);
    const t = targetIsIndex ? tf.tensor(Array.from(target.data), [...target.shape], 'int32') : tfOf(target);
    const value = f(p, t).dataSync()[0]!;
    const g = tf.grad((q: tf.Tensor) => f(q, t))(p);
    return { loss: value, grad: g.dataSync() as Float32Array };
  });
}
