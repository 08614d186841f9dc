// The sparse first layer against the dense one on the same numbers, on every backend:
//   - the kernels (sparseGemmForward / sparseGemmBackward) against the dense GEMM on the densified
//     batch (float32 on every backend; float64 once, on the reference, tight);
//   - Linear.forwardSparse and its backward against Linear.forward / backward on the dense
//     normalised batch (global and per-feature normalisation), gradients accumulating;
//   - whole training steps (forward, loss, backward, SGD step with and without momentum) of an MLP fed the
//     sparse batch against the same MLP fed the dense batch.
// Data: "ink on paper" rows, background 1 with about 9 % of the entries elsewhere (0, and a few
// grey levels), like Omniglot's images.
//
// Products are compared with |Δ| ≤ TOL.sparseProduct32 · (the same product on magnitudes) (the
// sum of the magnitudes of the terms: float32 rounding of each term and of the sum); training
// steps elementwise with TOL.sparseSteps32.

import { expect, it } from 'vitest';
import { kernelsFor } from '../src/backend.js';
import { refKernels } from '../src/kernels/ref/index.js';
import { Linear } from '../src/layers/linear.js';
import { CrossEntropyLoss } from '../src/layers/losses.js';
import { Conv2d } from '../src/layers/conv.js';
import { Sequential } from '../src/layers/sequential.js';
import { SparseRows, rowIndices, type SparseBatch } from '../src/layers/sparse-input.js';
import { mlp } from '../src/models/mlp.js';
import { SGD } from '../src/optim/sgd.js';
import { Random } from '../src/random.js';
import { Tensor, type DType, type FloatArray } from '../src/tensor.js';
import { computeNormalization, normalizeInto, type Normalization } from '../src/train/loader.js';
import { describeBackends, describeOnce, expectOnBackend, tensorOnBackend } from './backends.js';
import { expectClose } from './harness.js';
import { inkRowsOf } from './ink-rows.js';
import { TOL } from './tolerances.js';

const F = 300;
const ROWS = 40;

/** ROWS × F "ink on paper" values (ink-rows.ts), seeded. */
function inkRows(seed: number): Float32Array {
  return inkRowsOf(seed, ROWS, F);
}

/** The normalised dense batch of `rows` (same arithmetic as the loader's dense path). */
function denseBatch(x: Float32Array, rows: ArrayLike<number>, norm: Normalization, dtype: DType): Tensor {
  const out = dtype === 'float64' ? new Float64Array(rows.length * F) : new Float32Array(rows.length * F);
  for (let i = 0; i < rows.length; i++) normalizeInto(x, rows[i]! * F, F, norm, out, i * F);
  return tensorOnBackend(out, [rows.length, F], dtype);
}

function sparseBatch(x: Float32Array, rows: readonly number[], norm: Normalization, dtype: DType = 'float32'): SparseBatch {
  const matrix = SparseRows.fromDense(x, ROWS, F, { background: 1, mean: norm.mean, std: norm.std, dtype });
  const idx = rowIndices(rows.length);
  idx.set(rows);
  return { matrix, rows: idx };
}

/** |got − want| ≤ rel·bound elementwise (NaN must meet NaN). */
function expectWithin(got: ArrayLike<number>, want: ArrayLike<number>, bound: ArrayLike<number>, rel: number, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i]! - want[i]!) <= rel * bound[i]! + 1e-30;
    if (!ok) expect.fail(`${what}: element ${i} is ${got[i]}, dense ${want[i]} (|diff| ${Math.abs(got[i]! - want[i]!).toExponential(3)} > ${rel}·${bound[i]!.toExponential(3)})`);
  }
}

const absOf = (a: FloatArray): Float64Array => Float64Array.from(a, Math.abs);

/** A random permuted batch of 23 rows, with a repeat (a batch is any list of indices). */
const BATCH = [5, 17, 0, 39, 22, 8, 8, 31, 12, 3, 26, 19, 35, 1, 14, 28, 10, 37, 6, 24, 33, 2, 21];

function linearPair(dtype: DType, inF: number, outF: number): [Linear, Linear] {
  const a = new Linear(inF, outF, { dtype, rng: new Random(4) });
  const b = new Linear(inF, outF, { dtype, rng: new Random(4) });
  return [a, b];
}

