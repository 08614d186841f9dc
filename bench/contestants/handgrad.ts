// handgrad as a benchmark contestant: the reference backend, the wasm backend on 1 or 2 threads
// (a backend that refuses to start is reported as unavailable, never a crash), or the webgpu
// backend on a hardware adapter (HANDGRAD_BENCH_WEBGPU_SOFTWARE=1 admits SwiftShader), whose
// info names the adapter. The first layer takes its batches the way `handgrad train` chooses
// (training.chooseInputPath): sparse when the data is mostly one value (W3r's Omniglot
// drawings), dense otherwise.

import { backend, initWasm, initWebGPU, kernelsFor, nn, onHost, optim, Random, setBackend, Tensor, training } from '../../src/index.js';
import type { BenchData } from '../data-node.js';
import type { GemmShape, LayerSpec, WorkloadSpec } from '../workloads.js';

export class Unavailable extends Error {}

/** Selects the backend; throws Unavailable when the backend refuses to start. */
export async function selectBackend(kind: 'ref' | 'wasm' | 'webgpu', threads: number): Promise<Record<string, unknown>> {
  if (kind === 'ref') {
    setBackend('ref');
    return { backend: backend().describe() };
  }
  if (kind === 'webgpu') {
    try {
      // a GPU only: a software adapter (SwiftShader) would take minutes per workload, unless asked for
      const b = await initWebGPU({ requireHardware: !process.env.HANDGRAD_BENCH_WEBGPU_SOFTWARE });
      return { backend: b.describe(), adapter: b.adapter, software: b.software, gemm: b.settings.gemm, conv: b.settings.conv };
    } catch (e) {
      throw new Unavailable(firstLine(e));
    }
  }
  try {
    await initWasm({ threads });
  } catch (e) {
    throw new Unavailable(`initWasm({ threads: ${threads} }) failed: ${firstLine(e)}`);
  }
  const description = backend().describe();
  if (backend().name !== 'wasm') throw new Unavailable(`initWasm() left the backend at ${description}`);
  return { backend: description, requestedThreads: threads };
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0]!;
}

function buildLayer(l: LayerSpec, rng: Random): nn.Module {
  switch (l.type) {
    case 'linear': return new nn.Linear(l.in, l.out, { rng });
    case 'relu': return new nn.ReLU();
    case 'dropout': return new nn.Dropout({ p: l.p, mode: 'inverted', seed: 3 });
    case 'conv': return new nn.Conv2d(l.in, l.out, l.k, { padding: l.pad, rng });
    case 'maxpool': return new nn.MaxPool2d(l.k);
    case 'flatten': return new nn.Flatten();
  }
}

/** One training step per call: forward, softmax cross-entropy, backward, SGD update. */
export class HandgradTrainer {
  readonly info: Record<string, unknown>;
  private readonly model: nn.Sequential;
  private readonly loss = new nn.CrossEntropyLoss();
  private readonly opt: optim.SGD;
  private readonly xs: (Tensor | nn.SparseBatch)[] = [];
  private readonly ys: Int32Array[] = [];
  /** Set when the data did not fit in backend memory: each batch is copied into `input`. */
  private readonly copyFrom: Float32Array | null = null;
  private readonly input: Tensor | null = null;
  private cursor = 0;

