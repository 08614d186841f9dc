// The Jacobian of x ↦ W₂W₁x (NYU 1.2(e)), row by row from backward passes: for the network
// Linear(a → b) → Linear(b → c) without biases, backward(e_k) returns ∂y_k/∂x, which is row k of
// the Jacobian. The rows together must equal the matrix product W₂W₁.
//   W₁: (b, a)   W₂: (c, b)   J: (c, a)

import { Linear } from '../layers/linear.js';
import { Sequential } from '../layers/sequential.js';
import { Random } from '../random.js';
import { Tensor } from '../tensor.js';
import { check, maxAbsDiff, type TheoryCheck } from './check.js';

/** The Jacobian of x ↦ W₂W₁x from backward passes (one per output), beside the product W₂W₁. */
export interface JacobianResult {
  /** W₁, shape (b, a). */
  W1: number[][];
  /** W₂, shape (c, b). */
  W2: number[][];
  /** Rows from backward passes. */
  byBackward: number[][];
  /** W₂W₁ by the matrix product. */
  product: number[][];
  /** The rows by backward against the product. */
  checks: TheoryCheck[];
}

const rows = (data: ArrayLike<number>, r: number, c: number): number[][] =>
  Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => data[i * c + j]!));

/** The Jacobian of Linear(a → b) → Linear(b → c) without biases (sizes default 4, 3, 2; weights drawn from `seed`), row k by backward(e_k). */
export function jacobianOfProduct(a = 4, b = 3, c = 2, seed = 0): JacobianResult {
  const rng = new Random(seed);
  const l1 = new Linear(a, b, { bias: false, dtype: 'float64', rng });
  const l2 = new Linear(b, c, { bias: false, dtype: 'float64', rng });
  const net = new Sequential(l1, l2);
  const x = new Tensor(new Float64Array(a), [1, a]);
  rng.fillNormal(x.data);
  const byBackward: number[][] = [];
  for (let k = 0; k < c; k++) {
    net.forward(x);
    const e = new Tensor(new Float64Array(c), [1, c]);
    e.data[k] = 1;
    byBackward.push(Array.from(net.backward(e).data)); // ∂y_k/∂x
  }
  const W1 = l1.weight.value.data, W2 = l2.weight.value.data;
  const prod = new Float64Array(c * a);
  for (let i = 0; i < c; i++) for (let j = 0; j < a; j++) {
    let s = 0;
    for (let m = 0; m < b; m++) s += W2[i * b + m]! * W1[m * a + j]!;
    prod[i * a + j] = s;
  }
  const product = rows(prod, c, a);
  return {
    W1: rows(W1, b, a), W2: rows(W2, c, b), byBackward, product,
    checks: [check(`Jacobian by ${c} backward passes vs W₂W₁ (${c}×${a})`, maxAbsDiff(byBackward.flat(), prod), 1e-12)],
  };
}
