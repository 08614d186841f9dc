// Output folders of the commands (--out). A command writes into a folder that is new, empty, or
// already its own (a run, a grid, a dream), never into a folder of the user's other files, and
// never into something that is not a directory. Folders are created one level at a time, so a
// path that cannot hold directories (under /proc, a read-only mount) is refused at once instead
// of being retried forever. What a failed command created is removed again: its own folder, and
// the parents it created only while they stay empty (another command may be writing beside it,
// as two runs under a fresh runs/).

import { accessSync, constants, existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
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
  const fresh = created.length > 0 || empty;
  return {
    path,
    fresh,
    discard: () => {
      if (created.length > 0) {
        rmSync(created[0]!, { recursive: true, force: true });
        removeEmptyFolders(created.slice(1));
      } else if (empty) for (const name of readdirSync(path)) rmSync(resolve(path, name), { recursive: true, force: true });
    },
  };
}

/** Removes each folder of `folders` (innermost first) while it is empty; stops at the first that is not. */
function removeEmptyFolders(folders: readonly string[]): void {
  for (const folder of folders) {
    try {
      rmdirSync(folder);
    } catch {
      return;
    }
  }
}

/**
 * Creates `path` and its missing parents one level at a time (Node's recursive mkdir retries
 * forever where a parent exists but cannot hold a directory, as /proc). Returns the folders it
 * created, innermost (`path`) first; empty when `path` existed. A folder that another process
 * creates meanwhile is used as it is, and is not among those returned. Refusals name `flag`.
 */
function makeDirectories(flag: string, path: string): string[] {
  const missing: string[] = [];
  let p = resolve(path);
  while (!existsSync(p)) {
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (missing.length === 0) return [];
  if (existsSync(p) && !statSync(p).isDirectory()) throw new UsageError(`${flag} ${path}: ${p} is not a directory`);
  const created: string[] = [];
  for (let i = missing.length - 1; i >= 0; i--) {
    const folder = missing[i]!;
    try {
      mkdirSync(folder);
      created.unshift(folder);
    } catch (e) {
      // a parent made by another process meanwhile is as good as one made here; `path` itself
      // made meanwhile (the shards of a grid starting together) is a folder that existed before
      if (existsSync(folder) && statSync(folder).isDirectory()) continue;
      removeEmptyFolders(created);
      const where = folder === resolve(path) ? '' : ` ${folder}`;
      throw new UsageError(`${flag} ${path}: cannot create the folder${where}: ${reason(e, false)}`);
    }
  }
  return created;
}
