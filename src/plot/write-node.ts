// Charts to files (Node only): each chart is rendered to SVG (index.ts) and rasterised to PNG
// (png-node.ts), and both are written atomically as <dir>/<file>.svg and <dir>/<file>.png. The
// rasteriser (resvg, a native module) loads on the first chart, so a command that draws none does
// not load it.

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-node.js';
import type { Chart } from './index.js';

/** Writes every chart as SVG and PNG under `dir` (a chart's sub-folder is created); returns the paths written, relative to `dir`. */
export async function writeCharts(dir: string, charts: readonly Chart[]): Promise<string[]> {
  if (charts.length === 0) return [];
  const [{ renderCurves }, { svgToPng }] = await Promise.all([import('./index.js'), import('./png-node.js')]);
  const written: string[] = [];
  for (const c of charts) {
    const svg = await renderCurves(c.spec);
    const base = join(dir, c.file);
    mkdirSync(dirname(base), { recursive: true });
    writeFileAtomic(`${base}.svg`, svg);
    writeFileAtomic(`${base}.png`, svgToPng(svg));
    written.push(`${c.file}.svg`, `${c.file}.png`);
  }
  return written;
}
