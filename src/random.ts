// Seeded pseudo-random numbers. One generator is one stream; its whole state is four 32-bit
// words, so a run can save it with a checkpoint and resume exactly where it stopped.
// Algorithm: xoshiro128** (Blackman & Vigna), seeded through splitmix32.

import { HandgradError } from './errors.js';

/** The four 32-bit state words of a {@link Random} generator (xoshiro128**). */
export type RandomState = [number, number, number, number];

/**
 * A seeded pseudo-random generator (xoshiro128**, seeded through splitmix32): one stream of
 * numbers that repeats exactly for the same seed, and whose whole state can be saved with
 * getState() and restored with setState(). Layers' initialisers, dropout, data shuffling and
 * `Tensor.randn`/`rand` take one; when given none they use {@link globalRandom}.
 */
export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** A spare standard normal from the last Box–Muller pair (NaN when none). */
  private spare = NaN;

  /** A generator seeded with `seed` (default 0; see {@link Random.seed}). */
  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Restarts the stream from `seed` (a finite number; its integer part is used). */
  seed(seed: number): void {
    if (!Number.isFinite(seed)) throw new HandgradError(`Random.seed: seed must be a finite number, got ${seed}`);
    // splitmix32 expands one number into four well-mixed state words.
    let x = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    this.spare = NaN;
  }

  /**
   * The whole state, for a checkpoint: the four words and the spare normal of the last Box–Muller
   * pair (null when none).
   */
  getState(): { words: RandomState; spare: number | null } {
    return { words: [this.s0, this.s1, this.s2, this.s3], spare: Number.isNaN(this.spare) ? null : this.spare };
  }

  /** Continues from a state read by getState(): the numbers that follow are those that followed then. */
  setState(state: { words: RandomState; spare: number | null }): void {
    [this.s0, this.s1, this.s2, this.s3] = state.words.map((w) => w >>> 0) as RandomState;
    this.spare = state.spare ?? NaN;
  }

  /** Copies the four state words into `out[0..3]` (for a kernel that draws from this stream; no allocation). */
  copyWordsTo(out: Uint32Array): void {
    out[0] = this.s0;
    out[1] = this.s1;
    out[2] = this.s2;
    out[3] = this.s3;
  }

  /**
   * Continues from the four state words in `words[0..3]`, written back by such a kernel after at
   * least one draw; the spare normal is kept. The words are held as nextUint32() leaves them (s0..s2
   * signed, s3 unsigned), so getState() reads exactly as if the numbers had been drawn here.
   */
  setWords(words: Uint32Array): void {
    this.s0 = words[0]! | 0;
    this.s1 = words[1]! | 0;
    this.s2 = words[2]! | 0;
    this.s3 = words[3]! >>> 0;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Standard normal N(0, 1), Box–Muller. */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number, out: Int32Array = new Int32Array(n)): Int32Array {
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }

  /** Fills `out` with U(low, high). */
  fillUniform(out: Float32Array | Float64Array, low: number, high: number): void {
    for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * this.uniform();
  }

  /** Fills `out` with N(mean, std²). */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The library's default stream, used when a layer or loader is given no generator. */
export const globalRandom = new Random(0);

/** Seeds the default stream, like torch.manual_seed. */
export function manualSeed(seed: number): void {
  globalRandom.seed(seed);
}
