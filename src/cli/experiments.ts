// `handgrad experiments`: the assignment's experiment grid (src/train/grid.ts) on one
// data set, then report.md with a table of every run and, per group, a loss plot and an accuracy
// plot (train dashed, test solid), as SVG and PNG.
//
// Each run is a child process `node <package>/bin/handgrad.js train … --out <out>/<id> --resume`,
// `--jobs` of them at a time (default 2 = both cores: the reference kernels are single-threaded).
// Because every run checkpoints each epoch and is started with --resume, the grid is resumable for
// free: finished runs are skipped, interrupted runs continue from their last checkpoint.
//
// <out>/
//   grid.json                 the grid's shared settings; a later call must agree with them
//   <id>/                     one `handgrad train` run directory per run (history.jsonl, …)
//   logs/<id>.log             the child's stdout and stderr
//   plots/<group>-loss.svg|png, plots/<group>-accuracy.svg|png
//   report.md

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { renderCurves, type CurveSeries } from '../plot/index.js';
import { svgToPng } from '../plot/png-node.js';
import { GRID, GRID_DEFAULTS, GRID_GROUPS, selectRuns, type GridGroup, type GridRun } from '../train/grid.js';
import { defaultThreads, given, loadData, parseChoice, parseNumber, requireExisting, BACKEND_HELP, parseBackend, type BackendChoice } from './common.js';
import { UsageError } from './main.js';
import type { EpochRecord } from '../train/loop.js';

interface ExperimentsFlags {
  data: string;
  dataDir?: string;
  epochs: string;
  batchSize: string;
  seed: string;
  jobs: string;
  only?: string;
  out: string;
  backend: string;
  dropoutMode: string;
  reportOnly?: boolean;
}

/** The validated options of one `handgrad experiments` call. */
export interface ExperimentsOptions {
  data: string;
  dataDir?: string;
  epochs: number;
  batchSize: number;
  seed: number;
  jobs: number;
  runs: GridRun[];
  out: string;
  backend: BackendChoice;
  dropoutMode: 'cmu' | 'inverted';
}

/** One line of a run's history.jsonl: the train loop's EpochRecord (the report reads these fields). */
export type HistoryRecord = Omit<EpochRecord, 'lr'>;

/** What became of one run. */
export interface RunOutcome {
  run: GridRun;
  /** ok: all epochs done; failed: the child exited with an error (or stopped short). */
  status: 'ok' | 'failed';
  /** The epochs recorded so far (a failed run may have some). */
  history: HistoryRecord[];
  /** The child's error line, for failed runs. */
  error?: string;
  /** True when the run was already complete and no child was started. */
  skipped?: boolean;
}

/** The grid's shared settings, written to <out>/grid.json and to the report's header. */
export interface GridSettings {
  data: string;
  batchSize: number;
  seed: number;
  dropoutMode: string;
  epochs: number;
  backend: string;
  /** e.g. "fashion-mnist (60000 train / 10000 test, 10 classes)" */
  dataDescription?: string;
}

export function register(program: Command): void {
  program
    .command('experiments')
    .description("run the assignment's experiment grid (2.1a–2.4c) as parallel, resumable `train` runs; writes report.md with tables and plots")
    .option('--data <name|path>', 'data set: mnist (embedded), fashion-mnist, mnist-idx, omniglot12, or a path', 'mnist')
    .option('--data-dir <dir>', 'where to look for data files')
    .option('--epochs <n>', 'epochs per run (the assignment: 200)', String(GRID_DEFAULTS.epochs))
    .option('--batch-size <n>', 'minibatch size of every run', String(GRID_DEFAULTS.batchSize))
    .option('--seed <n>', 'seed of every run (same initial weights for the same architecture)', '0')
    .option('--jobs <n>', 'runs in parallel (separate processes)', '2')
    .option('--only <ids>', 'comma-separated run ids or groups, e.g. 2.1a,2.3')
    .option('--out <dir>', 'output directory', join('runs', 'experiments'))
    .option('--backend <name>', `${BACKEND_HELP}, for every run`, 'auto')
    .option('--dropout-mode <mode>', "cmu (the assignment: scale by 1-p at inference) or inverted (PyTorch)", GRID_DEFAULTS.dropoutMode)
    .option('--report-only', 'start no runs: write report.md from the run directories already in --out')
    .action(async (flags: ExperimentsFlags, cmd: Command) => {
      const options = optionsFromFlags(flags);
      const failed = await experimentsCommand(options, { reportOnly: flags.reportOnly === true, epochsGiven: given(cmd, 'epochs') });
      if (failed > 0) process.exitCode = 1;
    });
}

