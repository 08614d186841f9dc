// Folders of PNG images (Node only: reads the file system; decodes with pngjs).
//
// Two layouts:
//  1. Generic:   root/<class>/*.png            classes = sub-folder names, sorted
//                root/train/<class>/*.png and root/test/<class>/*.png when both exist (the
//                split is then the folders'); otherwise a seeded split by image, per class.
//  2. Omniglot:  root/images_background/<alphabet>/<character>/*.png  (or root = images_background)
//                label = alphabet; `alphabets: N` keeps the first N alphabets in sorted order;
//                split 'image' (default): per character, a seeded ⌊testFraction·k⌉ of its k
//                drawings go to test, so every character is seen in training;
//                split 'character': per alphabet, a seeded ⌊testFraction·c⌉ of its c characters
//                (at least one when c > 1) go to test with all their drawings — the harder
//                "new characters of known alphabets" task.
//
// Pixels: grayscale = (0.299 R + 0.587 G + 0.114 B) / 255, times alpha/255 (transparent = 0);
// `invert: true` gives 1 − value (Omniglot draws black strokes on white). All images must share
// one size (no resizing); sampleShape is [1, height, width]. Names sort by code point.
// Each PNG's size is read from its header and checked (against MAX_PNG_PIXELS, and against the
// first image's size) before it is decoded; files are read only when regular (file-node.ts).

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { checkPngBudget, type PngHeader } from '../io/png-check.js';
import { Random } from '../random.js';
import { DataError, failIn } from './errors.js';
import { readDataFile } from './file-node.js';
import { classesOf } from './labels.js';
import type { Dataset, Split } from './types.js';

export interface ImageFolderOptions {
  /** Fraction of each class's images that go to test when the folder has no train/test split (default 0.2). */
  testFraction?: number;
  /** Seed of the split (default 0). */
  seed?: number;
  /** 1 − pixel (default false). */
  invert?: boolean;
  /** Data set name (default: the folder's name). */
  name?: string;
}

export interface OmniglotFolderOptions extends ImageFolderOptions {
  /** Keep the first N alphabets in sorted order (default: all). */
  alphabets?: number;
  /** 'image' (default) or 'character'; see the file header. */
  split?: 'image' | 'character';
}

interface Decoded {
  width: number;
  height: number;
  pixels: Float32Array;
}

/**
 * Decodes one PNG to grayscale in [0, 1], after checking its size from its header (`expect`:
 * the size every image of the set must have).
 */
export function decodePngGray(bytes: Uint8Array, file: string, invert = false, expect?: (header: PngHeader) => void): Decoded {
  const header = checkPngBudget(bytes, failIn(file));
  expect?.(header);
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  } catch (e) {
    throw new DataError(file, `not a readable PNG (${(e as Error).message})`);
  }
  const { width, height, data } = png;
  const pixels = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const r = data[4 * i]!, g = data[4 * i + 1]!, b = data[4 * i + 2]!, a = data[4 * i + 3]!;
    const v = ((0.299 * r + 0.587 * g + 0.114 * b) / 255) * (a / 255);
    pixels[i] = invert ? 1 - v : v;
  }
  return { width, height, pixels };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function subdirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

function pngFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.startsWith('.') && d.name.toLowerCase().endsWith('.png'))
    .map((d) => d.name)
    .sort();
}

/** The size of the first image read; every later image (train or test) must match it. */
interface SizeGuard {
  size?: { w: number; h: number; first: string };
}

/** Accumulates decoded images of one size into a Split. */
class SplitBuilder {
  private chunks: Float32Array[] = [];
  private labels: number[] = [];
  constructor(private guard: SizeGuard, private invert: boolean) {}
  add(file: string, label: number): void {
    const img = decodePngGray(readDataFile(file), file, this.invert, ({ width, height }) => {
      const size = this.guard.size;
      if (!size) this.guard.size = { w: width, h: height, first: file };
      else if (width !== size.w || height !== size.h) {
        throw new DataError(
          file,
          `image is ${width}×${height} but ${size.first} is ${size.w}×${size.h}; all images must share one size (no resizing is done)`,
        );
      }
    });
    this.chunks.push(img.pixels);
    this.labels.push(label);
  }
  finish(): Split {
    const n = this.labels.length;
    const per = this.guard.size ? this.guard.size.w * this.guard.size.h : 0;
    const x = new Float32Array(n * per);
    this.chunks.forEach((c, i) => x.set(c, i * per));
    return { x, y: Int32Array.from(this.labels), n };
  }
}

/** How many of k items go to test: round(f·k), at least 1 when k > 1 and f > 0, at most k − 1. */
function testCount(k: number, f: number): number {
  if (k <= 1 || f <= 0) return 0;
  return Math.min(k - 1, Math.max(1, Math.round(f * k)));
}

function checkFraction(f: number): void {
  if (!(f >= 0 && f < 1)) throw new DataError('image folder', `testFraction must be in [0, 1), got ${f}`);
}

