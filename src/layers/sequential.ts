// Sequential(l0, l1, …): y = l_n(…l1(l0(x))); backward runs the layers in reverse,
// each receiving the gradient the next one returned (the chain rule, one layer at a time).
// A ReLU (scale 1) followed by a MaxPool2d runs as one step, maxPool(relu(x)) computed as
// relu(maxPool(x)) by the pool (MaxPool2d.forwardAfterReLU: the same bits, forward and backward,
// with the ReLU's passes over the pooled quarter of x); the ReLU itself is then not run.

import type { Tensor } from '../tensor.js';
import { ReLU } from './activations.js';
import { LayerError, Module, describeValue, type LayerConfig } from './module.js';
import { MaxPool2d } from './pool.js';
import type { SparseBatch } from './sparse-input.js';

/** Whether layer `l` and the `next` run as one step: a ReLU of scale 1 before a MaxPool2d, both computing their input gradient. */
function reluBeforePool(l: Module, next: Module | undefined): l is ReLU {
  return l instanceof ReLU && l.scale === 1 && l.computeInputGradient && next instanceof MaxPool2d && next.computeInputGradient;
}

/**
 * Layers applied in order, y = l_n(…l1(l0(x))), as torch.nn.Sequential; backward runs them in
 * reverse, each receiving the gradient the next one returned. Submodules are named '0', '1', …
 * (parameters "0.weight", "2.bias", …).
 */
export class Sequential extends Module {
  /** The layers, in the order forward applies them. */
  readonly layers: Module[];
  private ran = false;
  /** fused[i]: the last forward ran layer i (a ReLU) inside layer i + 1 (a MaxPool2d). */
  private readonly fused: boolean[];

  /** A network of `layers` (Modules), applied in the order given. */
  constructor(...layers: Module[]) {
    super();
    layers.forEach((l, i) => {
      if (!(l instanceof Module)) throw new LayerError(`Sequential: item ${i} must be a layer (a Module), got ${describeValue(l)}`);
      this.addChild(String(i), l);
    });
    this.layers = layers;
    this.fused = layers.map(() => false);
  }

  describe(): string {
    return `Sequential(${this.layers.map((l) => l.describe()).join(', ')})`;
  }

  config(): LayerConfig {
    return { type: 'Sequential', layers: this.layers.map((l) => l.config()) };
  }

  forward(x: Tensor): Tensor {
    const h = this.forwardFrom(0, x);
    this.ran = true;
    return h;
  }

  /** Layers `from` … on h, a ReLU before a MaxPool2d as one step. */
  private forwardFrom(from: number, h: Tensor): Tensor {
    const ls = this.layers;
    this.fused.fill(false);
    for (let i = from; i < ls.length; i++) {
      const l = ls[i]!, next = ls[i + 1];
      if (reluBeforePool(l, next) && next instanceof MaxPool2d) {
        l.forgetSaved();
        h = next.forwardAfterReLU(h);
        this.fused[i] = true;
        i++;
      } else {
        h = l.forward(h);
      }
    }
    return h;
  }

  override acceptsSparse(): boolean {
    return this.layers[0]?.acceptsSparse() ?? false;
  }

  /** The first layer takes the sparse batch; every later one gets the dense output before it. */
  override forwardSparse(x: SparseBatch): Tensor {
    const first = this.layers[0];
    if (!first?.acceptsSparse()) this.fail(`takes no sparse batch: its first layer ${first ? first.describe() : '(none)'} needs a dense tensor`);
    const h = this.forwardFrom(1, first.forwardSparse(x));
    this.ran = true;
    return h;
  }

  /** Runs forward and returns every intermediate output: [input, after layer 0, after layer 1, …]. */
  forwardTrace(x: Tensor): Tensor[] {
    const trace = [x];
    let h = x;
    this.fused.fill(false);
    for (const l of this.layers) {
      h = l.forward(h);
      trace.push(h.clone());
    }
    this.ran = true;
    return trace;
  }

  backward(dy: Tensor): Tensor {
    if (!this.ran) throw new LayerError(`${this.describe()}: backward() called before forward(); run forward on a batch first`);
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      g = this.layers[i]!.backward(g);
      // (the pool's backward was that of the pair: skip the ReLU)
      if (i > 0 && this.fused[i - 1]) i--;
    }
    return g;
  }
}
