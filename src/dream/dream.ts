// Gradient descent on the input (NYU assignment part 2.2; DeepDream, Mordvintsev et al. 2015;
// "Understanding neural networks through deep visualization", Yosinski et al. 2015).
//
// The network is fixed; the image is the variable. One step, for an image img (C, h, w) in
// pixel units [0, 1] at the current octave's size:
//   1. jitter:    r = roll(img, dy, dx), dy, dx uniform integers in [−J, J] (seeded; J scaled by h/H)
//   2. resize:    R = bilinear(r) to the model's input size (H, W)  (identity at the last octave)
//   3. normalise: x = (R − mean_c) / std_c, the normalisation the model was trained with
//   4. forward through the Sequential's layers one by one, up to the deepest layer an
//      objective reads; score S = Σ weight_i · S_i (objectives.ts)
//   5. backward to the input through the layers' own backward passes: g_x = dS/dx
//   6. back through 3, 2, 1 with their adjoints: g = roll(resizeᵀ(g_x / std_c), −dy, −dx)
//   7. tricks on the gradient: project it onto the PCA prior's span (prior.ts), blur it (σ_g),
//      normalise it by its mean magnitude (DeepDream), clip it (by value or by norm); subtract
//      the gradients of the penalties (TV, L1, L2 to the mean image; transforms.ts)
//   8. ascend: img ← img + lr_t · g    (= gradient descent on the energy E = −S + penalties;
//      lr_t decays linearly from lr to lrEnd)
//   9. tricks on the image: weight decay img ← (1 − wd) · img, blur every k steps (σ),
//      project back onto the PCA span, clamp to [0, 1]; upscale to the next octave's size when
//      its turn comes.
// The PCA prior (7, 9) lets go in the final `priorRelax` fraction of the steps: the step has
// decayed by then, so the network finishes what the span alone cannot reach while the image
// stays close to the prior's.
// Browser-safe: no Node modules.

import { OutputBuffer, type Module } from '../layers/module.js';
import type { Sequential } from '../layers/sequential.js';
import { Random } from '../random.js';
import { HandgradError, Tensor, shapeString, type DType, type FloatArray } from '../tensor.js';
import { projectOntoPrior, type PcaPrior } from './prior.js';
import { evaluateObjective, objectiveLayer, type Objective } from './objectives.js';
import { objectiveList, resolveDreamOptions, type ClipMode, type DreamOptions, type ResolvedDreamOptions } from './options.js';
import {
  clampInPlace, gaussianBlur, meanPrior, octaveSizes, resizeBilinear, resizeBilinearAdjoint, roll, smoothL1,
  smoothTotalVariation, totalVariation, type ImageShape,
} from './transforms.js';

/** A trained image classifier, as dream needs it. */
export interface DreamModel {
  /** The network, whose last layer gives the class logits. */
  net: Sequential;
  /** One input image: [channels, height, width]. */
  inputShape: [number, number, number];
  /** The normalisation used in training, x = (pixel − mean) / std: one value, one per channel, or one per pixel (C·H·W). Default 0 / 1. */
  mean?: number | number[];
  /** The standard deviation of the training normalisation (same forms as `mean`; default 1). */
  std?: number | number[];
  /** Class names, index = class. */
  classes?: string[];
  /** The shape the network takes for one image: default [1, C, H, W]; [1, C·H·W] for an MLP trained on flat samples. */
  networkInputShape?: number[];
}

/** What {@link dream} returns: the image, the target's probability, the prediction and the history of the run. */
export interface DreamResult {
  /** The final image (C, H, W) in pixel units (in [0, 1] when clamped), float64. */
  image: Tensor;
  /** The class reported on (the first class objective's), or null. */
  target: number | null;
  /** Softmax probability and logit of the target on the final image (no jitter). */
  probability: number | null;
  /** The target's logit on the final image, or null without a target. */
  logit: number | null;
  /** The class the model predicts for the final image, and its probability. */
  predicted: number;
  /** The predicted class's softmax probability. */
  predictedProbability: number;
  /** The objective's score on the final image. */
  score: number;
  /** Anisotropic total variation of the final image (transforms.ts). */
  totalVariation: number;
  /** The target's probability at every step (at that step's jittered forward). */
  probabilities: number[];
  /** The score at every step. */
  scores: number[];
  /** The options used, every default filled in. */
  options: ResolvedDreamOptions;
}

