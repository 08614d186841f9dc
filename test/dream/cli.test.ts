// `handgrad dream` end to end on real run directories: the CLI's CNN (`--model cnn`) and an MLP
// trained by the train loop (src/train/run-node.ts) for 2 epochs on 1500 Fashion-MNIST images
// halved to 14×14, then dreamed through the command's run(argv): PNGs, the grid, dream.json;
// flag errors exit 2.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { runTraining } from '../../src/train/run-node.js';
import type { Dataset } from '../../src/data/types.js';
import { writeIdxU8 } from '../../src/data/idx.js';
import { fashion, FASHION_CLASSES, halve } from './helpers.js';

let dir = '';
let runDir = '';
let mlpDir = '';

async function cli(...args: string[]): Promise<{ code: number; err: string; out: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const e = vi.spyOn(console, 'error').mockImplementation((...m: unknown[]) => void err.push(m.join(' ')));
  const o = vi.spyOn(console, 'log').mockImplementation((...m: unknown[]) => void out.push(m.join(' ')));
  const w = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  process.exitCode = 0;
  try {
    await run(['node', 'handgrad', ...args]);
  } finally {
    e.mockRestore();
    o.mockRestore();
    w.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, err: err.join('\n'), out: out.join('\n') };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'handgrad-dream-'));
  runDir = join(dir, 'run');
  const tr = fashion('train', 1500);
  const te = fashion('t10k', 500);
  const data: Dataset = {
    name: 'fashion-mnist-14', sampleShape: [1, 14, 14], classes: FASHION_CLASSES,
    train: { x: halve(tr.x, 1500), y: tr.y, n: 1500 }, test: { x: halve(te.x, 500), y: te.y, n: 500 },
    source: { test: 'the first Fashion-MNIST images, 2×2-averaged to 14×14' },
  };
  const config = { data: 'fashion-mnist-14', epochs: 2, batchSize: 50, lr: 0.05, momentum: 0.9, seed: 1, normalize: 'global', optimizer: 'sgd', weightDecay: 0, nesterov: false, dropout: 0, dropoutMode: 'inverted', lrSchedule: null, clipGradNorm: 0, val: 0, earlyStop: 0 } as const;
  await runTraining({ config: { ...config, model: { kind: 'cnn' } }, data, outDir: runDir });
  // the NYU assignment's network: an MLP on the flattened images, which the run records as [1, 14, 14]
  mlpDir = join(dir, 'mlp');
  await runTraining({ config: { ...config, model: { kind: 'mlp', hidden: [32] } }, data, outDir: mlpDir });
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function png(path: string): PNG {
  return PNG.sync.read(readFileSync(path));
}

