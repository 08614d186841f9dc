// `handgrad dream --model runs/<x> --class <name|index>`: gradient descent on the input image
// (NYU part 2.2). Writes into --out: one PNG per image (upscaled ×8, nearest), a grid of all of
// them with captions, and dream.json (one entry per image: class, label, probability, logit,
// totalVariation, probability per step, and the options used). The images are chosen by
// dream-jobs.ts; every trick of src/dream is a flag, built from its table (dream/options.ts).
// By default the image is kept in the span of the run's training data's top 24 principal
// components (--pca, dream/prior.ts): that is what makes the dreamed classes look like garments;
// --pca 0 gives the pixel tricks alone.

import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import cliProgress from 'cli-progress';
import { Option, type Command } from 'commander';
import { dream, shapeSize, shapeString, type Tensor } from '../index.js';
import { encodePng, imageToRgba, readPngImage, renderImageGrid, writeFileAtomic, type GridImage, type SavedModel } from '../node.js';
import { chooseBackend, loadData, loadModel } from './common.js';
import { planJobs, summarise, summaryLine, type DreamJob, type DreamPlan, type JobFlags } from './dream-jobs.js';
import { asFlag, UsageError, writingInto } from './errors.js';
import { addBackendOptions, addDataOptions, addModelOption, parseChoice, parseNumber, readBackendFlags, typedOnCommandLine, type BackendFlags, type DataFlags } from './flags.js';
import { prepareOutputFolder } from './output.js';

interface DreamFlags extends JobFlags, DataFlags, BackendFlags {
  model: string;
  from?: string;
  pca?: string;
  pcaSamples: string;
  scale: string;
  out?: string;
  quiet?: boolean;
  [trick: string]: string | boolean | undefined;
}

/** commander's key of each trick's flag ('--grad-blur' → 'gradBlur', '--no-clamp' → 'clamp'). */
const TRICK_KEYS = new Map<dream.DreamTrick, string>();

export function register(program: Command): void {
  const cmd = addModelOption(program
    .command('dream')
    .description('optimise the input image so the model sees a class (or a middle channel): gradient descent on the input'))
    .option('--class <name|index>', 'the class to dream (a name, a unique prefix of one, or an index); several: a,b')
    .option('--all-classes', 'dream every class and put them in one grid')
    .option('--layer <name>', "a middle layer: its index ('3') or type and rank ('conv2', 'relu1', 'pool1', 'linear1')")
    .option('--channel <i>', 'with --layer: maximise the mean of this channel (a unit for flat layers); omitted: a grid over all channels')
    .option('--deepdream', "with --layer and no --channel: DeepDream's mean squared activation of the whole layer")
    .option('--objective <kind>', "class objective: logprob (log softmax: raises the class against the others) or logit (the assignment's: minus the class energy)", dream.DEFAULT_CLASS_OBJECTIVE)
    .option('--lr-sweep <list>', 'one image per learning rate, e.g. 1e-3,1e-2,1e-1,1')
    .option('--compare-plain', 'also run plain gradient ascent (every trick off) per class and record both')
    .option('--from <png>', 'start from this image instead of grey noise (resized to the model input)');
  for (const [key, t] of Object.entries(dream.DREAM_TRICKS) as [dream.DreamTrick, dream.DreamTrickSpec][]) {
    const option = new Option(t.kind === 'switch' ? `--${t.flag}` : `--${t.flag} <${t.arg}>`, t.help);
    TRICK_KEYS.set(key, option.attributeName());
    cmd.addOption(option);
  }
  cmd
    .option('--pca <k>', "data prior: keep the image in the span of the training set's top-k principal components (mean + U z); 0 = off, pixel-space tricks only. " +
      'With it on, the defaults become: start mean, tv 0.35, 300 steps, lr 0.05 → 0.005, no blur, no gradient blur, no weight decay, 1 octave. ' +
      "Default 24 when the run's training data can be found (else off, with a note)")
    .option('--pca-samples <n>', 'training images (evenly spaced) the principal components are computed from', '10000');
  addDataOptions(cmd)
    .option('--scale <k>', 'PNG upscale factor (nearest neighbour)', '8')
    .option('--out <dir>', 'output directory (default <model dir>/dream)');
  addBackendOptions(cmd)
    .option('--quiet', 'no progress output')
    .action((f: DreamFlags, c: Command) => dreamCommand(f, c));
}

/** The tricks typed on the command line (the library fills in the defaults). */
function trickOptions(f: DreamFlags, cmd: Command): Partial<dream.DreamOptions> {
  const o: Record<string, unknown> = {};
  for (const [key, t] of Object.entries(dream.DREAM_TRICKS) as [dream.DreamTrick, dream.DreamTrickSpec][]) {
    const attr = TRICK_KEYS.get(key)!;
    const raw = f[attr];
    if (!typedOnCommandLine(cmd, attr) || raw === undefined) continue;
    if (t.kind === 'switch') o[key] = t.value;
    else if (t.kind === 'number') o[key] = parseNumber(`--${t.flag}`, String(raw), t.rule);
    else o[key] = parseChoice(`--${t.flag}`, String(raw), t.choices);
  }
  return o;
}

