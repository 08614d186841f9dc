// The training toolkit end to end: a learning-rate schedule, gradient clipping, BatchNorm in the
// model kinds, the validation split and early stopping. A run that overfits (random labels, a
// wide MLP, a high lr) stops early on the validation loss and keeps the best epoch's weights;
// a run with a schedule, BatchNorm, clipping and early-stopping counters resumed from a
// checkpoint is bit-identical to one that was never interrupted; a BatchNorm CNN checkpoint
// loads into PyTorch with load_state_dict(strict=True) and gives the same logits.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/types.js';
import type { Module } from '../../src/layers/module.js';
import { modelConfig, type TrainConfig } from '../../src/train/config.js';
import { TrainingSession, type EpochRecord, type TrainState } from '../../src/train/loop.js';
import { checkpointFromBytes, checkpointToBytes } from '../../src/train/checkpoint.js';
import { CHECKPOINT_FILE, readCheckpoint } from '../../src/train/checkpoint-node.js';
import { readHistory, runTraining } from '../../src/train/run-node.js';
import { Random } from '../../src/random.js';
import { blobs } from './helpers.js';
import { torchReady } from '../torch.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'hg-toolkit-'));
const stateOf = (m: Module): [string, number[]][] => m.stateDict().map(([n, t]) => [n, Array.from(t.data)]);
const withoutTimes = (h: EpochRecord[]): Omit<EpochRecord, 'seconds' | 'samplesPerSecond'>[] => h.map(({ seconds: _s, samplesPerSecond: _p, ...r }) => r);

/** Blobs whose training labels are shuffled at random: nothing to learn, everything to memorise. */
function randomLabels(): Dataset {
  const d = blobs({ classes: 4, features: 16, train: 300, test: 60, seed: 3 });
  const rng = new Random(99);
  for (let i = 0; i < d.train.n; i++) d.train.y[i] = Math.floor(rng.uniform() * 4);
  return d;
}

describe('the model kinds with batchNorm', () => {
  it('put a BatchNorm after every hidden Linear and convolution, before the activation', () => {
    const mlp = modelConfig({ kind: 'mlp', hidden: [32, 16], batchNorm: true }, [20], 3);
    expect(mlp.layers.map((l) => l.type)).toEqual(['Linear', 'BatchNorm1d', 'ReLU', 'Linear', 'BatchNorm1d', 'ReLU', 'Linear']);
    const cnn = modelConfig({ kind: 'cnn', batchNorm: true }, [1, 8, 8], 3);
    expect(cnn.layers.map((l) => l.type)).toEqual([
      'Conv2d', 'BatchNorm2d', 'ReLU', 'MaxPool2d', 'Conv2d', 'BatchNorm2d', 'ReLU', 'MaxPool2d', 'Flatten', 'Linear', 'BatchNorm1d', 'ReLU', 'Linear',
    ]);
    expect(modelConfig({ kind: 'cnn' }, [1, 8, 8], 3).layers.some((l) => l.type.startsWith('BatchNorm'))).toBe(false);
  });
});

