// Linear scales for the line charts: a data extent → a "nice" domain, round tick values and their
// labels. The tick rule is the one d3 and Vega use: the step is 1, 2 or 5 times a power of ten,
// chosen so that about `count` ticks cover the domain. Browser-safe, no dependency.

/** A linear map from a domain [d0, d1] to a pixel range [r0, r1] (r1 < r0 for a y axis). */
export interface LinearScale {
  domain: [number, number];
  range: [number, number];
  /** The pixel position of a data value. */
  map(v: number): number;
}

export function linearScale(domain: [number, number], range: [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return { domain, range, map: (v) => r0 + (v - d0) * k };
}

/**
 * The tick step for about `count` ticks over [lo, hi]: 1, 2 or 5 × 10^e, whichever brings the
 * number of intervals closest to `count` from above (d3's tickIncrement, as a positive step).
 */
export function tickStep(lo: number, hi: number, count: number): number {
  const span = Math.abs(hi - lo);
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const error = raw / power;
  const factor = error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1;
  return factor * power;
}

/** The multiples of `step` inside [lo, hi] (with a tolerance of 1e-9 steps at both ends). */
export function ticks(lo: number, hi: number, step: number): number[] {
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const out: number[] = [];
  // multiply rather than accumulate so 0.1 + 0.2 style drift never reaches a label; + 0 turns -0 into 0
  for (let i = first; i <= last; i++) out.push((step >= 1 ? i * step : i / Math.round(1 / step)) + 0);
  return out;
}

/** [lo, hi] widened outward to multiples of the tick step for about `count` ticks (d3's nice()). */
export function niceDomain(lo: number, hi: number, count: number): [number, number] {
  let step = tickStep(lo, hi, count);
  // twice, as d3 does: widening can change the step once
  for (let i = 0; i < 2; i++) {
    const nlo = Math.floor(lo / step) * step;
    const nhi = Math.ceil(hi / step) * step;
    const next = tickStep(nlo, nhi, count);
    if (next === step) return [nlo, nhi];
    step = next;
  }
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

/**
 * A tick label formatter. `format` is the subset of d3-format the charts use: 'd' (integers),
 * '.Nf' (N decimals), '.N%' (a percentage with N decimals), '.Ne' (exponent). Without a format,
 * labels get as many decimals as the step needs (0.1 → one, 0.05 → two) and an exponent for
 * magnitudes of 10^6 and more.
 */
export function tickFormat(format: string | undefined, step: number): (v: number) => string {
  if (format === undefined) {
    const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    return (v) => (Math.abs(v) >= 1e6 ? v.toExponential(2) : fixed(v, decimals));
  }
  if (format === 'd') return (v) => fixed(v, 0);
  const m = /^\.(\d{1,2})([f%e])$/.exec(format);
  if (!m) throw new Error(`tick format '${format}': expected 'd', '.Nf', '.N%' or '.Ne' (N decimals)`);
  const n = Number(m[1]);
  if (m[2] === '%') return (v) => `${fixed(v * 100, n)}%`;
  if (m[2] === 'e') return (v) => v.toExponential(n);
  return (v) => fixed(v, n);
}

/** v with `decimals` decimals, without a minus sign on zero. */
function fixed(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}
