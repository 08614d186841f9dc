// Omniglot (Lake, Salakhutdinov & Tenenbaum 2015): which alphabet is a handwritten character
// from? Node only (reads files; decodes PNGs with image-folder-node.ts).
//
// Two sources of the same drawings:
//  1. a folder:  root/images_background/<alphabet>/<character>/*.png  (or root = images_background,
//                or a folder of <alphabet>/<character>/*.png: what unzipping Omniglot's
//                images_background.zip or a small subset gives);
//  2. zips:      Omniglot's images_background_small1.zip and _small2.zip, read in memory, each
//                <subset>/<alphabet>/<character>/<id>_<drawer>.png. An alphabet in several zips
//                (Greek and Latin are in both small subsets) is read once: the same path must
//                hold the same bytes (size and CRC-32) in every zip.
// Label = the alphabet's index among the alphabets, sorted by code point; `alphabets: N` keeps
// the first N. Every drawing is 105×105 in Omniglot; all must share one size.
//
// Splits (train / test):
//   'drawer':    Omniglot names a drawing <character id>_<drawer>.png, drawers 1–20. The test
//                split holds the drawings of the test drawers (`testDrawers`, else the last
//                ⌊testFraction·D⌉ of the D drawer numbers), the training split the others: no
//                drawer's hand is in both. The default when every name has that form.
//   'image':     per character, a seeded ⌊testFraction·k⌉ of its k drawings go to test, so every
//                character is seen in training. The default for other names.
//   'character': per alphabet, a seeded ⌊testFraction·c⌉ of its c characters (at least one when
//                c > 1) go to test with all their drawings: new characters of known alphabets.
// Pixels are the PNGs' grey levels in [0, 1]: ink 0, paper 1 (about 8.5 % of the pixels are ink);
// `invert: true` gives ink 1, paper 0.

import { join } from 'node:path';
import { zipMemberData, zipMembers, type ZipMember } from '../io/zip.js';
import { Random } from '../random.js';
import { DataError, failIn } from './errors.js';
import { checkFraction, isDir, pngFiles, SplitBuilder, subdirs, testCount, type ImageFolderOptions, type SizeGuard } from './image-folder-node.js';
import { classesOf } from './labels.js';
import type { Dataset } from './types.js';

export type OmniglotSplit = 'drawer' | 'image' | 'character';

export interface OmniglotOptions extends ImageFolderOptions {
  /** Keep the first N alphabets in sorted order (default: all). */
  alphabets?: number;
  /** How drawings are split (see the file header); default 'drawer' when every name is <id>_<drawer>.png, else 'image'. */
  split?: OmniglotSplit;
  /** With split 'drawer': the drawers of the test split (default: the last ⌊testFraction·D⌉ drawer numbers). */
  testDrawers?: readonly number[];
}

/** One drawing: its alphabet, character and file name, where it is (for messages), and its bytes on demand. */
interface Drawing {
  alphabet: string;
  character: string;
  file: string;
  where: string;
  read?: () => Uint8Array;
}

const DRAWER_NAME = /^\d+_(\d+)\.png$/i;

/** The drawer of Omniglot's file name <id>_<drawer>.png, or null for another name. */
export function drawerOf(file: string): number | null {
  const m = DRAWER_NAME.exec(file);
  return m ? Number(m[1]) : null;
}

/** Omniglot's folder layout (see the file header), label = alphabet. */
export function loadOmniglotFolder(root: string, options: OmniglotOptions = {}): Dataset {
  const base = isDir(join(root, 'images_background')) ? join(root, 'images_background') : root;
  if (!isDir(base)) throw new DataError(root, "not a directory; expected Omniglot's images_background/<alphabet>/<character>/*.png");
  const drawings: Drawing[] = [];
  for (const alphabet of subdirs(base)) {
    const chars = subdirs(join(base, alphabet));
    if (chars.length === 0) throw new DataError(join(base, alphabet), 'alphabet folder holds no character sub-folders');
    for (const character of chars) {
      const dir = join(base, alphabet, character);
      const files = pngFiles(dir);
      if (files.length === 0) throw new DataError(dir, 'character folder holds no .png files');
      for (const file of files) drawings.push({ alphabet, character, file, where: join(dir, file) });
    }
  }
  return omniglotDataset(drawings, base, options, { format: 'omniglot-folder', root: base });
}

/** A zip file's path and bytes. */
export interface NamedBytes {
  path: string;
  bytes: Uint8Array;
}

/** The largest PNG member read from a zip (Omniglot's are under 1 kB). */
const MAX_MEMBER_BYTES = 1 << 24;

/** Omniglot's zips (see the file header), read in memory, label = alphabet. */
export function loadOmniglotZips(zips: readonly NamedBytes[], options: OmniglotOptions = {}): Dataset {
  if (zips.length === 0) throw new DataError('omniglot', 'no zip files given');
  const seen = new Map<string, { zip: string; member: ZipMember }>();
  const drawings: Drawing[] = [];
  for (const { path, bytes } of zips) {
    const fail = failIn(path);
    for (const member of zipMembers(bytes, fail)) {
      if (member.name.endsWith('/') || !member.name.toLowerCase().endsWith('.png')) continue;
      const parts = member.name.split('/');
      if (parts.length !== 4 || parts.some((p) => p === '' || p === '.' || p === '..')) {
        fail(`member '${member.name}' is not <subset>/<alphabet>/<character>/<drawing>.png`);
      }
      const [, alphabet, character, file] = parts as [string, string, string, string];
      const key = `${alphabet}/${character}/${file}`;
      const before = seen.get(key);
      if (before) {
        if (before.member.crc !== member.crc || before.member.size !== member.size) {
          fail(`member '${member.name}' differs from '${before.member.name}' in ${before.zip} (size ${member.size} vs ${before.member.size}, CRC-32 differs): the same drawing must have the same bytes`);
        }
        continue;
      }
      seen.set(key, { zip: path, member });
      const where = `${path}: ${member.name}`;
      drawings.push({ alphabet, character, file, where, read: () => zipMemberData(bytes, member, { maxBytes: MAX_MEMBER_BYTES }, failIn(where)) });
    }
  }
  const order = (d: Drawing): string => `${d.alphabet}\u0000${d.character}\u0000${d.file}`;
  drawings.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  const names = zips.map((z) => z.path);
  return omniglotDataset(drawings, names.join(', '), options, { format: 'omniglot-zips', files: names });
}

