// `handgrad gradcheck` end to end: the real command, built by `npm test` into dist/.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LAYER_CASES, runLayerGradchecks, runLossGradchecks } from '../../src/check/suite.js';

describe('gradcheck suite', () => {
  it('covers every layer type and loss, and every case passes', () => {
    const results = [...runLayerGradchecks(1), ...runLossGradchecks(1)];
    const failing = results.filter((r) => !r.passed).map((r) => r.layer);
    expect(failing).toEqual([]);
    const names = LAYER_CASES.map((c) => c.name).join(' ');
    for (const t of [
      'Linear', 'ReLU', 'LeakyReLU', 'Sigmoid', 'Tanh', 'GELU', 'Softplus', 'ELU', 'Identity', 'Dropout', 'Flatten', 'Conv2d', 'MaxPool2d', 'Sequential',
      'AvgPool2d', 'BatchNorm1d', 'BatchNorm2d', 'LayerNorm', 'Softmax', 'LogSoftmax', 'Embedding',
    ]) {
      expect(names).toContain(t);
    }
    const losses = results.map((r) => r.layer).join(' ');
    for (const t of ['MSELoss', 'BCELoss', 'BCEWithLogitsLoss', 'CrossEntropyLoss', 'NLLLoss']) expect(losses).toContain(t);
  });

  it('the command prints the table and exits 0', () => {
    const r = spawnSync(process.execPath, ['bin/handgrad.js', 'gradcheck'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/layer\s+tensor\s+max rel\. error\s+result/);
    expect(r.stdout).toMatch(/Conv2d.*weight.*pass/);
    for (const row of [/BatchNorm2d \(train\).*input.*pass/, /BatchNorm1d \(train\).*weight.*pass/, /LayerNorm.*bias.*pass/, /LogSoftmax.*input.*pass/,
      /AvgPool2d.*input.*pass/, /Embedding.*weight.*pass/, /NLLLoss.*prediction.*pass/]) expect(r.stdout).toMatch(row);
    expect(r.stdout).toMatch(/^ELU\s+input\s+\S+\s+pass/m);
    const n = runLayerGradchecks().length + runLossGradchecks().length;
    expect(n).toBe(48);
    expect(r.stdout).toMatch(new RegExp(`${n} of ${n} layers and losses pass`));
  });

  it('a bad seed is one line and exit code 2', () => {
    const r = spawnSync(process.execPath, ['bin/handgrad.js', 'gradcheck', '--seed', '-3'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(/^handgrad: --seed must be an integer ≥ 0 and ≤ 4294967295, got '-3'$/);
  });
});

describe('examples', () => {
  it('the NYU and CMU examples run and learn', () => {
    const nyu = spawnSync(process.execPath, ['examples/nyu-mlp.mjs'], { encoding: 'utf8' });
    expect(nyu.status, nyu.stderr).toBe(0);
    const last = Number(/step 300: J = ([\d.]+)/.exec(nyu.stdout)?.[1]);
    expect(last).toBeLessThan(0.1);
    const cmuRun = spawnSync(process.execPath, ['examples/cmu-mlp.mjs'], { encoding: 'utf8' });
    expect(cmuRun.status, cmuRun.stderr).toBe(0);
    const acc = Number(/epoch 200: loss [\d.]+, accuracy ([\d.]+)%/.exec(cmuRun.stdout)?.[1]);
    expect(acc).toBeGreaterThan(90);
  });
});
