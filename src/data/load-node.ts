// loadDataset(spec): one entry point for the CLI and scripts (Node only). `spec` is a registered
// name (registry.ts: mnist, mnist-idx, fashion-mnist, omniglot-small, omniglot12) or a path whose
// format is recognised:
//   file   a one-file format of the data-format registry (formats.ts), by its name or its first
//          bytes: .npz (x_train, y_train, x_test, y_test), .pkl / .pickle (the safe pickle reader)
//   folder holding the four IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte,
//          t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each raw or .gz; '.' for '-' before idx
//          also accepted)                                  → the registry's IDX format
//          holding x_train.npy, y_train.npy, x_test.npy, y_test.npy → its NPY format
//          holding images_background/, or <alphabet>/<character>/*.png → Omniglot layout
//          (omniglot-node.ts: split by drawer for Omniglot's own file names)
//          holding <class>/*.png (or train/ and test/ of them) → image folder
// Anything else is an error that says what was expected and lists the registered names.
// Every file is read with readDataFile: regular files only (a FIFO or a device is refused by
// name, never waited on). The readers' warnings go to `onWarning` (default: `log`).

import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DataError } from './errors.js';
import { readDataFile } from './file-node.js';
import { DATA_FORMATS, sniffDataFile, type DataFile, type DataFormatSpec } from './formats.js';
import { idxDataset } from './idx.js';
import { loadImageFolder } from './image-folder-node.js';
import { loadEmbeddedMnist } from './mnist-embedded-node.js';
import { loadOmniglotFolder, loadOmniglotZips, type OmniglotSplit } from './omniglot-node.js';
import { pickleDataset } from './pickle.js';
import { datasetNames, registeredDataset } from './registry.js';
import { locateRegisteredFile, locateRegisteredPickle, type LocateOptions } from './registry-node.js';
import type { Dataset } from './types.js';

/** Options of {@link loadDataset}: where to look and how to split. */
export interface LoadDatasetOptions extends LocateOptions {
  /** Seed of any split the reader makes (embedded MNIST, image folders; default 0). */
  seed?: number;
  /** Embedded MNIST split sizes (default 8000 / 2000). */
  trainSize?: number;
  /** Embedded MNIST test split size (default 2000). */
  testSize?: number;
  /** Image folders: test fraction when the folder has no split (default 0.2). */
  testFraction?: number;
  /** Image folders: 1 − pixel. */
  invert?: boolean;
  /** Omniglot folders and omniglot-small: keep the first N alphabets (sorted). */
  alphabets?: number;
  /** Omniglot folders and omniglot-small: split by 'drawer', 'image' or 'character' (omniglot-node.ts). */
  split?: OmniglotSplit;
  /** Receives each of the data set's warnings (Dataset.warnings); default `log`. */
  onWarning?: (message: string) => void;
}

const IDX_NAMES = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
} as const;

function expectedText(): string {
  return (
    `expected a registered name (${datasetNames().join(', ')}) or a path to a .pkl, an .npz, ` +
    'a folder of the four IDX files (train-images-idx3-ubyte[.gz], …), a folder of x_train.npy … y_test.npy, ' +
    'or a folder of images (<class>/*.png, or Omniglot\'s images_background/<alphabet>/<character>/*.png)'
  );
}

function stat(p: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** Loads a data set by registered name or path (see the file header). */
export async function loadDataset(spec: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  const ds = await load(spec, options);
  const warn = options.onWarning ?? options.log;
  if (warn) for (const w of ds.warnings ?? []) warn(`warning: ${w}`);
  return ds;
}

async function load(spec: string, options: LoadDatasetOptions): Promise<Dataset> {
  const reg = registeredDataset(spec);
  if (reg) {
    if (reg.kind === 'embedded') {
      return loadEmbeddedMnist({
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.trainSize !== undefined ? { trainSize: options.trainSize } : {}),
        ...(options.testSize !== undefined ? { testSize: options.testSize } : {}),
      });
    }
    if (reg.kind === 'pickle') {
      const path = locateRegisteredPickle(spec, options);
      return pickleDataset(readDataFile(path), path, { name: spec, source: { registered: spec } });
    }
    if (reg.kind === 'omniglot-zips') {
      const zips = [];
      for (const file of reg.files) zips.push(await locateRegisteredFile(spec, file, options));
      const ds = loadOmniglotZips(zips, {
        ...omniglotOptions(options), name: spec,
        ...(options.split === undefined || options.split === 'drawer' ? { split: 'drawer', testDrawers: reg.testDrawers } : {}),
      });
      if (ds.classes.join('/') !== reg.classes.join('/') && options.alphabets === undefined) {
        throw new DataError(spec, `the zips hold the alphabets ${ds.classes.join(', ')}; expected ${reg.classes.join(', ')}`);
      }
      return { ...ds, source: { registered: spec, ...ds.source, checksums: Object.fromEntries(zips.map((z) => [z.path, z.checked])) } };
    }
    const found = {
      trainImages: await locateRegisteredFile(spec, reg.files.trainImages, options),
      trainLabels: await locateRegisteredFile(spec, reg.files.trainLabels, options),
      testImages: await locateRegisteredFile(spec, reg.files.testImages, options),
      testLabels: await locateRegisteredFile(spec, reg.files.testLabels, options),
    };
    return idxDataset(
      {
        trainImages: found.trainImages.bytes,
        trainLabels: found.trainLabels.bytes,
        testImages: found.testImages.bytes,
        testLabels: found.testLabels.bytes,
      },
      {
        name: spec,
        classes: reg.classes,
        files: {
          trainImages: found.trainImages.path,
          trainLabels: found.trainLabels.path,
          testImages: found.testImages.path,
          testLabels: found.testLabels.path,
        },
        source: {
          registered: spec,
          checksums: Object.fromEntries(Object.entries(found).map(([k, v]) => [k, v.checked])),
        },
      },
    );
  }

  const st = stat(spec);
  if (!st) throw new DataError(spec, `unknown data set: no registered name and no such file or folder; ${expectedText()}`);
  if (st.isDirectory()) return loadDirectory(spec, options);
  return loadFile(spec);
}

