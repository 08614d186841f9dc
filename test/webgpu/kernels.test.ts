// The webgpu backend's own checks, beyond the shared layer / loss / optimiser suites (which run on
// it through test/backends.ts):
//   1. every device kernel against the reference on random shapes, including sub-ranges of an
//      allocation (the per-image calls of Conv2d), every transpose of GEMM, beta 0 and 1;
//   2. the adjoints that gather in the reference's order (col2im, pooling) and the pooling forward,
//      bit for bit; dropout masks and the generator state, bit for bit;
//   3. coherence of the host mirrors: Tensor.data after a kernel, host writes before one,
//      optimiser state, arrays the backend did not allocate, aliasing;
//   4. the transfers of a training step: one readback (the loss, and with it the logits that the
//      loop reads for accuracy), uploads of the batch, its labels and the dropout mask only.
// Skipped, with the reason printed, where no adapter exists (test/backends.ts probes once).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, setBackend } from '../../src/backend.js';
import { refKernels } from '../../src/kernels/ref/index.js';
import type { Kernels } from '../../src/kernels/table.js';
import { createWebGPUBackend, hostKernels } from '../../src/kernels/webgpu/index.js';
import { nn, onHost, optim, Random, Tensor } from '../../src/index.js';
import { useBackend, WEBGPU_SKIPPED, webgpuUnderTest, FLOAT64_RUN } from '../backends.js';
import { expectClose } from '../harness.js';
import { countCorrect } from '../../src/train/evaluate.js';
import { chooseInputPath } from '../../src/train/loader.js';
import type { Tolerance } from '../tolerances.js';

const gpu = webgpuUnderTest();
const TOL: Tolerance = { rtol: 1e-5, atol: 1e-6 };

/** A float32 array on the current backend holding `values`. */
function dev(values: ArrayLike<number>): Float32Array {
  const a = backend().allocate('float32', values.length);
  const t = new Tensor(a, [values.length]);
  t.data.set(values);
  return a as Float32Array;
}
/** `a` with its host values current and host-writable (read back when the device wrote it). */
function hostView<T extends Float32Array | Int32Array>(a: T): T {
  return onHost(a);
}
function randoms(n: number, rng: Random, scale = 2): number[] {
  return Array.from({ length: n }, () => rng.uniformRange(-scale, scale));
}

/** got = want within 1e-5 · Σ|terms| per element (float32 sums against the reference's float64 ones). */
function expectConv(got: Float32Array, want: Float32Array, bound: Float32Array, what: string): void {
  let bad = -1;
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= 1e-5 * bound[i]! + 1e-30)) { bad = i; break; }
  }
  expect(bad, `${what}: [${bad}] = ${got[bad]}, reference ${want[bad]} (bound ${bound[bad]})`).toBe(-1);
}