/** Turns the flags into options; every bad value is a UsageError naming the flag (exit 2). */
export function optionsFromFlags(f: ExperimentsFlags): ExperimentsOptions {
  let runs: GridRun[];
  try {
    runs = selectRuns(f.only);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (f.dataDir !== undefined) requireExisting('--data-dir', f.dataDir, 'directory');
  if (existsSync(f.out) && !statSync(f.out).isDirectory()) throw new UsageError(`--out: ${f.out} exists and is not a directory`);
  return {
    data: f.data,
    ...(f.dataDir !== undefined ? { dataDir: f.dataDir } : {}),
    epochs: parseNumber('--epochs', f.epochs, { min: 1, integer: true }),
    batchSize: parseNumber('--batch-size', f.batchSize, { min: 1, integer: true }),
    seed: parseNumber('--seed', f.seed, { min: 0, max: 2 ** 32 - 1, integer: true }),
    jobs: parseNumber('--jobs', f.jobs, { min: 1, max: 64, integer: true }),
    runs,
    out: f.out,
    backend: parseBackend(f.backend),
    dropoutMode: parseChoice('--dropout-mode', f.dropoutMode, ['cmu', 'inverted'] as const),
  };
}

/**
 * Runs (or, with reportOnly, only reports) the grid; returns the number of failed runs.
 * With reportOnly the grid's own epoch count is used unless --epochs was typed (epochsGiven).
 */
export async function experimentsCommand(o: ExperimentsOptions, mode: { reportOnly?: boolean; epochsGiven?: boolean } = {}): Promise<number> {
  const reportOnly = mode.reportOnly === true;
  const settingsFile = join(o.out, 'grid.json');
  let previous: GridSettings | null = null;
  if (existsSync(settingsFile)) {
    try {
      previous = JSON.parse(readFileSync(settingsFile, 'utf8')) as GridSettings;
    } catch (e) {
      throw new UsageError(`${settingsFile}: not valid JSON (${(e as Error).message}); remove it or choose another --out`);
    }
  }
  let settings: GridSettings = {
    data: o.data, batchSize: o.batchSize, seed: o.seed, dropoutMode: o.dropoutMode, epochs: o.epochs, backend: o.backend,
  };
  if (previous && !reportOnly) {
    // Runs already in --out were trained with these; mixing settings would make the report lie.
    for (const key of ['data', 'batchSize', 'seed', 'dropoutMode'] as const) {
      if (String(previous[key]) !== String(settings[key])) {
        const flag = { data: '--data', batchSize: '--batch-size', seed: '--seed', dropoutMode: '--dropout-mode' }[key];
        throw new UsageError(`${flag} ${settings[key]} differs from ${previous[key]} of the grid already in ${o.out} (${settingsFile}); use those settings or another --out`);
      }
    }
  }

  if (reportOnly) {
    if (!previous) throw new UsageError(`--report-only: ${o.out} holds no grid (no grid.json); run the grid first`);
    settings = { ...previous, epochs: mode.epochsGiven ? o.epochs : previous.epochs };
    const outcomes = o.runs.map((run) => outcomeFromDisk(run, { ...o, epochs: settings.epochs }));
    const reportPath = await writeReport(o.out, outcomes, settings);
    console.log(`report written to ${reportPath}`);
    return outcomes.filter((r) => r.status === 'failed').length;
  }

  // Load the data once here, so a missing file or unknown name is one line and exit 2 instead of
  // fourteen failed children; this also describes the data set in the report. When every selected
  // run is already complete, the description saved in grid.json is enough.
  const allDone = o.runs.every((run) => isComplete(historyOf(run, o), o.epochs));
  if (allDone && previous?.dataDescription) {
    settings.dataDescription = previous.dataDescription;
  } else {
    const data = await loadData(o.data, o.dataDir);
    settings.dataDescription = `${data.name} (${data.train.n} train / ${data.test.n} test, ${data.classes.length} classes, samples ${data.sampleShape.join('×')})`;
  }
  mkdirSync(join(o.out, 'logs'), { recursive: true });
  writeFileSync(settingsFile, JSON.stringify(settings, null, 2) + '\n');

  console.log(`handgrad experiments: ${o.runs.length} run${o.runs.length === 1 ? '' : 's'} on ${settings.dataDescription}, ${o.epochs} epoch${o.epochs === 1 ? '' : 's'}, batch ${o.batchSize}, ` +
    `dropout mode ${o.dropoutMode}, ${o.jobs} in parallel → ${o.out}`);
  const outcomes = await runGrid(o);
  const reportPath = await writeReport(o.out, outcomes, settings);
  const failed = outcomes.filter((r) => r.status === 'failed');
  console.log(`${outcomes.length - failed.length} of ${outcomes.length} runs complete${failed.length ? `, ${failed.length} failed (${failed.map((f) => f.run.id).join(', ')})` : ''}; report: ${reportPath}`);
  return failed.length;
}

// ---------------------------------------------------------------------------------------------
// Running the children

/** The package's root (where bin/handgrad.js is), from this file in src/cli or dist/src/cli. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'bin', 'handgrad.js'))) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'handgrad') return dir;
      } catch {
        // not our package.json; keep climbing
      }
    }
    dir = dirname(dir);
  }
  throw new Error(`experiments: cannot find the handgrad package (bin/handgrad.js) above ${fileURLToPath(import.meta.url)}`);
}

/** The `handgrad train` arguments of one run. */
export function trainArgs(run: GridRun, o: ExperimentsOptions): string[] {
  return [
    'train',
    '--model', 'mlp',
    '--hidden', run.hidden.join(','),
    '--activation', GRID_DEFAULTS.activation,
    '--lr', String(run.lr),
    '--momentum', String(run.momentum),
    '--dropout', String(run.dropout),
    '--dropout-mode', o.dropoutMode,
    '--batch-size', String(o.batchSize),
    '--epochs', String(o.epochs),
    '--seed', String(o.seed),
    '--data', o.data,
    ...(o.dataDir !== undefined ? ['--data-dir', o.dataDir] : []),
    '--out', join(o.out, run.id),
    '--resume',
    '--quiet',
    '--backend', o.backend,
    // `--jobs` processes share the cores: each gets its part (one thread each with 2 jobs on 2 cores)
    '--threads', String(Math.max(1, Math.floor(defaultThreads() / o.jobs))),
  ];
}

/** Reads a run's history.jsonl; missing file → []. A malformed line is an error naming file and line. */
export function readHistory(file: string): HistoryRecord[] {
  if (!existsSync(file)) return [];
  const out: HistoryRecord[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let r: Partial<HistoryRecord>;
    try {
      r = JSON.parse(line) as Partial<HistoryRecord>;
    } catch {
      throw new Error(`${file}:${i + 1}: not a JSON object: ${line.slice(0, 80)}`);
    }
    for (const k of ['epoch', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy'] as const) {
      // JSON has no NaN: a diverged epoch may hold null, which the plots leave out
      if (typeof r[k] !== 'number' && r[k] !== null) throw new Error(`${file}:${i + 1}: field '${k}' missing or not a number`);
    }
    out.push({
      epoch: r.epoch!, trainLoss: r.trainLoss ?? NaN, trainAccuracy: r.trainAccuracy ?? NaN, testLoss: r.testLoss ?? NaN,
      testAccuracy: r.testAccuracy ?? NaN, seconds: r.seconds ?? 0, samplesPerSecond: r.samplesPerSecond ?? 0,
    });
  });
  return out;
}

function historyOf(run: GridRun, o: { out: string; epochs: number }): HistoryRecord[] {
  // A run trained longer earlier (a larger --epochs) is reported over the epochs asked for now.
  return readHistory(join(o.out, run.id, 'history.jsonl')).filter((r) => r.epoch <= o.epochs);
}

function isComplete(history: HistoryRecord[], epochs: number): boolean {
  return history.length > 0 && history[history.length - 1]!.epoch >= epochs;
}

/** A run's outcome from its directory alone (for --report-only). */
function outcomeFromDisk(run: GridRun, o: ExperimentsOptions): RunOutcome {
  const history = historyOf(run, o);
  if (isComplete(history, o.epochs)) return { run, status: 'ok', history, skipped: true };
  const log = join(o.out, 'logs', `${run.id}.log`);
  const error = existsSync(log) ? lastErrorLine(readFileSync(log, 'utf8')) : undefined;
  return { run, status: 'failed', history, error: `incomplete (${history.length} of ${o.epochs} epochs)${error ? `; last line of its log: ${error}` : ''}` };
}

function lastErrorLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('$ '));
  return lines[lines.length - 1];
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—');

