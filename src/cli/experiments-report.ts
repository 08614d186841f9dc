// `handgrad experiments report DIR…`: the report of a grid whose shards ran on several machines
// (`handgrad experiments --shard I/N`), from their --out folders: one folder they shared, the
// folders copied back into one place, or several folders as they are (train/grid-merge-node.ts).
// It writes the report.md and plots one machine running the whole grid would have written, into
// --out (default: the first folder). Folders whose shared settings disagree are refused, naming
// the setting; runs in no folder are listed as missing, and the report is written without them.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  gridReport, mergeGridFolders, writeCharts, writeFileAtomic, GRID_SETTINGS_FILE, type GridSettings, type RunOutcome, type RunSource,
} from '../node.js';
import { asFlag, writingInto } from './errors.js';
import { prepareOutputFolder } from './output.js';

export function registerReport(experiments: Command): void {
  experiments
    .command('report')
    .description('merge the folders of a grid run in shards (`experiments --shard I/N`, on one or several machines) into one report.md with its plots')
    .argument('<dirs...>', "the shards' --out folders (or the one folder they shared)")
    .option('--out <dir>', 'where report.md and plots/ go (default: the first folder)')
    .action(async (dirs: string[], f: { out?: string }) => {
      const failed = await reportCommand(dirs, f.out);
      if (failed > 0) process.exitCode = 1;
    });
}

/** Writes the merged report; returns the number of runs missing or incomplete. */
async function reportCommand(dirs: string[], outFlag: string | undefined): Promise<number> {
  const merged = asFlag('experiments report', () => mergeGridFolders(dirs));
  const out = outFlag ?? dirs[0]!;
  if (outFlag !== undefined) {
    prepareOutputFolder('--out', out, { isOwn: (d) => existsSync(join(d, 'report.md')) || existsSync(join(d, GRID_SETTINGS_FILE)), what: 'grid report (report.md)' });
  }
  const sources = dirs.length > 1 || outFlag !== undefined ? merged.sources : undefined;
  const path = await writeReport(out, merged.outcomes, merged.settings, sources).catch((e: unknown) => Promise.reject(writingInto(out, e)));
  const { outcomes, missing } = merged;
  const incomplete = outcomes.filter((r) => r.status === 'failed' && !missing.includes(r.run.id));
  const complete = outcomes.length - missing.length - incomplete.length;
  const folders = `${dirs.length} folder${dirs.length === 1 ? '' : 's'}`;
  console.log(`${complete} of ${outcomes.length} runs complete in ${folders}`);
  if (missing.length > 0) console.log(`missing (in none of the folders): ${missing.join(', ')}`);
  for (const r of incomplete) console.log(`incomplete: ${r.run.id}: ${r.error ?? 'unknown error'}`);
  console.log(`report: ${path}`);
  return missing.length + incomplete.length;
}

/** report.md and its charts in `out`; returns the report's path. */
export async function writeReport(out: string, outcomes: readonly RunOutcome[], settings: GridSettings, sources?: readonly RunSource[]): Promise<string> {
  const { markdown, charts } = gridReport(outcomes, settings, new Date(), sources);
  await writeCharts(out, charts);
  const path = join(out, 'report.md');
  writeFileAtomic(path, markdown);
  return path;
}
