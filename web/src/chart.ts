// A small SVG line chart for the live view. Chosen over Vega-Lite here because the curves are
// redrawn several times a second while training, and vega + vega-lite would add ~1 MB to the page
// and re-parse a spec per redraw.

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
  width?: number;
  height?: number;
  yMin?: number;
  yMax?: number;
  /** Where the legend sits (default top right). */
  legend?: 'left' | 'right';
}

const NS = 'http://www.w3.org/2000/svg';

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(0) : String(+v.toFixed(3)));

export function lineChart(svg: SVGSVGElement, series: Series[], o: ChartOptions): void {
  const W = o.width ?? 440, H = o.height ?? 260;
  const m = { l: 52, r: 12, t: 10, b: 40 };
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('class', 'chart');
  svg.replaceChildren();
  const all = series.flatMap((s) => s.xs.map((x, i) => [x, s.ys[i]!] as const)).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
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
  el('rect', { x: 0, y: 0, width: W, height: H, fill: '#fff' });
  for (const t of niceTicks(y0, y1)) {
    el('line', { x1: m.l, x2: W - m.r, y1: sy(t), y2: sy(t), stroke: '#e3e3e3' });
    el('text', { x: m.l - 5, y: sy(t) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#333' }, fmt(t));
  }
  for (const t of niceTicks(x0, x1)) {
    el('line', { x1: sx(t), x2: sx(t), y1: H - m.b, y2: H - m.b + 4, stroke: '#333' });
    el('text', { x: sx(t), y: H - m.b + 16, 'text-anchor': 'middle', 'font-size': 11, fill: '#333' }, fmt(t));
  }
  el('line', { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, stroke: '#333' });
  el('line', { x1: m.l, x2: m.l, y1: m.t, y2: H - m.b, stroke: '#333' });
  el('text', { x: (m.l + W - m.r) / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': 12, fill: '#222' }, o.xLabel);
  el('text', { x: 12, y: (m.t + H - m.b) / 2, 'text-anchor': 'middle', 'font-size': 12, fill: '#222', transform: `rotate(-90 12 ${(m.t + H - m.b) / 2})` }, o.yLabel);
  series.forEach((s, k) => {
    const pts = s.xs.map((x, i) => [x, s.ys[i]!] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length) {
      el('polyline', {
        points: pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(Math.min(Math.max(y, y0), y1)).toFixed(1)}`).join(' '),
        fill: 'none', stroke: s.color, 'stroke-width': 2, ...(s.dashed ? { 'stroke-dasharray': '5 3' } : {}),
      });
    }
    // legend
    const lx = o.legend === 'left' ? m.l + 8 : W - m.r - 120, ly = m.t + 8 + k * 15;
    el('line', { x1: lx, x2: lx + 18, y1: ly, y2: ly, stroke: s.color, 'stroke-width': 2, ...(s.dashed ? { 'stroke-dasharray': '5 3' } : {}) });
    el('text', { x: lx + 22, y: ly + 4, 'font-size': 11, fill: '#222' }, s.name);
  });
}

/** Renders an SVG element to PNG bytes (through a canvas). */
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
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob failed'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}
