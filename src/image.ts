// The pixel type shared by the image readers and writers (io/) and the renderers (plot/).

/** An 8-bit RGBA image. */
export interface RgbaImage {
  width: number;
  height: number;
  /** width · height · 4 bytes, row-major RGBA. */
  data: Uint8Array;
}
