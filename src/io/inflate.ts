// DEFLATE and gzip decompression under a budget (browser-safe, over fflate's streaming classes).
//
// A compressed stream says nothing trustworthy about its inflated size: deflate reaches 1032:1,
// so 5 MB may hold 5 GB, and gzip's ISIZE is only the size mod 2³². The readers know the size
// from elsewhere: a header inside the output (IDX dimensions, an NPY header) or the archive's
// record of a member. So the input is inflated a slice at a time and stopped at that size:
//   1. input is pushed SLICE bytes at a time; one push inflates at most 1032·SLICE bytes;
//   2. until the size is known, the output so far (the head) goes to `sizeFromHead`, which
//      returns the total size the head announces, or undefined to see more of it;
//   3. that size is checked against `maxBytes` and against what the input can hold
//      (1032 × its length), and the output buffer is allocated once at that size;
//   4. output past the size fails at once; output short of it is returned as it is, for the
//      caller to report as truncated with its own offsets;
//   5. gzip: every member's CRC-32 and ISIZE are checked against its trailer; several members
//      (concatenated .gz files) are one stream, as RFC 1952 and `gzip -d` have it.
// Errors go through the caller's `fail`, so each reader raises its own error type with its
// file name; inflate errors from fflate are reported as a corrupt or truncated stream.

import { Gunzip, Inflate } from 'fflate';
import { crc32, hex32 } from './crc32.js';

/** Raises the caller's error: `offset` is a byte of the compressed input, when known. */
export type Fail = (message: string, offset?: number) => never;

export interface OutputBudget {
  /** Never more output than this many bytes, whatever the data announces. */
  maxBytes: number;
  /** The total output size the head announces, or undefined until more of the head is seen. */
  sizeFromHead?: (head: Uint8Array) => number | undefined;
  /** Who announced the size, for messages: "its IDX header", "its NPY header". */
  announcer?: string;
  /** What `maxBytes` is, for messages (default "the most this reader accepts"). */
  maxName?: string;
}

/** deflate's largest ratio of output to input (zlib's technical notes: 1032:1). */
export const MAX_DEFLATE_RATIO = 1032;
const SLICE = 1 << 16;
/** Smaller slices while the size is unknown, so the head stays small. */
const HEAD_SLICE = 1 << 10;

/** Output that refuses to grow past the size its head announces. */
class BoundedOutput {
  private head: Uint8Array[] = [];
  private buffer: Uint8Array | undefined;
  private expected: number | undefined;
  total = 0;

  /** `ours` collects the errors raised here and by sizeFromHead, to tell them from the inflater's. */
  constructor(
    private readonly budget: OutputBudget,
    private readonly inputBytes: number,
    private readonly fail: Fail,
    private readonly ours: Set<unknown>,
  ) {}

  get sizeKnown(): boolean {
    return this.expected !== undefined || this.budget.sizeFromHead === undefined;
  }

  add(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const next = this.total + chunk.length;
    const who = this.budget.announcer ?? 'its header';
    if (this.buffer !== undefined && this.expected !== undefined) {
      if (next > this.expected) this.fail(`inflates to more than the ${this.expected} bytes ${who} announces`);
      this.buffer.set(chunk, this.total);
      this.total = next;
      return;
    }
    if (next > this.budget.maxBytes) this.fail(`inflates to more than ${this.budget.maxBytes} bytes, ${this.budget.maxName ?? 'the most this reader accepts'}`);
    this.head.push(chunk);
    this.total = next;
    if (this.budget.sizeFromHead === undefined) return;
    const head = concat(this.head, this.total);
    this.head = [head];
    let size: number | undefined;
    try {
      size = this.budget.sizeFromHead(head);
    } catch (e) {
      this.ours.add(e);
      throw e;
    }
    if (size === undefined) return;
    if (!Number.isSafeInteger(size) || size < 0) this.fail(`${who} announces an invalid size ${size}`);
    if (size > this.budget.maxBytes) this.fail(`${who} announces ${size} bytes, more than ${this.budget.maxBytes}, ${this.budget.maxName ?? 'the most this reader accepts'}`);
    if (size > MAX_DEFLATE_RATIO * this.inputBytes + 1024) {
      this.fail(`truncated: ${who} announces ${size} bytes, but ${this.inputBytes} compressed bytes inflate to at most ${MAX_DEFLATE_RATIO * this.inputBytes}`);
    }
    if (this.total > size) this.fail(`inflates to more than the ${size} bytes ${who} announces`);
    this.expected = size;
    this.buffer = new Uint8Array(size);
    this.buffer.set(head);
    this.head = [];
  }

