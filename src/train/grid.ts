// The assignment's experiment grid (CMU 10-417 part 2) as data: one row per run, and what became
// of each run. grid-runner-node.ts turns each row into a `handgrad train` child process; the
// report (report/grid-report.ts) groups the runs by `group` (one loss plot and one accuracy plot
// per group). Browser-safe.
//
// Settings shared by every run (recorded in the report and in each run's config.json):
//   - dropout mode 'cmu' — the assignment's semantics: zero each unit with probability p in
//     training, multiply by (1 − p) at inference. `--dropout-mode inverted` is PyTorch's.
//   - batch size 64, 200 epochs (the assignment's default), hidden activation ReLU, softmax
//     cross-entropy, SGD with momentum G ← αG + g, W ← W − lr·G, PyTorch's default init.

import { HandgradError } from '../tensor.js';
import type { EpochRecord } from './loop.js';

/** The CMU assignment's experiment groups 2.1 to 2.4. */
export type GridGroup = '2.1' | '2.2' | '2.3' | '2.4';
/** Every {@link GridGroup}, in order. */
export const GRID_GROUPS: readonly GridGroup[] = ['2.1', '2.2', '2.3', '2.4'];

/** One run of the CMU experiment grid: an MLP and its hyper-parameters. */
export interface GridRun {
  /** '2.1a' … '2.4c'; also the run's directory name under the experiments' --out. */
  id: string;
  /** The group it belongs to. */
  group: GridGroup;
  /** Hidden layer widths of the MLP (features → hidden… → classes). */
  hidden: number[];
  /** SGD momentum. */
  momentum: number;
  /** Dropout probability after each hidden ReLU. */
  dropout: number;
  /** The learning rate. */
  lr: number;
  /** Short description for legends and the report, e.g. "[60] m0.4 d0.2 lr0.001". */
  label: string;
  /** For the free 2.4 experiments: what the run should teach ... */
  why?: string;
  /** ... and the runs of the table it is compared with (the report compares their accuracies). */
  compareWith?: string[];
}

/** The settings every grid run shares unless the command line overrides them (CMU dropout semantics). */
export const GRID_DEFAULTS = {
  dropoutMode: 'cmu',
  batchSize: 64,
  epochs: 200,
  activation: 'relu',
} as const;

/** "[60, 60] · m 0.4 · p 0.2 · lr 0.001" */
function label(hidden: number[], momentum: number, dropout: number, lr: number): string {
  return `[${hidden.join(', ')}] · m ${momentum} · p ${dropout} · lr ${lr}`;
}

function run(id: string, hidden: number[], momentum: number, dropout: number, lr: number, why?: string, compareWith?: string[]): GridRun {
  const group = id.slice(0, 3) as GridGroup;
  return {
    id, group, hidden, momentum, dropout, lr, label: label(hidden, momentum, dropout, lr),
    ...(why ? { why } : {}), ...(compareWith ? { compareWith } : {}),
  };
}

/**
 * The assignment's table, row by row, then three free experiments. The 2.4 runs each change ONE thing
 * against a run of the table (all can be expressed with `handgrad train`'s flags), so each pair
 * of curves answers one question:
 *   2.4a momentum 0.9 — with 2.2a (m 0) and 2.2b (m 0.4) it completes a momentum sweep on the
 *        same [60, 60] net: SGD with momentum μ takes steps ≈ lr/(1 − μ) along a steady gradient,
 *        so 0.9 is a 10× larger effective step than plain SGD (vs 1.67× for 0.4), which matters a
 *        lot at the table's small lr 0.001.
 *   2.4b depth 3 — [60, 60, 60] with 2.2c's settings: with 2.1c (one layer) and 2.2c (two) it
 *        asks whether more layers of the same width help at this budget, or only slow the start.
 *   2.4c width 600 — [600] with 2.1c's settings: with 2.1c ([60]) and 2.1d ([150]) it is a width
 *        sweep; a much wider layer fits the training set faster and shows whether dropout 0.2
 *        keeps the gap between train and test accuracy closed.
 */