function outcomeLine(r: RunOutcome, done: number, total: number, wall?: number): string {
  const head = `[${String(done).padStart(String(total).length)}/${total}] ${r.run.id}`;
  if (r.status === 'failed') return `${head} FAILED: ${r.error ?? 'unknown error'}`;
  const s = summarize(r.history);
  const tail = `test acc ${pct(s.finalTest)} (best ${pct(s.bestTest)} @ epoch ${s.bestEpoch})  train loss ${s.finalTrainLoss.toFixed(4)}  ${formatSeconds(s.seconds)}`;
  return r.skipped ? `${head} already complete: ${tail}` : `${head} done: ${tail}${wall !== undefined ? ` (wall ${formatSeconds(wall)})` : ''}`;
}

/** Weights of a run's MLP with MNIST's 784 inputs and 10 classes: its cost per sample, up to a factor. */
function mlpWeights(hidden: readonly number[]): number {
  const sizes = [784, ...hidden, 10];
  return sizes.slice(1).reduce((s, h, i) => s + h * sizes[i]!, 0);
}

/** The order runs are started in: the most weights first, ties in table order. */
export function longestFirst(runs: readonly GridRun[]): GridRun[] {
  return [...runs].sort((a, b) => mlpWeights(b.hidden) - mlpWeights(a.hidden));
}

