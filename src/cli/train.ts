// `handgrad train`: trains a model on a data set, checkpointing every epoch into a run directory
// (see train/run-node.ts for what it holds), and draws the run's loss and accuracy curves into it
// when it ends. A live progress bar on a terminal, one plain line per epoch otherwise; the last
// line says the final test accuracy (and, on the embedded MNIST, whether it reached the 93% target).

import { join } from 'node:path';
import type { Command } from 'commander';
import { backend, nn, training, type Dataset } from '../index.js';
import {
  hasCheckpoint, lockRunDirectory, readCheckpoint, readHistory, runCharts, runDirectoryState, runLabel, runTraining, writeCharts, type DirectoryLock,
} from '../node.js';
import { chooseBackend, loadData } from './common.js';
import { asFlag, UsageError, writingInto } from './errors.js';
import {
  addBackendOptions, flagOf, parseChoice, parseIntList, parseNumber, readBackendFlags, typedOnCommandLine, SEED_RULE, DATA_HELP, type BackendFlags,
} from './flags.js';
import { prepareOutputFolder } from './output.js';
import { pct, trainingProgress } from './train-progress.js';

type TrainConfig = training.TrainConfig;

/** The accuracy a bare `handgrad train` must reach on the embedded MNIST. */
const MNIST_TARGET = 0.93;
const DEFAULT_CONFIG = training.DEFAULT_CONFIG;

/** A TrainConfig being filled from the flags. */
interface Draft {
  model: Partial<training.ModelSpec>;
  rest: Partial<Omit<TrainConfig, 'model'>>;
}

/** A flag that sets a field of the TrainConfig: declared once with its parser and help; resume checks derive from it. */
interface ConfigFlag {
  /** commander's option spec, e.g. '--lr <x>' (a switch has no <value>) */
  spec: string;
  help: string;
  default?: string;
  /** Fixed by a run's checkpoint: with --resume a typed value must agree with the run's. */
  fixedOnResume: boolean;
  apply(raw: string | true, d: Draft): void;
  /** The run's value differs from this typed one: the run's value as text, else null. */
  differs(raw: string | true, c: TrainConfig): string | null;
}

function configFlag<T>(
  spec: string, help: string, dflt: T | undefined, parse: (raw: string | true) => T, read: (c: TrainConfig) => T, write: (d: Draft, v: T) => void, fixedOnResume = true,
): ConfigFlag {
  return {
    spec, help, fixedOnResume, ...(dflt !== undefined ? { default: String(dflt) } : {}),
    apply: (raw, d) => write(d, parse(raw)),
    differs: (raw, c) => (JSON.stringify(parse(raw)) === JSON.stringify(read(c)) ? null : String(read(c))),
  };
}

const text = (raw: string | true): string => String(raw);
const MAX_WIDTH = 100_000;

