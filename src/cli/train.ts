// `handgrad train`: trains a model on a data set, checkpointing every epoch into a run directory
// (see train/run-node.ts for what it holds). A live progress bar on a terminal, one plain line per
// epoch otherwise; the last line says the final test accuracy (and, on the embedded MNIST, whether
// it reached the 93% target).

import { join } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ACTIVATION_NAMES, type ActivationName } from '../models/mlp.js';
import { MODEL_KINDS, MODEL_KIND_NAMES, type ModelKind } from '../models/kinds.js';
import { OPTIMIZERS, OPTIMIZER_NAMES } from '../optim/index.js';
import { DEFAULT_CONFIG, resolveConfig, type TrainConfig } from '../train/config.js';
import { hasCheckpoint, readCheckpoint } from '../train/checkpoint-node.js';
import { TrainingDivergedError, type EpochRecord, type StepRecord } from '../train/loop.js';
import { lockRunDirectory, runTraining } from '../train/run-node.js';
import type { DirectoryLock } from '../io/dir-lock-node.js';
import { HandgradError } from '../tensor.js';
import { backend } from '../backend.js';
import { chooseBackend, given, loadData, parseChoice, parseIntList, parseNumber, releaseBackend, BACKEND_HELP, parseBackend } from './common.js';
import { UsageError } from './main.js';

/** The accuracy a bare `handgrad train` must reach on the embedded MNIST. */
export const MNIST_TARGET = 0.93;

interface TrainFlags {
  model: string;
  hidden?: string;
  activation: string;
  data: string;
  dataDir?: string;
  lr: string;
  momentum?: string;
  weightDecay?: string;
  nesterov?: boolean;
  optimizer: string;
  dropout: string;
  dropoutMode: string;
  batchSize: string;
  epochs: string;
  seed: string;
  normalize: string;
  out?: string;
  name?: string;
  resume?: boolean;
  backend: string;
  threads?: string;
  quiet?: boolean;
  progress?: boolean;
}

const d = DEFAULT_CONFIG;

export function register(program: Command): void {
  program
    .command('train')
    .description('train a model on a data set; writes runs/<name>/ (config, history, curves, checkpoint)')
    .option('--model <kind>', `model: ${MODEL_KIND_NAMES.map((k) => `${k} (${MODEL_KINDS[k].help})`).join('; ')}`, d.model.kind)
    .option('--hidden <widths>', 'hidden layer widths of an MLP, e.g. 60,60 (default 128 for mlp)')
    .option('--activation <name>', `hidden activation of mlp and nyu: ${ACTIVATION_NAMES.join(', ')}`, 'relu')
    .option('--data <name|path>', 'data set: a registered name (mnist, mnist-idx, fashion-mnist, omniglot12) or a path', d.data)
    .option('--data-dir <dir>', 'where to look for data files')
    .option('--lr <x>', 'learning rate', String(d.lr))
    .option('--momentum <x>', `momentum in [0, 1] of sgd (default ${OPTIMIZERS.sgd.defaults.momentum}) and rmsprop (default ${OPTIMIZERS.rmsprop.defaults.momentum})`)
    .option('--weight-decay <x>', `weight decay (default ${OPTIMIZERS.sgd.defaults.weightDecay}; adamw ${OPTIMIZERS.adamw.defaults.weightDecay})`)
    .option('--nesterov', 'Nesterov momentum (sgd)')
    .option('--optimizer <name>', `optimizer: ${OPTIMIZER_NAMES.map((k) => `${k} (${OPTIMIZERS[k].help})`).join('; ')}`, d.optimizer)
    .option('--dropout <p>', 'dropout probability after each hidden activation, in [0, 1)', String(d.dropout))
    .option('--dropout-mode <mode>', "inverted (PyTorch: scale by 1/(1-p) in training) or cmu (scale by 1-p at inference)", d.dropoutMode)
    .option('--batch-size <n>', 'minibatch size', String(d.batchSize))
    .option('--epochs <n>', 'number of epochs', String(d.epochs))
    .option('--seed <n>', 'seed of the initial weights, the shuffling and the dropout masks', String(d.seed))
    .option('--normalize <mode>', 'input normalisation from the training split: none, global, per-feature', d.normalize)
    .option('--out <dir>', 'run directory (default runs/<name>)')
    .option('--name <name>', 'run name (default <data>-<model>-<time>)')
    .option('--resume', 'continue the run in --out from its last checkpoint (starts fresh when there is none)')
    .option('--backend <name>', BACKEND_HELP, 'auto')
    .option('--threads <n>', "threads for the backend (default: the machine's cores, at most 4)")
    .option('--quiet', 'print only the final result')
    .option('--no-progress', 'plain lines per epoch even on a terminal')
    .action(async (flags: TrainFlags, cmd: Command) => {
      try {
        await trainCommand(flags, cmd);
      } finally {
        await releaseBackend();
      }
    });
}