describe.skipIf(!gpu)(`webgpu kernels against the reference [${gpu?.describe() ?? `skipped: ${WEBGPU_SKIPPED}`}]`, () => {
  let k: Kernels;
  beforeAll(async () => {
    await useBackend({ label: 'webgpu', name: 'webgpu' });
    k = backend().kernels;
  });
  afterAll(() => useBackend(FLOAT64_RUN));

  it('only dropoutMask and the sparse products run on the host, by the support table', () => {
    expect(hostKernels().map((h) => h.kernel)).toEqual(['sparseGemmForward', 'sparseGemmBackward', 'dropoutMask']);
    expect(gpu!.runsOnHost('sparseGemmForward')).toBe(true);
    expect(gpu!.runsOnHost('gemm')).toBe(false);
  });

  it('a backend made with the default options picks its shaders by adapter: on a software one the direct GEMM and the unfolded convolutions, on a GPU the tiled GEMM (by shape) and the one-dispatch convolutions', async () => {
    // a second device worker of its own (the registry's initWebGPU hands out the one backend)
    const b = await createWebGPUBackend();
    try {
      expect(b.software).toBe(gpu!.software);
      expect(b.settings).toEqual(b.software ? { gemm: 'direct', conv: 'unfolded' } : { gemm: 'auto', conv: 'direct' });
    } finally {
      b.shutdown();
    }
  });

  it('training gives the first layer dense batches here: the sparse products would run on the host', () => {
    // mostly one value, which the ref and wasm backends run sparse (test/train/sparse-loader.test.ts)
    const x = new Float32Array(40 * 30).fill(1);
    for (let i = 0; i < x.length; i += 13) x[i] = 0;
    const path = chooseInputPath({ x, y: new Int32Array(40), n: 40 }, new nn.Linear(30, 4), false);
    expect(path.path).toBe('dense');
    expect(path.reason).toMatch(/webgpu backend runs the sparse products on the host/);
  });

  it.each(['tiled', 'direct'] as const)('gemm (%s): every transpose, alpha, beta 0 and 1, sizes across tile edges, operands inside larger allocations', (shader) => {
    const rng = new Random(1);
    const before = gpu!.settings.gemm;
    gpu!.settings.gemm = shader;
    for (const [M, N, K] of [[1, 1, 1], [5, 7, 3], [64, 64, 16], [70, 130, 33], [3, 200, 90]] as const) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const beta of [0, 1]) {
            const pad = 3;
            const A = dev(randoms(M * K + pad, rng)), B = dev(randoms(K * N + 2 * pad, rng)), C = dev(randoms(M * N + pad, rng));
            const a = A.subarray(pad), b = B.subarray(pad, pad + K * N), c = C.subarray(pad);
            const want = Float32Array.from(hostView(C)).subarray(pad);
            const head = Array.from(hostView(C).subarray(0, pad));
            refKernels.gemm(transA, transB, M, N, K, 0.5, Float32Array.from(hostView(a)), Float32Array.from(hostView(b)), beta, want);
            k.gemm(transA, transB, M, N, K, 0.5, a, b, beta, c);
            expectClose(hostView(c), want, { rtol: 1e-5, atol: 1e-5 }, `gemm ${M}×${N}×${K} transA ${transA} transB ${transB} beta ${beta}`);
            expect(Array.from(hostView(C).subarray(0, pad)), 'the elements before the sub-range are untouched').toEqual(head);
          }
        }
      }
    }
    gpu!.settings.gemm = before;
  });

  it.each(['direct', 'unfolded'] as const)('direct convolutions (%s shaders) = the reference: operands inside larger allocations, bias or none, beta 0 over NaNs and 1', (conv) => {
    const rng = new Random(4);
    const setting = gpu!.settings.conv;
    gpu!.settings.conv = conv;
    // B, C, H, W, OC, kh, kw, ph, pw: the playground CNN's two layers, odd sizes, a 1×1 kernel, one output pixel, a kernel wider than the image
    const shapes = [
      [3, 1, 28, 28, 8, 3, 3, 1, 1], [2, 8, 14, 14, 16, 3, 3, 1, 1], [2, 3, 7, 9, 5, 3, 2, 2, 0], [1, 2, 5, 6, 1, 1, 1, 0, 0],
      [2, 5, 11, 4, 7, 5, 3, 2, 1], [5, 1, 3, 3, 3, 3, 3, 0, 0], [2, 2, 1, 1, 3, 5, 5, 2, 2],
    ] as const;
    const pad = 5;
    /** `values` at offset `pad` of a device allocation, and the sub-range that holds them. */
    const inside = (values: number[]): Float32Array => dev([...randoms(pad, rng), ...values, ...randoms(pad, rng)]).subarray(pad, pad + values.length);
    for (const [B, C, H, W, OC, kh, kw, ph, pw] of shapes) {
      const what = `B${B} ${C}→${OC} ${H}×${W} k${kh}×${kw} pad ${ph}×${pw}`;
      const OH = H + 2 * ph - kh + 1, OW = W + 2 * pw - kw + 1;
      const xs = randoms(B * C * H * W, rng), ws = randoms(OC * C * kh * kw, rng), bs = randoms(OC, rng), dys = randoms(B * OC * OH * OW, rng);
      const x = inside(xs), w = inside(ws), bias = inside(bs), dy = inside(dys);
      const y = inside(new Array<number>(B * OC * OH * OW).fill(NaN)), dx = inside(new Array<number>(xs.length).fill(NaN));
      const dw = inside(new Array<number>(ws.length).fill(NaN)), dw1 = inside(randoms(ws.length, rng));
      const ref = { x: Float32Array.from(xs), w: Float32Array.from(ws), b: Float32Array.from(bs), dy: Float32Array.from(dys) };
      const want = { y: new Float32Array(y.length), dx: new Float32Array(dx.length), dw: new Float32Array(dw.length), dw1: Float32Array.from(hostView(dw1)) };
      // the same sums over absolute values bound each output's rounding: |Δ| ≤ 1e-5 · Σ|terms|
      const abs = (a: Float32Array): Float32Array => a.map(Math.abs);
      const bound = { y: new Float32Array(y.length), dx: new Float32Array(dx.length), dw: new Float32Array(dw.length), dw1: abs(want.dw1) };
      const before = { device: gpu!.counts.device, host: gpu!.counts.host, dispatches: gpu!.transfers.dispatches };
      for (const withBias of [true, false]) {
        k.conv2dForward(x, w, withBias ? bias : null, B, C, H, W, OC, kh, kw, ph, pw, y);
        refKernels.conv2dForward(ref.x, ref.w, withBias ? ref.b : null, B, C, H, W, OC, kh, kw, ph, pw, want.y);
        refKernels.conv2dForward(abs(ref.x), abs(ref.w), withBias ? abs(ref.b) : null, B, C, H, W, OC, kh, kw, ph, pw, bound.y);
        expectConv(hostView(y), want.y, bound.y, `${what}: conv2dForward, bias ${withBias}`);
      }
      k.conv2dBackwardData(dy, w, B, C, H, W, OC, kh, kw, ph, pw, dx);
      refKernels.conv2dBackwardData(ref.dy, ref.w, B, C, H, W, OC, kh, kw, ph, pw, want.dx);
      refKernels.conv2dBackwardData(abs(ref.dy), abs(ref.w), B, C, H, W, OC, kh, kw, ph, pw, bound.dx);
      expectConv(hostView(dx), want.dx, bound.dx, `${what}: conv2dBackwardData`);
      k.conv2dBackwardFilter(x, dy, B, C, H, W, OC, kh, kw, ph, pw, 0, dw);
      refKernels.conv2dBackwardFilter(ref.x, ref.dy, B, C, H, W, OC, kh, kw, ph, pw, 0, want.dw);
      refKernels.conv2dBackwardFilter(abs(ref.x), abs(ref.dy), B, C, H, W, OC, kh, kw, ph, pw, 0, bound.dw);
      expectConv(hostView(dw), want.dw, bound.dw, `${what}: conv2dBackwardFilter, beta 0`);
      k.conv2dBackwardFilter(x, dy, B, C, H, W, OC, kh, kw, ph, pw, 1, dw1);
      refKernels.conv2dBackwardFilter(ref.x, ref.dy, B, C, H, W, OC, kh, kw, ph, pw, 1, want.dw1);
      refKernels.conv2dBackwardFilter(abs(ref.x), abs(ref.dy), B, C, H, W, OC, kh, kw, ph, pw, 1, bound.dw1);
      expectConv(hostView(dw1), want.dw1, bound.dw1, `${what}: conv2dBackwardFilter, beta 1`);
      if (conv === 'direct') expect(gpu!.transfers.dispatches - before.dispatches, `${what}: one dispatch per call`).toBe(5);
      else expect(gpu!.counts.device - before.device, `${what}: the device ran them`).toBeGreaterThanOrEqual(5 * B);
      expect(gpu!.counts.host - before.host, `${what}: no call ran on the host`).toBe(0);
    }
    gpu!.settings.conv = setting;
  });

  it('elementwise, reductions and losses = the reference (float32 tolerances)', () => {
    const rng = new Random(2);
    const n = 1000;
    const x = dev(randoms(n, rng, 6)), dy = dev(randoms(n, rng)), y = dev(new Array(n).fill(0)), dx = dev(new Array(n).fill(0));
    const xs = Float32Array.from(hostView(x)), dys = Float32Array.from(hostView(dy));
    const ry = new Float32Array(n), rdx = new Float32Array(n);
    const pairs: [string, (kk: Kernels, X: Float32Array, Y: Float32Array, DY: Float32Array, DX: Float32Array) => void][] = [
      ['relu', (kk, X, Y, DY, DX) => { kk.reluForward(X, Y, 3); kk.reluBackward(X, DY, DX, 3); }],
      ['leakyRelu', (kk, X, Y, DY, DX) => { kk.leakyReluForward(X, Y, 0.1); kk.leakyReluBackward(X, DY, DX, 0.1); }],
      ['sigmoid', (kk, X, Y, DY, DX) => { kk.sigmoidForward(X, Y); kk.sigmoidBackward(Y, DY, DX); }],
      ['tanh', (kk, X, Y, DY, DX) => { kk.tanhForward(X, Y); kk.tanhBackward(Y, DY, DX); }],
      ['gelu', (kk, X, Y, DY, DX) => { kk.geluForward(X, Y, 'none'); kk.geluBackward(X, DY, DX, 'none'); }],
      ['gelu tanh', (kk, X, Y, DY, DX) => { kk.geluForward(X, Y, 'tanh'); kk.geluBackward(X, DY, DX, 'tanh'); }],
      ['softplus', (kk, X, Y, DY, DX) => { kk.softplusForward(X, Y, 2, 5); kk.softplusBackward(X, DY, DX, 2, 5); }],
      ['elu', (kk, X, Y, DY, DX) => { kk.eluForward(X, Y, 1.3); kk.eluBackward(Y, DY, DX, 1.3); }],
      ['scale, mul', (kk, X, Y, DY, DX) => { kk.scale(X, 0.7, Y); kk.mul(X, DY, DX); }],
    ];
    for (const [name, f] of pairs) {
      f(k, x, y, dy, dx);
      f(refKernels, xs, ry, dys, rdx);
      expectClose(hostView(y), ry, TOL, `${name}: forward`);
      expectClose(hostView(dx), rdx, TOL, `${name}: backward`);
    }
    // bias broadcasts and sums (accumulating into what is there)
    const rows = 37, cols = 27;
    const m = dev(randoms(rows * cols, rng)), v = dev(randoms(cols, rng)), out = dev(randoms(cols, rng));
    const ms = Float32Array.from(hostView(m)), outs = Float32Array.from(hostView(out));
    k.addRowVector(m, v, rows, cols); refKernels.addRowVector(ms, Float32Array.from(hostView(v)), rows, cols);
    expectClose(hostView(m), ms, TOL, 'addRowVector');
    k.sumRowsInto(m, rows, cols, out); refKernels.sumRowsInto(ms, rows, cols, outs);
    expectClose(hostView(out), outs, TOL, 'sumRowsInto');
    const cv = dev(randoms(3, rng)), cout = dev(randoms(3, rng)), couts = Float32Array.from(hostView(cout));
    k.addChannelVector(m, cv, 9, 3, 37); refKernels.addChannelVector(ms, Float32Array.from(hostView(cv)), 9, 3, 37);
    expectClose(hostView(m), ms, TOL, 'addChannelVector');
    k.sumChannelsInto(m, 9, 3, 37, cout); refKernels.sumChannelsInto(ms, 9, 3, 37, couts);
    expectClose(hostView(cout), couts, { rtol: 1e-5, atol: 1e-5 }, 'sumChannelsInto');
    // losses: sums read back, gradients
    const pred = dev(Array.from({ length: 3000 }, () => rng.uniform())), target = dev(Array.from({ length: 3000 }, () => (rng.uniform() < 0.5 ? 0 : 1)));
    const ps = Float32Array.from(hostView(pred)), ts = Float32Array.from(hostView(target));
    for (const kind of ['mse', 'bce', 'bceWithLogits'] as const) {
      expectClose([k.elementwiseLoss(kind, pred, target)], [refKernels.elementwiseLoss(kind, ps, ts)], TOL, `elementwiseLoss ${kind}`);
      const g = dev(new Array(3000).fill(0)), gs = new Float32Array(3000);
      k.elementwiseLossBackward(kind, pred, target, 0.25, g); refKernels.elementwiseLossBackward(kind, ps, ts, 0.25, gs);
      expectClose(hostView(g), gs, TOL, `elementwiseLossBackward ${kind}`);
    }
    hostView(pred)[5] = 1.5; // an invalid probability: BCE's sum is NaN, as the reference's
    expect(k.elementwiseLoss('bce', pred, target)).toBeNaN();
  });

  it('softmax cross-entropy with indices, target rows and neither; backward', () => {
    const rng = new Random(3);
    const [B, C] = [19, 7];
    const z = dev(randoms(B * C, rng, 20)), probs = dev(new Array(B * C).fill(0)), grad = dev(new Array(B * C).fill(0));
    const block = backend().allocate('float32', B);
    const labels = new Int32Array(block.buffer, block.byteOffset, B);
    hostView(labels);
    for (let i = 0; i < B; i++) labels[i] = i % 3 === 0 ? -1 : i % C;
    const t = dev(Array.from({ length: B * C }, () => rng.uniform()));
    const zs = Float32Array.from(hostView(z)), tsr = Float32Array.from(hostView(t)), ls = Int32Array.from(labels);
    for (const [name, lab, tg] of [['indices', labels, null], ['targets', null, t], ['both', labels, t]] as const) {
      const rp = new Float32Array(B * C), rg = new Float32Array(B * C);
      const want = refKernels.softmaxCrossEntropy(zs, B, C, lab ? ls : null, tg ? tsr : null, rp);
      const got = k.softmaxCrossEntropy(z, B, C, lab, tg, probs);
      expectClose([got], [want], TOL, `softmaxCrossEntropy (${name})`);
      expectClose(hostView(probs), rp, TOL, `softmax probabilities (${name})`);
      k.softmaxCrossEntropyBackward(probs, B, C, lab, tg, 1 / B, grad);
      refKernels.softmaxCrossEntropyBackward(rp, B, C, lab ? ls : null, tg ? tsr : null, 1 / B, rg);
      expectClose(hostView(grad), rg, TOL, `softmaxCrossEntropyBackward (${name})`);
    }
  });

  it('im2col, col2im and max pooling = the reference, bit for bit (overlapping windows, padding)', () => {
    const rng = new Random(4);
    const [C, H, W, kh, kw, sh, sw, ph, pw] = [3, 9, 8, 3, 2, 2, 1, 1, 1];
    const OH = Math.floor((H + 2 * ph - kh) / sh) + 1, OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
    const x = dev(randoms(C * H * W, rng)), col = dev(new Array(C * kh * kw * OH * OW).fill(0)), dx = dev(new Array(C * H * W).fill(0));
    const xs = Float32Array.from(hostView(x)), rc = new Float32Array(col.length), rdx = new Float32Array(dx.length);
    k.im2col(x, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, col); refKernels.im2col(xs, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, rc);
    expect(Array.from(hostView(col))).toEqual(Array.from(rc));
    k.col2im(col, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, dx); refKernels.col2im(rc, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, rdx);
    expect(Array.from(hostView(dx))).toEqual(Array.from(rdx));
    // pooling: 3×3 windows, stride 2, padding 1 (overlapping), with a tie and a NaN
    const [PH, PW] = [Math.floor((H + 2 - 3) / 2) + 1, Math.floor((W + 2 - 3) / 2) + 1];
    hostView(x)[10] = hostView(x)[11]!;
    hostView(x)[40] = NaN;
    const xp = Float32Array.from(hostView(x));
    const y = dev(new Array(C * PH * PW).fill(0)), ry = new Float32Array(y.length);
    const argBlock = backend().allocate('float32', y.length), arg = new Int32Array(argBlock.buffer, argBlock.byteOffset, y.length), rarg = new Int32Array(y.length);
    k.maxPool2dForward(x, C, H, W, 3, 3, 2, 2, 1, 1, PH, PW, y, arg); refKernels.maxPool2dForward(xp, C, H, W, 3, 3, 2, 2, 1, 1, PH, PW, ry, rarg);
    expect(Array.from(hostView(y))).toEqual(Array.from(ry));
    expect(Array.from(hostView(arg))).toEqual(Array.from(rarg));
    const dyp = dev(randoms(y.length, rng)), dxp = dev(new Array(C * H * W).fill(0)), rdxp = new Float32Array(C * H * W);
    k.maxPool2dBackward(dyp, arg, C, H, W, PH, PW, dxp); refKernels.maxPool2dBackward(Float32Array.from(hostView(dyp)), rarg, C, H, W, PH, PW, rdxp);
    expect(Array.from(hostView(dxp))).toEqual(Array.from(rdxp));
  });

  it('dropout masks and the generator state are the reference\'s, bit for bit (Dropout layers on webgpu and ref)', () => {
    const x = Tensor.full([33, 70], 1);
    const masks: number[][] = [];
    const states: unknown[] = [];
    for (const run of ['webgpu', 'ref'] as const) {
      setBackend(run);
      const d = new nn.Dropout({ p: 0.3, seed: 11 });
      const xi = new Tensor(backend().allocate('float32', x.size), x.shape);
      xi.data.set(x.data);
      d.forward(xi);
      masks.push(Array.from(d.forward(xi).data));
      states.push(d.generator.getState());
    }
    setBackend('webgpu');
    expect(masks[0]).toEqual(masks[1]);
    expect(states[0]).toEqual(states[1]);
  });

  it('optimisers = the reference over several steps; state() reads the device\'s buffers', () => {
    const rng = new Random(5);
    for (const make of [
      (p: nn.Parameter[]) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
      (p: nn.Parameter[]) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true }),
      (p: nn.Parameter[]) => new optim.SGD(p, { lr: 0.1 }),
      (p: nn.Parameter[]) => new optim.Adam(p, { lr: 0.01, weightDecay: 0.01 }),
      (p: nn.Parameter[]) => new optim.AdamW(p, { lr: 0.01 }),
    ]) {
      const start = randoms(50, rng), grads = [randoms(50, rng), randoms(50, rng), randoms(50, rng)];
      const results: number[][] = [];
      const saved: unknown[] = [];
      for (const run of ['webgpu', 'ref'] as const) {
        setBackend(run);
        const p: nn.Parameter = { name: 'w', value: new Tensor(backend().allocate('float32', 50), [50]), grad: new Tensor(backend().allocate('float32', 50), [50]) };
        p.value.data.set(start);
        const o = make([p]);
        for (const g of grads) {
          p.grad.data.set(g);
          o.step();
        }
        results.push(Array.from(p.value.data));
        saved.push(o.state());
      }
      setBackend('webgpu');
      expectClose(results[0]!, results[1]!, { rtol: 1e-5, atol: 1e-6 }, 'parameters after 3 steps');
      expect(JSON.stringify(saved[0]).length).toBeGreaterThan(0);
      const [a, b] = saved as { buffers: Record<string, number[]>[] }[];
      for (const [name, values] of Object.entries(b!.buffers[0]!)) expectClose(a!.buffers[0]![name]!, values, { rtol: 1e-5, atol: 1e-6 }, `optimiser buffer ${name}`);
    }
  });

  it('transfers larger than a ring chunk, and more workgroups than one grid dimension holds (a 2-D grid)', () => {
    const n = 65535 * 256 + 1000; // 16.8M floats: 67 MB each way, in 2 MiB chunks
    const x = new Tensor(backend().allocate('float32', n), [n]);
    const y = new Tensor(backend().allocate('float32', n), [n]);
    const xd = x.data;
    for (let i = 0; i < n; i++) xd[i] = (i % 1013) - 500;
    k.scale(x.storage, 0.5, y.storage);
    const yd = y.data;
    let bad = 0;
    for (let i = 0; i < n; i++) if (yd[i] !== 0.5 * ((i % 1013) - 500)) bad++;
    expect(bad, 'elements of y = x/2 that differ').toBe(0);
  });

  it('a float64 layer converted to float32 (Module.to) runs on the device with its weights', () => {
    const make = (): nn.Module => new nn.Linear(5, 3, { dtype: 'float64', rng: new Random(8) }).to('float32');
    const input = [0.5, -1, 2, 0.25, -0.75, 1, 1, -2, 0, 3];
    const outputs: number[][] = [];
    for (const run of ['webgpu', 'ref'] as const) {
      setBackend(run);
      const x = new Tensor(backend().allocate('float32', 10), [2, 5]);
      x.data.set(input);
      outputs.push(Array.from(make().forward(x).data));
    }
    setBackend('webgpu');
    expectClose(outputs[0]!, outputs[1]!, TOL, 'Linear(5 → 3) made in float64, run in float32');
    expect(outputs[0]!.some((v) => v !== 0)).toBe(true);
  });

  it('arrays the backend did not allocate, and aliasing, run on the host mirrors with the same results', () => {
    const before = gpu!.counts.host;
    const own = new Float32Array([-1, 2, -3, 4]);
    const y = dev([0, 0, 0, 0]);
    k.reluForward(own, y, 1);
    expect(Array.from(hostView(y))).toEqual([0, 2, 0, 4]);
    const z = dev([1, -2, 3, -4]);
    k.reluForward(z, z, 2); // in place: one allocation bound twice with a write
    expect(Array.from(hostView(z))).toEqual([2, 0, 6, 0]);
    k.mul(z, z, y); // read twice, written elsewhere: fine on the device
    expect(Array.from(hostView(y))).toEqual([4, 0, 36, 0]);
    expect(gpu!.counts.host - before).toBe(2);
  });

  it.each(['direct', 'unfolded'] as const)('a training step (%s convolutions) reads back once (the loss, with the logits the loop reads for accuracy) and uploads only the batch, its labels and the mask', (conv) => {
    const rng = new Random(6);
    const setting = gpu!.settings.conv;
    gpu!.settings.conv = conv;
    const model = new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
      new nn.Linear(64, 16), new nn.Dropout({ p: 0.2, seed: 3 }), new nn.Tanh(), new nn.Linear(16, 5));
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const loss = new nn.CrossEntropyLoss();
    const x = new Tensor(backend().allocate('float32', 8 * 64), [8, 1, 8, 8]);
    const labels = Array.from({ length: 8 }, (_, i) => i % 5);
    const step = (): number => {
      x.data.set(randoms(x.size, rng));
      const logits = model.forward(x);
      const l = loss.forward(logits, labels);
      countCorrect(logits, Int32Array.from(labels), 8); // what the training loop does: reads logits.data
      opt.zeroGrad();
      model.backward(loss.backward());
      opt.step();
      return l;
    };
    const first = step();
    const t = gpu!.transfers;
    const [reads, uploads, upBytes] = [t.readbacks, t.uploads, t.uploadBytes];
    const losses = [first, step(), step(), step()];
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(t.readbacks - reads, 'readbacks in 3 steps: the loss (and logits) of each').toBe(3);
    // per step: the batch, the labels and the dropout mask (drawn on the host)
    expect(t.uploads - uploads, 'uploads in 3 steps').toBe(9);
    expect(t.uploadBytes - upBytes).toBe(3 * (8 * 64 * 4 + 8 * 4 + 8 * 16 * 4));
    gpu!.settings.conv = setting;
  });
});
