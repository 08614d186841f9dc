// The packed first layer (kernels/packed.ts, layers/sparse-packed.ts) on every wasm run: the same
// bits as the table's sparse kernels and sgdStep, and, end to end, a model trained on sparse
// batches with the packed weight and deferred gradients is bit for bit the model trained on the
// same backend without them (a backend object with no packedSparse), whatever reads or writes
// the parameters between steps: p.grad read before the step, gradient clipping, momentum, Adam,
// gradients accumulated over two backwards, the weight read and overwritten between steps.
// Data: "ink on paper" rows (background 1, ~9 % of the entries elsewhere, grey levels included,
// so the values of the sparse form are not all equal).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateFor, kernelsFor, setBackend, type BackendKind } from '../../src/backend.js';
import type { PackedSparseKernels } from '../../src/kernels/packed.js';
import type { Backend as AnyBackend } from '../../src/kernels/table.js';

type Backend = AnyBackend<BackendKind>;
import { CrossEntropyLoss } from '../../src/layers/losses.js';
import type { Sequential } from '../../src/layers/sequential.js';
import { SparseRows, rowIndices, type SparseBatch } from '../../src/layers/sparse-input.js';
import { mlp } from '../../src/models/mlp.js';
import { Adam } from '../../src/optim/adam.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { SGD } from '../../src/optim/sgd.js';
import { Random } from '../../src/random.js';
import { BACKENDS, FLOAT64_RUN, useBackend } from '../backends.js';
import { inkRowsOf } from '../ink-rows.js';

const F = 300;
const ROWS = 48;

/**
 * ROWS × F "ink on paper" values (ink-rows.ts), seeded; `binary`: grey levels set to 0, so that
 * every stored value of the sparse form is one number (SparseRows.uniform, as Omniglot's).
 */
function inkRows(seed: number, binary = false): Float32Array {
  const x = inkRowsOf(seed, ROWS, F);
  return binary ? x.map((v) => (v === 1 ? 1 : 0)) : x;
}

function batchOf(matrix: SparseRows, rows: readonly number[]): SparseBatch {
  const idx = rowIndices(rows.length);
  idx.set(rows);
  return { matrix, rows: idx };
}

/** Float32 backend storage holding `values` (wasm memory on wasm). */
function stored(values: ArrayLike<number>): Float32Array {
  const a = allocateFor('float32', values.length) as Float32Array;
  a.set(values);
  return a;
}

function bits(a: ArrayLike<number>): Uint32Array {
  return new Uint32Array(Float32Array.from(a).buffer);
}

function expectSameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  const x = bits(a), y = bits(b);
  expect(x.length, `${what}: length`).toBe(y.length);
  let first = -1;
  for (let i = 0; i < x.length && first < 0; i++) if (x[i] !== y[i]) first = i;
  expect(first, `${what}: first differing element ${first} (${a[first]} vs ${b[first]})`).toBe(-1);
}

/** The backend with its packed products counted, and the same backend without them. */
function variants(b: Backend): { packed: Backend; plain: Backend; calls: Record<string, number> } {
  const k = b.packedSparse!;
  const calls: Record<string, number> = {};
  const counted = Object.fromEntries(
    Object.entries(k).map(([name, f]) => [name, (...args: unknown[]) => {
      calls[name] = (calls[name] ?? 0) + 1;
      return Reflect.apply(f as (...a: unknown[]) => unknown, k, args);
    }]),
  ) as unknown as PackedSparseKernels;
  return { packed: { ...b, packedSparse: counted }, plain: { ...b, packedSparse: undefined }, calls };
}

type Step = (net: Sequential, opt: Optimizer, loss: () => void) => void;

/**
 * Trains two copies of one MLP (F → 37 → 5) on sparse batches of 8 rows for `steps` steps, one on
 * `packed`, one on `plain`, each step run by `step`; returns every parameter's values after each step.
 */
function twin(packed: Backend, plain: Backend, optimizer: (net: Sequential) => Optimizer, steps: number, step: Step, binary = false): Float32Array[][][] {
  const x = inkRows(5, binary);
  const out: Float32Array[][][] = [];
  for (const b of [packed, plain]) {
    setBackend(b);
    const matrix = SparseRows.fromDense(x, ROWS, F, { background: 1, mean: [0.85], std: [0.33] });
    const net = mlp(F, [37], 5, { rng: new Random(17) });
    net.layers[0]!.computeInputGradient = false;
    const opt = optimizer(net);
    const ce = new CrossEntropyLoss();
    const trace: Float32Array[][] = [];
    for (let s = 0; s < steps; s++) {
      const rows = Array.from({ length: 8 }, (_, i) => (s * 8 + i * 5) % ROWS);
      const labels = Int32Array.from(rows, (r) => r % 5);
      const batch = batchOf(matrix, rows);
      step(net, opt, () => {
        ce.forward(net.forwardSparse(batch), labels);
        net.backward(ce.backward());
      });
      trace.push(net.parameters().map((p) => Float32Array.from(p.value.data)));
    }
    out.push(trace);
  }
  return out;
}

