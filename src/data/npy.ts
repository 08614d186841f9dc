// NPY arrays (numpy's .npy, format versions 1.0, 2.0, 3.0) and NPZ archives of them (a zip file,
// stored or deflated, as written by np.savez / np.savez_compressed). Browser-safe.
//
// An NPZ is read through its zip directory (io/zip.ts): only the members a caller uses are
// inflated, each within the size its own NPY header announces (and MAX_ELEMENTS), and each is
// checked against the directory's size and CRC-32.
//
// NPY layout:
//   byte 0–5   magic "\x93NUMPY"
//   byte 6, 7  major, minor version
//   v1:   byte 8–9  u16 LE header length H; header at byte 10
//   v2/3: byte 8–11 u32 LE header length H; header at byte 12 (v3: header is UTF-8, else latin1)
//   header: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//   then the raw elements.

import { isZip, zipMemberData, zipMembers, type ZipMember } from '../io/zip.js';
import { arrayBytes, arraysToDataset, clip, decodeArray, MAX_DIMS, MAX_ELEMENTS, type NdArray } from './arrays.js';
import { DataError, failIn, needBytes } from './errors.js';
import type { Dataset } from './types.js';

export { isZip };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93 N U M P Y
/** The longest NPY header read (numpy writes under 200 bytes for a numeric array). */
export const MAX_NPY_HEADER = 65536;

/** True when `bytes` start with the NPY magic string "\x93NUMPY". */
export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && MAGIC.every((b, i) => bytes[i] === b);
}

interface NpyHeader {
  descr: string;
  fortran: boolean;
  shape: number[];
  /** Byte where the elements start. */
  dataStart: number;
}

/** Reads and checks the preamble and header dict of NPY bytes (the elements need not be there). */
function readNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  needBytes(file, bytes, 0, 10, 'the NPY preamble');
  if (!isNpy(bytes)) {
    throw new DataError(file, `not an NPY file: expected the magic bytes 93 4E 55 4D 50 59 ("\\x93NUMPY")`, 0);
  }
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new DataError(file, `unsupported NPY format version ${major}.${bytes[7]} (expected 1.0, 2.0 or 3.0)`, 6);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else {
    needBytes(file, bytes, 8, 4, 'the NPY header length');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  }
  if (headerLen > MAX_NPY_HEADER) throw new DataError(file, `NPY header length ${headerLen} is more than the ${MAX_NPY_HEADER} bytes read`, 8);
  needBytes(file, bytes, headerStart, headerLen, 'the NPY header');
  const raw = bytes.subarray(headerStart, headerStart + headerLen);
  let header = '';
  if (major === 3) header = new TextDecoder('utf-8').decode(raw);
  else for (let i = 0; i < raw.length; i++) header += String.fromCharCode(raw[i]!); // latin1
  const dict = parseHeaderDict(header, file, headerStart);
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  const shown = clip(header.trim());
  if (typeof descr !== 'string') {
    throw new DataError(file, `NPY header has no string 'descr' (structured dtypes are not supported): ${shown}`, headerStart);
  }
  if (typeof fortran !== 'boolean') throw new DataError(file, `NPY header has no boolean 'fortran_order': ${shown}`, headerStart);
  if (!Array.isArray(shape)) throw new DataError(file, `NPY header has no tuple 'shape': ${shown}`, headerStart);
  return { descr, fortran, shape, dataStart: headerStart + headerLen };
}

/** The total size of NPY bytes whose start is `head`, or undefined until the header is complete. */
function npySizeFromHead(head: Uint8Array, file: string): number | undefined {
  if (head.length < 12) return undefined; // the preamble of every version fits in 12 bytes
  const major = head[6]!;
  if (!isNpy(head) || major < 1 || major > 3) readNpyHeader(head, file); // throws, naming what is wrong
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  const headerStart = major === 1 ? 10 : 12;
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLen <= MAX_NPY_HEADER && headerStart + headerLen > head.length) return undefined;
  const h = readNpyHeader(head, file);
  return h.dataStart + arrayBytes(file, h.descr, h.shape, h.dataStart);
}

/** Parses one .npy file. */
export function parseNpy(bytes: Uint8Array, file: string): NdArray {
  const { descr, fortran, shape, dataStart } = readNpyHeader(bytes, file);
  const arr = decodeArray(file, bytes, dataStart, descr, shape, fortran);
  const end = dataStart + arr.data.length * arr.data.BYTES_PER_ELEMENT;
  if (end !== bytes.length) {
    throw new DataError(file, `${bytes.length - end} bytes of trailing data after the array the header announces`, end);
  }
  return arr;
}

type HeaderValue = string | boolean | number[] | null;

/**
 * The NPY header is a Python literal; this reads exactly its grammar — a dict of string keys to
 * strings, True/False/None, and tuples of integers — and nothing more (never `eval`).
 */