function checkLinear(dtype: DType, rel: number, norm: Normalization): void {
  const x = inkRows(1);
  const sparse = sparseBatch(x, BATCH, norm, dtype);
  const dense = denseBatch(x, BATCH, norm, dtype);
  const [ls, ld] = linearPair(dtype, F, 37);
  const ys = ls.forwardSparse(sparse);
  const yd = ld.forward(dense);
  // bound: |x̂|·|W|ᵀ + |b|
  const B = BATCH.length;
  const by = new Float64Array(B * 37);
  refKernels.gemm(false, true, B, 37, F, 1, absOf(dense.data), absOf(ld.weight.value.data), 0, by);
  for (let i = 0; i < by.length; i++) by[i]! += Math.abs(ld.bias!.value.data[i % 37]!);
  expectWithin(ys.data, yd.data, by, rel, `y (${dtype}, ${norm.mode})`);

  const dy = tensorOnBackend(Float32Array.from({ length: B * 37 }, (_, i) => Math.sin(i)), [B, 37], dtype);
  const bW = new Float64Array(37 * F);
  refKernels.gemm(true, false, 37, F, B, 2, absOf(dy.data), absOf(dense.data), 0, bW);
  for (let round = 1; round <= 2; round++) {
    // gradients accumulate: the second backward doubles them
    const dxs = ls.backward(dy);
    const dxd = ld.backward(dy);
    expectWithin(ls.weight.grad.data, ld.weight.grad.data, bW, rel, `weight.grad after ${round} backward (${dtype}, ${norm.mode})`);
    expect(Array.from(ls.bias!.grad.data), `bias.grad after ${round} backward`).toEqual(Array.from(ld.bias!.grad.data));
    // dx, when asked for, is the dense dy·W: the same product on the same numbers
    expect(Array.from(dxs.data), 'dx').toEqual(Array.from(dxd.data));
  }
}

describeOnce('sparse first layer, float64 (reference kernels)', () => {
  it('Linear.forwardSparse / backward = forward / backward on the dense batch (global and per-feature normalisation)', () => {
    const x = inkRows(1);
    const split = { x, y: new Int32Array(ROWS), n: ROWS };
    checkLinear('float64', TOL.sparseProduct64, computeNormalization(split, F, 'global'));
    checkLinear('float64', TOL.sparseProduct64, computeNormalization(split, F, 'per-feature'));
    checkLinear('float64', TOL.sparseProduct64, { mode: 'none', mean: [0], std: [1] });
  });

  it('refuses a batch of other features, another dtype, and a first layer that is not Linear', () => {
    const x = inkRows(1);
    const norm: Normalization = { mode: 'none', mean: [0], std: [1] };
    expect(() => new Linear(F + 1, 4).forwardSparse(sparseBatch(x, [0, 1], norm))).toThrow(/expected a sparse batch of 301 features, got 300/);
    expect(() => new Linear(F, 4, { dtype: 'float64' }).forwardSparse(sparseBatch(x, [0, 1], norm))).toThrow(/float32 sparse batch but the weights are float64/);
    const cnn = new Sequential(new Conv2d(1, 2, 3), new Linear(2, 2));
    expect(cnn.acceptsSparse()).toBe(false);
    expect(() => cnn.forwardSparse(sparseBatch(x, [0], norm))).toThrow(/first layer Conv2d.*needs a dense tensor/);
    expect(() => new Linear(F, 4).backward(new Tensor(new Float32Array(4), [1, 4]))).toThrow(/backward\(\) called before forward/);
  });

  it('SparseRows stores exactly the entries that differ from the background, normalised', () => {
    const x = Float32Array.from([1, 0, 1, 0.5, 1, 1, NaN, 1, 1]);
    const m = SparseRows.fromDense(x, 3, 3, { background: 1, mean: [0.5], std: [2] });
    expect(Array.from(m.rowPtr)).toEqual([0, 1, 2, 3]);
    expect(Array.from(m.colIdx)).toEqual([1, 0, 0]);
    // s' = (x − 1)/2, c = (1 − 0.5)/2: s' + c = (x − 0.5)/2
    expect(Array.from(m.values.subarray(0, 2))).toEqual([-0.5, -0.25]);
    expect(Number.isNaN(m.values[2]!)).toBe(true);
    expect(Array.from(m.constant)).toEqual([0.25, 0.25, 0.25]);
    const dense = new Float32Array(6);
    m.densify([1, 0], dense);
    expect(Array.from(dense)).toEqual([0.25 - 0.25, 0.25, 0.25, 0.25, 0.25 - 0.5, 0.25]);
    expect(m.bytes).toBe(3 * 4 + 3 * 4 + 4 * 4 + 3 * 4);
    expect(() => SparseRows.fromDense(x, 3, 4, { background: 1 })).toThrow(/holds 9 values, expected 3 rows × 4 features/);
    expect(() => SparseRows.fromDense(x, 3, 3, { background: NaN })).toThrow(/background must be a finite number/);
  });
});

