// Output folders of the commands (--out). A command writes into a folder that is new, empty, or
// already its own (a run, a grid, a dream), never into a folder of the user's other files, and
// never into something that is not a directory. Folders are created one level at a time, so a
// path that cannot hold directories (under /proc, a read-only mount) is refused at once instead
// of being retried forever. What a failed command created is removed again.

import { accessSync, constants, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { reason, UsageError } from './errors.js';

/** An output folder made ready for a command. */
export interface OutputFolder {
  path: string;
  /** The folder held nothing before (it was absent or empty). */
  fresh: boolean;
  /** Removes what the command wrote, when the folder was fresh: the folders it created, or the files it put into an empty one. */
  discard(): void;
}

/**
 * Makes `path` ready for a command's output. It must be absent (it is created, with any missing
 * parents), an empty directory, or a directory that `isOwn` recognises as the command's own
 * earlier output. Anything else is a UsageError naming `flag`.
 */
export function prepareOutputFolder(flag: string, path: string, own: { isOwn: (dir: string) => boolean; what: string }): OutputFolder {
  const created = makeDirectories(flag, path);
  const st = statSync(path);
  if (!st.isDirectory()) throw new UsageError(`${flag} ${path}: exists and is not a directory`);
  const empty = readdirSync(path).length === 0;
  if (!empty && !own.isOwn(path)) {
    throw new UsageError(`${flag} ${path}: the folder holds other files and no ${own.what}; give a new or empty folder`);
  }
  try {
    accessSync(path, constants.W_OK);
  } catch (e) {
    throw new UsageError(`${flag} ${path}: cannot write there: ${reason(e, false)}`);
  }
  const fresh = created !== null || empty;
  return {
    path,
    fresh,
    discard: () => {
      if (created !== null) rmSync(created, { recursive: true, force: true });
      else if (empty) for (const name of readdirSync(path)) rmSync(resolve(path, name), { recursive: true, force: true });
    },
  };
}

/**
 * Creates `path` and its missing parents one level at a time (Node's recursive mkdir retries
 * forever where a parent exists but cannot hold a directory, as /proc). Returns the topmost
 * folder it created, or null when it created none (`path` existed, or another process created
 * it meanwhile). Refusals name `flag`.
 */
function makeDirectories(flag: string, path: string): string | null {
  const missing: string[] = [];
  let p = resolve(path);
  while (!existsSync(p)) {
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (missing.length === 0) return null;
  if (existsSync(p) && !statSync(p).isDirectory()) throw new UsageError(`${flag} ${path}: ${p} is not a directory`);
  let topmost: string | null = null;
  for (let i = missing.length - 1; i >= 0; i--) {
    const dir = missing[i]!;
    try {
      mkdirSync(dir);
      topmost ??= dir;
    } catch (e) {
      // another process made it at the same moment (the shards of a grid starting together): it is not ours to remove
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(dir).isDirectory()) continue;
      if (topmost !== null) rmSync(topmost, { recursive: true, force: true });
      const where = dir === resolve(path) ? '' : ` ${dir}`;
      throw new UsageError(`${flag} ${path}: cannot create the folder${where}: ${reason(e, false)}`);
    }
  }
  return topmost;
}
