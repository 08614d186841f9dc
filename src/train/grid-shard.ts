// The grid split over machines: `--shard I/N` names shard I of N (numbered from 0, as a Slurm
// array's SLURM_ARRAY_TASK_ID and a Kubernetes Indexed Job's JOB_COMPLETION_INDEX are), and each
// shard runs its share of the selected runs. Browser-safe and pure.
//
// The shares come from the runs alone, so every machine given the same flags computes the same
// partition without talking to the others: the LPT rule (longest processing time first) takes
// the runs in longestFirst's order, most weights first, and gives each to the shard with the
// least work so far (the lower index on a tie). A run's cost is its weight count: every run
// trains the same epochs on the same samples, and its work per sample is proportional to its
// weights. LPT's makespan is at most 4/3 − 1/(3N) of the best partition's.

import { HandgradError } from '../tensor.js';
import { longestFirst, mlpWeights, type GridRun } from './grid.js';

/** Shard `index` of `count`, 0 ≤ index < count. */
export interface Shard {
  /** This shard, 0-based. */
  index: number;
  /** The number of shards. */
  count: number;
}

/** The largest shard count accepted (Slurm's default MaxArraySize is 1001). */
export const MAX_SHARDS = 10_000;

/** "2/3" → { index: 2, count: 3 }; anything else throws a HandgradError saying what is expected. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const expected = `expected I/N with 0 ≤ I < N ≤ ${MAX_SHARDS}, shards numbered from 0 (e.g. 0/3, 1/3, 2/3)`;
  if (!m) throw new HandgradError(`'${text}' is not a shard; ${expected}`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS || index >= count) throw new HandgradError(`${index}/${count} is not a shard; ${expected}`);
  return { index, count };
}

/**
 * The partition of `runs` into `count` shares by the LPT rule (see the header), for samples of
 * `features` values and `classes` outputs. Each share lists its runs in the order they start
 * (most weights first).
 */
export function shardShares(runs: readonly GridRun[], count: number, features: number, classes: number): GridRun[][] {
  const shares: GridRun[][] = Array.from({ length: count }, () => []);
  const load = new Float64Array(count);
  for (const run of longestFirst(runs, features, classes)) {
    let least = 0;
    for (let s = 1; s < count; s++) if (load[s]! < load[least]!) least = s;
    shares[least]!.push(run);
    load[least]! += mlpWeights(run.hidden, features, classes);
  }
  return shares;
}

/** The runs of one shard (see shardShares). */
export function shardRuns(runs: readonly GridRun[], shard: Shard, features: number, classes: number): GridRun[] {
  return shardShares(runs, shard.count, features, classes)[shard.index]!;
}
