// The line charts: spec → SVG (labelled axes, legend, one path per series) and SVG → PNG
// (resvg, with a font so that text is drawn).
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { curvesLayout, renderCurves } from '../../src/plot/index.js';
import { plotFont, svgToPng } from '../../src/plot/png-node.js';

const xs = Array.from({ length: 30 }, (_, i) => i + 1);
const spec = {
  title: 'Loss of three runs',
  xLabel: 'epoch number',
  yLabel: 'cross-entropy loss',
  series: [
    { name: 'run A train', x: xs, y: xs.map((e) => Math.exp(-e / 8)), dash: true, colorGroup: 'A' },
    { name: 'run A test', x: xs, y: xs.map((e) => Math.exp(-e / 8) + 0.1), colorGroup: 'A' },
    { name: 'run B test', x: xs, y: xs.map((e) => 1 / e) },
  ],
};

/** The text content of every <text> element of an SVG. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

/** Count of pixels darker than light grey (text, lines), and of any non-white pixel. */
function inkOf(png: PNG): { dark: number; nonWhite: number } {
  let dark = 0;
  let nonWhite = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    if (r < 250 || g < 250 || b < 250) nonWhite++;
    if (r + g + b < 200) dark++;
  }
  return { dark, nonWhite };
}

describe('renderCurves', () => {
  it('draws a titled chart with labelled axes, a legend entry and one line path per series', async () => {
    const svg = await renderCurves(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    const t = texts(svg);
    for (const s of [spec.title, spec.xLabel, spec.yLabel, ...spec.series.map((x) => x.name)]) expect(t).toContain(s);
    // each series is one <path aria-roledescription="line mark">
    const lines = svg.match(/aria-roledescription="line mark"/g) ?? [];
    expect(lines.length).toBe(3);
    // the dashed series is dashed, the others are not
    const paths = [...svg.matchAll(/<path[^>]*aria-roledescription="line mark"[^>]*>/g)].map((m) => m[0]);
    const dashed = paths.filter((p) => /stroke-dasharray="(\d+),(\d+)"/.test(p) && !/stroke-dasharray="1,0"/.test(p));
    expect(dashed.length).toBe(1);
    expect(dashed[0]).toContain('run A train');
    // train and test of run A share a colour; run B has another
    const stroke = (name: string): string => paths.find((p) => p.includes(`series: ${name}`))!.match(/stroke="([^"]+)"/)![1]!;
    expect(stroke('run A train')).toBe(stroke('run A test'));
    expect(stroke('run B test')).not.toBe(stroke('run A test'));
  });

  it('honours a fixed y domain and a percent format', async () => {
    const svg = await renderCurves({ ...spec, yDomain: [0, 2], yFormat: '.0%' });
    const t = texts(svg);
    expect(t).toContain('200%');
    expect(t).toContain('0%');
    const layout = curvesLayout({ ...spec, yDomain: [0, 2], yFormat: '.0%' });
    expect(layout.y.domain).toEqual([0, 2]);
    expect(layout.y.ticks[0]).toBe(0);
    expect(layout.y.ticks.at(-1)).toBe(2);
  });

  it('marks the points of short series (a one-epoch run), keeping line symbols in the legend', async () => {
    const svg = await renderCurves({ ...spec, series: [
      { name: 'one epoch train', x: [1], y: [0.3], dash: true, colorGroup: 'a' },
      { name: 'one epoch test', x: [1], y: [0.4], colorGroup: 'a' },
    ] });
    expect((svg.match(/aria-roledescription="point"/g) ?? []).length).toBe(2);
    // legend symbols are short horizontal strokes, the train one dashed
    const symbols = [...svg.matchAll(/class="mark-symbol role-legend-symbol"[^>]*><path ([^>]*)>/g)].map((m) => m[1]!);
    expect(symbols.length).toBe(2);
    for (const sym of symbols) expect(sym).toMatch(/d="M-[\d.]+,0L[\d.]+,0"/);
    expect(symbols.filter((sym) => /stroke-dasharray="6,4"/.test(sym)).length).toBe(1);
    // the x axis counts epochs: integer ticks only
    const xAxis = svg.slice(svg.indexOf("X-axis titled"), svg.indexOf("Y-axis titled"));
    const ticks = texts(xAxis).filter((t) => t !== spec.xLabel);
    expect(ticks.length).toBeGreaterThan(0);
    for (const t of ticks) expect(t).toMatch(/^\d+$/);
  });

  it('leaves non-finite points out and rejects malformed series', async () => {
    const svg = await renderCurves({ ...spec, series: [{ name: 'nan', x: [1, 2, 3], y: [1, NaN, 0.5] }] });
    expect(svg).toContain('line mark');
    await expect(renderCurves({ ...spec, series: [{ name: 'bad', x: [1, 2], y: [1] }] })).rejects.toThrow(/'bad' has 2 x values and 1 y values/);
    await expect(renderCurves({ ...spec, series: [spec.series[0]!, spec.series[0]!] })).rejects.toThrow(/two series are named 'run A train'/);
    await expect(renderCurves({ ...spec, series: [] })).rejects.toThrow(/no series/);
  });
});

describe('svgToPng', () => {
  it('finds a font on this system', () => {
    // Debian's fonts-dejavu-core (or fonts-liberation): without one, resvg draws no text at all
    expect(plotFont()).not.toBeNull();
  });

  it('rasterises a chart at the SVG size times the scale, with ink on it', async () => {
    const svg = await renderCurves(spec);
    const [, w, h] = svg.match(/<svg[^>]* width="(\d+)" height="(\d+)"/)!.map(Number);
    const bytes = svgToPng(svg, 2);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const png = PNG.sync.read(Buffer.from(bytes));
    expect(png.width).toBe(2 * w!);
    expect(png.height).toBe(2 * h!);
    const ink = inkOf(png);
    expect(ink.nonWhite).toBeGreaterThan(0.01 * png.width * png.height);
    expect(ink.dark).toBeGreaterThan(500);
    const one = PNG.sync.read(Buffer.from(svgToPng(svg, 1)));
    expect(one.width).toBe(w);
  });

  it('draws text (a font is loaded)', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="white"/>' +
      '<text x="10" y="28" font-family="sans-serif" font-size="20px" fill="#000">epoch loss</text></svg>';
    const blank = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="white"/></svg>';
    expect(inkOf(PNG.sync.read(Buffer.from(svgToPng(blank, 1)))).dark).toBe(0);
    expect(inkOf(PNG.sync.read(Buffer.from(svgToPng(svg, 1)))).dark).toBeGreaterThan(100);
  });

  it('rejects a bad scale', () => {
    expect(() => svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>', 0)).toThrow(/scale must be a positive number/);
  });
});
