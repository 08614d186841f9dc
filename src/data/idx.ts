// IDX files (LeCun's MNIST format, also Fashion-MNIST), raw or gzipped. Browser-safe: bytes in,
// arrays out. Gzip is inflated under the budget its own IDX header sets (io/inflate.ts): the
// header's dimensions give the exact size, checked against MAX_ELEMENTS before inflating on;
// every gzip member's CRC-32 and ISIZE are checked.
//
// Layout (all integers big-endian):
//   byte 0–1  zero
//   byte 2    element type: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
//   byte 3    number of dimensions k
//   byte 4…   k × u32 sizes, then ∏ sizes elements, row-major
// MNIST images are magic 0x00000803 (u8, 3 dims: n, rows, cols); labels 0x00000801 (u8, n).

import { gunzip, gunzipHead, isGzip } from '../io/inflate.js';
import { arrayBytes, arraysToDataset, decodeArray, MAX_ELEMENTS, type NdArray } from './arrays.js';
import { DataError, failIn, needBytes } from './errors.js';
import { checkLabels } from './labels.js';
import type { Dataset } from './types.js';

export { isGzip };

const IDX_TYPES = new Map<number, string>([[0x08, '|u1'], [0x09, '|i1'], [0x0b, '>i2'], [0x0c, '>i4'], [0x0d, '>f4'], [0x0e, '>f8']]);

/** The most a gzip stream may inflate to when nothing inside it says how much: MAX_ELEMENTS f8. */
export const MAX_INFLATED_BYTES = 8 * MAX_ELEMENTS;

/**
 * Inflates gzip data (detected by its magic bytes) within `maxBytes`, checking CRC-32 and
 * ISIZE; other bytes are returned unchanged.
 */
export function maybeGunzip(bytes: Uint8Array, file: string, maxBytes = MAX_INFLATED_BYTES): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  return gunzip(bytes, { maxBytes }, failIn(file));
}

/** True when the (inflated) bytes look like an IDX header. */
export function looksLikeIdx(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && IDX_TYPES.has(bytes[2]!) && bytes[3]! >= 1 && bytes[3]! <= 8;
}

/** True when the file's bytes are IDX, or gzip whose first bytes are (inflating only those). */
export function isIdxFile(bytes: Uint8Array): boolean {
  return looksLikeIdx(isGzip(bytes) ? gunzipHead(bytes, 4) : bytes);
}

interface IdxHeader {
  type: string;
  shape: number[];
  /** Byte where the elements start: 4 + 4 · dims. */
  dataStart: number;
}

/**
 * The IDX header at the start of `bytes`, checked: the magic, the dimension count (`dims`),
 * the sizes present, the element budget. `where` names the file in errors.
 */
