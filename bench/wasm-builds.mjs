// What the kernel A/B scripts (sparse-kernels.mjs, sparse-step-kernels.mjs) share: their
// command-line options, the bytes of a wasm build (a .wasm file or a generated module that
// embeds one), a bump allocator over a build's plain memory, real Omniglot drawings, a seeded
// uniform stream and the process's CPU clock.

import v8 from 'node:v8';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { decodePngGray } from '../dist/src/data/image-folder-node.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

/** The value after `name` in `args`, removed from it with its name; `def` when absent. */
export function takeOption(args, name, def) {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

/** The module bytes of a build: a .wasm file, or the base64 that a generated .ts module embeds. */
export function wasmBytes(path) {
  if (path.endsWith('.wasm')) return readFileSync(path);
  const text = readFileSync(path, 'utf8');
  const b64 = text.slice(text.indexOf('wasmBase64')).match(/'([A-Za-z0-9+/=]*)'/g).map((s) => s.slice(1, -1)).join('');
  return Buffer.from(b64, 'base64');
}

/** 64-byte-aligned blocks from `start` on in `memory`, and typed views on them. */
export function bumpAllocator(memory, start) {
  let top = Math.ceil(start / 64) * 64;
  return {
    alloc: (bytes) => {
      const at = top;
      top += Math.ceil(bytes / 64) * 64;
      return at;
    },
    f32: (at, n) => new Float32Array(memory.buffer, at, n),
    i32: (at, n) => new Int32Array(memory.buffer, at, n),
    /** Whether every block handed out lies inside the memory. */
    fits: () => top <= memory.buffer.byteLength,
  };
}

/**
 * Up to `n` Omniglot drawings (paper 1, ink 0; 11025 pixels) from the two small background zips
 * in `dir`, every 7th file (a spread of alphabets and drawers). Throws when a zip cannot be read.
 */
export function omniglotDrawings(dir, n) {
  const out = [];
  for (const zip of ['images_background_small1.zip', 'images_background_small2.zip']) {
    let files;
    try {
      files = unzipSync(readFileSync(join(dir, zip)), { filter: (f) => f.name.endsWith('.png') });
    } catch (e) {
      throw new Error(`cannot read ${join(dir, zip)} (${e.message}); set HANDGRAD_OMNIGLOT_DIR`, { cause: e });
    }
    const names = Object.keys(files).sort();
    for (let i = 0; i < names.length && out.length < n; i += 7) out.push(decodePngGray(files[names[i]], names[i]).pixels);
  }
  return out;
}

/** A seeded uniform stream on [0, 1) (a 32-bit LCG: enough for test operands). */
export function uniformStream(seed = 12345) {
  let s = seed;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** The process's CPU milliseconds (user + system, all threads). */
export function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
