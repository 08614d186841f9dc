// The model bundle: one safetensors file with the model, its normalisation, class names and data
// set; read back by the library, by `eval`/`predict` with no config.json beside it, and by
// PyTorch's load_state_dict.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { HandgradError, Tensor } from '../../src/tensor.js';
import { loadModel, saveModel, sessionModelInfo, type ModelInfo } from '../../src/train/bundle.js';
import { loadModelFile, saveModelFile } from '../../src/train/bundle-file.js';
import { normalizeInto } from '../../src/train/loader.js';
import { evaluateModel } from '../../src/train/evaluate.js';
import { TrainingSession } from '../../src/train/loop.js';
import { loadSavedModel } from '../../src/train/saved-node.js';
import { blobs } from './helpers.js';
import { torchReady } from '../torch.js';
import { handgrad as runCli } from '../cli/in-process.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'hg-bundle-'));

async function trained(kind: 'mlp' | 'cnn'): Promise<TrainingSession> {
  const data = kind === 'cnn' ? blobs({ features: 16, sampleShape: [1, 4, 4] }) : blobs();
  const s = new TrainingSession({ model: kind === 'cnn' ? { kind: 'cnn' } : { kind: 'mlp', hidden: [6] }, lr: 0.05, epochs: 1, batchSize: 20, seed: 2, normalize: 'per-feature' }, data);
  await s.run();
  return s;
}

/** Logits of the test split's first `n` samples, normalised with `info`, through `model`. */
function logits(session: TrainingSession, n: number, forward: (x: Tensor) => Tensor, shape: number[]): number[][] {
  const features = session.data.test.x.length / session.data.test.n;
  const x = Tensor.zeros([n, ...shape]);
  for (let i = 0; i < n; i++) normalizeInto(session.data.test.x, i * features, features, session.normalization, x.data, i * features);
  const y = forward(x);
  const C = y.shape[1]!;
  return Array.from({ length: n }, (_, i) => Array.from(y.data.subarray(i * C, (i + 1) * C)));
}

function rewrite(bytes: Uint8Array, edit: (f: { tensors: Map<string, Tensor>; metadata: Record<string, string> }) => void): Uint8Array {
  const f = readSafetensors(bytes);
  edit(f);
  return writeSafetensors(f.tensors, f.metadata);
}

