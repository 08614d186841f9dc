// Smoke test of `npm run bench`: runs the bench entry (bench/run.ts, transpiled with esbuild so
// that the test does not depend on a fresh `npm run build`) with `--quick --only W1` for the
// reference backend alone — no Python, no TensorFlow.js — and checks the JSON record and the
// markdown table it writes. Nothing is timed or compared against a speed.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
// Inside the repository, so that bare imports (commander) resolve from its node_modules.
const outDir = join(root, 'node_modules/.cache/handgrad-bench-smoke');
let resultsDir = '';

function tsFiles(dir: string): string[] {
  return (readdirSync(join(root, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(root, dir, f));
}

function runBench(args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, [join(outDir, 'bench/run.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 110_000 });
}

beforeAll(async () => {
  rmSync(outDir, { recursive: true, force: true });
  await build({
    entryPoints: [...tsFiles('src'), ...tsFiles('bench')],
    outdir: outDir,
    outbase: root,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    logLevel: 'error',
  });
  resultsDir = mkdtempSync(join(tmpdir(), 'handgrad-bench-'));
});

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  if (resultsDir) rmSync(resultsDir, { recursive: true, force: true });
});

describe('npm run bench --quick --only W1 (handgrad-ref only)', () => {
  it('writes a JSON record with the measured fields and a markdown table', () => {
    const r = runBench(['--quick', '--only', 'W1', '--contestants', 'handgrad-ref', '--no-python', '--out', resultsDir]);
    expect(r.status, `bench failed:\n${String(r.stderr)}`).toBe(0);

    const files = readdirSync(resultsDir).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json$/);
    const res = JSON.parse(readFileSync(join(resultsDir, files[0]!), 'utf8'));

    expect(res.meta).toMatchObject({ quick: true, reps: 2, tasks: ['W1'], contestants: ['handgrad-ref'] });
    expect(typeof res.meta.date).toBe('string');
    expect(typeof res.meta.node).toBe('string');
    expect(typeof res.meta.loadavgBefore).toBe('string');
    expect(Object.keys(res.workloads)).toEqual(['W1']);
    expect(res.gemm).toBeUndefined();

    const w = res.workloads.W1;
    expect(w.batch).toBe(64);
    // 6 · weights of 784-60-10.
    expect(w.flopsPerSample).toBe(6 * (784 * 60 + 60 * 10));
    const c = w.contestants['handgrad-ref'];
    expect(c.status).toBe('ok');
    expect(c.info.backend).toMatch(/^ref/);
    expect(c.info.parameters).toBe(784 * 60 + 60 + 60 * 10 + 10);
    expect(c.info.batches).toBe(Math.floor(60000 / 64));
    expect(c.reps).toHaveLength(2);
    expect(c.cpuPerWall).toHaveLength(2);
    for (const x of c.reps) expect(x).toBeGreaterThan(0);
    expect(c.samplesPerSec).toBeGreaterThan(0);
    expect(c.minSamplesPerSec).toBeLessThanOrEqual(c.samplesPerSec);
    expect(c.maxSamplesPerSec).toBeGreaterThanOrEqual(c.samplesPerSec);
    expect(c.gflops).toBeCloseTo((c.samplesPerSec * w.flopsPerSample) / 1e9, 6);
    expect(c.peakRssMiB).toBeGreaterThan(50);
    // Fashion-MNIST has 10 classes: the softmax cross-entropy of a barely trained net is near ln 10.
    expect(Number.isFinite(c.lastLoss)).toBe(true);
    expect(c.lastLoss).toBeGreaterThan(0);
    expect(c.lastLoss).toBeLessThan(5);
    // No anchor ran, so handgrad-ref has no ratio to anything.
    expect(w.ratios).toEqual({ 'handgrad-ref': {} });

    const md = readFileSync(join(resultsDir, 'latest.md'), 'utf8');
    expect(md).toContain('## W1: Fashion-MNIST 784-60-10, SGD');
    expect(md).toMatch(/\| handgrad-ref \| [\d,]+ \| [\d,]+–[\d,]+ \| [\d.]+ \| [\d,]+ \| [\d.]+ \|/);
    expect(String(r.stdout)).toContain('| handgrad-ref |');
  });

  it('refuses an unknown task or contestant with a message naming the flag', () => {
    const bad = runBench(['--quick', '--only', 'W9', '--out', resultsDir]);
    expect(bad.status).not.toBe(0);
    expect(String(bad.stderr)).toContain("--only got 'W9'");
    const badC = runBench(['--quick', '--only', 'W1', '--contestants', 'keras', '--out', resultsDir]);
    expect(badC.status).not.toBe(0);
    expect(String(badC.stderr)).toContain("--contestants got 'keras'");
    expect(existsSync(join(resultsDir, 'latest.md'))).toBe(true); // only the first test wrote it
  });
});
