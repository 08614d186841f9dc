// `handgrad dream --model runs/<x> --class <name|index>`: gradient descent on the input image
// (NYU part 2.2). Writes into --out: one PNG per image (upscaled ×8, nearest), a grid of all of
// them with captions, and dream.json (one entry per image: class, label, probability, logit,
// totalVariation, probability per step, and the options used).
//   --all-classes            every class, one grid
//   --layer L --channel i    what a middle channel responds to; without --channel, a grid over channels
//   --lr-sweep a,b,c         one image and one final probability per learning rate
//   --compare-plain          also run plain gradient ascent for each class and record both
// Every trick of src/dream is a flag; `--plain` turns them all off. By default the image is kept
// in the span of the run's training data's top 24 principal components (--pca, src/dream/prior.ts):
// that is what makes the dreamed classes look like garments; --pca 0 gives the pixel tricks alone.

import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { dream, layerNames, pcaPrior, resolveDreamOptions, resolveLayer, type DreamModel, type PcaPrior, type DreamOptions, type DreamResult, type Objective } from '../dream/index.js';
import { writeFileAtomic } from '../io/atomic-node.js';
import { encodePng, readPngImage } from '../io/png-node.js';
import { Sequential } from '../layers/sequential.js';
import { Conv2d } from '../layers/conv.js';
import { imageToRgba, renderImageGrid, type GridImage } from '../plot/image-grid.js';
import { HandgradError, shapeString, Tensor } from '../tensor.js';
import type { SavedModel } from '../train/saved-node.js';
import { chooseBackend, loadData, parseChoice, parseNumber, requireExisting, BACKEND_HELP, parseBackend } from './common.js';
import { loadModelOrUsage } from './eval.js';
import { UsageError } from './main.js';

interface DreamFlags {
  model: string;
  class?: string;
  allClasses?: boolean;
  layer?: string;
  channel?: string;
  deepdream?: boolean;
  objective: string;
  lrSweep?: string;
  comparePlain?: boolean;
  steps?: string;
  lr?: string;
  seed: string;
  from?: string;
  noise?: string;
  jitter?: string;
  blurEvery?: string;
  blurSigma?: string;
  clamp: boolean;
  weightDecay?: string;
  gradBlur?: string;
  clip?: string;
  clipMode?: string;
  octaves?: string;
  octaveScale?: string;
  normalizeStep: boolean;
  lrEnd?: string;
  blurSigmaEnd?: string;
  tv?: string;
  l1?: string;
  meanPrior?: string;
  start?: string;
  pca?: string;
  pcaSamples: string;
  data?: string;
  dataDir?: string;
  plain?: boolean;
  scale: string;
  out?: string;
  backend: string;
  quiet?: boolean;
}

/** The saved run as dream needs it: the Sequential, the image shape, the normalisation, the class names. */
export function dreamModelFromSaved(saved: SavedModel): DreamModel {
  const net = saved.model;
  if (!(net instanceof Sequential)) throw new UsageError(`--model: dream needs a Sequential model, ${saved.dir} holds ${net.describe()}`);
  const shape = saved.data.sampleShape;
  let inputShape: [number, number, number];
  if (shape.length === 3) inputShape = shape as [number, number, number];
  else if (shape.length === 1 && Number.isInteger(Math.sqrt(shape[0]!))) inputShape = [1, Math.sqrt(shape[0]!), Math.sqrt(shape[0]!)];
  else throw new UsageError(`--model: dream needs image samples [channels, height, width] (or square flat ones), ${saved.dir} was trained on samples of shape ${shapeString(shape)}`);
  // a CNN takes (1, C, H, W); an MLP trained on flat samples without a Flatten takes (1, C·H·W)
  const networkInputShape = net.layers[0] instanceof Conv2d || shape.length === 3 ? undefined : [1, shape[0]!];
  return {
    net, inputShape, mean: saved.normalization.mean, std: saved.normalization.std,
    classes: saved.classes, ...(networkInputShape ? { networkInputShape } : {}),
  };
}

