// Flags: the parsers every command uses, and the flags several commands share, declared once.
// Every bad value is a UsageError whose one line names the flag, what was expected and what was
// given; numbers are checked against the same rules (numbers.ts) the library checks its options
// with.

import type { Command } from 'commander';
import { AUTO_ORDER, BACKEND_KINDS, data, type BackendChoice, type BackendKind } from '../index.js';
import { describeRule, meetsRule, type NumberRule } from '../node.js';
import { UsageError } from './errors.js';

/** Parses a numeric flag; `--lr -1`, `--epochs 2.5`, `--dropout 1` each fail with one line. */
export function parseNumber(flag: string, raw: string | number, rule: NumberRule = {}): number {
  const text = String(raw).trim();
  const v = text === '' ? NaN : Number(text);
  if (!meetsRule(v, rule)) throw new UsageError(`${flag} must be ${describeRule(rule)}, got '${raw}'`);
  return v;
}

/** Parses a comma-separated list of positive integers, each at most `max` (`--hidden 60,60`). */
export function parseIntList(flag: string, raw: string, max: number): number[] {
  const parts = String(raw).split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > max)) {
    throw new UsageError(`${flag} must be a comma-separated list of positive integers (each ≤ ${max}) like 60,60, got '${raw}'`);
  }
  return parts.map(Number);
}

export function parseChoice<T extends string>(flag: string, raw: string, choices: readonly T[]): T {
  const hit = choices.find((c) => c === raw);
  if (hit === undefined) throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got '${raw}'`);
  return hit;
}

/** True when the user typed the option on the command line (not a default). */
export function typedOnCommandLine(cmd: Command, key: string): boolean {
  return cmd.getOptionValueSource(key) === 'cli';
}

/** '--batch-size' for the option key 'batchSize'. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
}

/** Seeds are 32-bit unsigned integers (random.ts seeds its generator from one). */
export const SEED_RULE: NumberRule = { min: 0, max: 2 ** 32 - 1, integer: true };

/** Declares --model as the commands that read a saved model take it. */
export function addModelOption(cmd: Command): Command {
  return cmd.requiredOption('--model <dir|file>', 'a run directory (runs/<name>) or a model bundle (.safetensors)');
}

/** --data and --data-dir, as every command that reads a data set takes them. */
export interface DataFlags {
  data?: string;
  dataDir?: string;
}

/** The help of --data. */
export const DATA_HELP = `data set: a registered name (${data.datasetNames().join(', ')}) or a path`;

/** Declares --data (with a default, or "the run's own" when there is none) and --data-dir. */
export function addDataOptions(cmd: Command, dflt?: string): Command {
  return cmd
    .option('--data <name|path>', dflt === undefined ? `${DATA_HELP} (default: the one the run records)` : DATA_HELP, dflt)
    .option('--data-dir <dir>', 'where to look for data files');
}

/** The kernel backends a command accepts: 'auto' and every kind of the backend registry. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...(Object.keys(BACKEND_KINDS) as BackendKind[])];

/** --backend and --threads, as every command that computes takes them. */
export interface BackendFlags {
  backend: string;
  threads?: string;
}

/** Declares --backend and --threads; `whose` says whose backend it is (' of every run'), `threadsDefault` the default of --threads. */
export function addBackendOptions(cmd: Command, whose = '', threadsDefault = "the machine's cores, at most 4"): Command {
  return cmd
    .option('--backend <name>', `kernel backend${whose}: auto (webgpu on a hardware GPU that passes a self-test, else the first the engine runs of ${AUTO_ORDER.join(', ')}), or one of ${Object.keys(BACKEND_KINDS).join(', ')}`, 'auto')
    .option('--threads <n>', `threads of the backend${whose} (default: ${threadsDefault})`);
}

/** The validated --backend and --threads. */
export function readBackendFlags(f: BackendFlags): { backend: BackendChoice; threads?: number } {
  return {
    backend: parseChoice('--backend', f.backend, BACKEND_CHOICES),
    ...(f.threads !== undefined ? { threads: parseNumber('--threads', f.threads, { min: 1, max: 1024, integer: true }) } : {}),
  };
}
