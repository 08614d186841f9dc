// The step-level face of TrainingSession (step, runFor, evaluate with a confusion matrix,
// progressRecord, setLearningRate, starting from a trained model): the same training as run(),
// step for step, so a worker that drives it in time slices trains exactly what the command line
// trains.

import { describe, expect, it } from 'vitest';
import { dream } from '../../src/dream/dream.js';
import { HandgradError } from '../../src/errors.js';
import type { Module } from '../../src/layers/module.js';
import { Sequential } from '../../src/layers/sequential.js';
import type { TrainConfig } from '../../src/train/config.js';
import { evaluateModel } from '../../src/train/evaluate.js';
import { TrainingDivergedError, TrainingSession, type EpochRecord, type StepRecord } from '../../src/train/loop.js';
import { blobs } from './helpers.js';

const weightsOf = (m: Module): number[][] => m.parameters().map((p) => Array.from(p.value.data));
/** A record without its timings (which differ from run to run). */
const untimed = ({ seconds: _s, samplesPerSecond: _p, ...r }: EpochRecord | StepRecord): Record<string, unknown> => r;

const config: Partial<TrainConfig> = {
  model: { kind: 'mlp', hidden: [16] }, lr: 0.05, momentum: 0.9, batchSize: 16, epochs: 3, seed: 5, dropout: 0.2, dropoutMode: 'inverted',
};

