// Which images one `handgrad dream` call makes: a class (or several, or all), a middle layer's
// channels, a learning-rate sweep, each optionally beside plain gradient ascent; with their file
// names, captions, the grid's layout and what dream.json records of each; and, once they are
// made, the summary of them (the lowest target probability, the mean total variation).

import { dream } from '../index.js';
import { UsageError } from './errors.js';
import { parseChoice, parseNumber } from './flags.js';

/** One image to dream. */
export interface DreamJob {
  /** File name stem. */
  name: string;
  caption: string[];
  objective: dream.Objective;
  lr?: number;
  plain?: boolean;
  /** What dream.json records of it besides the result. */
  meta: Record<string, unknown>;
}

export interface DreamPlan {
  jobs: DreamJob[];
  /** The grid's file name and columns (default: up to 5), and whether images come in (tricks, plain) pairs. */
  gridName: string;
  columns?: number;
  pairs: boolean;
}

/** The flags that choose the images. */
export interface JobFlags {
  class?: string;
  allClasses?: boolean;
  layer?: string;
  channel?: string;
  deepdream?: boolean;
  objective: string;
  lrSweep?: string;
  comparePlain?: boolean;
  lr?: string;
}

/** A class by index or by name (case-insensitive; also a unique prefix). */
export function parseClass(raw: string, classes: readonly string[]): number {
  const t = raw.trim();
  if (/^\d+$/.test(t)) {
    const i = Number(t);
    if (i < classes.length) return i;
    throw new UsageError(`--class: index ${i} is out of range; the model has ${classes.length} classes (0–${classes.length - 1})`);
  }
  const key = t.toLowerCase();
  const exact = classes.findIndex((c) => c.toLowerCase() === key);
  if (exact >= 0) return exact;
  const prefixed = classes.flatMap((c, i) => (c.toLowerCase().startsWith(key) ? [i] : []));
  if (prefixed.length === 1) return prefixed[0]!;
  throw new UsageError(`--class: unknown class '${raw}'; classes: ${classes.map((c, i) => `${i}=${c}`).join(', ')}`);
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'x';
}