describe('validation split and early stopping', () => {
  const overfit: Partial<TrainConfig> = {
    model: { kind: 'mlp', hidden: [256, 256] }, optimizer: 'adam', lr: 0.01, batchSize: 16, epochs: 40, val: 0.1, earlyStop: 3, seed: 5,
  };

  it('a run that overfits stops early and keeps the best epoch\'s weights', async () => {
    const data = randomLabels();
    const s = new TrainingSession(overfit, data);
    expect(s.valSplit!.n).toBe(30);
    expect(s.trainSplit.n).toBe(270);
    await s.run();
    const h = s.history;
    const losses = h.map((r) => r.valLoss!);
    const best = losses.indexOf(Math.min(...losses)) + 1;
    // stopped early: patience 3 after the best epoch, long before the 40 epochs
    expect(s.stoppedEarly).toBe(true);
    expect(s.epoch).toBe(best + 3);
    expect(s.epoch).toBeLessThan(40);
    expect(s.earlyStopping!.state.bestEpoch).toBe(best);
    // the later epochs overfit: their training loss fell while their validation loss did not
    expect(h[h.length - 1]!.trainLoss).toBeLessThan(h[best - 1]!.trainLoss);
    // the model holds the best epoch's weights: its validation and test metrics are that epoch's, exactly
    expect(s.evaluate({ split: 'val' })).toMatchObject({ loss: h[best - 1]!.valLoss, accuracy: h[best - 1]!.valAccuracy });
    expect(s.evaluate({ split: 'test' })).toMatchObject({ loss: h[best - 1]!.testLoss, accuracy: h[best - 1]!.testAccuracy });
    // running it again trains nothing more
    await s.run();
    expect(s.epoch).toBe(best + 3);
  });

  it('the checkpoint of a run that stopped early holds the best weights; resuming it trains nothing', async () => {
    const data = randomLabels();
    const dir = tmp();
    const first = await runTraining({ config: overfit as TrainConfig, data, outDir: dir });
    expect(first.session.stoppedEarly).toBe(true);
    const again = await runTraining({ config: overfit as TrainConfig, data, outDir: dir, resume: true });
    expect(again.alreadyComplete).toBe(true);
    expect(again.session.epoch).toBe(first.session.epoch);
    expect(stateOf(again.session.model)).toEqual(stateOf(first.session.model));
    const best = first.session.earlyStopping!.state.bestEpoch;
    expect(again.session.evaluate({ split: 'val' }).loss).toBe(first.session.history[best - 1]!.valLoss);
  });

  it('a checkpoint whose scheduler or early-stopping state is malformed is refused, naming the field', () => {
    const s = new TrainingSession({ ...overfit, lrSchedule: { type: 'exp', gamma: 0.9 } }, randomLabels());
    const bytes = (state: TrainState): Uint8Array => checkpointToBytes(state, s.model, s.earlyStopping!.bestTensors());
    const good = s.state();
    expect(checkpointFromBytes(bytes(good), 'cp').state.scheduler).toEqual(good.scheduler);
    expect(() => checkpointFromBytes(bytes({ ...good, scheduler: { type: 'exp', lastEpoch: 0.5, lr: 1, extra: {} } }), 'cp'))
      .toThrow(/^cp: "scheduler" must be null or \{type, lastEpoch, lr, extra\}$/);
    expect(() => checkpointFromBytes(bytes({ ...good, earlyStop: { bestLoss: 1, bestEpoch: 3, bad: 0, stopped: false } }), 'cp'))
      .toThrow(/^cp: "earlyStop" must be null or \{bestLoss, bestEpoch ≤ epoch, bad, stopped\}$/);
    expect(() => new TrainingSession({}, randomLabels(), { resume: { state: { ...good, scheduler: { type: 'step', lastEpoch: 1, lr: 1, extra: {} } }, weights: new Map(s.model.stateDict()) } }))
      .toThrow(/ExponentialLR.loadState: the saved state is for step, not ExponentialLR/);
  });

  it('the split is seeded and carved from the training data only', () => {
    const data = randomLabels();
    const a = new TrainingSession(overfit, data);
    const b = new TrainingSession(overfit, data);
    expect(Array.from(a.valSplit!.y)).toEqual(Array.from(b.valSplit!.y));
    expect(Array.from(a.valSplit!.x)).toEqual(Array.from(b.valSplit!.x));
    const c = new TrainingSession({ ...overfit, seed: 6 }, data);
    expect(Array.from(c.valSplit!.x)).not.toEqual(Array.from(a.valSplit!.x));
    expect(a.trainSplit.n + a.valSplit!.n).toBe(data.train.n);
    expect(a.data.test.n).toBe(data.test.n);
  });

  it('refuses early stopping without a validation split, naming the field', () => {
    expect(() => new TrainingSession({ earlyStop: 3 }, randomLabels())).toThrow(/earlyStop needs a validation split \(val > 0\)/);
    expect(() => new TrainingSession({ val: 1 }, randomLabels())).toThrow(/val must be a fraction in \[0, 1\)/);
  });
});

