// One interface for every optimiser: step() updates the parameters from their accumulated
// gradients, zeroGrad() clears them, and the state (momentum buffers, moments, step count)
// can be saved with a checkpoint and loaded back.

import { allocateFor } from '../backend.js';
import { HandgradError, onHost, type FloatArray } from '../tensor.js';
import { flatIsCurrent, flattenParameters, zeroGradOf, type FlatParameters, type Parameter } from '../parameter.js';

/** An optimiser's state as plain JSON (saved in checkpoints): step count and per-parameter buffers. */
export interface OptimizerState {
  /** The optimiser's registry name ('sgd', 'adam', 'adamw', 'rmsprop'; see optim/index.ts). */
  type: string;
  /** The number of step() calls so far. */
  step: number;
  /** Named per-parameter buffers, in the order of the parameter list: buffers[i][name]. */
  buffers: Record<string, number[]>[];
}

/**
 * Updates parameters from the gradients their layers' backward passes accumulated, as torch.optim:
 * a training step is `opt.zeroGrad(); loss.forward(model.forward(x), y); model.backward(loss.backward()); opt.step()`.
 * Its state (momentum buffers, moments, step count) is saved with state() and restored with loadState().
 */
export abstract class Optimizer {
  /** The parameters updated, in the order given (the order of the state's buffers). */
  readonly params: Parameter[];
  /** Number of step() calls so far. */
  stepCount = 0;
  /** The registry name, saved as the state's type (a literal: class names do not survive minifiers). */
  abstract readonly kind: string;
  /** The name in messages: 'SGD', 'Adam', … */
  readonly label: string;

  /**
   * The parameters' values and gradients in one allocation each (parameter.ts), so that a step is
   * one kernel call over all of them; null where they cannot be moved there (mixed dtypes,
   * parameters not made by a layer).
   */
  protected readonly flat: FlatParameters | null;

  /** An optimiser over `params` (a non-empty list, e.g. model.parameters()); `label` names it in messages. */
  constructor(params: Parameter[], label: string) {
    if (!Array.isArray(params) || params.length === 0) {
      throw new HandgradError(`${label}: expected a non-empty list of parameters (model.parameters()), got ${Array.isArray(params) ? 'an empty list' : typeof params}`);
    }
    this.params = params;
    this.label = label;
    this.flat = flattenParameters(params);
  }

  /**
   * A state buffer per parameter (`size(i)` floats, 0 for none): views of one flat allocation laid
   * out like the parameters' when they are flat (returned as `all`, for the one-call step), else
   * one allocation each.
   */
  protected stateBuffers(size: (i: number) => number): { all: FloatArray | null; each: FloatArray[] } {
    const flat = this.flat;
    if (!flat || this.params.some((p, i) => size(i) !== p.value.size)) {
      return { all: null, each: this.params.map((p, i) => allocateFor(p.value.dtype, size(i))) };
    }
    const all = allocateFor(flat.dtype, flat.values.length);
    return { all, each: this.params.map((p, i) => all.subarray(flat.offsets[i]!, flat.offsets[i]! + p.value.size)) };
  }

  /**
   * The flat arrays when a step can run as one call over them (every parameter still views them),
   * else null. First reads every parameter's gradient and value except those in `skip` (stepped
   * another way): that writes lazily cleared zeros, deferred gradients and values kept newer
   * elsewhere into the arrays, and counts the step as a possible change of each value.
   */
  protected flatForStep(skip?: ReadonlySet<Parameter>): FlatParameters | null {
    for (const p of this.params) {
      if (skip?.has(p)) continue;
      void p.grad;
      void p.value;
    }
    return this.flat && flatIsCurrent(this.params, this.flat) ? this.flat : null;
  }

  /** Updates every parameter from its current gradient (one step of the rule) and counts the step. */
  abstract step(): void;
  /** The learning rate, settable between steps (a schedule); setting a negative or non-finite value throws. */
  abstract get lr(): number;
  abstract set lr(value: number);

  /**
   * Clears the gradients, lazily for a layer's parameters (module.ts): read them through `p.grad`
   * afterwards, not through a Tensor kept from before (as in PyTorch, where zero_grad() sets
   * them to None). Module.zeroGrad() clears in place.
   */
  zeroGrad(): void {
    for (const p of this.params) zeroGradOf(p);
  }

  /** The state as JSON: the step count and each parameter's buffers. */
  abstract state(): OptimizerState;
  /** Continues from a state read by state() from an optimiser of the same type over parameters of the same shapes. */
  abstract loadState(state: OptimizerState): void;

  /** Throws unless a saved state is this optimiser's (by registry name, or by label). */
  protected checkStateType(state: OptimizerState): void {
    if (state.type !== this.kind && state.type !== this.label) {
      throw new HandgradError(`${this.label}.loadState: the saved state is for ${String(state.type)}, not ${this.label} ('${this.kind}')`);
    }
  }
}

export function checkHyper(what: string, name: string, value: number, min: number, max = Infinity, maxExclusive = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (maxExclusive ? value >= max : value > max)) {
    const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}${maxExclusive ? ')' : ']'}`;
    throw new HandgradError(`${what}: ${name} must be a finite number ${range}, got ${String(value)}`);
  }
  return value;
}

export function bufferToArray(b: FloatArray): number[] {
  return Array.from(onHost(b));
}

export function loadBuffer(what: string, dst: FloatArray, src: number[] | undefined, name: string, i: number): void {
  if (!src || src.length !== dst.length) {
    throw new HandgradError(`${what}.loadState: buffer '${name}' of parameter ${i} has ${src?.length ?? 0} values, expected ${dst.length}`);
  }
  onHost(dst).set(src);
}
