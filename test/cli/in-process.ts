// Runs the CLI in-process through run() from the source (the entry bin/handgrad.js calls), and
// collects what it printed and its exit code, so a test reads a command's output as a user sees it.

import { afterEach, vi } from 'vitest';
import { run } from '../../src/cli/main.js';

/** What a command printed (line by line) and its exit code. */
export interface Result {
  code: number;
  out: string[];
  err: string[];
}

/** Runs `handgrad …args` in-process and collects what it printed and its exit code. */
export async function handgrad(...args: string[]): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s).trimEnd()), true));
  process.exitCode = 0;
  try {
    await run(['node', 'handgrad', ...args]);
  } finally {
    log.mockRestore();
    error.mockRestore();
    stderr.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out, err };
}

// A command that failed leaves process.exitCode set; the next test starts from 0.
afterEach(() => {
  process.exitCode = 0;
});