/** A class by index or by name (case-insensitive; also a unique prefix). */
export function parseClass(raw: string, classes: string[]): number {
  const t = raw.trim();
  if (/^\d+$/.test(t)) {
    const i = Number(t);
    if (i < classes.length) return i;
    throw new UsageError(`--class: index ${i} is out of range; the model has ${classes.length} classes (0–${classes.length - 1})`);
  }
  const key = t.toLowerCase();
  const exact = classes.findIndex((c) => c.toLowerCase() === key);
  if (exact >= 0) return exact;
  const pre = classes.map((c, i) => [c, i] as const).filter(([c]) => c.toLowerCase().startsWith(key));
  if (pre.length === 1) return pre[0]![1];
  throw new UsageError(`--class: unknown class '${raw}'; classes: ${classes.map((c, i) => `${i}=${c}`).join(', ')}`);
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'x';
}

/** The dream options from the flags (only the flags the user gave; the library fills the defaults). */
function trickOptions(f: DreamFlags): Omit<DreamOptions, 'objective'> {
  const o: Omit<DreamOptions, 'objective'> = {};
  const n = (flag: string, v: string | undefined, rule: Parameters<typeof parseNumber>[2]): number | undefined =>
    v === undefined ? undefined : parseNumber(flag, v, rule);
  const set = <K extends keyof DreamOptions>(k: K, v: DreamOptions[K] | undefined): void => {
    if (v !== undefined) (o as DreamOptions)[k] = v;
  };
  set('plain', f.plain === true ? true : undefined);
  set('steps', n('--steps', f.steps, { min: 1, integer: true }));
  set('lr', n('--lr', f.lr, { min: 0, minExclusive: true }));
  set('seed', parseNumber('--seed', f.seed, { min: 0, integer: true }));
  set('noise', n('--noise', f.noise, { min: 0 }));
  set('jitter', n('--jitter', f.jitter, { min: 0, integer: true }));
  set('blurEvery', n('--blur-every', f.blurEvery, { min: 0, integer: true }));
  set('blurSigma', n('--blur-sigma', f.blurSigma, { min: 0 }));
  set('clamp', f.clamp === false ? false : undefined);
  set('weightDecay', n('--weight-decay', f.weightDecay, { min: 0, max: 1, maxExclusive: true }));
  set('gradBlurSigma', n('--grad-blur', f.gradBlur, { min: 0 }));
  set('clip', n('--clip', f.clip, { min: 0 }));
  set('clipMode', f.clipMode === undefined ? undefined : parseChoice('--clip-mode', f.clipMode, ['value', 'norm'] as const));
  set('octaves', n('--octaves', f.octaves, { min: 1, integer: true }));
  set('octaveScale', n('--octave-scale', f.octaveScale, { min: 1 }));
  set('normalizeStep', f.normalizeStep === false ? false : undefined);
  set('lrEnd', n('--lr-end', f.lrEnd, { min: 0, minExclusive: true }));
  set('blurSigmaEnd', n('--blur-sigma-end', f.blurSigmaEnd, { min: 0 }));
  set('tv', n('--tv', f.tv, { min: 0 }));
  set('l1', n('--l1', f.l1, { min: 0 }));
  set('prior', n('--mean-prior', f.meanPrior, { min: 0 }));
  set('start', f.start === undefined ? undefined : parseChoice('--start', f.start, ['noise', 'mean'] as const));
  return o;
}

interface Job {
  /** File name stem and caption. */
  name: string;
  caption: string[];
  objective: Objective;
  lr?: number;
  plain?: boolean;
  /** What the entry in dream.json records besides the result. */
  meta: Record<string, unknown>;
}

