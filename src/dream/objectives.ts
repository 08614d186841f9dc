// What dream maximises. Every objective is a *score* S computed from one layer's output
// (the activation a of layer k for the one image in the batch); dream does gradient ASCENT on
// the weighted sum of scores, which is gradient descent on the energy E = −S (the NYU
// assignment: "minimise the energy of the class, i.e. maximise the class logit").
//
//   logit      S = z[c]                       dS/dz = e_c
//   logprob    S = log softmax(z)[c]          dS/dz = e_c − softmax(z)
//   channel    S = mean_{y,x} a[ch, y, x]     dS/da = 1/(H·W) on channel ch, 0 elsewhere
//              (for a flat layer (features) output: S = a[ch], a single unit)
//   neuron     S = a[i] (flat index within the sample, or [ch, y, x])
//   deepdream  S = mean(a²) over the sample   dS/da = 2a / N       (Mordvintsev et al., 2015)
//
// Layer names (see resolveLayer): the PyTorch-style index of the layer in the Sequential
// ("0", "3", …), or its type and rank among layers of that type, counting from 1: "conv1",
// "conv2" (Conv2d), "pool1" (MaxPool2d), "relu2", "linear1", "flatten1", "dropout1", "sigmoid1",
// …; "logits" (or "output") is the last layer. Class objectives read the last layer.

import { HandgradError, shapeString, type Tensor } from '../tensor.js';
import type { Module } from '../layers/module.js';
import type { Sequential } from '../layers/sequential.js';

/**
 * What gradient descent on the input maximises, times `weight` (default 1): a class's logit or
 * log-probability (read from the last layer), or of a named layer ("conv2", "relu1", …) the mean
 * of one channel, one unit ('neuron', a flat index or [c, h, w]), or the mean square ('deepdream').
 */
export type Objective =
  | { kind: 'logit'; class: number; weight?: number }
  | { kind: 'logprob'; class: number; weight?: number }
  | { kind: 'channel'; layer: string; channel: number; weight?: number }
  | { kind: 'neuron'; layer: string; index: number | [number, number, number]; weight?: number }
  | { kind: 'deepdream'; layer: string; weight?: number };

/** The objectives that dream a class. */
export const CLASS_OBJECTIVES = ['logprob', 'logit'] as const;
/** One of {@link CLASS_OBJECTIVES}. */
export type ClassObjectiveKind = (typeof CLASS_OBJECTIVES)[number];
/**
 * The class objective of a class dream unless told otherwise (the CLI, the page): log softmax
 * raises the class against the others, where a logit alone can rise together with a rival's and
 * end at an image the model gives to the rival.
 */
export const DEFAULT_CLASS_OBJECTIVE: ClassObjectiveKind = 'logprob';

/** Short names of layer types used in layer names ("conv2" = the second Conv2d). */
const SHORT: Record<string, string> = {
  Conv2d: 'conv', MaxPool2d: 'pool', Linear: 'linear', ReLU: 'relu', LeakyReLU: 'leakyrelu', Sigmoid: 'sigmoid',
  Tanh: 'tanh', GELU: 'gelu', Softplus: 'softplus', Identity: 'identity', Dropout: 'dropout', Flatten: 'flatten',
  Sequential: 'sequential',
};

function shortType(m: Module): string {
  const t = m.config().type;
  return SHORT[t] ?? t.toLowerCase();
}

/** Every layer's names: [index, typed name], e.g. ["0", "conv1"], ["1", "relu1"], … */
export function layerNames(model: Sequential): [string, string][] {
  const counts = new Map<string, number>();
  return model.layers.map((l, i) => {
    const s = shortType(l);
    const n = (counts.get(s) ?? 0) + 1;
    counts.set(s, n);
    return [String(i), `${s}${n}`];
  });
}

/** The index in model.layers of a layer named as described above; an error lists the names. */
export function resolveLayer(model: Sequential, name: string): number {
  const key = String(name).trim().toLowerCase();
  const names = layerNames(model);
  if (key === 'logits' || key === 'output' || key === 'last') return model.layers.length - 1;
  const alias = key.replace(/^maxpool/, 'pool').replace(/^conv2d/, 'conv').replace(/^fc/, 'linear');
  for (let i = 0; i < names.length; i++) {
    if (names[i]![0] === key || names[i]![1] === key || names[i]![1] === alias) return i;
  }
  throw new HandgradError(
    `dream: no layer named '${name}' in this model; layers: ${names.map(([i, n]) => `${i}=${n} (${model.layers[Number(i)]!.describe()})`).join(', ')}, or 'logits'`,
  );
}

