// Atomic file writes (Node only): the bytes go to a temporary file in the same directory, are
// fsync'ed, and the temporary file is renamed over the target. rename() within one directory is
// atomic on POSIX file systems, so a reader (or a crash) sees either the old file or the new one,
// never half of either. The directory is fsync'ed too, so the rename itself survives a crash.
// The bytes are written at explicit offsets (pwrite), one call per chunk.
//
// Temporary files are named .<target>.<pid>.<n>.tmp; one left by a killed process is removed by
// removeStaleTemporaries, called by whoever holds the directory's lock.

import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let counter = 0;
const TEMPORARY = /^\..+\.\d+\.\d+\.tmp$/;

export interface AtomicWriteOptions {
  /**
   * Keep the file being replaced under this name (in the same directory): once the new bytes
   * are on disk, the target is renamed to `previous`, then the temporary file to the target.
   * Between the two renames only `previous` exists; a reader that finds no target falls back
   * to it.
   */
  previous?: string;
}

/**
 * Writes `data` to `path` atomically. `data` may be bytes, a string (UTF-8) or an iterable of
 * byte chunks produced while writing (if the producer throws half-way, nothing is replaced).
 * On any failure the previous file (if any) is left as it was and the temporary file is removed.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string | Iterable<Uint8Array>, options: AtomicWriteOptions = {}): void {
  const chunks: Iterable<Uint8Array> = typeof data === 'string' ? [new TextEncoder().encode(data)] : data instanceof Uint8Array ? [data] : data;
  const dir = dirname(path);
  const tmp = temporaryName(path);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w', 0o644);
    let position = 0;
    for (const bytes of chunks) {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, position + written);
      position += bytes.length;
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    if (options.previous !== undefined) {
      try {
        renameSync(path, options.previous);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) {
      try { closeSync(fd); } catch { /* already failing */ }
    }
    rmSync(tmp, { force: true });
    throw e;
  }
  syncDirectory(dir);
}

/** True for the name of a temporary file of writeFileAtomic (or of the lock): .<name>.<pid>.<n>.tmp. */
export function isTemporaryName(name: string): boolean {
  return TEMPORARY.test(name);
}

/** A fresh temporary name beside `path`: .<name>.<pid>.<n>.tmp. */
export function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
}

/**
 * Removes the temporary files that interrupted writes left in `dir` (names .<target>.<pid>.<n>.tmp).
 * Only safe while no other process writes there (the caller holds the directory's lock).
 * Returns the names removed.
 */
export function removeStaleTemporaries(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!isTemporaryName(name)) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

function syncDirectory(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
