// The grid fanned out over machines: `--shard I/N` (the same shares on every machine, balanced by
// the runs' weights, validated, recorded in grid.json) and `experiments report DIR…` (folders
// merged into one report; disagreeing settings refused by name; missing runs named). End to end,
// three shards in three processes — two sharing a folder, one in its own, as a Slurm array on a
// shared scratch and a machine whose folder is copied back — merge into the report an unsharded
// run of the same grid writes, number for number (timings excepted).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRID, mlpWeights, selectRuns } from '../../src/train/grid.js';
import { parseShard, shardRuns, shardShares } from '../../src/train/grid-shard.js';
import { mergeGridFolders } from '../../src/train/grid-merge-node.js';
import { readHistory } from '../../src/train/run-node.js';
import { syntheticHistory, writeHistory } from './synthetic.js';
import { writeTinyNpz } from './tiny-data.js';

const root = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'handgrad-shards-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('--shard I/N', () => {
  it('parses I/N numbered from 0 and refuses anything else', () => {
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard(' 2 / 3 ')).toEqual({ index: 2, count: 3 });
    for (const bad of ['3/2', '2/2', '0/0', '-1/3', '1', '1/3/4', 'a/b', '1.5/3', '0/10001', '']) {
      expect(() => parseShard(bad), bad).toThrow(/is not a shard; expected I\/N with 0 ≤ I < N ≤ 10000, shards numbered from 0/);
    }
  });

  it('partitions the grid: every run in exactly one share, the same shares every time', () => {
    for (const count of [1, 2, 3, 4, 7, 14, 20]) {
      const shares = shardShares(GRID, count, 784, 10);
      expect(shares).toHaveLength(count);
      const ids = shares.flat().map((r) => r.id).sort();
      expect(ids).toEqual(GRID.map((r) => r.id).sort());
      expect(shardShares([...GRID], count, 784, 10)).toEqual(shares);
      for (let i = 0; i < count; i++) expect(shardRuns(GRID, { index: i, count }, 784, 10)).toEqual(shares[i]);
      if (count >= GRID.length) expect(shares.filter((s) => s.length > 0)).toHaveLength(GRID.length);
    }
  });

  it('balances the shares by weights (LPT): within 4/3 of the ideal makespan', () => {
    const cost = (runs: readonly { hidden: number[] }[]): number => runs.reduce((s, r) => s + mlpWeights(r.hidden, 784, 10), 0);
    for (const count of [2, 3, 4]) {
      const loads = shardShares(GRID, count, 784, 10).map(cost);
      const ideal = Math.max(cost(GRID) / count, ...GRID.map((r) => cost([r])));
      expect(Math.max(...loads)).toBeLessThanOrEqual((4 / 3) * ideal);
    }
    // two shards on MNIST: the two [150, 150]-or-wider heavyweights split, not stacked
    const [a, b] = shardShares(GRID, 2, 784, 10);
    expect(a![0]!.id).toBe('2.4c');
    expect(b!.map((r) => r.id)).toContain('2.2d');
  });
});

