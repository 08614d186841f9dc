// Zip archives, read through their central directory (browser-safe): the members are listed
// without inflating any, and a member is inflated only when asked for, under a budget, with its
// size and CRC-32 checked against the directory. This is what np.savez writes (stored or
// deflated members, zip64 records since numpy forces them).
//
// Layout (all integers little-endian; APPNOTE.TXT):
//   local file header  PK\3\4 … name, extra, then the member's data
//   central directory  one PK\1\2 record per member: method, CRC-32, compressed and
//                      uncompressed sizes, offset of its local header, name
//   end of directory   PK\5\6: the directory's offset, size and entry count, then a comment of
//                      up to 65535 bytes; when a field overflows, a zip64 record (PK\6\6, found
//                      through the locator PK\6\7 just before PK\5\6) holds 64-bit values, as
//                      does a member's extra field 0x0001 for its sizes and offset.

import { crc32, hex32 } from './crc32.js';
import { inflateRaw, type Fail, type OutputBudget } from './inflate.js';

export interface ZipMember {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the member's local header. */
  headerOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** True when the bytes start like a zip archive (local file header "PK\3\4" or empty archive "PK\5\6"). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

/** The members listed in the central directory, in its order. Names must be unique. */
export function zipMembers(bytes: Uint8Array, fail: Fail): ZipMember[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (what: string, offset?: number): never => fail(`zip archive is corrupt or truncated: ${what}; the file has ${bytes.length} bytes`, offset);
  const u64 = (at: number, what: string): number => {
    const v = view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(`${what} ${v} is out of range`, at);
    return Number(v);
  };
  // The end record is the last PK\5\6 within the final 22 + 65535 bytes.
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) corrupt('no end-of-central-directory record (PK\\5\\6) at its end');
  let count = view.getUint16(eocd + 10, true);
  let dirSize = view.getUint32(eocd + 12, true);
  let dirOffset = view.getUint32(eocd + 16, true);
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) fail('multi-disk zip archives are not supported', eocd);
  if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== EOCD64_LOCATOR) corrupt('a zip64 archive without its zip64 locator (PK\\6\\7)', eocd);
    const rec = u64(loc + 8, 'the zip64 end record offset');
    if (rec + 56 > bytes.length || view.getUint32(rec, true) !== EOCD64) corrupt(`no zip64 end record (PK\\6\\6) at byte ${rec}`, loc + 8);
    count = u64(rec + 32, 'the zip64 entry count');
    dirSize = u64(rec + 40, 'the zip64 directory size');
    dirOffset = u64(rec + 48, 'the zip64 directory offset');
  }
  if (dirOffset + dirSize > bytes.length) corrupt(`the central directory [${dirOffset}, ${dirOffset + dirSize}) runs past the end of the file`, eocd + 16);
  if (count * 46 > dirSize) corrupt(`${count} entries cannot fit in a central directory of ${dirSize} bytes`, eocd + 10);

  const members: ZipMember[] = [];
  const seen = new Set<string>();
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8');
  let at = dirOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > dirOffset + dirSize || view.getUint32(at, true) !== CENTRAL) corrupt(`central directory entry ${i} is not a PK\\1\\2 record`, at);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    let compressedSize = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    let headerOffset = view.getUint32(at + 42, true);
    const end = at + 46 + nameLen + extraLen + commentLen;
    if (end > dirOffset + dirSize) corrupt(`central directory entry ${i} runs past the directory's end`, at);
    const rawName = bytes.subarray(at + 46, at + 46 + nameLen);
    const name = flags & 0x800 ? utf8.decode(rawName) : latin1.decode(rawName);
    // zip64 extra field (id 1): the 64-bit values of the fields set to 0xffffffff, in this order.
    let e = at + 46 + nameLen;
    while (e + 4 <= at + 46 + nameLen + extraLen) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 1) {
        let f = e + 4;
        const take = (what: string): number => {
          if (f + 8 > e + 4 + len) corrupt(`member '${name}': its zip64 extra field lacks ${what}`, e);
          const v = u64(f, `member '${name}': ${what}`);
          f += 8;
          return v;
        };
        if (size === 0xffffffff) size = take('the size');
        if (compressedSize === 0xffffffff) compressedSize = take('the compressed size');
        if (headerOffset === 0xffffffff) headerOffset = take('the header offset');
      }
      e += 4 + len;
    }
    if (flags & 1) fail(`member '${name}' is encrypted`, at);
    if (seen.has(name)) fail(`member '${name}' appears twice in the central directory`, at);
    seen.add(name);
    members.push({ name, method, crc, compressedSize, size, headerOffset });
    at = end;
  }
  return members;
}

/**
 * The bytes of one member: stored ones as a view of `bytes`, deflated ones inflated within
 * `budget` (never past the size the directory records). Checks the size and the CRC-32.
 * `fail` receives offsets in the archive.
 */
export function zipMemberData(bytes: Uint8Array, member: ZipMember, budget: OutputBudget, fail: Fail): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const where = `member '${member.name}'`;
  const h = member.headerOffset;
  if (h + 30 > bytes.length || view.getUint32(h, true) !== LOCAL) fail(`zip archive is corrupt: ${where} has no local header (PK\\3\\4) at byte ${h}`, h);
  const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
  const end = start + member.compressedSize;
  if (end > bytes.length) fail(`zip archive is truncated: ${where} needs bytes [${start}, ${end}) but the file has ${bytes.length}`, start);
  const raw = bytes.subarray(start, end);
  let data: Uint8Array;
  if (member.method === 0) {
    if (member.size !== member.compressedSize) fail(`${where} is stored but records ${member.size} bytes of data in ${member.compressedSize}`, h);
    data = raw;
  } else if (member.method === 8) {
    if (member.size > budget.maxBytes) fail(`${where} records ${member.size} bytes of data, more than the ${budget.maxBytes} this reader accepts`, h);
    const limited: OutputBudget = { ...budget, maxBytes: member.size, maxName: 'the size the zip directory records' };
    data = inflateRaw(raw, limited, (message) => fail(`${where}: ${message}`, start));
  } else {
    return fail(`${where} uses compression method ${member.method}; only stored (0) and deflated (8) members are read`, h);
  }
  if (data.length !== member.size) fail(`${where} inflates to ${data.length} bytes but the directory records ${member.size}`, start);
  const crc = crc32(data);
  if (crc !== member.crc) fail(`${where}: CRC-32 of its data is ${hex32(crc)} but the directory records ${hex32(member.crc)}: the member is corrupt`, start);
  return data;
}
