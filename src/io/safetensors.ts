// safetensors (https://github.com/huggingface/safetensors), read and written on plain Uint8Arrays
// so it runs in browsers too. The layout:
//   bytes [0, 8)        N, the header length, an unsigned 64-bit little-endian integer
//   bytes [8, 8+N)      a UTF-8 JSON object: name → { dtype, shape, data_offsets: [begin, end] },
//                       plus an optional "__metadata__": { string: string }
//   bytes [8+N, …)      the tensor data, row-major, little-endian; data_offsets are relative to 8+N
// As the reference writer does, the header is padded with spaces to a multiple of 8 bytes and the
// tensors are stored by decreasing dtype alignment, then by name, with no gaps. The reader checks
// every rule the reference reader checks (contiguous offsets covering the whole buffer, sizes that
// match the shapes) and names the byte offset of what is wrong. The whole header is checked
// against that schema (known dtype, at most MAX_DIMS safe-integer dimensions, safe-integer
// offsets in range, tensors tiling the data exactly) before any tensor is allocated; texts taken
// from the file are clipped in messages.

import { HandgradError, Tensor, shapeSize, shapeString } from '../tensor.js';

/** The error readSafetensors throws on a malformed file: it names the problem and where in the header or data it is. */
export class SafetensorsError extends HandgradError {
  override name = 'SafetensorsError';
}

/** Tensors by name, plus the free-form string metadata. */
export interface SafetensorsFile {
  /** The tensors by name, in the file's order. */
  tensors: Map<string, Tensor>;
  /** The header's "__metadata__" strings ({} when none). */
  metadata: Record<string, string>;
}

const DTYPE_BYTES = new Map<string, number>([
  ['BOOL', 1], ['U8', 1], ['I8', 1], ['F8_E5M2', 1], ['F8_E4M3', 1], ['I16', 2], ['U16', 2], ['F16', 2], ['BF16', 2],
  ['I32', 4], ['U32', 4], ['F32', 4], ['F64', 8], ['I64', 8], ['U64', 8],
]);
/**
 * The longest header read: 16 MiB, room for some 150,000 tensors. (The reference allows 100 MB;
 * parsing that much JSON can take over half a gigabyte, so this reader stops sooner.)
 */
const MAX_HEADER = 16 * 2 ** 20;
/** The most dimensions a tensor may have. */
const MAX_DIMS = 64;

/** A text from the file, at most `max` characters, for messages. */
function clip(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}
/**
 * A value from the file as JSON, for messages: at most 8 items of an array or object and
 * 3 levels are written (never the whole of a huge value), and the text is clipped.
 */