// ---- the score and its gradient with respect to the network's input --------------------------

/** Per-layer gradient buffers, reused across steps. */
class Workspace {
  readonly grads = new Map<number, OutputBuffer>();
  grad(layer: number, shape: readonly number[], dtype: DType): Tensor {
    let b = this.grads.get(layer);
    if (!b) this.grads.set(layer, (b = new OutputBuffer()));
    return b.zeros(shape, dtype);
  }
}

interface Evaluation {
  score: number;
  /** dS/dinput (a layer-owned buffer: copy it before the next call), or null when not asked. */
  grad: Tensor | null;
  /** The last layer's output (layer-owned). */
  output: Tensor;
}

/**
 * Forward x through the layers one at a time, evaluate the objectives on the outputs of the
 * layers they read, and (when wantGrad) backward from the deepest of those layers down to the
 * input, adding each shallower objective's gradient when the backward pass reaches its layer.
 */
function evaluate(net: Sequential, x: Tensor, objectives: Objective[], wantGrad: boolean, ws: Workspace): Evaluation {
  const layers = net.layers;
  const at = objectives.map((o) => objectiveLayer(net, o));
  const kmax = Math.max(...at);
  const acts: Tensor[] = [];
  let h = x;
  for (const l of layers) acts.push((h = l.forward(h)));
  let score = 0;
  const touched = new Set<number>();
  objectives.forEach((o, i) => {
    const k = at[i]!;
    const a = acts[k]!;
    if (a.shape[0] !== 1) throw new HandgradError(`dream: expected a batch of one image, the layer output has shape ${shapeString(a.shape)}`);
    let g: Tensor | null = null;
    if (wantGrad) {
      g = touched.has(k) ? ws.grads.get(k)!.get(a.shape, a.dtype) : ws.grad(k, a.shape, a.dtype);
      touched.add(k);
    }
    score += evaluateObjective(o, a, g);
  });
  if (!wantGrad) return { score, grad: null, output: acts[acts.length - 1]! };
  let g: Tensor | null = null;
  for (let i = kmax; i >= 0; i--) {
    if (touched.has(i)) {
      // dS/d(out_i) = (what flowed back from above) + (this layer's own objectives)
      const own = ws.grads.get(i)!.get(acts[i]!.shape, acts[i]!.dtype);
      if (g) for (let j = 0; j < own.size; j++) own.data[j]! += g.data[j]!;
      g = own;
    }
    g = layers[i]!.backward(g!);
  }
  return { score, grad: g, output: acts[acts.length - 1]! };
}

/**
 * The score of `objective` at the network input x (any batch-of-one input the network takes,
 * already normalised) and its gradient dS/dx, computed by the layers' own backward passes.
 * The network's mode (train/eval) is left as it is; parameter gradients accumulate as in any
 * backward (call net.zeroGrad() if that matters).
 */
export function inputGradient(net: Sequential, x: Tensor, objective: Objective | Objective[]): { score: number; grad: Tensor } {
  const r = evaluate(net, x, objectiveList(objective), true, new Workspace());
  return { score: r.score, grad: r.grad!.clone() };
}

/** The score of `objective` at the network input x, forward only. */
export function objectiveScore(net: Sequential, x: Tensor, objective: Objective | Objective[]): number {
  return evaluate(net, x, objectiveList(objective), false, new Workspace()).score;
}

// ---- one step's gradient in pixel space ------------------------------------------------------

/**
 * The normalisation as one value per input feature (C·H·W): from one number, one per channel,
 * or one per feature (a 'per-feature' run).
 */
function perFeature(v: number | number[] | undefined, [C, H, W]: [number, number, number], dflt: number, what: string): Float64Array {
  const N = C * H * W;
  const a = v === undefined ? [dflt] : typeof v === 'number' ? [v] : v;
  if (!Array.isArray(a) || ![1, C, N].includes(a.length) || a.some((x) => typeof x !== 'number' || !Number.isFinite(x) || (what === 'std' && x <= 0))) {
    throw new HandgradError(`dream: the normalisation ${what} must be one finite number, ${C} (one per channel) or ${N} (one per pixel)${what === 'std' ? ', all > 0' : ''}; got ${Array.isArray(a) ? `${a.length} values` : JSON.stringify(v)}`);
  }
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) out[i] = a.length === 1 ? a[0]! : a.length === N ? a[i]! : a[Math.floor(i / (H * W))]!;
  return out;
}