  constructor(spec: WorkloadSpec, load: (allocate: (n: number) => Float32Array, batch: number) => BenchData) {
    const rng = new Random(1);
    this.model = new nn.Sequential(...spec.layers.map((l) => buildLayer(l, rng)));
    // As PyTorch does for an input that does not require grad, and as the train loop does, the
    // first layer skips dL/dx: nothing consumes it.
    const first = this.model.layers.find((l) => l.parameters().length > 0);
    if (first) first.computeInputGradient = false;
    this.opt = new optim.SGD(this.model.parameters(), { lr: spec.lr, momentum: spec.momentum });
    const B = spec.batch;
    // The training set is loaded straight into backend memory (for wasm: its linear memory), so
    // that a batch is a view, as a slice is in numpy or PyTorch. If the backend cannot hold it,
    // it stays in a JS array and each batch is copied into one backend-allocated input.
    let inBackend = true;
    const data = load((n) => {
      try {
        // (onHost: the loader writes it on the host; a device backend uploads it once)
        const a = backend().allocate('float32', n);
        if (a instanceof Float32Array) return onHost(a);
      } catch {
        /* fall through */
      }
      inBackend = false;
      return new Float32Array(n);
    }, B);
    const F = data.features;
    const batches = Math.floor(data.n / B);
    const shape = [B, ...spec.sampleShape];
    for (let i = 0; i < batches; i++) this.ys.push(data.y.subarray(i * B, (i + 1) * B));
    const path = training.chooseInputPath({ x: data.x, y: data.y, n: data.n }, this.model, false);
    let inputs: string;
    if (path.path === 'sparse') {
      // The sparse form of the (already normalised) data, made once; a batch is a view: its row indices.
      const matrix = nn.SparseRows.fromDense(data.x, data.n, F, { background: path.background! });
      const rows = nn.rowIndices(batches * B);
      for (let i = 0; i < rows.length; i++) rows[i] = i;
      for (let i = 0; i < batches; i++) this.xs.push({ matrix, rows: rows.subarray(i * B, (i + 1) * B) });
      inputs = `sparse form in backend memory (${(matrix.bytes / 2 ** 20).toFixed(1)} MiB; batch = view of its rows)`;
    } else if (inBackend) {
      for (let i = 0; i < batches; i++) this.xs.push(new Tensor(data.x.subarray(i * B * F, (i + 1) * B * F), shape));
      inputs = 'in backend memory (batch = view)';
    } else {
      this.copyFrom = data.x;
      this.input = new Tensor(backend().allocate('float32', B * F), shape);
      inputs = 'copied into backend memory per batch';
    }
    this.info = {
      backend: backend().describe(),
      model: this.model.describe(),
      parameters: this.model.parameters().reduce((s, p) => s + p.value.size, 0),
      batches,
      inputs,
      firstLayer: `${path.path} (${path.reason})`,
    };
  }

  step(): number {
    const i = this.cursor;
    this.cursor = i + 1 === this.ys.length ? 0 : i + 1;
    let x: Tensor | nn.SparseBatch;
    if (this.input) {
      const n = this.input.size;
      this.input.data.set(this.copyFrom!.subarray(i * n, (i + 1) * n));
      x = this.input;
    } else {
      x = this.xs[i]!;
    }
    this.opt.zeroGrad();
    const logits = training.forwardInput(this.model, x);
    const loss = this.loss.forward(logits, this.ys[i]!);
    this.model.backward(this.loss.backward());
    this.opt.step();
    return loss;
  }
}

/** GEMM alone, on operands allocated by the backend (in WASM memory for the wasm backend). */
export class HandgradGemm {
  private readonly buffers = new Map<string, { A: Float32Array; B: Float32Array; C: Float32Array }>();
  private readonly rng = new Random(5);

  run(s: GemmShape, calls: number): void {
    let b = this.buffers.get(s.name);
    if (!b) {
      const alloc = (n: number): Float32Array => {
        const a = backend().allocate('float32', n);
        if (!(a instanceof Float32Array)) throw new Error('backend allocated a non-float32 array');
        return a;
      };
      b = { A: onHost(alloc(s.M * s.K)), B: onHost(alloc(s.K * s.N)), C: alloc(s.M * s.N) };
      this.rng.fillUniform(b.A, -1, 1);
      this.rng.fillUniform(b.B, -1, 1);
      this.buffers.set(s.name, b);
    }
    const k = kernelsFor('float32');
    for (let c = 0; c < calls; c++) k.gemm(s.transA, s.transB, s.M, s.N, s.K, 1, b.A, b.B, 0, b.C);
    // a device backend only queued the products: reading C waits for them (a no-op elsewhere)
    onHost(b.C);
  }
}
