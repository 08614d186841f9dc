// What `handgrad train` shows while it runs: on a terminal a progress bar over the epoch's
// batches, replaced by one plain line per finished epoch; elsewhere the epoch lines alone.

import cliProgress from 'cli-progress';
import type { training } from '../index.js';

/** An accuracy as "93.4%". */
export function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/**
 * "epoch  3/10  train loss 0.2512 acc 92.8%  [val loss 0.2580 acc 92.6%]  test loss 0.2630 acc 92.4%  [lr 0.0031]  1.9s  41000 samples/s"
 * (the validation metrics with a validation split, the lr with a schedule).
 */
export function epochLine(r: training.EpochRecord, epochs: number, showLr = false): string {
  const val = r.valLoss !== undefined && r.valAccuracy !== undefined ? `  val loss ${r.valLoss.toFixed(4)} acc ${pct(r.valAccuracy)}` : '';
  return `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  train loss ${r.trainLoss.toFixed(4)} acc ${pct(r.trainAccuracy)}${val}` +
    `  test loss ${r.testLoss.toFixed(4)} acc ${pct(r.testAccuracy)}${showLr ? `  lr ${r.lr.toPrecision(3)}` : ''}  ${r.seconds.toFixed(1)}s  ${Math.round(r.samplesPerSecond)} samples/s`;
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
        loss: s.epochLoss.toFixed(4), acc: pct(s.epochAccuracy), sps: Math.round(s.samplesPerSecond),
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