/**
 * Runs the selected runs as child processes, `o.jobs` at a time; one line per finished run and, on
 * a terminal, a live status line (the epoch each running child is at, read from its history).
 */
export async function runGrid(o: ExperimentsOptions): Promise<RunOutcome[]> {
  const bin = join(packageRoot(), 'bin', 'handgrad.js');
  const outcomes = new Map<string, RunOutcome>();
  const queue: GridRun[] = [];
  let done = 0;
  const total = o.runs.length;
  const tty = process.stdout.isTTY === true;
  const running = new Map<string, ChildProcess>();
  const clearStatus = (): void => {
    if (tty) process.stdout.write('\r\x1b[K');
  };
  const report = (line: string): void => {
    clearStatus();
    console.log(line);
  };

  for (const run of o.runs) {
    const history = historyOf(run, o);
    if (isComplete(history, o.epochs)) {
      const r: RunOutcome = { run, status: 'ok', history, skipped: true };
      outcomes.set(run.id, r);
      report(outcomeLine(r, ++done, total));
    } else {
      queue.push(run);
    }
  }

  // Longest runs first (the classic LPT rule): with the grid's one wide run (2.4c, [600]) last in
  // table order, one slot would work alone for its whole length at the end. Measured on
  // Omniglot-12's shape (bench/grid-estimate.mjs): 1.57 h in table order, ≈ 1.25 h this way.
  queue.splice(0, queue.length, ...longestFirst(queue));

  const gridStarted = Date.now();
  const status = (): void => {
    if (!tty || running.size === 0) return;
    const parts = [...running.keys()].map((id) => {
      const n = historyOf(GRID.find((r) => r.id === id)!, o).length;
      return `${id} epoch ${Math.min(n + 1, o.epochs)}/${o.epochs}`;
    });
    const line = `[${done}/${total} finished, ${formatSeconds((Date.now() - gridStarted) / 1000)}] running ${parts.join(', ')}`;
    process.stdout.write(`\r\x1b[K${line.slice(0, (process.stdout.columns ?? 100) - 1)}`);
  };
  const timer = tty ? setInterval(status, 1000) : null;

  // Children run in our process group, so a Ctrl-C on a terminal reaches them too; a SIGTERM sent
  // to us alone is passed on, so no run keeps going in the background. Each run resumes later.
  const stopChildren = (signal: NodeJS.Signals): void => {
    for (const child of running.values()) child.kill(signal);
    clearStatus();
    console.error(`handgrad experiments: stopped by ${signal}; run the same command again to resume`);
    process.exit(130);
  };
  const onSigint = (): void => stopChildren('SIGINT');
  const onSigterm = (): void => stopChildren('SIGTERM');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);

  const runOne = (run: GridRun): Promise<RunOutcome> =>
    new Promise((resolveRun) => {
      const args = trainArgs(run, o);
      const log = join(o.out, 'logs', `${run.id}.log`);
      appendFileSync(log, `$ ${process.execPath} ${bin} ${args.join(' ')}\n`);
      const started = Date.now();
      const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
      running.set(run.id, child);
      let stderr = '';
      let stdout = '';
      child.stdout!.on('data', (b: Buffer) => {
        stdout += b.toString();
        appendFileSync(log, b);
      });
      child.stderr!.on('data', (b: Buffer) => {
        stderr += b.toString();
        appendFileSync(log, b);
      });
      const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
        running.delete(run.id);
        const history = historyOf(run, o);
        let r: RunOutcome;
        if (spawnError) {
          r = { run, status: 'failed', history, error: `could not start ${bin}: ${spawnError.message}` };
        } else if (code !== 0) {
          const why = lastErrorLine(stderr) ?? lastErrorLine(stdout) ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
          r = { run, status: 'failed', history, error: why };
        } else if (!isComplete(history, o.epochs)) {
          r = { run, status: 'failed', history, error: `train exited 0 but history.jsonl holds ${history.length} of ${o.epochs} epochs` };
        } else {
          r = { run, status: 'ok', history };
        }
        resolveRun(r);
        report(outcomeLine(r, ++done, total, (Date.now() - started) / 1000));
      };
      let settled = false;
      child.on('error', (e) => {
        if (!settled) {
          settled = true;
          finish(null, null, e);
        }
      });
      child.on('close', (code, signal) => {
        if (!settled) {
          settled = true;
          finish(code, signal);
        }
      });
    });

  const worker = async (): Promise<void> => {
    for (let run = queue.shift(); run; run = queue.shift()) {
      outcomes.set(run.id, await runOne(run));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.jobs, Math.max(1, queue.length)) }, worker));
  } finally {
    if (timer) clearInterval(timer);
    clearStatus();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
  return o.runs.map((run) => outcomes.get(run.id)!);
}

