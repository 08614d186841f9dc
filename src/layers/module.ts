// The contract every layer keeps:
//  - forward(x) computes the output and keeps, in named fields, what backward needs;
//  - backward(dL/dy) returns dL/dx and ADDS into its parameters' gradients (never overwrites);
//  - zeroGrad() clears those gradients; train()/eval() switch modes (dropout).
//    Optimizer.zeroGrad() clears them lazily (see parameter.ts).
// Output and input-gradient tensors are owned by the layer and reused from call to call (no
// allocation in the training loop): clone() a result you want to keep past the next call.

import { allocateFor, kernelsFor } from '../backend.js';
import { createParameter, type Parameter } from '../parameter.js';
import { HandgradError, onHost, Tensor, shapeSize, shapeString, type DType } from '../tensor.js';
import type { LayerConfig } from './config.js';
import { summarize, type ModelSummary } from './summary.js';

export type { LayerConfig };

/**
 * The error a layer throws: its message starts with the layer's {@link Module.describe}, e.g.
 * "Linear(784 → 128): expected an input of shape [batch, 784], got [1, 28, 28]".
 */
export class LayerError extends HandgradError {
  /** Always 'LayerError'. */
  override name = 'LayerError';
}

/**
 * A layer or a network of layers, with a hand-written forward and backward pass.
 *
 * The contract every module keeps:
 * - `forward(x)` computes the output and keeps what `backward` needs (the input, masks, …);
 * - `backward(dy)` takes dL/dy (the shape of the last output), returns dL/dx (the shape of the
 *   last input) and ADDS the parameters' gradients into `p.grad` (never overwrites them), so
 *   gradients of several backward calls accumulate until `zeroGrad()`;
 * - the returned output and input-gradient tensors belong to the module and are reused by its
 *   next call (no allocation in the training loop): `clone()` a result kept past the next call.
 *
 * Batch first: a batch of vectors is [batch, features], of images [batch, channels, height, width].
 */
export abstract class Module {
  /** True in training mode (dropout drops, batch norm uses batch statistics); set by train()/eval(). */
  training = true;
  /**
   * When false, a layer with parameters (Linear, Conv2d) skips computing dL/dx in backward and
   * returns zeros instead: the first layer of a network never needs its input gradient (the
   * data is not trained), and on an MLP that saves a third of the backward's work. Parameter
   * gradients are unaffected. Default true (needed by gradcheck and by dream).
   */
  computeInputGradient = true;
  /** Submodules with their names (Sequential uses '0', '1', … like PyTorch). */
  protected readonly childModules: [string, Module][] = [];
  /** This layer's own parameters. */
  protected readonly ownParameters: Parameter[] = [];
  /**
   * This layer's own buffers: state that is saved with the model but not trained (BatchNorm's
   * running statistics), as PyTorch's register_buffer.
   */
  protected readonly ownBuffers: [string, Tensor][] = [];

  /** A short description used in every error message, e.g. "Linear(784 → 60)". */
  abstract describe(): string;
  /**
   * The output for the batch `x`; keeps what backward needs. The returned tensor belongs to the
   * module and is overwritten by the next forward: clone() it to keep it.
   */
  abstract forward(x: Tensor): Tensor;
  /**
   * Differentiates the last forward: takes dL/dy (the shape and dtype of the last output), ADDS
   * dL/dθ into each parameter's `grad` (accumulates; zeroGrad() clears) and returns dL/dx in the shape
   * of the last input (zeros when `computeInputGradient` is false). The returned tensor belongs to the
   * module and is overwritten by the next backward.
   */
  abstract backward(dy: Tensor): Tensor;
  /** The options that rebuild this layer (registry.ts). */
  abstract config(): LayerConfig;

