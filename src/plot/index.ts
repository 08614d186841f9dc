// Line charts over plain arrays, written directly as SVG: a title, an x and a y axis with round
// ticks, light grid lines and axis titles, one <path> per series clipped to the plot area, and a
// legend to the right of the plot (never on the curves) whose symbols are short strokes in each
// series' colour and dash. Browser-safe and dependency-free: no fs, no canvas; text widths are
// estimated from the font size and the characters (DejaVu Sans, the widest of the fonts named), so labels get
// room without measuring. PNG conversion needs a native rasteriser and lives in ./png-node.ts.
//
// Layout, left to right: padding | y title (rotated) | y tick labels | plot area | legend | padding;
// top to bottom: padding | title | plot area | x tick labels | x title | padding.
// Elements carry ARIA roles ("line mark", "point", "X-axis titled …") so tests and screen readers
// can find the series, the points and the axes.

import { linearScale, niceDomain, tickFormat, tickStep, ticks, type LinearScale } from './scale.js';

/** One line of a chart: its points and style. */
export interface CurveSeries {
  /** Legend label; must be unique within a chart. */
  name: string;
  /** The x values (epochs, steps). */
  x: number[];
  /** The y values, one per x. */
  y: number[];
  /** Dashed line (e.g. the train curve beside a solid test curve). */
  dash?: boolean;
  /** Series with the same colorGroup are drawn in the same colour (default: the name). */
  colorGroup?: string;
}

/** A line chart: title, axis labels, series and layout. */
export interface CurvesSpec {
  /** The chart's title. */
  title: string;
  /** The x axis's label. */
  xLabel: string;
  /** The y axis's label. */
  yLabel: string;
  /** The lines drawn. */
  series: CurveSeries[];
  /** Fixed y range [lo, hi]; points outside are clipped. Default: fitted to the data and widened to round ticks. */
  yDomain?: [number, number];
  /** Plot area width in CSS pixels (axes, title and legend come on top). Default 560. */
  width?: number;
  /** Plot area height in CSS pixels (default 320). */
  height?: number;
  /** Format of the y tick labels: 'd', '.Nf', '.N%' or '.Ne' (d3-format's notation), e.g. '.0%'. Default: as many decimals as the tick step needs. */
  yFormat?: string;
}

/** A chart and the file stem it is written to (relative to a folder, without .svg/.png). */
export interface Chart {
  /** The file stem, relative to the output folder, without .svg/.png. */
  file: string;
  /** The chart. */
  spec: CurvesSpec;
}

/** Where a chart's axes go: the domains and tick values renderCurves draws (exposed for tests). */
export interface CurvesLayout {
  x: { domain: [number, number]; ticks: number[]; labels: string[] };
  y: { domain: [number, number]; ticks: number[]; labels: string[] };
}

/** Category10: ten distinguishable colours, cycled beyond ten groups. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const DASH = '6,4';
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
const PAD = 8;
const TITLE_SIZE = 15;
const AXIS_TITLE_SIZE = 12;
const LABEL_SIZE = 11;
const TICK = 5;
/** Pixels kept free at each end of an axis when series have few points, so edge points are whole. */
const POINT_PAD = 8;
/** Series with at most this many points also get a dot at each point (one epoch draws no line). */
const FEW_POINTS = 25;

interface Point { x: number; y: number }

/** The finite points of each series, after checking names and lengths. */
function checkedPoints(spec: CurvesSpec): Point[][] {
  const { title, series } = spec;
  if (series.length === 0) throw new Error(`renderCurves('${title}'): no series to draw`);
  const names = new Set<string>();
  return series.map((s) => {
    if (names.has(s.name)) throw new Error(`renderCurves('${title}'): two series are named '${s.name}'; names must be unique`);
    names.add(s.name);
    if (s.x.length !== s.y.length) {
      throw new Error(`renderCurves('${title}'): series '${s.name}' has ${s.x.length} x values and ${s.y.length} y values; expected the same number`);
    }
    const pts: Point[] = [];
    // Non-finite points (a diverged epoch) are left out rather than breaking the scale.
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      if (Number.isFinite(x) && Number.isFinite(y)) pts.push({ x, y });
    }
    return pts;
  });
}

