// What `handgrad train` shows while it runs: on a terminal a progress bar over the epoch's
// batches (its fill and its "batch i/n" label both count within the epoch), replaced by one plain
// line per finished epoch; elsewhere the epoch lines alone. Losses have one format everywhere
// (lossText), and a run whose loss left the range a learning classifier stays in is called
// diverged (divergence).

import cliProgress from 'cli-progress';
import type { training } from '../index.js';

/** An accuracy as "93.4%". */
export function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/**
 * A loss as "0.2512" (four decimals) below 10⁵ and "3.38e+22" (three significant digits) from
 * there up, so a diverging run never prints a seventeen-digit fixed-point number.
 */
export function lossText(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) < 1e5 ? x.toFixed(4) : x.toExponential(2);
}

/**
 * "epoch  3/10  train loss 0.2512 acc 92.8%  [val loss 0.2580 acc 92.6%]  test loss 0.2630 acc 92.4%  [lr 0.0031]  1.9s  41000 samples/s"
 * (the validation metrics with a validation split, the lr with a schedule).
 */
export function epochLine(r: training.EpochRecord, epochs: number, showLr = false): string {
  const val = r.valLoss !== undefined && r.valAccuracy !== undefined ? `  val loss ${lossText(r.valLoss)} acc ${pct(r.valAccuracy)}` : '';
  return `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  train loss ${lossText(r.trainLoss)} acc ${pct(r.trainAccuracy)}${val}` +
    `  test loss ${lossText(r.testLoss)} acc ${pct(r.testAccuracy)}${showLr ? `  lr ${r.lr.toPrecision(3)}` : ''}  ${r.seconds.toFixed(1)}s  ${Math.round(r.samplesPerSecond)} samples/s`;
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** "sparse (8.6 % of the training entries differ from 1; sparse form 9.9 MB in place of 95.7 MB dense)": the first layer's path and why. */
export function inputPathLine(p: training.InputPath): string {
  const memory = p.sparseBytes !== undefined && p.denseBytes !== undefined ? `; sparse form ${mb(p.sparseBytes)} in place of ${mb(p.denseBytes)} dense` : '';
  return `${p.path} (${p.reason}${memory})`;
}

export interface TrainingProgress {
  onStep: (s: training.StepRecord) => void;
  onEpoch: (r: training.EpochRecord) => void;
  /** Takes the bar off the terminal (a run that stops early). */
  stop: () => void;
}

/** The callbacks of a run of `epochs` epochs: a bar when `bar` is true, and `log` for each epoch's line (with its lr when `showLr`). */
export function trainingProgress(epochs: number, bar: boolean, log: (line: string) => void, showLr = false): TrainingProgress {
  let current: cliProgress.SingleBar | null = null;
  const stop = (): void => {
    current?.stop();
    current = null;
  };
  return {
    onStep: (s) => {
      if (!bar) return;
      const payload = {
        epoch: s.epoch, epochs, batch: s.batch + 1, batches: s.batches,
        loss: lossText(s.epochLoss), acc: pct(s.epochAccuracy), sps: Math.round(s.samplesPerSecond),
      };
      if (!current) {
        current = new cliProgress.SingleBar({
          format: 'epoch {epoch}/{epochs} |{bar}| batch {batch}/{batches}  loss {loss}  acc {acc}  {sps} samples/s  ETA {eta_formatted}',
          hideCursor: true, clearOnComplete: true, etaBuffer: 200, fps: 5,
        }, cliProgress.Presets.shades_classic);
        current.start(s.batches, s.batch + 1, payload);
      } else {
        current.update(s.batch + 1, payload);
      }
    },
    onEpoch: (r) => {
      // clear the bar (clearOnComplete), print the epoch's line; the next step starts a new bar
      stop();
      log(epochLine(r, epochs, showLr));
    },
    stop,
  };
}

/**
 * Whether a run diverged, and the sentence that says so: an epoch whose train or test loss is
 * NaN, infinite, or above ten times the cross-entropy of guessing (ln K for K classes, 2.30 for
 * ten) has left the range in which a classifier learns. Names the first such epoch, the largest
 * loss seen, and a tenth of the learning rate to try; null when every epoch stayed in range.
 */
export function divergence(history: readonly training.EpochRecord[], classes: number, lr: number): string | null {
  const chance = Math.log(Math.max(2, classes));
  const bad = (x: number): boolean => !Number.isFinite(x) || x > 10 * chance;
  const first = history.find((r) => bad(r.trainLoss) || bad(r.testLoss));
  if (!first) return null;
  let worst = 0;
  // the largest loss; a NaN or infinite one, once seen, is the one reported
  for (const r of history) {
    for (const x of [r.trainLoss, r.testLoss]) if (Number.isFinite(worst) && (!Number.isFinite(x) || Math.abs(x) > Math.abs(worst))) worst = x;
  }
  return `training diverged: the loss reached ${lossText(worst)} (from epoch ${first.epoch} on; guessing among ${classes} classes gives ${lossText(chance)}); ` +
    `try a smaller --lr, e.g. ${+(lr / 10).toPrecision(3)} instead of ${lr}`;
}
