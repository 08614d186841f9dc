// Errors of the data readers. Every one names the file (or the in-memory name a caller gave)
// and, when the problem is at a place in the bytes, the byte offset, so a user can open the
// file in a hex viewer and see what is wrong.

import { HandgradError } from '../tensor.js';

/**
 * The error a data reader throws: its message names the file (and the byte offset, when the
 * problem is at a place in the bytes), so the file can be opened in a hex viewer.
 */
export class DataError extends HandgradError {
  override name = 'DataError';
  /** The file (or name) the reader was given. */
  readonly file: string;
  /** Byte offset of the problem, when there is one. */
  readonly offset: number | undefined;
  /** The message without the file and byte prefix. */
  readonly detail: string;

  /** An error about `file` (at byte `offset`, when given); `message` says what is wrong. */
  constructor(file: string, message: string, offset?: number) {
    super(offset === undefined ? `${file}: ${message}` : `${file}: byte ${offset}: ${message}`);
    this.file = file;
    this.offset = offset;
    this.detail = message;
  }
}

/** Throws a DataError unless `bytes` holds at least `need` bytes from `offset`. */
export function needBytes(file: string, bytes: Uint8Array, offset: number, need: number, what: string): void {
  if (offset + need > bytes.length) {
    throw new DataError(
      file,
      `truncated: ${what} needs ${need} bytes but only ${Math.max(0, bytes.length - offset)} remain (file has ${bytes.length} bytes)`,
      offset,
    );
  }
}

/** A `fail` for the byte-format readers (io/): raises a DataError about `file`. */
export function failIn(file: string): (message: string, offset?: number) => never {
  return (message, offset) => {
    throw new DataError(file, message, offset);
  };
}
