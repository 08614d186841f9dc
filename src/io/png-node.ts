// PNG files with pngjs (Node only): encode RGBA pixels, and read a PNG as a (C, H, W) image in [0, 1].
// Reading checks the image's size from its header before decoding (png-check.ts) and reads
// regular files only (read-node.ts).

import { PNG } from 'pngjs';
import { HandgradError, Tensor } from '../tensor.js';
import type { RgbaImage } from '../image.js';
import { checkPngBudget, MAX_PNG_PIXELS } from './png-check.js';
import { readRegularFile } from './read-node.js';

/** PNG bytes of an RGBA image. */
export function encodePng(img: RgbaImage): Uint8Array {
  if (img.data.length !== img.width * img.height * 4) {
    throw new HandgradError(`encodePng: ${img.data.length} bytes for a ${img.width}×${img.height} RGBA image, expected ${img.width * img.height * 4}`);
  }
  const png = new PNG({ width: img.width, height: img.height });
  png.data.set(img.data);
  return new Uint8Array(PNG.sync.write(png));
}

/**
 * Decodes PNG bytes to RGBA pixels; `source` names the file in errors. Images of more than
 * `maxPixels` pixels are refused from their header, before anything is decoded.
 */
export function decodePng(bytes: Uint8Array, source = 'PNG data', maxPixels = MAX_PNG_PIXELS): RgbaImage {
  checkPngBudget(bytes, (message, offset) => {
    throw new HandgradError(`${source}: ${offset === undefined ? '' : `byte ${offset}: `}${message}`);
  }, maxPixels);
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
  } catch (e) {
    throw new HandgradError(`${source}: not a readable PNG file (${(e as Error).message})`);
  }
}

/**
 * Reads a PNG file as an image tensor (channels, H, W) with values in [0, 1]: channels = 1 takes
 * the luminance 0.299 R + 0.587 G + 0.114 B (alpha composited over black), 3 takes R, G, B.
 */
export function readPngImage(path: string, channels: 1 | 3): Tensor {
  const bytes = readRegularFile(path, { fail: (message) => { throw new HandgradError(`${path}: cannot read the image: ${message}`); } });
  const img = decodePng(bytes, path);
  const { width: W, height: H, data } = img;
  const out = Tensor.zeros([channels, H, W]);
  for (let i = 0; i < H * W; i++) {
    const a = data[i * 4 + 3]! / 255;
    const r = (data[i * 4]! / 255) * a, g = (data[i * 4 + 1]! / 255) * a, b = (data[i * 4 + 2]! / 255) * a;
    if (channels === 1) out.data[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      out.data[i] = r;
      out.data[H * W + i] = g;
      out.data[2 * H * W + i] = b;
    }
  }
  return out;
}
