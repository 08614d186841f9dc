// Synthetic but plausible training histories for the report tests: a seeded curve per run whose
// final accuracy depends on the run's settings, written as the history.jsonl `handgrad train` writes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../../src/random.js';
import type { GridRun } from '../../src/train/grid.js';
import type { EpochRecord } from '../../src/train/loop.js';

export function syntheticHistory(run: GridRun, epochs: number, seed: number): EpochRecord[] {
  const rng = new Random(seed);
  // speed of learning: effective step lr/(1 − momentum); capacity from the widths
  const speed = Math.min(1, (run.lr / (1 - run.momentum)) / 0.01);
  const capacity = run.hidden.reduce((a, b) => a + Math.log(b), 0) / 12;
  const ceiling = 0.8 + 0.08 * Math.min(1, capacity) - (run.dropout > 0 ? 0 : 0.01);
  const out: EpochRecord[] = [];
  for (let e = 1; e <= epochs; e++) {
    const t = 1 - Math.exp(-(e * speed) / 6);
    const trainAccuracy = 0.1 + (ceiling + 0.06 * (run.dropout > 0 ? 0 : 1) - 0.1) * t + 0.003 * rng.normal();
    const overfit = run.dropout > 0 ? 0 : 0.0002 * Math.max(0, e - 20) * speed;
    const testAccuracy = 0.1 + (ceiling - 0.1) * t - overfit + 0.004 * rng.normal();
    out.push({
      epoch: e,
      trainLoss: 2.3 * (1 - t) + 0.25 * t + 0.01 * rng.normal(),
      trainAccuracy,
      testLoss: 2.3 * (1 - t) + 0.35 * t + overfit * 3 + 0.01 * rng.normal(),
      testAccuracy,
      seconds: 2 + run.hidden.reduce((a, b) => a + b, 0) / 100,
      samplesPerSecond: 20000,
      lr: run.lr,
    });
  }
  return out;
}

export function writeHistory(dir: string, history: EpochRecord[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'history.jsonl'), history.map((h) => JSON.stringify(h)).join('\n') + '\n');
}
