// The experiment grid as a pool of processes (Node only). Each run is a child process
// `node <package>/bin/handgrad.js <its arguments>`, which the caller gives (a `handgrad train`
// into <out>/<id> that resumes its checkpoint), `jobs` of them at a time, the runs with the most
// weights first. Because every run checkpoints each epoch and resumes, the grid is resumable for
// free: finished runs are skipped, interrupted runs continue from their last checkpoint.
//
// <out>/
//   <id>/             one `handgrad train` run directory per run (history.jsonl, …)
//   logs/<id>.log     the child's command line, stdout and stderr
//
// Children end with their parent. SIGINT and SIGTERM sent to the parent are passed on to the
// children; a parent that dies without a word (SIGKILL, a crash) closes the IPC channel every
// child is started with, and a child whose channel closes exits (endWithParent, called by the
// child's command line at start).

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HandgradError } from '../tensor.js';
import { longestFirst, type GridRun, type RunOutcome } from './grid.js';
import type { EpochRecord } from './loop.js';
import { readHistory } from './run-node.js';

/** A grid to run: its runs, its folder, and the command line of each run. */
export interface GridRunOptions {
  /** The runs to train (complete ones are skipped). */
  runs: readonly GridRun[];
  /** The grid's folder: <out>/<id> for each run, <out>/logs. It must exist. */
  out: string;
  /** Epochs every run is trained to: a run whose history reaches them is complete. */
  epochs: number;
  /** Runs at a time (separate processes). */
  jobs: number;
  /** The arguments of `handgrad` (bin/handgrad.js) that train `run` into <out>/<id>, resumably. */
  args: (run: GridRun) => string[];
  /** The data's features per sample and classes: the runs start in the order of their weights (longestFirst); without it, in table order. */
  order?: { features: number; classes: number };
}

/** What {@link runGrid} reports as runs progress and finish. */
export interface GridRunEvents {
  /** A run finished (or was already complete: skipped). */
  onFinish?: (outcome: RunOutcome, done: number, total: number, wallSeconds?: number) => void;
  /** About once a second while children run: each running run and the epoch it is in. */
  onProgress?: (running: { id: string; epoch: number; epochs: number }[], done: number, total: number, elapsedSeconds: number) => void;
}

/** The grid was stopped by a signal; its children were stopped with it and every run can be resumed. */
export class GridStoppedError extends HandgradError {
  override name = 'GridStoppedError';
  /** Stopped by `signal` (SIGINT, SIGTERM, …). */
  constructor(readonly signal: NodeJS.Signals) {
    super(`stopped by ${signal}; run the same command again to resume`);
  }
}

/** Set in a child's environment: the child ends when its IPC channel to the parent closes. */
const PARENT_WATCH = 'HANDGRAD_END_WITH_PARENT';

/**
 * In a child started by runGrid: exit as soon as the parent is gone (its IPC channel closes),
 * without the channel keeping this process alive. Elsewhere: nothing.
 */
export function endWithParent(): void {
  if (process.env[PARENT_WATCH] !== '1') return;
  delete process.env[PARENT_WATCH];
  const end: () => never = () => process.exit(129);
  // a parent that died while this process was starting took the channel with it
  if (!process.channel || !process.connected) end();
  process.on('disconnect', end);
  process.channel.unref();
}

/** The package's root (where bin/handgrad.js is), from this file in src/train or dist/src/train. */
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
  throw new HandgradError(`cannot find the handgrad package (bin/handgrad.js) above ${fileURLToPath(import.meta.url)}`);
}

/** A run's recorded epochs up to `epochs` (a run trained longer earlier is reported over the epochs asked for now). */
export function historyOf(run: GridRun, out: string, epochs: number): EpochRecord[] {
  return readHistory(join(out, run.id, 'history.jsonl')).filter((r) => r.epoch <= epochs);
}

/** True when a run's history reaches `epochs` epochs. */
export function isComplete(history: readonly EpochRecord[], epochs: number): boolean {
  const last = history[history.length - 1];
  return last !== undefined && last.epoch >= epochs;
}

function lastErrorLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('$ '));
  return lines[lines.length - 1];
}

