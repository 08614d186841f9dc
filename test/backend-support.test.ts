// The table of backend limits (test/backend-support.ts) against the backends themselves: after
// initialisation each backend runs exactly the dtypes the table says, every other dtype is routed
// where the table says, and a float64 network on the wasm backend (1 and 2 threads) gives the
// reference's results bit for bit — forward, backward, loss, and optimiser steps.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateFor, kernelsFor, refBackend } from '../src/backend.js';
import { refKernels } from '../src/kernels/ref/index.js';
import type { Backend, Kernels } from '../src/kernels/table.js';
import { nn, optim, Random, Tensor, type DType } from '../src/index.js';
import { BACKEND_LIMITS, type BackendName } from './backend-support.js';
import { activeRuntime, BACKENDS, FLOAT64_RUN, useBackend, WEBGPU_SKIPPED } from './backends.js';

/** Every dtype (a Record, so that a new DType fails to compile here until it is added). */
const ALL_DTYPES = Object.keys({ float32: true, float64: true } satisfies Record<DType, true>) as DType[];

/** The backend a fallback names (only the reference can take work from another backend). */
function fallbackBackend(name: BackendName): Backend {
  if (name !== 'ref') throw new Error(`BACKEND_LIMITS: a fallback to '${name}' is not supported: only 'ref' is always present`);
  return refBackend;
}

describe('BACKEND_LIMITS agrees with the backends', () => {
  afterAll(() => useBackend(FLOAT64_RUN));

  it('has a row for every backend the suite runs, and the suite runs every backend of the table', () => {
    // (webgpu is in the table everywhere, and runs where an adapter exists)
    const runs = [...new Set([...BACKENDS.map((r) => r.name), ...(WEBGPU_SKIPPED ? ['webgpu'] : [])])];
    expect(runs.sort()).toEqual(Object.keys(BACKEND_LIMITS).sort());
  });

  it('each row covers every dtype exactly once: native, or a fallback', () => {
    for (const [name, row] of Object.entries(BACKEND_LIMITS)) {
      const covered = [...row.dtypes, ...row.fallbacks.map((f) => f.dtype)].sort();
      expect(covered, `BACKEND_LIMITS.${name}: native dtypes + fallback dtypes`).toEqual([...ALL_DTYPES].sort());
    }
  });

  for (const run of BACKENDS) {
    it(`${run.label}: backend().dtypes equals the table, and the other dtypes go where it says`, async () => {
      const b = await useBackend(run);
      expect(b.name).toBe(run.name);
      const row = BACKEND_LIMITS[b.name];
      expect([...b.dtypes], `${run.label}: backend().dtypes vs BACKEND_LIMITS.${b.name}.dtypes`).toEqual([...row.dtypes]);
      const rt = activeRuntime();
      if (b.name === 'wasm') {
        expect(rt, `${run.label}: a wasm runtime behind the backend`).not.toBeNull();
        expect(rt!.threads, `${run.label}: GEMM threads`).toBe(run.threads ?? 1);
        if (run.build === 'simd') expect(rt!.relaxed, `${run.label}: the standard SIMD128 build, not relaxed SIMD`).toBe(false);
      }
      for (const d of row.dtypes) {
        expect(kernelsFor(d), `${run.label}: kernelsFor('${d}') is the backend's own`).toBe(b.kernels);
        const a = allocateFor(d, 8);
        expect(a).toBeInstanceOf(d === 'float64' ? Float64Array : Float32Array);
        if (b.name === 'wasm') expect(rt!.inMemory(a), `${run.label}: ${d} storage in wasm memory`).toBe(true);
      }
      for (const f of row.fallbacks) {
        const to = fallbackBackend(f.to);
        expect(kernelsFor(f.dtype), `${run.label}: kernelsFor('${f.dtype}') goes to '${f.to}'`).toBe(to.kernels);
        const a = allocateFor(f.dtype, 8);
        expect(a).toBeInstanceOf(f.dtype === 'float64' ? Float64Array : Float32Array);
        if (rt) expect(rt.inMemory(a), `${run.label}: ${f.dtype} storage outside wasm memory`).toBe(false);
      }
    });
  }
});

describe('BACKEND_LIMITS.referenceKernels: exactly the listed kernels are the reference functions', () => {
  afterAll(() => useBackend(FLOAT64_RUN));

  for (const run of BACKENDS.filter((r) => r.name !== 'ref')) {
    it(`${run.label}: the table entries equal to refKernels' are those listed`, async () => {
      const b = await useBackend(run);
      const names = (Object.keys(refKernels) as (keyof Kernels)[]).filter((k) => k !== 'name');
      const shared = names.filter((k) => b.kernels[k] === refKernels[k]).sort();
      expect(shared, `${run.label}: kernels that are the reference's own functions`).toEqual([...BACKEND_LIMITS[b.name].referenceKernels].sort());
    });
  }
});

