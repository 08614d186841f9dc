// Folders of PNG images (Node only: reads the file system; decodes with pngjs).
//
// Layout: root/<class>/*.png            classes = sub-folder names, sorted
//         root/train/<class>/*.png and root/test/<class>/*.png when both exist (the split is
//         then the folders'); otherwise a seeded split by image, per class.
// Omniglot's own layout (<alphabet>/<character>/*.png) is read by omniglot-node.ts, with the
// helpers exported here.
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

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The sub-folders of `dir` (no hidden ones), sorted. */
export function subdirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

/** The .png files of `dir` (no hidden ones), sorted. */
export function pngFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.startsWith('.') && d.name.toLowerCase().endsWith('.png'))
    .map((d) => d.name)
    .sort();
}

/** The size of the first image read; every later image (train or test) must match it. */
export interface SizeGuard {
  size?: { w: number; h: number; first: string };
}

/** Accumulates decoded images of one size into a Split. */
export class SplitBuilder {
  private chunks: Float32Array[] = [];
  private labels: number[] = [];
  constructor(private guard: SizeGuard, private invert: boolean) {}
  /** Decodes the PNG `file` (its bytes, or read from the path `file`) as the next sample, of class `label`. */
  add(file: string, label: number, bytes: Uint8Array = readDataFile(file)): void {
    const img = decodePngGray(bytes, file, this.invert, ({ width, height }) => {
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
export function testCount(k: number, f: number): number {
  if (k <= 1 || f <= 0) return 0;
  return Math.min(k - 1, Math.max(1, Math.round(f * k)));
}

/** A test fraction must be in [0, 1). */
export function checkFraction(f: number): void {
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

/** The last component of a path. */
export function baseName(p: string): string {
  const parts = p.split(/[\\/]+/).filter((s) => s.length > 0);
  return parts[parts.length - 1] ?? p;
}