/** A run's outcome from its directory and log alone (a report without running anything). */
export function outcomeFromDisk(run: GridRun, out: string, epochs: number): RunOutcome {
  const history = historyOf(run, out, epochs);
  if (isComplete(history, epochs)) return { run, status: 'ok', history, skipped: true };
  const log = join(out, 'logs', `${run.id}.log`);
  const error = existsSync(log) ? lastErrorLine(readFileSync(log, 'utf8')) : undefined;
  return { run, status: 'failed', history, error: `incomplete (${history.length} of ${epochs} epochs)${error ? `; last line of its log: ${error}` : ''}` };
}

/**
 * Runs the selected runs as child processes, `o.jobs` at a time; returns their outcomes in the
 * order of `o.runs`. Throws GridStoppedError after SIGINT or SIGTERM (once the children ended).
 */
export async function runGrid(o: GridRunOptions, events: GridRunEvents = {}): Promise<RunOutcome[]> {
  const bin = join(packageRoot(), 'bin', 'handgrad.js');
  const logs = join(o.out, 'logs');
  // recursive: shards of one grid sharing the folder may create it at the same moment
  mkdirSync(logs, { recursive: true });
  const outcomes = new Map<string, RunOutcome>();
  const running = new Map<string, ChildProcess>();
  const total = o.runs.length;
  let done = 0;
  const queue: GridRun[] = [];
  for (const run of o.runs) {
    const history = historyOf(run, o.out, o.epochs);
    if (isComplete(history, o.epochs)) {
      const r: RunOutcome = { run, status: 'ok', history, skipped: true };
      outcomes.set(run.id, r);
      events.onFinish?.(r, ++done, total);
    } else {
      queue.push(run);
    }
  }
  if (o.order) queue.splice(0, queue.length, ...longestFirst(queue, o.order.features, o.order.classes));

  const started = Date.now();
  const progress = events.onProgress;
  const timer = progress
    ? setInterval(() => {
      if (running.size === 0) return;
      const now = [...running.keys()].map((id) => {
        const run = o.runs.find((r) => r.id === id)!;
        return { id, epoch: Math.min(historyOf(run, o.out, o.epochs).length + 1, o.epochs), epochs: o.epochs };
      });
      progress(now, done, total, (Date.now() - started) / 1000);
    }, 1000)
    : null;

  const stopped: { by: NodeJS.Signals | null } = { by: null };
  const stop = (signal: NodeJS.Signals): void => {
    stopped.by = signal;
    queue.length = 0;
    for (const child of running.values()) child.kill(signal);
  };
  const onSigint = (): void => stop('SIGINT');
  const onSigterm = (): void => stop('SIGTERM');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);

  const runOne = (run: GridRun): Promise<RunOutcome> =>
    new Promise((resolveRun) => {
      const args = o.args(run);
      const log = join(logs, `${run.id}.log`);
      appendFileSync(log, `$ ${process.execPath} ${bin} ${args.join(' ')}\n`);
      const t0 = Date.now();
      const child = spawn(process.execPath, [bin, ...args], {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: { ...process.env, [PARENT_WATCH]: '1' },
      });
      running.set(run.id, child);
      let stderr = '';
      let stdout = '';
      child.stdout!.on('data', (b: Uint8Array) => {
        stdout += String(b);
        appendFileSync(log, b);
      });
      child.stderr!.on('data', (b: Uint8Array) => {
        stderr += String(b);
        appendFileSync(log, b);
      });
      let settled = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
        if (settled) return;
        settled = true;
        running.delete(run.id);
        const history = historyOf(run, o.out, o.epochs);
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
        events.onFinish?.(r, ++done, total, (Date.now() - t0) / 1000);
      };
      child.on('error', (e) => finish(null, null, e));
      child.on('close', (code, signal) => finish(code, signal));
    });

  const worker = async (): Promise<void> => {
    for (let run = queue.shift(); run; run = queue.shift()) outcomes.set(run.id, await runOne(run));
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.jobs, Math.max(1, queue.length)) }, worker));
  } finally {
    if (timer) clearInterval(timer);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
  if (stopped.by) throw new GridStoppedError(stopped.by);
  return o.runs.map((run) => outcomes.get(run.id) ?? outcomeFromDisk(run, o.out, o.epochs));
}
