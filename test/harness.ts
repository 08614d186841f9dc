// The shared verification harness. One layer's gradients are proven four ways:
//   (1) backward = central finite differences in float64 (the library's public gradcheck),
//       for the input and every parameter, relative error ≤ TOL.gradcheck;
//   (2) forward, dL/dx and dL/dθ = TensorFlow.js's autograd (tf.grads, cpu, float32) on the
//       same float32 input, weights and projection L = Σ y·r;
//   (3) forward and backward = PyTorch's values from test/fixtures/layers.json (same input,
//       weights and r), in float64 and in float32;
//   (4) backward twice after one forward returns the same dx and doubles the parameter gradients.
// The input, weights, r and dropout mask all come from the fixture (written by
// scripts/make_fixtures.py, inputs already away from kinks), so all four checks see the same numbers.
//
// The float64 checks (1), (3, float64), (4, float64) run once: checkLayerFloat64, on the reference
// kernels, which every backend uses for float64. The float32 checks (2), (3, float32), (4, float32)
// run once per backend of test/backends.ts: checkLayerFloat32(c, run), inside describeBackends,
// with the tolerances of that backend (tol32 in tolerances.ts).

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradcheck, nn, Random, type Tensor, type DType } from '../src/index.js';
import type { LayerCase } from '../src/check/suite.js';
import { backend } from '../src/backend.js';
import { expectOnBackend, tensorOnBackend, type BackendRun } from './backends.js';
import { initTfjs, tfjsLayerGrads } from './tfjs-oracle.js';
import { TOL, tol32, toleranceName, type Tolerance } from './tolerances.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const cache = new Map<string, unknown>();