function loadFile(path: string): Dataset {
  const file: DataFile = { name: path, bytes: readDataFile(path) };
  const format = sniffDataFile(file);
  if (!format) throw new DataError(path, `format not recognised from its name or its first bytes; ${expectedText()}`, 0);
  const spec: DataFormatSpec = DATA_FORMATS[format];
  if (spec.roles.length !== 1) {
    throw new DataError(path, `${spec.alone ?? `a ${spec.label} file`}; a data set needs ${spec.roles.length}: give the folder that holds ${spec.roles.join(', ')}`);
  }
  return spec.parse([file], { name: basename(path).replace(/\.(pkl|pickle|npz)$/i, '') });
}

const readFiles = (paths: readonly string[]): DataFile[] => paths.map((p) => ({ name: p, bytes: readDataFile(p) }));

function findIdx(dir: string, names: readonly string[]): string | undefined {
  for (const n of names) for (const f of [n, `${n}.gz`]) if (stat(join(dir, f))?.isFile()) return join(dir, f);
  return undefined;
}

function loadDirectory(dir: string, options: LoadDatasetOptions): Dataset {
  // IDX
  const idx = {
    trainImages: findIdx(dir, IDX_NAMES.trainImages),
    trainLabels: findIdx(dir, IDX_NAMES.trainLabels),
    testImages: findIdx(dir, IDX_NAMES.testImages),
    testLabels: findIdx(dir, IDX_NAMES.testLabels),
  };
  const idxPaths = Object.values(idx).filter((v) => v !== undefined);
  if (idxPaths.length === 4) return DATA_FORMATS.idx.parse(readFiles(idxPaths), { name: basename(dir) });
  if (idxPaths.length > 0) {
    const missing = (Object.keys(idx) as (keyof typeof idx)[]).filter((k) => !idx[k]).map((k) => IDX_NAMES[k][0]);
    throw new DataError(dir, `holds some IDX files but not ${missing.join(', ')} (raw or .gz)`);
  }
  // NPY quartet
  const npy = ['x_train', 'y_train', 'x_test', 'y_test'].map((n) => join(dir, `${n}.npy`));
  if (npy.some((p) => stat(p)?.isFile())) {
    const missing = npy.filter((p) => !stat(p)?.isFile());
    if (missing.length > 0) throw new DataError(dir, `holds some of x_train.npy, y_train.npy, x_test.npy, y_test.npy but not ${missing.map((p) => basename(p)).join(', ')}`);
    return DATA_FORMATS.npy.parse(readFiles(npy), { name: basename(dir) });
  }
  // Images
  const folderOpts = folderOptions(options);
  const omniglotOpts = omniglotOptions(options);
  if (stat(join(dir, 'images_background'))?.isDirectory()) return loadOmniglotFolder(dir, omniglotOpts);
  const subs = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
  if (subs.length === 0) throw new DataError(dir, `folder holds nothing recognisable; ${expectedText()}`);
  if (subs.includes('train') && subs.includes('test')) return loadImageFolder(dir, folderOpts);
  // <class>/*.png or <alphabet>/<character>/*.png: look at the first sub-folder
  const first = join(dir, subs[0]!);
  const entries = readdirSync(first, { withFileTypes: true });
  if (entries.some((e) => e.isFile() && e.name.toLowerCase().endsWith('.png'))) return loadImageFolder(dir, folderOpts);
  if (entries.some((e) => e.isDirectory())) return loadOmniglotFolder(dir, omniglotOpts);
  throw new DataError(dir, `folder holds nothing recognisable; ${expectedText()}`);
}

/** The options of a generic image folder that `options` set. */
function folderOptions(options: LoadDatasetOptions): { seed?: number; testFraction?: number; invert?: boolean } {
  return {
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.testFraction !== undefined ? { testFraction: options.testFraction } : {}),
    ...(options.invert !== undefined ? { invert: options.invert } : {}),
  };
}

/** The options of an Omniglot reader that `options` set. */
function omniglotOptions(options: LoadDatasetOptions): ReturnType<typeof folderOptions> & { alphabets?: number; split?: OmniglotSplit } {
  return {
    ...folderOptions(options),
    ...(options.alphabets !== undefined ? { alphabets: options.alphabets } : {}),
    ...(options.split !== undefined ? { split: options.split } : {}),
  };
}
