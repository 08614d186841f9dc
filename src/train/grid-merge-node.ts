// One grid from several folders (Node only): the shards of a grid run on several machines, each
// into its own folder (or into one shared folder), read back as the outcomes one machine running
// the whole grid would have had. The runs are seeded and independent, so a run's history is the
// same wherever it ran; what the folders must agree on is the settings every run shares
// (grid-settings-node.ts SHARED_GRID_SETTINGS), and a folder that disagrees is refused by name.
//
// The grid's runs are the union of the runs each folder's grid.json lists (a grid.json without
// the list: the run directories the folder holds). A run complete in some folder is taken from
// the first such folder; otherwise the folder where it got furthest reports it as incomplete;
// a run in no folder is missing, and said to be.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HandgradError } from '../tensor.js';
import { GRID, type GridSettings, type RunOutcome } from './grid.js';
import { historyOf, isComplete, outcomeFromDisk } from './grid-runner-node.js';
import { GRID_SETTINGS_FILE, inTableOrder, readGridSettings, SHARED_GRID_SETTINGS } from './grid-settings-node.js';

/** Several grid folders (shards of one grid) read as one grid. */
export interface MergedGrid {
  /** The settings the folders share; `runs` is the union of theirs. */
  settings: GridSettings;
  /** One outcome per run of the grid, in table order. */
  outcomes: RunOutcome[];
  /** The folder each run with a directory was read from, in the order of the folders given. */
  sources: { dir: string; runs: string[] }[];
  /** The ids of the runs in no folder. */
  missing: string[];
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/**
 * The grid held by `dirs` (see the header). Throws a HandgradError naming the folder for a
 * folder that holds no grid, and naming the setting for folders whose shared settings disagree.
 */
export function mergeGridFolders(dirs: readonly string[]): MergedGrid {
  if (dirs.length === 0) throw new HandgradError('expected at least one grid folder');
  const parts = dirs.map((dir) => {
    if (!isDirectory(dir)) throw new HandgradError(`${dir} is not a folder`, { subject: { file: dir } });
    const settings = readGridSettings(dir);
    if (!settings) throw new HandgradError(`${dir} holds no grid (no ${GRID_SETTINGS_FILE}); expected the --out folder of \`handgrad experiments\``, { subject: { file: dir } });
    return { dir, settings };
  });
  const first = parts[0]!;
  for (const p of parts.slice(1)) {
    for (const key of SHARED_GRID_SETTINGS) {
      if (p.settings[key] !== first.settings[key]) {
        throw new HandgradError(
          `the grids disagree on ${key}: ${JSON.stringify(p.settings[key])} in ${join(p.dir, GRID_SETTINGS_FILE)}, ${JSON.stringify(first.settings[key])} in ${join(first.dir, GRID_SETTINGS_FILE)}; ` +
          'merge only folders of one grid (the same flags on every machine)',
          { subject: { setting: key } },
        );
      }
    }
  }
  const epochs = first.settings.epochs;
  const ids = inTableOrder(parts.flatMap((p) => p.settings.runs ?? GRID.filter((r) => isDirectory(join(p.dir, r.id))).map((r) => r.id)));
  const from = new Map<string, string>();
  const missing: string[] = [];
  const outcomes = ids.map((id): RunOutcome => {
    const run = GRID.find((r) => r.id === id)!;
    const holding = parts.filter((p) => isDirectory(join(p.dir, id)));
    if (holding.length === 0) {
      missing.push(id);
      return { run, status: 'failed', history: [], error: `missing: no ${id}/ in ${dirs.join(', ')}` };
    }
    const histories = holding.map((p) => ({ dir: p.dir, history: historyOf(run, p.dir, epochs) }));
    const best = histories.find((h) => isComplete(h.history, epochs)) ??
      histories.reduce((a, b) => (b.history.length > a.history.length ? b : a));
    from.set(id, best.dir);
    return outcomeFromDisk(run, best.dir, epochs);
  });
  const sources = dirs.map((dir) => ({ dir, runs: ids.filter((id) => from.get(id) === dir) })).filter((s) => s.runs.length > 0);
  // the merged grid is one grid: how it was split is no setting of its report
  const settings: GridSettings = { ...first.settings, runs: ids };
  delete settings.shards;
  const dataDescription = parts.map((p) => p.settings.dataDescription).find((d) => d !== undefined);
  if (dataDescription !== undefined) settings.dataDescription = dataDescription;
  return { settings, outcomes, sources, missing };
}
