// A tanh network rewritten as the equivalent sigmoid network (CMU problem 2.5).
// Since tanh v = 2σ(2v) − 1,
//   y = U₂ tanh(U₁x + c₁) + c₂ = U₂(2σ(2U₁x + 2c₁) − 1) + c₂ = (2U₂) σ((2U₁)x + 2c₁) + (c₂ − U₂·1),
// so the sigmoid network Linear(W₁, b₁) → Sigmoid → Linear(W₂, b₂) with
//   W₁ = 2U₁,  b₁ = 2c₁,  W₂ = 2U₂,  b₂[k] = c₂[k] − Σ_j U₂[k, j]
// computes the same function. Both networks are built from the library's layers and run on the
// same random inputs.

import { Sigmoid, Tanh } from '../layers/activations.js';
import { Linear } from '../layers/linear.js';
import { Sequential } from '../layers/sequential.js';
import { Random } from '../random.js';
import { Tensor, type DType } from '../tensor.js';
import { check, maxAbsDiff, type TheoryCheck } from './check.js';

/** A Linear–Tanh–Linear network, the Linear–Sigmoid–Linear network that computes the same function, and how far apart they are. */
export interface TanhSigmoidResult {
  /** The dtype both networks compute in. */
  dtype: DType;
  /** Linear(U₁, c₁) → Tanh → Linear(U₂, c₂). */
  tanhNet: Sequential;
  /** Linear(2U₁, 2c₁) → Sigmoid → Linear(2U₂, c₂ − U₂·1). */
  sigmoidNet: Sequential;
  /** The number of random inputs compared. */
  samples: number;
  /** The largest |difference| of the two networks' outputs. */
  maxDifference: number;
  /** The outputs agree to the dtype's precision. */
  checks: TheoryCheck[];
}

/** Builds Linear–Sigmoid–Linear with the same outputs as the given Linear–Tanh–Linear. */
export function tanhToSigmoid(tanhNet: Sequential): Sequential {
  const [l1, act, l2] = tanhNet.layers as [Linear, Tanh, Linear];
  if (!(l1 instanceof Linear) || !(act instanceof Tanh) || !(l2 instanceof Linear) || tanhNet.layers.length !== 3) {
    throw new Error(`tanhToSigmoid: expected Sequential(Linear, Tanh, Linear), got ${tanhNet.describe()}`);
  }
  const dtype = l1.weight.value.dtype;
  const s1 = new Linear(l1.inFeatures, l1.outFeatures, { dtype });
  const s2 = new Linear(l2.inFeatures, l2.outFeatures, { dtype });
  const U1 = l1.weight.value.data, c1 = l1.bias!.value.data, U2 = l2.weight.value.data, c2 = l2.bias!.value.data;
  s1.weight.value.data.set(U1.map((u) => 2 * u));
  s1.bias!.value.data.set(c1.map((c) => 2 * c));
  s2.weight.value.data.set(U2.map((u) => 2 * u));
  const H = l2.inFeatures;
  for (let k = 0; k < l2.outFeatures; k++) {
    let rowSum = 0;
    for (let j = 0; j < H; j++) rowSum += U2[k * H + j]!;
    s2.bias!.value.data[k] = c2[k]! - rowSum;
  }
  return new Sequential(s1, new Sigmoid(), s2);
}

/** A random 4 → 8 → 3 tanh network, its sigmoid twin, and their largest output difference. */
export function tanhSigmoidEquivalence(dtype: DType = 'float32', seed = 0, samples = 256): TanhSigmoidResult {
  const rng = new Random(seed);
  const tanhNet = new Sequential(new Linear(4, 8, { dtype, rng }), new Tanh(), new Linear(8, 3, { dtype, rng }));
  const sigmoidNet = tanhToSigmoid(tanhNet);
  const x = new Tensor(dtype === 'float64' ? new Float64Array(samples * 4) : new Float32Array(samples * 4), [samples, 4]);
  rng.fillNormal(x.data, 0, 2);
  const a = tanhNet.forward(x).clone();
  const b = sigmoidNet.forward(x);
  const maxDifference = maxAbsDiff(a.data, b.data);
  const tol = dtype === 'float64' ? 1e-12 : 1e-5;
  return {
    dtype, tanhNet, sigmoidNet, samples, maxDifference,
    checks: [check(`tanh net vs converted sigmoid net, ${samples} random inputs (${dtype})`, maxDifference, tol)],
  };
}
