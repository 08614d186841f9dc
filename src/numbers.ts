// What a numeric option must be, said once: bounds (inclusive unless marked exclusive) and
// integrality. The command line's flag parser and the library's option checkers read the same
// rule and describe it in the same words ("an integer ≥ 1", "a number ≥ 0 and < 1").

/** The values a numeric option accepts. */
export interface NumberRule {
  /** The smallest value allowed (default: no bound). */
  min?: number;
  /** The largest value allowed (default: no bound). */
  max?: number;
  /** min itself is not allowed */
  minExclusive?: boolean;
  /** max itself is not allowed */
  maxExclusive?: boolean;
  /** Only integers (default false). */
  integer?: boolean;
}

/** True when `v` is a finite number that the rule accepts. */
export function meetsRule(v: unknown, rule: NumberRule): v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  const { min, max, minExclusive, maxExclusive, integer } = rule;
  if (integer && !Number.isInteger(v)) return false;
  if (min !== undefined && (minExclusive ? v <= min : v < min)) return false;
  if (max !== undefined && (maxExclusive ? v >= max : v > max)) return false;
  return true;
}

/** What the rule accepts, as a phrase: "an integer ≥ 1", "a number > 0", "a number ≥ 0 and < 1". */
export function describeRule(rule: NumberRule): string {
  const { min, max, minExclusive, maxExclusive, integer } = rule;
  const lo = min === undefined ? '' : `${minExclusive ? '>' : '≥'} ${min}`;
  const hi = max === undefined ? '' : `${maxExclusive ? '<' : '≤'} ${max}`;
  const range = [lo, hi].filter(Boolean).join(' and ');
  return `${integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}`;
}
