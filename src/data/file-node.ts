// Reading one data file (Node only): a regular file, or a DataError that names it and says why
// not (a FIFO, a device, a directory, empty, missing, unreadable). See io/read-node.ts.

import { readRegularFile } from '../io/read-node.js';
import { DataError } from './errors.js';

export function readDataFile(path: string): Uint8Array {
  return readRegularFile(path, { fail: (message) => { throw new DataError(path, message); } });
}