/**
 * Everything one step needs between the image (pixel units, current octave's size) and the
 * network: jitter, resize, normalise, forward/backward, and the adjoints back to the image.
 */
export class PixelObjective {
  /** The classifier the image is shown to. */
  readonly model: DreamModel;
  /** What the image is optimised for: class logits or log-probabilities, or a layer's channel, each with a weight. */
  readonly objectives: Objective[];
  /** The image shape the network takes. */
  readonly modelShape: ImageShape;
  /** The dtype the network computes in. */
  readonly dtype: DType;
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  private readonly ws = new Workspace();
  private readonly x: Tensor;

  /** Scores images for `objective` (one or several, whose weighted scores add) on `model`. */
  constructor(model: DreamModel, objective: Objective | Objective[]) {
    const [C, H, W] = model.inputShape;
    this.model = model;
    this.objectives = objectiveList(objective);
    this.modelShape = { channels: C, height: H, width: W };
    this.mean = perFeature(model.mean, model.inputShape, 0, 'mean');
    this.std = perFeature(model.std, model.inputShape, 1, 'std');
    this.dtype = model.net.parameters()[0]?.value.dtype ?? 'float32';
    const netShape = model.networkInputShape ?? [1, C, H, W];
    if (netShape[0] !== 1 || netShape.reduce((a, b) => a * b, 1) !== C * H * W) {
      throw new HandgradError(`dream: networkInputShape ${shapeString(netShape)} must be a batch of one holding the ${C}×${H}×${W} image`);
    }
    this.x = Tensor.zeros(netShape, this.dtype);
    for (const o of this.objectives) objectiveLayer(model.net, o); // names checked up front
  }

  /**
   * Score of the image img (shape s, pixel units) rolled by (dy, dx), resized to the model's
   * size and normalised; when gradOut is given, writes dS/dimg into it (shape s).
   * Returns the score and the network's output (layer-owned).
   */
  run(img: FloatArray, s: ImageShape, dy: number, dx: number, gradOut: Float64Array | null): { score: number; output: Tensor } {
    const M = this.modelShape;
    const same = s.height === M.height && s.width === M.width;
    const n = s.channels * s.height * s.width;
    const N = M.channels * M.height * M.width;
    const rolled = dy === 0 && dx === 0 ? img : roll(img, s, dy, dx, new Float64Array(n));
    const big = same ? rolled : resizeBilinear(rolled, s, M, new Float64Array(N));
    for (let i = 0; i < N; i++) this.x.data[i] = (big[i]! - this.mean[i]!) / this.std[i]!;
    const r = evaluate(this.model.net, this.x, this.objectives, gradOut !== null, this.ws);
    if (gradOut) {
      // x = (R − mean)/std  ⇒  dS/dR = dS/dx / std
      const gBig = new Float64Array(N);
      for (let i = 0; i < N; i++) gBig[i] = r.grad!.data[i]! / this.std[i]!;
      // R = resize(r)  ⇒  dS/dr = resizeᵀ(dS/dR)
      const gRolled = same ? gBig : resizeBilinearAdjoint(gBig, s, M, new Float64Array(n));
      // r = roll(img, dy, dx)  ⇒  dS/dimg = roll(dS/dr, −dy, −dx)   (un-jitter)
      if (dy === 0 && dx === 0) gradOut.set(gRolled);
      else roll(gRolled, s, -dy, -dx, gradOut);
    }
    return { score: r.score, output: r.output };
  }
}

/** softmax(z)[c] of one row of logits. */
export function softmaxAt(z: ArrayLike<number>, c: number): number {
  let m = -Infinity;
  for (let j = 0; j < z.length; j++) m = Math.max(m, z[j]!);
  let s = 0;
  for (let j = 0; j < z.length; j++) s += Math.exp(z[j]! - m);
  return Math.exp(z[c]! - m) / s;
}

function argmax(z: ArrayLike<number>): number {
  let b = 0;
  for (let j = 1; j < z.length; j++) if (z[j]! > z[b]!) b = j;
  return b;
}

// ---- the loop --------------------------------------------------------------------------------

/**
 * Optimises an image so that the model's objective grows (see the top of this file). The
 * network is put in eval mode for the run and given back in its previous mode, with its
 * parameter gradients zeroed.
 */