export function register(program: Command): void {
  program
    .command('dream')
    .description('optimise the input image so the model sees a class (or a middle channel): gradient descent on the input')
    .requiredOption('--model <dir|file>', 'a run directory (runs/<name>) or a model bundle (.safetensors)')
    .option('--class <name|index>', 'the class to dream (a name, a unique prefix of one, or an index); several: a,b')
    .option('--all-classes', 'dream every class and put them in one grid')
    .option('--layer <name>', "a middle layer: its index ('3') or type and rank ('conv2', 'relu1', 'pool1', 'linear1')")
    .option('--channel <i>', 'with --layer: maximise the mean of this channel (a unit for flat layers); omitted: a grid over all channels')
    .option('--deepdream', "with --layer and no --channel: DeepDream's mean squared activation of the whole layer")
    .option('--objective <kind>', "class objective: logprob (log softmax: raises the class against the others) or logit (the assignment's: minus the class energy)", 'logprob')
    .option('--lr-sweep <list>', 'one image per learning rate, e.g. 1e-3,1e-2,1e-1,1')
    .option('--compare-plain', 'also run plain gradient ascent (every trick off) per class and record both')
    .option('--steps <n>', 'optimisation steps (default 300 with --pca, else 200)')
    .option('--lr <x>', 'step size (default 0.05 with the normalised step, 0.1 with --plain)')
    .option('--seed <n>', 'seed of the start noise and the jitter', '0')
    .option('--from <png>', 'start from this image instead of grey noise (resized to the model input)')
    .option('--noise <std>', 'grey start noise: 0.5 + std·N(0, 1) (default 0.1)')
    .option('--jitter <px>', 'random roll by up to ± this many pixels before each forward (default 2)')
    .option('--blur-every <k>', 'Gaussian-blur the image every k steps, 0 = never (default 2)')
    .option('--blur-sigma <px>', 'σ of that blur in pixels (default 0.7)')
    .option('--no-clamp', 'do not clamp the pixels to [0, 1] after each step')
    .option('--weight-decay <wd>', 'L2 decay of the image, img ← (1 − wd)·img each step (default 0.005)')
    .option('--grad-blur <sigma>', 'σ in pixels of a Gaussian blur of the gradient each step, 0 = off (default 1)')
    .option('--clip <c>', 'clip the (normalised) gradient at c, 0 = off (default 0)')
    .option('--clip-mode <mode>', "'value' (each entry to [−c, c]) or 'norm' (L2 norm ≤ c) (default value)")
    .option('--octaves <n>', 'scales: start octave-scale^(n−1) times smaller, upscale at equal intervals (default 2)')
    .option('--octave-scale <s>', 'size ratio between octaves (default 1.4)')
    .option('--no-normalize-step', "do not divide the gradient by its mean magnitude (DeepDream's step)")
    .option('--pca <k>', "data prior: keep the image in the span of the training set's top-k principal components (mean + U z); 0 = off, pixel-space tricks only. With it on, the defaults become: start mean, tv 0.35, 300 steps, lr 0.05 → 0.005, no blur, no gradient blur, no weight decay, 1 octave. Default 24 when the run's training data can be found (else off, with a note)")
    .option('--pca-samples <n>', 'training images (evenly spaced) the principal components are computed from', '10000')
    .option('--data <name|path>', "the training data for --pca, --start mean and --mean-prior (a registered name or a path, as for train; default: the data set the run records)")
    .option('--data-dir <dir>', 'where registered data sets are looked for (as for train)')
    .option('--start <kind>', "'noise' (grey 0.5 + noise) or 'mean' (the training mean image + noise) (default mean with --pca, else noise)")
    .option('--tv <w>', 'weight of a total-variation penalty on the image (default 0.35 with --pca, else 0)')
    .option('--l1 <w>', 'weight of an L1 (sparsity) penalty pushing pixels to black (default 0)')
    .option('--mean-prior <w>', 'weight of an L2 pull towards the training mean image (default 0)')
    .option('--lr-end <x>', 'step size at the last step, decaying linearly from --lr (default lr/10 with --pca, else lr)')
    .option('--blur-sigma-end <px>', 'σ of the image blur at the last step, decaying linearly from --blur-sigma (default: constant)')
    .option('--plain', 'plain gradient ascent: every trick above off (normalisation and jitter stay)')
    .option('--scale <k>', 'PNG upscale factor (nearest neighbour)', '8')
    .option('--out <dir>', 'output directory (default <model dir>/dream)')
    .option('--backend <name>', BACKEND_HELP, 'auto')
    .option('--quiet', 'no progress output')
    .action(async (f: DreamFlags) => {
      await runDream(f);
    });
}

