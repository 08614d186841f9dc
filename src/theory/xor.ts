// XOR and the perceptron (CMU problem 1). Points and labels as in the assignment:
//   x¹ = (1, 0), x² = (0, 1) → 1;   x³ = (1, 1), x⁴ = (0, 0) → 0,
// with the step σ(v) = 1 if v ≥ 0 else 0.
//
// 1. No perceptron σ(w·x + b) fits: the four conditions are
//      (1) w₁ + b ≥ 0   (2) w₂ + b ≥ 0   (3) w₁ + w₂ + b < 0   (4) b < 0
//    and (1) + (2) gives w₁ + w₂ + 2b ≥ 0 while (3) + (4) gives w₁ + w₂ + 2b < 0.
//    A grid and a random search over (w₁, w₂, b) confirm that none of them fits all four.
// 2. Four step neurons do (CMU 1.2, built the way 1.3 asks for N points): project the points on
//    v = (1, 2), which orders them (0,0) → 0, (1,0) → 1, (0,1) → 2, (1,1) → 3; neuron j fires when
//    the projection passes the threshold j − 1.5, so at the point of rank r neurons 1…r+1 fire
//    and the output Σ a_j h_j telescopes to a₁ + … + a_{r+1}. Labels by rank are 0, 1, 1, 0, so
//    a = (0, 1, 0, −1).
//    The hidden layer is a Linear(2 → 4) of the library followed by the step; the output a
//    Linear(4 → 1) without bias.

import { Linear } from '../layers/linear.js';
import { Random } from '../random.js';
import { Tensor } from '../tensor.js';
import { check, claim, type TheoryCheck } from './check.js';

/** The four XOR inputs (x₁, x₂). */
export const XOR_POINTS: readonly (readonly [number, number])[] = [[1, 0], [0, 1], [1, 1], [0, 0]];
/** Their labels: x₁ XOR x₂. */
export const XOR_LABELS: readonly number[] = [1, 1, 0, 0];

const step = (v: number): number => (v >= 0 ? 1 : 0);

/** How many of the four points σ(w·x + b) classifies correctly. */
export function perceptronCorrect(w1: number, w2: number, b: number): number {
  let n = 0;
  XOR_POINTS.forEach(([x1, x2], i) => {
    if (step(w1 * x1 + w2 * x2 + b) === XOR_LABELS[i]) n++;
  });
  return n;
}

/** A search for a single step perceptron that fits XOR (there is none). */
export interface XorSearch {
  /** The number of (w₁, w₂, b) tried. */
  tried: number;
  /** Perceptrons that fit all four points (must be 0). */
  found: number;
  /** The most points any tried perceptron fits (3: XOR is one point short). */
  bestCorrect: number;
  /** (w₁, w₂, b) of a perceptron that fits bestCorrect points. */
  best: [number, number, number];
}

/** Grid over [−range, range]³ with `steps` values per axis, then `randomTrials` normal draws. */
export function searchPerceptrons(steps = 41, range = 2, randomTrials = 20000, seed = 0): XorSearch {
  let tried = 0;
  let found = 0;
  let bestCorrect = -1;
  let best: [number, number, number] = [0, 0, 0];
  const consider = (w1: number, w2: number, b: number): void => {
    tried++;
    const c = perceptronCorrect(w1, w2, b);
    if (c === 4) found++;
    if (c > bestCorrect) {
      bestCorrect = c;
      best = [w1, w2, b];
    }
  };
  for (let i = 0; i < steps; i++) {
    for (let j = 0; j < steps; j++) {
      for (let k = 0; k < steps; k++) {
        const g = (t: number): number => -range + (2 * range * t) / (steps - 1);
        consider(g(i), g(j), g(k));
      }
    }
  }
  const rng = new Random(seed);
  for (let t = 0; t < randomTrials; t++) consider(3 * rng.normal(), 3 * rng.normal(), 3 * rng.normal());
  return { tried, found, bestCorrect, best };
}

/** The condition one XOR point puts on a step perceptron's (w₁, w₂, b). */
export interface XorInequality {
  /** The point (x₁, x₂). */
  point: [number, number];
  /** Its label. */
  label: number;
  /** The condition on (w₁, w₂, b) in words. */
  text: string;
}