/** The images the flags ask for; every conflict between the flags is a UsageError. */
export function planJobs(f: JobFlags, model: dream.DreamModel): DreamPlan {
  const modes = [f.class !== undefined, f.allClasses === true, f.layer !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('give exactly one of --class <name|index>, --all-classes, or --layer <name> [--channel <i>]');
  if (f.channel !== undefined && f.layer === undefined) throw new UsageError('--channel needs --layer');
  if (f.deepdream && (f.layer === undefined || f.channel !== undefined)) throw new UsageError('--deepdream needs --layer and no --channel');
  if (f.lrSweep !== undefined && f.lr !== undefined) throw new UsageError('give --lr or --lr-sweep, not both');
  if (f.comparePlain && f.layer !== undefined) throw new UsageError('--compare-plain compares class dreams; use it with --class or --all-classes');
  const objectiveKind = parseChoice('--objective', f.objective, dream.CLASS_OBJECTIVES);
  const lrs = f.lrSweep === undefined ? [undefined] : f.lrSweep.split(',').map((s) => parseNumber('--lr-sweep', s, { min: 0, minExclusive: true }));
  const classes = model.classes ?? [];
  const label = (c: number): string => classes[c] ?? String(c);
  const jobs: DreamJob[] = [];

  if (f.layer !== undefined) {
    const layerIndex = resolveLayerFlag(model, f.layer);
    const layerName = dream.layerNames(model.net)[layerIndex]![1];
    const objective = { layer: String(layerIndex) };
    if (f.deepdream) {
      jobs.push({ name: `layer-${layerName}-deepdream`, caption: [layerName, 'DEEPDREAM'], objective: { kind: 'deepdream', ...objective }, meta: { layer: layerName, layerIndex, objective: 'deepdream' } });
    } else {
      const channels = dream.layerChannels(model, layerIndex);
      const list = f.channel === undefined
        ? Array.from({ length: channels }, (_, i) => i)
        : [parseNumber('--channel', f.channel, { min: 0, max: channels - 1, integer: true })];
      for (const ch of list) {
        jobs.push({ name: `layer-${layerName}-channel-${ch}`, caption: [`${layerName} CH ${ch}`], objective: { kind: 'channel', ...objective, channel: ch }, meta: { layer: layerName, layerIndex, channel: ch } });
      }
    }
    return { jobs, gridName: `layer-${layerName}-grid.png`, pairs: false };
  }

  const list = f.allClasses ? classes.map((_, i) => i) : f.class!.split(',').map((c) => parseClass(c, classes));
  if (list.length === 0) throw new UsageError('--all-classes: the model records no class names');
  for (const c of list) {
    for (const lr of lrs) {
      const lrTag = lr === undefined ? '' : `-lr-${lr}`;
      const meta = { class: c, label: label(c), ...(lr !== undefined ? { lr } : {}) };
      const base = { objective: { kind: objectiveKind, class: c }, ...(lr !== undefined ? { lr } : {}) };
      jobs.push({ name: `class-${c}-${slug(label(c))}${lrTag}`, caption: [label(c)], ...base, meta });
      if (f.comparePlain) jobs.push({ name: `class-${c}-${slug(label(c))}${lrTag}-plain`, caption: [label(c), 'PLAIN'], ...base, plain: true, meta: { ...meta, plain: true } });
    }
  }
  const pairs = f.comparePlain === true && f.lrSweep === undefined;
  // an lr sweep: one row per class; plain beside tricks: 5 (tricks, plain) pairs per row
  const columns = f.lrSweep !== undefined ? lrs.length * (f.comparePlain ? 2 : 1) : f.comparePlain ? 2 * Math.min(5, list.length) : undefined;
  return { jobs, gridName: f.lrSweep !== undefined ? 'lr-sweep.png' : 'grid.png', ...(columns !== undefined ? { columns } : {}), pairs };
}

function resolveLayerFlag(model: dream.DreamModel, name: string): number {
  try {
    return dream.resolveLayer(model.net, name);
  } catch (e) {
    throw new UsageError(`--layer: ${(e as Error).message.replace(/^dream: /, '')}`);
  }
}

export interface Summary {
  images: number;
  minProbability: number | null;
  meanTotalVariation: number;
  plain?: { minProbability: number | null; meanTotalVariation: number; tvRatio: number };
}

/** The lowest target probability and the mean total variation, of the tricks' images and of the plain ones. */
export function summarise(entries: { probability: number | null; totalVariation: number; plain?: unknown }[]): Summary | null {
  const lowest = (es: typeof entries): number | null => {
    const p = es.flatMap((e) => (e.probability === null ? [] : [e.probability]));
    return p.length ? Math.min(...p) : null;
  };
  const tv = (es: typeof entries): number => es.reduce((a, e) => a + e.totalVariation, 0) / Math.max(1, es.length);
  const main = entries.filter((e) => e.plain !== true);
  const plain = entries.filter((e) => e.plain === true);
  if (main.length === 0) return null;
  const s: Summary = { images: main.length, minProbability: lowest(main), meanTotalVariation: tv(main) };
  if (plain.length) s.plain = { minProbability: lowest(plain), meanTotalVariation: tv(plain), tvRatio: tv(plain) / tv(main) };
  return s;
}

export function summaryLine(s: Summary): string {
  const p = (v: number | null): string => (v === null ? '-' : v.toFixed(4));
  let line = `${s.images} image${s.images === 1 ? '' : 's'}: lowest target probability ${p(s.minProbability)}, mean total variation ${s.meanTotalVariation.toFixed(1)}`;
  if (s.plain) line += `; plain: lowest probability ${p(s.plain.minProbability)}, mean total variation ${s.plain.meanTotalVariation.toFixed(1)} (${s.plain.tvRatio.toFixed(2)}× the tricks')`;
  return line;
}