export function dream(model: DreamModel, options: DreamOptions): DreamResult {
  const o = resolveDreamOptions(options);
  const net = model.net;
  const [C, H, W] = model.inputShape;
  const objective = new PixelObjective(model, o.objective);
  const rng = new Random(o.seed);
  const sizes = octaveSizes(H, W, o.octaves, o.octaveScale);
  const wasTraining = net.training;
  // The image is what a dream trains, so every layer passes its input gradient back: a layer that
  // skips it (a training session's first layer: its data is not trained) computes it for the
  // dream and skips it again afterwards.
  const skipping = layersSkippingInputGradient(net);
  for (const m of skipping) m.computeInputGradient = true;
  net.eval();
  try {
    // start image at the first octave's size
    let s: ImageShape = { channels: C, height: sizes[0]![0], width: sizes[0]![1] };
    let img: Float64Array = new Float64Array(C * s.height * s.width);
    if (options.init) {
      const t = options.init;
      const ok = (t.rank === 3 && t.shape[0] === C) || (t.rank === 4 && t.shape[0] === 1 && t.shape[1] === C);
      if (!ok) throw new HandgradError(`dream: the start image must have shape [${C}, height, width] or [1, ${C}, height, width], got ${shapeString(t.shape)}`);
      const from = { channels: C, height: t.shape[t.rank - 2]!, width: t.shape[t.rank - 1]! };
      resizeBilinear(t.data, from, s, img);
    } else if (o.init === 'mean') {
      resizeBilinear(options.meanImage ? meanImageOf(options.meanImage, C, H, W) : pcaMean(options.pca!, C, H, W), { channels: C, height: H, width: W }, s, img);
      for (let i = 0; i < img.length; i++) img[i]! += o.noise * rng.normal();
    } else {
      for (let i = 0; i < img.length; i++) img[i] = 0.5 + o.noise * rng.normal();
    }
    // the prior's centre at the current octave's size
    const meanFull = options.meanImage ? meanImageOf(options.meanImage, C, H, W) : options.pca ? pcaMean(options.pca, C, H, W) : null;
    let meanAt: Float64Array | null = meanFull && o.prior > 0 ? resizeBilinear(meanFull, { channels: C, height: H, width: W }, s, new Float64Array(img.length)) as Float64Array : null;
    if (o.clamp) clampInPlace(img);
    let grad: Float64Array = new Float64Array(img.length);
    let octave = 0;
    const probabilities: number[] = [];
    const scores: number[] = [];
    const scratch = new Float64Array(H * W);
    // the prior lets go for the last ⌊priorRelax · steps⌉ steps
    const relaxFrom = o.steps - Math.round(o.priorRelax * o.steps);
    for (let t = 0; t < o.steps; t++) {
      const want = Math.min(o.octaves - 1, Math.floor((t * o.octaves) / o.steps));
      if (want !== octave) {
        // next octave: bilinear upscale of the image
        octave = want;
        const next: ImageShape = { channels: C, height: sizes[octave]![0], width: sizes[octave]![1] };
        const up = new Float64Array(C * next.height * next.width);
        resizeBilinear(img, s, next, up);
        img = up;
        grad = new Float64Array(img.length);
        if (meanAt) meanAt = resizeBilinear(meanFull!, { channels: C, height: H, width: W }, next, new Float64Array(img.length)) as Float64Array;
        s = next;
      }
      // jitter up to ±J pixels of the model's input, i.e. ±J·h/H pixels of a smaller octave
      const J = Math.round((o.jitter * s.height) / H);
      const dy = J > 0 ? rng.int(2 * J + 1) - J : 0;
      const dx = J > 0 ? rng.int(2 * J + 1) - J : 0;
      const r = objective.run(img, s, dy, dx, grad);
      scores.push(r.score);
      if (t === 0 && o.target !== null && (r.output.rank !== 2 || o.target >= r.output.shape[1]!)) {
        throw new HandgradError(`dream: target class ${o.target} does not exist: the model's output has shape ${shapeString(r.output.shape)}`);
      }
      const prob = o.target !== null && r.output.rank === 2 ? softmaxAt(r.output.data.subarray(0, r.output.shape[1]!), o.target) : null;
      if (prob !== null) probabilities.push(prob);
      const onPrior = options.pca && !o.plain && s.height === H && s.width === W && t < relaxFrom ? options.pca : null;
      // tricks on the gradient: with the PCA prior, dS/dz = Uᵀ g, i.e. g ← U Uᵀ g
      if (onPrior) projectOntoPrior(grad, onPrior, false);
      if (o.gradBlurSigma > 0) gaussianBlur(grad, s, o.gradBlurSigma, scratch);
      if (o.normalizeStep) {
        let m = 0;
        for (let i = 0; i < grad.length; i++) m += Math.abs(grad[i]!);
        m /= grad.length;
        const inv = 1 / (m + 1e-8);
        for (let i = 0; i < grad.length; i++) grad[i]! *= inv;
      }
      if (o.clip > 0) clipGradient(grad, o.clip, o.clipMode);
      // penalties on the image: the energy is −S + λ_tv·TV_ε + λ₁·|img|₁ + λ_m/2·‖img − mean‖²,
      // so their gradients are subtracted from the (normalised) ascent direction of S
      if (o.tv > 0) smoothTotalVariation(img, s, PENALTY_EPS, grad, -o.tv);
      if (o.l1 > 0) smoothL1(img, PENALTY_EPS, grad, -o.l1);
      if (meanAt) meanPrior(img, meanAt, grad, -o.prior);
      // ascend the score (descend the energy), with lr decaying linearly from lr to lrEnd
      const frac = o.steps > 1 ? t / (o.steps - 1) : 0;
      const lr = o.lr + (o.lrEnd - o.lr) * frac;
      for (let i = 0; i < img.length; i++) img[i]! += lr * grad[i]!;
      // tricks on the image
      if (o.weightDecay > 0) for (let i = 0; i < img.length; i++) img[i]! *= 1 - o.weightDecay;
      const sigma = o.blurSigma + (o.blurSigmaEnd - o.blurSigma) * frac;
      if (o.blurEvery > 0 && (t + 1) % o.blurEvery === 0 && sigma > 0) gaussianBlur(img, s, sigma, scratch);
      if (onPrior) projectOntoPrior(img, onPrior, true);
      if (o.clamp) clampInPlace(img);
      options.onStep?.({ step: t + 1, steps: o.steps, score: r.score, probability: prob, size: [s.height, s.width] });
    }
    // the final image is at the model's size (the last octave is the model's size)
    const fin = objective.run(img, s, 0, 0, null);
    const z = fin.output.data.subarray(0, fin.output.shape[1] ?? fin.output.size);
    const predicted = argmax(z);
    const result: DreamResult = {
      image: new Tensor(img, [C, s.height, s.width]),
      target: o.target,
      probability: o.target !== null ? softmaxAt(z, o.target) : null,
      logit: o.target !== null ? z[o.target]! : null,
      predicted,
      predictedProbability: softmaxAt(z, predicted),
      score: fin.score,
      totalVariation: totalVariation(img, s),
      probabilities,
      scores,
      options: o,
    };
    return result;
  } finally {
    net.zeroGrad();
    net.train(wasTraining);
    for (const m of skipping) m.computeInputGradient = false;
  }
}