// ---------------------------------------------------------------------------------------------
// The report

export interface RunSummary {
  finalTest: number;
  bestTest: number;
  bestEpoch: number;
  finalTrain: number;
  finalTrainLoss: number;
  finalTestLoss: number;
  /** Training time: the sum of the epochs' seconds (survives resumes). */
  seconds: number;
  epochs: number;
}

export function summarize(history: HistoryRecord[]): RunSummary {
  const last = history[history.length - 1];
  let bestTest = NaN;
  let bestEpoch = 0;
  for (const r of history) {
    if (Number.isFinite(r.testAccuracy) && !(r.testAccuracy <= bestTest)) {
      bestTest = r.testAccuracy;
      bestEpoch = r.epoch;
    }
  }
  return {
    finalTest: last?.testAccuracy ?? NaN,
    bestTest,
    bestEpoch,
    finalTrain: last?.trainAccuracy ?? NaN,
    finalTrainLoss: last?.trainLoss ?? NaN,
    finalTestLoss: last?.testLoss ?? NaN,
    seconds: history.reduce((s, r) => s + (Number.isFinite(r.seconds) ? r.seconds : 0), 0),
    epochs: last?.epoch ?? 0,
  };
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s - 60 * m)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export const GROUP_TITLES: Record<GridGroup, string> = {
  '2.1': 'one hidden layer',
  '2.2': 'two hidden layers',
  '2.3': 'learning rate',
  '2.4': 'free experiments',
};

