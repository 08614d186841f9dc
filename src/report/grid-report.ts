// The experiment grid's report: what became of every run (train/grid.ts RunOutcome) as markdown,
// with a table of all runs, one or two generated sentences per group, and per group a loss chart
// and an accuracy chart (every run's train curve dashed, its test curve solid). Browser-safe and
// pure: the charts are specs; the caller renders and writes them (plot/write-node.ts) where the
// markdown links them, plots/<group>-<loss|accuracy>.png and .svg.

import type { Chart, CurveSeries } from '../plot/index.js';
import { GRID_GROUPS, type GridGroup, type GridRun, type GridSettings, type RunOutcome } from '../train/grid.js';
import type { EpochRecord } from '../train/loop.js';

/** A run's history in numbers: final and best accuracies and losses. */
export interface RunSummary {
  /** Test accuracy after the last epoch, in [0, 1]. */
  finalTest: number;
  /** The best test accuracy of any epoch. */
  bestTest: number;
  /** The epoch (1-based) of the best test accuracy. */
  bestEpoch: number;
  /** Training accuracy of the last epoch. */
  finalTrain: number;
  /** Training loss of the last epoch. */
  finalTrainLoss: number;
  /** Test loss after the last epoch. */
  finalTestLoss: number;
  /** Training time: the sum of the epochs' seconds (survives resumes). */
  seconds: number;
  /** The number of epochs recorded. */
  epochs: number;
}

/** The summary of a run's history (one record per epoch, at least one). */
export function summarize(history: readonly EpochRecord[]): RunSummary {
  const last = history[history.length - 1];
  let bestTest = NaN;
  let bestEpoch = 0;
  for (const r of history) {
    if (Number.isFinite(r.testAccuracy) && !(r.testAccuracy <= bestTest)) {
      bestTest = r.testAccuracy;
      bestEpoch = r.epoch;
    }
  }
  return {
    finalTest: last?.testAccuracy ?? NaN,
    bestTest,
    bestEpoch,
    finalTrain: last?.trainAccuracy ?? NaN,
    finalTrainLoss: last?.trainLoss ?? NaN,
    finalTestLoss: last?.testLoss ?? NaN,
    seconds: history.reduce((s, r) => s + (Number.isFinite(r.seconds) ? r.seconds : 0), 0),
    epochs: last?.epoch ?? 0,
  };
}

/** A duration as the report spells it ("—" when not finite). */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s - 60 * m)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** An accuracy as "93.4%", or "—" when there is none. */
export function pct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—';
}

/** Each grid group's title in the report. */
export const GROUP_TITLES: Record<GridGroup, string> = {
  '2.1': 'one hidden layer',
  '2.2': 'two hidden layers',
  '2.3': 'learning rate',
  '2.4': 'free experiments',
};

/** "[3/14] 2.1a done: test acc 91.2% (best 91.5% @ epoch 180)  train loss 0.2100  4 min 10 s": one finished run. */
export function outcomeLine(r: RunOutcome, done: number, total: number, wallSeconds?: number): string {
  const head = `[${String(done).padStart(String(total).length)}/${total}] ${r.run.id}`;
  if (r.status === 'failed') return `${head} FAILED: ${r.error ?? 'unknown error'}`;
  const s = summarize(r.history);
  const tail = `test acc ${pct(s.finalTest)} (best ${pct(s.bestTest)} @ epoch ${s.bestEpoch})  train loss ${s.finalTrainLoss.toFixed(4)}  ${formatSeconds(s.seconds)}`;
  return r.skipped ? `${head} already complete: ${tail}` : `${head} done: ${tail}${wallSeconds !== undefined ? ` (wall ${formatSeconds(wallSeconds)})` : ''}`;
}

/** The settings that differ between the runs of a group, for short legend labels. */
function varyingLabel(run: GridRun, group: readonly GridRun[]): string {
  const parts: string[] = [];
  const differs = (f: (r: GridRun) => string): boolean => new Set(group.map(f)).size > 1;
  if (differs((r) => r.hidden.join(','))) parts.push(`[${run.hidden.join(', ')}]`);
  if (differs((r) => String(r.momentum))) parts.push(`m ${run.momentum}`);
  if (differs((r) => String(r.dropout))) parts.push(`p ${run.dropout}`);
  if (differs((r) => String(r.lr))) parts.push(`lr ${run.lr}`);
  return parts.join(', ');
}