/** The flag of a config field named by an error's subject.option ('model.hidden' → '--hidden'). */
function flagOf(option: string): string {
  const field = option.startsWith('model.') ? option.slice(6) : option;
  return field === 'kind' ? '--model' : `--${field.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
}

/** Turns the flags into a TrainConfig; every bad value is a UsageError naming the flag. */
export function configFromFlags(f: TrainFlags): TrainConfig {
  const kind = parseChoice<ModelKind>('--model', f.model, MODEL_KIND_NAMES);
  const hidden = f.hidden !== undefined ? parseIntList('--hidden', f.hidden) : undefined;
  const activation = parseChoice<ActivationName>('--activation', f.activation, ACTIVATION_NAMES);
  const readsActivation = MODEL_KINDS[kind].reads.activation;
  if (!readsActivation && activation !== 'relu') throw new UsageError(`--activation applies to --model mlp and nyu (${kind} uses relu)`);
  const config: Partial<TrainConfig> = {
    model: { kind, ...(hidden ? { hidden } : {}), ...(readsActivation ? { activation } : {}) },
    data: f.data,
    optimizer: parseChoice('--optimizer', f.optimizer, OPTIMIZER_NAMES),
    lr: parseNumber('--lr', f.lr, { min: 0, minExclusive: true }),
    ...(f.momentum !== undefined ? { momentum: parseNumber('--momentum', f.momentum, { min: 0, max: 1 }) } : {}),
    ...(f.weightDecay !== undefined ? { weightDecay: parseNumber('--weight-decay', f.weightDecay, { min: 0 }) } : {}),
    ...(f.nesterov === true ? { nesterov: true } : {}),
    dropout: parseNumber('--dropout', f.dropout, { min: 0, max: 1, maxExclusive: true }),
    dropoutMode: parseChoice('--dropout-mode', f.dropoutMode, ['inverted', 'cmu'] as const),
    batchSize: parseNumber('--batch-size', f.batchSize, { min: 1, integer: true }),
    epochs: parseNumber('--epochs', f.epochs, { min: 1, integer: true }),
    seed: parseNumber('--seed', f.seed, { min: 0, max: 2 ** 32 - 1, integer: true }),
    normalize: parseChoice('--normalize', f.normalize, ['none', 'global', 'per-feature'] as const),
  };
  try {
    return resolveConfig(config);
  } catch (e) {
    if (e instanceof HandgradError && e.code === 'invalid-option' && typeof e.subject.option === 'string') {
      const option = e.subject.option;
      throw new UsageError(e.message.replace(`train config: ${option} `, `${flagOf(option)} `));
    }
    throw new UsageError((e as Error).message);
  }
}

/** The process's backend and threads (not part of a run's config). */
function processFromFlags(f: TrainFlags): { backend: string; threads: number | undefined } {
  return {
    backend: parseBackend(f.backend),
    threads: f.threads !== undefined ? parseNumber('--threads', f.threads, { min: 1, max: 1024, integer: true }) : undefined,
  };
}

/** Flags whose value is fixed by a run's checkpoint: with --resume they must agree with it. */
const FIXED_ON_RESUME: [keyof TrainFlags, (c: TrainConfig) => unknown, (c: TrainConfig) => unknown][] = [
  ['lr', (c) => c.lr, (c) => c.lr], ['momentum', (c) => c.momentum, (c) => c.momentum],
  ['dropout', (c) => c.dropout, (c) => c.dropout], ['dropoutMode', (c) => c.dropoutMode, (c) => c.dropoutMode],
  ['batchSize', (c) => c.batchSize, (c) => c.batchSize], ['seed', (c) => c.seed, (c) => c.seed],
  ['optimizer', (c) => c.optimizer, (c) => c.optimizer], ['weightDecay', (c) => c.weightDecay, (c) => c.weightDecay],
  ['hidden', (c) => JSON.stringify(c.model.hidden), (c) => JSON.stringify(c.model.hidden)],
  ['model', (c) => c.model.kind, (c) => c.model.kind], ['normalize', (c) => c.normalize, (c) => c.normalize],
  ['activation', (c) => c.model.activation ?? 'relu', (c) => c.model.activation ?? 'relu'], ['data', (c) => c.data, (c) => c.data],
  ['nesterov', (c) => c.nesterov, (c) => c.nesterov],
];

function defaultName(c: TrainConfig): string {
  const model = c.model.kind === 'mlp' ? `mlp-${(c.model.hidden ?? []).join('-')}` : c.model.kind;
  const data = c.data.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(-40) || 'data';
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${data}-${model}-${t}`;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function epochLine(r: EpochRecord, epochs: number): string {
  return `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  train loss ${r.trainLoss.toFixed(4)} acc ${pct(r.trainAccuracy)}` +
    `  test loss ${r.testLoss.toFixed(4)} acc ${pct(r.testAccuracy)}  ${r.seconds.toFixed(1)}s  ${Math.round(r.samplesPerSecond)} samples/s`;
}

async function trainCommand(f: TrainFlags, cmd: Command): Promise<void> {
  const config = configFromFlags(f);
  processFromFlags(f); // bad --backend/--threads values are refused before the directory is locked
  if (f.out !== undefined && f.name !== undefined) throw new UsageError('give --out or --name, not both');
  if (f.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(f.name)) throw new UsageError(`--name may hold letters, digits, '.', '_' and '-', got '${f.name}'`);
  const outDir = f.out ?? join('runs', f.name ?? defaultName(config));

  // The directory's lock is held from here until the run ends: a second `train` on it is refused.
  let lock: DirectoryLock;
  try {
    lock = lockRunDirectory(outDir);
  } catch (e) {
    if (e instanceof HandgradError) throw new UsageError(`--out: ${e.message}`);
    throw e;
  }
  try {
    await trainLocked(f, cmd, config, outDir, lock);
  } finally {
    lock.release();
  }
}

async function trainLocked(f: TrainFlags, cmd: Command, flagConfig: TrainConfig, outDir: string, lock: DirectoryLock): Promise<void> {
  let config = flagConfig;
  if (hasCheckpoint(outDir) && !f.resume) {
    throw new UsageError(`${outDir} already holds a run; add --resume to continue it, or choose another --out/--name`);
  }
  const notes: string[] = [];
  if (lock.tookOverFrom) notes.push(`took over the lock of pid ${lock.tookOverFrom.pid}, which is no longer running`);
  if (f.resume && hasCheckpoint(outDir)) {
    // The checkpoint's config wins; flags typed on the command line must agree with it.
    let saved: TrainConfig;
    try {
      const cp = readCheckpoint(outDir);
      saved = cp.state.config;
      if (cp.fellBack) notes.push(`resuming from ${cp.file} (epoch ${cp.state.epoch}): ${cp.fellBack}`);
    } catch (e) {
      throw new UsageError(`--resume: ${(e as Error).message}`);
    }
    for (const [key, mine, theirs] of FIXED_ON_RESUME) {
      if (given(cmd, key) && JSON.stringify(mine(config)) !== JSON.stringify(theirs(saved))) {
        throw new UsageError(`--resume: --${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} ${String(f[key])} differs from the run's ${String(theirs(saved))}; resume with the run's settings or start a new run`);
      }
    }
    config = { ...saved, epochs: given(cmd, 'epochs') ? config.epochs : saved.epochs };
  }

  const proc = processFromFlags(f);
  await chooseBackend(proc.backend, proc.threads);
  const data = await loadData(config.data, f.dataDir);
  const quiet = f.quiet === true;
  const tty = process.stdout.isTTY === true && f.progress !== false && !quiet;
  const log = (s: string): void => {
    if (!quiet) console.log(s);
  };

  let bar: cliProgress.SingleBar | null = null;
  let batchesPerEpoch = 0;
  const onStep = (s: StepRecord): void => {
    if (!tty) return;
    const fresh = !bar;
    if (!bar) {
      batchesPerEpoch = s.batches;
      bar = new cliProgress.SingleBar({
        format: 'epoch {epoch}/{epochs} |{bar}| batch {batch}/{batches}  loss {loss}  acc {acc}  {sps} samples/s  ETA {eta_formatted}',
        hideCursor: true, clearOnComplete: true, etaBuffer: 200, fps: 5,
      }, cliProgress.Presets.shades_classic);
    }
    const payload = {
      epoch: s.epoch, epochs: config.epochs, batch: s.batch + 1, batches: s.batches,
      loss: s.epochLoss.toFixed(4), acc: pct(s.epochAccuracy), sps: Math.round(s.samplesPerSecond),
    };
    const value = (s.epoch - 1) * batchesPerEpoch + s.batch + 1;
    if (fresh) bar!.start(config.epochs * s.batches, value, payload);
    else bar!.update(value, payload);
  };
  const onEpoch = (r: EpochRecord): void => {
    if (bar) {
      // clear the bar (clearOnComplete), print the epoch's line, start a new bar on the next step
      bar.stop();
      bar = null;
    }
    log(epochLine(r, config.epochs));
  };

  log(`handgrad train: ${data.name} (${data.train.n} train / ${data.test.n} test, ${data.classes.length} classes) → ${outDir}`);
  for (const note of notes) log(`note: ${note}`);
  log(`backend: ${backend().describe()}`);
  let result;
  try {
    result = await runTraining({ config, data, outDir, lock, resume: f.resume === true, dataDir: f.dataDir, onStep, onEpoch });
  } catch (e) {
    (bar as cliProgress.SingleBar | null)?.stop();
    if (e instanceof TrainingDivergedError) {
      console.error(`handgrad train: training diverged: the loss became ${e.loss} at epoch ${e.epoch}, batch ${e.batch + 1}; ` +
        `try a smaller learning rate, e.g. --lr ${e.suggestedLr} (now ${e.lr}) (the last good checkpoint was kept)`);
      process.exitCode = 1;
      return;
    }
    if (e instanceof HandgradError) throw new UsageError(e.message);
    throw e;
  }
  const { session } = result;
  if (result.resumedFrom > 0) log(result.alreadyComplete ? `${outDir} was already complete (${session.epoch} epochs)` : `resumed from epoch ${result.resumedFrom}`);
  if (typeof result.plots === 'string') log(`(${result.plots})`);
  const last = session.history[session.history.length - 1];
  if (!last) return;
  const total = session.history.reduce((s, r) => s + r.seconds, 0);
  let line = `test accuracy ${pct(last.testAccuracy)} after ${last.epoch} epochs (${total.toFixed(1)}s of training)`;
  if (data.name === 'mnist' && config.data === 'mnist') {
    line += last.testAccuracy >= MNIST_TARGET ? ` — target ≥ ${pct(MNIST_TARGET)} on the embedded MNIST: reached` : ` — target ≥ ${pct(MNIST_TARGET)} on the embedded MNIST: NOT reached`;
  }
  console.log(line);
  log(`run written to ${outDir}/ (config.json, history.csv, history.jsonl, model.safetensors, checkpoint.safetensors${Array.isArray(result.plots) ? ', ' + result.plots.join(', ') : ''})`);
}
