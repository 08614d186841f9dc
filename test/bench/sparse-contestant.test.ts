// The benchmark's handgrad contestant takes its first layer's batches the way `train` does: sparse
// on data that is mostly one value (W3r's Omniglot drawings), dense otherwise; and W3r's arrays
// reach every Node contestant through the .npy branch of bench/data-node.ts. Small arrays written
// here stand in for the drawings (the runner writes the real ones from the Omniglot zips). Nothing
// is timed.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HandgradTrainer } from '../../bench/contestants/handgrad.js';
import { loadData } from '../../bench/data-node.js';
import { workloads, type DataSpec, type WorkloadSpec } from '../../bench/workloads.js';
import { setBackend } from '../../src/backend.js';
import { writeNpy } from '../../src/data/npy.js';
import { Random } from '../../src/random.js';

const dir = mkdtempSync(join(tmpdir(), 'hg-bench-sparse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const F = 400, N = 256;

/** x.npy / y.npy of N rows: "ink" (8 % of the entries 0 on a background of 1), or uniform noise. */
type NpySpec = Extract<DataSpec, { kind: 'npy' }>;

function arrays(name: string, ink: boolean): NpySpec {
  const rng = new Random(3);
  const x = Float32Array.from({ length: N * F }, () => (ink ? (rng.uniform() < 0.08 ? 0 : 1) : rng.uniform()));
  const y = Int32Array.from({ length: N }, (_, i) => i % 8);
  const paths = { x: join(dir, `${name}-x.npy`), y: join(dir, `${name}-y.npy`) };
  writeFileSync(paths.x, writeNpy('<f4', [N, F], new Uint8Array(x.buffer)));
  writeFileSync(paths.y, writeNpy('<i4', [N], new Uint8Array(y.buffer)));
  return { kind: 'npy', ...paths, n: N, features: F, classes: 8, source: name };
}

function spec(data: DataSpec): WorkloadSpec {
  const w = workloads().W3r;
  return { ...w, sampleShape: [F], layers: [{ type: 'linear', in: F, out: 20 }, { type: 'relu' }, { type: 'linear', in: 20, out: 8 }], data };
}

describe('bench: the handgrad contestant and W3r\'s arrays', () => {
  it('W3r is 11025 → 150 → 8 on Omniglot-small, which the runner turns into .npy arrays', () => {
    const w = workloads({ omniglotDir: '/somewhere' }).W3r;
    expect(w.layers).toEqual([{ type: 'linear', in: 11025, out: 150 }, { type: 'relu' }, { type: 'linear', in: 150, out: 8 }]);
    expect(w.data).toEqual({ kind: 'omniglot', dir: '/somewhere' });
    expect(() => loadData(w.data)).toThrow(/read by the runner/);
  });

  it('reads .npy arrays whole batches at a time, and refuses arrays of another shape', () => {
    const data = arrays('ink', true);
    const d = loadData(data, (n) => new Float32Array(n), 100);
    expect(d.n).toBe(200);
    expect(d.x.length).toBe(200 * F);
    expect(Array.from(d.y.subarray(0, 9))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0]);
    expect(() => loadData({ ...data, features: F + 1 })).toThrow(/expected float32 \[256, 401\]/);
  });

  it('runs the first layer sparse on ink-on-paper data and dense on noise, and trains either way', () => {
    setBackend('ref');
    for (const [name, ink] of [['ink', true], ['noise', false]] as const) {
      const s = spec(arrays(name, ink));
      const trainer = new HandgradTrainer(s, (allocate, batch) => loadData(s.data, allocate, batch));
      expect(String(trainer.info.firstLayer), name).toMatch(ink ? /^sparse \(\d+\.\d % of the training entries differ from 1\)$/ : /^dense \(no value fills more than half/);
      expect(String(trainer.info.inputs), name).toMatch(ink ? /^sparse form in backend memory/ : /^in backend memory/);
      const first = trainer.step();
      let last = first;
      for (let i = 0; i < 30; i++) last = trainer.step();
      expect(Number.isFinite(last), name).toBe(true);
      if (ink) expect(last, 'the loss falls on the learnable ink data').toBeLessThan(first);
    }
  });
});
