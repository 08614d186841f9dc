// Image grids as RGBA pixels: images (C, H, W) with values in [0, 1] (or any range, min-max
// scaled), upscaled by an integer factor with nearest-neighbour so a 28×28 image is visible,
// laid out in a grid with a caption under each cell drawn in a built-in 5×7 pixel font.
// Browser-safe: returns pixels; encode them with io/png-node.ts (Node) or a canvas (browser).

import type { RgbaImage } from '../image.js';
import { HandgradError } from '../tensor.js';

export type { RgbaImage } from '../image.js';

/** One cell of an image grid: an image and its caption. */
export interface GridImage {
  /** (C, H, W) channels-first values; C = 1 (grey) or 3 (RGB). */
  data: ArrayLike<number>;
  /** C: 1 (grey) or 3 (RGB). */
  channels: number;
  /** H, rows of pixels. */
  height: number;
  /** W, columns of pixels. */
  width: number;
  /** Caption lines under the image (upper-cased; letters, digits and - / . = : % ( ) + _ ). */
  label?: string | string[];
}

/** Options of {@link renderImageGrid} (each with its default). */
export interface GridOptions {
  /** Cells per row. Default: ⌈√n⌉. */
  columns?: number;
  /** Integer nearest-neighbour upscale factor. Default 8. */
  scale?: number;
  /** Pixels between cells and around the grid. Default 8. */
  gap?: number;
  /** How values map to 0…255: 'clamp' clips [0, 1]; 'minmax' stretches each image's own range (for unclamped images and activations). Default 'clamp'. */
  range?: 'clamp' | 'minmax';
  /** Font magnification of the captions. Default 2 (10×14-pixel letters). */
  fontScale?: number;
  /** Background grey level 0…255. Default 255 (white); the text is black. */
  background?: number;
  /** Columns come in groups of this many (e.g. 2: a pair per class), separated by groupGap extra pixels. Default 1 (no grouping). */
  groupSize?: number;
  /** Extra pixels between two groups of columns. Default 0. */
  groupGap?: number;
}

// A 5×7 font: each glyph is 7 rows, each row 5 bits (bit 4 = leftmost pixel).
const FONT: Record<string, number[]> = {
  A: [14, 17, 17, 31, 17, 17, 17], B: [30, 17, 17, 30, 17, 17, 30], C: [14, 17, 16, 16, 16, 17, 14],
  D: [30, 17, 17, 17, 17, 17, 30], E: [31, 16, 16, 30, 16, 16, 31], F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15], H: [17, 17, 17, 31, 17, 17, 17], I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12], K: [17, 18, 20, 24, 20, 18, 17], L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17], N: [17, 17, 25, 21, 19, 17, 17], O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16], Q: [14, 17, 17, 17, 21, 18, 13], R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30], T: [31, 4, 4, 4, 4, 4, 4], U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4], W: [17, 17, 17, 21, 21, 21, 10], X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 17, 10, 4, 4, 4], Z: [31, 1, 2, 4, 8, 16, 31],
  '0': [14, 17, 19, 21, 25, 17, 14], '1': [4, 12, 4, 4, 4, 4, 14], '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14], '4': [2, 6, 10, 18, 31, 2, 2], '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14], '7': [31, 1, 2, 4, 8, 8, 8], '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
  '-': [0, 0, 0, 31, 0, 0, 0], '/': [0, 1, 2, 4, 8, 16, 0], '.': [0, 0, 0, 0, 0, 12, 12],
  '=': [0, 0, 31, 0, 31, 0, 0], ':': [0, 12, 12, 0, 12, 12, 0], '%': [24, 25, 2, 4, 8, 19, 3],
  '(': [2, 4, 8, 8, 8, 4, 2], ')': [8, 4, 2, 2, 2, 4, 8], '+': [0, 4, 4, 31, 4, 4, 0],
  _: [0, 0, 0, 0, 0, 0, 31], ' ': [0, 0, 0, 0, 0, 0, 0], ',': [0, 0, 0, 0, 12, 4, 8],
  '?': [14, 17, 1, 2, 4, 0, 4],
};

/** Width in pixels of a caption line at font scale f (6·f per character, 1·f spacing). */
export function textWidth(text: string, fontScale = 2): number {
  return Math.max(0, text.length * 6 * fontScale - fontScale);
}

/** Draws `text` (upper-cased; unknown characters as '?') with its top-left corner at (x, y). */
export function drawText(img: RgbaImage, text: string, x: number, y: number, fontScale = 2, grey = 0): void {
  let cx = x;
  for (const ch of text.toUpperCase()) {
    const rows = FONT[ch] ?? FONT['?']!;
    for (let r = 0; r < 7; r++) {
      for (let c = 0; c < 5; c++) {
        if (!(rows[r]! & (1 << (4 - c)))) continue;
        for (let dy = 0; dy < fontScale; dy++) {
          for (let dx = 0; dx < fontScale; dx++) setPixel(img, cx + c * fontScale + dx, y + r * fontScale + dy, grey, grey, grey);
        }
      }
    }
    cx += 6 * fontScale;
  }
}

