// PNG folders written here with pngjs: the generic <class>/*.png layout (seeded split, or
// train/ and test/ folders) and Omniglot's images_background/<alphabet>/<character>/*.png.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodePngGray, loadImageFolder } from '../../src/data/image-folder-node.js';
import { loadOmniglotFolder } from '../../src/data/omniglot-node.js';
import { loadDataset } from '../../src/data/load-node.js';
import { dataError, tempDir } from './helpers.js';

/** Writes a w×h PNG whose pixel (i) has gray value f(i); RGB unless `gray`. */
function writePng(path: string, w: number, h: number, f: (i: number) => number, opts: { color?: [number, number, number]; gray?: boolean } = {}): void {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) {
    const v = f(i);
    const [r, g, b] = opts.color ?? [v, v, v];
    png.data[4 * i] = r;
    png.data[4 * i + 1] = g;
    png.data[4 * i + 2] = b;
    png.data[4 * i + 3] = 255;
  }
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, PNG.sync.write(png, opts.gray ? { colorType: 0 } : {}));
}

describe('decodePngGray', () => {
  it('grayscale and RGB images to [0, 1] with luminance weights; invert', () => {
    const dir = tempDir('png');
    writePng(join(dir, 'g.png'), 3, 2, (i) => i * 51, { gray: true });
    const g = decodePngGray(readBytes(join(dir, 'g.png')), 'g.png');
    expect([g.width, g.height]).toEqual([3, 2]);
    expect([...g.pixels]).toEqual([0, 51, 102, 153, 204, 255].map((v) => Math.fround(v / 255)));
    const rgbPath = join(dir, 'rgb.png');
    writePng(rgbPath, 1, 1, () => 0, { color: [255, 0, 0] });
    expect(decodePngGray(readBytes(rgbPath), rgbPath).pixels[0]).toBeCloseTo(0.299, 6);
    expect(decodePngGray(readBytes(rgbPath), rgbPath, true).pixels[0]).toBeCloseTo(1 - 0.299, 6);
  });

  it('a file that is not a PNG is an error naming it', () => {
    const e = dataError(() => decodePngGray(new Uint8Array([1, 2, 3, 4]), 'x.png'));
    expect(e.message).toMatch(/^x\.png: not a readable PNG/);
  });
});

function readBytes(p: string): Uint8Array {
  return new Uint8Array(readFileSync(p));
}

describe('generic image folders', () => {
  function makeClasses(root: string, perClass: number, w = 4, h = 3): void {
    ['cat', 'ant', 'bee'].forEach((c, ci) => {
      for (let k = 0; k < perClass; k++) writePng(join(root, c, `img${k}.png`), w, h, (i) => (ci * 80 + k * 7 + i) % 256);
    });
  }

  it('classes are the sorted sub-folders; a seeded split by image, per class', () => {
    const root = tempDir('classes');
    makeClasses(root, 5);
    const a = loadImageFolder(root, { seed: 3 });
    expect(a.classes).toEqual(['ant', 'bee', 'cat']);
    expect(a.sampleShape).toEqual([1, 3, 4]);
    expect([a.train.n, a.test.n]).toEqual([12, 3]); // round(0.2·5) = 1 test image per class
    const count = (y: Int32Array) => [0, 1, 2].map((c) => y.filter((v) => v === c).length);
    expect(count(a.test.y)).toEqual([1, 1, 1]);
    // pixel check: 'cat' (folder index 0 at creation, label 2), first training image present
    const b = loadImageFolder(root, { seed: 3 });
    expect(b.train.x).toEqual(a.train.x);
    const c = loadImageFolder(root, { seed: 4 });
    expect(c.test.x).not.toEqual(a.test.x);
    expect(a.source['split']).toBe('seeded by image, testFraction 0.2, seed 3');
  });

  it('train/ and test/ folders give the split', () => {
    const root = tempDir('tt');
    makeClasses(join(root, 'train'), 2);
    makeClasses(join(root, 'test'), 1);
    const d = loadImageFolder(root);
    expect([d.train.n, d.test.n]).toEqual([6, 3]);
    expect([...d.test.y]).toEqual([0, 1, 2]);
  });

  it('an image of another size is an error naming that file and the first one', () => {
    const root = tempDir('size');
    makeClasses(root, 2);
    writePng(join(root, 'bee', 'odd.png'), 5, 3, () => 0);
    const e = dataError(() => loadImageFolder(root));
    expect(e.file).toBe(join(root, 'bee', 'odd.png'));
    expect(e.message).toMatch(/image is 5×3 but .*ant\/img0\.png is 4×3; all images must share one size/);
  });

  it('a class folder without PNGs is an error', () => {
    const root = tempDir('empty');
    makeClasses(root, 2);
    mkdirSync(join(root, 'zebra'));
    const e = dataError(() => loadImageFolder(root));
    expect(e.message).toMatch(/zebra: class folder holds no \.png files/);
  });
});

