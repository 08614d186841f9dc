// A training run on disk (Node only). The run directory holds:
//   config.json                      the TrainConfig, the model's LayerConfig, the normalisation, the data set
//   checkpoint.safetensors           everything resume needs after the last completed epoch (checkpoint.ts)
//   checkpoint.previous.safetensors  the checkpoint before it (resume falls back to it)
//   model.safetensors                the model bundle of the last completed epoch (bundle.ts): what eval,
//                                    predict, dream, the playground and PyTorch read
//   history.jsonl                    one EpochRecord per line
//   history.csv                      the same as a table
//   .handgrad.lock                   while a process trains there (io/dir-lock-node.ts)
// Every file is written atomically and the checkpoint first, so a run stopped at any moment
// leaves a directory that `--resume` continues; resuming rewrites the bundle and the history
// from the checkpoint it continues from (a checkpoint at epoch 0 is written before the first
// epoch). Rendering is left to the caller: `handgrad train` draws loss.svg/.png and
// accuracy.svg/.png from history.jsonl when the run ends (report/run-curves.ts).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/types.js';
import { isTemporaryName, removeStaleTemporaries, writeFileAtomic } from '../io/atomic-node.js';
import { lockDirectory, LOCK_FILE, type DirectoryLock } from '../io/dir-lock-node.js';
import { sessionModelInfo } from './bundle.js';
import { writeModelFile } from './bundle-node.js';
import type { TrainConfig } from './config.js';
import { hasCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoint-node.js';
import { HISTORY_FIELDS, type VAL_FIELDS, historyCsv, historyJsonl } from './history.js';
import { TrainingSession, type EpochRecord, type StepRecord, type TrainState } from './loop.js';
import type { LayerConfig } from '../layers/module.js';
import { HandgradError } from '../tensor.js';
import type { Normalization } from './loader.js';

/** The model bundle's name in a run directory. */
export const MODEL_FILE = 'model.safetensors';

/** What config.json holds. */
export interface RunConfigFile {
  /** The handgrad version that wrote it. */
  handgrad: string;
  /** When the run was created (ISO time). */
  created: string;
  /** The training config, every default filled in. */
  config: TrainConfig;
  /** The model's layer config. */
  model: LayerConfig;
  /** The input normalisation from the training split. */
  normalization: Normalization;
  /** The data set: its name, how it was given, its shapes, classes, sizes and source. */
  data: { name: string; spec: string; dataDir?: string; sampleShape: number[]; classes: string[]; trainSize: number; testSize: number; source: Record<string, unknown> };
}

/** Options of {@link runTraining}. */
export interface RunOptions {
  /** The training config. */
  config: TrainConfig;
  /** The data set to train on. */
  data: Dataset;
  /** The run directory (config, history, checkpoints, model). */
  outDir: string;
  /** Continue from the directory's checkpoint when there is one (else start fresh). */
  resume?: boolean;
  /** The directory's lock, when the caller took it (lockRunDirectory); else runTraining takes and releases it. */
  lock?: DirectoryLock;
  /** The --data-dir the data came from (recorded for eval). */
  dataDir?: string;
  /** Called after every optimiser step. */
  onStep?: (r: StepRecord) => void;
  /** Called after every epoch, once its checkpoint is written. */
  onEpoch?: (r: EpochRecord) => void;
  /** Stop after this epoch (tests of resume); the run stays resumable. */
  stopAfterEpoch?: number;
  /** Aborting stops the run between batches; it stays resumable. */
  signal?: AbortSignal;
}

/** What {@link runTraining} returns. */
export interface RunResult {
  /** The training session, with its model and history. */
  session: TrainingSession;
  /** The run continued from a checkpoint at this epoch (0 = a fresh start). */
  resumedFrom: number;
  /** Set when resume used the previous checkpoint because the current one was missing or unreadable: why. */
  fellBack: string | null;
  /** The checkpoint was already complete: nothing was trained. */
  alreadyComplete: boolean;
}

export { HISTORY_FIELDS, historyCsv, historyJsonl };

/**
 * Reads a history.jsonl as historyJsonl writes it; a missing file is an empty history. JSON has
 * no NaN, so a diverged epoch's metrics may be null: they come back as NaN. A malformed line is
 * an error naming the file and the line.
 */
export function readHistory(file: string): EpochRecord[] {
  if (!existsSync(file)) return [];
  const out: EpochRecord[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      r = null;
    }
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new HandgradError(`${file}:${i + 1}: not a JSON object: ${line.slice(0, 80)}`);
    const field = (k: (typeof HISTORY_FIELDS)[number], required: boolean): number => {
      const v: unknown = (r as Record<string, unknown>)[k];
      if (typeof v === 'number') return v;
      if (v === null || (v === undefined && !required)) return k === 'seconds' || k === 'samplesPerSecond' ? 0 : NaN;
      throw new HandgradError(`${file}:${i + 1}: field '${k}' missing or not a number`);
    };
    const epoch = field('epoch', true);
    if (!Number.isInteger(epoch) || epoch < 1) throw new HandgradError(`${file}:${i + 1}: field 'epoch' must be an integer ≥ 1, got ${epoch}`);
    const val = (k: (typeof VAL_FIELDS)[number]): { [key: string]: number } => {
      const v: unknown = (r as Record<string, unknown>)[k];
      if (v === undefined) return {};
      if (typeof v === 'number' || v === null) return { [k]: v ?? NaN };
      throw new HandgradError(`${file}:${i + 1}: field '${k}' not a number`);
    };
    out.push({
      ...val('valLoss'), ...val('valAccuracy'),
      epoch, trainLoss: field('trainLoss', true), trainAccuracy: field('trainAccuracy', true), testLoss: field('testLoss', true),
      testAccuracy: field('testAccuracy', true), seconds: field('seconds', false), samplesPerSecond: field('samplesPerSecond', false), lr: field('lr', false),
    });
  });
  return out;
}

/** The largest config.json runDirectoryState reads (a run's is a few kilobytes). */
const CONFIG_LIMIT = 1 << 20;

/**
 * What a folder is, as a place for a run: absent, an empty directory, a run directory (a
 * checkpoint, a config.json that handgrad wrote, or a run being started there: its lock, or
 * nothing but temporary files of handgrad's writes), another directory (with files of its own,
 * which a run must not overwrite), or not a directory.
 */
export function runDirectoryState(dir: string): 'absent' | 'empty' | 'run' | 'other' | 'not-a-directory' {
  if (!existsSync(dir)) return 'absent';
  if (!statSync(dir).isDirectory()) return 'not-a-directory';
  const names = readdirSync(dir);
  if (names.length === 0) return 'empty';
  if (hasCheckpoint(dir) || names.includes(LOCK_FILE) || names.every(isTemporaryName)) return 'run';
  const config = join(dir, 'config.json');
  // a regular file of reasonable size only: a FIFO or a device named config.json must not block
  const st = existsSync(config) ? statSync(config) : null;
  if (!st?.isFile() || st.size > CONFIG_LIMIT) return 'other';
  try {
    const c: unknown = JSON.parse(readFileSync(config, 'utf8'));
    if (typeof c === 'object' && c !== null && typeof (c as Record<string, unknown>).handgrad === 'string') return 'run';
  } catch {
    // not JSON: not handgrad's
  }
  return 'other';
}

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
    session = new TrainingSession({}, data, { resume: { state, weights: cp.weights, best: cp.best } });
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
  const alreadyComplete = session.epoch >= session.config.epochs || session.stoppedEarly;
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
  return { session, resumedFrom, fellBack, alreadyComplete };
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