describe('TrainingSession, one step at a time', () => {
  it('step() and runFor() train exactly what run() trains: the same weights, steps and epochs', async () => {
    const data = blobs();
    const viaRun = new TrainingSession(config, data);
    const runSteps: StepRecord[] = [];
    await viaRun.run({ onStep: (r) => runSteps.push(r) });

    const viaStep = new TrainingSession(config, data);
    expect(viaStep.batches).toBe(Math.ceil(200 / 16));
    const steps: StepRecord[] = [];
    while (viaStep.epoch < 3) steps.push(viaStep.step());
    expect(steps.map(untimed)).toEqual(runSteps.map(untimed));
    expect(weightsOf(viaStep.model)).toEqual(weightsOf(viaRun.model));
    expect(viaStep.history.map(untimed)).toEqual(viaRun.history.map(untimed));

    // runFor(0) takes one step per call; a long slice stops at the epoch's end
    const viaSlices = new TrainingSession(config, data);
    const first = viaSlices.runFor(0);
    expect(first.steps).toBe(1);
    expect(first.epoch).toBeNull();
    const rest = viaSlices.runFor(60_000);
    expect(rest.steps).toBe(viaSlices.batches - 1);
    expect(rest.last.batch).toBe(viaSlices.batches - 1);
    expect(rest.epoch).toBe(viaSlices.history[0]);
    expect(viaSlices.epoch).toBe(1);
    while (viaSlices.epoch < 3) viaSlices.runFor(60_000);
    expect(weightsOf(viaSlices.model)).toEqual(weightsOf(viaRun.model));
    expect(viaSlices.history.map(untimed)).toEqual(viaRun.history.map(untimed));
  });

  it('an epoch ends inside the step of its last batch, and progress counts the batches', () => {
    const s = new TrainingSession(config, blobs());
    expect(s.progress).toBe(0);
    for (let b = 0; b < 3; b++) s.step();
    expect(s.progress).toBeCloseTo(3 / s.batches, 12);
    while (s.epoch === 0) s.step();
    expect(s.progress).toBe(1);
    expect(s.history).toHaveLength(1);
    const e = s.history[0]!;
    expect(e.epoch).toBe(1);
    // the epoch's test metrics are a full test pass of the model as the epoch left it
    const t = s.evaluate();
    expect(t.loss).toBe(e.testLoss);
    expect(t.accuracy).toBe(e.testAccuracy);
    expect(e.seconds).toBeGreaterThan(0);
  });

  it('evaluate({ confusion: true }) counts every test sample once, true class by row', () => {
    const data = blobs({ classes: 4, test: 80 });
    const s = new TrainingSession(config, data);
    for (let i = 0; i < 20; i++) s.step();
    const r = s.evaluate({ confusion: true });
    const K = data.classes.length;
    const m = r.confusion!;
    expect(m).toHaveLength(K * K);
    expect(r.n).toBe(80);
    expect(m.reduce((a, b) => a + b, 0)).toBe(80);
    let diagonal = 0;
    for (let k = 0; k < K; k++) {
      diagonal += m[k * K + k]!;
      const row = Array.from(m.subarray(k * K, (k + 1) * K)).reduce((a, b) => a + b, 0);
      expect(row, `class ${k}`).toBe(Array.from(data.test.y).filter((y) => y === k).length);
    }
    expect(diagonal / 80).toBe(r.accuracy);
    expect(s.evaluate().confusion).toBeUndefined();
    // the training split on request
    expect(s.evaluate({ split: 'train' }).n).toBe(200);
  });

  it('evaluate({ samples }) scores the split\'s first samples, as a data set of only those would', () => {
    const data = blobs({ classes: 4, test: 80 });
    const s = new TrainingSession(config, data);
    for (let i = 0; i < 20; i++) s.step();
    const r = s.evaluate({ confusion: true, samples: 30 });
    expect(r.n).toBe(30);
    expect(r.confusion!.reduce((a, b) => a + b, 0)).toBe(30);
    const F = data.test.x.length / data.test.n;
    const first = evaluateModel(s.model, { x: data.test.x.slice(0, 30 * F), y: data.test.y.slice(0, 30), n: 30 }, s.inputShape, s.normalization);
    expect(r.loss).toBeCloseTo(first.loss, 6);
    expect(r.accuracy).toBe(first.accuracy);
    // the kept loader serves the next call; as many samples as the split holds, or more, is the full pass
    expect(s.evaluate({ samples: 30 })).toEqual({ loss: r.loss, accuracy: r.accuracy, n: 30 });
    expect(s.evaluate({ samples: 80 })).toEqual(s.evaluate());
    expect(s.evaluate({ samples: 500 })).toEqual(s.evaluate());
    expect(() => s.evaluate({ samples: 0 })).toThrow(/whole number ≥ 1, got 0/);
    expect(() => s.evaluate({ samples: 2.5 })).toThrow(/whole number ≥ 1, got 2.5/);
  });

  it('progressRecord(): the epoch in progress as a record with a fractional epoch', () => {
    const s = new TrainingSession(config, blobs());
    const fresh = s.progressRecord(s.evaluate());
    expect(fresh.epoch).toBe(0);
    expect(fresh.trainLoss).toBeNaN();
    const steps: StepRecord[] = [];
    for (let b = 0; b < 5; b++) steps.push(s.step());
    const test = s.evaluate();
    const r = s.progressRecord(test);
    expect(r.epoch).toBeCloseTo(5 / s.batches, 12);
    expect(r.trainLoss).toBeCloseTo(steps.reduce((a, x) => a + x.loss, 0) / 5, 12);
    expect(r.trainLoss).toBe(steps[4]!.epochLoss);
    expect(r.trainAccuracy).toBe(steps[4]!.epochAccuracy);
    expect([r.testLoss, r.testAccuracy]).toEqual([test.loss, test.accuracy]);
    while (s.epoch === 0) s.step();
    // between epochs: the record of the epoch that just ended
    expect(s.progressRecord(s.evaluate())).toEqual(s.history[0]);
  });

  it('setLearningRate() applies from the next step, is recorded, and refuses what a config refuses', () => {
    const s = new TrainingSession(config, blobs());
    s.step();
    s.setLearningRate(0.01);
    expect(s.optimizer.lr).toBe(0.01);
    expect(s.config.lr).toBe(0.01);
    expect(s.step().lr).toBe(0.01);
    expect(s.state().config.lr).toBe(0.01);
    const bad = ((): unknown => { try { s.setLearningRate(-1); } catch (e) { return e; } return null; })();
    expect(bad).toBeInstanceOf(HandgradError);
    expect((bad as HandgradError).code).toBe('invalid-option');
    expect((bad as HandgradError).subject.option).toBe('lr');
    expect(s.optimizer.lr).toBe(0.01);
  });

  it('a session started from a trained model scores as that model and trains on from it', () => {
    const data = blobs();
    const trained = new TrainingSession({ ...config, normalize: 'per-feature' }, data);
    for (let i = 0; i < 30; i++) trained.step();
    const from = { config: trained.model.config(), weights: new Map(trained.model.stateDict()), normalization: trained.normalization };
    const next = new TrainingSession({ ...config, seed: 9 }, data, { from });
    expect(next.normalization).toEqual(trained.normalization);
    expect(next.evaluate()).toEqual(trained.evaluate());
    expect(next.epoch).toBe(0);
    expect(next.step().step).toBe(1);
    // the model must take the data's samples
    const narrow = blobs({ features: 5 });
    expect(() => new TrainingSession(config, narrow, { from })).toThrow(/starting model: the model's first layer takes 8 input features, but the data's samples of shape \[5\] have 5/);
  });

  it('a diverging step throws before it changes a weight', () => {
    const s = new TrainingSession({ ...config, lr: 1e6, dropout: 0 }, blobs());
    let error: unknown = null;
    let before = weightsOf(s.model);
    for (let i = 0; i < 200 && error === null; i++) {
      before = weightsOf(s.model);
      try {
        s.step();
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect(weightsOf(s.model)).toEqual(before);
  });

  it("a dream of the session's model passes the gradient back to the image, and the first layer skips it again afterwards", () => {
    const data = blobs({ features: 16, sampleShape: [1, 4, 4] });
    const s = new TrainingSession({ ...config, dropout: 0 }, data);
    while (s.epoch < 3) s.step();
    const first = s.model.children()[0]![1];
    expect(first.computeInputGradient).toBe(false);
    const net = s.model;
    if (!(net instanceof Sequential)) throw new Error('expected a Sequential');
    const start = dream({ net, inputShape: [1, 4, 4], networkInputShape: [1, 16] }, { objective: { kind: 'logit', class: 1 }, steps: 1, seed: 0, plain: true, jitter: 0 });
    const r = dream({ net, inputShape: [1, 4, 4], networkInputShape: [1, 16] }, { objective: { kind: 'logit', class: 1 }, steps: 60, seed: 0, plain: true, jitter: 0 });
    expect(r.probability).toBeGreaterThan(0.9);
    expect(r.probability).toBeGreaterThan(start.probability ?? 1);
    expect(first.computeInputGradient).toBe(false);
  });
});