/** The module and its descendants whose computeInputGradient is off. */
function layersSkippingInputGradient(m: Module): Module[] {
  return [...(m.computeInputGradient ? [] : [m]), ...m.children().flatMap(([, c]) => layersSkippingInputGradient(c))];
}

/** ε of the smoothed |·| in the TV and L1 penalties (pixel units): |d| ≈ √(d² + ε²) − ε. */
export const PENALTY_EPS = 0.01;

/** The mean image as (C·H·W) values at the model's size, checked. */
function meanImageOf(m: Tensor, C: number, H: number, W: number): FloatArray {
  if (m.size !== C * H * W) throw new HandgradError(`dream: meanImage must hold one ${C}×${H}×${W} image, got shape ${shapeString(m.shape)}`);
  return m.data;
}

/** The PCA prior's mean image, checked against the model's input size. */
function pcaMean(p: PcaPrior, C: number, H: number, W: number): FloatArray {
  if (p.d !== C * H * W) throw new HandgradError(`dream: the PCA prior has ${p.d} features, the model takes ${C}×${H}×${W} = ${C * H * W}`);
  return p.mean;
}

/** Gradient clipping, in place: each entry to [−c, c] ('value') or the whole vector to L2 norm ≤ c ('norm'). */
export function clipGradient(g: FloatArray, c: number, mode: ClipMode): FloatArray {
  if (mode === 'value') return clampInPlace(g, -c, c);
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  const norm = Math.sqrt(s);
  if (norm > c) for (let i = 0; i < g.length; i++) g[i]! *= c / norm;
  return g;
}
