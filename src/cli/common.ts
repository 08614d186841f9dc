// Flag parsing and validation shared by the commands. Every bad value becomes a UsageError whose
// one line names the flag, what was expected and what was given (printed by main.ts, exit 2).

import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import type { Command } from 'commander';
import type { Dataset } from '../data/types.js';
import { initWasm, initWebGPU, setBackend, shutdownWasm } from '../backend.js';
import { loadDataset } from '../data/node.js';
import { HandgradError } from '../tensor.js';
import { UsageError } from './main.js';

export interface NumberRule {
  min?: number;
  max?: number;
  /** min itself is not allowed */
  minExclusive?: boolean;
  maxExclusive?: boolean;
  integer?: boolean;
}

/** Parses a numeric flag; `--lr -1`, `--epochs 2.5`, `--dropout 1` each fail with one line. */
export function parseNumber(flag: string, raw: string | number, rule: NumberRule = {}): number {
  const text = String(raw).trim();
  const v = text === '' ? NaN : Number(text);
  const { min, max, minExclusive, maxExclusive, integer } = rule;
  const range = (): string => {
    const lo = min === undefined ? '' : `${minExclusive ? '>' : '≥'} ${min}`;
    const hi = max === undefined ? '' : `${maxExclusive ? '<' : '≤'} ${max}`;
    return [lo, hi].filter(Boolean).join(' and ');
  };
  const expected = `${integer ? 'an integer' : 'a number'}${min !== undefined || max !== undefined ? ` ${range()}` : ''}`;
  if (!Number.isFinite(v)) throw new UsageError(`${flag} must be ${expected}, got '${raw}'`);
  if (integer && !Number.isInteger(v)) throw new UsageError(`${flag} must be ${expected}, got '${raw}'`);
  if (min !== undefined && (minExclusive ? v <= min : v < min)) throw new UsageError(`${flag} must be ${expected}, got '${raw}'`);
  if (max !== undefined && (maxExclusive ? v >= max : v > max)) throw new UsageError(`${flag} must be ${expected}, got '${raw}'`);
  return v;
}

/** Parses a comma-separated list of positive integers (`--hidden 60,60`). */
export function parseIntList(flag: string, raw: string): number[] {
  const parts = String(raw).split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
    throw new UsageError(`${flag} must be a comma-separated list of positive integers like 60,60, got '${raw}'`);
  }
  return parts.map(Number);
}

export function parseChoice<T extends string>(flag: string, raw: string, choices: readonly T[]): T {
  if (!choices.includes(raw as T)) throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got '${raw}'`);
  return raw as T;
}

/** The kernel backends a command accepts, and the help text of its --backend flag (one place for all commands). */
export const BACKEND_CHOICES = ['auto', 'ref', 'wasm', 'webgpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export const BACKEND_HELP =
  'kernel backend: auto (webgpu on a hardware GPU that passes a self-test, else wasm when the engine has WebAssembly SIMD, else ref), ref, wasm or webgpu';

/** Validates a --backend value. */
export function parseBackend(raw: string): BackendChoice {
  return parseChoice('--backend', raw, BACKEND_CHOICES);
}

/** True when the user typed the flag (not a default). */
export function given(cmd: Command, key: string): boolean {
  return cmd.getOptionValueSource(key) === 'cli';
}

export function requireExisting(flag: string, path: string, what = 'file or directory'): string {
  if (!existsSync(path)) throw new UsageError(`${flag}: no such ${what}: ${path}`);
  return path;
}

/** Threads when --threads is not given: the machine's cores, at most 4. */
export function defaultThreads(): number {
  const cores = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
  return Math.max(1, Math.min(4, cores));
}

/**
 * Chooses the kernel backend before any tensor is allocated. 'wasm' is initialised first (with
 * `threads` threads, default defaultThreads()); if the engine lacks WebAssembly SIMD that is a usage error.
 */
export async function chooseBackend(name: string, threads?: number): Promise<void> {
  if (name === 'webgpu' || name === 'auto') {
    try {
      webgpuStarted = await initWebGPU({ requireHardware: name === 'auto', selfTest: true });
      return;
    } catch (e) {
      if (name === 'webgpu') throw new UsageError(`--backend webgpu: ${(e as Error).message}`);
    }
  }
  if (name === 'wasm' || name === 'auto') {
    const b = await initWasm({ threads: threads ?? defaultThreads() });
    wasmStarted = b.name === 'wasm';
    // 'auto' keeps the reference backend when the engine has no WebAssembly SIMD.
    if (b.name !== 'wasm' && name === 'wasm') throw new UsageError('--backend wasm: this JavaScript engine has no WebAssembly SIMD; use --backend ref');
    return;
  }
  const choice = parseBackend(name);
  try {
    setBackend(choice);
  } catch (e) {
    throw new UsageError(`--backend: ${(e as Error).message}`);
  }
}

let wasmStarted = false;
let webgpuStarted: { shutdown(): void } | null = null;

/** Ends the wasm backend's worker threads (and the webgpu device worker) so the process can exit. */
export async function releaseBackend(): Promise<void> {
  webgpuStarted?.shutdown();
  webgpuStarted = null;
  if (!wasmStarted) return;
  await shutdownWasm();
}

/**
 * Loads a data set by registered name or path through the data readers (src/data/node.ts);
 * their errors (unknown name, missing or corrupt file, with the byte offset) become usage errors.
 */
export async function loadData(spec: string, dataDir?: string, quiet = false): Promise<Dataset> {
  if (dataDir !== undefined) requireExisting('--data-dir', dataDir, 'directory');
  try {
    return await loadDataset(spec, { ...(dataDir !== undefined ? { dataDir } : {}), log: (m) => { if (!quiet) console.error(m); } });
  } catch (e) {
    if (e instanceof HandgradError) throw new UsageError(`--data: ${e.message}`);
    throw e;
  }
}