function parseHeaderDict(text: string, file: string, base: number): Map<string, HeaderValue> {
  let i = 0;
  const fail = (what: string): never => {
    throw new DataError(file, `NPY header: ${what} at header character ${i}: ${clip(JSON.stringify(text.trim()))}`, base + i);
  };
  const digits = /\d+L?/y;
  const ws = (): void => { while (i < text.length && /\s/.test(text[i]!)) i++; };
  const expect = (c: string): void => { ws(); if (text[i] !== c) fail(`expected '${c}'`); i++; };
  const str = (): string => {
    ws();
    const q = text[i];
    if (q !== "'" && q !== '"') fail('expected a quoted string');
    const end = text.indexOf(q!, i + 1);
    if (end < 0) fail('unterminated string');
    const s = text.slice(i + 1, end);
    i = end + 1;
    return s;
  };
  const value = (): HeaderValue => {
    ws();
    if (text[i] === "'" || text[i] === '"') return str();
    for (const [word, v] of [['True', true], ['False', false], ['None', null]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    if (text[i] === '(') {
      i++;
      const dims: number[] = [];
      for (;;) {
        ws();
        if (text[i] === ')') { i++; return dims; }
        if (dims.length === MAX_DIMS) fail(`more than ${MAX_DIMS} dimensions in the shape tuple`);
        digits.lastIndex = i;
        const m = digits.exec(text);
        if (!m) fail('expected a non-negative integer in the shape tuple');
        dims.push(parseInt(m![0], 10));
        i += m![0].length;
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== ')') fail("expected ',' or ')' in the shape tuple");
      }
    }
    if (text[i] === '[') fail('structured dtypes (a list descr) are not supported');
    return fail('unexpected value');
  };
  const out = new Map<string, HeaderValue>();
  expect('{');
  for (;;) {
    ws();
    if (text[i] === '}') { i++; break; }
    const key = str();
    expect(':');
    out.set(key, value());
    ws();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail("expected ',' or '}'");
  }
  return out;
}

/** The zip members of an .npz archive, listed without inflating any. */
function npzMembers(bytes: Uint8Array, file: string): ZipMember[] {
  if (!isZip(bytes)) throw new DataError(file, 'not an NPZ (zip) archive: expected the magic bytes 50 4B 03 04 ("PK\\3\\4")', 0);
  return zipMembers(bytes, failIn(file));
}

/** One member's array: inflated within the size its NPY header announces, CRC-32 checked. */
function npzArray(bytes: Uint8Array, file: string, member: ZipMember): NdArray {
  const where = `${file}:${member.name}`;
  const data = zipMemberData(
    bytes,
    member,
    { maxBytes: MAX_NPY_HEADER + 12 + 8 * MAX_ELEMENTS, sizeFromHead: (head) => npySizeFromHead(head, where), announcer: 'its NPY header' },
    failIn(file),
  );
  return parseNpy(data, where);
}

/** Parses an .npz archive into its arrays, keyed by name without the '.npy' suffix. */
export function parseNpz(bytes: Uint8Array, file: string): Map<string, NdArray> {
  const out = new Map<string, NdArray>();
  for (const m of npzMembers(bytes, file)) {
    if (!m.name.endsWith('.npy')) continue;
    out.set(m.name.slice(0, -4), npzArray(bytes, file, m));
  }
  return out;
}

export interface NpzDatasetOptions {
  name: string;
  classes?: string[];
  source?: Record<string, unknown>;
}

/**
 * An .npz with x_train, y_train, x_test, y_test (Keras's mnist.npz layout) → Dataset. Only those
 * four members are inflated.
 */
export function npzDataset(bytes: Uint8Array, file: string, options: NpzDatasetOptions): Dataset {
  const members = npzMembers(bytes, file);
  const want = ['x_train', 'y_train', 'x_test', 'y_test'] as const;
  const byName = new Map(members.filter((m) => m.name.endsWith('.npy')).map((m) => [m.name.slice(0, -4), m]));
  const missing = want.filter((k) => !byName.has(k));
  if (missing.length > 0) {
    throw new DataError(
      file,
      `NPZ lacks ${missing.join(', ')}; expected arrays x_train, y_train, x_test, y_test (Keras mnist.npz layout), found ${clip([...byName.keys()].join(', ')) || 'none'}`,
    );
  }
  const [xTrain, yTrain, xTest, yTest] = want.map((k) => npzArray(bytes, file, byName.get(k)!)) as [NdArray, NdArray, NdArray, NdArray];
  return arraysToDataset(
    file,
    { xTrain, yTrain, xTest, yTest },
    {
      name: options.name,
      ...(options.classes ? { classes: options.classes } : {}),
      partNames: [`${file}:x_train`, `${file}:y_train`, `${file}:x_test`, `${file}:y_test`],
      source: { format: 'npz', file, ...options.source },
    },
  );
}

/** Writes a version-1.0 .npy of a C-order little-endian array (for tests and tools). */
export function writeNpy(descr: string, shape: number[], data: Uint8Array, fortranOrder = false): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  // Pad with spaces so that data starts on a 64-byte boundary; the header ends with '\n'.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, 10 + header.length);
  return out;
}