describe('saveModel / loadModel', () => {
  it.each([['mlp'], ['cnn']] as const)('round-trips a %s with everything it needs, bit for bit', async (kind) => {
    const s = await trained(kind);
    const bytes = saveModel(s.model, sessionModelInfo(s, '/some/dir'));
    const f = readSafetensors(bytes);
    expect([...f.tensors.keys()].sort()).toEqual(s.model.stateDict().map(([n]) => n).sort());
    expect(f.metadata.format).toBe('handgrad-model');
    const m = loadModel(bytes, 'x.safetensors');
    expect(m.model.training).toBe(false);
    expect(m.config).toEqual(s.model.config());
    expect(m.normalization).toEqual(s.normalization);
    expect(m.classes).toEqual(['c0', 'c1', 'c2']);
    expect(m.data).toEqual({ name: 'blobs', sampleShape: s.data.sampleShape, spec: 'mnist', dataDir: '/some/dir', trainSize: 200, testSize: 60 });
    expect(m.epoch).toBe(1);
    expect(m.training).toMatchObject({ lr: 0.05, batchSize: 20, seed: 2 });
    expect(m.inputShape).toEqual(kind === 'cnn' ? [1, 4, 4] : [8]);
    s.model.eval();
    expect(logits(s, 5, (x) => m.model.forward(x), m.inputShape)).toEqual(logits(s, 5, (x) => s.model.forward(x), s.inputShape));
    const a = evaluateModel(m.model, s.data.test, m.inputShape, m.normalization);
    expect(a.accuracy).toBe(s.evaluate().accuracy);
  });

  it('saveModelFile / loadModelFile: one call each in Node', async () => {
    const s = await trained('mlp');
    const path = join(tmp(), 'model.safetensors');
    await saveModelFile(path, s.model, sessionModelInfo(s));
    const m = await loadModelFile(path);
    expect(m.classes).toEqual(s.data.classes);
    expect(Array.from(m.model.stateDict()[0]![1].data)).toEqual(Array.from(s.model.stateDict()[0]![1].data));
    await expect(loadModelFile(join(tmp(), 'missing.safetensors'))).rejects.toThrow(/missing\.safetensors: no such file/);
    await expect(loadModelFile(tmp())).rejects.toThrow(/not a regular file/);
  });

  describe('every field is checked, and errors name the file', () => {
    let good: Uint8Array;
    beforeAll(async () => {
      const s = await trained('mlp');
      good = saveModel(s.model, sessionModelInfo(s));
    });
    const cases: [string, (f: { tensors: Map<string, Tensor>; metadata: Record<string, string> }) => void, RegExp][] = [
      ['no format (a plain safetensors file)', (f) => { delete f.metadata.format; }, /not a handgrad model bundle: its metadata has no "format"/],
      ['another format', (f) => { f.metadata.format = 'handgrad-checkpoint'; }, /its "format" is "handgrad-checkpoint", expected "handgrad-model"/],
      ['another version', (f) => { f.metadata.version = '2'; }, /bundle version "2", expected "1"/],
      ['model not JSON', (f) => { f.metadata.model = '{"type": '; }, /the "model" metadata is not valid JSON/],
      ['model not a layer config', (f) => { f.metadata.model = '[1]'; }, /"model" metadata must be a layer config/],
      ['no normalisation', (f) => { delete f.metadata.normalization; }, /the metadata has no "normalization"/],
      ['a mean that is not a number', (f) => { f.metadata.normalization = '{"mode":"global","mean":["abc"],"std":[1]}'; }, /"normalization" must be \{mode: none \| global \| per-feature/],
      ['a std of 0', (f) => { f.metadata.normalization = '{"mode":"global","mean":[0],"std":[0]}'; }, /"normalization": the normalisation must hold mean and std arrays of length 1 or 8 with std > 0/],
      ['a mean per feature of the wrong length', (f) => { f.metadata.normalization = '{"mode":"per-feature","mean":[0,0],"std":[1,1]}'; }, /length 1 or 8/],
      ['no classes', (f) => { f.metadata.classes = '[]'; }, /"classes" must be a non-empty list of class names/],
      ['classes that are not names', (f) => { f.metadata.classes = '[1, 2, 3]'; }, /"classes" must be a non-empty list/],
      ['fewer classes than outputs', (f) => { f.metadata.classes = '["a","b"]'; }, /maps a sample of shape \[8\] to an output of shape \[1, 3\], but the bundle names 2 classes/],
      ['a sample shape of 0', (f) => { f.metadata.data = '{"name":"x","sampleShape":[0]}'; }, /"data.sampleShape" must be 1 to 4 positive integers/],
      ['a huge sample shape', (f) => { f.metadata.data = '{"name":"x","sampleShape":[100000,100000]}'; }, /product ≤ 2\^24/],
      ['a bad epoch', (f) => { f.metadata.epoch = '-1'; }, /"epoch" must be a non-negative integer, got "-1"/],
      ['a missing tensor', (f) => { f.tensors.delete('2.bias'); }, /no tensor '2\.bias' for the model's entry of shape \[3\]/],
      ['a tensor of the wrong shape', (f) => { f.tensors.set('0.weight', Tensor.zeros([6, 9])); }, /tensor '0\.weight' has shape \[6, 9\], expected \[6, 8\]/],
      ['a tensor the model does not have', (f) => { f.tensors.set('4.weight', Tensor.zeros([1])); }, /tensor '4\.weight' matches nothing in the model's state dict/],
    ];
    it.each(cases)('%s', (_what, edit, message) => {
      const bad = rewrite(good, edit);
      expect(() => loadModel(bad, 'bad.safetensors')).toThrow(HandgradError);
      expect(() => loadModel(bad, 'bad.safetensors')).toThrow(/^bad\.safetensors: /);
      expect(() => loadModel(bad, 'bad.safetensors')).toThrow(message);
    });

    it('saveModel refuses an info it could not read back', async () => {
      const s = await trained('mlp');
      const info = sessionModelInfo(s);
      const bad = (patch: Partial<ModelInfo>): Uint8Array => saveModel(s.model, { ...info, ...patch });
      expect(() => bad({ classes: [] })).toThrow(/^saveModel: "classes" must be a non-empty list/);
      expect(() => bad({ data: { name: 'x', sampleShape: [2.5] } })).toThrow(/^saveModel: "data.sampleShape"/);
      expect(() => bad({ normalization: { mode: 'global', mean: [NaN], std: [1] } })).toThrow(/^saveModel: "normalization" must be/);
    });
  });
});

describe('the bundle in a run directory and alone', () => {
  // what the last command printed (test/cli/in-process.ts runs it and resets the exit code)
  let out: string[] = [];
  let err: string[] = [];
  async function handgrad(...args: string[]): Promise<number> {
    const r = await runCli(...args);
    out = r.out;
    err = r.err;
    return r.code;
  }

  it('train writes it; eval and predict read a run directory or the bundle alone (no config.json)', async () => {
    const dir = join(tmp(), 'run');
    expect(await handgrad('train', '--epochs', '1', '--hidden', '16', '--batch-size', '100', '--out', dir, '--quiet', '--backend', 'ref')).toBe(0);
    const saved = loadSavedModel(dir);
    expect(saved.file).toBe(join(dir, 'model.safetensors'));
    expect(saved.data).toMatchObject({ name: 'mnist', spec: 'mnist', sampleShape: [1, 28, 28], trainSize: 8000, testSize: 2000 });
    expect(saved.normalization.mode).toBe('global');
    expect(saved.epoch).toBe(1);
    const alone = join(tmp(), 'digits.safetensors');
    copyFileSync(join(dir, 'model.safetensors'), alone);
    expect(await handgrad('eval', '--model', dir, '--json', '--backend', 'ref')).toBe(0);
    const fromDir = JSON.parse(out[0]!) as { accuracy: number; loss: number };
    expect(await handgrad('eval', '--model', alone, '--json', '--backend', 'ref')).toBe(0);
    const fromFile = JSON.parse(out[0]!) as { accuracy: number; loss: number; samples: number };
    expect(fromFile.samples).toBe(2000);
    expect(fromFile.accuracy).toBe(fromDir.accuracy);
    expect(fromFile.loss).toBe(fromDir.loss);
    expect(await handgrad('predict', '--model', alone, '3', '--json')).toBe(0);
    expect((JSON.parse(out[0]!) as { top: unknown[] }).top).toHaveLength(3);
    // a safetensors file that is not a bundle: one line naming the flag and the file
    const plain = join(tmp(), 'plain.safetensors');
    writeFileSync(plain, writeSafetensors([['w', Tensor.zeros([2])]]));
    expect(await handgrad('eval', '--model', plain)).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^handgrad: --model: .*plain\.safetensors: not a handgrad model bundle/);
  });

  it.skipIf(!torchReady).each([['mlp'], ['cnn']] as const)('PyTorch fills the same network with load_state_dict(strict=True) and computes its logits (%s)', async (kind) => {
    const s = await trained(kind);
    const dir = tmp();
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, saveModel(s.model, sessionModelInfo(s)));
    const n = 6;
    const features = s.data.test.x.length / s.data.test.n;
    const samples = Array.from({ length: n }, (_, i) => Array.from(s.data.test.x.subarray(i * features, (i + 1) * features)));
    writeFileSync(join(dir, 'samples.json'), JSON.stringify(samples));
    const script = join(import.meta.dirname, '../../scripts/safetensors_fixture.py');
    const r = JSON.parse(execFileSync('/usr/bin/python3', [script, 'bundle', path, join(dir, 'samples.json')], { encoding: 'utf8' })) as { loader: string; classes: string[]; logits: number[][] };
    expect(r.classes).toEqual(s.data.classes);
    s.model.eval();
    const ours = logits(s, n, (x) => s.model.forward(x), s.inputShape);
    expect(r.logits).toHaveLength(n);
    r.logits.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - ours[i]![j]!)).toBeLessThan(1e-5)));
  });

  it('loadSavedModel names the path, never a flag', () => {
    expect(() => loadSavedModel(join(tmp(), 'nope'))).toThrow(/^no such run directory or file: .*nope$/);
    expect(() => loadSavedModel(tmp())).toThrow(/is not a handgrad run directory: .*model\.safetensors does not exist/);
  });
});
