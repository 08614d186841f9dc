// Line charts over plain arrays, drawn by a real plotting grammar: a Vega-Lite spec compiled with
// `vega-lite` and rendered headless to SVG by `vega`'s View (renderer 'none', so no canvas package
// is needed: vega estimates text widths itself and writes <text> elements). Browser-safe: no fs.
// PNG conversion needs a native rasteriser and lives in ./png-node.ts.
//
// One chart = one Vega-Lite layer of `line` marks over a long table { series, x, y }:
//   color      ← series name (series that share `colorGroup` share a colour, e.g. a run's train
//                and test curves),
//   strokeDash ← series name too, with a range of [4, 3] for `dash: true` and solid otherwise.
// Both channels use the same field, so Vega-Lite merges them into ONE legend whose symbols show
// each series' colour and dash.

import * as vega from 'vega';
import * as vl from 'vega-lite';

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
  /** Fixed y range [lo, hi]; points outside are clipped. Default: fitted to the data. */
  yDomain?: [number, number];
  /** Plot area width in CSS pixels (axes, title and legend come on top). Default 560. */
  width?: number;
  /** Plot area height in CSS pixels (default 320). */
  height?: number;
  /** Format of the y tick labels, a d3-format string such as '.0%' (default: vega's choice). */
  yFormat?: string;
}

/** A chart and the file stem it is written to (relative to a folder, without .svg/.png). */
export interface Chart {
  /** The file stem, relative to the output folder, without .svg/.png. */
  file: string;
  /** The chart. */
  spec: CurvesSpec;
}

/** Vega's category10 palette: ten distinguishable colours, cycled beyond ten groups. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const DASHED = [6, 4];
const SOLID = [1, 0];

/** The Vega-Lite spec of a chart (exposed so tests and the playground can inspect or embed it). */
export function curvesSpec(spec: CurvesSpec): vl.TopLevelSpec {
  const { title, xLabel, yLabel, series } = spec;
  if (series.length === 0) throw new Error(`renderCurves('${title}'): no series to draw`);
  const names = new Set<string>();
  const values: { series: string; x: number; y: number }[] = [];
  for (const s of series) {
    if (names.has(s.name)) throw new Error(`renderCurves('${title}'): two series are named '${s.name}'; names must be unique`);
    names.add(s.name);
    if (s.x.length !== s.y.length) {
      throw new Error(`renderCurves('${title}'): series '${s.name}' has ${s.x.length} x values and ${s.y.length} y values; expected the same number`);
    }
    // Non-finite points (a diverged epoch) are left out rather than breaking the scale.
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      if (Number.isFinite(x) && Number.isFinite(y)) values.push({ series: s.name, x, y });
    }
  }
  const groups: string[] = [];
  for (const s of series) {
    const g = s.colorGroup ?? s.name;
    if (!groups.includes(g)) groups.push(g);
  }
  const domain = series.map((s) => s.name);
  const colors = series.map((s) => PALETTE[groups.indexOf(s.colorGroup ?? s.name) % PALETTE.length]!);
  const dashes = series.map((s) => (s.dash ? DASHED : SOLID));
  // x range: the data's own (epochs 1…E), widened when it is a single value so the scale is not
  // degenerate; integer x values (epochs) get integer ticks.
  let xMin = Infinity;
  let xMax = -Infinity;
  let integers = true;
  for (const v of values) {
    xMin = Math.min(xMin, v.x);
    xMax = Math.max(xMax, v.x);
    integers &&= Number.isInteger(v.x);
  }
  if (values.length === 0) [xMin, xMax] = [0, 1];
  if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1];
  const longestSeries = Math.max(...series.map((s) => s.x.length));

  const x = {
    field: 'x',
    type: 'quantitative',
    title: xLabel,
    scale: { domain: [xMin, xMax], nice: false },
    ...(integers ? { axis: { format: 'd', tickMinStep: 1 } } : {}),
  };
  const y = {
    field: 'y',
    type: 'quantitative',
    title: yLabel,
    scale: spec.yDomain ? { domain: spec.yDomain, nice: false } : { zero: false },
    ...(spec.yFormat ? { axis: { format: spec.yFormat } } : {}),
  };
  // With few points per line (a one-epoch run draws no visible line) the points are marked too
  // (the legend keeps line symbols: symbolType 'stroke' below), and the scales are padded so
  // points on the edges are not cut in half.
  const fewPoints = longestSeries <= 25;
  if (fewPoints) {
    (x.scale as Record<string, unknown>).padding = 8;
    if (!spec.yDomain) (y.scale as Record<string, unknown>).padding = 8;
  }

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, fontSize: 15 },
    width: spec.width ?? 560,
    height: spec.height ?? 320,
    background: 'white',
    padding: 8,
    config: {
      font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif',
      axis: { labelFontSize: 11, titleFontSize: 12 },
      // labelLimit 0: never truncate a label
      legend: { labelFontSize: 11, labelLimit: 0, symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300 },
    },
    data: { values },
    mark: { type: 'line', strokeWidth: 1.8, clip: true, interpolate: 'linear', ...(fewPoints ? { point: { filled: true, size: 30 } } : {}) },
    encoding: {
      x,
      y,
      color: { field: 'series', type: 'nominal', title: null, sort: domain, scale: { domain, range: colors } },
      strokeDash: { field: 'series', type: 'nominal', title: null, sort: domain, scale: { domain, range: dashes } },
    },
  } as vl.TopLevelSpec;
}

/**
 * Renders a line chart to an SVG string. Asynchronous because vega's View.toSVG is.
 * Every series becomes one <path> inside the chart's `mark-line` group, listed in the legend.
 */
export async function renderCurves(spec: CurvesSpec): Promise<string> {
  const compiled = vl.compile(curvesSpec(spec)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
