import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Module } from '../../src/layers/module.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { buildModel, modelConfig, type TrainConfig } from '../../src/train/config.js';
import { TrainingDivergedError, TrainingSession, train, type EpochRecord, type StepRecord } from '../../src/train/loop.js';
import { runTraining } from '../../src/train/run-node.js';
import { CHECKPOINT_FILE, PREVIOUS_CHECKPOINT_FILE, readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint-node.js';
import { blobs, mnistSlice } from './helpers.js';

const weightsOf = (m: Module): number[][] => m.parameters().map((p) => Array.from(p.value.data));
const tmp = (): string => mkdtempSync(join(tmpdir(), 'hg-train-'));

const small: Partial<TrainConfig> = {
  model: { kind: 'mlp', hidden: [16] }, lr: 0.05, momentum: 0.9, batchSize: 16, epochs: 4, seed: 5, dropout: 0.2, dropoutMode: 'inverted',
};

describe('train()', () => {
  it('learns the blobs and emits one record per step and per epoch', async () => {
    const data = blobs();
    const steps: StepRecord[] = [];
    const epochs: EpochRecord[] = [];
    const s = await train({ ...small, epochs: 3 }, data, { onStep: (r) => steps.push(r), onEpoch: (r) => { epochs.push(r); } });
    expect(epochs.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(steps).toHaveLength(3 * Math.ceil(200 / 16));
    expect(steps.at(-1)!.step).toBe(steps.length);
    const last = epochs.at(-1)!;
    for (const k of ['trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'seconds', 'samplesPerSecond', 'lr'] as const) expect(Number.isFinite(last[k])).toBe(true);
    expect(last.testAccuracy).toBeGreaterThan(0.9);
    expect(epochs[2]!.trainLoss).toBeLessThan(epochs[0]!.trainLoss);
    // mean of the minibatch losses of the epoch
    const e3 = steps.filter((r) => r.epoch === 3);
    expect(last.trainLoss).toBeCloseTo(e3.reduce((a, r) => a + r.loss, 0) / e3.length, 10);
    expect(s.history).toEqual(epochs);
  });

  it('the same seed gives identical weights; another seed does not', async () => {
    const data = blobs();
    const a = await train(small, data);
    const b = await train(small, data);
    const c = await train({ ...small, seed: 6 }, data);
    expect(weightsOf(b.model)).toEqual(weightsOf(a.model));
    expect(b.history.map((r) => r.testLoss)).toEqual(a.history.map((r) => r.testLoss));
    expect(weightsOf(c.model)).not.toEqual(weightsOf(a.model));
  });

  it('builds the named models through the registry (cnn flattened size from the sample shape)', () => {
    const cnn = modelConfig({ kind: 'cnn' }, [1, 28, 28], 10);
    const layers = cnn.layers as { type: string; inFeatures?: number }[];
    expect(layers.map((l) => l.type)).toEqual(['Conv2d', 'ReLU', 'MaxPool2d', 'Conv2d', 'ReLU', 'MaxPool2d', 'Flatten', 'Linear', 'ReLU', 'Linear']);
    expect(layers[7]!.inFeatures).toBe(16 * 7 * 7);
    expect((modelConfig({ kind: 'cnn' }, [1, 12, 10], 3).layers as { inFeatures?: number }[])[7]!.inFeatures).toBe(16 * 3 * 2);
    const two = buildModel({ kind: 'two-layer-mlp' }, [784], 10, { dropout: 0.2, dropoutMode: 'cmu' });
    expect(two.namedParameters().map(([n, p]) => `${n}:${p.value.shape.join('x')}`)).toEqual(['0.weight:60x784', '0.bias:60', '3.weight:60x60', '3.bias:60', '6.weight:10x60', '6.bias:10']);
    expect(two.config()).toEqual({ type: 'Sequential', layers: [
      { type: 'Linear', inFeatures: 784, outFeatures: 60, bias: true, init: 'pytorch' }, { type: 'ReLU', scale: 1 }, { type: 'Dropout', p: 0.2, mode: 'cmu' },
      { type: 'Linear', inFeatures: 60, outFeatures: 60, bias: true, init: 'pytorch' }, { type: 'ReLU', scale: 1 }, { type: 'Dropout', p: 0.2, mode: 'cmu' },
      { type: 'Linear', inFeatures: 60, outFeatures: 10, bias: true, init: 'pytorch' },
    ] });
    expect(() => buildModel({ kind: 'cnn' }, [5], 3)).toThrow(/cnn needs image samples/);
  });

  it('trains the cnn on MNIST digits', async () => {
    const data = mnistSlice(20, 10);
    const s = await train({ model: { kind: 'cnn' }, lr: 0.05, momentum: 0.9, batchSize: 20, epochs: 2, seed: 1 }, data);
    expect(s.history[1]!.trainLoss).toBeLessThan(s.history[0]!.trainLoss);
    expect(s.history[1]!.testAccuracy).toBeGreaterThan(0.3);
  });
});

describe('checkpoints and resume', () => {
  it('stopping after epoch 2 of 4 and resuming ends with bit-identical weights (dropout, momentum, shuffling)', async () => {
    const data = blobs();
    const full = await runTraining({ config: small as TrainConfig, data, outDir: tmp() });
    const dir = tmp();
    const first = await runTraining({ config: small as TrainConfig, data, outDir: dir, stopAfterEpoch: 2 });
    expect(first.session.epoch).toBe(2);
    expect(readCheckpoint(dir).state.epoch).toBe(2);
    const second = await runTraining({ config: small as TrainConfig, data, outDir: dir, resume: true });
    expect(second.resumedFrom).toBe(2);
    expect(second.session.epoch).toBe(4);
    expect(weightsOf(second.session.model)).toEqual(weightsOf(full.session.model));
    const strip = (h: EpochRecord[]): unknown[] => h.map(({ seconds, samplesPerSecond, ...r }) => r);
    expect(strip(second.session.history)).toEqual(strip(full.session.history));
    // the files on disk agree with the model in memory
    const saved = readSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
    expect(saved.metadata.epoch).toBe('4');
    expect(Array.from(saved.tensors.get('0.weight')!.data)).toEqual(weightsOf(full.session.model)[0]);
    const lines = readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochRecord);
    expect(lines.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    expect(readFileSync(join(dir, 'history.csv'), 'utf8').split('\n')[0]).toBe('epoch,trainLoss,trainAccuracy,testLoss,testAccuracy,seconds,samplesPerSecond,lr');
    // resuming a finished run trains nothing
    const third = await runTraining({ config: small as TrainConfig, data, outDir: dir, resume: true });
    expect(third.alreadyComplete).toBe(true);
    expect(weightsOf(third.session.model)).toEqual(weightsOf(full.session.model));
  });

  it('a NaN/Inf loss stops the run with advice and keeps the last good checkpoint', async () => {
    const data = blobs();
    const dir = tmp();
    await runTraining({ config: { ...small, epochs: 1 } as TrainConfig, data, outDir: dir });
    const before = readSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
    // a fresh run with lr 1e6 in another directory diverges in its first epoch…
    const bad = tmp();
    const err = await runTraining({ config: { ...small, lr: 1e6, epochs: 3 } as TrainConfig, data, outDir: bad }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    // the library says what happened and carries a smaller learning rate; naming a flag is the CLI's part
    const diverged = err as TrainingDivergedError;
    expect(diverged.message).toMatch(/loss became (NaN|Infinity) .*with learning rate 1000000; a smaller one may train, e\.g\. 100000/);
    expect(diverged.message).not.toContain('--');
    expect(diverged.code).toBe('training-diverged');
    expect(diverged.suggestedLr).toBe(100000);
    expect(diverged.subject).toMatchObject({ lr: 1e6, suggestedLr: 100000 });
    // …and leaves the epoch-0 checkpoint (finite initial weights) as the last good one
    const cp = readCheckpoint(bad);
    expect(cp.state.epoch).toBe(0);
    const w = readSafetensors(new Uint8Array(readFileSync(join(bad, 'model.safetensors'))));
    for (const t of w.tensors.values()) expect(Array.from(t.data).every(Number.isFinite)).toBe(true);
    // a good run continued with a huge lr keeps its epoch-1 checkpoint untouched
    const good = readCheckpoint(dir);
    const raised: TrainConfig = { ...good.state.config, lr: 1e6, epochs: 3 };
    writeCheckpoint(dir, new TrainingSession({}, data, { resume: { state: { ...good.state, config: raised }, weights: good.weights } }));
    const err2 = await runTraining({ config: raised, data, outDir: dir, resume: true }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(TrainingDivergedError);
    const after = readSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
    expect(after.metadata.epoch).toBe('1');
    for (const [name, t] of before.tensors) expect(Array.from(after.tensors.get(name)!.data)).toEqual(Array.from(t.data));
    const kept = readCheckpoint(dir);
    expect(kept.state.epoch).toBe(1);
    expect(kept.state.config.lr).toBe(1e6);
    for (const [name, t] of good.weights) expect(Array.from(kept.weights.get(name)!.data)).toEqual(Array.from(t.data));
  });

  it('falls back to the previous checkpoint when the current one is missing or damaged, and says so', async () => {
    const data = blobs();
    const full = await runTraining({ config: { ...small, epochs: 3 } as TrainConfig, data, outDir: tmp() });
    const dir = tmp();
    await runTraining({ config: { ...small, epochs: 3 } as TrainConfig, data, outDir: dir, stopAfterEpoch: 2 });
    expect(readCheckpoint(dir).state.epoch).toBe(2);
    expect(readCheckpoint(dir).fellBack).toBeNull();
    // as if the run died between its two renames: only the previous checkpoint (epoch 1) is left
    rmSync(join(dir, CHECKPOINT_FILE));
    const back = readCheckpoint(dir);
    expect(back.state.epoch).toBe(1);
    expect(back.file).toBe(join(dir, PREVIOUS_CHECKPOINT_FILE));
    expect(back.fellBack).toMatch(/checkpoint\.safetensors does not exist: the run stopped while replacing its checkpoint/);
    const resumed = await runTraining({ config: { ...small, epochs: 3 } as TrainConfig, data, outDir: dir, resume: true });
    expect(resumed.resumedFrom).toBe(1);
    expect(resumed.fellBack).toMatch(/does not exist/);
    expect(weightsOf(resumed.session.model)).toEqual(weightsOf(full.session.model));
    // the history written by epoch 2 was rewritten from the epoch-1 checkpoint, then extended
    expect(readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    // a damaged current checkpoint (one flipped byte in its header) falls back too
    const bytes = readFileSync(join(dir, CHECKPOINT_FILE));
    bytes[8] = 0x5b;
    writeFileSync(join(dir, CHECKPOINT_FILE), bytes);
    expect(readCheckpoint(dir).state.epoch).toBe(2);
    expect(readCheckpoint(dir).fellBack).toMatch(/checkpoint\.safetensors: byte 8: /);
    // both unreadable: a refusal naming both files and the way out
    renameSync(join(dir, CHECKPOINT_FILE), join(dir, PREVIOUS_CHECKPOINT_FILE));
    await expect(runTraining({ config: { ...small, epochs: 4 } as TrainConfig, data, outDir: dir, resume: true }))
      .rejects.toThrow(/holds no readable checkpoint \(.*checkpoint\.safetensors does not exist; .*checkpoint\.previous\.safetensors: byte 8: .*\); remove checkpoint\.safetensors and checkpoint\.previous\.safetensors/);
    expect(existsSync(join(dir, 'config.json'))).toBe(true);
    // a run directory of the old layout (checkpoint.json) is recognised and refused, never overwritten
    const old = tmp();
    writeFileSync(join(old, 'checkpoint.json'), '{"version": 1, "epoch": 3}');
    await expect(runTraining({ config: small as TrainConfig, data, outDir: old, resume: true }))
      .rejects.toThrow(/holds a checkpoint of the old layout \(checkpoint\.json beside the weights\), which this version cannot resume/);
    expect(readFileSync(join(old, 'checkpoint.json'), 'utf8')).toBe('{"version": 1, "epoch": 3}');
  });

  it('a checkpoint whose state holds a config or model config outside the schemas is refused by its file name', async () => {
    const data = blobs();
    const dir = tmp();
    await runTraining({ config: { ...small, epochs: 2 } as TrainConfig, data, outDir: dir });
    const path = join(dir, CHECKPOINT_FILE);
    const good = readSafetensors(new Uint8Array(readFileSync(path)));
    const cases: [(st: { config: { lr: unknown; model: { hidden: unknown } }; model: { type: unknown } }) => void, RegExp][] = [
      [(st) => { st.config.model.hidden = [1e9]; }, /checkpoint\.safetensors: train config: model\.hidden must be a list/],
      [(st) => { st.config.lr = 'abc'; }, /checkpoint\.safetensors: train config: lr must be a number > 0, got "abc"/],
      [(st) => { st.model.type = '__proto__'; }, /checkpoint\.safetensors: "model": .*'__proto__', not a layer type/],
    ];
    for (const [damage, message] of cases) {
      const st = JSON.parse(good.metadata.state!);
      damage(st);
      writeFileSync(path, writeSafetensors(good.tensors, { ...good.metadata, state: JSON.stringify(st) }));
      // the previous checkpoint (epoch 1) is read instead, and the reason names the damaged file
      const back = readCheckpoint(dir);
      expect(back.state.epoch).toBe(1);
      expect(back.fellBack).toMatch(message);
    }
  });

  it.each([['sgd'], ['adam']] as const)('a session rebuilt from a checkpoint state (%s) continues exactly', async (optimizer) => {
    const data = blobs();
    // (momentum is SGD's: Adam refuses it)
    const { momentum, ...rest } = small;
    const a = new TrainingSession(optimizer === 'adam' ? { ...rest, optimizer, lr: 0.01 } : { ...rest, momentum, optimizer }, data);
    await a.run({ stopAfterEpoch: 1 });
    const weights = new Map(a.model.namedParameters().map(([n, p]) => [n, p.value.clone()]));
    const b = new TrainingSession({}, data, { resume: { state: JSON.parse(JSON.stringify(a.state())), weights } });
    await a.run();
    await b.run();
    expect(weightsOf(b.model)).toEqual(weightsOf(a.model));
  });
});