/** [lo, hi] widened so that the data fill the range minus `pad` pixels at each end. */
function padded([lo, hi]: [number, number], pixels: number, pad: number): [number, number] {
  const grow = ((hi - lo) * pad) / Math.max(1, pixels - 2 * pad);
  return [lo - grow, hi + grow];
}

function layoutOf(spec: CurvesSpec, points: Point[][], width: number, height: number): CurvesLayout {
  const all = points.flat();
  let [xMin, xMax, yMin, yMax] = [Infinity, -Infinity, Infinity, -Infinity];
  let integers = true;
  for (const p of all) {
    xMin = Math.min(xMin, p.x);
    xMax = Math.max(xMax, p.x);
    yMin = Math.min(yMin, p.y);
    yMax = Math.max(yMax, p.y);
    integers &&= Number.isInteger(p.x);
  }
  if (all.length === 0) [xMin, xMax, yMin, yMax] = [0, 1, 0, 1];
  // a single value would give a degenerate scale
  if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1];
  if (yMin === yMax) [yMin, yMax] = [yMin - Math.max(1, Math.abs(yMin)) / 2, yMax + Math.max(1, Math.abs(yMax)) / 2];
  const few = Math.max(...points.map((p) => p.length)) <= FEW_POINTS;

  // x: the data's own range (epochs 1…E), integer ticks when every x is an integer
  let xDomain: [number, number] = [xMin, xMax];
  if (few) xDomain = padded(xDomain, width, POINT_PAD);
  let xStep = tickStep(xDomain[0], xDomain[1], Math.ceil(width / 40));
  if (integers) xStep = Math.max(1, Math.round(xStep));
  const xTicks = ticks(xDomain[0], xDomain[1], xStep);
  const xFormat = tickFormat(integers ? 'd' : undefined, xStep);

  // y: a fixed domain as given, otherwise the data's range widened to round ticks
  const yCount = Math.ceil(height / 40);
  let yDomain: [number, number] = spec.yDomain ? [spec.yDomain[0], spec.yDomain[1]] : niceDomain(yMin, yMax, yCount);
  if (few && !spec.yDomain) yDomain = padded(yDomain, height, POINT_PAD);
  const yStep = tickStep(yDomain[0], yDomain[1], yCount);
  const yTicks = ticks(yDomain[0], yDomain[1], yStep);
  const yFormat = tickFormat(spec.yFormat, yStep);

  return {
    x: { domain: xDomain, ticks: xTicks, labels: xTicks.map(xFormat) },
    y: { domain: yDomain, ticks: yTicks, labels: yTicks.map(yFormat) },
  };
}

/** The axis domains, tick values and tick labels of a chart, after the same checks renderCurves makes. */
export function curvesLayout(spec: CurvesSpec): CurvesLayout {
  return layoutOf(spec, checkedPoints(spec), spec.width ?? 560, spec.height ?? 320);
}

/** Text escaped for SVG content and attribute values. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Estimated width of a text in pixels (an overestimate for DejaVu Sans, the widest of the fonts: digits 0.64 em, '%' and 'm' about 1 em). */
function textWidth(s: string, size: number): number {
  let em = 0;
  for (const c of s) em += /[%@MWmw]/.test(c) ? 1 : /[A-Z]/.test(c) ? 0.75 : 0.64;
  return Math.ceil(em * size);
}

/** A number with at most two decimals, as SVG coordinates are written. */
function n(v: number): string {
  return String(Math.round(v * 100) / 100);
}

function text(x: number, y: number, size: number, content: string, extra = ''): string {
  return `<text x="${n(x)}" y="${n(y)}" font-size="${size}" ${extra}>${esc(content)}</text>`;
}

