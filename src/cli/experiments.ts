// `handgrad experiments`: the assignment's experiment grid (train/grid.ts) on one data set, as
// parallel, resumable `handgrad train` processes (train/grid-runner-node.ts), then report.md with a
// table of every run and, per group, a loss chart and an accuracy chart (report/grid-report.ts).
//
// <out>/
//   grid.json                 the grid's shared settings; a later call must agree with them
//   <id>/, logs/<id>.log      each run's directory and log
//   plots/<group>-loss.svg|png, plots/<group>-accuracy.svg|png
//   report.md

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { BackendChoice } from '../index.js';
import {
  gridReport, outcomeFromDisk, outcomeLine, runGrid, selectRuns, writeCharts, writeFileAtomic, formatSeconds, isComplete, historyOf,
  GRID_DEFAULTS, type GridRun, type GridRunOptions, type GridSettings, type RunOutcome,
} from '../node.js';
import { defaultThreads, loadData, requireDirectory } from './common.js';
import { asFlag, UsageError, writingInto } from './errors.js';
import {
  addBackendOptions, addDataOptions, parseChoice, parseNumber, readBackendFlags, typedOnCommandLine, SEED_RULE, type BackendFlags, type DataFlags,
} from './flags.js';
import { prepareOutputFolder } from './output.js';

export interface ExperimentsFlags extends DataFlags, BackendFlags {
  data: string;
  epochs: string;
  batchSize: string;
  seed: string;
  jobs: string;
  only?: string;
  out: string;
  dropoutMode: string;
  reportOnly?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('experiments')
    .description("run the assignment's experiment grid (2.1a–2.4c) as parallel, resumable `train` runs; writes report.md with tables and plots");
  addDataOptions(cmd, 'mnist')
    .option('--epochs <n>', 'epochs per run (the assignment: 200)', String(GRID_DEFAULTS.epochs))
    .option('--batch-size <n>', 'minibatch size of every run', String(GRID_DEFAULTS.batchSize))
    .option('--seed <n>', 'seed of every run (same initial weights for the same architecture)', '0')
    .option('--jobs <n>', 'runs in parallel (separate processes)', '2')
    .option('--only <ids>', 'comma-separated run ids or groups, e.g. 2.1a,2.3')
    .option('--out <dir>', 'output directory', join('runs', 'experiments'))
    .option('--dropout-mode <mode>', 'cmu (the assignment: scale by 1-p at inference) or inverted (PyTorch)', GRID_DEFAULTS.dropoutMode)
    .option('--report-only', 'start no runs: write report.md from the run directories already in --out');
  addBackendOptions(cmd, ' of each run', "the machine's cores, at most 4, shared among the --jobs")
    .action(async (f: ExperimentsFlags, c: Command) => {
      const failed = await experimentsCommand(f, typedOnCommandLine(c, 'epochs'));
      if (failed > 0) process.exitCode = 1;
    });
}

/** The grid's settings in <out>/grid.json, or null when there is none. */
function readSettings(file: string): GridSettings | null {
  if (!existsSync(file)) return null;
  const s = asFlag('--out', () => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as unknown;
    } catch (e) {
      throw new UsageError(`--out: ${file} is not valid JSON (${(e as Error).message}); remove it or choose another --out`);
    }
  });
  const ok = typeof s === 'object' && s !== null && ['data', 'dropoutMode', 'backend'].every((k) => typeof (s as Record<string, unknown>)[k] === 'string') &&
    ['batchSize', 'seed', 'epochs'].every((k) => typeof (s as Record<string, unknown>)[k] === 'number');
  if (!ok) throw new UsageError(`--out: ${file} is not a grid's settings (data, batchSize, seed, dropoutMode, epochs, backend); remove it or choose another --out`);
  return s as GridSettings;
}

/** What the runs of one grid share. */
export interface ExperimentsOptions {
  data: string;
  dataDir?: string;
  epochs: number;
  batchSize: number;
  seed: number;
  dropoutMode: 'cmu' | 'inverted';
  jobs: number;
  runs: GridRun[];
  out: string;
  backend: BackendChoice;
  /** Threads of each run. */
  threads: number;
}

/** The grid's options from the flags; every bad value is a UsageError naming the flag. */
export function optionsFromFlags(f: ExperimentsFlags): ExperimentsOptions {
  const runs = asFlag('--only', () => selectRuns(f.only));
  if (f.dataDir !== undefined) requireDirectory('--data-dir', f.dataDir);
  const { backend, threads } = readBackendFlags(f);
  const jobs = parseNumber('--jobs', f.jobs, { min: 1, max: 64, integer: true });
  return {
    data: f.data,
    ...(f.dataDir !== undefined ? { dataDir: f.dataDir } : {}),
    epochs: parseNumber('--epochs', f.epochs, { min: 1, integer: true }),
    batchSize: parseNumber('--batch-size', f.batchSize, { min: 1, max: 1_000_000, integer: true }),
    seed: parseNumber('--seed', f.seed, SEED_RULE),
    dropoutMode: parseChoice('--dropout-mode', f.dropoutMode, ['cmu', 'inverted'] as const),
    jobs, runs, out: f.out, backend,
    // the --jobs processes share the cores: each gets its part (one thread each with 2 jobs on 2 cores)
    threads: threads ?? Math.max(1, Math.floor(defaultThreads() / jobs)),
  };
}