describe('mergeGridFolders', () => {
  const settings = { data: 'mnist', batchSize: 64, seed: 0, dropoutMode: 'cmu', epochs: 3, backend: 'ref', dataDescription: 'mnist (8000 train / 2000 test, 10 classes, samples 28×28)' };
  function folder(name: string, ids: string[], extra: Record<string, unknown> = {}, runs = ids): string {
    const dir = join(tmp, 'merge', name);
    mkdirSync(dir, { recursive: true });
    for (const id of ids) writeHistory(join(dir, id), syntheticHistory(GRID.find((r) => r.id === id)!, 3, id.charCodeAt(3)));
    writeFileSync(join(dir, 'grid.json'), JSON.stringify({ ...settings, shards: 3, runs, ...extra }));
    return dir;
  }

  it('takes each run from the folder that holds it, and names the runs in none', () => {
    const selection = ['2.1a', '2.1b', '2.2a', '2.3c'];
    const a = folder('a', ['2.2a', '2.1a'], {}, selection);
    const b = folder('b', ['2.3c'], {}, selection);
    const m = mergeGridFolders([a, b]);
    expect(m.outcomes.map((o) => [o.run.id, o.status])).toEqual([['2.1a', 'ok'], ['2.1b', 'failed'], ['2.2a', 'ok'], ['2.3c', 'ok']]);
    expect(m.missing).toEqual(['2.1b']);
    expect(m.outcomes[1]!.error).toBe(`missing: no 2.1b/ in ${a}, ${b}`);
    expect(m.sources).toEqual([{ dir: a, runs: ['2.1a', '2.2a'] }, { dir: b, runs: ['2.3c'] }]);
    expect(m.settings).toEqual({ ...settings, runs: selection });
    expect(m.outcomes[2]!.history).toEqual(readHistory(join(a, '2.2a', 'history.jsonl')));
  });

  it.each([
    ['batchSize', 128], ['seed', 1], ['dropoutMode', 'inverted'], ['epochs', 4], ['data', 'fashion-mnist'], ['backend', 'wasm'],
  ] as const)('refuses folders that disagree on %s, naming it', (key, value) => {
    const a = folder(`same-${key}`, ['2.1a']);
    const b = folder(`other-${key}`, ['2.1b'], { [key]: value });
    expect(() => mergeGridFolders([a, b])).toThrow(new RegExp(`^the grids disagree on ${key}: ${JSON.stringify(value)} in .*other-${key}/grid\\.json`));
  });

  it('refuses a folder without a grid, and a grid.json that is not one', () => {
    const empty = join(tmp, 'merge', 'empty');
    mkdirSync(empty, { recursive: true });
    expect(() => mergeGridFolders([empty])).toThrow(/empty holds no grid \(no grid\.json\)/);
    const broken = folder('broken', ['2.1a'], { runs: ['2.1a', '2.9z'] });
    expect(() => mergeGridFolders([broken])).toThrow(/broken\/grid\.json is not a grid's settings: unknown run '2\.9z' in 'runs'/);
    expect(() => mergeGridFolders([join(tmp, 'merge', 'nowhere')])).toThrow(/nowhere is not a folder/);
  });
});

/** Runs bin/handgrad.js (dist/, built by the end-to-end test's beforeAll or `npm run build`). */
function handgrad(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'handgrad.js'), ...args], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Uint8Array) => (stdout += String(b)));
    child.stderr.on('data', (b: Uint8Array) => (stderr += String(b)));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** report.md without what differs between two runs of the same grid: when it was written, where runs were read from, and the time column. */
function comparable(md: string): string {
  return md.split('\n')
    .filter((l) => !l.startsWith('- written ') && !l.startsWith('- merged from '))
    .map((l) => (/^\| 2\.\d[a-d] \|/.test(l) ? l.split(' | ').filter((_, i) => i !== 8).join(' | ') : l))
    .join('\n');
}

