// One interface for every optimiser: step() updates the parameters from their accumulated
// gradients, zeroGrad() clears them, and the state (momentum buffers, moments, step count)
// can be saved with a checkpoint and loaded back.

import { HandgradError, onHost, type FloatArray } from '../tensor.js';
import { zeroGradOf, type Parameter } from '../parameter.js';

export interface OptimizerState {
  /** The optimiser's registry name ('sgd', 'adam', 'adamw', 'rmsprop'; see optim/index.ts). */
  type: string;
  step: number;
  /** Named per-parameter buffers, in the order of the parameter list: buffers[i][name]. */
  buffers: Record<string, number[]>[];
}

export abstract class Optimizer {
  readonly params: Parameter[];
  /** Number of step() calls so far. */
  stepCount = 0;
  /** The registry name, saved as the state's type (a literal: class names do not survive minifiers). */
  abstract readonly kind: string;
  /** The name in messages: 'SGD', 'Adam', … */
  readonly label: string;

  constructor(params: Parameter[], label: string) {
    if (!Array.isArray(params) || params.length === 0) {
      throw new HandgradError(`${label}: expected a non-empty list of parameters (model.parameters()), got ${Array.isArray(params) ? 'an empty list' : typeof params}`);
    }
    this.params = params;
    this.label = label;
  }

  abstract step(): void;
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

  abstract state(): OptimizerState;
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
