// Shared bits of the data tests: fixture paths, temporary folders, catching DataErrors.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';
import { DataError } from '../../src/data/errors.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

export const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as {
  x_train_u8: number[];
  y_train: number[];
  x_test_u8: number[];
  y_test: number[];
};

/** A temporary folder removed after the test file. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `handgrad-${prefix}-`));
  afterAll(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Runs `fn`, expects a DataError, returns it. */
export function dataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError, but nothing was thrown');
}

export async function dataErrorAsync(fn: () => Promise<unknown>): Promise<DataError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError, but nothing was thrown');
}

/** Expected pixels: bytes / 255 as float32. */
export function scaled(bytes: number[]): Float32Array {
  return Float32Array.from(bytes, (v) => v / 255);
}