/** The layer index an objective reads. */
export function objectiveLayer(model: Sequential, o: Objective): number {
  return o.kind === 'logit' || o.kind === 'logprob' ? model.layers.length - 1 : resolveLayer(model, o.layer);
}

/** An objective as a short label, e.g. "logit[3]", "0.5·mean conv2[7]" or "mean relu1²". */
export function describeObjective(o: Objective): string {
  const w = o.weight !== undefined && o.weight !== 1 ? `${o.weight}·` : '';
  switch (o.kind) {
    case 'logit': return `${w}logit[${o.class}]`;
    case 'logprob': return `${w}log p[${o.class}]`;
    case 'channel': return `${w}mean ${o.layer}[${o.channel}]`;
    case 'neuron': return `${w}${o.layer}[${Array.isArray(o.index) ? o.index.join(', ') : o.index}]`;
    case 'deepdream': return `${w}mean ${o.layer}²`;
  }
}

/**
 * Checks an objective against the shape of the activation it reads (one sample: a is
 * (features) or (C, H, W) after the batch dimension).
 */
function check(o: Objective, a: Tensor): void {
  const per = a.shape.slice(1);
  const n = a.size / (a.shape[0] ?? 1);
  const bad = (msg: string): never => {
    throw new HandgradError(`dream: objective ${describeObjective(o)}: ${msg} (the layer's output has shape ${shapeString(a.shape)})`);
  };
  const intIn = (v: number, hi: number, what: string): void => {
    if (!Number.isInteger(v) || v < 0 || v >= hi) bad(`${what} ${v} is not an integer in [0, ${hi - 1}]`);
  };
  if (o.weight !== undefined && !Number.isFinite(o.weight)) bad(`weight must be a finite number, got ${o.weight}`);
  switch (o.kind) {
    case 'logit':
    case 'logprob':
      if (a.rank !== 2) bad('class objectives need a last layer with outputs [batch, classes]');
      intIn(o.class, per[0]!, 'class');
      break;
    case 'channel':
      intIn(o.channel, per[0]!, 'channel');
      break;
    case 'neuron':
      if (Array.isArray(o.index)) {
        if (per.length !== 3) bad('a [channel, y, x] index needs a layer with outputs [batch, channels, height, width]');
        o.index.forEach((v, i) => intIn(v, per[i]!, ['channel', 'y', 'x'][i]!));
      } else intIn(o.index, n, 'index');
      break;
    case 'deepdream':
      break;
  }
}

/**
 * The score of objective o on activation a (batch of 1: sample 0 is read) and, when `grad` is
 * given, ADDS weight · dS/da into it (grad has a's shape).
 */
export function evaluateObjective(o: Objective, a: Tensor, grad: Tensor | null): number {
  check(o, a);
  const w = o.weight ?? 1;
  const d = a.data;
  const n = a.size / a.shape[0]!;
  const g = grad?.data;
  switch (o.kind) {
    case 'logit': {
      if (g) g[o.class]! += w;
      return w * d[o.class]!;
    }
    case 'logprob': {
      // log softmax(z)[c] = z_c − logsumexp(z); d/dz_j = [j = c] − softmax(z)_j
      let m = -Infinity;
      for (let j = 0; j < n; j++) m = Math.max(m, d[j]!);
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(d[j]! - m);
      const lse = m + Math.log(s);
      if (g) {
        for (let j = 0; j < n; j++) g[j]! -= w * Math.exp(d[j]! - lse);
        g[o.class]! += w;
      }
      return w * (d[o.class]! - lse);
    }
    case 'channel': {
      // spatial size per channel: 1 for a flat layer, H·W for an image layer
      const C = a.shape[1]!;
      const hw = n / C;
      let s = 0;
      for (let i = 0; i < hw; i++) s += d[o.channel * hw + i]!;
      if (g) for (let i = 0; i < hw; i++) g[o.channel * hw + i]! += w / hw;
      return (w * s) / hw;
    }
    case 'neuron': {
      let i: number;
      if (Array.isArray(o.index)) {
        const [, , H, W] = a.shape as [number, number, number, number];
        i = (o.index[0] * H + o.index[1]) * W + o.index[2];
      } else i = o.index;
      if (g) g[i]! += w;
      return w * d[i]!;
    }
    case 'deepdream': {
      let s = 0;
      for (let i = 0; i < n; i++) s += d[i]! * d[i]!;
      if (g) for (let i = 0; i < n; i++) g[i]! += (w * 2 * d[i]!) / n;
      return (w * s) / n;
    }
  }
}