describe('resume with a schedule, BatchNorm, clipping and early stopping', () => {
  const images = (): Dataset => blobs({ classes: 3, features: 64, train: 120, test: 30, seed: 4, sampleShape: [1, 8, 8] });
  const configs: [string, Partial<TrainConfig>][] = [
    ['cnn, BatchNorm, onecycle (per step), clipping', {
      model: { kind: 'cnn', batchNorm: true }, lr: 0.05, batchSize: 16, epochs: 4, lrSchedule: { type: 'onecycle' }, clipGradNorm: 1, seed: 2,
    }],
    ['mlp, BatchNorm, plateau (per epoch) on a validation split, early stopping', {
      model: { kind: 'mlp', hidden: [32], batchNorm: true }, optimizer: 'adam', lr: 0.01, batchSize: 16, epochs: 4,
      lrSchedule: { type: 'plateau', patience: 0, factor: 0.5, threshold: 0.9 }, val: 0.2, earlyStop: 10, seed: 2,
    }],
  ];
  for (const [name, config] of configs) {
    it(`${name}: bit-identical to an uninterrupted run`, async () => {
      const data = images();
      const full = await runTraining({ config: config as TrainConfig, data, outDir: tmp() });
      const dir = tmp();
      await runTraining({ config: config as TrainConfig, data, outDir: dir, stopAfterEpoch: 2 });
      const cp = readCheckpoint(dir);
      expect(cp.state.scheduler?.lastEpoch).toBeGreaterThan(0);
      if (config.earlyStop) expect(cp.best.size).toBe(full.session.model.stateDict().length);
      const resumed = await runTraining({ config: config as TrainConfig, data, outDir: dir, resume: true });
      expect(resumed.resumedFrom).toBe(2);
      expect(stateOf(resumed.session.model)).toEqual(stateOf(full.session.model));
      expect(resumed.session.optimizer.state()).toEqual(full.session.optimizer.state());
      expect(resumed.session.scheduler!.state()).toEqual(full.session.scheduler!.state());
      expect(withoutTimes(resumed.session.history)).toEqual(withoutTimes(full.session.history));
      // the lr of each epoch is in the history, and it changed
      const lrs = readHistory(join(dir, 'history.jsonl')).map((r) => r.lr);
      expect(new Set(lrs).size).toBeGreaterThan(1);
      if (config.val) expect(readHistory(join(dir, 'history.jsonl')).every((r) => r.valLoss !== undefined)).toBe(true);
    });
  }

  it.skipIf(!torchReady)('a BatchNorm CNN checkpoint loads into PyTorch with load_state_dict(strict=True) and gives the same logits', async () => {
    const data = images();
    const dir = tmp();
    const config = configs[0]![1] as TrainConfig;
    const { session } = await runTraining({ config: { ...config, epochs: 2 }, data, outDir: dir });
    const n = 5;
    const samples = Array.from({ length: n }, (_, i) => Array.from(data.test.x.subarray(i * 64, (i + 1) * 64)));
    writeFileSync(join(dir, 'samples.json'), JSON.stringify(samples));
    const script = join(import.meta.dirname, '../../scripts/safetensors_fixture.py');
    const r = JSON.parse(execFileSync('/usr/bin/python3', [script, 'checkpoint', join(dir, CHECKPOINT_FILE), join(dir, 'samples.json')], { encoding: 'utf8' })) as { logits: number[][] };
    session.model.eval();
    const { BatchLoader } = await import('../../src/train/loader.js');
    const loader = new BatchLoader({ x: data.test.x.slice(0, n * 64), y: data.test.y.slice(0, n), n }, session.inputShape, { batchSize: n, normalization: session.normalization });
    loader.startEpoch();
    const ours = session.model.forward(loader.batch(0).x).data;
    expect(r.logits).toHaveLength(n);
    r.logits.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - ours[i * row.length + j]!)).toBeLessThan(1e-4)));
  });
});