/** The settings that differ between the runs of a group, for short legend labels. */
function varyingLabel(run: GridRun, group: GridRun[]): string {
  const parts: string[] = [];
  const differs = (f: (r: GridRun) => string): boolean => new Set(group.map(f)).size > 1;
  if (differs((r) => r.hidden.join(','))) parts.push(`[${run.hidden.join(', ')}]`);
  if (differs((r) => String(r.momentum))) parts.push(`m ${run.momentum}`);
  if (differs((r) => String(r.dropout))) parts.push(`p ${run.dropout}`);
  if (differs((r) => String(r.lr))) parts.push(`lr ${run.lr}`);
  return parts.join(', ');
}

/** The two plots of a group: loss and accuracy, every run's train (dashed) and test (solid) curves. */
export async function groupPlots(group: GridGroup, outcomes: RunOutcome[], dataName: string): Promise<{ loss: string; accuracy: string }> {
  const runs = outcomes.filter((r) => r.run.group === group && r.history.length > 0);
  const all = runs.map((r) => r.run);
  const series = (pick: (h: HistoryRecord) => number, which: 'train' | 'test'): CurveSeries[] =>
    runs.map((r) => {
      const extra = varyingLabel(r.run, all);
      return {
        name: `${r.run.id}${extra ? ` (${extra})` : ''} ${which}`,
        x: r.history.map((h) => h.epoch),
        y: r.history.map(pick),
        dash: which === 'train',
        colorGroup: r.run.id,
      };
    });
  const both = (trainPick: (h: HistoryRecord) => number, testPick: (h: HistoryRecord) => number): CurveSeries[] => {
    const train = series(trainPick, 'train');
    const test = series(testPick, 'test');
    return train.flatMap((s, i) => [s, test[i]!]);
  };
  const title = (what: string): string => `${group} ${GROUP_TITLES[group]} on ${dataName}: ${what} (train dashed, test solid)`;
  const loss = await renderCurves({
    title: title('loss'), xLabel: 'epoch', yLabel: 'cross-entropy loss',
    series: both((h) => h.trainLoss, (h) => h.testLoss),
  });
  const accuracy = await renderCurves({
    title: title('accuracy'), xLabel: 'epoch', yLabel: 'accuracy', yFormat: '.0%',
    series: both((h) => h.trainAccuracy, (h) => h.testAccuracy),
  });
  return { loss, accuracy };
}

/**
 * One or two generated sentences comparing the runs of a group: the ranking of the complete runs
 * by final test accuracy (failed runs named apart), then either a run that overfitted (its test
 * accuracy peaked before the last 10% of epochs and ended more than a point lower) or the spread
 * of the train–test accuracy gaps.
 */