// ---- float64 on the wasm backend = the reference, bit for bit ---------------------------------

/** A network touching every kernel: conv (im2col, GEMM, col2im, channel bias), every activation, pool, dropout. */
function network(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(2, 3, 3, { padding: 1 }), new nn.LeakyReLU({ negativeSlope: 0.1 }), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(27, 10), new nn.GELU(), new nn.Dropout({ p: 0.3, seed: 7 }),
    new nn.Linear(10, 8), new nn.Tanh(), new nn.Linear(8, 6), new nn.Sigmoid(), new nn.Linear(6, 6),
    new nn.Softplus({ beta: 2, threshold: 5 }), new nn.Linear(6, 5), new nn.ELU({ alpha: 0.5 }), new nn.GELU({ approximate: 'tanh' }),
    new nn.ReLU({ scale: 3 }), new nn.Linear(5, 4),
  );
}

interface Float64Run {
  /** Every number the run produced, in order, with a name for messages. */
  values: [string, Float64Array][];
}

/** Builds the float64 network on the current backend, trains it 3 steps with `makeOpt`, records everything. */
function float64Run(makeOpt: (ps: nn.Parameter[]) => optim.Optimizer): Float64Run {
  const rng = new Random(2024);
  const model = network().to('float64');
  for (const p of model.parameters()) for (let i = 0; i < p.value.size; i++) p.value.data[i] = 0.5 * rng.normal();
  const opt = makeOpt(model.parameters());
  const lossFn = new nn.CrossEntropyLoss();
  const x = Tensor.fromArray(Array.from({ length: 3 * 2 * 6 * 6 }, () => rng.normal()), [3, 2, 6, 6], 'float64');
  const labels = [0, 3, 1];
  const values: [string, Float64Array][] = [];
  const keep = (name: string, t: Tensor): void => {
    expect(t.dtype, `${name}: dtype`).toBe('float64');
    values.push([name, Float64Array.from(t.data)]);
  };
  for (let step = 1; step <= 3; step++) {
    opt.zeroGrad();
    const logits = model.forward(x);
    keep(`step ${step}: logits`, logits);
    values.push([`step ${step}: loss`, Float64Array.of(lossFn.forward(logits, labels))]);
    const g = lossFn.backward();
    keep(`step ${step}: dL/dlogits`, g);
    keep(`step ${step}: dL/dx`, model.backward(g));
    for (const [n, p] of model.namedParameters()) keep(`step ${step}: ${n}.grad`, p.grad);
    opt.step();
    for (const [n, p] of model.namedParameters()) keep(`step ${step}: ${n} after the step`, p.value);
  }
  return { values };
}

const OPTIMISERS: [string, (ps: nn.Parameter[]) => optim.Optimizer][] = [
  ['SGD (momentum, nesterov, weight decay)', (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
  ['AdamW', (ps) => new optim.AdamW(ps, { lr: 0.01, weightDecay: 0.1 })],
  ['RMSprop (centered, momentum, weight decay)', (ps) => new optim.RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 1e-3 })],
];

describe('float64 on the wasm backend = the reference, bit for bit (BACKEND_LIMITS.wasm.fallbacks)', () => {
  const want = new Map<string, Float64Run>();
  beforeAll(async () => {
    await useBackend(FLOAT64_RUN);
    for (const [name, make] of OPTIMISERS) want.set(name, float64Run(make));
  });
  afterAll(() => useBackend(FLOAT64_RUN));

  for (const run of BACKENDS.filter((r) => r.name !== 'ref')) {
    for (const [name, make] of OPTIMISERS) {
      it(`${run.label}: a float64 CNN, 3 steps of ${name}`, async () => {
        await useBackend(run);
        const got = float64Run(make).values;
        const ref = want.get(name)!.values;
        expect(got.map(([n]) => n)).toEqual(ref.map(([n]) => n));
        got.forEach(([n, v], i) => {
          const w = ref[i]![1];
          const at = v.findIndex((a, j) => !Object.is(a, w[j]));
          expect(at, `${run.label}, ${name}: ${n}[${at}] = ${v[at]}, the reference gives ${w[at]}`).toBe(-1);
        });
        // the network really trains, or equality would prove little
        const losses = got.filter(([n]) => n.endsWith(': loss')).map(([, v]) => v[0]!);
        expect(losses[2]!, `${name}: losses ${losses.join(', ')}`).toBeLessThan(losses[0]!);
      });
    }
  }
});