const CONFIG_FLAGS: readonly ConfigFlag[] = [
  configFlag('--model <kind>', `model: ${training.MODEL_KINDS.join(', ')}`, DEFAULT_CONFIG.model.kind,
    (r) => parseChoice('--model', text(r), training.MODEL_KINDS), (c) => c.model.kind, (d, v) => (d.model.kind = v)),
  configFlag('--hidden <widths>', 'hidden layer widths of an MLP, e.g. 60,60 (default 128 for mlp)', undefined,
    (r) => parseIntList('--hidden', text(r), MAX_WIDTH), (c) => c.model.hidden, (d, v) => (d.model.hidden = v)),
  configFlag('--activation <name>', `hidden activation of an MLP: ${nn.ACTIVATION_NAMES.join(', ')}`, 'relu',
    (r) => parseChoice('--activation', text(r), nn.ACTIVATION_NAMES), (c) => c.model.activation ?? 'relu', (d, v) => (d.model.activation = v)),
  configFlag('--data <name|path>', DATA_HELP, DEFAULT_CONFIG.data, text, (c) => c.data, (d, v) => (d.rest.data = v)),
  configFlag('--lr <x>', 'learning rate', DEFAULT_CONFIG.lr,
    (r) => parseNumber('--lr', text(r), { min: 0, minExclusive: true }), (c) => c.lr, (d, v) => (d.rest.lr = v)),
  configFlag('--momentum <x>', 'SGD momentum in [0, 1]', DEFAULT_CONFIG.momentum,
    (r) => parseNumber('--momentum', text(r), { min: 0, max: 1 }), (c) => c.momentum, (d, v) => (d.rest.momentum = v)),
  configFlag('--weight-decay <x>', 'L2 weight decay', DEFAULT_CONFIG.weightDecay,
    (r) => parseNumber('--weight-decay', text(r), { min: 0 }), (c) => c.weightDecay, (d, v) => (d.rest.weightDecay = v)),
  configFlag('--nesterov', 'Nesterov momentum (SGD)', undefined, (r) => r === true, (c) => c.nesterov, (d, v) => (d.rest.nesterov = v)),
  configFlag('--optimizer <name>', 'sgd or adam', DEFAULT_CONFIG.optimizer,
    (r) => parseChoice('--optimizer', text(r), ['sgd', 'adam'] as const), (c) => c.optimizer, (d, v) => (d.rest.optimizer = v)),
  configFlag('--dropout <p>', 'dropout probability after each hidden activation, in [0, 1)', DEFAULT_CONFIG.dropout,
    (r) => parseNumber('--dropout', text(r), { min: 0, max: 1, maxExclusive: true }), (c) => c.dropout, (d, v) => (d.rest.dropout = v)),
  configFlag('--dropout-mode <mode>', 'inverted (PyTorch: scale by 1/(1-p) in training) or cmu (scale by 1-p at inference)', DEFAULT_CONFIG.dropoutMode,
    (r) => parseChoice('--dropout-mode', text(r), ['inverted', 'cmu'] as const), (c) => c.dropoutMode, (d, v) => (d.rest.dropoutMode = v)),
  configFlag('--batch-size <n>', 'minibatch size', DEFAULT_CONFIG.batchSize,
    (r) => parseNumber('--batch-size', text(r), { min: 1, max: 1_000_000, integer: true }), (c) => c.batchSize, (d, v) => (d.rest.batchSize = v)),
  configFlag('--epochs <n>', 'number of epochs (with --resume: the total the run is continued to)', DEFAULT_CONFIG.epochs,
    (r) => parseNumber('--epochs', text(r), { min: 1, integer: true }), (c) => c.epochs, (d, v) => (d.rest.epochs = v), false),
  configFlag('--seed <n>', 'seed of the initial weights, the shuffling and the dropout masks', DEFAULT_CONFIG.seed,
    (r) => parseNumber('--seed', text(r), SEED_RULE), (c) => c.seed, (d, v) => (d.rest.seed = v)),
  configFlag('--normalize <mode>', 'input normalisation from the training split: none, global, per-feature', DEFAULT_CONFIG.normalize,
    (r) => parseChoice('--normalize', text(r), ['none', 'global', 'per-feature'] as const), (c) => c.normalize, (d, v) => (d.rest.normalize = v)),
];