export function groupSentences(group: GridGroup, outcomes: RunOutcome[]): string {
  const inGroup = outcomes.filter((r) => r.run.group === group);
  const runs = inGroup.filter((r) => r.status === 'ok' && r.history.length > 0);
  const failed = inGroup.filter((r) => r.status === 'failed');
  const failedText = failed.length
    ? ` ${failed.map((f) => `${f.run.id} failed after ${f.history.length} epoch${f.history.length === 1 ? '' : 's'}`).join(', ')} (see the table).`
    : '';
  if (runs.length === 0) return `No run of this group completed.${failedText}`;
  const all = inGroup.map((r) => r.run);
  const s = new Map(runs.map((r) => [r.run.id, summarize(r.history)]));
  const sum = (r: RunOutcome): RunSummary => s.get(r.run.id)!;
  const desc = (r: GridRun): string => {
    const v = varyingLabel(r, all);
    return v ? `${r.id} (${v})` : r.id;
  };
  const score = (r: RunOutcome): number => (Number.isFinite(sum(r).finalTest) ? sum(r).finalTest : -1);
  const ranked = [...runs].sort((a, b) => score(b) - score(a));
  const best = ranked[0]!;
  const sentences: string[] = [];
  if (ranked.length === 1) {
    sentences.push(`${desc(best.run)} ended at ${pct(sum(best).finalTest)} test accuracy.`);
  } else {
    const rest = ranked.slice(1).map((r) => `${r.run.id} ${pct(sum(r).finalTest)}`).join(', ');
    sentences.push(`The best final test accuracy is ${desc(best.run)}'s ${pct(sum(best).finalTest)}, then ${rest}.`);
  }
  const overfit = runs
    .map((r) => ({ r, sm: sum(r), drop: sum(r).bestTest - sum(r).finalTest }))
    .filter((d) => d.drop > 0.01 && d.sm.bestEpoch < 0.9 * d.sm.epochs)
    .sort((a, b) => b.drop - a.drop)[0];
  const gaps = runs.map((r) => ({ id: r.run.id, gap: sum(r).finalTrain - sum(r).finalTest })).filter((g) => Number.isFinite(g.gap));
  gaps.sort((a, b) => b.gap - a.gap);
  const pts = (x: number): string => `${(100 * x).toFixed(1)} points`;
  const gapText = gaps.length > 0 && gaps[0]!.gap < 0
    ? `every run still ends with a higher test than train accuracy (the train figure is an average over the epoch while the net still learns, with dropout active where used), so none overfits yet`
    : gaps.length > 1
    ? `the final train–test accuracy gap is largest for ${gaps[0]!.id} (${pts(gaps[0]!.gap)}) and smallest for ${gaps[gaps.length - 1]!.id} (${pts(gaps[gaps.length - 1]!.gap)})`
    : gaps.length === 1 ? `the final train–test accuracy gap is ${pts(gaps[0]!.gap)}` : '';
  if (overfit) {
    sentences.push(`${overfit.r.run.id} peaked at ${pct(overfit.sm.bestTest)} in epoch ${overfit.sm.bestEpoch} and ended ${pts(overfit.drop)} lower, a sign of overfitting${gapText ? `; ${gapText}` : ''}.`);
  } else if (gapText) {
    sentences.push(`${gapText[0]!.toUpperCase()}${gapText.slice(1)}.`);
  }
  return sentences.join(' ') + failedText;
}

