// The webgpu kernels of the normalisation, softmax, pooling, embedding and NLL layers against the
// reference, on random inputs and edge shapes: a batch of 1, sizes that are not a multiple of a
// workgroup (256) or are larger than one, softmax along an inner axis, operands inside larger
// allocations, optional arrays left out, and the parameter gradients of batch and layer norm in one
// flat allocation (as an optimiser keeps them). Every call must take the device path
// (backend.counts). A training step with BatchNorm2d reads back and uploads exactly what the same
// step without it does; a training step of a model with all these layers runs no kernel on the host.
// Skipped, with the reason printed, where no adapter exists (test/backends.ts probes once).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, setBackend } from '../../src/backend.js';
import { refKernels } from '../../src/kernels/ref/index.js';
import type { Kernels } from '../../src/kernels/table.js';
import { nn, onHost, optim, Random, Tensor } from '../../src/index.js';
import { countCorrect } from '../../src/train/evaluate.js';
import { FLOAT64_RUN, useBackend, WEBGPU_SKIPPED, webgpuUnderTest } from '../backends.js';
import { expectClose } from '../harness.js';
import type { Tolerance } from '../tolerances.js';

const gpu = webgpuUnderTest();
/**
 * float32 sums on the device (strided partial sums and a tree) against the reference's float64
 * ones: a few ulps of the result, and of the largest terms where a sum of hundreds of values of
 * magnitude ~2 cancels to near 0 (atol).
 */
const TOL: Tolerance = { rtol: 1e-5, atol: 1e-5 };
const EXACT: Tolerance = { rtol: 0, atol: 0 };

/** A float array (`f`) or an index array (`i`), or an optional argument left out. */
type Spec = { f: number[] } | { i: number[] } | null;
type Arg = Float32Array | Int32Array | null;

/**
 * Arrays on the current backend holding the specs' values, each `pad` elements into a larger
 * allocation (so kernels must honour the views' offsets).
 */
function onBackend(specs: readonly Spec[], pad: number): Arg[] {
  return specs.map((s) => {
    if (s === null) return null;
    const values = 'f' in s ? s.f : s.i;
    const block = backend().allocate('float32', values.length + 2 * pad);
    const view = 'f' in s ? new Float32Array(block.buffer, block.byteOffset + pad * 4, values.length) : new Int32Array(block.buffer, block.byteOffset + pad * 4, values.length);
    onHost(view).set(values);
    return view;
  });
}
const onReference = (specs: readonly Spec[]): Arg[] =>
  specs.map((s) => (s === null ? null : 'f' in s ? Float32Array.from(s.f) : Int32Array.from(s.i)));

/**
 * Runs `call` on the webgpu kernels and on the reference with the same values, then compares its
 * return value and every array (inputs unchanged, outputs equal within `tol`); the webgpu call must
 * run on the device.
 */
function same(what: string, specs: readonly Spec[], call: (k: Kernels, a: Arg[]) => number | void, tol: Tolerance, pad = 0): void {
  const k = backend().kernels;
  const dev = onBackend(specs, pad), ref = onReference(specs);
  const [device, host] = [gpu!.counts.device, gpu!.counts.host];
  const got = call(k, dev);
  expect(gpu!.counts.host - host, `${what}: kernel calls on the host mirrors`).toBe(0);
  expect(gpu!.counts.device - device, `${what}: kernel calls on the device`).toBeGreaterThan(0);
  const want = call(refKernels, ref);
  if (typeof want === 'number') expectClose([got as number], [want], tol, `${what}: the returned value`);
  for (let i = 0; i < specs.length; i++) {
    const a = dev[i], b = ref[i];
    if (a && b) expectClose(onHost(a), b, tol, `${what}: array ${i}`);
  }
}

const F = (a: Arg): Float32Array => a as Float32Array;
const I = (a: Arg): Int32Array => a as Int32Array;
const opt = (a: Arg): Float32Array | null => a as Float32Array | null;