async function dreamCommand(f: DreamFlags, cmd: Command): Promise<void> {
  const { backend, threads } = readBackendFlags(f);
  await chooseBackend(backend, threads);
  const saved = loadModel(f.model);
  const model = asFlag('--model', () => dream.dreamModelOf({ model: saved.model, sampleShape: saved.data.sampleShape, inputShape: saved.inputShape, normalization: saved.normalization, classes: saved.classes }));
  const scale = parseNumber('--scale', f.scale, { min: 1, max: 64, integer: true });
  const tricks = trickOptions(f, cmd);
  const plan = planJobs(f, model);
  const [C, H, W] = model.inputShape;
  let init: Tensor | undefined;
  if (f.from !== undefined) {
    const from = f.from;
    if (!existsSync(from)) throw new UsageError(`--from: no such file: ${from}`);
    if (C !== 1 && C !== 3) throw new UsageError(`--from: the model takes ${C} channels; PNG start images need 1 or 3`);
    init = asFlag('--from', () => readPngImage(from, C === 3 ? 3 : 1));
  }
  const outDir = f.out ?? join(saved.dir, 'dream');
  const folder = prepareOutputFolder('--out', outDir, { isOwn: (d) => existsSync(join(d, 'dream.json')), what: 'dream output (dream.json)' });
  try {
    const prior = await dataPrior(f, saved.data, [C, H, W], tricks);
    await dreamInto(outDir, { f, saved, model, plan, tricks, prior, scale, ...(init ? { init } : {}) });
  } catch (e) {
    if (folder.fresh) folder.discard();
    throw writingInto(outDir, e);
  }
}

interface DreamRun {
  f: DreamFlags;
  saved: SavedModel;
  model: dream.DreamModel;
  plan: DreamPlan;
  tricks: Partial<dream.DreamOptions>;
  prior: DataPrior | null;
  scale: number;
  init?: Tensor;
}

/** Dreams every image of the plan, then writes them, the grid and dream.json into `outDir`. */
async function dreamInto(outDir: string, { f, saved, model, plan, tricks, prior, scale, init }: DreamRun): Promise<void> {
  const [C, H, W] = model.inputShape;
  const quiet = f.quiet === true;

  const jobOptions = (job: DreamJob): dream.DreamOptions => ({
    ...tricks, ...(job.plain ? { plain: true } : { ...(prior?.pca ? { pca: prior.pca } : {}), ...(prior ? { meanImage: prior.meanImage } : {}) }),
    ...(job.lr !== undefined ? { lr: job.lr } : {}), ...(init ? { init } : {}), objective: job.objective,
  });
  // steps per job as the library resolves them (the PCA prior and plain have their own defaults)
  const jobSteps = plan.jobs.map((job) => asFlag('--model', () => dream.resolveDreamOptions(jobOptions(job))).steps);
  const bar = process.stderr.isTTY === true && !quiet ? progressBar(jobSteps, plan.jobs.length) : null;
  if (!quiet) console.error(`handgrad dream: ${plan.jobs.length} image${plan.jobs.length === 1 ? '' : 's'} from ${saved.dir} → ${outDir}`);
  const results: dream.DreamResult[] = [];
  try {
    let before = 0;
    plan.jobs.forEach((job, j) => {
      const r = asFlag('--model', () => dream.dream(model, {
        ...jobOptions(job),
        onStep: (s) => bar?.update(before + s.step, { image: j + 1, name: job.name, step: s.step, steps: s.steps, p: s.probability === null ? '-' : s.probability.toFixed(3) }),
      }));
      before += jobSteps[j]!;
      results.push(r);
      if (!bar && !quiet) {
        console.error(`  ${job.name}: ${r.probability !== null ? `p ${r.probability.toFixed(4)}, logit ${r.logit!.toFixed(2)}` : `score ${r.score.toFixed(4)}`}, total variation ${r.totalVariation.toFixed(1)}`);
      }
    });
  } finally {
    bar?.stop();
  }

  // every image is made; now the files, all or none
  const label = (c: number): string => model.classes?.[c] ?? String(c);
  const cells: GridImage[] = [];
  const files = new Map<string, Uint8Array | string>();
  const entries = plan.jobs.map((job, j) => {
    const r = results[j]!;
    const range = r.options.clamp ? 'clamp' : 'minmax';
    const file = `${job.name}.png`;
    files.set(file, encodePng(imageToRgba({ data: r.image.data, channels: C, height: H, width: W }, scale, range)));
    const caption = [...job.caption, ...(job.lr !== undefined ? [`LR ${job.lr}`] : []), r.probability !== null ? `P=${r.probability.toFixed(3)}` : `MEAN ${r.score.toFixed(2)}`];
    cells.push({ data: r.image.data, channels: C, height: H, width: W, label: caption });
    return {
      ...job.meta, file,
      probability: r.probability, logit: r.logit, predicted: r.predicted, predictedLabel: label(r.predicted),
      predictedProbability: r.predictedProbability, score: r.score, totalVariation: r.totalVariation,
      probabilities: r.probabilities, scores: r.scores, display: range,
      options: { ...r.options, ...(init && f.from ? { from: basename(f.from) } : {}), ...(prior && !job.plain ? { dataPrior: priorNote(prior) } : {}) },
    };
  });
  const grid = renderImageGrid(cells, {
    columns: plan.columns ?? Math.min(cells.length, 5), scale: Math.max(1, Math.round(scale / 2)), range: results.some((r) => !r.options.clamp) ? 'minmax' : 'clamp',
    ...(plan.pairs ? { groupSize: 2, groupGap: 24 } : {}),
  });
  files.set(plan.gridName, encodePng(grid));
  const summary = summarise(entries);
  files.set('dream.json', JSON.stringify({
    handgrad: 'dream', created: new Date().toISOString(), model: saved.dir, epoch: saved.epoch ?? null,
    inputShape: model.inputShape, grid: plan.gridName, ...(summary ? { summary } : {}), entries,
  }, null, 1) + '\n');
  for (const [name, bytes] of files) writeFileAtomic(join(outDir, name), bytes);
  if (!quiet) {
    if (summary) console.log(summaryLine(summary));
    console.log(`wrote ${entries.length} image${entries.length === 1 ? '' : 's'}, ${plan.gridName} and dream.json to ${outDir}`);
  }
}

