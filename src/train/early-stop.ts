// Early stopping on the validation loss: after every epoch the loss is compared with the best so
// far; a lower one (strictly) becomes the best and the model's state dict (parameters and
// buffers) is copied aside; `patience` epochs in a row without one stop the run, and the best
// epoch's state is copied back into the model. The counters and the best state go into the
// checkpoint, so a resumed run stops at the same epoch with the same weights.

import type { Module } from '../layers/module.js';
import { HandgradError, Tensor, type FloatArray } from '../tensor.js';

/** The counters a checkpoint keeps (the best weights travel as tensors beside it). */
export interface EarlyStopState {
  /** The best validation loss so far (null before the first epoch). */
  bestLoss: number | null;
  /** The epoch that reached it (0 before the first). */
  bestEpoch: number;
  /** Epochs since the best. */
  bad: number;
  /** The run stopped early and holds the best epoch's weights. */
  stopped: boolean;
}

export class EarlyStopping {
  state: EarlyStopState = { bestLoss: null, bestEpoch: 0, bad: 0, stopped: false };
  /** The best epoch's state dict, by name, in the model's dtypes. */
  readonly best: Map<string, FloatArray> = new Map();

  constructor(readonly patience: number, private readonly model: Module) {}

  /** Records an epoch's validation loss; true when the run should stop (the best weights are then restored). */
  update(epoch: number, valLoss: number): boolean {
    const s = this.state;
    if (s.bestLoss === null || valLoss < s.bestLoss) {
      this.state = { bestLoss: valLoss, bestEpoch: epoch, bad: 0, stopped: false };
      for (const [name, t] of this.model.stateDict()) {
        const saved = this.best.get(name);
        if (saved && saved.length === t.size) saved.set(t.data);
        else this.best.set(name, t.data.slice());
      }
      return false;
    }
    s.bad++;
    if (s.bad < this.patience) return false;
    s.stopped = true;
    this.restore();
    return true;
  }

  /** Copies the best epoch's state dict back into the model. */
  restore(): void {
    for (const [name, t] of this.model.stateDict()) {
      const saved = this.best.get(name);
      if (!saved) throw new HandgradError(`early stopping: no saved best value for '${name}'`);
      t.data.set(saved);
    }
  }

  /** The best state dict as tensors (for the checkpoint). */
  bestTensors(): [string, Tensor][] {
    const shapes = new Map(this.model.stateDict().map(([n, t]) => [n, t.shape]));
    return [...this.best].map(([name, data]) => [name, new Tensor(data.slice(), shapes.get(name) ?? [data.length])]);
  }

  /** Loads the counters and the best state dict from a checkpoint. */
  load(state: EarlyStopState, best: Map<string, Tensor>): void {
    this.state = { ...state };
    this.best.clear();
    for (const [name, t] of this.model.stateDict()) {
      const b = best.get(name);
      if (state.bestEpoch > 0 && (!b || b.size !== t.size)) throw new HandgradError(`checkpoint: no best weights for '${name}' of shape [${t.shape.join(', ')}] (early stopping is on)`);
      if (b) this.best.set(name, t.dtype === 'float64' ? Float64Array.from(b.data) : Float32Array.from(b.data));
    }
  }
}