/** The `handgrad train` arguments of one run: into <out>/<id>, resuming its checkpoint. */
export function trainArgs(run: GridRun, o: ExperimentsOptions): string[] {
  return [
    'train', '--model', 'mlp', '--hidden', run.hidden.join(','), '--activation', GRID_DEFAULTS.activation,
    '--lr', String(run.lr), '--momentum', String(run.momentum), '--dropout', String(run.dropout), '--dropout-mode', o.dropoutMode,
    '--batch-size', String(o.batchSize), '--epochs', String(o.epochs), '--seed', String(o.seed),
    '--data', o.data, ...(o.dataDir !== undefined ? ['--data-dir', o.dataDir] : []),
    '--out', join(o.out, run.id), '--resume', '--quiet', '--backend', o.backend, '--threads', String(o.threads),
  ];
}

/** Runs (or, with --report-only, only reports) the grid; returns the number of failed runs. */
async function experimentsCommand(f: ExperimentsFlags, epochsTyped: boolean): Promise<number> {
  const o = optionsFromFlags(f);
  const settingsFile = join(o.out, 'grid.json');
  const previous = readSettings(settingsFile);
  let settings: GridSettings = { data: o.data, batchSize: o.batchSize, seed: o.seed, dropoutMode: o.dropoutMode, epochs: o.epochs, backend: o.backend };
  if (f.reportOnly) {
    if (!previous) throw new UsageError(`--report-only: ${o.out} holds no grid (no grid.json); run the grid first`);
    settings = { ...previous, epochs: epochsTyped ? o.epochs : previous.epochs };
    const outcomes = o.runs.map((run) => outcomeFromDisk(run, o.out, settings.epochs));
    const path = await writeReport(o.out, outcomes, settings).catch((e: unknown) => Promise.reject(writingInto(o.out, e)));
    console.log(`report written to ${path}`);
    return outcomes.filter((r) => r.status === 'failed').length;
  }
  if (previous) {
    // runs already in --out were trained with these; mixing settings would make the report lie
    const flags = { data: '--data', batchSize: '--batch-size', seed: '--seed', dropoutMode: '--dropout-mode' } as const;
    for (const key of ['data', 'batchSize', 'seed', 'dropoutMode'] as const) {
      if (String(previous[key]) !== String(settings[key])) {
        throw new UsageError(`${flags[key]} ${settings[key]} differs from ${previous[key]} of the grid already in ${o.out} (${settingsFile}); use those settings or another --out`);
      }
    }
  }
  let order: GridRunOptions['order'];
  const folder = prepareOutputFolder('--out', o.out, { isOwn: (d) => existsSync(join(d, 'grid.json')), what: 'experiment grid (grid.json)' });
  try {
    // The data is loaded once here, so a missing file or unknown name is one line instead of
    // fourteen failed children; it also describes the data set in the report and gives the
    // runs' sizes for their start order. When every run is complete, grid.json's description is enough.
    const allDone = o.runs.every((run) => isComplete(historyOf(run, o.out, o.epochs), o.epochs));
    if (allDone && previous?.dataDescription) {
      settings.dataDescription = previous.dataDescription;
    } else {
      const data = await loadData(o.data, o.dataDir);
      settings.dataDescription = `${data.name} (${data.train.n} train / ${data.test.n} test, ${data.classes.length} classes, samples ${data.sampleShape.join('×')})`;
      order = { features: data.train.x.length / Math.max(1, data.train.n), classes: data.classes.length };
    }
    writeFileAtomic(settingsFile, JSON.stringify(settings, null, 2) + '\n');
  } catch (e) {
    if (folder.fresh) folder.discard();
    throw writingInto(o.out, e);
  }

  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  console.log(`handgrad experiments: ${plural(o.runs.length, 'run')} on ${settings.dataDescription}, ${plural(o.epochs, 'epoch')}, batch ${o.batchSize}, ` +
    `dropout mode ${o.dropoutMode}, ${o.jobs} in parallel → ${o.out}`);
  const grid = { runs: o.runs, out: o.out, epochs: o.epochs, jobs: o.jobs, args: (run: GridRun) => trainArgs(run, o), ...(order ? { order } : {}) };
  const outcomes = await runGrid(grid, gridOutput());
  const reportPath = await writeReport(o.out, outcomes, settings).catch((e: unknown) => Promise.reject(writingInto(o.out, e)));
  const failed = outcomes.filter((r) => r.status === 'failed');
  console.log(`${outcomes.length - failed.length} of ${outcomes.length} runs complete${failed.length ? `, ${failed.length} failed (${failed.map((r) => r.run.id).join(', ')})` : ''}; report: ${reportPath}`);
  return failed.length;
}

/** One line per finished run and, on a terminal, a live status line of the running ones. */
function gridOutput(): Parameters<typeof runGrid>[1] {
  const tty = process.stdout.isTTY === true;
  const clear = (): void => {
    if (tty) process.stdout.write('\r\x1b[K');
  };
  return {
    onFinish: (r: RunOutcome, done, total, wall) => {
      clear();
      console.log(outcomeLine(r, done, total, wall));
    },
    ...(tty ? {
      onProgress: (running, done, total, elapsed) => {
        const line = `[${done}/${total} finished, ${formatSeconds(elapsed)}] running ${running.map((r) => `${r.id} epoch ${r.epoch}/${r.epochs}`).join(', ')}`;
        process.stdout.write(`\r\x1b[K${line.slice(0, (process.stdout.columns ?? 100) - 1)}`);
      },
    } : {}),
  };
}

/** report.md and its charts in `out`; returns the report's path. */
async function writeReport(out: string, outcomes: RunOutcome[], settings: GridSettings): Promise<string> {
  const { markdown, charts } = gridReport(outcomes, settings);
  await writeCharts(out, charts);
  const path = join(out, 'report.md');
  writeFileAtomic(path, markdown);
  return path;
}
