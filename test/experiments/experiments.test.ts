// `handgrad experiments`: the grid matches the assignment's table, the report from synthetic history files
// (table values, 8 plots as SVG and PNG, generated sentences, failed runs shown), flag validation.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PNG } from 'pngjs';
import { GRID, GRID_DEFAULTS, longestFirst, selectRuns, type RunOutcome } from '../../src/train/grid.js';
import { readHistory } from '../../src/train/run-node.js';
import { formatSeconds, gridReport, groupSentences, summarize } from '../../src/report/grid-report.js';
import { writeCharts } from '../../src/plot/write-node.js';
import { optionsFromFlags, trainArgs } from '../../src/cli/experiments.js';
import { run as runCli } from '../../src/cli/main.js';
import { syntheticHistory, writeHistory } from './synthetic.js';

const tmp = mkdtempSync(join(tmpdir(), 'handgrad-experiments-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the grid', () => {
  it('is the assignment table row by row', () => {
    // id, hidden, momentum, dropout, lr — transcribed from SPEC.md §5
    const spec: [string, number[], number, number, number][] = [
      ['2.1a', [60], 0, 0, 0.001], ['2.1b', [60], 0.4, 0, 0.001], ['2.1c', [60], 0.4, 0.2, 0.001], ['2.1d', [150], 0.4, 0.2, 0.001],
      ['2.2a', [60, 60], 0, 0, 0.001], ['2.2b', [60, 60], 0.4, 0, 0.001], ['2.2c', [60, 60], 0.4, 0.2, 0.001], ['2.2d', [150, 150], 0.4, 0.2, 0.001],
      ['2.3a', [150, 150], 0, 0, 0.01], ['2.3b', [150, 150], 0, 0, 0.001], ['2.3c', [150, 150], 0, 0, 0.0001],
    ];
    const table = GRID.filter((r) => r.group !== '2.4');
    expect(table.map((r) => [r.id, r.hidden, r.momentum, r.dropout, r.lr])).toEqual(spec);
    for (const r of GRID) expect(r.group).toBe(r.id.slice(0, 3));
    expect(GRID_DEFAULTS).toMatchObject({ dropoutMode: 'cmu', batchSize: 64, epochs: 200 });
  });

  it('has three free 2.4 experiments, each explained and compared with runs of the table', () => {
    const free = GRID.filter((r) => r.group === '2.4');
    expect(free.map((r) => r.id)).toEqual(['2.4a', '2.4b', '2.4c']);
    const ids = new Set(GRID.map((r) => r.id));
    expect(ids.size).toBe(GRID.length);
    for (const r of free) {
      expect(r.why && r.why.length > 20).toBe(true);
      expect(r.compareWith!.length).toBeGreaterThan(0);
      for (const c of r.compareWith!) expect(ids.has(c) && !c.startsWith('2.4')).toBe(true);
      // none repeats a configuration of the table
      expect(GRID.filter((o) => o.id !== r.id && JSON.stringify([o.hidden, o.momentum, o.dropout, o.lr]) === JSON.stringify([r.hidden, r.momentum, r.dropout, r.lr]))).toEqual([]);
    }
  });

  it('selects runs and groups with --only, and names unknown ones', () => {
    expect(selectRuns().length).toBe(14);
    expect(selectRuns('2.3').map((r) => r.id)).toEqual(['2.3a', '2.3b', '2.3c']);
    expect(selectRuns('2.4c, 2.1a').map((r) => r.id)).toEqual(['2.1a', '2.4c']);
    expect(() => selectRuns('2.1a,2.9')).toThrow(/unknown run or group '2\.9'/);
    expect(() => selectRuns(',')).toThrow(/expected run ids or groups like 2\.1a,2\.3, got ','/);
  });

  it('turns a run into the train command line', () => {
    const o = optionsFromFlags({ data: 'mnist', epochs: '3', batchSize: '32', seed: '5', jobs: '2', out: '/tmp/x', backend: 'ref', dropoutMode: 'cmu' });
    const args = trainArgs(GRID.find((r) => r.id === '2.2c')!, o);
    const flag = (f: string): string | undefined => args[args.indexOf(f) + 1];
    expect(args[0]).toBe('train');
    expect(flag('--hidden')).toBe('60,60');
    expect(flag('--momentum')).toBe('0.4');
    expect(flag('--dropout')).toBe('0.2');
    expect(flag('--dropout-mode')).toBe('cmu');
    expect(flag('--lr')).toBe('0.001');
    expect(flag('--batch-size')).toBe('32');
    expect(flag('--epochs')).toBe('3');
    expect(flag('--seed')).toBe('5');
    expect(flag('--out')).toBe(join('/tmp/x', '2.2c'));
    expect(args).toContain('--resume');
  });
});

describe('the report', () => {
  const epochs = 40;
  const dir = join(tmp, 'synthetic');
  const outcomes: RunOutcome[] = GRID.map((run, i) => {
    const history = syntheticHistory(run, epochs, 100 + i);
    writeHistory(join(dir, run.id), history);
    return { run, status: 'ok', history: readHistory(join(dir, run.id, 'history.jsonl')) };
  });
  // one run failed after 7 epochs, as a child that diverged would
  const failedIndex = GRID.findIndex((r) => r.id === '2.3a');
  outcomes[failedIndex] = {
    ...outcomes[failedIndex]!, status: 'failed', history: outcomes[failedIndex]!.history.slice(0, 7),
    error: 'handgrad train: the loss became NaN in epoch 8 | try a smaller learning rate, e.g. --lr 0.001',
  };

  it('reads history.jsonl as train writes it, and says which line is wrong', () => {
    const h = readHistory(join(dir, '2.1a', 'history.jsonl'));
    expect(h.length).toBe(epochs);
    expect(h[0]!.epoch).toBe(1);
    const bad = join(tmp, 'bad.jsonl');
    writeFileSync(bad, '{"epoch":1,"trainLoss":1,"trainAccuracy":0.5,"testLoss":1,"testAccuracy":0.5}\n{"epoch":2,"trainLoss":1}\n');
    expect(() => readHistory(bad)).toThrow(/bad\.jsonl:2: field 'trainAccuracy'/);
    writeFileSync(bad, 'not json\n');
    expect(() => readHistory(bad)).toThrow(/bad\.jsonl:1: not a JSON object/);
    // JSON has no NaN: a diverged epoch's metrics are null and come back as NaN
    writeFileSync(bad, '{"epoch":1,"trainLoss":null,"trainAccuracy":0.5,"testLoss":null,"testAccuracy":0.1,"seconds":2,"samplesPerSecond":9,"lr":0.1}\n');
    expect(readHistory(bad)).toEqual([{ epoch: 1, trainLoss: NaN, trainAccuracy: 0.5, testLoss: NaN, testAccuracy: 0.1, seconds: 2, samplesPerSecond: 9, lr: 0.1 }]);
  });

  it('makes report.md with every run, 8 charts (written as SVG and PNG), and sentences per group', async () => {
    const { markdown: md, charts } = gridReport(outcomes, {
      data: 'fashion-mnist', batchSize: 64, seed: 0, dropoutMode: 'cmu', epochs, backend: 'ref',
      dataDescription: 'fashion-mnist (60000 train / 10000 test, 10 classes, samples 784)',
    });
    expect(charts.map((c) => c.file)).toEqual(['2.1', '2.2', '2.3', '2.4'].flatMap((g) => [`plots/${g}-loss`, `plots/${g}-accuracy`]));
    await writeCharts(dir, charts);
    // the table: one row per run with its values
    const rows = md.split('\n').filter((l) => /^\| 2\.\d[a-d] \|/.test(l));
    expect(rows.length).toBe(GRID.length);
    for (const o of outcomes) {
      const row = rows.find((r) => r.startsWith(`| ${o.run.id} |`))!;
      const s = summarize(o.history);
      const cells = row.split(/(?<!\\)\|/).map((c) => c.trim());
      expect(cells.slice(1, 6)).toEqual([o.run.id, `[${o.run.hidden.join(', ')}]`, String(o.run.momentum), String(o.run.dropout), String(o.run.lr)]);
      expect(cells[6]).toBe(`${(100 * s.finalTest).toFixed(1)}%`);
      expect(cells[7]).toBe(`${(100 * s.bestTest).toFixed(1)}% (${s.bestEpoch})`);
      expect(cells[8]).toBe(s.finalTrainLoss.toFixed(4));
      expect(cells[9]).toBe(formatSeconds(s.seconds));
    }
    // the failed run is in the table with its error line (the '|' escaped), and named at the top
    const failedRow = rows.find((r) => r.startsWith('| 2.3a |'))!;
    expect(failedRow).toContain('**FAILED** after 7 epochs: handgrad train: the loss became NaN in epoch 8 \\| try a smaller learning rate');
    expect(md).toContain('1 of 14 runs failed or are incomplete: 2.3a');
    // 8 plots, linked from the report
    const plots = readdirSync(join(dir, 'plots')).sort();
    expect(plots).toEqual(['2.1', '2.2', '2.3', '2.4'].flatMap((g) => [`${g}-accuracy.png`, `${g}-accuracy.svg`, `${g}-loss.png`, `${g}-loss.svg`]));
    for (const p of plots) expect(md).toContain(`(plots/${p})`);
    // each plot holds the train (dashed) and test (solid) curve of every run of its group
    for (const g of ['2.1', '2.2', '2.3', '2.4']) {
      const ids = GRID.filter((r) => r.group === g).map((r) => r.id);
      for (const kind of ['loss', 'accuracy']) {
        const svg = readFileSync(join(dir, 'plots', `${g}-${kind}.svg`), 'utf8');
        expect((svg.match(/aria-roledescription="line mark"/g) ?? []).length).toBe(2 * ids.length);
        for (const id of ids) {
          expect(svg).toMatch(new RegExp(`>${id.replace('.', '\\.')}[^<]* train</text>`));
          expect(svg).toMatch(new RegExp(`>${id.replace('.', '\\.')}[^<]* test</text>`));
        }
        expect(svg).toContain('>epoch</text>');
        expect(svg).toContain(kind === 'loss' ? '>cross-entropy loss</text>' : '>accuracy</text>');
        const png = PNG.sync.read(readFileSync(join(dir, 'plots', `${g}-${kind}.png`)));
        const [, w, h] = svg.match(/<svg[^>]* width="(\d+)" height="(\d+)"/)!.map(Number);
        expect([png.width, png.height]).toEqual([2 * w!, 2 * h!]);
      }
    }
    // generated sentences: the best run of 2.1 by final test accuracy is named first
    const in21 = outcomes.filter((o) => o.run.group === '2.1');
    const best = in21.reduce((a, b) => (summarize(b.history).finalTest > summarize(a.history).finalTest ? b : a));
    expect(md).toMatch(new RegExp(`The best final test accuracy is ${best.run.id.replace('.', '\\.')}[^']*'s ${(100 * summarize(best.history).finalTest).toFixed(1)}%`));
    // 2.4 explains each free experiment and compares it with its reference runs
    expect(md).toContain('**2.4a**');
    expect(md).toMatch(/2\.4a ended at [\d.]+% test accuracy against 2\.2a [\d.]+%, 2\.2b [\d.]+%\./);
  });

  it('names overfitting when a run ends below its best epoch', () => {
    const run = GRID[0]!;
    const h = syntheticHistory(run, 10, 1).map((r, i) => ({ ...r, testAccuracy: i === 4 ? 0.9 : 0.8, trainAccuracy: 0.95 }));
    const text = groupSentences('2.1', [{ run, status: 'ok', history: h }]);
    expect(text).toContain('2.1a peaked at 90.0% in epoch 5 and ended 10.0 points lower, a sign of overfitting');
    // a peak in the last tenth of the epochs is noise, not overfitting
    const late = h.map((r, i) => ({ ...r, testAccuracy: i === 9 ? 0.8 : i === 8 ? 0.9 : 0.8 }));
    expect(groupSentences('2.1', [{ run, status: 'ok', history: late }])).not.toContain('overfitting');
    // failed runs are named apart, not ranked
    const both = groupSentences('2.1', [{ run, status: 'ok', history: h }, { run: GRID[1]!, status: 'failed', history: h.slice(0, 3), error: 'x' }]);
    expect(both).toContain('2.1b failed after 3 epochs');
    expect(both).not.toContain('then 2.1b');
  });
});

describe('flags', () => {
  /** Runs the CLI in-process; returns the exit code and what went to stderr. */
  async function cli(args: string[]): Promise<{ code: number; err: string[] }> {
    const err: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    const spyW = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s).trimEnd()), true));
    const before = process.exitCode;
    try {
      await runCli(['node', 'handgrad', 'experiments', ...args]);
      return { code: Number(process.exitCode ?? 0), err };
    } finally {
      process.exitCode = before;
      spy.mockRestore();
      spyW.mockRestore();
    }
  }

  it.each([
    [['--epochs', '0'], /--epochs must be an integer ≥ 1, got '0'/],
    [['--epochs', '2.5'], /--epochs must be an integer/],
    [['--jobs', '-1'], /--jobs must be an integer ≥ 1/],
    [['--batch-size', 'x'], /--batch-size must be an integer/],
    [['--seed', '-3'], /--seed must be an integer/],
    [['--only', '2.1z'], /--only: unknown run or group '2\.1z'/],
    [['--backend', 'gpu'], /--backend must be one of auto, ref, wasm, webgpu, got 'gpu'/],
    [['--dropout-mode', 'keras'], /--dropout-mode must be one of cmu, inverted/],
    [['--data-dir', '/nonexistent/handgrad'], /--data-dir: no such directory/],
    [['--data', '/nonexistent/handgrad.npz', '--out', join(tmp, 'nodata')], /--data.*\/nonexistent\/handgrad\.npz/],
    [['--report-only', '--out', join(tmp, 'empty')], /--report-only: .* holds no grid/],
    [['--shard', '3/2'], /--shard: 3\/2 is not a shard; expected I\/N with 0 ≤ I < N/],
    [['--shard', 'one/2'], /--shard: 'one\/2' is not a shard/],
  ])('%j: one line, exit code 2', async (args, message) => {
    const { code, err } = await cli(args as string[]);
    expect(code).toBe(2);
    expect(err.length).toBe(1);
    expect(err[0]).toMatch(message as RegExp);
  });

  it('refuses to mix settings with a grid already in --out', async () => {
    const out = join(tmp, 'mixed');
    writeHistory(join(out, '2.1a'), syntheticHistory(GRID[0]!, 2, 0));
    writeFileSync(join(out, 'grid.json'), JSON.stringify({ data: 'fashion-mnist', batchSize: 64, seed: 0, dropoutMode: 'cmu', epochs: 2, backend: 'ref' }));
    const { code, err } = await cli(['--data', 'mnist', '--out', out]);
    expect(code).toBe(2);
    expect(err[0]).toMatch(/--data mnist differs from fashion-mnist of the grid already in/);
    // --report-only rebuilds the report from the directories (2.1a complete, 2.1b missing → failed, exit 1)
    const r = await cli(['--report-only', '--only', '2.1a,2.1b', '--out', out]);
    expect(r.code).toBe(1);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| 2\.1a \|.*\| ok \(2 epochs\) \|/);
    expect(md).toMatch(/\| 2\.1b \|.*\*\*FAILED\*\* after 0 epochs: incomplete \(0 of 2 epochs\)/);
    expect(existsSync(join(out, 'plots', '2.1-loss.png'))).toBe(true);
  });

  it('options: defaults of the assignment', () => {
    const o = optionsFromFlags({ data: 'mnist', epochs: '200', batchSize: '64', seed: '0', jobs: '2', out: 'runs/experiments', backend: 'ref', dropoutMode: 'cmu' });
    expect(o.runs.length).toBe(14);
    expect(o).toMatchObject({ epochs: 200, batchSize: 64, jobs: 2, dropoutMode: 'cmu' });
  });
});

describe('the order runs are started in', () => {
  it('weighs each run on the data set at hand', () => {
    // on Omniglot-12 (105×105 inputs, 12 classes) the input layer dominates just the same
    const omniglot = longestFirst(GRID, 105 * 105, 12).map((r) => r.id);
    expect(omniglot[0]).toBe('2.4c');
    // on a tiny input the hidden–hidden layers decide: [150, 150] outweighs [600]
    const tiny = longestFirst(GRID, 2, 2).map((r) => r.id);
    expect(tiny.indexOf('2.2d')).toBeLessThan(tiny.indexOf('2.4c'));
  });

  it('is longest first (most weights), ties in table order: the wide 2.4c first, the [60] runs last', () => {
    const order = longestFirst(GRID, 784, 10).map((r) => r.id);
    expect(order[0]).toBe('2.4c');
    expect(order.slice(1, 5)).toEqual(['2.2d', '2.3a', '2.3b', '2.3c']);
    expect(order[5]).toBe('2.1d');
    expect(order.slice(-3)).toEqual(['2.1a', '2.1b', '2.1c']);
    expect([...order].sort()).toEqual(GRID.map((r) => r.id).sort());
  });
});
