// The options of dream: the type a caller fills, the one table that holds every trick's rule,
// command-line flag and help (the CLI builds its flags from it; a trick missing from the table is
// a compile error), and their resolution with defaults. Browser-safe.
//
// Defaults depend on two switches. `plain` turns every trick off (the assignment's plain
// gradient ascent; normalisation and jitter stay). A PCA data prior (prior.ts) makes the
// pixel-space smoothing tricks unnecessary (the prior's span is smooth already): their defaults
// switch off and a TV penalty, a decaying step and the mean start take over (tuned on the
// Fashion-MNIST CNN, see README.md).

import { describeRule, meetsRule, type NumberRule } from '../numbers.js';
import { HandgradError, type Tensor } from '../tensor.js';
import type { Objective } from './objectives.js';
import type { PcaPrior } from './prior.js';

/** How gradients are clipped: 'value' (each entry to [−clip, clip]) or 'norm' (the gradient's L2 norm to ≤ clip). */
export type ClipMode = 'value' | 'norm';
/** Where the image starts: 'noise' (grey noise, 0.5 + noise · N(0, 1) per pixel) or 'mean' (the training set's mean image). */
export type DreamStart = 'noise' | 'mean';

/** What the onStep callback of {@link dream} receives after each step. */
export interface DreamStep {
  /** The step, 1-based. */
  step: number;
  /** The number of steps in the run. */
  steps: number;
  /** The objective's score at this step's forward. */
  score: number;
  /** The target's probability at this step's forward (jittered), or null without a target. */
  probability: number | null;
  /** The image size of the current octave. */
  size: [number, number];
}

/** Options of {@link dream}: the objective, and the tricks that keep the image natural (each with its default). */
export interface DreamOptions {
  /** What to maximise: one objective or several (their weighted scores add up). */
  objective: Objective | Objective[];
  /** The class whose probability and logit are reported. Default: the class of the first class objective. */
  target?: number;
  /** Number of steps. Default 200 (300 with the PCA prior). */
  steps?: number;
  /** Step size. Default 0.05 with the normalised step (pixels move by ~lr per step on average), 0.1 in plain mode (raw gradient; sweep it). */
  lr?: number;
  /** Seed of the start noise and of the jitter. Default 0. */
  seed?: number;
  /** Start image (C, h, w) or (1, C, h, w) in [0, 1]; resized to the first octave's size. Default: grey noise. */
  init?: Tensor;
  /** Grey noise start: 0.5 + noise · N(0, 1) per pixel. Default 0.1 (0.02 around the mean image). */
  noise?: number;
  /** Jitter: roll the image by up to ±J pixels (of the model's input; proportionally fewer at a smaller octave) before each forward, un-roll the gradient. Default 2 (kept in plain mode: the assignment's normalize_and_jitter). */
  jitter?: number;
  /** Blur the image every k steps (0 = never). Default 2. Removes the high frequencies the network adds. */
  blurEvery?: number;
  /** σ in pixels of that blur. Default 0.7. */
  blurSigma?: number;
  /** Clamp pixels to [0, 1] after every step. Default true. */
  clamp?: boolean;
  /** L2 weight decay on the image: img ← (1 − wd)·img after every step, pulling unused pixels to 0 (black, the background of MNIST-like data). Default 0.005. */
  weightDecay?: number;
  /** σ in pixels of a Gaussian blur of the gradient at every step (0 = off). Default 1. */
  gradBlurSigma?: number;
  /** Gradient clipping threshold (0 = off), applied after the normalisation. Default 0 (off). */
  clip?: number;
  /** 'value': clamp each gradient entry to [−clip, clip]; 'norm': rescale the gradient to L2 norm ≤ clip. Default 'value'. */
  clipMode?: ClipMode;
  /** Number of scales: start octaveScale^(octaves−1) times smaller and upscale (bilinear) at equal step intervals up to the model's size. Default 2. */
  octaves?: number;
  /** Size ratio between two octaves. Default 1.4. */
  octaveScale?: number;
  /** Divide the gradient by its mean absolute value before the step (DeepDream), so lr is in pixel units. Default true. */
  normalizeStep?: boolean;
  /** Step size at the last step: lr decays linearly from lr to lrEnd. Default: lr (constant); lr/10 with the PCA prior. */
  lrEnd?: number;
  /** σ of the image blur at the last step: σ decays linearly from blurSigma to blurSigmaEnd (blur hard early for the shape, lightly late for the detail). Default: blurSigma. */
  blurSigmaEnd?: number;
  /** Weight of a total-variation penalty λ·TV_ε(img) in the energy (transforms.ts smoothTotalVariation); its gradient is subtracted from the (normalised) step. Default 0 (0.35 with the PCA prior). */
  tv?: number;
  /** Weight of an L1 (sparsity) penalty λ·Σ|img| in the energy: pushes unused pixels to black. Default 0. */
  l1?: number;
  /** Weight of an L2 prior λ/2·‖img − mean image‖² (needs meanImage). Default 0. */
  prior?: number;
  /** The training set's per-pixel mean image (C, H, W) in [0, 1]: the prior's centre and, with start: 'mean', the start. */
  meanImage?: Tensor;
  /** Start from 'noise' (grey 0.5 + noise·N(0, 1)) or 'mean' (meanImage + noise·N(0, 1)). Ignored when init is given. Default 'noise' ('mean' with the PCA prior). */
  start?: DreamStart;
  /** A data prior (prior.ts pcaPrior): keep the image in the span of the training set's top-k principal components, img = mean + U z; the gradient is projected onto the span, the image projected back after every step. Applied at the model's size (the last octave). Default: none. */
  pca?: PcaPrior;
  /** With the PCA prior: the fraction of the final steps in which the prior lets go (neither the gradient nor the image is projected onto its span), so the network can finish what the span alone cannot reach while the decayed step keeps the image close. Default 0.05 with the PCA prior. */
  priorRelax?: number;
  /** Plain gradient ascent: every trick above off (no blur, clamp, decay, gradient blur, clipping, octaves, step normalisation); normalisation and jitter stay. Options given explicitly still win. */
  plain?: boolean;
  /** Called after every step (progress bars). */
  onStep?: (info: DreamStep) => void;
}