describe('three shards in three processes', () => {
  const data = join(tmp, 'tiny.npz');
  const only = '2.1a,2.1d,2.2a,2.3a,2.4b,2.4c';
  const common = ['--data', data, '--only', only, '--epochs', '2', '--batch-size', '16', '--seed', '3', '--jobs', '1', '--backend', 'ref', '--threads', '1'];
  const whole = join(tmp, 'whole');
  const shared = join(tmp, 'scratch', 'grid');
  const own = join(tmp, 'machine-c', 'grid');
  let shards: Awaited<ReturnType<typeof handgrad>>[];

  beforeAll(async () => {
    const built = join(root, 'dist', 'src', 'cli', 'experiments-report.js');
    if (!existsSync(built)) spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { cwd: root });
    writeTinyNpz(data);
    shards = await Promise.all([
      handgrad('experiments', ...common, '--shard', '0/3', '--out', shared),
      handgrad('experiments', ...common, '--shard', '1/3', '--out', shared),
      handgrad('experiments', ...common, '--shard', '2/3', '--out', own),
    ]);
  }, 300_000);

  it('each runs its share, LPT by weights, and writes no report', () => {
    // weights on 6×6 samples, 10 classes: 2.3a 29400, 2.4c 27600, 2.4b 9960, 2.1d 6900, 2.2a 6360, 2.1a 2760
    const expected = [['2.3a'], ['2.4c'], ['2.4b', '2.1d', '2.2a', '2.1a']];
    shards.forEach((r, i) => {
      expect(r.stderr, `shard ${i}`).toBe('');
      expect(r.code, `shard ${i}`).toBe(0);
      expect(r.stdout).toContain(`handgrad experiments: shard ${i}/3: ${expected[i]!.length} run${i === 2 ? 's' : ''} of 6 on tiny (300 train / 100 test`);
      expect(r.stdout).toMatch(new RegExp(`shard ${i}/3: ${expected[i]!.length} of ${expected[i]!.length} runs complete; when every shard is done: handgrad experiments report`));
      for (const id of expected[i]!) expect(r.stdout).toMatch(new RegExp(`\\] ${id.replace('.', '\\.')} done: test acc`));
    });
    expect(existsSync(join(shared, 'report.md'))).toBe(false);
    expect(existsSync(join(own, 'report.md'))).toBe(false);
    const recorded = JSON.parse(readFileSync(join(shared, 'grid.json'), 'utf8')) as Record<string, unknown>;
    expect(recorded).toMatchObject({ shards: 3, runs: only.split(','), features: 36, classes: 10, epochs: 2, batchSize: 16, seed: 3 });
  });

  it('a later call must agree with the shards recorded in grid.json', async () => {
    const count = await handgrad('experiments', ...common, '--shard', '0/2', '--out', shared);
    expect(count.code).toBe(2);
    expect(count.stderr.trim().split('\n')).toHaveLength(1);
    expect(count.stderr).toMatch(/--shard 0\/2: the grid in .* is split into 3 shards/);
    const unsplit = await handgrad('experiments', ...common, '--out', shared);
    expect(unsplit.code).toBe(2);
    expect(unsplit.stderr).toMatch(/holds a grid split into 3 shards .*run one with --shard I\/3/);
    const other = await handgrad('experiments', ...common.map((a) => (a === only ? '2.1a,2.1d' : a)), '--shard', '0/3', '--out', shared);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/--only 2\.1a,2\.1d: the shards of the grid in .* split the runs 2\.1a,2\.1d,2\.2a,2\.3a,2\.4b,2\.4c/);
    const bad = await handgrad('experiments', ...common, '--shard', '3/2', '--out', join(tmp, 'never'));
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^handgrad: --shard: 3\/2 is not a shard; expected I\/N with 0 ≤ I < N/)]);
    expect(existsSync(join(tmp, 'never'))).toBe(false);
    // a shard whose runs are done is skipped run by run, without loading the data again
    const again = await handgrad('experiments', ...common, '--shard', '1/3', '--out', shared);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/\] 2\.4c already complete/);
  }, 120_000);

  it('merged with `experiments report` they give the report of the grid run whole', async () => {
    // two runs at a time here: the runs' numbers depend on their seed and threads, not on --jobs
    const one = await handgrad('experiments', ...common, '--jobs', '2', '--out', whole);
    expect(one.code).toBe(0);
    const merged = await handgrad('experiments', 'report', shared, own);
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
    expect(merged.stdout).toMatch(/^6 of 6 runs complete in 2 folders\nreport: .*scratch\/grid\/report\.md\n$/);
    const a = readFileSync(join(whole, 'report.md'), 'utf8');
    const b = readFileSync(join(shared, 'report.md'), 'utf8');
    expect(b).toContain(`- merged from 2 folders: \`${shared}\` (2.3a, 2.4c), \`${own}\` (2.1a, 2.1d, 2.2a, 2.4b)`);
    expect(comparable(b)).toBe(comparable(a));
    expect(a.split('\n').filter((l) => /^\| 2\.\d[a-d] \|/.test(l))).toHaveLength(6);
    // the same final numbers, run by run, to the last digit
    const numbers = (dir: string, id: string): unknown[] =>
      readHistory(join(dir, id, 'history.jsonl')).map((h) => [h.epoch, h.trainLoss, h.trainAccuracy, h.testLoss, h.testAccuracy]);
    for (const run of selectRuns(only)) expect(numbers(existsSync(join(shared, run.id)) ? shared : own, run.id)).toEqual(numbers(whole, run.id));
    for (const p of ['2.1-loss', '2.2-accuracy', '2.3-loss', '2.4-accuracy']) expect(existsSync(join(shared, 'plots', `${p}.png`))).toBe(true);
  }, 300_000);

  it('tolerates a missing shard by naming its runs, into --out', async () => {
    const out = join(tmp, 'partial');
    const r = await handgrad('experiments', 'report', shared, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('2 of 6 runs complete in 1 folder\nmissing (in none of the folders): 2.1a, 2.1d, 2.2a, 2.4b\n');
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| 2\.1a \|.*\*\*FAILED\*\* after 0 epochs: missing: no 2\.1a\/ in /);
    expect(md).toMatch(/\| 2\.3a \|.*\| ok \(2 epochs\) \|/);
    const disagree = join(tmp, 'disagree');
    mkdirSync(disagree);
    writeFileSync(join(disagree, 'grid.json'), readFileSync(join(own, 'grid.json'), 'utf8').replace('"batchSize": 16', '"batchSize": 32'));
    const refused = await handgrad('experiments', 'report', shared, disagree);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^handgrad: experiments report: the grids disagree on batchSize: 32 in .*disagree\/grid\.json, 16 in /);
  }, 120_000);
});
