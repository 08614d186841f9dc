// A small SVG line chart for the live view. Chosen over Vega-Lite here because the curves are
// redrawn several times a second while training, and vega + vega-lite would add ~1 MB to the page
// and re-parse a spec per redraw.
//
// The chart is drawn at the size it is shown (its viewBox is its CSS width in pixels), so its text
// is as large on a phone as on a desktop; the legend sits in a row above the plot, clear of the
// curves wherever they run; an optional title goes above the legend (the exported PNG has one).

export interface Series {
  name: string;
  color: string;
  xs: number[];
  ys: number[];
  dashed?: boolean;
}

export interface ChartOptions {
  xLabel: string;
  yLabel: string;
  /** Width in pixels; default the element's own width (440 while it is not laid out). */
  width?: number;
  /** Height in pixels; default 0.6 of the width, within [200, 300]. */
  height?: number;
  yMin?: number;
  yMax?: number;
  title?: string;
}

const NS = 'http://www.w3.org/2000/svg';
/** Text sizes in pixels: ticks and legend, axis labels, title. */
const FONT = { tick: 12, label: 13, title: 15 };

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Charts drawn so far: each one's clip path gets its own id. */
let charts = 0;

const fmt = (v: number): string => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(0) : String(+v.toFixed(3)));

export function lineChart(svg: SVGSVGElement, series: Series[], o: ChartOptions): void {
  const W = Math.round(o.width ?? (svg.clientWidth || 440));
  const H = Math.round(o.height ?? Math.min(300, Math.max(200, W * 0.6)));
  const titleLines = o.title ? wrap(o.title, Math.floor((W - 28) / (FONT.title * 0.6))) : [];
  const top = 28 + titleLines.length * (FONT.title + 5);
  const m = { l: 54, r: 14, t: top, b: 42 };
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('width', String(W));
  svg.setAttribute('height', String(H));
  svg.setAttribute('class', 'chart');
  svg.replaceChildren();
  const all = series.flatMap((s) => s.xs.map((x, i) => [x, s.ys[i] ?? NaN] as const)).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  let y0 = o.yMin ?? Math.min(...all.map((p) => p[1])), y1 = o.yMax ?? Math.max(...all.map((p) => p[1]));
  if (!all.length) { x0 = 0; x1 = 1; y0 = o.yMin ?? 0; y1 = o.yMax ?? 1; }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y1 += 0.5; y0 -= 0.5; }
  const sx = (x: number): number => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number): number => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const el = (tag: string, attrs: Record<string, string | number>, text?: string): SVGElement => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e);
    return e;
  };
  const font = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  el('rect', { x: 0, y: 0, width: W, height: H, fill: '#fff' });
  titleLines.forEach((line, i) => el('text', { x: 14, y: 18 + i * (FONT.title + 5), 'font-size': FONT.title, 'font-weight': 600, 'font-family': font, fill: '#111' }, line));
  for (const t of niceTicks(y0, y1)) {
    el('line', { x1: m.l, x2: W - m.r, y1: sy(t), y2: sy(t), stroke: '#e3e3e3' });
    el('text', { x: m.l - 6, y: sy(t) + 4, 'text-anchor': 'end', 'font-size': FONT.tick, 'font-family': font, fill: '#333' }, fmt(t));
  }
  for (const t of niceTicks(x0, x1, Math.max(2, Math.min(5, Math.floor((W - m.l - m.r) / 60))))) {
    el('line', { x1: sx(t), x2: sx(t), y1: H - m.b, y2: H - m.b + 4, stroke: '#333' });
    el('text', { x: sx(t), y: H - m.b + 17, 'text-anchor': 'middle', 'font-size': FONT.tick, 'font-family': font, fill: '#333' }, fmt(t));
  }
  el('line', { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, stroke: '#333' });
  el('line', { x1: m.l, x2: m.l, y1: m.t, y2: H - m.b, stroke: '#333' });
  el('text', { x: (m.l + W - m.r) / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': FONT.label, 'font-family': font, fill: '#222' }, o.xLabel);
  const cy = (m.t + H - m.b) / 2;
  el('text', { x: 14, y: cy, 'text-anchor': 'middle', 'font-size': FONT.label, 'font-family': font, fill: '#222', transform: `rotate(-90 14 ${cy})` }, o.yLabel);
  // the plot is clipped to its frame; the legend is a row in the margin above it
  const clip = `chart-clip-${++charts}`;
  const clipPath = document.createElementNS(NS, 'clipPath');
  clipPath.setAttribute('id', clip);
  const frame = document.createElementNS(NS, 'rect');
  for (const [k, v] of Object.entries({ x: m.l, y: m.t - 2, width: W - m.l - m.r, height: H - m.t - m.b + 4 })) frame.setAttribute(k, String(v));
  clipPath.appendChild(frame);
  el('defs', {}).appendChild(clipPath);
  let lx = m.l;
  const ly = m.t - 10;
  for (const s of series) {
    const pts = s.xs.map((x, i) => [x, s.ys[i] ?? NaN] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const dash: Record<string, string> = s.dashed ? { 'stroke-dasharray': '6 4' } : {};
    if (pts.length) {
      el('polyline', {
        points: pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' '),
        fill: 'none', stroke: s.color, 'stroke-width': 2, 'clip-path': `url(#${clip})`, ...dash,
      });
    }
    el('line', { x1: lx, x2: lx + 22, y1: ly, y2: ly, stroke: s.color, 'stroke-width': 2, ...dash });
    el('text', { x: lx + 27, y: ly + 4, 'font-size': FONT.tick, 'font-family': font, fill: '#222', class: 'legend' }, s.name);
    lx += 27 + FONT.tick * 0.62 * s.name.length + 18;
  }
}

/** Splits a title at ", " into lines of at most `max` characters (a longer part keeps its own line). */
function wrap(title: string, max: number): string[] {
  const lines: string[] = [];
  for (const part of title.split(', ')) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 2 + part.length <= max) lines[lines.length - 1] = `${last}, ${part}`;
    else lines.push(part);
  }
  return lines;
}

/** Renders an SVG element to PNG bytes (through a canvas), at `scale` device pixels per pixel. */
export async function svgToPng(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const vb = svg.viewBox.baseVal;
  const text = new XMLSerializer().serializeToString(svg);
  const img = new Image();
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('could not rasterise the chart'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = vb.width * scale;
    canvas.height = vb.height * scale;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas to rasterise the chart on');
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the chart could not be encoded as PNG'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** A detached copy of a chart drawn at a fixed size with a title, for export. */
export function chartForExport(series: Series[], o: ChartOptions & { title: string }): SVGSVGElement {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('xmlns', NS);
  lineChart(svg, series, { width: 640, height: 400, ...o });
  return svg;
}