/** The options that are plain values (numbers, switches, choices), but for `target`: the tricks of the table. */
export type DreamTrick = Exclude<
  { [K in keyof DreamOptions]-?: NonNullable<DreamOptions[K]> extends number | boolean | string ? K : never }[keyof DreamOptions],
  'target'
>;

/** A numeric trick: what values it takes, its flag, the name of the flag's value and the help. */
export interface NumberTrick {
  /** A numeric option. */
  kind: 'number';
  /** The command line's flag, e.g. '--lr'. */
  flag: string;
  /** The name of the flag's value in the help. */
  arg: string;
  /** The values it takes. */
  rule: NumberRule;
  /** One line for the help. */
  help: string;
}

/** A switch: the flag sets the option to `value` (--no-clamp → clamp false, --plain → plain true). */
export interface SwitchTrick {
  /** A boolean option. */
  kind: 'switch';
  /** The command line's flag, e.g. '--no-clamp'. */
  flag: string;
  /** The value the flag sets. */
  value: boolean;
  /** One line for the help. */
  help: string;
}

/** A choice among names. */
export interface ChoiceTrick<T extends string = string> {
  /** An option naming one of `choices`. */
  kind: 'choice';
  /** The command line's flag. */
  flag: string;
  /** The name of the flag's value in the help. */
  arg: string;
  /** The names it takes. */
  choices: readonly T[];
  /** One line for the help. */
  help: string;
}

/** How the command line offers one option of {@link DreamOptions}. */
export type DreamTrickSpec = NumberTrick | SwitchTrick | ChoiceTrick;
type SpecOf<T> = [T] extends [boolean] ? SwitchTrick : [T] extends [number] ? NumberTrick : [T] extends [string] ? ChoiceTrick<T> : never;

const sigma: NumberRule = { min: 0, max: 1000 };
const weight: NumberRule = { min: 0 };