/** A parsed fixture file from test/fixtures/ (cached). */
export function fixture<T>(file: string): T {
  if (!cache.has(file)) cache.set(file, JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')));
  return cache.get(file) as T;
}

/**
 * Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise; the failure message names
 * the quantity, the worst element and both values. NaN or ±∞ where the reference is finite fails.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, what: string): void {
  expect(actual.length, `${what}: number of elements`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  let ratio = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const bound = tol.atol + tol.rtol * Math.abs(e);
    const err = a === e ? 0 : Math.abs(a - e);
    const excess = Number.isNaN(err) ? Infinity : err - bound;
    if (excess > 0 && (worst < 0 || excess > worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
    if (err > 0) ratio = Math.max(ratio, bound > 0 ? err / bound : Infinity);
  }
  if (REPORT_DIR) record(tol, ratio, what);
  if (worst >= 0) {
    const a = actual[worst]!;
    const e = expected[worst]!;
    expect.fail(
      `${what}: element ${worst} is ${a}, expected ${e} (|diff| ${Math.abs(a - e).toExponential(3)} > ` +
        `atol ${tol.atol} + rtol ${tol.rtol}·|expected|)`,
    );
  }
}

// ---- measuring the tolerances ---------------------------------------------------------------
// HANDGRAD_TOL_REPORT=<dir> npx vitest run test/... writes, per test file, the worst
// |diff| / (atol + rtol·|expected|) seen for each tolerance row on each backend, to
// <dir>/tolerances-<pid>.json: how the "measured worst case" figures in tolerances.ts are found.

const REPORT_DIR = process.env.HANDGRAD_TOL_REPORT;
const worstSeen = new Map<string, { ratio: number; what: string }>();

function record(tol: Tolerance, ratio: number, what: string): void {
  const key = `${toleranceName(tol)} @ ${backend().describe()}`;
  const prev = worstSeen.get(key);
  if (prev && ratio <= prev.ratio) return;
  worstSeen.set(key, { ratio, what });
  // written on every new worst (a few dozen times per file): vitest ends its workers without 'exit'
  mkdirSync(REPORT_DIR!, { recursive: true });
  const rows = Object.fromEntries([...worstSeen].sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(join(REPORT_DIR!, `tolerances-${process.pid}.json`), JSON.stringify(rows, null, 1));
}

/** Asserts a plain number is close. */
export function expectCloseNumber(actual: number, expected: number, tol: Tolerance, what: string): void {
  expectClose([actual], [expected], tol, what);
}

// ---- layer fixtures ---------------------------------------------------------------------

export interface LayerFixture {
  inputShape: number[];
  input: number[];
  params: Record<string, number[]>;
  paramShapes: Record<string, number[]>;
  r: number[];
  outputShape: number[];
  output: number[];
  dx: number[];
  grads: Record<string, number[]>;
  /** PyTorch's buffers (BatchNorm's running statistics) before the forward, and after it. */
  buffers: Record<string, number[]>;
  bufferShapes: Record<string, number[]>;
  buffersAfter: Record<string, number[]>;
  /** The input holds integer indices (Embedding): not differentiable, its gradient is zeros. */
  inputIsIndex?: boolean;
  mask?: number[];
  p?: number;
  mode?: 'inverted' | 'cmu';
  training?: boolean;
}

export function layerFixture(name: string): LayerFixture {
  const all = fixture<{ cases: Record<string, LayerFixture> }>('layers.json').cases;
  const fx = all[name];
  if (!fx) throw new Error(`test/fixtures/layers.json has no case '${name}'; regenerate with scripts/make_fixtures.py`);
  return fx;
}

export function layerFixtureNames(): string[] {
  return Object.keys(fixture<{ cases: Record<string, LayerFixture> }>('layers.json').cases);
}

/** Copies PyTorch's parameters into the layer by name, checking the names and the shapes agree. */
export function loadParameters(layer: nn.Module, params: Record<string, number[]>, shapes?: Record<string, number[]>): void {
  const named = layer.namedParameters();
  expect(named.map(([n]) => n).sort(), `${layer.describe()}: parameter names vs PyTorch's`).toEqual(Object.keys(params).sort());
  for (const [name, p] of named) {
    if (shapes) expect([...p.value.shape], `${layer.describe()}: shape of ${name}`).toEqual(shapes[name]);
    p.value.data.set(params[name]!);
  }
}

/** Copies PyTorch's buffers into the layer by name, checking the names (PyTorch's named_buffers) and shapes agree. */
export function loadBuffers(layer: nn.Module, buffers: Record<string, number[]>, shapes: Record<string, number[]>): void {
  const named = layer.namedBuffers();
  expect(named.map(([n]) => n).sort(), `${layer.describe()}: buffer names vs PyTorch's`).toEqual(Object.keys(buffers).sort());
  for (const [name, t] of named) {
    expect([...t.shape], `${layer.describe()}: shape of buffer ${name}`).toEqual(shapes[name]);
    t.data.set(buffers[name]!);
  }
}

/** Gives every Dropout inside `layer` the keep-mask for its next training forward. */
export function setMasks(layer: nn.Module, mask: Tensor | undefined): void {
  if (!mask) return;
  if (layer instanceof nn.Dropout) layer.setMask(mask);
  for (const [, c] of layer.children()) setMasks(c, mask);
}

/**
 * A case of the gradcheck suite (src/check/suite.ts): its name is the key of its fixture in
 * test/fixtures/layers.json. `make` builds the layer (float32; the harness converts it and loads
 * PyTorch's parameters); it is called inside the tests, after the backend is selected, so the
 * backend allocates the parameters.
 */
export type { LayerCase };

interface Prepared {
  layer: nn.Module;
  x: Tensor;
  r: Tensor;
  mask: Tensor | undefined;
}

/**
 * The layer in `dtype` with the fixture's parameters and mode, and the fixture's x, r and mask,
 * all allocated by the current backend (call it after the backend is selected).
 */
export function prepare(c: LayerCase, fx: LayerFixture, dtype: DType): Prepared {
  const layer = c.make(new Random(0)).to(dtype);
  expect(fx.training === false, `${c.name}: eval mode in the case and in the fixture`).toBe(c.eval === true);
  if (c.eval) layer.eval();
  loadParameters(layer, fx.params, fx.paramShapes);
  loadBuffers(layer, fx.buffers, fx.bufferShapes);
  return {
    layer,
    x: tensorOnBackend(fx.input, fx.inputShape, dtype),
    r: tensorOnBackend(fx.r, fx.outputShape, dtype),
    mask: fx.mask ? tensorOnBackend(fx.mask, fx.inputShape, dtype) : undefined,
  };
}

export interface ForwardBackward {
  output: Tensor;
  dx: Tensor;
  grads: Record<string, Tensor>;
}

/** One forward and one backward(r) from zeroed gradients; results cloned. */
export function forwardBackward({ layer, x, r, mask }: Prepared): ForwardBackward {
  layer.zeroGrad();
  setMasks(layer, mask);
  const output = layer.forward(x).clone();
  const dx = layer.backward(r).clone();
  const grads = Object.fromEntries(layer.namedParameters().map(([n, p]) => [n, p.grad.clone()]));
  return { output, dx, grads };
}

/** Two backwards after one forward: the same dx, and parameter gradients doubled (and not zero). */
function checkBackwardTwice(c: LayerCase, fx: LayerFixture, dtype: DType, tol: Tolerance): void {
  const { layer, x, r, mask } = prepare(c, fx, dtype);
  layer.zeroGrad();
  setMasks(layer, mask);
  layer.forward(x);
  const dx1 = layer.backward(r).clone();
  const g1 = layer.parameters().map((p) => p.grad.clone());
  const dx2 = layer.backward(r).clone();
  const g2 = layer.parameters().map((p) => p.grad.clone());
  expectClose(dx2.data, dx1.data, TOL.twiceDx, `${c.name} (${dtype}): dx of the second backward`);
  if (fx.inputIsIndex) expect(dx1.data.every((v) => v === 0), `${c.name}: the "gradient" of indices is zeros`).toBe(true);
  layer.namedParameters().forEach(([n], i) => {
    const doubled = g1[i]!.data.map((v) => 2 * v);
    expectClose(g2[i]!.data, doubled, tol, `${c.name} (${dtype}): ${n}.grad after two backwards`);
    // and the gradient is not trivially zero, or doubling would prove nothing
    expect(g1[i]!.data.some((v) => v !== 0), `${c.name}: ${n}.grad is all zero`).toBe(true);
  });
  if (!fx.inputIsIndex) expect(dx1.data.some((v) => v !== 0), `${c.name}: dx is all zero`).toBe(true);
}

/** Forward and backward against PyTorch's fixture values, with shapes, and the buffers forward left. */
function checkAgainstTorch(c: LayerCase, fx: LayerFixture, dtype: DType, tol: Tolerance): void {
  const prep = prepare(c, fx, dtype);
  const ours = forwardBackward(prep);
  for (const [n, t] of prep.layer.namedBuffers()) {
    expect(t.dtype, `${c.name}: dtype of buffer ${n}`).toBe(dtype);
    expectClose(t.data, fx.buffersAfter[n]!, tol, `${c.name} (${dtype}): buffer ${n} after the forward vs PyTorch`);
  }
  expect([...ours.output.shape], `${c.name}: output shape`).toEqual(fx.outputShape);
  expect([...ours.dx.shape], `${c.name}: dx shape`).toEqual(fx.inputShape);
  expect(ours.output.dtype).toBe(dtype);
  expectClose(ours.output.data, fx.output, tol, `${c.name} (${dtype}): output vs PyTorch`);
  expectClose(ours.dx.data, fx.dx, tol, `${c.name} (${dtype}): dL/dx vs PyTorch`);
  for (const [n, g] of Object.entries(ours.grads)) expectClose(g.data, fx.grads[n]!, tol, `${c.name} (${dtype}): dL/d${n} vs PyTorch`);
}

/**
 * The float64 checks of one layer case, (1), (3) and (4) in float64: run once (inside
 * describeOnce), since every backend runs float64 on the reference kernels.
 */
export function checkLayerFloat64(c: LayerCase): void {
  describe(c.name, () => {
    const fx = layerFixture(c.name);

    it('(1) backward = central finite differences in float64', () => {
      const { layer, x, mask } = prepare(c, fx, 'float64');
      const checkInput = !fx.inputIsIndex;
      const res = gradcheck(layer, x, { tolerance: TOL.gradcheck, checkInput, beforeForward: () => setMasks(layer, mask) });
      expect(res.entries.map((e) => e.tensor)).toEqual([...(checkInput ? ['input'] : []), ...layer.namedParameters().map(([n]) => n)]);
      for (const e of res.entries) {
        const size = e.tensor === 'input' ? x.size : fx.params[e.tensor]!.length;
        expect(e.checked, `${c.name}: entries of ${e.tensor} checked`).toBe(size);
        expect(
          e.maxRelativeError,
          `${c.name}: ${e.tensor} at index ${e.worstIndex}: analytic ${e.analytic}, numeric ${e.numeric}`,
        ).toBeLessThanOrEqual(TOL.gradcheck);
      }
      expect(res.passed).toBe(true);
    });

    it('(3) forward and backward = PyTorch in float64', () => {
      checkAgainstTorch(c, fx, 'float64', TOL.torch64);
    });

    it('(4) backward twice doubles the parameter gradients and returns the same dx (float64)', () => {
      checkBackwardTwice(c, fx, 'float64', TOL.twiceGrad64);
    });
  });
}

/**
 * The float32 checks of one layer case, (2), (3) and (4) in float32, on the backend of `run`
 * (call inside describeBackends, which selects it), with that backend's float32 tolerances.
 */
export function checkLayerFloat32(c: LayerCase, run: BackendRun): void {
  describe(c.name, () => {
    const fx = layerFixture(c.name);
    const tol = tol32(run);

    beforeAll(() => initTfjs());

    it('(2) forward and backward = TensorFlow.js tf.grads in float32', () => {
      const prep = prepare(c, fx, 'float32');
      const ours = forwardBackward(prep);
      const params = Object.fromEntries(prep.layer.namedParameters().map(([n, p]) => [n, p.value]));
      const theirs = tfjsLayerGrads(prep.layer, prep.x, params, prep.r, { mask: prep.mask, inputIsIndex: fx.inputIsIndex === true });
      expectClose(ours.output.data, theirs.output, tol.tfjs32, `${c.name}: output vs tfjs`);
      expectClose(ours.dx.data, theirs.dx, tol.tfjs32, `${c.name}: dL/dx vs tfjs`);
      for (const [n, g] of Object.entries(ours.grads)) expectClose(g.data, theirs.grads[n]!, tol.tfjs32, `${c.name}: dL/d${n} vs tfjs`);
    });

    it('(3) forward and backward = PyTorch in float32', () => {
      checkAgainstTorch(c, fx, 'float32', tol.torch32);
    });

    if (Object.keys(fx.params).length + Object.keys(fx.buffers).length > 0) it('parameters, gradients and buffers are stored by the backend', () => {
      const { layer } = prepare(c, fx, 'float32');
      expectOnBackend(run, layer.parameters().flatMap((p) => [p.value.data, p.grad.data]), `${c.name}: parameters`);
      expectOnBackend(run, layer.namedBuffers().map(([, t]) => t.data), `${c.name}: buffers`);
    });

    it('(4) backward twice doubles the parameter gradients and returns the same dx (float32)', () => {
      checkBackwardTwice(c, fx, 'float32', tol.twiceGrad32);
    });
  });
}