/** The Dataset of drawings sorted by alphabet, character and file, split as `options` say. */
function omniglotDataset(drawings: readonly Drawing[], where: string, options: OmniglotOptions, source: Record<string, unknown>): Dataset {
  const invert = options.invert ?? false;
  const seed = options.seed ?? 0;
  const testFraction = options.testFraction ?? 0.2;
  checkFraction(testFraction);
  const allDrawers = drawings.every((d) => drawerOf(d.file) !== null);
  const splitBy = options.split ?? (allDrawers && drawings.length > 0 ? 'drawer' : 'image');
  if (!['drawer', 'image', 'character'].includes(splitBy)) throw new DataError(where, `split must be 'drawer', 'image' or 'character', got '${String(splitBy)}'`);
  const all = [...new Set(drawings.map((d) => d.alphabet))].sort();
  if (all.length === 0) throw new DataError(where, 'holds no .png drawings');
  const n = options.alphabets ?? all.length;
  if (!Number.isInteger(n) || n < 1 || n > all.length) {
    throw new DataError(where, `alphabets must be an integer in [1, ${all.length}] (the folder holds ${all.length} alphabets), got ${n}`);
  }
  const alphabets = all.slice(0, n);
  const kept = drawings.filter((d) => alphabets.includes(d.alphabet));
  const testDrawers = splitBy === 'drawer' ? chooseTestDrawers(kept, where, testFraction, options.testDrawers) : null;
  const rng = new Random(seed);
  const guard: SizeGuard = {};
  const train = new SplitBuilder(guard, invert);
  const test = new SplitBuilder(guard, invert);
  const add = (d: Drawing, toTest: boolean, label: number): void => (toTest ? test : train).add(d.where, label, d.read?.());
  alphabets.forEach((alphabet, label) => {
    const ofAlphabet = kept.filter((d) => d.alphabet === alphabet);
    const chars = [...new Set(ofAlphabet.map((d) => d.character))];
    const testChars = new Uint8Array(chars.length);
    if (splitBy === 'character') {
      const perm = rng.permutation(chars.length);
      for (let k = 0; k < testCount(chars.length, testFraction); k++) testChars[perm[k]!] = 1;
    }
    chars.forEach((ch, ci) => {
      const files = ofAlphabet.filter((d) => d.character === ch);
      if (splitBy === 'image') {
        const perm = rng.permutation(files.length);
        const isTest = new Uint8Array(files.length);
        for (let k = 0; k < testCount(files.length, testFraction); k++) isTest[perm[k]!] = 1;
        files.forEach((d, i) => add(d, isTest[i] === 1, label));
      } else if (splitBy === 'character') {
        for (const d of files) add(d, testChars[ci] === 1, label);
      } else {
        for (const d of files) add(d, testDrawers!.includes(drawerOf(d.file)!), label);
      }
    });
  });
  const size = guard.size;
  if (!size) throw new DataError(where, 'holds no .png drawings');
  const tr = train.finish();
  if (tr.n === 0) throw new DataError(where, 'no drawing ended up in the training split');
  const te = test.finish();
  return {
    name: options.name ?? `omniglot${n}`,
    sampleShape: [1, size.h, size.w],
    classes: alphabets,
    train: tr,
    test: te,
    source: {
      ...source, alphabets: n, split: splitBy, invert,
      ...(testDrawers ? { testDrawers } : { testFraction, seed }),
    },
    warnings: classesOf(where, [{ what: `${where}: train`, y: tr.y }, { what: `${where}: test`, y: te.y }], { names: alphabets, flagRare: false }).warnings,
  };
}

/** The test drawers: the given ones (each must occur), else the last ⌊f·D⌉ of the D drawer numbers. */
function chooseTestDrawers(drawings: readonly Drawing[], where: string, f: number, given?: readonly number[]): number[] {
  const unnamed = drawings.find((d) => drawerOf(d.file) === null);
  if (unnamed) throw new DataError(unnamed.where, "split 'drawer' needs Omniglot's drawing names <character id>_<drawer>.png");
  const drawers = [...new Set(drawings.map((d) => drawerOf(d.file)!))].sort((a, b) => a - b);
  if (given) {
    const missing = given.filter((g) => !drawers.includes(g));
    if (missing.length > 0) throw new DataError(where, `test drawers ${missing.join(', ')} draw nothing here; the drawers are ${drawers.join(', ')}`);
    if (given.length >= drawers.length) throw new DataError(where, `the test drawers ${given.join(', ')} leave no drawer for training`);
    return [...given];
  }
  return drawers.slice(drawers.length - testCount(drawers.length, f));
}
