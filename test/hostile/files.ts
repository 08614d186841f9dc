// Hostile input files, generated (nothing large is committed): pickles that describe huge
// structures, decompression bombs in gzip, zip and PNG, label files with stray labels, and the
// small valid files they are made from. Every generator is cheap: a bomb's compressed bytes are
// built by repeating one byte-aligned deflate block, never by compressing gigabytes.

import { zipSync } from 'fflate';
import { crc32 } from '../../src/io/crc32.js';
import { writeNpy } from '../../src/data/npy.js';
import { writeIdxU8 } from '../../src/data/idx.js';

// ---- bytes -------------------------------------------------------------------------------------

/** Concatenates strings (latin1 bytes), byte lists and byte arrays. */
export function bytes(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) => (p instanceof Uint8Array ? p : typeof p === 'string' ? Uint8Array.from(p, (c) => c.charCodeAt(0)) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

export function repeat(part: Uint8Array | string, times: number): Uint8Array {
  const p = typeof part === 'string' ? bytes(part) : part;
  const out = new Uint8Array(p.length * times);
  if (p.length === 1) return out.fill(p[0]!);
  for (let i = 0; i < times; i++) out.set(p, i * p.length);
  return out;
}

function u32le(v: number): number[] {
  return [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
}
function u32be(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

// ---- deflate streams of zeros ----------------------------------------------------------------
//
// A fixed-Huffman block (BTYPE 01) of k copies of "length 258, distance 1" takes
// 3 (header) + 13·k (8-bit code 285 + 5-bit distance code 0) + 7 (end of block) bits. With
// k ≡ 6 (mod 8) that is a whole number of bytes, so such blocks can be repeated byte for byte.
// The first block starts with one literal 0 (8 bits) for the matches to copy.

class BitWriter {
  private out: number[] = [];
  private acc = 0;
  private n = 0;
  /** `count` bits of `value`, least significant first (header fields, extra bits). */
  bits(value: number, count: number): void {
    for (let i = 0; i < count; i++) this.bit((value >>> i) & 1);
  }
  /** A Huffman code of `count` bits, most significant first. */
  code(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) this.bit((value >>> i) & 1);
  }
  private bit(b: number): void {
    this.acc |= b << this.n;
    if (++this.n === 8) { this.out.push(this.acc); this.acc = 0; this.n = 0; }
  }
  get aligned(): boolean {
    return this.n === 0;
  }
  finish(): Uint8Array {
    if (this.n > 0) this.out.push(this.acc);
    return Uint8Array.from(this.out);
  }
}

/** Fixed-Huffman code of a literal/length symbol: [code, bits]. */
function fixedCode(sym: number): [number, number] {
  if (sym <= 143) return [0x30 + sym, 8];
  if (sym <= 255) return [0x190 + sym - 144, 9];
  if (sym <= 279) return [sym - 256, 7];
  return [0xc0 + sym - 280, 8];
}

/** A match of `len` (3…258) at distance 1. */
function writeMatch(w: BitWriter, len: number): void {
  const table: [number, number, number][] = []; // [first length, symbol, extra bits]
  let L = 3;
  for (let sym = 257; sym <= 284; sym++) {
    const extra = sym < 265 ? 0 : Math.floor((sym - 261) / 4);
    table.push([L, sym, extra]);
    L += 1 << extra;
  }
  if (len === 258) w.code(...fixedCode(285));
  else {
    const [first, sym, extra] = table.filter(([f]) => f <= len).pop()!;
    w.code(...fixedCode(sym));
    w.bits(len - first, extra);
  }
  w.code(0, 5); // distance code 0: distance 1
}

const K = 6 + 8 * 500; // matches per repeated block: ≡ 6 (mod 8), 1,033,548 bytes each

function zerosBlock(first: boolean): Uint8Array {
  const w = new BitWriter();
  w.bits(0, 1); // BFINAL 0
  w.bits(1, 2); // BTYPE 01: fixed Huffman
  if (first) w.code(...fixedCode(0));
  for (let i = 0; i < K; i++) writeMatch(w, 258);
  w.code(...fixedCode(256));
  if (!w.aligned) throw new Error('zerosBlock: not byte-aligned');
  return w.finish();
}

/** A raw deflate stream that inflates to exactly `n` zero bytes (about 159:1). */
export function deflateZeros(n: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let left = n;
  if (left >= 1 + 258 * K) {
    parts.push(zerosBlock(true));
    left -= 1 + 258 * K;
    const block = zerosBlock(false);
    const times = Math.floor(left / (258 * K));
    parts.push(repeat(block, times));
    left -= times * 258 * K;
  }
  // the final block: a literal 0 when nothing was written yet, then matches, then literals
  const w = new BitWriter();
  w.bits(1, 1);
  w.bits(1, 2);
  if (left === n && left > 0) { w.code(...fixedCode(0)); left--; }
  while (left > 258 + 2) { writeMatch(w, 258); left -= 258; }
  if (left > 258) { writeMatch(w, left - 3); left = 3; } // 259 or 260: two matches of at least 3
  if (left >= 3) { writeMatch(w, left); left = 0; }
  while (left > 0) { w.code(...fixedCode(0)); left--; }
  w.code(...fixedCode(256));
  parts.push(w.finish());
  return bytes(...parts);
}

/** CRC-32 of `n` zero bytes. */
export function crcOfZeros(n: number): number {
  const chunk = new Uint8Array(1 << 20);
  let crc = 0;
  for (let left = n; left > 0; left -= chunk.length) crc = crc32(left >= chunk.length ? chunk : chunk.subarray(0, left), crc);
  return crc;
}

/** One gzip member around a raw deflate stream. */
export function gzipMember(deflated: Uint8Array, crc: number, size: number): Uint8Array {
  return bytes([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff], deflated, u32le(crc), u32le(size % 2 ** 32));
}

/** A gzip member holding `head` stored, then `zeros` zero bytes deflated. */
export function gzipHeadThenZeros(head: Uint8Array, zeros: number, crcZeros = true): Uint8Array {
  // a stored block (BTYPE 00) for the head: header byte, LEN, NLEN, the bytes
  const stored = bytes([0], [head.length & 255, head.length >> 8, ~head.length & 255, (~head.length >> 8) & 255], head);
  const crc = crcZeros ? crc32(new Uint8Array(zeros), crc32(head)) : 0;
  return gzipMember(bytes(stored, deflateZeros(zeros)), crc, head.length + zeros);
}

// ---- pickles ---------------------------------------------------------------------------------

/** PROTO 2, None, then TUPLE1 `n` times: a tuple nested n deep (1 MB for n = 10⁶). */
export function pickleNestedTuples(n: number): Uint8Array {
  return bytes([0x80, 2, 0x4e], repeat(new Uint8Array([0x85]), n), '.');
}

/** PROTO 2, None, then (DUP, TUPLE2) `n` times: a tuple of 2ⁿ leaves by shared references. */
export function pickleDoublings(n: number): Uint8Array {
  return bytes([0x80, 2, 0x4e], repeat(new Uint8Array([0x32, 0x86]), n), '.');
}

/** A GLOBAL whose module name is `n` bytes long. */
export function pickleLongGlobal(n: number): Uint8Array {
  return bytes([0x80, 2], 'c', repeat('a', n), '\nb\n.');
}

/** A STACK_GLOBAL whose module name is a BINUNICODE of `n` bytes. */
export function pickleLongStackGlobal(n: number): Uint8Array {
  return bytes([0x80, 4, 0x58], u32le(n), repeat('m', n), [0x8c, 1], 'x', [0x93], '.');
}

/** `n` MARKs, then STOP. */
export function pickleMarks(n: number): Uint8Array {
  return bytes([0x80, 2], repeat('(', n), '.');
}

/** None stored under `n` different memo keys (LONG_BINPUT). */
export function pickleMemo(n: number): Uint8Array {
  const parts: Uint8Array[] = [bytes([0x80, 2, 0x4e])];
  for (let i = 0; i < n; i++) parts.push(bytes('r', u32le(i)));
  parts.push(bytes('.'));
  return bytes(...parts);
}

// ---- NPY, NPZ, IDX -----------------------------------------------------------------------------

export function npyU1(shape: number[], data?: Uint8Array): Uint8Array {
  return writeNpy('|u1', shape, data ?? new Uint8Array(shape.reduce((a, b) => a * b, 1)));
}
export function npyI8(values: number[]): Uint8Array {
  return writeNpy('<i8', [values.length], new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer));
}

/** Labels 0…classes−1 in turn, with `stray` put at the positions given. */
export function labels(n: number, classes: number, stray: [number, number][] = []): number[] {
  const y = Array.from({ length: n }, (_, i) => i % classes);
  for (const [i, v] of stray) y[i] = v;
  return y;
}

/** pixels: a simple learnable pattern per class, so a short training run has something to fit. */
export function images(y: number[], side: number): Uint8Array {
  const px = new Uint8Array(y.length * side * side);
  y.forEach((c, i) => { for (let j = 0; j < side * side; j++) px[i * side * side + j] = (j * 7 + (c % 10) * 23) % 256; });
  return px;
}

/** A Keras-layout NPZ of small images with the given labels (deflated, as np.savez_compressed). */
export function labelNpz(yTrain: number[], yTest: number[], side = 8): Uint8Array {
  return zipSync({
    'x_train.npy': npyU1([yTrain.length, side, side], images(yTrain, side)),
    'y_train.npy': npyI8(yTrain),
    'x_test.npy': npyU1([yTest.length, side, side], images(yTest, side)),
    'y_test.npy': npyI8(yTest),
  });
}

/**
 * A zip whose members are given as raw parts: stored bytes, or deflated ones with the size and
 * CRC they claim. Written here rather than by fflate so that a member can be a bomb.
 */
export function zipOf(members: { name: string; data: Uint8Array; method: 0 | 8; size: number; crc: number }[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = bytes(m.name);
    const local = bytes(u32le(0x04034b50), [20, 0, 0, 0, m.method, 0, 0, 0, 0, 0], u32le(m.crc), u32le(m.data.length), u32le(m.size % 2 ** 32), [name.length, 0, 0, 0], name, m.data);
    central.push(bytes(u32le(0x02014b50), [20, 0, 20, 0, 0, 0, m.method, 0, 0, 0, 0, 0], u32le(m.crc), u32le(m.data.length), u32le(m.size % 2 ** 32), [name.length, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], u32le(offset), name));
    locals.push(local);
    offset += local.length;
  }
  const dir = bytes(...central);
  return bytes(...locals, dir, u32le(0x06054b50), [0, 0, 0, 0, members.length, 0, members.length, 0], u32le(dir.length), u32le(offset), [0, 0]);
}

/** A stored zip member. */
export function stored(name: string, data: Uint8Array): { name: string; data: Uint8Array; method: 0; size: number; crc: number } {
  return { name, data, method: 0, size: data.length, crc: crc32(data) };
}

/** An NPZ with a valid data set and an unused member `junk.npy` that inflates to `junkBytes`. */
export function npzWithUnusedBomb(junkBytes: number): Uint8Array {
  const y = labels(40, 4);
  return zipOf([
    stored('x_train.npy', npyU1([40, 8, 8], images(y, 8))),
    stored('y_train.npy', npyI8(y)),
    stored('x_test.npy', npyU1([40, 8, 8], images(y, 8))),
    stored('y_test.npy', npyI8(y)),
    { name: 'junk.npy', data: deflateZeros(junkBytes), method: 8, size: junkBytes, crc: 0 },
  ]);
}

/** An NPZ whose x_train member has a small NPY header but inflates to `bytes` (its directory agrees). */
export function npzWithLyingMember(totalBytes: number): Uint8Array {
  const y = labels(40, 4);
  const header = npyU1([40, 8, 8]).subarray(0, 128); // the 128-byte v1 header of a (40, 8, 8) u1 array
  const stream = bytes([0], [header.length & 255, header.length >> 8, ~header.length & 255, (~header.length >> 8) & 255], header, deflateZeros(totalBytes - header.length));
  return zipOf([
    { name: 'x_train.npy', data: stream, method: 8, size: totalBytes, crc: 0 },
    stored('y_train.npy', npyI8(y)),
    stored('x_test.npy', npyU1([40, 8, 8], images(y, 8))),
    stored('y_test.npy', npyI8(y)),
  ]);
}

/** The four IDX files of a small data set (raw). */
export function idxFiles(n = 60, side = 8, classes = 4): { trainImages: Uint8Array; trainLabels: Uint8Array; testImages: Uint8Array; testLabels: Uint8Array } {
  const y = labels(n, classes);
  return {
    trainImages: writeIdxU8([n, side, side], images(y, side)),
    trainLabels: writeIdxU8([n], Uint8Array.from(y)),
    testImages: writeIdxU8([n, side, side], images(y, side)),
    testLabels: writeIdxU8([n], Uint8Array.from(y)),
  };
}

/** The 16-byte header of an IDX u8 image file of shape (n, rows, cols). */
export function idxImageHeader(n: number, rows: number, cols: number): Uint8Array {
  return bytes([0, 0, 8, 3], u32be(n), u32be(rows), u32be(cols));
}

// ---- PNG ---------------------------------------------------------------------------------------

function chunk(type: string, data: Uint8Array): Uint8Array {
  const td = bytes(type, data);
  return bytes(u32be(data.length), td, u32be(crc32(td)));
}

/**
 * A valid 1-bit greyscale PNG of width × height black pixels: rows of a filter byte and
 * ⌈width/8⌉ zero bytes, deflated. 50000 × 50000 gives a file of about 2 MB.
 */
export function blackPng(width: number, height: number, interlaced = false): Uint8Array {
  const raw = height * (1 + Math.ceil(width / 8));
  if (interlaced) throw new Error('blackPng: interlaced images are built by interlacedBombPng');
  const zlib = bytes([0x78, 0x01], deflateZeros(raw), u32be(((raw % 65521) << 16 | 1) >>> 0));
  const ihdr = bytes(u32be(width), u32be(height), [1, 0, 0, 0, 0]);
  return bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], chunk('IHDR', ihdr), chunk('IDAT', zlib), chunk('IEND', new Uint8Array(0)));
}

/** An interlaced 8×8 greyscale PNG whose IDAT inflates to `zeros` bytes (its seven passes need 72). */
export function interlacedBombPng(zeros: number): Uint8Array {
  const zlib = bytes([0x78, 0x01], deflateZeros(zeros), u32be(((zeros % 65521) << 16 | 1) >>> 0));
  const ihdr = bytes(u32be(8), u32be(8), [8, 0, 0, 0, 1]);
  return bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], chunk('IHDR', ihdr), chunk('IDAT', zlib), chunk('IEND', new Uint8Array(0)));
}

// ---- safetensors -------------------------------------------------------------------------------

/** A safetensors file of a JSON header (padded to 8 bytes) and raw data. */
export function safetensorsOf(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = new TextEncoder().encode(text);
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  out.set(data, 8 + padded);
  return out;
}
