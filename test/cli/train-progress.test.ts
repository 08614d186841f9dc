// What `handgrad train` prints per epoch: one loss format for every magnitude, and a diverging
// run (the loss far above guessing's) named as diverged with a smaller learning rate to try.
import { describe, expect, it } from 'vitest';
import { divergence, epochLine, lossText } from '../../src/cli/train-progress.js';
import type { training } from '../../src/index.js';

const record = (epoch: number, trainLoss: number, testLoss: number): training.EpochRecord => ({
  epoch, trainLoss, testLoss, trainAccuracy: 0.1, testAccuracy: 0.1, seconds: 1, samplesPerSecond: 8000, lr: 50,
});

describe('train progress text', () => {
  it('writes small losses with four decimals and large ones with an exponent, never both styles for one size', () => {
    expect(lossText(0.25123)).toBe('0.2512');
    expect(lossText(85.96261)).toBe('85.9626');
    expect(lossText(3.380508025952047e22)).toBe('3.38e+22');
    expect(lossText(226963572872527520)).toBe('2.27e+17');
    expect(lossText(NaN)).toBe('NaN');
    const line = epochLine(record(2, 226963572872527520, 2.8326671669587653e26), 3);
    expect(line).toContain('train loss 2.27e+17');
    expect(line).toContain('test loss 2.83e+26');
    expect(line).not.toMatch(/\d{7,}/);
  });

  it('says a run diverged when a loss passes ten times the loss of guessing, and not otherwise', () => {
    expect(divergence([record(1, 0.6, 0.34), record(2, 0.3, 0.28)], 10, 0.1)).toBeNull();
    // ln 10 = 2.30: 23.0 is the limit
    expect(divergence([record(1, 2.4, 2.3), record(2, 22, 2)], 10, 0.1)).toBeNull();
    const msg = divergence([record(1, 3.38e22, 2.63e26), record(2, 85.96, 2.83e26)], 10, 50);
    expect(msg).toBe('training diverged: the loss reached 2.83e+26 (from epoch 1 on; guessing among 10 classes gives 2.3026); try a smaller --lr, e.g. 5 instead of 50');
    expect(divergence([record(1, 0.5, 0.4), record(2, NaN, 0.4)], 10, 0.1)).toMatch(/reached NaN \(from epoch 2 on/);
  });
});
