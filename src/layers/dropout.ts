// Dropout(p), two semantics, recorded by name in the layer's config:
//   'inverted' (PyTorch): train y = x · m / (1 − p),  eval y = x
//   'cmu' (the CMU assignment): train y = x · m,      eval y = x · (1 − p)
// where m_i = 1 if u_i ≥ p else 0, one uniform u_i per unit from a seeded stream. Either way
// backward in training is dx = dy · (the same scaled mask); in eval it is dy · the eval factor.

import { kernelsFor } from '../backend.js';
import { Random, globalRandom } from '../random.js';
import { onHost, shapeString, sameShape, type Tensor } from '../tensor.js';
import { OutputBuffer, checkNumber, LayerError, Module, type LayerConfig } from './module.js';

/**
 * How Dropout scales: 'inverted' (PyTorch: y = x·m/(1 − p) in training, y = x in eval) or 'cmu'
 * (the CMU assignment: y = x·m in training, y = x·(1 − p) in eval).
 */
export type DropoutMode = 'inverted' | 'cmu';

/** Options of {@link Dropout}. */
export interface DropoutOptions {
  /** The probability of dropping each unit, in [0, 1) (default 0.5). */
  p?: number;
  /** Where the 1/(1 − p) scaling goes (default 'inverted', as PyTorch). */
  mode?: DropoutMode;
  /** A seed for this layer's own stream, or a generator to share. Default: the global stream. */
  seed?: number;
  /** The generator the masks are drawn from (default: a new Random(seed) when `seed` is given, else {@link globalRandom}). */
  rng?: Random;
}

/**
 * Dropout: in training each unit is zeroed with probability p (mask m_i = 1 if u_i ≥ p, one uniform
 * per unit from the layer's stream) and scaled as `mode` says; in eval it passes x through (scaled
 * by 1 − p in 'cmu' mode). Any shape; y and dx have the shape of x. backward multiplies dy by the
 * same scaled mask.
 */
export class Dropout extends Module {
  /** The drop probability. */
  readonly p: number;
  /** The scaling semantics. */
  readonly mode: DropoutMode;
  private rng: Random;
  /** The scaled mask of the last training forward: 0 or 1/(1−p) (inverted) or 0 or 1 (cmu). */
  private readonly maskBuf = new OutputBuffer();
  private mask: Tensor | null = null;
  /** A mask given by setMask(), used (once per forward) instead of drawing one. */
  private injected: Tensor | null = null;
  private y: Tensor | null = null;
  private usedMask = false;
  private readonly out = new OutputBuffer();
  private readonly dxBuf = new OutputBuffer();
  /** The generator's four state words, handed to the dropoutMask kernel and back (no allocation per call). */
  private readonly rngWords = new Uint32Array(4);

  /** A dropout layer with `options.p` (default 0.5) and `options.mode` (default 'inverted'). */
  constructor(options: DropoutOptions = {}) {
    super();
    this.p = checkNumber('Dropout', 'p', options.p ?? 0.5, { min: 0, max: 1, maxExclusive: true });
    const mode = options.mode ?? 'inverted';
    if (mode !== 'inverted' && mode !== 'cmu') throw new LayerError(`Dropout: option mode must be 'inverted' or 'cmu', got '${String(mode)}'`);
    this.mode = mode;
    this.rng = options.rng ?? (options.seed !== undefined ? new Random(options.seed) : globalRandom);
  }

  describe(): string {
    return `Dropout(p=${this.p}, mode=${this.mode})`;
  }

  config(): LayerConfig {
    return { type: 'Dropout', p: this.p, mode: this.mode };
  }

  /** Uses `keep` (1 = keep the unit, 0 = drop it, same shape as the next input) on the next training forward. */
  setMask(keep: Tensor): void {
    this.injected = keep;
  }

  /** The generator that draws the masks (to save and restore its state with a checkpoint). */
  get generator(): Random {
    return this.rng;
  }

  set generator(rng: Random) {
    this.rng = rng;
  }

  /** Multiplier applied in eval mode: 1 (inverted) or 1 − p (cmu). */
  get evalScale(): number {
    return this.mode === 'cmu' ? 1 - this.p : 1;
  }

  forward(x: Tensor): Tensor {
    this.requireTensor(x, 'the input');
    const y = this.out.get(x.shape, x.dtype);
    const k = kernelsFor(x.dtype);
    if (this.training && this.p > 0) {
      const keepScale = this.mode === 'inverted' ? 1 / (1 - this.p) : 1;
      const mask = this.maskBuf.get(x.shape, x.dtype);
      const m = mask.storage;
      const injected = this.injected;
      if (injected) {
        onHost(m);
        if (!sameShape(injected.shape, x.shape)) {
          this.fail(`the mask given to setMask() has shape ${shapeString(injected.shape)}, expected the input shape ${shapeString(x.shape)}`);
        }
        const keep = injected.data;
        for (let i = 0; i < m.length; i++) m[i] = keep[i] !== 0 ? keepScale : 0;
        this.injected = null;
      } else if (m.length > 0) {
        // One uniform number per unit from the layer's stream, drawn by the kernel (the same
        // xoshiro128** numbers Random would draw): the unit is dropped when u < p.
        this.rng.copyWordsTo(this.rngWords);
        k.dropoutMask(m, this.p, keepScale, this.rngWords);
        this.rng.setWords(this.rngWords);
      }
      k.mul(x.storage, m, y.storage);
      this.mask = mask;
      this.usedMask = true;
    } else {
      // y = s · x (s = 1: a copy)
      k.scale(x.storage, this.evalScale, y.storage);
      this.usedMask = false;
    }
    this.y = y;
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.requireGradShape(dy, this.y);
    const dx = this.dxBuf.get(dy.shape, dy.dtype);
    if (this.usedMask) {
      // forward was y = x · mask, so dx = dy · mask
      kernelsFor(dy.dtype).mul(dy.storage, this.mask!.storage, dx.storage);
    } else {
      // forward was y = s · x, so dx = s · dy
      kernelsFor(dy.dtype).scale(dy.storage, this.evalScale, dx.storage);
    }
    return dx;
  }
}