describe('handgrad dream', () => {
  it('dreams classes by name and index: PNGs ×8, a grid, dream.json with the required fields', async () => {
    const out = join(dir, 'classes');
    const r = await cli('dream', '--model', runDir, '--class', 'trouser,8', '--steps', '60', '--out', out, '--compare-plain');
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, 'dream.json'), 'utf8'));
    expect(doc.entries).toHaveLength(4);
    const [trouser, trouserPlain, bag] = doc.entries;
    expect(trouser).toMatchObject({ class: 1, label: 'Trouser', file: 'class-1-trouser.png' });
    expect(trouserPlain).toMatchObject({ class: 1, plain: true });
    expect(bag).toMatchObject({ class: 8, label: 'Bag' });
    for (const e of doc.entries) {
      expect(typeof e.probability).toBe('number');
      expect(typeof e.logit).toBe('number');
      expect(typeof e.totalVariation).toBe('number');
      expect(e.probabilities).toHaveLength(60);
      expect(e.options.steps).toBe(60);
    }
    expect(trouser.options).toMatchObject({ clamp: true, octaves: 2, plain: false });
    expect(trouserPlain.options).toMatchObject({ clamp: false, octaves: 1, plain: true });
    expect(trouser.probability).toBeGreaterThan(0.9);
    expect(doc.summary.plain.tvRatio).toBeGreaterThan(1);
    const one = png(join(out, 'class-1-trouser.png'));
    expect([one.width, one.height]).toEqual([14 * 8, 14 * 8]);
    // the upscale is nearest-neighbour: every 8×8 block is one grey level
    for (let by = 0; by < 14; by += 5) {
      for (let bx = 0; bx < 14; bx += 5) {
        const v = one.data[((by * 8) * one.width + bx * 8) * 4];
        for (let k = 0; k < 8; k++) expect(one.data[((by * 8 + k) * one.width + bx * 8 + 7 - k) * 4]).toBe(v);
      }
    }
    const grid = png(join(out, 'grid.png'));
    expect(grid.width).toBeGreaterThan(2 * 14 * 4);
    expect(r.out).toMatch(/lowest target probability/);
  }, 120_000);

  it('dreams an MLP trained on flattened images, from its run and from its bundle file: the image is 14×14, the network gets its 196 values', async () => {
    const out = join(dir, 'mlp-dream');
    const r = await cli('dream', '--model', mlpDir, '--class', 'trouser', '--steps', '60', '--pca', '0', '--out', out, '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, 'dream.json'), 'utf8'));
    expect(doc.inputShape).toEqual([1, 14, 14]);
    expect(doc.entries[0]).toMatchObject({ class: 1, label: 'Trouser' });
    expect(doc.entries[0].probability).toBeGreaterThan(0.9);
    expect([png(join(out, 'class-1-trouser.png')).width, png(join(out, 'class-1-trouser.png')).height]).toEqual([14 * 8, 14 * 8]);
    // the same MLP loaded from its model bundle file alone (what `--model x.safetensors` takes)
    const fromBundle = await cli('dream', '--model', join(mlpDir, 'model.safetensors'), '--class', 'trouser', '--steps', '60', '--pca', '0', '--out', join(dir, 'mlp-bundle'), '--quiet');
    expect(fromBundle.err).toBe('');
    expect(fromBundle.code).toBe(0);
    const bundled = JSON.parse(readFileSync(join(dir, 'mlp-bundle', 'dream.json'), 'utf8'));
    expect(bundled.inputShape).toEqual([1, 14, 14]);
    expect(bundled.entries[0].probability).toBeCloseTo(doc.entries[0].probability, 10);
    // a middle layer of an MLP: its units
    const r2 = await cli('dream', '--model', mlpDir, '--layer', 'linear1', '--channel', '3', '--steps', '10', '--pca', '0', '--out', join(dir, 'mlp-layer'), '--quiet');
    expect(r2.code).toBe(0);
  }, 60_000);

  it('a middle layer: one channel, and a grid over every channel', async () => {
    const out = join(dir, 'layer');
    let r = await cli('dream', '--model', runDir, '--layer', 'conv2', '--channel', '5', '--steps', '20', '--out', out, '--quiet');
    expect(r.code).toBe(0);
    expect(existsSync(join(out, 'layer-conv2-channel-5.png'))).toBe(true);
    r = await cli('dream', '--model', runDir, '--layer', '0', '--steps', '10', '--out', out, '--quiet');
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, 'dream.json'), 'utf8'));
    expect(doc.entries).toHaveLength(8); // conv1 has 8 channels
    expect(doc.entries[3]).toMatchObject({ layer: 'conv1', channel: 3, probability: null });
    expect(existsSync(join(out, 'layer-conv1-grid.png'))).toBe(true);
  }, 60_000);

  it('the PCA prior from the training data (--data, a folder of IDX files): in dream.json, the start is the mean', async () => {
    // the run's 14×14 training images as the four IDX files the data readers recognise
    const idxDir = join(dir, 'idx14');
    mkdirSync(idxDir, { recursive: true });
    const tr = fashion('train', 1500);
    const te = fashion('t10k', 500);
    const u8 = (x: Float32Array): Uint8Array => Uint8Array.from(x, (v) => Math.round(255 * v));
    writeFileSync(join(idxDir, 'train-images-idx3-ubyte'), writeIdxU8([1500, 14, 14], u8(halve(tr.x, 1500))));
    writeFileSync(join(idxDir, 'train-labels-idx1-ubyte'), writeIdxU8([1500], Uint8Array.from(tr.y)));
    writeFileSync(join(idxDir, 't10k-images-idx3-ubyte'), writeIdxU8([500, 14, 14], u8(halve(te.x, 500))));
    writeFileSync(join(idxDir, 't10k-labels-idx1-ubyte'), writeIdxU8([500], Uint8Array.from(te.y)));
    const out = join(dir, 'pca');
    const r = await cli('dream', '--model', runDir, '--class', 'bag', '--data', idxDir, '--pca', '8', '--steps', '60', '--out', out, '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, 'dream.json'), 'utf8'));
    expect(doc.entries[0].options).toMatchObject({ pca: 8, init: 'mean', tv: 0.35, octaves: 1, prior: 0, dataPrior: { samples: 1500, pca: 8 } });
    expect(doc.entries[0].probability).toBeGreaterThan(doc.entries[0].probabilities[0]);
    // without the data, an explicit --pca is a usage error; an implicit one falls back with a note
    const bad = await cli('dream', '--model', runDir, '--class', 'bag', '--pca', '8', '--steps', '5', '--out', out);
    expect(bad.code).toBe(2);
    const note = await cli('dream', '--model', runDir, '--class', 'bag', '--steps', '5', '--out', out);
    expect(note.code).toBe(0);
    expect(note.err).toMatch(/no PCA prior/);
  }, 60_000);

  it('an lr sweep writes one image and one final probability per rate', async () => {
    const out = join(dir, 'sweep');
    const r = await cli('dream', '--model', runDir, '--class', '7', '--lr-sweep', '1e-3,1e-1', '--plain', '--steps', '20', '--out', out, '--quiet');
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, 'dream.json'), 'utf8'));
    expect(doc.entries.map((e: { lr: number }) => e.lr)).toEqual([1e-3, 1e-1]);
    expect(doc.entries[1].probability).toBeGreaterThan(doc.entries[0].probability);
    expect(existsSync(join(out, 'class-7-sneaker-lr-0.001.png'))).toBe(true);
    expect(existsSync(join(out, 'lr-sweep.png'))).toBe(true);
  }, 60_000);

  it('usage errors are one line with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--class', 'jacket'], /unknown class 'jacket'.*1=Trouser/],
      [['--class', '12'], /index 12 is out of range/],
      [['--layer', 'conv7'], /--layer: no layer named 'conv7'/],
      [['--layer', 'conv1', '--channel', '9'], /--channel must be an integer ≥ 0 and ≤ 7/],
      [['--class', '1', '--steps', '0'], /--steps must be an integer ≥ 1/],
      [['--class', '1', '--clip-mode', 'max'], /--clip-mode must be one of value, norm/],
      [['--class', '1', '--from', join(dir, 'nope.png')], /--from: no such file/],
      [[], /exactly one of --class/],
    ];
    for (const [args, msg] of cases) {
      const r = await cli('dream', '--model', runDir, ...args, '--out', join(dir, 'err'));
      expect(r.code).toBe(2);
      expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.err).toMatch(msg);
    }
    // a directory without weights
    const r = await cli('dream', '--model', dir, '--class', '1');
    expect(r.code).toBe(2);
    expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
  }, 60_000);
});