/** A small stable hash, so each chart's clip-path id differs when several SVGs share a page. */
function hashOf(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

/** The SVG of a line chart (synchronous; renderCurves is the asynchronous form). */
export function curvesSvg(spec: CurvesSpec): string {
  const { title, xLabel, yLabel, series } = spec;
  const width = spec.width ?? 560;
  const height = spec.height ?? 320;
  const points = checkedPoints(spec);
  const layout = layoutOf(spec, points, width, height);

  const groups: string[] = [];
  for (const s of series) {
    const g = s.colorGroup ?? s.name;
    if (!groups.includes(g)) groups.push(g);
  }
  const colorOf = (s: CurveSeries): string => PALETTE[groups.indexOf(s.colorGroup ?? s.name) % PALETTE.length]!;

  const yLabelWidth = Math.max(...layout.y.labels.map((l) => textWidth(l, LABEL_SIZE)));
  const left = PAD + AXIS_TITLE_SIZE + 8 + yLabelWidth + TICK + 3;
  const top = PAD + TITLE_SIZE + 10;
  const right = left + width;
  const bottom = top + height;
  const legendX = right + 20;
  const legendWidth = 24 + 6 + Math.max(...series.map((s) => textWidth(s.name, LABEL_SIZE)));
  const titleWidth = textWidth(title, TITLE_SIZE);
  const totalWidth = Math.ceil(Math.max(legendX + legendWidth, left + titleWidth) + PAD);
  const totalHeight = Math.ceil(Math.max(bottom + TICK + 3 + LABEL_SIZE + 10 + AXIS_TITLE_SIZE, top + series.length * 18) + PAD);

  const xs: LinearScale = linearScale(layout.x.domain, [left, right]);
  const ys: LinearScale = linearScale(layout.y.domain, [bottom, top]);
  const clip = `plot-${hashOf(title + series.map((s) => s.name).join('\n'))}`;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${totalWidth}" height="${totalHeight}" viewBox="0 0 ${totalWidth} ${totalHeight}" font-family="${FONT}">`);
  out.push(`<rect width="${totalWidth}" height="${totalHeight}" fill="white"/>`);
  out.push(`<defs><clipPath id="${clip}"><rect x="${left}" y="${top}" width="${width}" height="${height}"/></clipPath></defs>`);

  // grid lines under everything
  out.push('<g stroke="#ddd" stroke-width="1" fill="none">');
  for (const t of layout.x.ticks) out.push(`<line x1="${n(xs.map(t))}" y1="${top}" x2="${n(xs.map(t))}" y2="${bottom}"/>`);
  for (const t of layout.y.ticks) out.push(`<line x1="${left}" y1="${n(ys.map(t))}" x2="${right}" y2="${n(ys.map(t))}"/>`);
  out.push('</g>');

  // x axis: domain line, ticks, tick labels centred under them, title centred under the plot
  out.push(`<g aria-roledescription="axis" aria-label="X-axis titled '${esc(xLabel)}' from ${esc(layout.x.labels[0] ?? '')} to ${esc(layout.x.labels.at(-1) ?? '')}" fill="#000">`);
  out.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#888"/>`);
  layout.x.ticks.forEach((t, i) => {
    const px = n(xs.map(t));
    out.push(`<line x1="${px}" y1="${bottom}" x2="${px}" y2="${bottom + TICK}" stroke="#888"/>`);
    out.push(text(xs.map(t), bottom + TICK + 3 + LABEL_SIZE, LABEL_SIZE, layout.x.labels[i]!, 'text-anchor="middle"'));
  });
  out.push(text((left + right) / 2, bottom + TICK + 3 + LABEL_SIZE + 10 + AXIS_TITLE_SIZE, AXIS_TITLE_SIZE, xLabel, 'text-anchor="middle" font-weight="bold"'));
  out.push('</g>');

  // y axis: tick labels right-aligned left of the ticks, title rotated along the axis
  out.push(`<g aria-roledescription="axis" aria-label="Y-axis titled '${esc(yLabel)}' from ${esc(layout.y.labels[0] ?? '')} to ${esc(layout.y.labels.at(-1) ?? '')}" fill="#000">`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#888"/>`);
  layout.y.ticks.forEach((t, i) => {
    const py = ys.map(t);
    out.push(`<line x1="${left - TICK}" y1="${n(py)}" x2="${left}" y2="${n(py)}" stroke="#888"/>`);
    out.push(text(left - TICK - 3, py + LABEL_SIZE * 0.35, LABEL_SIZE, layout.y.labels[i]!, 'text-anchor="end"'));
  });
  const yTitleX = PAD + AXIS_TITLE_SIZE;
  const yTitleY = (top + bottom) / 2;
  out.push(text(yTitleX, yTitleY, AXIS_TITLE_SIZE, yLabel, `text-anchor="middle" font-weight="bold" transform="rotate(-90 ${n(yTitleX)} ${n(yTitleY)})"`));
  out.push('</g>');

  // the series, clipped to the plot area
  out.push(`<g clip-path="url(#${clip})" fill="none" stroke-linejoin="round" stroke-linecap="round">`);
  const few = Math.max(...points.map((p) => p.length)) <= FEW_POINTS;
  series.forEach((s, i) => {
    const pts = points[i]!;
    const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${n(xs.map(p.x))},${n(ys.map(p.y))}`).join('');
    const dash = s.dash ? ` stroke-dasharray="${DASH}"` : '';
    out.push(`<path aria-roledescription="line mark" aria-label="series: ${esc(s.name)}" d="${d || 'M0,0'}" stroke="${colorOf(s)}" stroke-width="1.8"${dash}/>`);
  });
  if (few) {
    series.forEach((s, i) => {
      for (const p of points[i]!) {
        const [cx, cy, r] = [xs.map(p.x), ys.map(p.y), 3.1];
        const d = `M${n(cx + r)},${n(cy)}A${r},${r} 0 1,1 ${n(cx - r)},${n(cy)}A${r},${r} 0 1,1 ${n(cx + r)},${n(cy)}Z`;
        out.push(`<path aria-roledescription="point" aria-label="series: ${esc(s.name)}; x: ${p.x}; y: ${p.y}" d="${d}" fill="${colorOf(s)}" stroke="none"/>`);
      }
    });
  }
  out.push('</g>');

  // legend: one row per series, a stroke in its colour and dash, then its name
  out.push(`<g aria-roledescription="legend" aria-label="legend of ${series.length} series">`);
  series.forEach((s, i) => {
    const cy = top + 8 + i * 18;
    const dash = s.dash ? ` stroke-dasharray="${DASH}"` : '';
    out.push(`<g class="mark-symbol role-legend-symbol" transform="translate(${legendX + 12},${cy})"><path d="M-12,0L12,0" stroke="${colorOf(s)}" stroke-width="2"${dash} fill="none"/></g>`);
    out.push(text(legendX + 30, cy + LABEL_SIZE * 0.35, LABEL_SIZE, s.name, 'fill="#000"'));
  });
  out.push('</g>');

  // title: centred over the plot area when it fits there, otherwise starting at its left edge
  const titleX = titleWidth <= width ? (left + right) / 2 : left;
  out.push(text(titleX, PAD + TITLE_SIZE, TITLE_SIZE, title, `text-anchor="${titleWidth <= width ? 'middle' : 'start'}" font-weight="bold" fill="#000"`));
  out.push('</svg>');
  return out.join('\n');
}

/**
 * Renders a line chart to an SVG string. Every series becomes one `<path>` in the plot area,
 * listed in the legend. Asynchronous so that a malformed spec is a rejected promise, not a throw.
 */
export function renderCurves(spec: CurvesSpec): Promise<string> {
  try {
    return Promise.resolve(curvesSvg(spec));
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
