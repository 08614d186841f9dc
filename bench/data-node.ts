// Training data for the benchmark's Node contestants (Node-only: reads files).
// Fashion-MNIST is read from its IDX .gz files with src/data's parser; the W3 data is synthetic.
// (The Python children read the same files with gzip + numpy, see scripts/bench_numpy.py.)

import { readFileSync } from 'node:fs';
import { parseIdx } from '../src/data/idx.js';
import { Random } from '../src/random.js';
import type { DataSpec } from './workloads.js';

export interface BenchData {
  /** n samples of `features` float32 values each, row-major. */
  x: Float32Array;
  /** n class indices. */
  y: Int32Array;
  n: number;
  features: number;
  source: string;
}

/** An unsigned-byte IDX file, read with handgrad's own reader (src/data/idx.ts, gzip detected). */
function readIdxU8(path: string, dims: number): { dims: number[]; payload: Uint8Array } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`bench data: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  const arr = parseIdx(bytes, path, { dims });
  if (!(arr.data instanceof Uint8Array)) throw new Error(`bench data: ${path}: expected unsigned bytes, got IDX type ${arr.dtype}`);
  return { dims: arr.shape, payload: arr.data };
}

/**
 * Loads the data. `allocate` gives the storage of x (handgrad passes its backend's allocator, so
 * that the wasm backend reads batches straight from its linear memory); `batch` > 0 keeps only
 * whole batches.
 */
export function loadData(spec: DataSpec, allocate: (n: number) => Float32Array = (n) => new Float32Array(n), batch = 0): BenchData {
  const keep = (n: number): number => (batch > 0 ? Math.floor(n / batch) * batch : n);
  if (spec.kind === 'idx') {
    const img = readIdxU8(spec.images, 3);
    const lab = readIdxU8(spec.labels, 1);
    const [total, h, w] = img.dims as [number, number, number];
    if (lab.dims[0] !== total) throw new Error(`bench data: ${spec.labels} has ${lab.dims[0]} labels for ${total} images in ${spec.images}`);
    const n = keep(total);
    const features = h * w;
    const x = allocate(n * features);
    for (let i = 0; i < x.length; i++) x[i] = img.payload[i]! / 255;
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) y[i] = lab.payload[i]!;
    return { x, y, n, features, source: spec.images };
  }
  const rng = new Random(spec.seed);
  const n = keep(spec.n);
  const x = allocate(n * spec.features);
  rng.fillUniform(x, 0, 1);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.int(spec.classes);
  return { x, y, n, features: spec.features, source: `synthetic U[0,1) seed ${spec.seed}` };
}
