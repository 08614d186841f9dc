// `handgrad train` on real Omniglot images (105×105, ink on paper: about 8 % of the pixels are not
// the paper's 1): the first layer runs sparse by itself, and its curves follow a `--dense` run of
// the same seed. The images are the Omniglot repository's images_background_small1.zip (5
// alphabets, 2861 drawings; MIT licence), unzipped into a temporary folder and read by the
// Omniglot folder reader. Where the zip is (HANDGRAD_OMNIGLOT_DIR, default ../shared/data/omniglot
// beside the repository) holds none, the test is skipped and says so.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import type { EpochRecord } from '../../src/train/loop.js';
import type { RunConfigFile } from '../../src/train/run-node.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const zip = join(process.env.HANDGRAD_OMNIGLOT_DIR ?? join(repo, '..', 'shared', 'data', 'omniglot'), 'images_background_small1.zip');
const found = existsSync(zip);
const root = mkdtempSync(join(tmpdir(), 'hg-omniglot-'));

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Unzips the PNGs into root/images (<alphabet>/<character>/*.png). */
function unzipImages(): string {
  const dir = join(root, 'images');
  const files = unzipSync(readFileSync(zip), { filter: (f) => f.name.endsWith('.png') });
  for (const [name, bytes] of Object.entries(files)) {
    const out = join(dir, name.split('/').slice(1).join('/'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, bytes);
  }
  return dir;
}

async function train(args: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  process.exitCode = 0;
  try {
    await run(['node', 'handgrad', 'train', ...args]);
  } finally {
    log.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out };
}

const history = (dir: string): EpochRecord[] => readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochRecord);

describe('train on real Omniglot: sparse first layer against --dense', () => {
  it.skipIf(!found)(`5 epochs of 11025 → 150 → 5, same seed: the same curves (images from ${zip})`, async () => {
    const images = unzipImages();
    const common = ['--data', images, '--hidden', '150', '--epochs', '5', '--lr', '0.01', '--momentum', '0.4', '--seed', '2', '--no-progress'];
    const sparse = await train([...common, '--out', join(root, 'sparse')]);
    const dense = await train([...common, '--out', join(root, 'dense'), '--dense']);
    expect(sparse.code).toBe(0);
    expect(dense.code).toBe(0);
    expect(sparse.out.find((l) => l.startsWith('first layer:'))).toMatch(/^first layer: sparse \([\d.]+ % of the training entries differ from 1; sparse form [\d.]+ MB in place of [\d.]+ MB dense\)$/);
    expect(dense.out.find((l) => l.startsWith('first layer:'))).toBe('first layer: dense (asked for with --dense)');
    const config = JSON.parse(readFileSync(join(root, 'sparse', 'config.json'), 'utf8')) as RunConfigFile;
    expect(config.inputPath.path).toBe('sparse');
    expect(config.inputPath.background).toBe(1);
    expect(config.inputPath.nonBackground!).toBeLessThan(0.12);

    const hs = history(join(root, 'sparse'));
    const hd = history(join(root, 'dense'));
    expect(hs.map((r) => r.inputPath)).toEqual(Array(5).fill('sparse'));
    expect(hd.map((r) => r.inputPath)).toEqual(Array(5).fill('dense'));
    const testN = config.data.testSize;
    for (let e = 0; e < 5; e++) {
      const [s, d] = [hs[e]!, hd[e]!];
      // float32 summation order only: losses within 1e-3 relative, accuracies within 3 samples
      expect(Math.abs(s.trainLoss - d.trainLoss), `train loss, epoch ${e + 1}: ${s.trainLoss} vs ${d.trainLoss}`).toBeLessThan(1e-3 * d.trainLoss);
      expect(Math.abs(s.testLoss - d.testLoss), `test loss, epoch ${e + 1}: ${s.testLoss} vs ${d.testLoss}`).toBeLessThan(1e-3 * d.testLoss);
      expect(Math.abs(s.testAccuracy - d.testAccuracy), `test accuracy, epoch ${e + 1}: ${s.testAccuracy} vs ${d.testAccuracy}`).toBeLessThanOrEqual(3 / testN + 1e-12);
    }
    // and it learns: well above the 1-in-5 of chance after 5 epochs
    expect(hs[4]!.testAccuracy).toBeGreaterThan(0.4);
  }, 240_000);
});