function shown(v: unknown, depth = 3): string {
  if (Array.isArray(v)) {
    if (depth === 0) return '[…]';
    const items = v.slice(0, 8).map((x) => shown(x, depth - 1));
    return clip(`[${items.join(',')}${v.length > 8 ? `,… (${v.length} items)` : ''}]`);
  }
  if (v !== null && typeof v === 'object') {
    if (depth === 0) return '{…}';
    const entries = Object.entries(v);
    const items = entries.slice(0, 8).map(([k, x]) => `${clip(JSON.stringify(k), 40)}:${shown(x, depth - 1)}`);
    return clip(`{${items.join(',')}${entries.length > 8 ? `,… (${entries.length} keys)` : ''}}`);
  }
  if (typeof v === 'string') return v.length <= 80 ? JSON.stringify(v) : `${JSON.stringify(v.slice(0, 80))}… (${v.length} characters)`;
  return clip(String(JSON.stringify(v) ?? v));
}
/** "tensor 'name'", clipped. */
function tensorName(name: string): string {
  return `tensor '${clip(name)}'`;
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/**
 * Serialises named tensors (float32 → F32, float64 → F64) and optional string metadata.
 * `tensors` may be a Map, a plain object, or [name, tensor] pairs, e.g. `writeSafetensors(model.stateDict())`
 * (parameters and buffers under PyTorch's names). To save a whole model with its config,
 * normalisation and class names, so that it loads back in one call, use `saveModel`/`loadModel`.
 */
export function writeSafetensors(
  tensors: Map<string, Tensor> | Record<string, Tensor> | [string, Tensor][],
  metadata?: Record<string, string>,
): Uint8Array {
  if (!littleEndian()) throw new SafetensorsError('writeSafetensors: this platform is big-endian; safetensors data is little-endian');
  const entries: [string, Tensor][] = tensors instanceof Map ? [...tensors] : Array.isArray(tensors) ? [...tensors] : Object.entries(tensors);
  const seen = new Set<string>();
  for (const [name, t] of entries) {
    if (typeof name !== 'string' || name.length === 0) throw new SafetensorsError(`writeSafetensors: tensor names must be non-empty strings, got ${JSON.stringify(name)}`);
    if (name === '__metadata__') throw new SafetensorsError("writeSafetensors: '__metadata__' is reserved and cannot name a tensor");
    if (seen.has(name)) throw new SafetensorsError(`writeSafetensors: tensor name '${name}' appears twice`);
    if (!(t instanceof Tensor)) throw new SafetensorsError(`writeSafetensors: '${name}' is not a Tensor`);
    seen.add(name);
  }
  // Reference order: larger alignment first, then by name, so every tensor starts aligned.
  const bytesOf = (t: Tensor): number => (t.dtype === 'float64' ? 8 : 4);
  entries.sort((a, b) => bytesOf(b[1]) - bytesOf(a[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError(`writeSafetensors: metadata '${k}' must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const n = t.size * bytesOf(t);
    header[name] = { dtype: t.dtype === 'float64' ? 'F64' : 'F32', shape: [...t.shape], data_offsets: [offset, offset + n] };
    offset += n;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded); // spaces, as the reference pads
  let at = 8 + padded;
  for (const [, t] of entries) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

type Fail = (offset: number, message: string) => never;

/** One tensor as the header describes it; offsets are relative to the data's start. */
interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** What the header says: where the data starts, the metadata, the tensors sorted by offset. */
interface Layout {
  dataStart: number;
  metadata: Record<string, string>;
  entries: Entry[];
  /** Tensor names in the header's order. */
  names: string[];
}

/** The header's JSON object: length, bounds, UTF-8, JSON, an object. */
function readHeaderJson(bytes: Uint8Array, fail: Fail): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) fail(0, `the file has ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) fail(0, `header length ${n64} is larger than the ${MAX_HEADER} bytes (16 MiB) read (not a safetensors file?)`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(0, `header length ${n} runs past the end of the file (${bytes.length} bytes): truncated?`);
  if (n < 2) fail(8, `header length ${n} is too short for a JSON object`);
  if (bytes[8] !== 0x7b) fail(8, `the header must start with '{', found byte 0x${bytes[8]!.toString(16).padStart(2, '0')}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail(8, 'the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(8, `the header is not valid JSON (${clip((e as Error).message)})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return fail(8, 'the header must be a JSON object');
  return { header: header as Record<string, unknown>, dataStart: 8 + n };
}

/**
 * The header checked against the schema: string metadata; per tensor a known dtype, at most
 * MAX_DIMS safe-integer dimensions, safe-integer offsets inside the data, a size that matches
 * the shape; the tensors tiling the data exactly. Allocates no tensor.
 */
function readLayout(bytes: Uint8Array, fail: Fail): Layout {
  const { header: h, dataStart } = readHeaderJson(bytes, fail);
  const dataLength = bytes.length - dataStart;

  const metadata: Record<string, string> = {};
  if (Object.hasOwn(h, '__metadata__')) {
    const m = h.__metadata__;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) fail(8, '"__metadata__" must be an object of strings');
    for (const [k, v] of Object.entries(m as object)) {
      if (typeof v !== 'string') fail(8, `"__metadata__".${shown(k)} must be a string, got ${shown(v)}`);
      if (k === '__proto__') fail(8, '"__metadata__" may not hold the key "__proto__"');
      metadata[k] = v as string;
    }
  }

  const entries: Entry[] = [];
  const names: string[] = [];
  const isSize = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 0;
  for (const [name, v] of Object.entries(h)) {
    if (name === '__metadata__') continue;
    const where = tensorName(name);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(8, `${where}: expected {dtype, shape, data_offsets}, got ${shown(v)}`);
    const e = v as Record<string, unknown>;
    const itemBytes = typeof e.dtype === 'string' ? DTYPE_BYTES.get(e.dtype) : undefined;
    if (itemBytes === undefined) return fail(8, `${where}: unknown dtype ${shown(e.dtype)}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.length > MAX_DIMS || !shape.every(isSize)) {
      return fail(8, `${where}: shape must be a list of at most ${MAX_DIMS} non-negative integers, got ${shown(shape)}`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !isSize(off[0]) || !isSize(off[1]) || off[0] > off[1]) {
      return fail(8, `${where}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${shown(off)}`);
    }
    const [begin, end] = [off[0], off[1]];
    if (end > dataLength) fail(8, `${where}: data_offsets [${begin}, ${end}] run past the ${dataLength} data bytes of the file: truncated?`);
    const expected = shapeSize(shape) * itemBytes;
    if (end - begin !== expected) {
      fail(dataStart + begin, `${where}: ${e.dtype} ${clip(shapeString(shape))} needs ${expected} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push({ name, dtype: e.dtype as string, shape, begin, end });
    names.push(name);
  }
  // The tensors must tile the data buffer exactly: sorted by offset, each starts where the last ended.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const e of entries) {
    if (e.begin !== expectedBegin) {
      fail(dataStart + Math.min(e.begin, expectedBegin), `${tensorName(e.name)} starts at data offset ${e.begin} but the previous tensor ends at ${expectedBegin} (overlap or gap)`);
    }
    expectedBegin = e.end;
  }
  if (expectedBegin !== dataLength) {
    fail(dataStart + Math.min(expectedBegin, dataLength), expectedBegin > dataLength
      ? `the tensors need ${expectedBegin} data bytes but the file holds ${dataLength}: truncated?`
      : `${dataLength - expectedBegin} bytes after the last tensor are not described by the header`);
  }
  return { dataStart, metadata, entries, names };
}

/**
 * Parses a safetensors file. F32 and F64 tensors become float32 / float64 Tensors (copied, so
 * the input can be dropped); any other dtype is reported by name and offset. The whole header
 * is checked (readLayout) before any tensor is allocated. `source` names the file in messages.
 */
export function readSafetensors(bytes: Uint8Array, source = 'safetensors data'): SafetensorsFile {
  const fail: Fail = (offset, message) => {
    throw new SafetensorsError(`${source}: byte ${offset}: ${message}`);
  };
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError(`${source}: expected a Uint8Array`);
  const { dataStart, metadata, entries, names } = readLayout(bytes, fail);
  if (!littleEndian()) throw new SafetensorsError(`${source}: this platform is big-endian; safetensors data is little-endian`);
  for (const e of entries) {
    if (e.dtype !== 'F32' && e.dtype !== 'F64') {
      fail(dataStart + e.begin, `${tensorName(e.name)} has dtype ${e.dtype}; handgrad reads F32 and F64 only (convert it with .float() in PyTorch)`);
    }
  }
  const byName = new Map<string, Tensor>();
  for (const e of entries) {
    // slice() copies into a fresh, aligned buffer (the data may sit at any byte offset).
    const raw = bytes.slice(dataStart + e.begin, dataStart + e.end).buffer;
    byName.set(e.name, new Tensor(e.dtype === 'F64' ? new Float64Array(raw) : new Float32Array(raw), e.shape));
  }
  // The header's order, for the caller (JSON objects keep insertion order).
  const tensors = new Map<string, Tensor>();
  for (const name of names) tensors.set(name, byName.get(name)!);
  return { tensors, metadata };
}

/**
 * Refuses weights that hold NaN or ±∞: a model trained to a divergence evaluates to garbage
 * without a word otherwise. The error names the tensor, the element and its value.
 */
export function checkFinite(tensors: Map<string, Tensor>, source: string): void {
  for (const [name, t] of tensors) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i]!)) {
        let bad = 0;
        for (let j = i; j < d.length; j++) if (!Number.isFinite(d[j]!)) bad++;
        throw new SafetensorsError(
          `${source}: ${tensorName(name)} holds ${d[i]} at element ${i} (${bad} of its ${d.length} values are not finite): the weights are unusable (did training diverge?)`,
        );
      }
    }
  }
}
