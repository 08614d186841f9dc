// Sequential(l0, l1, …): y = l_n(…l1(l0(x))); backward runs the layers in reverse,
// each receiving the gradient the next one returned (the chain rule, one layer at a time).

import type { Tensor } from '../tensor.js';
import { LayerError, Module, describeValue, type LayerConfig } from './module.js';

/**
 * Layers applied in order, y = l_n(…l1(l0(x))), as torch.nn.Sequential; backward runs them in
 * reverse, each receiving the gradient the next one returned. Submodules are named '0', '1', …
 * (parameters "0.weight", "2.bias", …).
 */
export class Sequential extends Module {
  /** The layers, in the order forward applies them. */
  readonly layers: Module[];
  private ran = false;

  /** A network of `layers` (Modules), applied in the order given. */
  constructor(...layers: Module[]) {
    super();
    layers.forEach((l, i) => {
      if (!(l instanceof Module)) throw new LayerError(`Sequential: item ${i} must be a layer (a Module), got ${describeValue(l)}`);
      this.addChild(String(i), l);
    });
    this.layers = layers;
  }

  describe(): string {
    return `Sequential(${this.layers.map((l) => l.describe()).join(', ')})`;
  }

  config(): LayerConfig {
    return { type: 'Sequential', layers: this.layers.map((l) => l.config()) };
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const l of this.layers) h = l.forward(h);
    this.ran = true;
    return h;
  }

  /** Runs forward and returns every intermediate output: [input, after layer 0, after layer 1, …]. */
  forwardTrace(x: Tensor): Tensor[] {
    const trace = [x];
    let h = x;
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
    for (let i = this.layers.length - 1; i >= 0; i--) g = this.layers[i]!.backward(g);
    return g;
  }
}