describeBackends('sparse first layer', (run) => {
  it('the kernels = the dense GEMM on the densified batch', () => {
    const x = inkRows(2);
    const norm: Normalization = { mode: 'global', mean: [0.9], std: [0.3] };
    const sparse = sparseBatch(x, BATCH, norm);
    const m = sparse.matrix;
    expectOnBackend(run, [m.values, m.constant], 'SparseRows storage');
    const B = BATCH.length, N = 45;
    const A = new Float32Array(B * F);
    m.densify(BATCH, A);
    const Ad = tensorOnBackend(A, [B, F], 'float32');
    const rng = new Random(9);
    const W = tensorOnBackend(Float32Array.from({ length: N * F }, () => rng.normal()), [N, F], 'float32');
    const k = kernelsFor('float32');
    const ys = new Float32Array(B * N), yd = new Float32Array(B * N);
    k.sparseGemmForward(B, N, F, sparse.rows, m.rowPtr, m.colIdx, m.values, m.constant, W.data, ys);
    k.gemm(false, true, B, N, F, 1, Ad.data, W.data, 0, yd);
    const by = new Float64Array(B * N);
    refKernels.gemm(false, true, B, N, F, 1, absOf(A), absOf(W.data), 0, by);
    expectWithin(ys, yd, by, TOL.sparseProduct32, 'sparseGemmForward vs gemm');

    const dy = tensorOnBackend(Float32Array.from({ length: B * N }, () => rng.normal()), [B, N], 'float32');
    const dWs = new Float32Array(N * F).fill(0.5), dWd = new Float32Array(N * F).fill(0.5);
    k.sparseGemmBackward(B, N, F, sparse.rows, m.rowPtr, m.colIdx, m.values, m.constant, dy.data, 1, dWs);
    k.gemm(true, false, N, F, B, 1, dy.data, Ad.data, 1, dWd);
    const bW = new Float64Array(N * F).fill(0.5);
    refKernels.gemm(true, false, N, F, B, 1, absOf(dy.data), absOf(A), 1, bW);
    expectWithin(dWs, dWd, bW, TOL.sparseProduct32, 'sparseGemmBackward vs gemm');
  });

  it('Linear.forwardSparse / backward = forward / backward on the dense batch (global, per-feature, none)', () => {
    const x = inkRows(1);
    const split = { x, y: new Int32Array(ROWS), n: ROWS };
    checkLinear('float32', TOL.sparseProduct32, computeNormalization(split, F, 'global'));
    checkLinear('float32', TOL.sparseProduct32, computeNormalization(split, F, 'per-feature'));
    checkLinear('float32', TOL.sparseProduct32, { mode: 'none', mean: [0], std: [1] });
  });

  // momentum 0.9 steps W from the gradient; plain SGD (momentum 0) takes the packed weight's fused
  // step on the wasm backend (layers/sparse-packed.ts)
  for (const momentum of [0.9, 0]) it(`training steps (forward, cross-entropy, backward, SGD with momentum ${momentum}): the sparse MLP follows the dense one`, () => {
    const x = inkRows(3);
    const split = { x, y: new Int32Array(ROWS), n: ROWS };
    const norm = computeNormalization(split, F, 'global');
    const labels = Int32Array.from(BATCH, (r) => r % 5);
    const build = (): { net: Sequential; opt: SGD } => {
      const net = mlp(F, [60], 5, { rng: new Random(11) });
      net.layers[0]!.computeInputGradient = false;
      return { net, opt: new SGD(net.parameters(), { lr: 0.05, momentum }) };
    };
    const s = build(), d = build();
    const sparse = sparseBatch(x, BATCH, norm);
    const dense = denseBatch(x, BATCH, norm, 'float32');
    const lossS = new CrossEntropyLoss(), lossD = new CrossEntropyLoss();
    for (let step = 1; step <= 5; step++) {
      const zs = s.net.forwardSparse(sparse);
      const zd = d.net.forward(dense);
      expectClose(zs.data, zd.data, TOL.sparseSteps32, `logits before step ${step}`);
      const Ls = lossS.forward(zs, labels), Ld = lossD.forward(zd, labels);
      expect(Math.abs(Ls - Ld), `loss at step ${step}: ${Ls} vs ${Ld}`).toBeLessThanOrEqual(TOL.sparseSteps32.rtol * Math.abs(Ld) + TOL.sparseSteps32.atol);
      s.opt.zeroGrad();
      d.opt.zeroGrad();
      s.net.backward(lossS.backward());
      d.net.backward(lossD.backward());
      s.opt.step();
      d.opt.step();
      s.net.parameters().forEach((p, i) => {
        expectClose(p.value.data, d.net.parameters()[i]!.value.data, TOL.sparseSteps32, `${p.name} of layer after step ${step}`);
      });
    }
  });
}, { threadedGemm: false });