/** Every trick, once: its rule (checked by resolveDreamOptions and by the command line alike), flag and help. */
export const DREAM_TRICKS: { readonly [K in DreamTrick]: SpecOf<NonNullable<DreamOptions[K]>> } = {
  steps: { kind: 'number', flag: 'steps', arg: 'n', rule: { min: 1, integer: true }, help: 'optimisation steps (default 300 with the PCA prior, else 200)' },
  lr: { kind: 'number', flag: 'lr', arg: 'x', rule: { min: 0, minExclusive: true }, help: 'step size (default 0.05 with the normalised step, 0.1 in plain mode)' },
  seed: { kind: 'number', flag: 'seed', arg: 'n', rule: { min: 0, max: 2 ** 32 - 1, integer: true }, help: 'seed of the start noise and the jitter (default 0)' },
  noise: { kind: 'number', flag: 'noise', arg: 'std', rule: weight, help: 'start noise: 0.5 + std·N(0, 1) (default 0.1; 0.02 around the mean image)' },
  jitter: { kind: 'number', flag: 'jitter', arg: 'px', rule: { min: 0, max: 1000, integer: true }, help: 'random roll by up to ± this many pixels before each forward (default 2)' },
  blurEvery: { kind: 'number', flag: 'blur-every', arg: 'k', rule: { min: 0, integer: true }, help: 'Gaussian-blur the image every k steps, 0 = never (default 2)' },
  blurSigma: { kind: 'number', flag: 'blur-sigma', arg: 'px', rule: sigma, help: 'σ of that blur in pixels (default 0.7)' },
  clamp: { kind: 'switch', flag: 'no-clamp', value: false, help: 'do not clamp the pixels to [0, 1] after each step' },
  weightDecay: { kind: 'number', flag: 'weight-decay', arg: 'wd', rule: { min: 0, max: 1, maxExclusive: true }, help: 'L2 decay of the image, img ← (1 − wd)·img each step (default 0.005)' },
  gradBlurSigma: { kind: 'number', flag: 'grad-blur', arg: 'sigma', rule: sigma, help: 'σ in pixels of a Gaussian blur of the gradient each step, 0 = off (default 1)' },
  clip: { kind: 'number', flag: 'clip', arg: 'c', rule: weight, help: 'clip the (normalised) gradient at c, 0 = off (default 0)' },
  clipMode: { kind: 'choice', flag: 'clip-mode', arg: 'mode', choices: ['value', 'norm'], help: "'value' (each entry to [−c, c]) or 'norm' (L2 norm ≤ c) (default value)" },
  octaves: { kind: 'number', flag: 'octaves', arg: 'n', rule: { min: 1, max: 16, integer: true }, help: 'scales: start octave-scale^(n−1) times smaller, upscale at equal intervals (default 2)' },
  octaveScale: { kind: 'number', flag: 'octave-scale', arg: 's', rule: { min: 1, max: 16 }, help: 'size ratio between octaves (default 1.4)' },
  normalizeStep: { kind: 'switch', flag: 'no-normalize-step', value: false, help: "do not divide the gradient by its mean magnitude (DeepDream's step)" },
  lrEnd: { kind: 'number', flag: 'lr-end', arg: 'x', rule: { min: 0, minExclusive: true }, help: 'step size at the last step, decaying linearly from the step size (default lr/10 with the PCA prior, else lr)' },
  blurSigmaEnd: { kind: 'number', flag: 'blur-sigma-end', arg: 'px', rule: sigma, help: 'σ of the image blur at the last step, decaying linearly from the blur σ (default: constant)' },
  tv: { kind: 'number', flag: 'tv', arg: 'w', rule: weight, help: 'weight of a total-variation penalty on the image (default 0.35 with the PCA prior, else 0)' },
  l1: { kind: 'number', flag: 'l1', arg: 'w', rule: weight, help: 'weight of an L1 (sparsity) penalty pushing pixels to black (default 0)' },
  prior: { kind: 'number', flag: 'mean-prior', arg: 'w', rule: weight, help: 'weight of an L2 pull towards the training mean image (default 0)' },
  start: { kind: 'choice', flag: 'start', arg: 'kind', choices: ['noise', 'mean'], help: "'noise' (grey 0.5 + noise) or 'mean' (the training mean image + noise) (default mean with the PCA prior, else noise)" },
  priorRelax: { kind: 'number', flag: 'prior-relax', arg: 'f', rule: { min: 0, max: 1, maxExclusive: true }, help: 'with the PCA prior: the fraction of the final steps without it (default 0.05)' },
  plain: { kind: 'switch', flag: 'plain', value: true, help: 'plain gradient ascent: every trick off (normalisation and jitter stay)' },
};