/** A generic folder of class sub-folders of PNGs (see the header). */
export function loadImageFolder(root: string, options: ImageFolderOptions = {}): Dataset {
  if (!isDir(root)) throw new DataError(root, 'not a directory; expected a folder of <class>/*.png sub-folders');
  const invert = options.invert ?? false;
  const seed = options.seed ?? 0;
  const testFraction = options.testFraction ?? 0.2;
  checkFraction(testFraction);
  const guard: SizeGuard = {};
  const train = new SplitBuilder(guard, invert);
  const test = new SplitBuilder(guard, invert);
  let classes: string[];
  let split: string;
  if (isDir(join(root, 'train')) && isDir(join(root, 'test'))) {
    classes = subdirs(join(root, 'train'));
    const testClasses = subdirs(join(root, 'test'));
    if (classes.join('/') !== testClasses.join('/')) {
      throw new DataError(root, `train/ has classes [${classes.join(', ')}] but test/ has [${testClasses.join(', ')}]; they must agree`);
    }
    for (const [part, b] of [['train', train], ['test', test]] as const) {
      classes.forEach((c, label) => {
        for (const f of pngFiles(join(root, part, c))) b.add(join(root, part, c, f), label);
      });
    }
    split = 'folders train/ and test/';
  } else {
    classes = subdirs(root);
    const rng = new Random(seed);
    classes.forEach((c, label) => {
      const files = pngFiles(join(root, c));
      if (files.length === 0) throw new DataError(join(root, c), 'class folder holds no .png files');
      const perm = rng.permutation(files.length);
      const nTest = testCount(files.length, testFraction);
      // perm[0..nTest) go to test; the rest, in sorted file order, to train
      const isTest = new Uint8Array(files.length);
      for (let k = 0; k < nTest; k++) isTest[perm[k]!] = 1;
      files.forEach((f, i) => (isTest[i] ? test : train).add(join(root, c, f), label));
    });
    split = `seeded by image, testFraction ${testFraction}, seed ${seed}`;
  }
  if (classes.length === 0) throw new DataError(root, 'holds no class sub-folders; expected <class>/*.png');
  const size = guard.size;
  if (!size) throw new DataError(root, 'holds no .png images');
  const tr = train.finish();
  if (tr.n === 0) throw new DataError(root, 'no images ended up in the training split');
  const te = test.finish();
  return {
    name: options.name ?? baseName(root),
    sampleShape: [1, size.h, size.w],
    classes,
    train: tr,
    test: te,
    source: { format: 'image-folder', root, split, invert },
    warnings: classesOf(root, [{ what: `${root}: train`, y: tr.y }, { what: `${root}: test`, y: te.y }], { names: classes, flagRare: false }).warnings,
  };
}

/** Omniglot's own layout: images_background/<alphabet>/<character>/*.png, label = alphabet. */
export function loadOmniglotFolder(root: string, options: OmniglotFolderOptions = {}): Dataset {
  const base = isDir(join(root, 'images_background')) ? join(root, 'images_background') : root;
  if (!isDir(base)) {
    throw new DataError(root, 'not a directory; expected Omniglot\'s images_background/<alphabet>/<character>/*.png');
  }
  const invert = options.invert ?? false;
  const seed = options.seed ?? 0;
  const testFraction = options.testFraction ?? 0.2;
  checkFraction(testFraction);
  const splitBy = options.split ?? 'image';
  if (splitBy !== 'image' && splitBy !== 'character') {
    throw new DataError(root, `split must be 'image' or 'character', got '${String(splitBy)}'`);
  }
  const all = subdirs(base);
  const n = options.alphabets ?? all.length;
  if (!Number.isInteger(n) || n < 1 || n > all.length) {
    throw new DataError(base, `alphabets must be an integer in [1, ${all.length}] (the folder holds ${all.length} alphabets), got ${n}`);
  }
  const alphabets = all.slice(0, n);
  const rng = new Random(seed);
  const guard: SizeGuard = {};
  const train = new SplitBuilder(guard, invert);
  const test = new SplitBuilder(guard, invert);
  alphabets.forEach((alphabet, label) => {
    const chars = subdirs(join(base, alphabet));
    if (chars.length === 0) throw new DataError(join(base, alphabet), 'alphabet folder holds no character sub-folders');
    const testChars = new Uint8Array(chars.length);
    if (splitBy === 'character') {
      const perm = rng.permutation(chars.length);
      for (let k = 0; k < testCount(chars.length, testFraction); k++) testChars[perm[k]!] = 1;
    }
    chars.forEach((ch, ci) => {
      const dir = join(base, alphabet, ch);
      const files = pngFiles(dir);
      if (files.length === 0) throw new DataError(dir, 'character folder holds no .png files');
      const isTest = new Uint8Array(files.length);
      if (splitBy === 'image') {
        const perm = rng.permutation(files.length);
        for (let k = 0; k < testCount(files.length, testFraction); k++) isTest[perm[k]!] = 1;
      } else if (testChars[ci]) isTest.fill(1);
      files.forEach((f, i) => (isTest[i] ? test : train).add(join(dir, f), label));
    });
  });
  const size = guard.size;
  if (!size) throw new DataError(base, 'holds no .png images');
  const tr = train.finish();
  const te = test.finish();
  return {
    name: options.name ?? `omniglot${n}`,
    sampleShape: [1, size.h, size.w],
    classes: alphabets,
    train: tr,
    test: te,
    source: { format: 'omniglot-folder', root: base, alphabets: n, split: splitBy, testFraction, seed, invert },
    warnings: classesOf(base, [{ what: `${base}: train`, y: tr.y }, { what: `${base}: test`, y: te.y }], { names: alphabets, flagRare: false }).warnings,
  };
}

function baseName(p: string): string {
  const parts = p.split(/[\\/]+/).filter((s) => s.length > 0);
  return parts[parts.length - 1] ?? p;
}
