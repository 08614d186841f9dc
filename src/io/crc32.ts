// CRC-32 as gzip, zip and PNG define it (ISO 3309 / ITU-T V.42): the reflected polynomial
// 0xEDB88320, initial value and final XOR 0xFFFFFFFF. One table lookup per byte. Browser-safe.
//
// crc32(b) of a whole buffer, or running: crc32(b2, crc32(b1)) = crc32(b1 ‖ b2).

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of `bytes`, continuing from `previous` (the CRC of the bytes before them; 0 to start). */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** "0x1a2b3c4d", for messages. */
export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}