function readIdxHeader(bytes: Uint8Array, where: string, dims?: number): IdxHeader {
  needBytes(where, bytes, 0, 4, 'the IDX magic number');
  const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const type = IDX_TYPES.get(bytes[2]!);
  const k = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || k === 0) {
    throw new DataError(
      where,
      `bad IDX magic number 0x${magic.toString(16).padStart(8, '0')}; expected 0x00000803 (images) or 0x00000801 (labels)`,
      0,
    );
  }
  if (dims !== undefined && k !== dims) {
    throw new DataError(
      where,
      `IDX magic 0x${magic.toString(16).padStart(8, '0')} says ${k} dimensions; expected ${dims} (magic 0x0000080${dims})`,
      3,
    );
  }
  needBytes(where, bytes, 4, 4 * k, `the header's ${k} dimension sizes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const shape: number[] = [];
  for (let i = 0; i < k; i++) shape.push(view.getUint32(4 + 4 * i, false));
  arrayBytes(where, type, shape, 4);
  return { type, shape, dataStart: 4 + 4 * k };
}

/**
 * Inflates a gzipped IDX file: the output may hold exactly what its header announces, and no
 * more than MAX_ELEMENTS elements; the header is checked as soon as its bytes are out.
 */
export function gunzipIdx(input: Uint8Array, file: string, dims?: number): Uint8Array {
  const where = `${file} (after gunzip)`;
  return gunzip(
    input,
    {
      maxBytes: MAX_INFLATED_BYTES,
      announcer: 'its IDX header',
      sizeFromHead: (head) => {
        if (head.length < 4 || head.length < 4 + 4 * head[3]!) return undefined;
        const h = readIdxHeader(head, where, dims);
        return h.dataStart + arrayBytes(where, h.type, h.shape, 4);
      },
    },
    failIn(file),
  );
}

export interface ParseIdxOptions {
  /** Expected number of dimensions (3 for images, 1 for labels). */
  dims?: number;
}

/** Parses one IDX file (raw or gzipped). Errors name `file` and the byte offset. */
export function parseIdx(input: Uint8Array, file: string, options: ParseIdxOptions = {}): NdArray {
  const bytes = isGzip(input) ? gunzipIdx(input, file, options.dims) : input;
  const where = isGzip(input) ? `${file} (after gunzip)` : file;
  const { type, shape, dataStart: header } = readIdxHeader(bytes, where, options.dims);
  const arr = decodeArray(where, bytes, header, type, shape, false);
  const dataBytes = arr.data.length * arr.data.BYTES_PER_ELEMENT;
  if (header + dataBytes !== bytes.length) {
    throw new DataError(
      where,
      `${bytes.length - header - dataBytes} bytes of trailing data after the ${shape.join('×')} elements the header announces`,
      header + dataBytes,
    );
  }
  return arr;
}

/** The four IDX files of an MNIST-format data set, as bytes (gzipped or not). */
export interface IdxFiles {
  /** train-images-idx3-ubyte (its bytes). */
  trainImages: Uint8Array;
  /** train-labels-idx1-ubyte. */
  trainLabels: Uint8Array;
  /** t10k-images-idx3-ubyte. */
  testImages: Uint8Array;
  /** t10k-labels-idx1-ubyte. */
  testLabels: Uint8Array;
}

export interface IdxDatasetOptions {
  name: string;
  classes?: string[];
  /** Names of the four files for messages (and `source`). */
  files?: { trainImages: string; trainLabels: string; testImages: string; testLabels: string };
  source?: Record<string, unknown>;
}

/**
 * Four IDX files → Dataset: images (n, rows, cols) scaled by 1/255, sampleShape [1, rows, cols];
 * labels checked against the class count (the error names the label file and the label's byte).
 */
export function idxDataset(files: IdxFiles, options: IdxDatasetOptions): Dataset {
  const f = options.files ?? {
    trainImages: 'train-images-idx3-ubyte',
    trainLabels: 'train-labels-idx1-ubyte',
    testImages: 't10k-images-idx3-ubyte',
    testLabels: 't10k-labels-idx1-ubyte',
  };
  const xTrain = parseIdx(files.trainImages, f.trainImages, { dims: 3 });
  const yTrain = parseIdx(files.trainLabels, f.trainLabels, { dims: 1 });
  const xTest = parseIdx(files.testImages, f.testImages, { dims: 3 });
  const yTest = parseIdx(files.testLabels, f.testLabels, { dims: 1 });
  for (const [x, y, fx, fy] of [
    [xTrain, yTrain, f.trainImages, f.trainLabels],
    [xTest, yTest, f.testImages, f.testLabels],
  ] as const) {
    if (x.shape[0] !== y.shape[0]) {
      throw new DataError(fy, `holds ${y.shape[0]} labels but ${fx} holds ${x.shape[0]} images`, 4);
    }
  }
  if (options.classes) {
    // Labels are one byte each after an 8-byte header: label i sits at byte 8 + i.
    const k = options.classes.length;
    const where = (name: string, input: Uint8Array) => (isGzip(input) ? `${name} (after gunzip)` : name);
    checkLabels(where(f.trainLabels, files.trainLabels), '', Int32Array.from(yTrain.data as Uint8Array), k, (i) => 8 + i);
    checkLabels(where(f.testLabels, files.testLabels), '', Int32Array.from(yTest.data as Uint8Array), k, (i) => 8 + i);
  }
  const partNames: [string, string, string, string] = [f.trainImages, f.trainLabels, f.testImages, f.testLabels];
  return arraysToDataset(f.trainImages, { xTrain, yTrain, xTest, yTest }, {
    name: options.name,
    ...(options.classes ? { classes: options.classes } : {}),
    partNames,
    labelsName: `${f.trainLabels} and ${f.testLabels}`,
    source: { format: 'idx', files: f, ...options.source },
  });
}

/** Writes an IDX file (u8 elements) — used by tests and by `scripts/` to make small sets. */
export function writeIdxU8(shape: number[], data: Uint8Array): Uint8Array {
  const k = shape.length;
  const out = new Uint8Array(4 + 4 * k + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00000800 | k, false);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * k);
  return out;
}
