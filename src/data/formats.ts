// DATA_FORMATS: the file formats a data set can come in, one registry for the command line
// (load-node.ts, by path) and the playground (files the user drops). Each entry says how many
// files make one data set and the role of each, recognises a file by its name or its first bytes
// (sniff), and turns a complete set of files into a Dataset (parse). Browser-safe: bytes in.
//
//   npz     one .npz (a zip) holding x_train, y_train, x_test, y_test (Keras's mnist.npz layout)
//   npy     four .npy files x_train.npy, y_train.npy, x_test.npy, y_test.npy
//   idx     four IDX files (raw or gzipped): train images and labels, test (t10k) images and labels
//   pickle  one pickle of ((trainX, trainY), (testX, testY)), the course's omniglot_12.pkl

import { arraysToDataset } from './arrays.js';
import { DataError } from './errors.js';
import { idxDataset, isIdxFile } from './idx.js';
import { isNpy, isZip, npzDataset, parseNpy } from './npy.js';
import { pickleDataset } from './pickle.js';
import type { Dataset } from './types.js';
import { ownKeys } from '../lookup.js';

/** One file: its name (a path on the command line) and its bytes. */
export interface DataFile {
  /** The file's name or path (messages name it). */
  name: string;
  /** The file's contents. */
  bytes: Uint8Array;
}

/** The file formats a data set can be read from: NumPy's .npz and .npy, MNIST's IDX, and pickles. */
export type DataFormatName = 'npz' | 'npy' | 'idx' | 'pickle';

/** What the {@link DATA_FORMATS} registry holds for each format. */
export interface DataFormatSpec {
  /** The format's name in messages. */
  readonly label: string;
  /** The files one data set takes, as the canonical name (or pattern) of each, in role order. */
  readonly roles: readonly string[];
  /** What one file of a several-file format is, when it comes alone ("an .npy file holds one array"). */
  readonly alone?: string;
  /** How a file shows itself to be in this format: by its name, by its first bytes, or not (null). */
  sniff(bytes: Uint8Array, name: string): 'name' | 'bytes' | null;
  /** The data set from its files: exactly `roles.length` of them, each in this format. */
  parse(files: readonly DataFile[], options: { name: string }): Dataset;
}

/** The last part of a path ('/', or '\' from a Windows path in a message). */
function baseName(name: string): string {
  return name.slice(lastSeparator(name) + 1);
}

/** The folder part of a path, or '' for a bare name. */
function folderOf(name: string): string {
  return name.slice(0, Math.max(lastSeparator(name), 0));
}

function lastSeparator(name: string): number {
  return Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
}

const by = (name: RegExp, magic: (bytes: Uint8Array) => boolean) => (bytes: Uint8Array, file: string): 'name' | 'bytes' | null =>
  name.test(baseName(file)) ? 'name' : magic(bytes) ? 'bytes' : null;

/**
 * Sorts `files` into `roles` by their names: each role's pattern must match exactly one file and
 * each file exactly one role. The error lists the names and what each role expects.
 */
function byRole<R extends string>(format: string, files: readonly DataFile[], roles: Record<R, { pattern: RegExp; expect: string }>): Record<R, DataFile> {
  const keys = ownKeys(roles);
  const names = files.map((f) => baseName(f.name)).join(', ');
  if (files.length !== keys.length) {
    throw new DataError(names || format, `a data set is ${keys.length} ${format} files (${keys.map((k) => roles[k].expect).join(', ')}), got ${files.length}`);
  }
  const out: Partial<Record<R, DataFile>> = {};
  for (const k of keys) {
    const matches = files.filter((f) => roles[k].pattern.test(baseName(f.name)));
    if (matches.length !== 1) {
      const found = matches.length === 0 ? 'none of them matches' : `${matches.map((f) => baseName(f.name)).join(' and ')} both match`;
      throw new DataError(names, `${format}: expected one file named like ${roles[k].expect}; ${found}`);
    }
    out[k] = matches[0];
  }
  const roleOf = (f: DataFile): number => keys.filter((k) => out[k] === f).length;
  const stray = files.find((f) => roleOf(f) !== 1);
  if (stray) throw new DataError(stray.name, `${format}: this file's name matches no role (${keys.map((k) => roles[k].expect).join(', ')})`);
  return out as Record<R, DataFile>;
}

const IDX_ROLES = {
  trainImages: { pattern: /train.*(images|idx3)/i, expect: 'train-images-idx3-ubyte' },
  trainLabels: { pattern: /train.*(labels|idx1)/i, expect: 'train-labels-idx1-ubyte' },
  testImages: { pattern: /(t10k|test).*(images|idx3)/i, expect: 't10k-images-idx3-ubyte' },
  testLabels: { pattern: /(t10k|test).*(labels|idx1)/i, expect: 't10k-labels-idx1-ubyte' },
};

const NPY_ROLES = {
  xTrain: { pattern: /^x_train\.npy$/i, expect: 'x_train.npy' },
  yTrain: { pattern: /^y_train\.npy$/i, expect: 'y_train.npy' },
  xTest: { pattern: /^x_test\.npy$/i, expect: 'x_test.npy' },
  yTest: { pattern: /^y_test\.npy$/i, expect: 'y_test.npy' },
};