describe("Omniglot's layout", () => {
  function makeOmniglot(root: string): void {
    // 3 alphabets × (2 or 3) characters × 5 drawings of 6×6, black strokes on white
    const alphabets = { Latin: 3, Greek: 2, Braille: 3 } as Record<string, number>;
    for (const [a, nChars] of Object.entries(alphabets)) {
      for (let c = 0; c < nChars; c++) {
        for (let k = 0; k < 5; k++) {
          writePng(join(root, 'images_background', a, `character${String(c + 1).padStart(2, '0')}`, `${a}_${c}_${k}.png`), 6, 6, (i) => (i % (k + 2) === 0 ? 0 : 255));
        }
      }
    }
  }
  const root = tempDir('omniglot');
  makeOmniglot(root);

  it('label = alphabet (sorted), first N alphabets, split by image keeps every character in train', () => {
    const d = loadOmniglotFolder(root, { alphabets: 2, seed: 1 });
    expect(d.classes).toEqual(['Braille', 'Greek']);
    expect(d.name).toBe('omniglot2');
    expect(d.sampleShape).toEqual([1, 6, 6]);
    // 5 characters × 5 drawings = 25 images; 1 per character to test
    expect([d.train.n, d.test.n]).toEqual([20, 5]);
    expect(d.source).toMatchObject({ alphabets: 2, split: 'image', seed: 1 });
  });

  it('split by character puts whole characters in test', () => {
    const d = loadOmniglotFolder(root, { split: 'character', seed: 2 });
    expect(d.classes).toEqual(['Braille', 'Greek', 'Latin']);
    // per alphabet round(0.2·c) ≥ 1 character: 1 + 1 + 1 characters × 5 drawings
    expect([d.train.n, d.test.n]).toEqual([25, 15]);
  });

  it('invert turns white background to 0', () => {
    const plain = loadOmniglotFolder(root, { alphabets: 1 });
    const inv = loadOmniglotFolder(root, { alphabets: 1, invert: true });
    expect(plain.train.x[1]).toBe(1);
    expect(inv.train.x[1]).toBe(0);
  });

  it('too many alphabets is an error saying how many there are', () => {
    const e = dataError(() => loadOmniglotFolder(root, { alphabets: 4 }));
    expect(e.message).toMatch(/alphabets must be an integer in \[1, 3\] \(the folder holds 3 alphabets\), got 4/);
  });

  it('loadDataset recognises both layouts', async () => {
    expect((await loadDataset(root, { alphabets: 1 })).source['format']).toBe('omniglot-folder');
    expect((await loadDataset(join(root, 'images_background'))).classes).toEqual(['Braille', 'Greek', 'Latin']);
    const flat = tempDir('flat');
    writePng(join(flat, 'a', '1.png'), 2, 2, () => 9);
    writePng(join(flat, 'b', '1.png'), 2, 2, () => 9);
    expect((await loadDataset(flat)).source['format']).toBe('image-folder');
  });
});
