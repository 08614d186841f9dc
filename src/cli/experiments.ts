// `handgrad experiments`: the assignment's experiment grid (train/grid.ts) on one data set, as
// parallel, resumable `handgrad train` processes (train/grid-runner-node.ts), then report.md with a
// table of every run and, per group, a loss chart and an accuracy chart (report/grid-report.ts).
// With --shard I/N it runs shard I's share of the runs (train/grid-shard.ts) and writes no report:
// `handgrad experiments report DIR…` (experiments-report.ts) merges the shards' folders.
//
// <out>/
//   grid.json                 the grid's shared settings (and its shard count); a later call must agree with them
//   <id>/, logs/<id>.log      each run's directory and log
//   plots/<group>-loss.svg|png, plots/<group>-accuracy.svg|png
//   report.md

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { BackendChoice } from '../index.js';
import {
  outcomeFromDisk, outcomeLine, runGrid, selectRuns, writeFileAtomic, formatSeconds, isComplete, historyOf, parseShard, shardRuns, readGridSettings, inTableOrder,
  GRID, GRID_DEFAULTS, GRID_SETTINGS_FILE, type GridRun, type GridRunOptions, type GridSettings, type RunOutcome, type Shard,
} from '../node.js';
import { defaultThreads, loadData, requireDirectory } from './common.js';
import { asFlag, UsageError, writingInto } from './errors.js';
import { registerReport, writeReport } from './experiments-report.js';
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
  shard?: string;
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
    .option('--report-only', 'start no runs: write report.md from the run directories already in --out')
    .option('--shard <I/N>', 'run only shard I of N (0 ≤ I < N; the same flags give every machine the same shares), e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT; no report: merge with `experiments report`');
  addBackendOptions(cmd, ' of each run', "the machine's cores, at most 4, shared among the --jobs")
    .action(async (f: ExperimentsFlags, c: Command) => {
      const failed = await experimentsCommand(f, typedOnCommandLine(c, 'epochs'));
      if (failed > 0) process.exitCode = 1;
    });
  // `experiments report DIR…`: the options after `report` are its own
  registerReport(cmd.enablePositionalOptions());
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
  /** The shard of the grid this call runs; the whole grid when absent. */
  shard?: Shard;
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
    ...(f.shard !== undefined ? { shard: asFlag('--shard', () => parseShard(f.shard!)) } : {}),
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

/** Refuses a call whose settings disagree with the grid already in --out: mixing them would make the report lie. */
function checkAgrees(previous: GridSettings, settings: GridSettings, o: ExperimentsOptions, file: string): void {
  const flags = { data: '--data', batchSize: '--batch-size', seed: '--seed', dropoutMode: '--dropout-mode' } as const;
  for (const key of ['data', 'batchSize', 'seed', 'dropoutMode'] as const) {
    if (String(previous[key]) !== String(settings[key])) {
      throw new UsageError(`${flags[key]} ${settings[key]} differs from ${previous[key]} of the grid already in ${o.out} (${file}); use those settings or another --out`);
    }
  }
  const shard = o.shard ? `--shard ${o.shard.index}/${o.shard.count}` : '';
  if (previous.shards !== undefined && !o.shard) {
    throw new UsageError(`--out ${o.out}: holds a grid split into ${previous.shards} shards (${file}); run one with --shard I/${previous.shards}, or merge them with \`handgrad experiments report\``);
  }
  if (o.shard && previous.shards === undefined) throw new UsageError(`${shard}: ${o.out} holds a grid run whole (${file}); use another --out`);
  if (o.shard && previous.shards !== o.shard.count) {
    throw new UsageError(`${shard}: the grid in ${o.out} is split into ${previous.shards} shards (${file}); use --shard I/${previous.shards} or another --out`);
  }
  const mine = o.runs.map((r) => r.id).join(',');
  if (o.shard && previous.runs && previous.runs.join(',') !== mine) {
    throw new UsageError(`--only ${mine}: the shards of the grid in ${o.out} split the runs ${previous.runs.join(',')} (${file}); give every shard the same --only, or use another --out`);
  }
}

