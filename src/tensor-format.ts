// How a tensor prints: PyTorch's layout (torch/_tensor_str.py) with the shape and dtype always
// named. Past `threshold` elements the print is summarised: every dimension longer than
// 2·edgeitems shows its first and last `edgeitems` entries around "...". One formatter serves all
// printed values, so the columns line up:
//   - every printed finite value an integer: "3." (scientific when max/min > 1e3 or max > 1e8);
//   - otherwise `precision` decimals, or scientific when max/min > 1e3, max > 1e8 or min < 1e-4
//     (max and min over the absolute values of the printed finite non-zero values).
// Lines wrap at `linewidth` characters, as PyTorch's do.

/** How {@link formatTensor} lays out values; each field defaults to PyTorch's print option. */
export interface PrintOptions {
  /** Digits after the decimal point (default 4). */
  precision?: number;
  /** Above this many elements the print is summarised (default 1000). */
  threshold?: number;
  /** Entries shown at each end of a summarised dimension (default 3). */
  edgeitems?: number;
  /** Characters per line before a row wraps (default 80). */
  linewidth?: number;
}

const DEFAULTS: Required<PrintOptions> = { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 };

/** Python's "{:.Ne}": the exponent has a sign and at least two digits. */
function exponential(v: number, digits: number): string {
  const s = v.toExponential(digits);
  const e = s.indexOf('e');
  const exp = s.slice(e + 2);
  return `${s.slice(0, e + 2)}${exp.length < 2 ? `0${exp}` : exp}`;
}

/** Python's float formatting of a non-finite value. */
function nonFinite(v: number): string {
  return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
}

/** One number format for every printed value (PyTorch's _Formatter for floating dtypes). */
class Formatter {
  private intMode = true;
  private sciMode = false;
  readonly width: number;

  constructor(values: readonly number[], private readonly precision: number) {
    let width = 1;
    let min = Infinity;
    let max = 0;
    const finite: number[] = [];
    for (const v of values) {
      if (!Number.isFinite(v) || v === 0) continue;
      finite.push(v);
      min = Math.min(min, Math.abs(v));
      max = Math.max(max, Math.abs(v));
      if (v !== Math.ceil(v)) this.intMode = false;
    }
    if (finite.length > 0) {
      this.sciMode = max / min > 1000 || max > 1e8 || (!this.intMode && min < 1e-4);
      for (const v of finite) {
        const s = this.sciMode ? exponential(v, precision) : this.intMode ? `${v.toFixed(0)}.` : v.toFixed(precision);
        width = Math.max(width, s.length);
      }
    }
    this.width = width;
  }

  format(v: number): string {
    let s: string;
    if (!Number.isFinite(v)) s = nonFinite(v);
    else if (this.sciMode) s = exponential(v, this.precision);
    else if (this.intMode) s = `${Object.is(v, -0) ? '-0' : v.toFixed(0)}.`;
    else s = (Object.is(v, -0) ? '-' : '') + v.toFixed(this.precision);
    return s.padStart(this.width, ' ');
  }
}

/** Row-major strides of `shape`. */
function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  return strides;
}

/** The indices along a dimension of length n that print: all, or the edges around a gap (-1). */
function shownIndices(n: number, summarize: boolean, edge: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (!summarize || n <= 2 * edge) return all;
  return [...all.slice(0, edge), -1, ...all.slice(n - edge)];
}

/**
 * The values of a row-major tensor laid out as PyTorch prints them, with the shape and dtype:
 * `tensor([[0.5000, 1.0000], [2.0000, 3.0000]], shape=[2, 2], dtype=float32)` on two lines.
 * `data` holds the values in row-major order; its length is the product of `shape`.
 */
export function formatTensor(data: ArrayLike<number>, shape: readonly number[], dtype: string, options: PrintOptions = {}): string {
  const o = { ...DEFAULTS, ...options };
  const size = data.length;
  const summarize = size > o.threshold;
  const strides = stridesOf(shape);
  const prefix = 'tensor(';
  const indent = prefix.length;

  // the values that print, for the formatter's width and mode
  const shown: number[] = [];
  const collect = (offset: number, dim: number): void => {
    if (dim === shape.length) {
      shown.push(data[offset]!);
      return;
    }
    for (const i of shownIndices(shape[dim]!, summarize, o.edgeitems)) if (i >= 0) collect(offset + i * strides[dim]!, dim + 1);
  };
  if (size > 0) collect(0, 0);
  const fmt = new Formatter(shown, o.precision);

  const vector = (offset: number, dim: number, ind: number): string => {
    const items = shownIndices(shape[dim]!, summarize, o.edgeitems).map((i) => (i < 0 ? ' ...' : fmt.format(data[offset + i * strides[dim]!]!)));
    const perLine = Math.max(1, Math.floor((o.linewidth - ind) / (fmt.width + 2)));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(ind + 1)}`)}]`;
  };
  const nested = (offset: number, dim: number, ind: number): string => {
    if (dim === shape.length - 1) return vector(offset, dim, ind);
    const rest = shape.length - dim;
    const slices = shownIndices(shape[dim]!, summarize, o.edgeitems).map((i) => (i < 0 ? '...' : nested(offset + i * strides[dim]!, dim + 1, ind + 1)));
    return `[${slices.join(`,${'\n'.repeat(rest - 1)}${' '.repeat(ind + 1)}`)}]`;
  };

  let body: string;
  if (size === 0) body = '[]';
  else if (shape.length === 0) body = fmt.format(data[0]!).trimStart();
  else body = nested(0, 0, indent);

  // the suffixes go on the last line while it stays within linewidth, else on lines of their own
  // (PyTorch's own count, two more than the last line's length, so that the breaks match its)
  const head = prefix + body;
  const out = [head];
  let lastLine = head.length - head.lastIndexOf('\n') + 1;
  for (const suffix of [`shape=[${shape.join(', ')}]`, `dtype=${dtype}`]) {
    if (lastLine + suffix.length + 2 > o.linewidth) {
      out.push(`,\n${' '.repeat(indent)}${suffix}`);
      lastLine = indent + suffix.length;
    } else {
      out.push(`, ${suffix}`);
      lastLine += suffix.length + 2;
    }
  }
  out.push(')');
  return out.join('');
}
