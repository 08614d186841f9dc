// `handgrad train`: trains a model on a data set, checkpointing every epoch into a run directory
// (see train/run-node.ts for what it holds), and draws the run's loss and accuracy curves into it
// when it ends. It says which form the first layer takes its batches in (sparse where the
// training data is mostly one value, else or with --dense dense). A live progress bar on a
// terminal, one plain line per epoch otherwise; the last line says the final test accuracy (and,
// on the embedded MNIST, whether it reached the 93% target).

import { join } from 'node:path';
import type { Command } from 'commander';
import { backend, nn, training, type Dataset } from '../index.js';
import {
  hasCheckpoint, lockRunDirectory, readCheckpoint, readHistory, runCharts, runDirectoryState, runLabel, runTraining, writeCharts, type DirectoryLock,
} from '../node.js';
import { chooseBackend, loadData } from './common.js';
import { asFlag, UsageError, writingInto } from './errors.js';
import { addBackendOptions, readBackendFlags } from './flags.js';
import { prepareOutputFolder } from './output.js';
import { addDenseOption, CONFIG_FLAGS, configFromFlags, resumedConfig, type TrainFlags } from './train-flags.js';
import { divergence, inputPathLine, lossText, pct, trainingProgress } from './train-progress.js';

type TrainConfig = training.TrainConfig;

/** The accuracy a bare `handgrad train` must reach on the embedded MNIST. */
const MNIST_TARGET = 0.93;

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
  addDenseOption(addBackendOptions(cmd))
    .option('--quiet', 'print only the final result')
    .option('--no-progress', 'plain lines per epoch even on a terminal')
    .action((flags: TrainFlags, c: Command) => trainCommand(flags, c));
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
  const progress = trainingProgress(config.epochs, process.stdout.isTTY === true && f.progress !== false && !quiet, log, config.lrSchedule !== null);
  log(`handgrad train: ${data.name} (${data.train.n} train / ${data.test.n} test, ${data.classes.length} classes) → ${outDir}`);
  for (const note of notes) log(`note: ${note}`);
  log(`backend: ${backend().describe()}`);
  const layers = training.modelConfig(config.model, data.sampleShape, data.classes.length, config.dropout, config.dropoutMode);
  const label = runLabel(config, layers, data.name);
  if (!quiet) {
    const model = training.buildFromConfig(layers);
    log(`model: ${model.config().type === 'Sequential' ? `${model.children().length} layers, ` : ''}${nn.summaryTotals(model.summary(training.modelInputShape(layers, data.sampleShape), config.batchSize))}`);
  }
  let result: Awaited<ReturnType<typeof runTraining>>;
  try {
    const onSession = (s: training.TrainingSession): void => log(`first layer: ${inputPathLine(s.inputPath)}`);
    const run = { config, data, outDir, lock, resume: f.resume === true, dense: f.dense === true, onSession, onStep: progress.onStep, onEpoch: progress.onEpoch };
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
  const best = session.earlyStopping?.state;
  if (best?.stopped) {
    const r = session.history[best.bestEpoch - 1];
    log(`early stop after epoch ${last.epoch}: no better validation loss for ${config.earlyStop} epochs; the model holds epoch ${best.bestEpoch}'s weights`);
    if (r) console.log(`test accuracy ${pct(r.testAccuracy)} at epoch ${best.bestEpoch} (best validation loss ${lossText(best.bestLoss ?? NaN)}), ${total.toFixed(1)}s of training`);
    log(`run written to ${outDir}/`);
    return;
  }
  let line = `test accuracy ${pct(last.testAccuracy)} after ${last.epoch} epochs (${total.toFixed(1)}s of training)`;
  if (data.name === 'mnist' && config.data === 'mnist') {
    line += ` — target ≥ ${pct(MNIST_TARGET)} on the embedded MNIST: ${last.testAccuracy >= MNIST_TARGET ? 'reached' : 'NOT reached'}`;
  }
  console.log(line);
  const diverged = divergence(session.history, data.classes.length, config.lr);
  if (diverged) console.log(diverged);
  log(`run written to ${outDir}/ (config.json, history.csv, history.jsonl, model.safetensors, checkpoint.safetensors${plots.length ? ', ' + plots.join(', ') : ''})`);
}

/** loss.svg/.png and accuracy.svg/.png of the run in `dir`, from its history; returns the files written. */
async function writeRunCharts(dir: string, label: string): Promise<string[]> {
  return writeCharts(dir, runCharts(readHistory(join(dir, 'history.jsonl')), label));
}