/** The options as resolved with their defaults (recorded with every result). */
export type ResolvedDreamOptions = Required<Omit<Pick<DreamOptions, DreamTrick>, 'start'>> & {
  objective: Objective[];
  target: number | null;
  init: DreamStart | 'image';
  /** Components of the PCA prior, 0 = none. */
  pca: number;
};

/** The objectives as a list of at least one. */
export function objectiveList(o: Objective | Objective[]): Objective[] {
  const list = Array.isArray(o) ? o : [o];
  if (list.length === 0) throw new HandgradError('dream: give at least one objective');
  return list;
}

type NumericTrick = { [K in DreamTrick]: NonNullable<DreamOptions[K]> extends number ? K : never }[DreamTrick];
const TARGET_RULE: NumberRule = { min: 0, integer: true };

/** A numeric option, checked against its rule, or its default. */
function num(name: NumericTrick | 'target', v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  const rule = name === 'target' ? TARGET_RULE : DREAM_TRICKS[name].rule;
  if (!meetsRule(v, rule)) throw new HandgradError(`dream: option ${name} must be ${describeRule(rule)}, got ${JSON.stringify(v)}`);
  return v;
}

function choice<K extends 'clipMode' | 'start'>(name: K, v: DreamOptions[K], dflt: NonNullable<DreamOptions[K]>): NonNullable<DreamOptions[K]> {
  if (v === undefined) return dflt;
  const choices: readonly string[] = (name === 'start' ? DREAM_TRICKS.start : DREAM_TRICKS.clipMode).choices;
  if (!choices.includes(v)) throw new HandgradError(`dream: option ${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

/** The options with every default filled in (plain: true turns each trick's default off). */
export function resolveDreamOptions(o: DreamOptions): ResolvedDreamOptions {
  const objective = objectiveList(o.objective);
  const plain = o.plain ?? false;
  const normalizeStep = o.normalizeStep ?? !plain;
  const pca = !plain && o.pca !== undefined;
  const firstClass = objective.find((x) => x.kind === 'logit' || x.kind === 'logprob');
  const lr = num('lr', o.lr, normalizeStep ? 0.05 : 0.1);
  const blurSigma = num('blurSigma', o.blurSigma, 0.7);
  const start = choice('start', o.start, pca ? 'mean' : 'noise');
  const prior = num('prior', o.prior, 0);
  if ((start === 'mean' || prior > 0) && !o.init && !o.meanImage && !o.pca) throw new HandgradError(`dream: ${prior > 0 ? 'the mean prior' : "start: 'mean'"} needs the option meanImage (the training set's per-pixel mean)`);
  return {
    objective,
    target: o.target !== undefined ? num('target', o.target, 0) : firstClass && 'class' in firstClass ? firstClass.class : null,
    steps: num('steps', o.steps, pca ? 300 : 200),
    lr,
    seed: num('seed', o.seed, 0),
    init: o.init ? 'image' : start,
    noise: num('noise', o.noise, start === 'mean' ? 0.02 : 0.1),
    jitter: num('jitter', o.jitter, 2),
    blurEvery: num('blurEvery', o.blurEvery, plain || pca ? 0 : 2),
    blurSigma,
    clamp: o.clamp ?? !plain,
    weightDecay: num('weightDecay', o.weightDecay, plain || pca ? 0 : 0.005),
    gradBlurSigma: num('gradBlurSigma', o.gradBlurSigma, plain || pca ? 0 : 1),
    clip: num('clip', o.clip, 0),
    clipMode: choice('clipMode', o.clipMode, 'value'),
    octaves: num('octaves', o.octaves, plain || pca ? 1 : 2),
    octaveScale: num('octaveScale', o.octaveScale, 1.4),
    normalizeStep,
    lrEnd: num('lrEnd', o.lrEnd, pca ? lr / 10 : lr),
    blurSigmaEnd: num('blurSigmaEnd', o.blurSigmaEnd, blurSigma),
    tv: num('tv', o.tv, pca ? 0.35 : 0),
    l1: num('l1', o.l1, 0),
    prior,
    pca: pca ? o.pca!.k : 0,
    priorRelax: num('priorRelax', o.priorRelax, pca ? 0.05 : 0),
    plain,
  };
}