/** Runs (or, with --report-only, only reports) the grid or its shard; returns the number of failed runs. */
async function experimentsCommand(f: ExperimentsFlags, epochsTyped: boolean): Promise<number> {
  const o = optionsFromFlags(f);
  const settingsFile = join(o.out, GRID_SETTINGS_FILE);
  const previous = asFlag('--out', () => {
    try {
      return readGridSettings(o.out);
    } catch (e) {
      throw new UsageError(`--out: ${(e as Error).message}; remove it or choose another --out`);
    }
  });
  let settings: GridSettings = { data: o.data, batchSize: o.batchSize, seed: o.seed, dropoutMode: o.dropoutMode, epochs: o.epochs, backend: o.backend };
  if (f.reportOnly) {
    if (!previous) throw new UsageError(`--report-only: ${o.out} holds no grid (no grid.json); run the grid first`);
    if (o.shard) throw new UsageError('--report-only: a shard writes no report; merge the shards\' folders with `handgrad experiments report DIR…`');
    settings = { ...previous, epochs: epochsTyped ? o.epochs : previous.epochs };
    const outcomes = o.runs.map((run) => outcomeFromDisk(run, o.out, settings.epochs));
    const path = await writeReport(o.out, outcomes, settings).catch((e: unknown) => Promise.reject(writingInto(o.out, e)));
    console.log(`report written to ${path}`);
    return outcomes.filter((r) => r.status === 'failed').length;
  }
  if (previous) checkAgrees(previous, settings, o, settingsFile);
  let order: GridRunOptions['order'];
  let runs: GridRun[];
  // a shard may find the folder as another shard starting beside it left it: grid.json being written
  const starting = (d: string): boolean => o.shard !== undefined && readdirSync(d).every((n) => n.startsWith(`.${GRID_SETTINGS_FILE}.`));
  const isOwn = (d: string): boolean => existsSync(join(d, GRID_SETTINGS_FILE)) || starting(d);
  const folder = prepareOutputFolder('--out', o.out, { isOwn, what: 'experiment grid (grid.json)' });
  try {
    // The data is loaded once here, so a missing file or unknown name is one line instead of
    // fourteen failed children; it also describes the data set in the report and gives the
    // runs' sizes for their start order and the shards' shares. When every run is complete,
    // grid.json's description and sizes are enough.
    const mine = (features: number, classes: number): GridRun[] => (o.shard ? shardRuns(o.runs, o.shard, features, classes) : o.runs);
    const known = previous?.features !== undefined && previous.classes !== undefined && previous.dataDescription !== undefined;
    if (known && (o.shard ? mine(previous.features!, previous.classes!) : o.runs).every((run) => isComplete(historyOf(run, o.out, o.epochs), o.epochs))) {
      settings = { ...settings, dataDescription: previous.dataDescription!, features: previous.features!, classes: previous.classes! };
    } else {
      const data = await loadData(o.data, o.dataDir);
      settings.dataDescription = `${data.name} (${data.train.n} train / ${data.test.n} test, ${data.classes.length} classes, samples ${data.sampleShape.join('×')})`;
      order = { features: data.train.x.length / Math.max(1, data.train.n), classes: data.classes.length };
      settings = { ...settings, ...order };
    }
    runs = mine(settings.features!, settings.classes!);
    // a grid run whole lists every run any call selected; a sharded one the selection its shards split
    const before = previous?.runs ?? GRID.filter((r) => existsSync(join(o.out, r.id))).map((r) => r.id);
    settings.runs = inTableOrder([...(o.shard ? [] : before), ...o.runs.map((r) => r.id)]);
    if (o.shard) settings.shards = o.shard.count;
    writeFileAtomic(settingsFile, JSON.stringify(settings, null, 2) + '\n');
  } catch (e) {
    // the shards of a grid may share a fresh folder: what is in it may be theirs
    if (folder.fresh && !o.shard) folder.discard();
    throw writingInto(o.out, e);
  }

  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  const part = o.shard ? `shard ${o.shard.index}/${o.shard.count}: ${plural(runs.length, 'run')} of ${o.runs.length}` : plural(runs.length, 'run');
  console.log(`handgrad experiments: ${part} on ${settings.dataDescription}, ${plural(o.epochs, 'epoch')}, batch ${o.batchSize}, ` +
    `dropout mode ${o.dropoutMode}, ${o.jobs} in parallel → ${o.out}`);
  const grid = { runs, out: o.out, epochs: o.epochs, jobs: o.jobs, args: (run: GridRun) => trainArgs(run, o), ...(order ? { order } : {}) };
  const outcomes = await runGrid(grid, gridOutput());
  const failed = outcomes.filter((r) => r.status === 'failed');
  const summary = `${outcomes.length - failed.length} of ${outcomes.length} runs complete${failed.length ? `, ${failed.length} failed (${failed.map((r) => r.run.id).join(', ')})` : ''}`;
  if (o.shard) {
    console.log(`shard ${o.shard.index}/${o.shard.count}: ${summary}; when every shard is done: handgrad experiments report ${o.out}${o.shard.count > 1 ? ' [the other shards\' folders]' : ''}`);
    return failed.length;
  }
  const reportPath = await writeReport(o.out, outcomes, settings).catch((e: unknown) => Promise.reject(writingInto(o.out, e)));
  console.log(`${summary}; report: ${reportPath}`);
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