interface DataPrior extends dream.DataPrior {
  /** The data set it comes from. */
  data: string;
}

/**
 * The training data's mean image and principal components, when a trick needs them: --pca (24
 * components unless given; when the run's data cannot be found and nothing asked for it
 * explicitly, none, with a note), --start mean, --mean-prior.
 */
async function dataPrior(f: DreamFlags, run: SavedModel['data'], shape: [number, number, number], tricks: Partial<dream.DreamOptions>): Promise<DataPrior | null> {
  const pcaAuto = f.pca === undefined;
  const k = f.pca === undefined ? 24 : parseNumber('--pca', f.pca, { min: 0, integer: true });
  const samples = parseNumber('--pca-samples', f.pcaSamples, { min: 2, integer: true });
  const explicit = !pcaAuto || f.data !== undefined || tricks.start === 'mean' || (tricks.prior ?? 0) > 0;
  if (tricks.plain === true || !(k > 0 || tricks.start === 'mean' || (tricks.prior ?? 0) > 0)) return null;
  const spec = f.data ?? run.spec ?? run.name;
  let data: Awaited<ReturnType<typeof loadData>>;
  try {
    data = await loadData(spec, f.dataDir ?? run.dataDir, f.quiet === true);
  } catch (e) {
    if (explicit || !(e instanceof UsageError)) throw e;
    if (f.quiet !== true) console.error(`handgrad dream: no PCA prior (the run's training data '${spec}' did not load: ${e.message}); pixel-space tricks only. Give --data-dir, or --pca 0 to silence this.`);
    return null;
  }
  const [C, H, W] = shape;
  if (shapeSize(data.sampleShape) !== C * H * W) throw new UsageError(`--pca: the data '${spec}' has samples of shape ${shapeString(data.sampleShape)}, the model takes ${C}×${H}×${W}`);
  if (k > 0 && f.quiet !== true) console.error(`handgrad dream: principal components of ${Math.min(samples, data.train.n)} training images of ${data.name} (k = ${k})…`);
  return { ...asFlag('--pca', () => dream.priorFromSplit(data.train, shape, { k, samples })), data: data.name };
}

/** What dream.json records of the prior. */
function priorNote(p: DataPrior): Record<string, unknown> {
  return { data: p.data, samples: p.samples, ...(p.pca ? { pca: p.pca.k, explainedVariance: p.explainedVariance } : {}) };
}

/** A bar over every step of every image, on stderr. */
function progressBar(jobSteps: number[], images: number): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar({
    format: 'dream |{bar}| image {image}/{images} {name}  step {step}/{steps}  p {p}  ETA {eta_formatted}',
    hideCursor: true, clearOnComplete: true, fps: 5, stream: process.stderr,
  }, cliProgress.Presets.shades_classic);
  bar.start(jobSteps.reduce((a, b) => a + b, 0), 0, { image: 1, images, name: '', step: 0, steps: jobSteps[0] ?? 0, p: '-' });
  return bar;
}