/** For a 2.4 run: its accuracy against the table's runs it is compared with (when they ran). */
function comparisonSentence(r: RunOutcome, outcomes: RunOutcome[]): string | null {
  if (!r.run.compareWith || r.history.length === 0) return null;
  const others = r.run.compareWith
    .map((id) => outcomes.find((o) => o.run.id === id))
    .filter((o): o is RunOutcome => o !== undefined && o.history.length > 0);
  if (others.length === 0) return null;
  const me = summarize(r.history).finalTest;
  const list = others.map((o) => `${o.run.id} ${pct(summarize(o.history).finalTest)}`).join(', ');
  return `${r.run.id} ended at ${pct(me)} test accuracy against ${list}.`;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * Writes <out>/plots/* (8 files per 4 groups: loss and accuracy, SVG and PNG) and <out>/report.md.
 * Returns the report's path. Groups without any recorded epoch get no plots (and say so).
 */
export async function writeReport(outDir: string, outcomes: RunOutcome[], settings: GridSettings): Promise<string> {
  const plotsDir = join(outDir, 'plots');
  mkdirSync(plotsDir, { recursive: true });
  const dataName = settings.dataDescription?.split(' ')[0] ?? settings.data;
  const md: string[] = [];
  md.push(`# handgrad experiments: the assignment's grid on ${dataName}`, '');
  md.push(`- data: ${settings.dataDescription ?? settings.data}`);
  md.push(`- every run: MLP with ReLU, softmax cross-entropy, SGD (G ← αG + g, W ← W − lr·G), batch ${settings.batchSize}, ` +
    `${settings.epochs} epoch${settings.epochs === 1 ? '' : 's'}, seed ${settings.seed}, dropout mode **${settings.dropoutMode}**` +
    `${settings.dropoutMode === 'cmu' ? ' (the assignment\'s: drop with probability p in training, scale by 1 − p at inference)' : ' (PyTorch\'s: scale by 1/(1 − p) in training)'}, backend ${settings.backend}`);
  md.push(`- written ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}; each run's directory (config.json, history.jsonl, history.csv, checkpoint) is \`<id>/\`, its log \`logs/<id>.log\``);
  const failed = outcomes.filter((r) => r.status === 'failed');
  if (failed.length > 0) md.push(`- **${failed.length} of ${outcomes.length} runs failed or are incomplete: ${failed.map((f) => f.run.id).join(', ')}** (see the table)`);
  md.push('');

  md.push('## All runs', '');
  md.push('| id | hidden | momentum | dropout | lr | final test acc. | best test acc. (epoch) | final train loss | time | status |');
  md.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of outcomes) {
    const s = summarize(r.history);
    const has = r.history.length > 0;
    const status = r.status === 'ok' ? `ok (${s.epochs} epoch${s.epochs === 1 ? '' : 's'})` : `**FAILED** after ${r.history.length} epochs: ${cell(r.error ?? 'unknown error')}`;
    md.push(`| ${r.run.id} | [${r.run.hidden.join(', ')}] | ${r.run.momentum} | ${r.run.dropout} | ${r.run.lr} | ` +
      `${has ? pct(s.finalTest) : '—'} | ${has ? `${pct(s.bestTest)} (${s.bestEpoch})` : '—'} | ${has ? s.finalTrainLoss.toFixed(4) : '—'} | ` +
      `${has ? formatSeconds(s.seconds) : '—'} | ${status} |`);
  }
  md.push('');

  for (const group of GRID_GROUPS) {
    const inGroup = outcomes.filter((r) => r.run.group === group);
    if (inGroup.length === 0) continue;
    md.push(`## ${group}: ${GROUP_TITLES[group]}`, '');
    if (group === '2.4') {
      for (const r of inGroup) md.push(`- **${r.run.id}** ${r.run.label}: ${r.run.why ?? ''}`);
      md.push('');
    }
    md.push(groupSentences(group, outcomes));
    if (group === '2.4') {
      const cmp = inGroup.map((r) => comparisonSentence(r, outcomes)).filter((x): x is string => x !== null);
      if (cmp.length) md.push('', cmp.join(' '));
    }
    md.push('');
    if (!inGroup.some((r) => r.history.length > 0)) {
      md.push('(no plots: no run of this group recorded an epoch)', '');
      continue;
    }
    const plots = await groupPlots(group, outcomes, dataName);
    for (const kind of ['loss', 'accuracy'] as const) {
      const base = join(plotsDir, `${group}-${kind}`);
      writeFileSync(`${base}.svg`, plots[kind]);
      writeFileSync(`${base}.png`, svgToPng(plots[kind]));
      const rel = relative(outDir, base).split('\\').join('/');
      md.push(`![${group} ${kind}](${rel}.png)`, '', `[${group} ${kind} as SVG](${rel}.svg)`, '');
    }
  }
  const reportPath = join(outDir, 'report.md');
  writeFileSync(reportPath, md.join('\n'));
  return reportPath;
}