describe.skipIf(!gpu)(`webgpu kernels of the normalisation, softmax, pooling, embedding and NLL layers [${gpu?.describe() ?? `skipped: ${WEBGPU_SKIPPED}`}]`, () => {
  const rng = new Random(21);
  const rand = (n: number, scale = 2, shift = 0): { f: number[] } => ({ f: Array.from({ length: n }, () => shift + rng.uniformRange(-scale, scale)) });
  const positive = (n: number): { f: number[] } => ({ f: Array.from({ length: n }, () => rng.uniformRange(0.5, 2)) });
  const zeros = (n: number): { f: number[] } => ({ f: new Array<number>(n).fill(0) });

  beforeAll(() => useBackend({ label: 'webgpu', name: 'webgpu' }));
  afterAll(() => useBackend(FLOAT64_RUN));

  it('batchNormStats, batchNormForward, batchNormBackward (batch and running statistics; with and without γ, β)', () => {
    // [batch, channels, spatial]: a batch of 1 with 300 values per channel (more than a workgroup), BatchNorm1d's
    // spatial 1, an odd plane, one channel
    for (const [B, C, S] of [[1, 3, 300], [7, 5, 1], [2, 4, 13], [3, 1, 129]] as const) {
      const n = B * C * S;
      for (const pad of [0, 3]) {
        const at = `[${B}, ${C}, ${S}]${pad ? ' inside larger allocations' : ''}`;
        same(`batchNormStats ${at}`, [rand(n, 2, 3), zeros(C), zeros(C)], (k, a) => k.batchNormStats(F(a[0]!), B, C, S, F(a[1]!), F(a[2]!)), TOL, pad);
        for (const affine of [true, false]) {
          const wb = affine ? [rand(C), rand(C)] : [null, null];
          same(`batchNormForward ${at} affine ${affine}`, [rand(n), rand(C), positive(C), ...wb, zeros(n)],
            (k, a) => k.batchNormForward(F(a[0]!), B, C, S, F(a[1]!), F(a[2]!), opt(a[3]!), opt(a[4]!), F(a[5]!)), TOL, pad);
          for (const statistics of ['batch', 'running'] as const) {
            // dweight and dbias as views of one flat gradient array [dweight | dbias], accumulating onto what is there
            same(`batchNormBackward ${at} affine ${affine} ${statistics}`, [rand(n), rand(n), rand(C), positive(C), affine ? rand(C) : null, rand(2 * C), zeros(n)],
              (k, a) => {
                const g = F(a[5]!);
                k.batchNormBackward(F(a[0]!), F(a[1]!), B, C, S, F(a[2]!), F(a[3]!), opt(a[4]!), statistics, affine ? g.subarray(0, C) : null, affine ? g.subarray(C) : null, F(a[6]!));
              }, TOL, pad);
          }
        }
      }
    }
  });

  it('batchNormInvStd and batchNormRunningUpdate (one channel, channels past a workgroup; momentum and cumulative factors)', () => {
    for (const C of [1, 5, 300]) {
      for (const pad of [0, 3]) {
        const at = `${C} channels${pad ? ' inside larger allocations' : ''}`;
        same(`batchNormInvStd ${at}`, [positive(C), zeros(C)], (k, a) => k.batchNormInvStd(F(a[0]!), C, 1e-5, F(a[1]!)), TOL, pad);
        // a variance of 0 (a constant channel): 1/√ε
        same(`batchNormInvStd ${at}, zero variance`, [zeros(C), zeros(C)], (k, a) => k.batchNormInvStd(F(a[0]!), C, 1e-3, F(a[1]!)), TOL, pad);
        // factor 0.1 (momentum), 1/3 (the cumulative average's third batch), 1 (the first); unbias M/(M − 1) for M = 2, 7·13
        for (const [factor, M] of [[0.1, 2], [1 / 3, 7 * 13], [1, 91]] as const) {
          same(`batchNormRunningUpdate ${at}, factor ${factor.toFixed(3)}, M ${M}`, [rand(C), positive(C), rand(C), positive(C)],
            (k, a) => k.batchNormRunningUpdate(F(a[0]!), F(a[1]!), C, factor, M / (M - 1), F(a[2]!), F(a[3]!)), TOL, pad);
        }
      }
    }
  });

  it('a training step with BatchNorm2d reads back and uploads no more than the same step without it; its eval forward reads nothing', () => {
    // per step: the loss and the logits (the loop's accuracy) come back in one readback; the batch and its labels go up
    const transfers = (withNorm: boolean, momentum: number | null): { reads: number; uploads: number; evalReads: number } => {
      const rng = new Random(4);
      const model = new nn.Sequential(
        new nn.Conv2d(1, 4, 3, { padding: 1, rng }), ...(withNorm ? [new nn.BatchNorm2d(4, { momentum })] : []), new nn.ReLU(),
        new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(64, 5, { rng }),
      );
      const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
      const loss = new nn.CrossEntropyLoss();
      const x = new Tensor(backend().allocate('float32', 8 * 64), [8, 1, 8, 8]);
      const labels = Array.from({ length: 8 }, (_, i) => i % 5);
      const step = (): number => {
        x.data.set(Array.from({ length: x.size }, () => rng.uniformRange(-2, 2)));
        const logits = model.forward(x);
        const l = loss.forward(logits, labels);
        countCorrect(logits, Int32Array.from(labels), 8);
        opt.zeroGrad();
        model.backward(loss.backward());
        opt.step();
        return l;
      };
      step();
      const t = gpu!.transfers;
      const [reads, uploads] = [t.readbacks, t.uploads];
      const losses = [step(), step(), step()];
      expect(losses.every(Number.isFinite), `losses ${losses.join(', ')}`).toBe(true);
      const counts = { reads: t.readbacks - reads, uploads: t.uploads - uploads };
      model.eval();
      const before = t.readbacks;
      model.forward(x);
      return { ...counts, evalReads: t.readbacks - before };
    };
    const plain = transfers(false, null);
    expect(plain, 'the CNN without BatchNorm2d, 3 steps').toEqual({ reads: 3, uploads: 6, evalReads: 0 });
    for (const momentum of [0.1, null]) {
      expect(transfers(true, momentum), `the CNN with BatchNorm2d (momentum ${momentum}), 3 steps`).toEqual(plain);
    }
  });

  it('layerNormForward, layerNormBackward (one row, rows longer than a workgroup, without γ, β; flat parameter gradients)', () => {
    for (const [rows, cols] of [[1, 300], [7, 5], [3, 257], [33, 1]] as const) {
      const n = rows * cols;
      for (const affine of [true, false]) {
        for (const pad of [0, 2]) {
          const at = `[${rows}, ${cols}] affine ${affine}${pad ? ' inside larger allocations' : ''}`;
          const wb = affine ? [rand(cols), rand(cols)] : [null, null];
          same(`layerNormForward ${at}`, [rand(n, 2, 1), ...wb, zeros(n), zeros(rows), zeros(rows)],
            (k, a) => k.layerNormForward(F(a[0]!), rows, cols, 1e-5, opt(a[1]!), opt(a[2]!), F(a[3]!), F(a[4]!), F(a[5]!)), TOL, pad);
          same(`layerNormBackward ${at}`, [rand(n), rand(n), rand(rows), positive(rows), affine ? rand(cols) : null, rand(2 * cols), zeros(n)],
            (k, a) => {
              const g = F(a[5]!);
              k.layerNormBackward(F(a[0]!), F(a[1]!), rows, cols, F(a[2]!), F(a[3]!), opt(a[4]!), affine ? g.subarray(0, cols) : null, affine ? g.subarray(cols) : null, F(a[6]!));
            }, TOL, pad);
        }
      }
    }
  });

  it('softmax and log-softmax along an axis (inner 1 and > 1, one element, large logits), forward and backward', () => {
    for (const [outer, size, inner, scale] of [[1, 7, 1, 2], [3, 5, 4, 2], [2, 300, 1, 3], [4, 1, 9, 2], [3, 4, 1, 500], [300, 3, 1, 2]] as const) {
      const n = outer * size * inner;
      const at = `[${outer}, ${size}, ${inner}] ×${scale}`;
      same(`softmaxForward ${at}`, [rand(n, scale), zeros(n)], (k, a) => k.softmaxForward(F(a[0]!), outer, size, inner, F(a[1]!)), TOL, 1);
      same(`logSoftmaxForward ${at}`, [rand(n, scale), zeros(n)], (k, a) => k.logSoftmaxForward(F(a[0]!), outer, size, inner, F(a[1]!)), TOL, 1);
      // backward from a saved output that is a softmax (log-softmax) of something
      const y = new Float32Array(n), ly = new Float32Array(n);
      refKernels.softmaxForward(Float32Array.from(rand(n).f), outer, size, inner, y);
      refKernels.logSoftmaxForward(Float32Array.from(rand(n).f), outer, size, inner, ly);
      same(`softmaxBackward ${at}`, [{ f: Array.from(y) }, rand(n), zeros(n)], (k, a) => k.softmaxBackward(F(a[0]!), F(a[1]!), outer, size, inner, F(a[2]!)), TOL);
      same(`logSoftmaxBackward ${at}`, [{ f: Array.from(ly) }, rand(n), zeros(n)], (k, a) => k.logSoftmaxBackward(F(a[0]!), F(a[1]!), outer, size, inner, F(a[2]!)), TOL);
    }
  });

  it('nllLoss (rows labelled −1 ignored; the sum bit for bit) and nllLossBackward (bit for bit)', () => {
    for (const [rows, classes] of [[1, 3], [19, 7], [300, 2]] as const) {
      const labels = { i: Array.from({ length: rows }, (_, r) => (r % 4 === 3 ? -1 : (r * 5) % classes)) };
      same(`nllLoss [${rows}, ${classes}]`, [rand(rows * classes, 3, -4), labels], (k, a) => k.nllLoss(F(a[0]!), rows, classes, I(a[1]!)), EXACT, 2);
      same(`nllLossBackward [${rows}, ${classes}]`, [labels, rand(rows * classes)], (k, a) => k.nllLossBackward(rows, classes, I(a[0]!), 1 / rows, F(a[1]!)), EXACT, 2);
    }
  });

  it('avgPool2dForward, avgPool2dBackward (overlapping windows, padding, a plane of one pixel)', () => {
    // [planes, H, W, kh, kw, sh, sw, ph, pw]
    for (const [planes, H, W, kh, kw, sh, sw, ph, pw] of [[3, 9, 8, 3, 2, 2, 1, 1, 1], [2, 4, 6, 2, 2, 2, 2, 0, 0], [1, 1, 1, 1, 1, 1, 1, 0, 0], [5, 7, 5, 3, 3, 1, 1, 1, 1]] as const) {
      const OH = Math.floor((H + 2 * ph - kh) / sh) + 1, OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
      const at = `${planes}×${H}×${W}, kernel ${kh}×${kw}, stride ${sh}×${sw}, padding ${ph}×${pw}`;
      same(`avgPool2dForward ${at}`, [rand(planes * H * W), zeros(planes * OH * OW)],
        (k, a) => k.avgPool2dForward(F(a[0]!), planes, H, W, kh, kw, sh, sw, ph, pw, OH, OW, F(a[1]!)), TOL, 1);
      // dx accumulates onto what is there
      same(`avgPool2dBackward ${at}`, [rand(planes * OH * OW), rand(planes * H * W)],
        (k, a) => k.avgPool2dBackward(F(a[0]!), planes, H, W, kh, kw, sh, sw, ph, pw, OH, OW, F(a[1]!)), TOL, 1);
    }
  });

  it('embeddingForward, embeddingBackward (repeated indices accumulate in order, the padding row is skipped; bit for bit)', () => {
    for (const [rows, dim, count, paddingIdx] of [[10, 5, 12, 2], [4, 300, 9, -1], [3, 1, 1, -1], [6, 7, 40, 0]] as const) {
      const indices = { i: Array.from({ length: count }, (_, i) => (i * 7 + (i >> 1)) % rows) };
      same(`embeddingForward ${rows}×${dim}, ${count} indices`, [rand(rows * dim), indices, zeros(count * dim)],
        (k, a) => k.embeddingForward(F(a[0]!), I(a[1]!), dim, F(a[2]!)), EXACT, 3);
      same(`embeddingBackward ${rows}×${dim}, ${count} indices, padding ${paddingIdx}`, [rand(count * dim), indices, rand(rows * dim)],
        (k, a) => k.embeddingBackward(F(a[0]!), I(a[1]!), dim, paddingIdx, F(a[2]!)), EXACT, 3);
    }
  });

  it('a training step of a model with these layers runs every kernel on the device and matches the reference', () => {
    const make = (): { model: nn.Sequential; opt: optim.Optimizer } => {
      const rng = new Random(9);
      const model = new nn.Sequential(
        new nn.Conv2d(1, 3, 3, { padding: 1, rng }), new nn.BatchNorm2d(3), new nn.ReLU(), new nn.AvgPool2d(2), new nn.Flatten(),
        new nn.LayerNorm(48), new nn.Linear(48, 10, { rng }), new nn.BatchNorm1d(10), new nn.Softmax({ dim: 1 }), new nn.Linear(10, 5, { rng }),
        new nn.LogSoftmax({ dim: 1 }),
      );
      return { model, opt: new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }) };
    };
    const input = Array.from({ length: 6 * 64 }, (_, i) => Math.sin(i * 0.37));
    const labels = [0, 4, 2, -100, 1, 3];
    const results: number[][] = [];
    for (const run of ['webgpu', 'ref'] as const) {
      setBackend(run);
      const { model, opt } = make();
      const loss = new nn.NLLLoss();
      const x = new Tensor(backend().allocate('float32', input.length), [6, 1, 8, 8]);
      x.data.set(input);
      const host = run === 'webgpu' ? gpu!.counts.host : 0;
      const losses: number[] = [];
      for (let step = 0; step < 3; step++) {
        losses.push(loss.forward(model.forward(x), labels));
        opt.zeroGrad();
        model.backward(loss.backward());
        opt.step();
      }
      if (run === 'webgpu') expect(gpu!.counts.host - host, 'kernel calls on the host mirrors in 3 steps').toBe(0);
      results.push([...losses, ...Array.from(model.parameters()[0]!.value.data)]);
    }
    setBackend('webgpu');
    expectClose(results[0]!, results[1]!, { rtol: 1e-4, atol: 1e-5 }, 'losses of 3 SGD steps, then the first convolution\'s weights');
  });
});