async function runDream(f: DreamFlags): Promise<void> {
  await chooseBackend(parseBackend(f.backend));
  const saved = loadModelOrUsage(f.model);
  const model = dreamModelFromSaved(saved);
  const net = model.net;
  const classes = model.classes ?? [];
  const scale = parseNumber('--scale', f.scale, { min: 1, max: 64, integer: true });
  const tricks = trickOptions(f);
  const objectiveKind = parseChoice('--objective', f.objective, ['logit', 'logprob'] as const);
  const modes = [f.class !== undefined, f.allClasses === true, f.layer !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('give exactly one of --class <name|index>, --all-classes, or --layer <name> [--channel <i>]');
  if (f.channel !== undefined && f.layer === undefined) throw new UsageError('--channel needs --layer');
  if (f.deepdream && (f.layer === undefined || f.channel !== undefined)) throw new UsageError('--deepdream needs --layer and no --channel');
  const lrs = f.lrSweep === undefined ? [undefined] : f.lrSweep.split(',').map((s) => parseNumber('--lr-sweep', s, { min: 0, minExclusive: true }));
  if (f.lrSweep !== undefined && f.lr !== undefined) throw new UsageError('give --lr or --lr-sweep, not both');
  if (f.comparePlain && f.layer !== undefined) throw new UsageError('--compare-plain compares class dreams; use it with --class or --all-classes');
  let init: Tensor | undefined;
  if (f.from !== undefined) {
    requireExisting('--from', f.from, 'file');
    try {
      init = readPngImage(f.from, model.inputShape[0] === 3 ? 3 : 1);
    } catch (e) {
      if (e instanceof HandgradError) throw new UsageError(`--from: ${e.message}`);
      throw e;
    }
    if (model.inputShape[0] !== 1 && model.inputShape[0] !== 3) throw new UsageError(`--from: the model takes ${model.inputShape[0]} channels; PNG start images need 1 or 3`);
  }

  // ---- the jobs -------------------------------------------------------------------------------
  const jobs: Job[] = [];
  let columns: number | undefined;
  const label = (c: number): string => classes[c] ?? String(c);
  if (f.layer !== undefined) {
    let layerIndex: number;
    try {
      layerIndex = resolveLayer(net, f.layer);
    } catch (e) {
      throw new UsageError(`--layer: ${(e as Error).message.replace(/^dream: /, '')}`);
    }
    const layerName = layerNames(net)[layerIndex]![1];
    const channels = layerChannels(model, layerIndex);
    if (f.deepdream) {
      jobs.push({ name: `layer-${layerName}-deepdream`, caption: [layerName, 'DEEPDREAM'], objective: { kind: 'deepdream', layer: String(layerIndex) }, meta: { layer: layerName, layerIndex, objective: 'deepdream' } });
    } else {
      const list = f.channel === undefined
        ? Array.from({ length: channels }, (_, i) => i)
        : [parseNumber('--channel', f.channel, { min: 0, max: channels - 1, integer: true })];
      for (const ch of list) {
        jobs.push({ name: `layer-${layerName}-channel-${ch}`, caption: [`${layerName} CH ${ch}`], objective: { kind: 'channel', layer: String(layerIndex), channel: ch }, meta: { layer: layerName, layerIndex, channel: ch } });
      }
    }
  } else {
    const list = f.allClasses ? classes.map((_, i) => i) : f.class!.split(',').map((c) => parseClass(c, classes));
    if (list.length === 0) throw new UsageError(`--all-classes: ${saved.dir} records no class names`);
    for (const c of list) {
      for (const lr of lrs) {
        const lrTag = lr === undefined ? '' : `-lr-${lr}`;
        jobs.push({ name: `class-${c}-${slug(label(c))}${lrTag}`, caption: [label(c)], objective: { kind: objectiveKind, class: c }, lr, meta: { class: c, label: label(c), ...(lr !== undefined ? { lr } : {}) } });
        if (f.comparePlain) {
          jobs.push({ name: `class-${c}-${slug(label(c))}${lrTag}-plain`, caption: [label(c), 'PLAIN'], objective: { kind: objectiveKind, class: c }, lr, plain: true, meta: { class: c, label: label(c), ...(lr !== undefined ? { lr } : {}), plain: true } });
        }
      }
    }
    if (f.lrSweep !== undefined) columns = lrs.length * (f.comparePlain ? 2 : 1);
    else if (f.comparePlain) columns = 2 * Math.min(5, list.length); // 5 (tricks, plain) pairs per row
  }

  // ---- the data prior: the training set's mean image and top principal components -------------
  // --pca omitted: 24 components if the run's training data can be loaded, else off (with a note)
  const pcaAuto = f.pca === undefined;
  let pcaK = pcaAuto ? 24 : parseNumber('--pca', f.pca!, { min: 0, integer: true });
  const pcaSamples = parseNumber('--pca-samples', f.pcaSamples, { min: 2, integer: true });
  const needsData = f.plain !== true && (pcaK > 0 || tricks.start === 'mean' || (tricks.prior ?? 0) > 0);
  let pca: PcaPrior | undefined;
  let meanImage: Tensor | undefined;
  let priorNote: Record<string, unknown> | undefined;
  let data: Awaited<ReturnType<typeof loadData>> | null = null;
  if (needsData) {
    const spec = f.data ?? saved.data.spec ?? saved.data.name;
    const dataDir = f.dataDir ?? saved.data.dataDir;
    try {
      data = await loadData(spec, dataDir, f.quiet === true);
    } catch (e) {
      const explicit = !pcaAuto || f.data !== undefined || tricks.start === 'mean' || (tricks.prior ?? 0) > 0;
      if (explicit || !(e instanceof UsageError)) throw e;
      if (f.quiet !== true) console.error(`handgrad dream: no PCA prior (the run's training data '${spec}' did not load: ${e.message}); pixel-space tricks only. Give --data-dir, or --pca 0 to silence this.`);
      pcaK = 0;
    }
  }
  if (data) {
    const [C, H, W] = model.inputShape;
    const spec = f.data ?? saved.data.spec ?? saved.data.name;
    const d = C * H * W;
    if (data.sampleShape.reduce((a, b) => a * b, 1) !== d) throw new UsageError(`--pca: the data '${spec}' has samples of shape ${shapeString(data.sampleShape)}, the model takes ${C}×${H}×${W}`);
    const n = Math.min(pcaSamples, data.train.n);
    const stride = data.train.n / n;
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) x.set(data.train.x.subarray(Math.floor(i * stride) * d, (Math.floor(i * stride) + 1) * d), i * d);
    if (pcaK > 0) {
      if (pcaK > d) throw new UsageError(`--pca: k must be at most ${d} (the number of pixels), got ${pcaK}`);
      if (f.quiet !== true) console.error(`handgrad dream: principal components of ${n} training images of ${data.name} (k = ${pcaK})…`);
      pca = pcaPrior(x, n, d, pcaK);
      meanImage = new Tensor(Float64Array.from(pca.mean), [C, H, W]);
    } else {
      const m = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m[j]! += x[i * d + j]! / n;
      meanImage = new Tensor(m, [C, H, W]);
    }
    priorNote = { data: data.name, samples: n, ...(pca ? { pca: pcaK, explainedVariance: pca.variances.reduce((a, b) => a + b, 0) } : {}) };
  }

  // ---- run ------------------------------------------------------------------------------------
  const outDir = f.out ?? join(saved.dir, 'dream');
  mkdirSync(outDir, { recursive: true });
  const quiet = f.quiet === true;
  const tty = process.stderr.isTTY === true && !quiet;
  // steps per job as the library resolves them (the PCA prior and --plain have their own defaults)
  const jobOptions = (job: Job): DreamOptions => ({
    ...tricks, ...(job.plain ? { plain: true } : { ...(pca ? { pca } : {}), ...(meanImage ? { meanImage } : {}) }),
    ...(job.lr !== undefined ? { lr: job.lr } : {}), ...(init ? { init } : {}), objective: job.objective,
  });
  const jobSteps = jobs.map((job) => resolveDreamOptions(jobOptions(job)).steps);
  const before = jobSteps.map((_, j) => jobSteps.slice(0, j).reduce((a, b) => a + b, 0));
  const stepsEach = jobSteps[0]!;
  let bar: cliProgress.SingleBar | null = null;
  if (tty) {
    bar = new cliProgress.SingleBar({
      format: 'dream |{bar}| image {image}/{images} {name}  step {step}/{steps}  p {p}  ETA {eta_formatted}',
      hideCursor: true, clearOnComplete: true, fps: 5, stream: process.stderr,
    }, cliProgress.Presets.shades_classic);
    bar.start(jobSteps.reduce((a, b) => a + b, 0), 0, { image: 1, images: jobs.length, name: '', step: 0, steps: stepsEach, p: '-' });
  }
  if (!quiet) console.error(`handgrad dream: ${jobs.length} image${jobs.length === 1 ? '' : 's'} from ${saved.dir} → ${outDir}`);
  const entries: Record<string, unknown>[] = [];
  const cells: GridImage[] = [];
  const results: DreamResult[] = [];
  try {
    jobs.forEach((job, j) => {
      let r: DreamResult;
      try {
        r = dream(model, {
          ...jobOptions(job),
          onStep: (s) => bar?.update(before[j]! + s.step, { image: j + 1, name: job.name, step: s.step, steps: s.steps, p: s.probability === null ? '-' : s.probability.toFixed(3) }),
        });
      } catch (e) {
        if (e instanceof HandgradError) throw new UsageError(e.message);
        throw e;
      }
      results.push(r);
      const [C, H, W] = r.image.shape as [number, number, number];
      const range = r.options.clamp ? 'clamp' : 'minmax';
      const file = `${job.name}.png`;
      writeFileAtomic(join(outDir, file), encodePng(imageToRgba({ data: r.image.data, channels: C, height: H, width: W }, scale, range)));
      const caption = [...job.caption];
      if (job.lr !== undefined) caption.push(`LR ${job.lr}`);
      caption.push(r.probability !== null ? `P=${r.probability.toFixed(3)}` : `MEAN ${r.score.toFixed(2)}`);
      cells.push({ data: r.image.data, channels: C, height: H, width: W, label: caption });
      entries.push({
        ...job.meta, file,
        probability: r.probability, logit: r.logit, predicted: r.predicted, predictedLabel: label(r.predicted),
        predictedProbability: r.predictedProbability, score: r.score, totalVariation: r.totalVariation,
        probabilities: r.probabilities, scores: r.scores, display: range,
        options: { ...r.options, ...(init ? { from: basename(f.from!) } : {}), ...(priorNote && !job.plain ? { dataPrior: priorNote } : {}) },
      });
      if (!tty && !quiet) {
        console.error(`  ${job.name}: ${r.probability !== null ? `p ${r.probability.toFixed(4)}, logit ${r.logit!.toFixed(2)}` : `score ${r.score.toFixed(4)}`}, total variation ${r.totalVariation.toFixed(1)}`);
      }
    });
  } finally {
    bar?.stop();
  }

  // ---- the grid and dream.json ---------------------------------------------------------------
  const gridName = f.layer !== undefined ? `layer-${layerNames(net)[resolveLayer(net, f.layer)]![1]}-grid.png` : f.lrSweep !== undefined ? 'lr-sweep.png' : 'grid.png';
  const anyUnclamped = results.some((r) => !r.options.clamp);
  const pairs = f.comparePlain === true && f.lrSweep === undefined;
  const grid = renderImageGrid(cells, {
    columns: columns ?? Math.min(cells.length, 5), scale: Math.max(1, Math.round(scale / 2)), range: anyUnclamped ? 'minmax' : 'clamp',
    ...(pairs ? { groupSize: 2, groupGap: 24 } : {}),
  });
  writeFileAtomic(join(outDir, gridName), encodePng(grid));
  const summary = summarise(entries);
  const doc = {
    handgrad: 'dream', created: new Date().toISOString(), model: saved.dir, epoch: saved.epoch ?? null,
    inputShape: model.inputShape, grid: gridName, ...(summary ? { summary } : {}), entries,
  };
  writeFileAtomic(join(outDir, 'dream.json'), JSON.stringify(doc, null, 1) + '\n');
  if (!quiet) {
    if (summary) console.log(summaryLine(summary));
    console.log(`wrote ${entries.length} image${entries.length === 1 ? '' : 's'}, ${gridName} and dream.json to ${outDir}`);
  }
}

