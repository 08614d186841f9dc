// A training run on disk (Node only). The run directory holds:
//   config.json                      the TrainConfig, the model's LayerConfig, the normalisation, the data set
//   checkpoint.safetensors           everything resume needs after the last completed epoch (checkpoint.ts)
//   checkpoint.previous.safetensors  the checkpoint before it (resume falls back to it)
//   model.safetensors                the model bundle of the last completed epoch (bundle.ts): what eval,
//                                    predict, dream, the playground and PyTorch read
//   history.jsonl                    one EpochRecord per line
//   history.csv                      the same as a table
//   loss.svg/.png, accuracy.svg/.png   train and test curves (written when the run ends)
//   .handgrad.lock                   while a process trains there (io/dir-lock-node.ts)
// Every file is written atomically and the checkpoint first, so a run stopped at any moment
// leaves a directory that `--resume` continues; resuming rewrites the bundle and the history
// from the checkpoint it continues from (a checkpoint at epoch 0 is written before the first
// epoch).

import { join } from 'node:path';
import type { Dataset } from '../data/types.js';
import { removeStaleTemporaries, writeFileAtomic } from '../io/atomic-node.js';
import { lockDirectory, type DirectoryLock } from '../io/dir-lock-node.js';
import { sessionModelInfo } from './bundle.js';
import { writeModelFile } from './bundle-node.js';
import type { TrainConfig } from './config.js';
import { hasCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoint-node.js';
import { HISTORY_FIELDS, historyCsv, historyJsonl } from './history.js';
import { TrainingDivergedError, TrainingSession, type EpochRecord, type StepRecord, type TrainState } from './loop.js';
import type { LayerConfig } from '../layers/module.js';
import type { Normalization } from './loader.js';
import { OPTIMIZERS } from '../optim/index.js';

/** The model bundle's name in a run directory. */
export const MODEL_FILE = 'model.safetensors';

/** What config.json holds. */
export interface RunConfigFile {
  handgrad: string;
  created: string;
  config: TrainConfig;
  model: LayerConfig;
  normalization: Normalization;
  data: { name: string; spec: string; dataDir?: string; sampleShape: number[]; classes: string[]; trainSize: number; testSize: number; source: Record<string, unknown> };
}

export interface RunOptions {
  config: TrainConfig;
  data: Dataset;
  outDir: string;
  /** Continue from the directory's checkpoint when there is one (else start fresh). */
  resume?: boolean;
  /** The directory's lock, when the caller took it (lockRunDirectory); else runTraining takes and releases it. */
  lock?: DirectoryLock;
  /** The --data-dir the data came from (recorded for eval). */
  dataDir?: string;
  onStep?: (r: StepRecord) => void;
  onEpoch?: (r: EpochRecord) => void;
  /** Writes the curves when the run ends (or diverges). Default: the plot module's renderers. */
  plots?: boolean;
  /** Stop after this epoch (tests of resume); the run stays resumable. */
  stopAfterEpoch?: number;
  signal?: AbortSignal;
}

export interface RunResult {
  session: TrainingSession;
  /** The run continued from a checkpoint at this epoch (0 = a fresh start). */
  resumedFrom: number;
  /** Set when resume used the previous checkpoint because the current one was missing or unreadable: why. */
  fellBack: string | null;
  /** The checkpoint was already complete: nothing was trained. */
  alreadyComplete: boolean;
  /** Plot files written, or the reason none were. */
  plots: string[] | string;
}

export { HISTORY_FIELDS, historyCsv, historyJsonl };

/** Locks a run directory (creating it) for one training process; see io/dir-lock-node.ts. */
export function lockRunDirectory(dir: string): DirectoryLock {
  return lockDirectory(dir, 'handgrad train');
}

/**
 * Trains (or resumes) a run in `outDir`, checkpointing every epoch, while holding the
 * directory's lock. Temporary files of interrupted writes are removed first.
 */
export async function runTraining(opts: RunOptions): Promise<RunResult> {
  const lock = opts.lock ?? lockRunDirectory(opts.outDir);
  try {
    return await runLocked(opts);
  } finally {
    if (!opts.lock) lock.release();
  }
}

async function runLocked(opts: RunOptions): Promise<RunResult> {
  const { outDir, data } = opts;
  removeStaleTemporaries(outDir);
  let session: TrainingSession;
  let resumedFrom = 0;
  let fellBack: string | null = null;
  if (opts.resume && hasCheckpoint(outDir)) {
    const cp = readCheckpoint(outDir);
    fellBack = cp.fellBack;
    // A resumed run keeps its checkpoint's config; only the number of epochs may be raised.
    const state: TrainState = { ...cp.state, config: { ...cp.state.config, epochs: Math.max(opts.config.epochs, cp.state.epoch) } };
    session = new TrainingSession({}, data, { resume: { state, weights: cp.weights } });
    resumedFrom = state.epoch;
    if (state.config.epochs !== cp.state.config.epochs) writeConfig(outDir, session, opts);
    // the bundle and the history may be ahead of (or behind) the checkpoint a kill left: match them to it
    writeModel(outDir, session, opts);
    writeHistory(outDir, session.history);
  } else {
    session = new TrainingSession(opts.config, data);
    writeConfig(outDir, session, opts);
    writeHistory(outDir, session.history);
    writeCheckpoint(outDir, session);
    writeModel(outDir, session, opts);
  }
  const alreadyComplete = session.epoch >= session.config.epochs;
  try {
    await session.run({
      onStep: opts.onStep,
      stopAfterEpoch: opts.stopAfterEpoch,
      signal: opts.signal,
      onEpoch: (record, s) => {
        writeCheckpoint(outDir, s);
        writeModel(outDir, s, opts);
        writeHistory(outDir, s.history);
        opts.onEpoch?.(record);
      },
    });
  } catch (e) {
    if (e instanceof TrainingDivergedError && opts.plots !== false) await writePlots(outDir, session.history, runLabel(session)).catch(() => undefined);
    throw e;
  }
  const plots = opts.plots === false ? 'plots not requested' : await writePlots(outDir, session.history, runLabel(session));
  return { session, resumedFrom, fellBack, alreadyComplete, plots };
}

/** "mnist, MLP 784-128-10, lr 0.01, momentum 0.9": what a plot title says about the run. */
export function runLabel(session: TrainingSession): string {
  const c = session.config;
  const m = session.modelConfig;
  const linears = (m.type === 'Sequential' ? m.layers : [m]).flatMap((l) => (l.type === 'Linear' ? [l] : []));
  const widths = linears.length ? [linears[0]!.inFeatures, ...linears.map((l) => l.outFeatures)].join('-') : '';
  const model = c.model.kind === 'cnn' ? 'CNN' : `MLP ${widths}`;
  const parts = [session.data.name, model, `${c.optimizer === 'sgd' ? '' : `${OPTIMIZERS[c.optimizer].label} `}lr ${c.lr}`];
  if (c.momentum) parts.push(`momentum ${c.momentum}`);
  if (c.dropout) parts.push(`dropout ${c.dropout} (${c.dropoutMode})`);
  return parts.join(', ');
}

function writeConfig(outDir: string, session: TrainingSession, opts: RunOptions): void {
  const d = session.data;
  const file: RunConfigFile = {
    handgrad: '0.1.0',
    created: new Date().toISOString(),
    config: session.config,
    model: session.modelConfig,
    normalization: session.normalization,
    data: {
      name: d.name, spec: session.config.data, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      sampleShape: [...d.sampleShape], classes: [...d.classes], trainSize: d.train.n, testSize: d.test.n, source: d.source,
    },
  };
  writeFileAtomic(join(outDir, 'config.json'), JSON.stringify(file, null, 2) + '\n');
}

function writeModel(outDir: string, session: TrainingSession, opts: RunOptions): void {
  writeModelFile(join(outDir, MODEL_FILE), session.model, sessionModelInfo(session, opts.dataDir));
}

function writeHistory(outDir: string, history: EpochRecord[]): void {
  writeFileAtomic(join(outDir, 'history.jsonl'), historyJsonl(history));
  writeFileAtomic(join(outDir, 'history.csv'), historyCsv(history));
}

/** loss.svg/.png and accuracy.svg/.png: train and test curves over the epochs. */
export async function writePlots(outDir: string, history: EpochRecord[], label?: string): Promise<string[] | string> {
  if (history.length === 0) return 'no epochs to plot';
  // the renderers (Vega-Lite, resvg) load only when a run ends with plots
  const [{ renderCurves }, { svgToPng }] = await Promise.all([import('../plot/index.js'), import('../plot/png-node.js')]);
  const x = history.map((r) => r.epoch);
  const written: string[] = [];
  const charts = [
    { file: 'loss', title: 'Loss', yLabel: 'cross-entropy loss', train: history.map((r) => r.trainLoss), test: history.map((r) => r.testLoss), yFormat: undefined },
    { file: 'accuracy', title: 'Accuracy', yLabel: 'accuracy', train: history.map((r) => r.trainAccuracy), test: history.map((r) => r.testAccuracy), yFormat: '.0%' },
  ];
  for (const c of charts) {
    const svg = await renderCurves({
      title: label ? `${c.title}: ${label}` : c.title, xLabel: 'epoch', yLabel: c.yLabel, ...(c.yFormat ? { yFormat: c.yFormat } : {}),
      series: [{ name: 'train', x, y: c.train, dash: true }, { name: 'test', x, y: c.test }],
    });
    writeFileAtomic(join(outDir, `${c.file}.svg`), svg);
    writeFileAtomic(join(outDir, `${c.file}.png`), svgToPng(svg));
    written.push(`${c.file}.svg`, `${c.file}.png`);
  }
  return written;
}
