// SVG → PNG with @resvg/resvg-js (a native rasteriser, prebuilt for the platform by npm). Node-only.
//
// resvg draws text only with fonts it has loaded. We load the system fonts (fontconfig's
// directories) and, explicitly, the first of a few well-known sans-serif files that exists
// (Debian's fonts-dejavu-core, fonts-liberation), and map the generic 'sans-serif' family to it,
// so the charts' labels render even where fontconfig's list is empty.

import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

/** Sans-serif font files tried in order, and the family name each one provides. */
const FONT_CANDIDATES: [file: string, family: string][] = [
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', 'DejaVu Sans'],
  ['/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', 'Liberation Sans'],
  ['/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf', 'Liberation Sans'],
  ['/usr/share/fonts/TTF/DejaVuSans.ttf', 'DejaVu Sans'],
  ['/Library/Fonts/Arial.ttf', 'Arial'],
  ['/System/Library/Fonts/Supplemental/Arial.ttf', 'Arial'],
  ['C:\\Windows\\Fonts\\arial.ttf', 'Arial'],
];

/** The sans-serif font file svgToPng uses, or null when none of the known files exists. */
export function plotFont(): { file: string; family: string } | null {
  const hit = FONT_CANDIDATES.find(([file]) => existsSync(file));
  return hit ? { file: hit[0], family: hit[1] } : null;
}

/**
 * Rasterises an SVG to PNG bytes. `scale` multiplies the SVG's own width and height
 * (default 2: crisp on high-density screens and in reports).
 */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  if (!(scale > 0 && Number.isFinite(scale))) throw new Error(`svgToPng: scale must be a positive number, got ${scale}`);
  const font = plotFont();
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      loadSystemFonts: true,
      ...(font ? { fontFiles: [font.file], defaultFontFamily: font.family, sansSerifFamily: font.family } : {}),
    },
  });
  const png = resvg.render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