  /** All parameters of this layer and its submodules, in a stable order. */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Parameters with PyTorch-style dotted names: "0.weight", "2.bias". */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = this.ownParameters.map((p) => [prefix + p.name, p]);
    for (const [name, child] of this.childModules) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  /** Buffers with PyTorch-style dotted names: "1.running_mean". */
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = this.ownBuffers.map(([n, t]) => [prefix + n, t]);
    for (const [name, child] of this.childModules) out.push(...child.namedBuffers(`${prefix}${name}.`));
    return out;
  }

  /**
   * Every tensor that defines the model, in the order of PyTorch's state_dict(): each module's
   * own parameters, then its own buffers, then its children's, depth first.
   */
  stateDict(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = this.ownParameters.map((p) => [prefix + p.name, p.value]);
    for (const [n, t] of this.ownBuffers) out.push([prefix + n, t]);
    for (const [name, child] of this.childModules) out.push(...child.stateDict(`${prefix}${name}.`));
    return out;
  }

  /** The direct submodules with their names (a copy of the list). */
  children(): [string, Module][] {
    return [...this.childModules];
  }

  /**
   * One row per layer with its output shape and parameter count, the totals, and the memory of
   * the parameters and of the activations for a batch of `batchSize` (summary.ts).
   */
  summary(inputShape: readonly number[], batchSize = 1): ModelSummary {
    return summarize(this, inputShape, batchSize);
  }

  /** Sets the gradient of every parameter (own and submodules') to zero, now. */
  zeroGrad(): void {
    for (const p of this.parameters()) kernelsFor(p.grad.dtype).fill(p.grad.storage, 0);
  }

  /** Switches this module and its submodules to training mode (or to evaluation when `mode` is false). */
  train(mode = true): this {
    this.training = mode;
    for (const [, c] of this.childModules) c.train(mode);
    return this;
  }

  /** Switches this module and its submodules to evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Converts every parameter (and its gradient) to `dtype`, in place. */
  to(dtype: DType): this {
    for (const p of this.ownParameters) {
      if (p.value.dtype === dtype) continue;
      p.value = new Tensor(copyInto(allocateFor(dtype, p.value.size), p.value.data), p.value.shape);
      p.grad = new Tensor(allocateFor(dtype, p.grad.size), p.grad.shape);
    }
    for (const entry of this.ownBuffers) {
      const t = entry[1];
      if (t.dtype !== dtype) entry[1] = new Tensor(copyInto(allocateFor(dtype, t.size), t.data), t.shape);
    }
    for (const [, c] of this.childModules) c.to(dtype);
    this.onDtypeChange();
    return this;
  }

  /** Called after to(); layers drop caches of the old dtype here. */
  protected onDtypeChange(): void {}

  // ---- helpers for subclasses ----------------------------------------------------------

  /** Creates a zero-filled parameter (value and gradient of `shape` and `dtype`) owned by this layer. */
  protected addParameter(name: string, shape: number[], dtype: DType): Parameter {
    const size = shapeSize(shape);
    const p = createParameter(name, new Tensor(allocateFor(dtype, size), shape), new Tensor(allocateFor(dtype, size), shape));
    this.ownParameters.push(p);
    return p;
  }

  /** Registers a buffer (saved, not trained); returns the tensor, whose data the layer updates in place. */
  protected addBuffer(name: string, shape: number[], dtype: DType): Tensor {
    const t = new Tensor(allocateFor(dtype, shapeSize(shape)), shape);
    this.ownBuffers.push([name, t]);
    return t;
  }

  /** The current tensor of an own buffer (to() may replace it). */
  protected buffer(name: string): Tensor {
    const entry = this.ownBuffers.find(([n]) => n === name);
    if (!entry) this.fail(`no buffer '${name}'`);
    return entry[1];
  }

  /** Registers a submodule under `name` (its parameters are named "name.weight", …). */
  protected addChild(name: string, m: Module): void {
    this.childModules.push([name, m]);
  }

  /** Throws a {@link LayerError} whose message starts with this layer's description. */
  protected fail(message: string): never {
    throw new LayerError(`${this.describe()}: ${message}`);
  }

  /** Throws unless `x` is a Tensor, naming `what` it is and what was passed. */
  protected requireTensor(x: unknown, what: string): asserts x is Tensor {
    if (!(x instanceof Tensor)) this.fail(`${what} must be a Tensor, got ${describeValue(x)}`);
  }

  /** Throws unless dy has exactly the shape of the forward output. */
  protected requireGradShape(dy: unknown, saved: Tensor | null): asserts dy is Tensor {
    if (saved === null) this.fail('backward() called before forward(); run forward on a batch first');
    this.requireTensor(dy, 'the gradient passed to backward()');
    if (!sameShape(dy.shape, saved.shape)) {
      this.fail(`backward() got a gradient of shape ${shapeString(dy.shape)}, expected the output shape ${shapeString(saved.shape)}`);
    }
    if (dy.dtype !== saved.dtype) this.fail(`backward() got a ${dy.dtype} gradient, expected ${saved.dtype} like the output`);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** dst ← src, dst being fresh backend storage (onHost: a device backend uploads it before use). */
function copyInto<T extends Float32Array | Float64Array>(dst: T, src: Float32Array | Float64Array): T {
  onHost(dst).set(src);
  return dst;
}

export function describeValue(x: unknown): string {
  if (x instanceof Tensor) return `a ${x.dtype} tensor of shape ${shapeString(x.shape)}`;
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === 'object') return `a ${(x as object).constructor?.name ?? 'object'}`;
  return `${typeof x} ${String(x)}`;
}

/**
 * A reusable output buffer: returns the same tensor while shape and dtype stay the same, and
 * reallocates only when they change (a new batch size, a last smaller batch, a new dtype).
 */
export class OutputBuffer {
  private t: Tensor | null = null;

  /**
   * The buffer's tensor of `shape` and `dtype`: the same tensor as last time when they are unchanged
   * (its values are those left by the last use), a new one otherwise.
   */
  get(shape: readonly number[], dtype: DType): Tensor {
    const t = this.t;
    if (t && t.dtype === dtype && sameShape(t.shape, shape)) return t;
    if (t && t.dtype === dtype && t.size === shapeSize(shape)) return (this.t = new Tensor(t.storage, shape));
    return (this.t = new Tensor(allocateFor(dtype, shapeSize(shape)), shape));
  }

  /** Like get(), but zero-filled (for gradients that are accumulated into). */
  zeros(shape: readonly number[], dtype: DType): Tensor {
    const t = this.get(shape, dtype);
    kernelsFor(dtype).fill(t.storage, 0);
    return t;
  }

  /** Drops the held tensor; the next get() allocates. */
  clear(): void {
    this.t = null;
  }
}

/** Checks a numeric option: finite, within bounds; names the layer and the option. */
export function checkNumber(
  layer: string, option: string, value: unknown,
  { min, max, minExclusive, maxExclusive, integer }: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean; integer?: boolean } = {},
): number {
  const bad = (expected: string): never => {
    throw new LayerError(`${layer}: option ${option} must be ${expected}, got ${describeValue(value)}`);
  };
  if (typeof value !== 'number' || !Number.isFinite(value)) bad('a finite number');
  const v = value as number;
  if (integer && !Number.isInteger(v)) bad('an integer');
  if (min !== undefined && (minExclusive ? v <= min : v < min)) bad(`${minExclusive ? '>' : '≥'} ${min}`);
  if (max !== undefined && (maxExclusive ? v >= max : v > max)) bad(`${maxExclusive ? '<' : '≤'} ${max}`);
  return v;
}