/** The two charts of a group: loss and accuracy, every run's train (dashed) and test (solid) curves. */
export function groupCharts(group: GridGroup, outcomes: readonly RunOutcome[], dataName: string): Chart[] {
  const runs = outcomes.filter((r) => r.run.group === group && r.history.length > 0);
  const all = runs.map((r) => r.run);
  const both = (trainPick: (h: EpochRecord) => number, testPick: (h: EpochRecord) => number): CurveSeries[] =>
    runs.flatMap((r) => {
      const extra = varyingLabel(r.run, all);
      const name = `${r.run.id}${extra ? ` (${extra})` : ''}`;
      const x = r.history.map((h) => h.epoch);
      return [
        { name: `${name} train`, x, y: r.history.map(trainPick), dash: true, colorGroup: r.run.id },
        { name: `${name} test`, x, y: r.history.map(testPick), dash: false, colorGroup: r.run.id },
      ];
    });
  const title = (what: string): string => `${group} ${GROUP_TITLES[group]} on ${dataName}: ${what} (train dashed, test solid)`;
  return [
    { file: `plots/${group}-loss`, spec: { title: title('loss'), xLabel: 'epoch', yLabel: 'cross-entropy loss', series: both((h) => h.trainLoss, (h) => h.testLoss) } },
    {
      file: `plots/${group}-accuracy`,
      spec: { title: title('accuracy'), xLabel: 'epoch', yLabel: 'accuracy', yFormat: '.0%', series: both((h) => h.trainAccuracy, (h) => h.testAccuracy) },
    },
  ];
}

/**
 * One or two generated sentences comparing the runs of a group: the ranking of the complete runs
 * by final test accuracy (failed runs named apart), then either a run that overfitted (its test
 * accuracy peaked before the last 10% of epochs and ended more than a point lower) or the spread
 * of the train–test accuracy gaps.
 */
export function groupSentences(group: GridGroup, outcomes: readonly RunOutcome[]): string {
  const inGroup = outcomes.filter((r) => r.run.group === group);
  const runs = inGroup.filter((r) => r.status === 'ok' && r.history.length > 0);
  const failed = inGroup.filter((r) => r.status === 'failed');
  const failedText = failed.length
    ? ` ${failed.map((f) => `${f.run.id} failed after ${f.history.length} epoch${f.history.length === 1 ? '' : 's'}`).join(', ')} (see the table).`
    : '';
  if (runs.length === 0) return `No run of this group completed.${failedText}`;
  const all = inGroup.map((r) => r.run);
  const s = new Map(runs.map((r) => [r.run.id, summarize(r.history)]));
  const sum = (r: RunOutcome): RunSummary => s.get(r.run.id)!;
  const desc = (r: GridRun): string => {
    const v = varyingLabel(r, all);
    return v ? `${r.id} (${v})` : r.id;
  };
  const score = (r: RunOutcome): number => (Number.isFinite(sum(r).finalTest) ? sum(r).finalTest : -1);
  const ranked = [...runs].sort((a, b) => score(b) - score(a));
  const best = ranked[0]!;
  const sentences: string[] = [];
  if (ranked.length === 1) {
    sentences.push(`${desc(best.run)} ended at ${pct(sum(best).finalTest)} test accuracy.`);
  } else {
    const rest = ranked.slice(1).map((r) => `${r.run.id} ${pct(sum(r).finalTest)}`).join(', ');
    sentences.push(`The best final test accuracy is ${desc(best.run)}'s ${pct(sum(best).finalTest)}, then ${rest}.`);
  }
  const overfit = runs
    .map((r) => ({ r, sm: sum(r), drop: sum(r).bestTest - sum(r).finalTest }))
    .filter((d) => d.drop > 0.01 && d.sm.bestEpoch < 0.9 * d.sm.epochs)
    .sort((a, b) => b.drop - a.drop)[0];
  const gaps = runs.map((r) => ({ id: r.run.id, gap: sum(r).finalTrain - sum(r).finalTest })).filter((g) => Number.isFinite(g.gap));
  gaps.sort((a, b) => b.gap - a.gap);
  const pts = (x: number): string => `${(100 * x).toFixed(1)} points`;
  const widest = gaps[0];
  const narrowest = gaps[gaps.length - 1];
  const gapText = widest && widest.gap < 0
    ? `every run still ends with a higher test than train accuracy (the train figure is an average over the epoch while the net still learns, with dropout active where used), so none overfits yet`
    : widest && narrowest && gaps.length > 1
    ? `the final train–test accuracy gap is largest for ${widest.id} (${pts(widest.gap)}) and smallest for ${narrowest.id} (${pts(narrowest.gap)})`
    : widest ? `the final train–test accuracy gap is ${pts(widest.gap)}` : '';
  if (overfit) {
    sentences.push(`${overfit.r.run.id} peaked at ${pct(overfit.sm.bestTest)} in epoch ${overfit.sm.bestEpoch} and ended ${pts(overfit.drop)} lower, a sign of overfitting${gapText ? `; ${gapText}` : ''}.`);
  } else if (gapText) {
    sentences.push(`${gapText.charAt(0).toUpperCase()}${gapText.slice(1)}.`);
  }
  return sentences.join(' ') + failedText;
}

