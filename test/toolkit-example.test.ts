// examples/toolkit.mjs (the README's toolkit snippet: BatchNorm, OneCycleLR, clipGradNorm,
// summary) runs against the built package and trains: the loss falls, the gradient norm is
// clipped from above 1, the lr follows the one-cycle schedule, and the summary is printed.

import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

it('examples/toolkit.mjs trains a BatchNorm CNN with a schedule and clipping and prints its summary', () => {
  const r = spawnSync(process.execPath, ['examples/toolkit.mjs'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const steps = [...r.stdout.matchAll(/^step (\d+) +loss ([\d.]+) +grad norm ([\d.]+) +next lr ([\d.e+-]+)$/gm)].map((m) => m.slice(1).map(Number));
  expect(steps.map((s) => s[0])).toEqual([1, 20, 40, 60]);
  const [first, , , last] = steps as [number[], number[], number[], number[]];
  expect(first[2]).toBeGreaterThan(1);
  expect(last[1]).toBeLessThan(first[1]! / 10);
  // one cycle: up from maxLr/25 towards maxLr, then down far below it
  expect(first[3]).toBeLessThan(0.01);
  expect(steps[1]![3]).toBeGreaterThan(0.05);
  expect(last[3]).toBeLessThan(0.001);
  expect(r.stdout).toMatch(/^1 +BatchNorm2d\(8.*\[B, 8, 28, 28\] +16$/m);
  expect(r.stdout).toMatch(/^6,372 parameters/m);
});