function expectSameTraces([a, b]: Float32Array[][][], what: string): void {
  a!.forEach((params, s) => params.forEach((p, i) => expectSameBits(p, b![s]![i]!, `${what}: parameter ${i} after step ${s + 1}`)));
}

for (const run of BACKENDS.filter((r) => r.name === 'wasm')) {
  describe(`packed sparse first layer [${run.label}]`, () => {
    let base: Backend;
    beforeAll(async () => {
      base = await useBackend(run);
    });
    afterAll(async () => {
      await useBackend(FLOAT64_RUN);
    });

    it('the packed products give the bits of sparseGemmForward, sparseGemmBackward (beta 0 and 1) and sgdStep', () => {
      setBackend(base);
      const k = base.packedSparse!;
      expect(k, 'the wasm backend has the packed products').toBeDefined();
      const t = kernelsFor('float32');
      const rng = new Random(3);
      for (const [N, binary] of [[37, false], [150, false], [37, true], [150, true]] as const) {
        const matrix = SparseRows.fromDense(inkRows(N, binary), ROWS, F, { background: 1, mean: [0.85], std: [0.33] });
        if (binary) expect(matrix.uniform, 'binary data: one stored value').toBeCloseTo(-1 / 0.33, 5);
        else expect(matrix.uniform, 'grey levels: values differ').toBeNull();
        const rows = Array.from({ length: 40 }, (_, i) => (i * 7) % ROWS);
        const { rows: idx } = batchOf(matrix, rows);
        const M = rows.length;
        const { rowPtr, colIdx, values, constant: c } = matrix;
        const W = stored(Array.from({ length: N * F }, () => rng.uniform() - 0.5));
        const Wt = allocateFor('float32', k.packedSize(N, F)) as Float32Array;
        expect(k.pack(W, N, F, Wt)).toBe(true);
        const W2 = stored(new Float32Array(N * F));
        expect(k.unpack(Wt, N, F, W2)).toBe(true);
        expectSameBits(W2, W, `N=${N}: unpack(pack(W))`);
        const u = matrix.uniform;
        let nnz = 0;
        for (const r of rows) nnz += rowPtr[r + 1]! - rowPtr[r]!;
        const block = (n: number): Int32Array => {
          const f = allocateFor('float32', n);
          return new Int32Array(f.buffer, f.byteOffset, n);
        };
        const columns = () => ({ colPtr: block(F + 1), entRow: block(nnz), entVal: allocateFor('float32', nnz) });
        const y = stored(new Float32Array(M * N)), y2 = stored(new Float32Array(M * N));
        t.sparseGemmForward(M, N, F, idx, rowPtr, colIdx, values, c, W, y);
        // the forward alone, and with the batch's sort in the same job
        expect(k.forward(M, N, F, idx, rowPtr, colIdx, values, u, c, Wt, y2, null)).toBe(true);
        expectSameBits(y2, y, `N=${N}, binary ${binary}: forward`);
        const sorted = columns();
        y2.fill(0);
        expect(k.forward(M, N, F, idx, rowPtr, colIdx, values, u, c, Wt, y2, sorted)).toBe(true);
        expectSameBits(y2, y, `N=${N}, binary ${binary}: forward that also sorts`);
        const cols = columns();
        expect(k.columns(M, F, idx, rowPtr, colIdx, values, cols)).toBe(true);
        expect(Array.from(sorted.colPtr)).toEqual(Array.from(cols.colPtr));
        expect(Array.from(sorted.entRow)).toEqual(Array.from(cols.entRow));
        expectSameBits(sorted.entVal, cols.entVal, `N=${N}: the forward's sort`);
        const dy = stored(Array.from({ length: M * N }, () => rng.uniform() - 0.5));
        for (const beta of [0, 1]) {
          const start = Array.from({ length: N * F }, () => rng.uniform());
          const dW = stored(start), dW2 = stored(start);
          t.sparseGemmBackward(M, N, F, idx, rowPtr, colIdx, values, c, dy, beta, dW);
          expect(k.gradient(M, N, F, cols, u, c, dy, beta, dW2)).toBe(true);
          expectSameBits(dW2, dW, `N=${N}, binary ${binary}: gradient, beta ${beta}`);
        }
        const dW = stored(new Float32Array(N * F));
        t.sparseGemmBackward(M, N, F, idx, rowPtr, colIdx, values, c, dy, 0, dW);
        t.sgdStep(W, dW, new Float32Array(0), { lr: 0.07, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, firstStep: true });
        expect(k.sgd(M, N, F, cols, u, c, dy, 0.07, Wt)).toBe(true);
        expect(k.unpack(Wt, N, F, W2)).toBe(true);
        expectSameBits(W2, W, `N=${N}, binary ${binary}: sgd = sparseGemmBackward then sgdStep`);
      }
    });

    for (const binary of [false, true]) {
      it(`plain SGD${binary ? ', binary data' : ''}: the packed weight and the fused step train the bits of the table kernels, and run every step`, () => {
        const { packed, plain, calls } = variants(base);
        const traces = twin(packed, plain, (net) => new SGD(net.parameters(), { lr: 0.1 }), 6, (net, opt, loss) => {
          opt.zeroGrad();
          loss();
          opt.step();
        }, binary);
        expectSameTraces(traces, 'plain SGD');
        expect(calls.forward, 'packed forwards').toBe(6);
        expect(calls.sgd, 'fused SGD steps').toBe(6);
        expect(calls.gradient ?? 0, 'gradients written').toBe(0);
        setBackend(base);
      });
    }

    it('p.grad read before the step, and gradient clipping, see the gradient the table kernel writes', () => {
      const { packed, plain, calls } = variants(base);
      const grads: Float32Array[][] = [[], []];
      let which = 0;
      const traces = twin(packed, plain, (net) => new SGD(net.parameters(), { lr: 0.1 }), 4, (net, opt, loss) => {
        opt.zeroGrad();
        loss();
        grads[which]!.push(Float32Array.from(net.parameters()[0]!.grad.data));
        clipGradNorm(net.parameters(), 0.5);
        opt.step();
        if (grads[which]!.length === 4) which = 1;
      });
      expectSameTraces(traces, 'clipped SGD');
      grads[0]!.forEach((g, s) => expectSameBits(g, grads[1]![s]!, `first weight's gradient at step ${s + 1}`));
      expect(calls.gradient, 'gradients written on reading p.grad').toBe(4);
      expect(calls.sgd ?? 0, 'no fused step once the gradient is read').toBe(0);
      setBackend(base);
    });

    it('momentum SGD, Adam, and gradients accumulated over two backwards train the same bits', () => {
      const plainStep: Step = (_net, opt, loss) => {
        opt.zeroGrad();
        loss();
        opt.step();
      };
      const momentum = variants(base);
      expectSameTraces(twin(momentum.packed, momentum.plain, (net) => new SGD(net.parameters(), { lr: 0.05, momentum: 0.9 }), 5, plainStep), 'momentum SGD');
      expect(momentum.calls.sgd ?? 0, 'no fused step with momentum').toBe(0);
      const adam = variants(base);
      expectSameTraces(twin(adam.packed, adam.plain, (net) => new Adam(net.parameters(), { lr: 0.01 }), 5, plainStep), 'Adam');
      const twice = variants(base);
      expectSameTraces(twin(twice.packed, twice.plain, (net) => new SGD(net.parameters(), { lr: 0.1 }), 4, (_net, opt, loss) => {
        opt.zeroGrad();
        loss();
        loss();
        opt.step();
      }), 'two backwards per step');
      setBackend(base);
    });

    it('the weight read and overwritten between steps: every read sees the stepped weight, every write is trained on', () => {
      const { packed, plain, calls } = variants(base);
      const sums: number[][] = [[], []];
      let which = 0;
      let steps = 0;
      const traces = twin(packed, plain, (net) => new SGD(net.parameters(), { lr: 0.1 }), 6, (net, opt, loss) => {
        opt.zeroGrad();
        loss();
        opt.step();
        const w = net.parameters()[0]!;
        // a read (sums as a reader would), and every third step a write through p.value
        sums[which]!.push(Array.from(w.value.data).reduce((a, v) => a + v, 0));
        if (++steps % 3 === 0) w.value.data.fill(0.002);
        if (steps === 6) which = 1;
      });
      expectSameTraces(traces, 'SGD with reads and writes');
      expect(sums[0]).toEqual(sums[1]);
      expect(calls.unpack, 'the stepped weight written back on each read').toBe(6);
      expect(calls.sgd, 'fused steps').toBe(6);
      setBackend(base);
    });
  });
}