/** For a 2.4 run: its accuracy against the table's runs it is compared with (when they ran). */
function comparisonSentence(r: RunOutcome, outcomes: readonly RunOutcome[]): string | null {
  if (!r.run.compareWith || r.history.length === 0) return null;
  const others = r.run.compareWith
    .map((id) => outcomes.find((o) => o.run.id === id))
    .filter((o): o is RunOutcome => o !== undefined && o.history.length > 0);
  if (others.length === 0) return null;
  const me = summarize(r.history).finalTest;
  const list = others.map((o) => `${o.run.id} ${pct(summarize(o.history).finalTest)}`).join(', ');
  return `${r.run.id} ended at ${pct(me)} test accuracy against ${list}.`;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A grid's report: report.md's text and its charts. */
export interface GridReport {
  /** report.md's text. */
  markdown: string;
  /** Two per group that recorded an epoch, at the paths the markdown links. */
  charts: Chart[];
}

/** Where runs were read from: a folder and the ids of the runs taken from it. */
export interface RunSource {
  /** The folder. */
  dir: string;
  /** The ids of the runs read from it. */
  runs: readonly string[];
}

/**
 * The report of a grid: report.md's text and its charts. `written` is the time the header
 * states; `sources`, for a grid merged from several folders, says which folder holds which run.
 */
export function gridReport(outcomes: readonly RunOutcome[], settings: GridSettings, written = new Date(), sources?: readonly RunSource[]): GridReport {
  const dataName = settings.dataDescription?.split(' ')[0] ?? settings.data;
  const md: string[] = [];
  const charts: Chart[] = [];
  md.push(`# handgrad experiments: the assignment's grid on ${dataName}`, '');
  md.push(`- data: ${settings.dataDescription ?? settings.data}`);
  md.push(`- every run: MLP with ReLU, softmax cross-entropy, SGD (G ← αG + g, W ← W − lr·G), batch ${settings.batchSize}, ` +
    `${settings.epochs} epoch${settings.epochs === 1 ? '' : 's'}, seed ${settings.seed}, dropout mode **${settings.dropoutMode}**` +
    `${settings.dropoutMode === 'cmu' ? ' (the assignment\'s: drop with probability p in training, scale by 1 − p at inference)' : ' (PyTorch\'s: scale by 1/(1 − p) in training)'}, backend ${settings.backend}`);
  md.push(`- written ${written.toISOString().replace(/\.\d+Z$/, 'Z')}; each run's directory (config.json, history.jsonl, history.csv, checkpoint) is \`<id>/\`, its log \`logs/<id>.log\``);
  if (sources) {
    md.push(`- merged from ${sources.length} folder${sources.length === 1 ? '' : 's'}: ${sources.map((s) => `\`${s.dir}\` (${s.runs.join(', ')})`).join(', ')}`);
  }
  const failed = outcomes.filter((r) => r.status === 'failed');
  if (failed.length > 0) md.push(`- **${failed.length} of ${outcomes.length} runs failed or are incomplete: ${failed.map((f) => f.run.id).join(', ')}** (see the table)`);
  md.push('');

  md.push('## All runs', '');
  md.push('| id | hidden | momentum | dropout | lr | final test acc. | best test acc. (epoch) | final train loss | time | status |');
  md.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of outcomes) {
    const s = summarize(r.history);
    const has = r.history.length > 0;
    const status = r.status === 'ok' ? `ok (${s.epochs} epoch${s.epochs === 1 ? '' : 's'})` : `**FAILED** after ${r.history.length} epochs: ${cell(r.error ?? 'unknown error')}`;
    md.push(`| ${r.run.id} | [${r.run.hidden.join(', ')}] | ${r.run.momentum} | ${r.run.dropout} | ${r.run.lr} | ` +
      `${has ? pct(s.finalTest) : '—'} | ${has ? `${pct(s.bestTest)} (${s.bestEpoch})` : '—'} | ${has ? s.finalTrainLoss.toFixed(4) : '—'} | ` +
      `${has ? formatSeconds(s.seconds) : '—'} | ${status} |`);
  }
  md.push('');

  for (const group of GRID_GROUPS) {
    const inGroup = outcomes.filter((r) => r.run.group === group);
    if (inGroup.length === 0) continue;
    md.push(`## ${group}: ${GROUP_TITLES[group]}`, '');
    if (group === '2.4') {
      for (const r of inGroup) md.push(`- **${r.run.id}** ${r.run.label}: ${r.run.why ?? ''}`);
      md.push('');
    }
    md.push(groupSentences(group, outcomes));
    if (group === '2.4') {
      const cmp = inGroup.map((r) => comparisonSentence(r, outcomes)).filter((x): x is string => x !== null);
      if (cmp.length) md.push('', cmp.join(' '));
    }
    md.push('');
    if (!inGroup.some((r) => r.history.length > 0)) {
      md.push('(no plots: no run of this group recorded an epoch)', '');
      continue;
    }
    for (const chart of groupCharts(group, outcomes, dataName)) {
      const kind = chart.file.endsWith('-loss') ? 'loss' : 'accuracy';
      charts.push(chart);
      md.push(`![${group} ${kind}](${chart.file}.png)`, '', `[${group} ${kind} as SVG](${chart.file}.svg)`, '');
    }
  }
  return { markdown: md.join('\n'), charts };
}
