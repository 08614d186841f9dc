// <out>/grid.json: the settings a grid's runs share (train/grid.ts GridSettings), read back and
// checked field by field (Node only). Every call of `handgrad experiments` into a folder, every
// shard of a grid and `handgrad experiments report` read it; a file that is not a grid's settings
// is refused with its name and the field that is wrong, never half-used.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HandgradError } from '../tensor.js';
import { GRID, type GridSettings } from './grid.js';

/** The grid settings' file name in a grid folder. */
export const GRID_SETTINGS_FILE = 'grid.json';

/** The settings that must agree between the folders of one grid merged into one report. */
export const SHARED_GRID_SETTINGS = ['data', 'batchSize', 'seed', 'dropoutMode', 'epochs', 'backend'] as const;

const STRINGS = ['data', 'dropoutMode', 'backend'] as const;
const NUMBERS = ['batchSize', 'seed', 'epochs'] as const;
const COUNTS = ['features', 'classes', 'shards'] as const;

/** The grid's settings in `<dir>/grid.json`, or null when the folder holds none. */
export function readGridSettings(dir: string): GridSettings | null {
  const file = join(dir, GRID_SETTINGS_FILE);
  if (!existsSync(file)) return null;
  let s: unknown;
  try {
    s = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) throw new HandgradError(`${file} is not valid JSON (${e.message})`, { subject: { file } });
    throw e;
  }
  const bad = (what: string): never => {
    throw new HandgradError(`${file} is not a grid's settings: ${what}`, { subject: { file } });
  };
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return bad('expected a JSON object');
  const o = s as Record<string, unknown>;
  for (const k of STRINGS) if (typeof o[k] !== 'string') bad(`expected '${k}' to be a string`);
  for (const k of NUMBERS) if (typeof o[k] !== 'number') bad(`expected '${k}' to be a number`);
  for (const k of COUNTS) if (o[k] !== undefined && !(Number.isInteger(o[k]) && (o[k] as number) >= 1)) bad(`expected '${k}' to be a whole number ≥ 1`);
  if (o.dataDescription !== undefined && typeof o.dataDescription !== 'string') bad(`expected 'dataDescription' to be a string`);
  if (o.runs !== undefined) {
    const runs = o.runs;
    if (!Array.isArray(runs) || !runs.every((id): id is string => typeof id === 'string')) return bad(`expected 'runs' to be a list of run ids`);
    const unknown = runs.filter((id) => !GRID.some((r) => r.id === id));
    if (unknown.length > 0) bad(`unknown run ${unknown.map((u) => `'${u}'`).join(', ')} in 'runs'`);
  }
  return {
    data: o.data as string, batchSize: o.batchSize as number, seed: o.seed as number, dropoutMode: o.dropoutMode as string,
    epochs: o.epochs as number, backend: o.backend as string,
    ...(o.dataDescription !== undefined ? { dataDescription: o.dataDescription as string } : {}),
    ...(o.features !== undefined ? { features: o.features as number } : {}),
    ...(o.classes !== undefined ? { classes: o.classes as number } : {}),
    ...(o.runs !== undefined ? { runs: o.runs as string[] } : {}),
    ...(o.shards !== undefined ? { shards: o.shards as number } : {}),
  };
}

/** The run ids of `ids` in table order, each once. */
export function inTableOrder(ids: Iterable<string>): string[] {
  const set = new Set(ids);
  return GRID.filter((r) => set.has(r.id)).map((r) => r.id);
}
