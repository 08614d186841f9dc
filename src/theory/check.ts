// A numeric check the theory panels show as pass/fail: a name, the largest error found, the
// tolerance it is held to. Every theory computation returns one or more of these, so the page
// and the unit tests judge a claim by the same numbers.

/** A numeric claim checked as pass/fail: the largest error found against a tolerance. */
export interface TheoryCheck {
  /** What is being checked, in words ("GELU′ by backward vs closed form"). */
  name: string;
  /** The largest absolute (or stated) error found. */
  error: number;
  /** The error must be at most this. */
  tolerance: number;
  /** Whether the error is finite and at most the tolerance. */
  passed: boolean;
}

/** A check named `name` that passes when `error` is finite and ≤ `tolerance`. */
export function check(name: string, error: number, tolerance: number): TheoryCheck {
  return { name, error, tolerance, passed: Number.isFinite(error) && error <= tolerance };
}

/** A check of a true/false claim (error 0 when it holds, 1 when not). */
export function claim(name: string, holds: boolean): TheoryCheck {
  return { name, error: holds ? 0 : 1, tolerance: 0, passed: holds };
}

/** max_i |a_i − b_i|; Infinity when the lengths differ, NaN when any difference is NaN. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = d; // NaN propagates as a failure
  }
  return m;
}

/** Evenly spaced numbers from `from` to `to` inclusive. */
export function linspace(from: number, to: number, n: number): number[] {
  if (n === 1) return [from];
  return Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
}
