// The training toolkit's flags through the CLI (in-process, from the source, on the embedded
// MNIST): --lr-schedule, --clip-grad-norm, --val, --early-stop and --batch-norm reach the run's
// config, the lr of each epoch and the validation metrics reach its history, a resumed run's
// typed flags must agree with its checkpoint, bad values are one-line errors naming the flag,
// and `handgrad summary` prints the saved model layer by layer.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handgrad } from '../cli/in-process.js';


describe('train with a schedule, clipping, a validation split and BatchNorm', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'hg-toolkit-cli-')), 'run');
  const flags = ['--model', 'mlp', '--hidden', '16', '--batch-norm', '--lr-schedule', 'step:1:0.5', '--clip-grad-norm', '1', '--val', '0.1', '--early-stop', '5', '--backend', 'ref'];

  it('records the schedule in the config and the lr and validation metrics of each epoch in the history', async () => {
    const r = await handgrad('train', ...flags, '--epochs', '2', '--out', dir, '--no-progress');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.some((l) => /^model: 4 layers, 12,762 parameters/.test(l))).toBe(true);
    expect(r.out.some((l) => /val loss \d\.\d{4} acc .*lr 0\.005/.test(l))).toBe(true);
    const config = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { config: Record<string, unknown> }).config;
    expect(config).toMatchObject({ lrSchedule: { type: 'step', stepSize: 1, gamma: 0.5 }, clipGradNorm: 1, val: 0.1, earlyStop: 5, model: { kind: 'mlp', batchNorm: true } });
    const csv = readFileSync(join(dir, 'history.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('epoch,trainLoss,trainAccuracy,testLoss,testAccuracy,seconds,samplesPerSecond,lr,valLoss,valAccuracy');
    expect(csv.slice(1).map((l) => l.split(',')[7])).toEqual(['0.01', '0.005']);
  });

  it('refuses a resume whose typed --lr-schedule differs from the run\'s', async () => {
    const r = await handgrad('train', '--lr-schedule', 'cosine', '--epochs', '3', '--out', dir, '--resume');
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^handgrad: --resume: --lr-schedule cosine differs from the run's/);
  });

  it('prints the saved model layer by layer', async () => {
    const r = await handgrad('summary', '--model', dir, '--batch-size', '10');
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    expect(text).toMatch(/^1 +BatchNorm1d\(16.*\[B, 16\] +32$/m);
    expect(text).toMatch(/parameters \(.* with gradients and 33 buffer values, float32\); activations .* for a batch of 10$/m);
  });
});

describe('bad values are one-line errors naming the flag', () => {
  const cases: [string[], RegExp][] = [
    [['--lr-schedule', 'linear'], /^handgrad: --lr-schedule must start with one of step, multistep, exp, cosine, onecycle, plateau, warmup, got 'linear'$/],
    [['--lr-schedule', 'step:0'], /^handgrad: --lr-schedule: .*stepSize must be an integer ≥ 1, got 0$/],
    [['--lr-schedule', 'plateau:x'], /^handgrad: --lr-schedule plateau: patience must be an integer, got 'x'/],
    [['--clip-grad-norm', '0'], /^handgrad: --clip-grad-norm must be /],
    [['--val', '1'], /^handgrad: --val must be /],
    [['--early-stop', '3'], /^handgrad: --early-stop needs a validation split/],
    [['--early-stop', '0', '--val', '0.1'], /^handgrad: --early-stop must be /],
  ];
  for (const [args, re] of cases) {
    it(args.join(' '), async () => {
      const r = await handgrad('train', ...args, '--out', join(mkdtempSync(join(tmpdir(), 'hg-toolkit-cli-')), 'run'));
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(re);
    });
  }
});