/** Channels (or units) of a layer's output for one image. */
function layerChannels(model: DreamModel, layerIndex: number): number {
  const [C, H, W] = model.inputShape;
  const dtype = model.net.parameters()[0]?.value.dtype ?? 'float32';
  let h: Tensor = Tensor.zeros(model.networkInputShape ?? [1, C, H, W], dtype);
  for (let i = 0; i <= layerIndex; i++) h = model.net.layers[i]!.forward(h);
  return h.shape[1]!;
}

interface Summary {
  images: number;
  minProbability: number | null;
  meanTotalVariation: number;
  plain?: { minProbability: number | null; meanTotalVariation: number; tvRatio: number };
}

function summarise(entries: Record<string, unknown>[]): Summary | null {
  const probs = (es: Record<string, unknown>[]): number | null => {
    const p = es.map((e) => e.probability).filter((v): v is number => typeof v === 'number');
    return p.length ? Math.min(...p) : null;
  };
  const tv = (es: Record<string, unknown>[]): number => es.reduce((a, e) => a + (e.totalVariation as number), 0) / Math.max(1, es.length);
  const main = entries.filter((e) => e.plain !== true);
  const plain = entries.filter((e) => e.plain === true);
  if (main.length === 0) return null;
  const s: Summary = { images: main.length, minProbability: probs(main), meanTotalVariation: tv(main) };
  if (plain.length) s.plain = { minProbability: probs(plain), meanTotalVariation: tv(plain), tvRatio: tv(plain) / tv(main) };
  return s;
}

function summaryLine(s: Summary): string {
  const p = (v: number | null): string => (v === null ? '-' : v.toFixed(4));
  let line = `${s.images} image${s.images === 1 ? '' : 's'}: lowest target probability ${p(s.minProbability)}, mean total variation ${s.meanTotalVariation.toFixed(1)}`;
  if (s.plain) line += `; plain: lowest probability ${p(s.plain.minProbability)}, mean total variation ${s.plain.meanTotalVariation.toFixed(1)} (${s.plain.tvRatio.toFixed(2)}× the tricks')`;
  return line;
}