/** The registry of data file formats by {@link DataFormatName}. */
export const DATA_FORMATS = {
  npz: {
    label: 'NPZ',
    roles: ['an .npz with x_train, y_train, x_test, y_test'],
    sniff: by(/\.npz$/i, isZip),
    parse: (files, { name }) => {
      const [f] = one('NPZ', files);
      return npzDataset(f.bytes, f.name, { name });
    },
  },
  npy: {
    label: 'NPY',
    roles: Object.values(NPY_ROLES).map((r) => r.expect),
    alone: 'an .npy file holds one array',
    sniff: by(/\.npy$/i, isNpy),
    parse: (files, { name }) => {
      const f = byRole('NPY', files, NPY_ROLES);
      const paths: [string, string, string, string] = [f.xTrain.name, f.yTrain.name, f.xTest.name, f.yTest.name];
      return arraysToDataset(folderOf(f.xTrain.name) || name, {
        xTrain: parseNpy(f.xTrain.bytes, f.xTrain.name), yTrain: parseNpy(f.yTrain.bytes, f.yTrain.name),
        xTest: parseNpy(f.xTest.bytes, f.xTest.name), yTest: parseNpy(f.yTest.bytes, f.yTest.name),
      }, { name, partNames: paths, source: { format: 'npy', files: paths } });
    },
  },
  idx: {
    label: 'IDX',
    roles: Object.values(IDX_ROLES).map((r) => r.expect),
    alone: 'this is one IDX file',
    sniff: by(/[-.]idx[13]-ubyte(\.gz)?$/i, isIdxFile),
    parse: (files, { name }) => {
      const f = byRole('IDX', files, IDX_ROLES);
      return idxDataset(
        { trainImages: f.trainImages.bytes, trainLabels: f.trainLabels.bytes, testImages: f.testImages.bytes, testLabels: f.testLabels.bytes },
        { name, files: { trainImages: f.trainImages.name, trainLabels: f.trainLabels.name, testImages: f.testImages.name, testLabels: f.testLabels.name } },
      );
    },
  },
  pickle: {
    label: 'pickle',
    roles: ['a .pkl of ((trainX, trainY), (testX, testY))'],
    // protocol 2 and later start with the PROTO opcode 0x80
    sniff: by(/\.(pkl|pickle)$/i, (bytes) => bytes[0] === 0x80),
    parse: (files, { name }) => {
      const [f] = one('pickle', files);
      return pickleDataset(f.bytes, f.name, { name });
    },
  },
} satisfies Record<DataFormatName, DataFormatSpec>;

/** The formats, in the order sniffDataFile tries them. */
export const DATA_FORMAT_NAMES: readonly DataFormatName[] = ownKeys(DATA_FORMATS);

function one(format: string, files: readonly DataFile[]): [DataFile] {
  const [f] = files;
  if (files.length !== 1 || !f) throw new DataError(files.map((x) => x.name).join(', ') || format, `${format}: a data set is one file, got ${files.length}`);
  return [f];
}

/**
 * The format of a file: the first whose name pattern it matches (x.npz, x.pkl, *-idx3-ubyte.gz),
 * else the first whose magic bytes it starts with; null when none.
 */
export function sniffDataFile(file: DataFile): DataFormatName | null {
  const sniffs = DATA_FORMAT_NAMES.map((k) => [k, DATA_FORMATS[k].sniff(file.bytes, file.name)] as const);
  return sniffs.find(([, how]) => how === 'name')?.[0] ?? sniffs.find(([, how]) => how === 'bytes')?.[0] ?? null;
}

/** One line on what a data set can be made of, for messages. */
export function dataFormatsText(): string {
  return DATA_FORMAT_NAMES.map((k) => {
    const spec: DataFormatSpec = DATA_FORMATS[k];
    return spec.roles.length === 1 ? spec.roles[0] : `the ${spec.roles.length} ${spec.label} files (${spec.roles.join(', ')})`;
  }).join('; ');
}

/**
 * A data set from the files that make it (one .npz, one pickle, the four IDX or the four .npy
 * files): every file sniffed, all in one format, as many as that format takes. `name` defaults to
 * the single file's name without its extension, or "<FORMAT> files".
 */
export function parseDataFiles(files: readonly DataFile[], options: { name?: string } = {}): Dataset {
  if (files.length === 0) throw new DataError('data files', `no files given; a data set is ${dataFormatsText()}`);
  const formats = files.map((f) => {
    const format = sniffDataFile(f);
    if (!format) throw new DataError(f.name, `format not recognised from its name or its first bytes; a data set is ${dataFormatsText()}`, 0);
    return format;
  });
  const format = formats[0]!;
  const spec: DataFormatSpec = DATA_FORMATS[format];
  const other = formats.findIndex((f) => f !== format);
  if (other >= 0) {
    throw new DataError(files[other]!.name, `is ${DATA_FORMATS[formats[other]!].label} while ${files[0]!.name} is ${spec.label}: the files of one data set share one format`);
  }
  if (files.length !== spec.roles.length) {
    const what = files.length === 1 && spec.alone ? `${spec.alone}, and ` : '';
    throw new DataError(files.map((f) => baseName(f.name)).join(', '), `${what}a data set is ${spec.roles.length} ${spec.label} file${spec.roles.length === 1 ? '' : 's'} (${spec.roles.join(', ')}), got ${files.length}`);
  }
  const single = files.length === 1 ? baseName(files[0]!.name).replace(/\.[^.]*$/, '') : '';
  return spec.parse(files, { name: options.name ?? (single || `${spec.label} files`) });
}
