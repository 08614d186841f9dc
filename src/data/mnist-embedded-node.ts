// The embedded MNIST from the installed package (Node only): data/mnist-10k.bin.gz, found by
// walking up from this module to the package root (src/data/ when run from source, dist/src/data/
// when built), parsed and split by mnist-embedded.ts.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from './errors.js';
import { EMBEDDED_MNIST_FILE, mnistFromBytes, type EmbeddedMnistOptions } from './mnist-embedded.js';
import type { Dataset } from './types.js';

/** The path of data/mnist-10k.bin.gz in the package this module belongs to. */
export function embeddedMnistPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'data', EMBEDDED_MNIST_FILE);
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new DataError(EMBEDDED_MNIST_FILE, `not found in data/ of the handgrad package above ${here} (a broken installation?)`);
}

/** Loads the embedded digits (10,000) and splits them with the seeded permutation. */
export function loadEmbeddedMnist(options: EmbeddedMnistOptions = {}): Promise<Dataset> {
  const path = embeddedMnistPath();
  return Promise.resolve(mnistFromBytes(new Uint8Array(readFileSync(path)), options, path));
}
