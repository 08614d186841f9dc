// Class labels as the readers find them, turned into class indices 0…k−1 (browser-safe).
//
// Labels come as a 1-D array of integers (or integral floats), or as a 2-D one-hot / score
// matrix whose width is the class count. Without a list of class names, the classes are the
// distinct labels present in the splits, in increasing order, each named by its label; when those
// are not 0…k−1 the labels are renumbered to their class's index. So one stray label of 2³¹−1 or
// 100000 adds one class, not a hundred thousand, and a warning says which label is odd.
// At most MAX_CLASSES classes are accepted: beyond that the labels are not class indices.
//
// Warnings (returned, for the caller to show): a split that lacks some classes; labels that are
// not 0…k−1; a class far rarer than the rest (one flipped byte in an IDX label file gives
// "label 250 occurs once among 70000 labels"), which is more often a corrupted label than data.

import { DataError } from './errors.js';
import type { NdArray, NdData } from './types.js';

/** More classes than any classification data set here has; more distinct labels are refused. */
export const MAX_CLASSES = 10_000;

function elementAsNumber(a: NdData, i: number): number {
  return Number(a[i]!);
}

/**
 * Labels to Int32: a 1-D array of non-negative integers (ints, or floats that are integral), or
 * a 2-D one-hot / score matrix (argmax per row, `width` = its number of columns).
 */
export function labelsToInt(file: string, what: string, a: NdArray): { y: Int32Array; width?: number } {
  if (a.shape.length === 2) {
    const [n, c] = a.shape as [number, number];
    if (c < 1 || c > MAX_CLASSES) throw new DataError(file, `${what}: a one-hot label matrix of shape (${n}, ${c}) must have 1 to ${MAX_CLASSES} columns`);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < c; j++) if (elementAsNumber(a.data, i * c + j) > elementAsNumber(a.data, i * c + best)) best = j;
      y[i] = best;
    }
    return { y, width: c };
  }
  if (a.shape.length !== 1) {
    throw new DataError(file, `${what}: labels must be 1-D (n) or one-hot 2-D (n, classes), got shape (${a.shape.join(', ')})`);
  }
  const n = a.shape[0]!;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = elementAsNumber(a.data, i);
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
      throw new DataError(file, `${what}: label ${i} is ${v}; expected a non-negative integer class index`);
    }
    y[i] = v;
  }
  return { y };
}

/** Every label in [0, classes); the error names the label and, when given, its byte. */
export function checkLabels(file: string, what: string, y: Int32Array, classes: number, labelOffset?: (i: number) => number): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (v < 0 || v >= classes) {
      throw new DataError(
        file,
        `${what ? `${what}: ` : ''}label ${i} is ${v}, outside [0, ${classes}) for ${classes} classes`,
        labelOffset ? labelOffset(i) : undefined,
      );
    }
  }
}

export interface LabelledSplit {
  /** Its name in messages (a file, or "file:y_train"). */
  what: string;
  /** Class indices (renumbered in place when the labels are not 0…k−1). */
  y: Int32Array;
}

export interface Classes {
  classes: string[];
  warnings: string[];
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n} times`;
}

/** Sorted integers as runs: [0, 1, 2, 9, 250] → "0–2, 9, 250" (at most `max` runs shown). */
function runs(values: number[], max = 8): string {
  const out: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    out.push(j === i ? String(values[i]) : `${values[i]}–${values[j]}`);
    i = j + 1;
  }
  return listSome(out, max);
}

function listSome(items: string[], max = 8): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')}, … (${items.length} in all)`;
}

export interface ClassesOptions {
  /** Class names: every label must lie in [0, names.length). */
  names?: string[] | undefined;
  /** A one-hot matrix's width: the class count, the classes named '0'…. */
  width?: number | undefined;
  /** Warn of classes far rarer than the rest (labels read from bytes; default true). */
  flagRare?: boolean;
}

/**
 * The classes of labelled splits. With names or a width, every label must lie in range;
 * otherwise the classes are the distinct labels present (see the file header), and the labels
 * are renumbered in place when those are not 0…k−1.
 */
export function classesOf(file: string, splits: LabelledSplit[], options: ClassesOptions = {}): Classes {
  const { names, width } = options;
  const warnings: string[] = [];
  let classes: string[];
  if (names !== undefined || width !== undefined) {
    classes = names ?? Array.from({ length: width! }, (_, i) => String(i));
    for (const s of splits) checkLabels(file, s.what, s.y, classes.length);
  } else {
    const seen = new Set<number>();
    for (const s of splits) {
      for (let i = 0; i < s.y.length; i++) {
        const v = s.y[i]!;
        if (seen.has(v)) continue;
        seen.add(v);
        if (seen.size > MAX_CLASSES) {
          throw new DataError(file, `${s.what}: more than ${MAX_CLASSES} distinct labels (label ${i} is ${v}); these are not class indices of a classification data set`);
        }
      }
    }
    const present = [...seen].sort((a, b) => a - b);
    classes = present.map(String);
    const last = present[present.length - 1];
    if (last !== undefined && last !== present.length - 1) {
      const index = new Map(present.map((v, i) => [v, i]));
      for (const s of splits) for (let i = 0; i < s.y.length; i++) s.y[i] = index.get(s.y[i]!)!;
      warnings.push(`${file}: the labels are not 0…${present.length - 1} but ${runs(present)}; the ${present.length} classes are these labels in increasing order`);
    }
  }
  const k = classes.length;
  const counts = splits.map((s) => {
    const c = new Float64Array(k);
    for (let i = 0; i < s.y.length; i++) c[s.y[i]!]!++;
    return c;
  });
  splits.forEach((s, j) => {
    if (s.y.length === 0) return;
    const missing = classes.filter((_, c) => counts[j]![c] === 0);
    if (missing.length > 0) warnings.push(`${s.what}: no samples of ${missing.length === 1 ? 'class' : `${missing.length} of the ${k} classes:`} ${listSome(missing.map((m) => `'${m}'`))}`);
  });
  // A class with under 1 % of the median class's count, in data sets large enough to tell.
  const total = new Float64Array(k);
  for (const c of counts) for (let i = 0; i < k; i++) total[i]! += c[i]!;
  const n = total.reduce((a, b) => a + b, 0);
  const median = [...total].sort((a, b) => a - b)[k >> 1] ?? 0;
  if ((options.flagRare ?? true) && k > 1 && n >= 1000) {
    const rare: number[] = [];
    total.forEach((count, c) => { if (count > 0 && count * 100 < median) rare.push(c); });
    if (rare.length === 1) {
      const c = rare[0]!;
      warnings.push(`${file}: label ${classes[c]} occurs ${times(total[c]!)} among ${n} labels (the median class ${times(median)}): a corrupted label?`);
    } else if (rare.length > 1) {
      const shown = rare.map((c) => `${classes[c]} (${times(total[c]!)})`);
      warnings.push(`${file}: labels ${listSome(shown)} are each under 1 % as frequent as the median class (${times(median)} among ${n} labels): corrupted labels?`);
    }
  }
  return { classes, warnings };
}
