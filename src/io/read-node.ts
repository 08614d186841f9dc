// Reading a whole input file, refusing anything but a regular file (Node only).
//
// A path can name a FIFO (reading blocks until a writer comes, forever), a device (/dev/zero
// never ends), a directory, or a file that changes between a check and a read. So the file is
// opened once, without blocking (O_NONBLOCK: opening a FIFO returns at once), and that open
// handle is checked with fstat: a regular file, not empty, not larger than the caller's limit.
// Then exactly the size fstat reported is read; a file that shrinks meanwhile is an error.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { HandgradError } from '../tensor.js';

/** Raises the caller's error about `path`. */
export type FileFail = (message: string) => never;

export interface ReadFileOptions {
  /** The largest file accepted, in bytes (default MAX_FILE_BYTES). */
  maxBytes?: number;
  /** Raises the caller's error type (default: a HandgradError "path: message"). */
  fail?: FileFail;
}

/** 2 GiB − 1: the most one Node read gives back, and more than any data set here needs. */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

/** The bytes of the regular file at `path` (see the file header). */
export function readRegularFile(path: string, options: ReadFileOptions = {}): Uint8Array {
  const fail: FileFail = options.fail ?? ((message) => { throw new HandgradError(`${path}: ${message}`); });
  const maxBytes = options.maxBytes ?? MAX_FILE_BYTES;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a directory, not a regular file' : `cannot open it (${code ?? (e as Error).message})`;
    return fail(why);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return fail(`is ${kindOf(st)}, not a regular file`);
    if (st.size === 0) return fail('its size is 0 bytes: the file is empty, or a special file (as in /proc) whose size is unknown');
    if (st.size > maxBytes) return fail(`the file has ${st.size} bytes, more than the ${maxBytes} accepted`);
    const out = new Uint8Array(st.size);
    let at = 0;
    while (at < out.length) {
      let n: number;
      try {
        n = readSync(fd, out, at, out.length - at, at);
      } catch (e) {
        return fail(`cannot read it at byte ${at} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      if (n === 0) return fail(`the file shrank while being read: ${at} of the ${st.size} bytes it had when opened`);
      at += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
