// Image grids (nearest upscale, captions in the built-in font) and PNG files through pngjs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng, encodePng, readPngImage } from '../../src/io/png-node.js';
import { drawText, imageToRgba, renderImageGrid, textWidth } from '../../src/plot/image-grid.js';

describe('renderImageGrid', () => {
  it('upscales with nearest neighbour, lays out cells and draws captions', () => {
    const a = { data: [0, 0.5, 1, 0.25], channels: 1, height: 2, width: 2, label: 'BAG' };
    const b = { data: [1, 1, 1, 1], channels: 1, height: 2, width: 2, label: ['SNEAKER', 'P=0.99'] };
    const g = renderImageGrid([a, b], { columns: 2, scale: 10, gap: 4, fontScale: 1 });
    const cellW = Math.max(20, textWidth('SNEAKER', 1));
    expect(g.width).toBe(2 * cellW + 3 * 4);
    expect(g.height).toBe(20 + 2 * 9 + 2 + 2 * 4);
    const px = (x: number, y: number): number => g.data[(y * g.width + x) * 4]!;
    const x0 = 4 + Math.floor((cellW - 20) / 2);
    // pixel (0, 1) of image a is 0.5 → 128 over its whole 10×10 block
    for (let k = 0; k < 10; k++) expect(px(x0 + 10 + k, 4 + k)).toBe(128);
    expect(px(x0, 4)).toBe(0);
    expect(px(x0 + 19, 14)).toBe(64);
    // the caption rows hold black text pixels, the gap stays white
    let dark = 0;
    for (let y = 4 + 20; y < g.height - 4; y++) for (let x = 0; x < g.width; x++) if (px(x, y) === 0) dark++;
    expect(dark).toBeGreaterThan(30);
    for (let x = 0; x < g.width; x++) expect(px(x, 0)).toBe(255);
  });

  it('groups columns (a tricks/plain pair per class) with an extra gap between groups', () => {
    const im = { data: [0, 0, 0, 0], channels: 1, height: 2, width: 2 }; // black on the white background
    const cells = Array.from({ length: 8 }, () => im);
    const flat = renderImageGrid(cells, { columns: 4, scale: 5, gap: 2 });
    const g = renderImageGrid(cells, { columns: 4, scale: 5, gap: 2, groupSize: 2, groupGap: 6 });
    expect(g.width).toBe(flat.width + 6);
    expect(g.height).toBe(flat.height);
    // column 2 starts 6 pixels further right; columns 0 and 1 do not move
    const px = (img: typeof g, x: number, y: number): number => img.data[(y * img.width + x) * 4]!;
    const col = (c: number): number => 2 + c * (10 + 2);
    expect(px(g, col(1), 2)).toBe(0);
    expect(px(g, col(2), 2)).toBe(255);
    expect(px(g, col(2) + 6, 2)).toBe(0);
    expect(px(g, col(2) + 6 - 1, 2)).toBe(255);
    expect(() => renderImageGrid(cells, { groupSize: 0 })).toThrow(/groupSize/);
  });

  it("'minmax' stretches an image's own range; RGB images keep their channels", () => {
    const m = imageToRgba({ data: [-2, 0, 2, 6], channels: 1, height: 2, width: 2 }, 1, 'minmax');
    expect([m.data[0], m.data[4], m.data[8], m.data[12]]).toEqual([0, 64, 128, 255]);
    const rgb = imageToRgba({ data: [1, 0, 0.5], channels: 3, height: 1, width: 1 }, 1);
    expect(Array.from(rgb.data)).toEqual([255, 0, 128, 255]);
    expect(() => renderImageGrid([{ data: [1, 2], channels: 1, height: 2, width: 2 }])).toThrow(/expected 1×2×2/);
  });

  it('draws every caption character it knows, unknown ones as ?', () => {
    const img = { width: 80, height: 10, data: new Uint8Array(80 * 10 * 4).fill(255) };
    drawText(img, 'a~', 0, 0, 1);
    const ink = (x0: number): number => {
      let n = 0;
      for (let y = 0; y < 7; y++) for (let x = x0; x < x0 + 5; x++) if (img.data[(y * 80 + x) * 4] === 0) n++;
      return n;
    };
    expect(ink(0)).toBe(18); // 'A'
    expect(ink(6)).toBe(9); // '?'
  });
});

describe('PNG files', () => {
  it('encode → decode round trip, and readPngImage gives (C, H, W) in [0, 1]', () => {
    const dir = mkdtempSync(join(tmpdir(), 'handgrad-png-'));
    try {
      const img = imageToRgba({ data: [0, 0.2, 0.4, 0.6, 0.8, 1], channels: 1, height: 2, width: 3 }, 2);
      const bytes = encodePng(img);
      const back = decodePng(bytes);
      expect([back.width, back.height]).toEqual([6, 4]);
      expect(Array.from(back.data)).toEqual(Array.from(img.data));
      writeFileSync(join(dir, 'a.png'), bytes);
      const t = readPngImage(join(dir, 'a.png'), 1);
      expect(t.shape).toEqual([1, 4, 6]);
      expect(t.data[2]).toBeCloseTo(0.2, 2);
      expect(t.data[23]).toBeCloseTo(1, 2);
      writeFileSync(join(dir, 'bad.png'), 'not a png');
      expect(() => readPngImage(join(dir, 'bad.png'), 1)).toThrow(/bad\.png: not a readable PNG/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
