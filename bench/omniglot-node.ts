// Real Omniglot images for the benchmark (Node only): "Omniglot-small", the two small subsets of
// Omniglot's background set (images_background_small1.zip and _small2.zip: 8 distinct alphabets,
// 4840 drawings of 105×105 binary pixels, paper 1, ink 0; MIT licence). The zips are unzipped into
// a temporary folder and read with the Omniglot folder reader `handgrad train --data DIR` uses
// (label = alphabet; its default split, by drawer, as `train --data omniglot-small` splits), so
// the bench trains on what `train` trains on.
//
// W3r's arrays: the training split, normalised with its global mean and standard deviation
// (`train`'s default), written as .npy files that every contestant reads, Node and Python alike.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { loadOmniglotFolder } from '../src/data/omniglot-node.js';
import { writeNpy } from '../src/data/npy.js';
import type { Dataset } from '../src/data/types.js';
import { computeNormalization, normalizeInto } from '../src/train/loader.js';
import type { WorkloadSpec } from './workloads.js';

export const OMNIGLOT_ZIPS = ['images_background_small1.zip', 'images_background_small2.zip'] as const;

/** The Omniglot folder beside the repository (../shared/data/omniglot), unless HANDGRAD_OMNIGLOT_DIR says another. */
export function defaultOmniglotDir(root: string): string {
  return process.env.HANDGRAD_OMNIGLOT_DIR ?? join(root, '..', 'shared', 'data', 'omniglot');
}

/** Omniglot-small from the zips in `dir`: unzipped into a temporary folder, read, the folder removed. */
export function loadOmniglotSmall(dir: string): Dataset {
  const tmp = mkdtempSync(join(tmpdir(), 'handgrad-omniglot-'));
  try {
    for (const zip of OMNIGLOT_ZIPS) {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(join(dir, zip));
      } catch (e) {
        throw new Error(`Omniglot-small: cannot read ${join(dir, zip)} (${(e as Error).message}); set HANDGRAD_OMNIGLOT_DIR or --omniglot to the folder that holds ${OMNIGLOT_ZIPS.join(' and ')}`, { cause: e });
      }
      // <subset>/<alphabet>/<character>/<drawing>.png → <alphabet>/<character>/<drawing>.png (Greek and
      // Latin are in both subsets, with the same files)
      for (const [name, png] of Object.entries(unzipSync(bytes, { filter: (f) => f.name.endsWith('.png') }))) {
        const out = join(tmp, name.split('/').slice(1).join('/'));
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, png);
      }
    }
    return loadOmniglotFolder(tmp, { name: 'omniglot-small' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface NpyArrays {
  /** x: float32 [n, features]; y: int32 [n]. */
  x: string;
  y: string;
  n: number;
  features: number;
  classes: number;
  source: string;
}

/** The training split of Omniglot-small, normalised globally, as x.npy and y.npy in `outDir`. */
export function writeOmniglotTrainArrays(dir: string, outDir: string): NpyArrays {
  const data = loadOmniglotSmall(dir);
  const { x, y, n } = data.train;
  const features = x.length / n;
  const norm = computeNormalization(data.train, features, 'global');
  const xn = new Float32Array(x.length);
  for (let s = 0; s < n; s++) normalizeInto(x, s * features, features, norm, xn, s * features);
  const paths = { x: join(outDir, 'x.npy'), y: join(outDir, 'y.npy') };
  writeFileSync(paths.x, writeNpy('<f4', [n, features], new Uint8Array(xn.buffer)));
  writeFileSync(paths.y, writeNpy('<i4', [n], new Uint8Array(Int32Array.from(y).buffer)));
  return {
    ...paths, n, features, classes: data.classes.length,
    source: `Omniglot-small training split (${n} of ${n + data.test.n} drawings, ${data.classes.length} alphabets) from ${dir}, normalised (x − ${norm.mean[0]!.toFixed(4)}) / ${norm.std[0]!.toFixed(4)}`,
  };
}

/**
 * A workload whose data is Omniglot drawings, turned into one that reads them as .npy arrays
 * written into a temporary folder (`tmp`: the caller removes it), so that every contestant reads
 * the same normalised numbers; or the reason they cannot be had. Other workloads pass unchanged.
 */
export function prepareOmniglotData(spec: WorkloadSpec): { spec: WorkloadSpec; tmp: string | null } | { reason: string } {
  if (spec.data.kind !== 'omniglot') return { spec, tmp: null };
  const tmp = mkdtempSync(join(tmpdir(), 'handgrad-bench-w3r-'));
  try {
    const arrays = writeOmniglotTrainArrays(spec.data.dir, tmp);
    if (arrays.classes !== spec.classes || arrays.features !== spec.sampleShape[0]) {
      throw new Error(`expected ${spec.classes} alphabets of ${spec.sampleShape[0]} pixels, read ${arrays.classes} of ${arrays.features}`);
    }
    return { spec: { ...spec, data: { kind: 'npy', ...arrays } }, tmp };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    return { reason: `${spec.id}'s data: ${e instanceof Error ? e.message : String(e)}` };
  }
}