  /** The bytes inflated so far (shorter than announced when the input ended early). */
  result(): Uint8Array {
    if (this.buffer !== undefined) return this.total === this.buffer.length ? this.buffer : this.buffer.subarray(0, this.total);
    return concat(this.head, this.total);
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === total) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Pushes `input` through a streaming inflater in slices (small ones until the output's size is
 * known), stopping at the first error. `ours` tells the caller's own errors (re-thrown as they
 * are) from fflate's (a corrupt or truncated stream).
 */
function pushInSlices(
  input: Uint8Array,
  out: BoundedOutput,
  push: (slice: Uint8Array, final: boolean) => void,
  fail: Fail,
  ours: Set<unknown>,
  what: string,
): void {
  let at = 0;
  try {
    do {
      const n = out.sizeKnown ? SLICE : HEAD_SLICE;
      const end = Math.min(input.length, at + n);
      push(input.subarray(at, end), end === input.length);
      at = end;
    } while (at < input.length);
  } catch (e) {
    if (ours.has(e)) throw e;
    fail(`${what} is corrupt or truncated (${(e as Error).message}); the input has ${input.length} bytes`);
  }
}

/** Wraps `fail` so that the errors it raises can be told from the inflater's. */
function tracking(fail: Fail): { fail: Fail; ours: Set<unknown> } {
  const ours = new Set<unknown>();
  return {
    ours,
    fail: (message, offset) => {
      try {
        return fail(message, offset);
      } catch (e) {
        ours.add(e);
        throw e;
      }
    },
  };
}

/** Inflates raw DEFLATE data (a zip member) within `budget`. */
export function inflateRaw(input: Uint8Array, budget: OutputBudget, fail: Fail): Uint8Array {
  const t = tracking(fail);
  const out = new BoundedOutput(budget, input.length, t.fail, t.ours);
  const inflater = new Inflate((chunk) => out.add(chunk));
  pushInSlices(input, out, (slice, final) => inflater.push(slice, final), t.fail, t.ours, 'deflate data');
  return out.result();
}

/** True when the bytes start with gzip's magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzip data (one member or several) within `budget`, then checks each member's
 * trailer: CRC-32 of its output and ISIZE = its output's length mod 2³².
 */
export function gunzip(input: Uint8Array, budget: OutputBudget, fail: Fail): Uint8Array {
  const t = tracking(fail);
  const out = new BoundedOutput(budget, input.length, t.fail, t.ours);
  // Member k starts at starts[k]; its output's CRC and length accumulate in crcs[k], sizes[k].
  const starts = [0];
  const crcs = [0];
  const sizes = [0];
  const g = new Gunzip((chunk) => {
    const k = crcs.length - 1;
    crcs[k] = crc32(chunk, crcs[k]);
    sizes[k]! += chunk.length;
    out.add(chunk);
  });
  g.onmember = (offset) => {
    starts.push(offset);
    crcs.push(0);
    sizes.push(0);
  };
  pushInSlices(input, out, (slice, final) => g.push(slice, final), t.fail, t.ours, 'gzip data');
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  for (let k = 0; k < starts.length; k++) {
    // The trailer is the 8 bytes before the next member, or before the end of the input.
    const end = k + 1 < starts.length ? starts[k + 1]! : input.length;
    const member = starts.length > 1 ? `gzip member ${k + 1} of ${starts.length} (from byte ${starts[k]})` : 'gzip data';
    if (end - 8 < starts[k]! + 10) t.fail(`truncated: ${member} has no room for its 8-byte trailer`, end);
    const crc = view.getUint32(end - 8, true);
    const isize = view.getUint32(end - 4, true);
    if (crc !== crcs[k]) {
      t.fail(`${member}: CRC-32 of the inflated data is ${hex32(crcs[k]!)} but the trailer records ${hex32(crc)}: the data is corrupt (or the file was cut short)`, end - 8);
    }
    if (isize !== sizes[k]! % 2 ** 32) {
      t.fail(`${member}: inflates to ${sizes[k]} bytes but the trailer records ISIZE ${isize} (the size mod 2^32)`, end - 4);
    }
  }
  return out.result();
}

/**
 * The first `n` bytes of gzip data's output (fewer when it is shorter or corrupt), inflating
 * no more than the slices that hold them: enough to recognise a format.
 */
export function gunzipHead(input: Uint8Array, n: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const g = new Gunzip((chunk) => {
    chunks.push(chunk);
    total += chunk.length;
  });
  try {
    for (let at = 0; at < input.length && total < n; at += HEAD_SLICE) {
      const end = Math.min(input.length, at + HEAD_SLICE);
      g.push(input.subarray(at, end), end === input.length);
    }
  } catch {
    // a corrupt stream: what was inflated before the error is all there is
  }
  return concat(chunks, total).subarray(0, n);
}
