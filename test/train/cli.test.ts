// The CLI end to end, through run() from the source (the same entry bin/handgrad.js calls),
// on the embedded MNIST and real files in temporary directories.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { handgrad, type Result } from '../cli/in-process.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { readCheckpoint } from '../../src/train/checkpoint-node.js';


const root = mkdtempSync(join(tmpdir(), 'hg-cli-'));
const runDir = join(root, 'tiny');
let trained: Result;

describe('handgrad train / eval / predict', () => {
  beforeAll(async () => {
    trained = await handgrad('train', '--epochs', '1', '--hidden', '16', '--batch-size', '100', '--out', runDir, '--seed', '3');
  });

  it('train writes the run directory and says the final accuracy against the MNIST target', () => {
    expect(trained.err).toEqual([]);
    expect(trained.code).toBe(0);
    for (const f of ['config.json', 'history.csv', 'history.jsonl', 'model.safetensors', 'checkpoint.safetensors', 'checkpoint.previous.safetensors', 'loss.svg', 'loss.png', 'accuracy.svg', 'accuracy.png']) {
      expect(existsSync(join(runDir, f)), f).toBe(true);
    }
    expect([...readFileSync(join(runDir, 'loss.png')).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const svg = readFileSync(join(runDir, 'accuracy.svg'), 'utf8');
    for (const text of ['epoch', 'accuracy', 'train', 'test']) expect(svg).toContain(text);
    expect(trained.out.some((l) => /^epoch 1\/1 {2}train loss [\d.]+ acc [\d.]+% {2}test loss [\d.]+ acc [\d.]+%/.test(l))).toBe(true);
    expect(trained.out.some((l) => /^test accuracy [\d.]+% after 1 epochs .* target ≥ 93\.0% on the embedded MNIST: (reached|NOT reached)$/.test(l))).toBe(true);
    const history = readFileSync(join(runDir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(history).toHaveLength(1);
    for (const k of ['epoch', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'seconds', 'samplesPerSecond']) expect(typeof history[0]![k]).toBe('number');
    expect(history[0]!.testAccuracy).toBeGreaterThan(0.7);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { config: { model: { hidden: number[] }; dropoutMode: string }; data: { name: string } };
    expect(config.config.model.hidden).toEqual([16]);
    expect(config.config.dropoutMode).toBe('inverted');
    expect(config.data.name).toBe('mnist');
    const w = readSafetensors(new Uint8Array(readFileSync(join(runDir, 'model.safetensors'))));
    // PyTorch state-dict names of nn.Sequential(Linear, ReLU, Linear)
    expect([...w.tensors.keys()].sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    expect(w.tensors.get('0.weight')!.shape).toEqual([16, 784]);
  });

  it('eval reproduces the test accuracy of the last epoch', async () => {
    const r = await handgrad('eval', '--model', runDir, '--json');
    expect(r.code).toBe(0);
    const e = JSON.parse(r.out[0]!) as { accuracy: number; loss: number; samples: number };
    const last = JSON.parse(readFileSync(join(runDir, 'history.jsonl'), 'utf8').trim().split('\n').at(-1)!) as { testAccuracy: number; testLoss: number };
    expect(e.accuracy).toBe(last.testAccuracy);
    expect(e.loss).toBeCloseTo(last.testLoss, 5);
    expect(e.samples).toBe(2000);
  });

  it('predict ranks classes for a test index and for a PNG of the same digit', async () => {
    const byIndex = await handgrad('predict', '--model', runDir, '7', '--json');
    expect(byIndex.code).toBe(0);
    const p = JSON.parse(byIndex.out[0]!) as { label: string; top: { class: string; probability: number }[] };
    expect(p.top).toHaveLength(3);
    expect(p.top[0]!.probability).toBeGreaterThanOrEqual(p.top[1]!.probability);
    expect(p.top.reduce((s, t) => s + t.probability, 0)).toBeLessThanOrEqual(1 + 1e-9);
    // write test sample 7 as a 28×28 grayscale PNG and predict from the file
    const { loadData } = await import('../../src/cli/common.js');
    const data = await loadData('mnist');
    const png = new PNG({ width: 28, height: 28 });
    for (let i = 0; i < 784; i++) {
      const v = Math.round(255 * data.test.x[7 * 784 + i]!);
      png.data.set([v, v, v, 255], 4 * i);
    }
    const file = join(root, 'digit.png');
    writeFileSync(file, PNG.sync.write(png));
    const byFile = await handgrad('predict', '--model', runDir, file, '--json', '--top', '2');
    const q = JSON.parse(byFile.out[0]!) as { top: { class: string; probability: number }[] };
    expect(q.top).toHaveLength(2);
    expect(q.top[0]!.class).toBe(p.top[0]!.class);
    expect(q.top[0]!.probability).toBeCloseTo(p.top[0]!.probability, 2);
    const text = await handgrad('predict', '--model', runDir, '7');
    expect(text.out[0]).toMatch(/^mnist test sample 7 \(true class \d\):$/);
  });

  it('--resume continues a run (more epochs) and refuses changed settings', async () => {
    const r = await handgrad('train', '--out', runDir, '--resume', '--epochs', '2', '--hidden', '16', '--quiet');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(runDir, 'history.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    const changed = await handgrad('train', '--out', runDir, '--resume', '--lr', '0.5');
    expect(changed.code).toBe(2);
    expect(changed.err).toHaveLength(1);
    expect(changed.err[0]).toMatch(/--resume: --lr 0.5 differs from the run's 0.01/);
    // every config flag is checked the same way, from the one table of flags
    for (const [args, message] of [
      [['--hidden', '32'], /--resume: --hidden 32 differs from the run's 16;/],
      [['--nesterov'], /--resume: --nesterov true differs from the run's false;/],
      [['--data', 'fashion-mnist'], /--resume: --data fashion-mnist differs from the run's mnist;/],
      [['--dropout-mode', 'cmu'], /--resume: --dropout-mode cmu differs from the run's inverted;/],
    ] as const) {
      const r2 = await handgrad('train', '--out', runDir, '--resume', ...args);
      expect(r2.code).toBe(2);
      expect(r2.err).toHaveLength(1);
      expect(r2.err[0]).toMatch(message);
    }
    const again = await handgrad('train', '--out', runDir, '--epochs', '1');
    expect(again.code).toBe(2);
    expect(again.err[0]).toMatch(/already holds a run; add --resume/);
  });

  it('every optimiser of the registry is reachable with --optimizer (and the NYU net with --model nyu)', async () => {
    for (const [optimizer, extra] of [['rmsprop', ['--momentum', '0.5']], ['adamw', []], ['adam', []]] as const) {
      const dir = join(root, optimizer);
      const r = await handgrad('train', '--optimizer', optimizer, '--lr', '0.001', ...extra, '--epochs', '1', '--hidden', '16', '--batch-size', '100', '--out', dir, '--quiet');
      expect(r.err, optimizer).toEqual([]);
      expect(r.code, optimizer).toBe(0);
      const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { config: Record<string, unknown> };
      expect(saved.config.optimizer).toBe(optimizer);
      expect(saved.config).not.toHaveProperty('backend');
      expect(readCheckpoint(dir).state.optimizer.type).toBe(optimizer);
      expect(Number(/^test accuracy ([\d.]+)%/.exec(r.out.at(-1) ?? '')?.[1]), optimizer).toBeGreaterThan(50);
    }
    expect(JSON.parse(readFileSync(join(root, 'rmsprop', 'config.json'), 'utf8')).config).toMatchObject({ alpha: 0.99, momentum: 0.5, centered: false });
    expect(JSON.parse(readFileSync(join(root, 'adamw', 'config.json'), 'utf8')).config).toMatchObject({ weightDecay: 0.01 });
    const nyu = await handgrad('train', '--model', 'nyu', '--activation', 'tanh', '--epochs', '1', '--hidden', '16', '--batch-size', '100', '--out', join(root, 'nyu'), '--quiet');
    expect(nyu.code).toBe(0);
    expect(JSON.parse(readFileSync(join(root, 'nyu', 'config.json'), 'utf8')).config.model).toEqual({ kind: 'nyu', hidden: [16], activation: 'tanh', output: 'identity' });
  });

  it('a diverging run stops with advice (exit 1) and keeps its last good checkpoint', async () => {
    const dir = join(root, 'nan');
    const r = await handgrad('train', '--epochs', '2', '--hidden', '16', '--lr', '1e6', '--out', dir, '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^handgrad train: training diverged: the loss became (NaN|Infinity) .* try a smaller learning rate, e\.g\. --lr 100000/);
    expect(readCheckpoint(dir).state.epoch).toBe(0);
  });

  const bad: [string, string[], RegExp][] = [
    ['negative lr', ['train', '--lr', '-0.1'], /--lr must be a number > 0, got '-0.1'/],
    ['dropout ≥ 1', ['train', '--dropout', '1'], /--dropout must be a number ≥ 0 and < 1, got '1'/],
    ['non-integer epochs', ['train', '--epochs', '2.5'], /--epochs must be an integer ≥ 1, got '2.5'/],
    ['zero batch size', ['train', '--batch-size', '0'], /--batch-size must be an integer ≥ 1/],
    ['unknown model', ['train', '--model', 'resnet'], /--model must be one of mlp, single-layer-mlp, two-layer-mlp, nyu, cnn, got 'resnet'/],
    ['unknown optimizer', ['train', '--optimizer', 'lion'], /--optimizer must be one of sgd, adam, adamw, rmsprop, got 'lion'/],
    ['momentum with adam', ['train', '--optimizer', 'adam', '--momentum', '0.5'], /^handgrad: --momentum does not apply to adam \(Adam reads lr, betas, eps, weightDecay\)$/],
    ['nesterov with rmsprop', ['train', '--optimizer', 'rmsprop', '--nesterov'], /^handgrad: --nesterov does not apply to rmsprop/],
    ['hidden widths for the cnn', ['train', '--model', 'cnn', '--hidden', '5'], /^handgrad: --hidden does not apply to cnn$/],
    ['two widths for the single-layer MLP', ['train', '--model', 'single-layer-mlp', '--hidden', '5,5'], /^handgrad: --hidden must hold 1 width for single-layer-mlp, got 5,5$/],
    ['bad hidden list', ['train', '--hidden', '60,x'], /--hidden must be a comma-separated list of positive integers/],
    ['unknown dropout mode', ['train', '--dropout-mode', 'half'], /--dropout-mode must be one of inverted, cmu/],
    ['momentum > 1', ['train', '--momentum', '1.5'], /--momentum must be a number ≥ 0 and ≤ 1/],
    ['unknown data set', ['train', '--data', 'no-such-set', '--out', join(root, 'x1')], /--data: .*no-such-set/],
    ['missing data dir', ['train', '--data-dir', join(root, 'missing'), '--out', join(root, 'x2')], /--data-dir: no such directory/],
    ['unknown backend', ['train', '--backend', 'gpu'], /--backend must be one of auto, ref, wasm, webgpu, got 'gpu'/],
    ['missing model', ['eval', '--model', join(root, 'nope')], /--model: no such run directory or file/],
    ['not a run directory', ['eval', '--model', root], /is not a handgrad run directory/],
    ['index out of range', ['predict', '--model', runDir, '99999'], /index 99999 is out of range; the test split of mnist has 2000 samples/],
    ['missing input file', ['predict', '--model', runDir, 'nope.png'], /<input>: no such file: nope.png/],
  ];
  for (const [what, args, message] of bad) {
    it(`flag error: ${what} → one line, exit code 2`, async () => {
      const r = await handgrad(...args);
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(/^handgrad: /);
      expect(r.err[0]).toMatch(message);
    });
  }
});