/**
 * Why one perceptron cannot fit XOR (four inequalities that contradict, and a search), and a
 * four-neuron step network that does.
 */
export interface XorTheory {
  /** The four points' inequalities. */
  inequalities: XorInequality[];
  /** The two pair sums that contradict each other. */
  contradiction: [string, string, string];
  /** The search over perceptrons. */
  search: XorSearch;
  /** The four-neuron network: its weights, hidden activations per point and outputs. */
  network: {
    hiddenWeight: number[][];
    hiddenBias: number[];
    outputWeight: number[];
    /** Hidden activations per point (rows) and the outputs. */
    hidden: number[][];
    outputs: number[];
  };
  /** The written answer in the seed file, evaluated: it does not fit (1,1) and (0,0). */
  seedAnswerOutputs: number[];
  /** No perceptron fits; the network fits all four points. */
  checks: TheoryCheck[];
}

/** The four-neuron step network evaluated with the library's Linear layers. */
export function xorNetwork(weights: { w: number[][]; b: number[]; a: number[] }): { hidden: number[][]; outputs: number[] } {
  const n = weights.b.length;
  const l1 = new Linear(2, n, { dtype: 'float64' });
  l1.weight.value.data.set(weights.w.flat());
  l1.bias!.value.data.set(weights.b);
  const l2 = new Linear(n, 1, { dtype: 'float64', bias: false });
  l2.weight.value.data.set(weights.a);
  const x = Tensor.fromArray(XOR_POINTS.flat(), [4, 2], 'float64');
  const pre = l1.forward(x);
  const h = new Tensor(pre.data.map(step), pre.shape);
  const out = l2.forward(h);
  const hidden = XOR_POINTS.map((_, i) => Array.from(h.data.slice(i * n, (i + 1) * n)));
  return { hidden, outputs: Array.from(out.data) };
}

/** Weights of a four-neuron step network that computes XOR: hidden w and b, output weights a. */
export const XOR_NETWORK = {
  w: [[1, 2], [1, 2], [1, 2], [1, 2]],
  b: [0.5, -0.5, -1.5, -2.5],
  a: [0, 1, 0, -1],
};

// As written in the seed's solution: w = (−1,1), (1,−1), (−1,−1), (1,1); b = 0.9, −0.9, 0.1, −0.9; a = 1, 1, 0, 0.
const SEED_ANSWER = { w: [[-1, 1], [1, -1], [-1, -1], [1, 1]], b: [0.9, -0.9, 0.1, -0.9], a: [1, 1, 0, 0] };

/** The XOR argument, its search (`searchSteps` values per axis, default 41) and the network, with checks. */
export function xorTheory(searchSteps = 41): XorTheory {
  const inequalities: XorInequality[] = [
    { point: [1, 0], label: 1, text: '(1)  w₁ + b ≥ 0' },
    { point: [0, 1], label: 1, text: '(2)  w₂ + b ≥ 0' },
    { point: [1, 1], label: 0, text: '(3)  w₁ + w₂ + b < 0' },
    { point: [0, 0], label: 0, text: '(4)  b < 0' },
  ];
  const contradiction: [string, string, string] = [
    '(1) + (2):  w₁ + w₂ + 2b ≥ 0',
    '(3) + (4):  w₁ + w₂ + 2b < 0',
    'both cannot hold: no (w₁, w₂, b) satisfies all four',
  ];
  const search = searchPerceptrons(searchSteps);
  const net = xorNetwork(XOR_NETWORK);
  const seed = xorNetwork(SEED_ANSWER).outputs;
  return {
    inequalities, contradiction, search,
    network: { hiddenWeight: XOR_NETWORK.w, hiddenBias: XOR_NETWORK.b, outputWeight: XOR_NETWORK.a, ...net },
    seedAnswerOutputs: seed,
    checks: [
      claim(`search over ${search.tried} perceptrons finds none fitting XOR (best fits ${search.bestCorrect} of 4)`, search.found === 0 && search.bestCorrect === 3),
      check('4-neuron step network outputs vs XOR labels', Math.max(...net.outputs.map((o, i) => Math.abs(o - XOR_LABELS[i]!))), 0),
    ],
  };
}
