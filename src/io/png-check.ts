// What a PNG will cost to decode, found before decoding it (browser-safe).
//
// A PNG's IHDR states its width and height in its first 33 bytes; a 2 MB file can state
// 50000×50000, which a decoder turns into 10 GB of RGBA. So the header is read first and the
// pixel count checked against a limit. Non-interlaced data is then inflated by the decoder
// with that size as its limit (pngjs does this); interlaced (Adam7) data is not, so its IDAT
// stream is inflated here first under the exact size its seven passes need.
//
// Layout: the 8-byte signature 89 50 4E 47 0D 0A 1A 0A, then chunks of
//   length (u32 BE) · type (4 ASCII) · data · CRC-32 (u32 BE)
// the first being IHDR: width, height (u32 BE), bit depth, colour type, compression, filter,
// interlace (1 = Adam7).

import { inflateRaw, type Fail } from './inflate.js';

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

/** 4096 × 4096: 64 MB of RGBA, far beyond any image a model here takes. */
export const MAX_PNG_PIXELS = 4096 * 4096;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** The signature and IHDR; `fail` receives byte offsets in the file. */
export function readPngHeader(bytes: Uint8Array, fail: Fail): PngHeader {
  if (bytes.length < 33 || !SIGNATURE.every((b, i) => bytes[i] === b)) fail('not a readable PNG: it does not start with the signature 89 50 4E 47 0D 0A 1A 0A and an IHDR chunk');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8, false) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') fail('not a readable PNG: the first chunk is not a 13-byte IHDR', 8);
  const header: PngHeader = {
    width: view.getUint32(16, false),
    height: view.getUint32(20, false),
    bitDepth: bytes[24]!,
    colorType: bytes[25]!,
    interlaced: bytes[28] === 1,
  };
  if (header.width === 0 || header.height === 0) fail(`IHDR states an empty image (${header.width}×${header.height})`, 16);
  if (CHANNELS[header.colorType] === undefined) fail(`IHDR states colour type ${header.colorType} (expected 0, 2, 3, 4 or 6)`, 25);
  return header;
}

/** Bytes of the inflated image data: per row one filter byte and ⌈width · bits per pixel / 8⌉. */
function imageDataSize(h: PngHeader): number {
  const bits = CHANNELS[h.colorType]! * h.bitDepth;
  const rows = (w: number, n: number): number => (w > 0 && n > 0 ? n * (1 + Math.ceil((w * bits) / 8)) : 0);
  if (!h.interlaced) return rows(h.width, h.height);
  // Adam7: seven passes over the pixels at (x0 + k·dx, y0 + l·dy).
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) total += rows(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy));
  return total;
}

/**
 * Refuses a PNG whose decoding would exceed `maxPixels`, or whose interlaced data inflates past
 * what its header needs. Returns the header.
 */
export function checkPngBudget(bytes: Uint8Array, fail: Fail, maxPixels = MAX_PNG_PIXELS): PngHeader {
  const h = readPngHeader(bytes, fail);
  if (h.width * h.height > maxPixels) {
    fail(`the image is ${h.width}×${h.height} (${h.width * h.height} pixels), more than the ${maxPixels} this reader decodes`, 16);
  }
  if (!h.interlaced) return h;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let at = 8; at + 12 <= bytes.length;) {
    const len = view.getUint32(at, false);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + len > bytes.length) fail(`truncated: chunk ${type} needs ${len} bytes of data`, at);
    if (type === 'IDAT') {
      parts.push(bytes.subarray(at + 8, at + 8 + len));
      total += len;
    }
    if (type === 'IEND') break;
    at += 12 + len;
  }
  const zlib = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    zlib.set(p, o);
    o += p.length;
  }
  // a zlib stream: a 2-byte header, raw deflate data, an Adler-32 the decoder checks
  inflateRaw(zlib.subarray(2), { maxBytes: imageDataSize(h), maxName: `what its ${h.width}×${h.height} interlaced pixels need` }, (m) => fail(`image data ${m}`));
  return h;
}