export const GRID: readonly GridRun[] = [
  run('2.1a', [60], 0, 0, 0.001),
  run('2.1b', [60], 0.4, 0, 0.001),
  run('2.1c', [60], 0.4, 0.2, 0.001),
  run('2.1d', [150], 0.4, 0.2, 0.001),
  run('2.2a', [60, 60], 0, 0, 0.001),
  run('2.2b', [60, 60], 0.4, 0, 0.001),
  run('2.2c', [60, 60], 0.4, 0.2, 0.001),
  run('2.2d', [150, 150], 0.4, 0.2, 0.001),
  run('2.3a', [150, 150], 0, 0, 0.01),
  run('2.3b', [150, 150], 0, 0, 0.001),
  run('2.3c', [150, 150], 0, 0, 0.0001),
  run('2.4a', [60, 60], 0.9, 0, 0.001,
    'momentum 0.9 against 2.2a (m 0) and 2.2b (m 0.4): a momentum sweep on the same net; steps ≈ lr/(1 − μ), so 10× plain SGD', ['2.2a', '2.2b']),
  run('2.4b', [60, 60, 60], 0.4, 0.2, 0.001,
    'three hidden layers against 2.1c (one) and 2.2c (two), same width and settings: does depth help at this budget?', ['2.1c', '2.2c']),
  run('2.4c', [600], 0.4, 0.2, 0.001,
    'one hidden layer of 600 against 2.1c ([60]) and 2.1d ([150]): a width sweep; does dropout 0.2 keep the train–test gap closed?', ['2.1c', '2.1d']),
];

/**
 * The runs named by a comma-separated list of run ids ('2.1a') and groups ('2.3'); all of them
 * when `only` is undefined. Unknown names throw a HandgradError naming them and listing the
 * valid ones. Order follows GRID.
 */
export function selectRuns(only?: string): GridRun[] {
  if (only === undefined) return [...GRID];
  const wanted = only.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (wanted.length === 0) throw new HandgradError(`expected run ids or groups like 2.1a,2.3, got '${only}'`);
  const unknown = wanted.filter((w) => !GRID.some((r) => r.id === w || r.group === w));
  if (unknown.length > 0) {
    throw new HandgradError(`unknown run or group ${unknown.map((u) => `'${u}'`).join(', ')}; expected ids ${GRID[0]!.id}…${GRID[GRID.length - 1]!.id} or groups ${GRID_GROUPS.join(', ')}`);
  }
  return GRID.filter((r) => wanted.includes(r.id) || wanted.includes(r.group));
}

/** The weights of a run's MLP for samples of `features` values and `classes` outputs: its cost per sample, up to a factor. */
export function mlpWeights(hidden: readonly number[], features: number, classes: number): number {
  const sizes = [features, ...hidden, classes];
  return sizes.slice(1).reduce((s, h, i) => s + h * sizes[i]!, 0);
}

/**
 * The order runs are started in: the most weights first, ties in table order (the classic LPT
 * rule: the grid's one wide run, 2.4c, is last in table order and would otherwise work alone for
 * its whole length at the end).
 */
export function longestFirst(runs: readonly GridRun[], features: number, classes: number): GridRun[] {
  return [...runs].sort((a, b) => mlpWeights(b.hidden, features, classes) - mlpWeights(a.hidden, features, classes));
}

/** What became of one run. */
export interface RunOutcome {
  /** The run. */
  run: GridRun;
  /** ok: all epochs done; failed: the child exited with an error (or stopped short). */
  status: 'ok' | 'failed';
  /** The epochs recorded so far (a failed run may have some). */
  history: EpochRecord[];
  /** The child's error line, for failed runs. */
  error?: string;
  /** True when the run was already complete and no child was started. */
  skipped?: boolean;
}

/** The grid's shared settings, written to <out>/grid.json and to the report's header. */
export interface GridSettings {
  /** The data set's name or path. */
  data: string;
  /** Samples per minibatch. */
  batchSize: number;
  /** The seed of every run. */
  seed: number;
  /** Dropout's scaling ('cmu'). */
  dropoutMode: string;
  /** Epochs per run. */
  epochs: number;
  /** The backend the runs used, as backend().describe() says. */
  backend: string;
  /** e.g. "fashion-mnist (60000 train / 10000 test, 10 classes, samples 784)" */
  dataDescription?: string;
  /** The data's values per sample and its classes: the runs' costs, and so the shares of a sharded grid, follow from them. */
  features?: number;
  /** The data's number of classes. */
  classes?: number;
  /**
   * The ids of the grid's runs, in table order: what its report lists. A grid run whole holds
   * every run any call selected; a sharded grid holds the one selection its shards split.
   */
  runs?: string[];
  /** The number of shards of a grid split with --shard I/N; absent for a grid run whole. */
  shards?: number;
}