/** commander's key of a flag: '--weight-decay <x>' → 'weightDecay'. */
function keyOf(spec: string): string {
  return spec.replace(/^--/, '').split(' ')[0]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

interface TrainFlags extends BackendFlags {
  dataDir?: string;
  out?: string;
  name?: string;
  resume?: boolean;
  quiet?: boolean;
  progress?: boolean;
  [config: string]: string | boolean | undefined;
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a model on a data set; writes runs/<name>/ (config, history, curves, checkpoint)');
  for (const f of CONFIG_FLAGS) cmd.option(f.spec, f.help, f.default);
  cmd
    .option('--data-dir <dir>', 'where to look for data files')
    .option('--out <dir>', 'run directory (default runs/<name>)')
    .option('--name <name>', 'run name (default <data>-<model>-<time>)')
    .option('--resume', 'continue the run in --out from its last checkpoint (starts fresh when there is none)');
  addBackendOptions(cmd)
    .option('--quiet', 'print only the final result')
    .option('--no-progress', 'plain lines per epoch even on a terminal')
    .action((flags: TrainFlags, c: Command) => trainCommand(flags, c));
}

/** Turns the flags into a TrainConfig; every bad value is a UsageError naming the flag. */
function configFromFlags(f: TrainFlags): TrainConfig {
  const d: Draft = { model: {}, rest: {} };
  for (const flag of CONFIG_FLAGS) {
    const raw = f[keyOf(flag.spec)];
    if (raw !== undefined && raw !== false) flag.apply(raw, d);
  }
  const kind = d.model.kind ?? DEFAULT_CONFIG.model.kind;
  const { hidden, activation = 'relu' } = d.model;
  if (kind === 'cnn' && hidden) throw new UsageError('--hidden applies to MLPs, not to --model cnn');
  if (kind === 'single-layer-mlp' && hidden && hidden.length !== 1) throw new UsageError(`--hidden: single-layer-mlp has one hidden layer, got ${hidden.join(',')}`);
  if (kind === 'two-layer-mlp' && hidden && hidden.length !== 2) throw new UsageError(`--hidden: two-layer-mlp has two hidden layers, got ${hidden.join(',')}`);
  if (kind !== 'mlp' && activation !== 'relu') throw new UsageError(`--activation applies to --model mlp (${kind} uses relu)`);
  const r = d.rest;
  if (r.nesterov && ((r.optimizer ?? DEFAULT_CONFIG.optimizer) !== 'sgd' || (r.momentum ?? DEFAULT_CONFIG.momentum) === 0)) {
    throw new UsageError('--nesterov needs --optimizer sgd and a --momentum > 0');
  }
  const model: training.ModelSpec = {
    kind,
    ...(hidden ? { hidden } : kind === 'mlp' ? { hidden: DEFAULT_CONFIG.model.hidden ?? [] } : {}),
    ...(kind === 'mlp' ? { activation } : {}),
  };
  try {
    return training.resolveConfig({ ...r, model });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** With --resume: the run's config `saved`, where every flag typed on the command line must agree with it. */
function resumedConfig(saved: TrainConfig, config: TrainConfig, f: TrainFlags, cmd: Command): TrainConfig {
  for (const flag of CONFIG_FLAGS) {
    const key = keyOf(flag.spec);
    const raw = f[key];
    if (!flag.fixedOnResume || !typedOnCommandLine(cmd, key) || raw === undefined || raw === false) continue;
    const theirs = flag.differs(raw, saved);
    if (theirs !== null) {
      throw new UsageError(`--resume: ${flagOf(key)} ${String(raw)} differs from the run's ${theirs}; resume with the run's settings or start a new run`);
    }
  }
  return { ...saved, epochs: typedOnCommandLine(cmd, 'epochs') ? config.epochs : saved.epochs };
}

function defaultName(c: TrainConfig): string {
  const model = c.model.kind === 'mlp' ? `mlp-${(c.model.hidden ?? []).join('-')}` : c.model.kind;
  const data = c.data.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[_.]+|_+$/g, '').slice(-40) || 'data';
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${data}-${model}-${t}`;
}

/** The run directory --out or --name names (runs/<name>). */
function outDirOf(f: TrainFlags, config: TrainConfig): { dir: string; flag: string } {
  if (f.out !== undefined && f.name !== undefined) throw new UsageError('give --out or --name, not both');
  if (f.name !== undefined && (!/^[A-Za-z0-9._-]+$/.test(f.name) || /^\.+$/.test(f.name))) {
    throw new UsageError(`--name may hold letters, digits, '.', '_' and '-' and must not be '.' or '..', got '${f.name}'`);
  }
  if (f.out !== undefined) return { dir: f.out, flag: '--out' };
  return { dir: join('runs', f.name ?? defaultName(config)), flag: f.name !== undefined ? '--name' : '--out' };
}

async function trainCommand(f: TrainFlags, cmd: Command): Promise<void> {
  const flagConfig = configFromFlags(f);
  const { dir: outDir, flag: outFlag } = outDirOf(f, flagConfig);
  const { backend: backendName, threads } = readBackendFlags(f);
  const folder = prepareOutputFolder(outFlag, outDir, { isOwn: (d) => runDirectoryState(d) === 'run', what: 'handgrad run' });
  // held until the run ends: a second `train` on the folder is refused
  const lock = asFlag(outFlag, () => lockRunDirectory(outDir));
  try {
    if (hasCheckpoint(outDir) && !f.resume) throw new UsageError(`${outDir} already holds a run; add --resume to continue it, or choose another --out/--name`);
    const notes: string[] = [];
    if (lock.tookOverFrom) notes.push(`took over the lock of pid ${lock.tookOverFrom.pid}, which is no longer running`);
    let config = flagConfig;
    if (f.resume && hasCheckpoint(outDir)) {
      const cp = asFlag('--resume', () => readCheckpoint(outDir));
      if (cp.fellBack) notes.push(`resuming from ${cp.file} (epoch ${cp.state.epoch}): ${cp.fellBack}`);
      config = resumedConfig(cp.state.config, flagConfig, f, cmd);
    }
    await chooseBackend(backendName, threads);
    const data = await loadData(config.data, f.dataDir);
    await train(f, config, data, outDir, lock, notes);
  } catch (e) {
    // a run that never completed its first checkpoint leaves nothing behind (the lock keeps others out)
    if (folder.fresh && !hasCheckpoint(outDir)) folder.discard();
    throw writingInto(outDir, e);
  } finally {
    lock.release();
  }
}

async function train(f: TrainFlags, config: TrainConfig, data: Dataset, outDir: string, lock: DirectoryLock, notes: string[]): Promise<void> {
  const quiet = f.quiet === true;
  const log = (s: string): void => {
    if (!quiet) console.log(s);
  };
  const progress = trainingProgress(config.epochs, process.stdout.isTTY === true && f.progress !== false && !quiet, log);
  log(`handgrad train: ${data.name} (${data.train.n} train / ${data.test.n} test, ${data.classes.length} classes) → ${outDir}`);
  for (const note of notes) log(`note: ${note}`);
  log(`backend: ${backend().describe()}`);
  const label = runLabel(config, training.modelConfig(config.model, data.sampleShape, data.classes.length, config.dropout, config.dropoutMode), data.name);
  let result: Awaited<ReturnType<typeof runTraining>>;
  try {
    const run = { config, data, outDir, lock, resume: f.resume === true, onStep: progress.onStep, onEpoch: progress.onEpoch };
    result = await runTraining({ ...run, ...(f.dataDir !== undefined ? { dataDir: f.dataDir } : {}) });
  } catch (e) {
    progress.stop();
    // a diverged run keeps its last good checkpoint; its curves show where it went
    if (e instanceof training.TrainingDivergedError) await writeRunCharts(outDir, label);
    throw e;
  }
  const { session } = result;
  if (result.resumedFrom > 0) log(result.alreadyComplete ? `${outDir} was already complete (${session.epoch} epochs)` : `resumed from epoch ${result.resumedFrom}`);
  const plots = await writeRunCharts(outDir, label);
  const last = session.history[session.history.length - 1];
  if (!last) return;
  const total = session.history.reduce((s, r) => s + r.seconds, 0);
  let line = `test accuracy ${pct(last.testAccuracy)} after ${last.epoch} epochs (${total.toFixed(1)}s of training)`;
  if (data.name === 'mnist' && config.data === 'mnist') {
    line += ` — target ≥ ${pct(MNIST_TARGET)} on the embedded MNIST: ${last.testAccuracy >= MNIST_TARGET ? 'reached' : 'NOT reached'}`;
  }
  console.log(line);
  log(`run written to ${outDir}/ (config.json, history.csv, history.jsonl, model.safetensors, checkpoint.safetensors${plots.length ? ', ' + plots.join(', ') : ''})`);
}

/** loss.svg/.png and accuracy.svg/.png of the run in `dir`, from its history; returns the files written. */
async function writeRunCharts(dir: string, label: string): Promise<string[]> {
  return writeCharts(dir, runCharts(readHistory(join(dir, 'history.jsonl')), label));
}
