// A lock on a directory (Node only), held by one process while it writes there: the file
// .handgrad.lock names its owner { pid, host, start, since, what }.
//
// Taking the lock: the owner record is written to a temporary file, which is then hard-linked to
// .handgrad.lock; link() fails when the name exists, so exactly one process gets it, and the
// lock file is never seen half-written. When the lock exists, its owner is checked:
//   - on another host: it cannot be checked, so it counts as alive;
//   - no process with its pid (kill(pid, 0) fails with ESRCH): stale;
//   - a process with its pid that started at another time (/proc/<pid>/stat field 22, the start
//     time in clock ticks since boot, on Linux): the pid was reused, stale;
//   - otherwise alive: the lock is refused with the owner's pid, host and start.
// A stale lock is taken over: it is renamed to a private name (only one of several racing
// processes can rename it), checked to be the same stale record, removed, and the link retried.

import { existsSync, linkSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HandgradError } from '../tensor.js';
import { temporaryName } from './atomic-node.js';

/** The name of the lock file inside a locked directory. */
export const LOCK_FILE = '.handgrad.lock';

/** Who holds a lock. */
export interface LockOwner {
  pid: number;
  host: string;
  /** The process's start time (Linux: clock ticks since boot), to tell a reused pid; null where unknown. */
  start: string | null;
  /** When the lock was taken (ISO time). */
  since: string;
  /** What the owner is doing, e.g. "handgrad train". */
  what: string;
}

/** The directory is locked by a live process (or by a lock file that cannot be read). */
export class DirectoryLockedError extends HandgradError {
  override name = 'DirectoryLockedError';
  constructor(readonly dir: string, readonly owner: LockOwner | null, message: string) {
    super(message);
  }
}

/** A lock on a run directory held by this process: one training run writes a directory at a time. */
export interface DirectoryLock {
  /** The locked directory. */
  readonly dir: string;
  /** Who holds it: this process's pid, host, start time and when it took the lock. */
  readonly owner: LockOwner;
  /** The stale lock this one replaced (its process was gone), or null. */
  readonly tookOverFrom: LockOwner | null;
  /** Removes the lock (and the directory, when the lock created it and it is still empty). Idempotent. */
  release(): void;
}

/** The start time of process `pid` (Linux /proc), or null where it cannot be read. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the parenthesised command name start with field 3 (state); field 22 is the start time
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** True when the lock's owner may still be running (see the file header). */
export function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (owner.start === null) return true;
  const start = processStartTime(owner.pid);
  return start === null || start === owner.start;
}

function readOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid < 1 || typeof o.host !== 'string') return null;
    return {
      pid: o.pid, host: o.host, start: typeof o.start === 'string' ? o.start : null,
      since: typeof o.since === 'string' ? o.since : '?', what: typeof o.what === 'string' ? o.what : '?',
    };
  } catch {
    return null;
  }
}

const sameOwner = (a: LockOwner | null, b: LockOwner | null): boolean =>
  a !== null && b !== null && a.pid === b.pid && a.host === b.host && a.start === b.start && a.since === b.since;

function describeOwner(o: LockOwner): string {
  return `${o.what}, pid ${o.pid}${o.host === hostname() ? '' : ` on ${o.host}`}, since ${o.since}`;
}

/**
 * Locks `dir` (created if missing) for this process, or throws DirectoryLockedError naming the
 * live owner. A lock left by a process that is gone is taken over (`tookOverFrom`).
 */
export function lockDirectory(dir: string, what: string): DirectoryLock {
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const mine: LockOwner = { pid: process.pid, host: hostname(), start: processStartTime(process.pid), since: new Date().toISOString(), what };
  let tookOverFrom: LockOwner | null = null;
  for (let attempt = 0; ; attempt++) {
    const tmp = temporaryName(path);
    writeFileSync(tmp, JSON.stringify(mine) + '\n', { mode: 0o644 });
    let code: string | undefined;
    try {
      linkSync(tmp, path);
    } catch (e) {
      code = (e as NodeJS.ErrnoException).code;
      // ENOENT: another process cleaned the temporary file away; try again with a new one
      if (code !== 'EEXIST' && code !== 'ENOENT') throw e;
    } finally {
      rmSync(tmp, { force: true });
    }
    if (code === undefined) break;
    if (attempt >= 4) throw new DirectoryLockedError(dir, null, `${dir}: could not take the lock ${path} (other processes keep taking it)`);
    if (code === 'ENOENT') continue;
    const owner = readOwner(path);
    if (owner === null) {
      if (!existsSync(path)) continue;
      throw new DirectoryLockedError(dir, null, `${dir} is locked by ${path}, which does not name its owner; remove it if no handgrad process uses ${dir}`);
    }
    if (ownerAlive(owner)) throw new DirectoryLockedError(dir, owner, `${dir} is in use by another process (${describeOwner(owner)}); wait for it to finish or stop it`);
    // Stale: move it aside under a private name, and check that what was moved is the stale record.
    const aside = temporaryName(path);
    try {
      renameSync(path, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    const moved = readOwner(aside);
    if (!sameOwner(moved, owner)) {
      // a live process took the lock between our read and the rename: give its lock back
      try { linkSync(aside, path); } catch { /* another lock is already in place */ }
    } else {
      tookOverFrom = owner;
    }
    rmSync(aside, { force: true });
  }

  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    if (sameOwner(readOwner(path), mine)) rmSync(path, { force: true });
    if (created) {
      try {
        if (readdirSync(dir).length === 0) rmdirSync(dir);
      } catch { /* the directory is gone or in use: leave it */ }
    }
  };
  process.once('exit', release);
  return { dir, owner: mine, tookOverFrom, release };
}