function setPixel(img: RgbaImage, x: number, y: number, r: number, g: number, b: number): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const o = (y * img.width + x) * 4;
  img.data[o] = r;
  img.data[o + 1] = g;
  img.data[o + 2] = b;
  img.data[o + 3] = 255;
}

function checkImage(im: GridImage, i: number): void {
  if (im.channels !== 1 && im.channels !== 3) throw new HandgradError(`renderImageGrid: image ${i} has ${im.channels} channels, expected 1 (grey) or 3 (RGB)`);
  if (im.data.length !== im.channels * im.height * im.width) {
    throw new HandgradError(`renderImageGrid: image ${i} has ${im.data.length} values, expected ${im.channels}×${im.height}×${im.width}`);
  }
}

/** One image (C, H, W) upscaled ×scale (nearest neighbour) into RGBA. */
export function imageToRgba(im: GridImage, scale = 8, range: 'clamp' | 'minmax' = 'clamp'): RgbaImage {
  return renderImageGrid([{ ...im, label: undefined }], { columns: 1, scale, gap: 0, range });
}

/** Lays out the images in a grid with their captions; cells take the largest image's size. */
export function renderImageGrid(images: GridImage[], options: GridOptions = {}): RgbaImage {
  if (images.length === 0) throw new HandgradError('renderImageGrid: no images');
  images.forEach(checkImage);
  const scale = options.scale ?? 8;
  const gap = options.gap ?? 8;
  const fs = options.fontScale ?? 2;
  const range = options.range ?? 'clamp';
  if (!Number.isInteger(scale) || scale < 1) throw new HandgradError(`renderImageGrid: scale must be an integer ≥ 1, got ${scale}`);
  const cols = Math.min(images.length, options.columns ?? Math.ceil(Math.sqrt(images.length)));
  const rows = Math.ceil(images.length / cols);
  const labels = images.map((im) => (im.label === undefined ? [] : Array.isArray(im.label) ? im.label : [im.label]));
  const lines = Math.max(0, ...labels.map((l) => l.length));
  const labelH = lines > 0 ? lines * 9 * fs + 2 * fs : 0;
  const cellW = Math.max(...images.map((im) => im.width * scale), ...labels.flat().map((t) => textWidth(t, fs)));
  const imgH = Math.max(...images.map((im) => im.height * scale));
  const cellH = imgH + labelH;
  const group = options.groupSize ?? 1;
  const groupGap = options.groupGap ?? 0;
  if (!Number.isInteger(group) || group < 1 || !(groupGap >= 0)) throw new HandgradError(`renderImageGrid: groupSize must be an integer ≥ 1 and groupGap ≥ 0, got ${group} and ${groupGap}`);
  // left edge of column c: the gaps, the cells before it, and the extra gaps between groups
  const colX = (c: number): number => gap + c * (cellW + gap) + Math.floor(c / group) * groupGap;
  const out: RgbaImage = {
    width: cols * cellW + (cols + 1) * gap + Math.floor((cols - 1) / group) * groupGap,
    height: rows * cellH + (rows + 1) * gap,
    data: new Uint8Array(0),
  };
  out.data = new Uint8Array(out.width * out.height * 4);
  const bg = options.background ?? 255;
  for (let i = 0; i < out.width * out.height; i++) {
    out.data.set([bg, bg, bg, 255], i * 4);
  }
  images.forEach((im, n) => {
    const x0 = colX(n % cols) + Math.floor((cellW - im.width * scale) / 2);
    const y0 = gap + Math.floor(n / cols) * (cellH + gap);
    const { channels: C, height: H, width: W, data } = im;
    let lo = 0, hi = 1;
    if (range === 'minmax') {
      lo = Infinity;
      hi = -Infinity;
      for (let i = 0; i < data.length; i++) {
        lo = Math.min(lo, data[i]!);
        hi = Math.max(hi, data[i]!);
      }
      if (!(hi > lo)) hi = lo + 1;
    }
    const byte = (v: number): number => Math.round(255 * Math.min(1, Math.max(0, (v - lo) / (hi - lo))));
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const r = byte(data[y * W + x]!);
        const g = C === 3 ? byte(data[H * W + y * W + x]!) : r;
        const b = C === 3 ? byte(data[2 * H * W + y * W + x]!) : r;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) setPixel(out, x0 + x * scale + dx, y0 + y * scale + dy, r, g, b);
      }
    }
    const cx = colX(n % cols);
    labels[n]!.forEach((t, li) => {
      drawText(out, t, cx + Math.floor((cellW - textWidth(t, fs)) / 2), y0 + imgH + 2 * fs + li * 9 * fs, fs, bg > 127 ? 0 : 255);
    });
  });
  return out;
}
