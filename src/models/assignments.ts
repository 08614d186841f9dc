// The two course assignments' own interfaces, as thin adapters over the same layers (no second
// implementation). A student porting the Python homework should recognise every name.
//
// NYU DS-GA 1008 (hw1, part 2.1):
//   const net = new MLP(in1, out1, 'relu', in2, out2, 'sigmoid');
//   const yHat = net.forward(x); const { J, dJdy_hat } = bceLoss(y, yHat);
//   net.backward(dJdy_hat); net.grads.dJdW1 …; net.clearGradAndCache();
// CMU 10-417 (hw1, part 1): Transform with forward / backward / step / zerograd:
//   LinearMap(indim, outdim, alpha, lr), ReLU(dropoutChance), SoftmaxCrossEntropyLoss,
//   SingleLayerMLP(inp, outp, hiddenlayer, alpha, dropoutChance, lr), TwoLayerMLP(…, hiddenlayers, …).

import { ReLU as ReLULayer } from '../layers/activations.js';
import { Dropout } from '../layers/dropout.js';
import { Linear } from '../layers/linear.js';
import { BCELoss, CrossEntropyLoss, MSELoss } from '../layers/losses.js';
import type { Module } from '../layers/module.js';
import { Sequential } from '../layers/sequential.js';
import { SGD } from '../optim/sgd.js';
import { globalRandom, type Random } from '../random.js';
import { HandgradError, Tensor, type DType } from '../tensor.js';
import { activation, type ActivationName } from './mlp.js';

// ---------------------------------------------------------------------------------------------
// NYU
// ---------------------------------------------------------------------------------------------

/** The NYU activation names: f and g of MLP(in1, out1, f, in2, out2, g). */
export type NyuFunction = ActivationName;

/** The NYU network's parameters under the assignment's names (the layers' own tensors, not copies). */
export interface NyuParameters {
  /** W₁, shape [linear_1_out_features, linear_1_in_features]. */
  W1: Tensor;
  /** b₁, shape [linear_1_out_features]. */
  b1: Tensor;
  /** W₂, shape [linear_2_out_features, linear_2_in_features]. */
  W2: Tensor;
  /** b₂, shape [linear_2_out_features]. */
  b2: Tensor;
}

/** The gradients of J under the assignment's names, each the shape of its parameter. */
export interface NyuGradients {
  /** dJ/dW₁. */
  dJdW1: Tensor;
  /** dJ/db₁. */
  dJdb1: Tensor;
  /** dJ/dW₂. */
  dJdW2: Tensor;
  /** dJ/db₂. */
  dJdb2: Tensor;
}

/** Linear₁ → f → Linear₂ → g, i.e. ŷ = g(W₂ f(W₁x + b₁) + b₂), batch first. */
export class MLP {
  /** The network as one Sequential: Linear₁, f, Linear₂, g. */
  readonly net: Sequential;
  /** Linear₁. */
  readonly linear1: Linear;
  /** Linear₂. */
  readonly linear2: Linear;
  private ranForward = false;

  /**
   * The assignment's MLP(linear_1_in_features, linear_1_out_features, f_function, linear_2_in_features,
   * linear_2_out_features, g_function); linear_1_out_features must equal linear_2_in_features.
   */
  constructor(
    linear1InFeatures: number, linear1OutFeatures: number, fFunction: NyuFunction,
    linear2InFeatures: number, linear2OutFeatures: number, gFunction: NyuFunction,
    options: { dtype?: DType; rng?: Random } = {},
  ) {
    if (linear1OutFeatures !== linear2InFeatures) {
      throw new HandgradError(`MLP: linear_1_out_features (${linear1OutFeatures}) must equal linear_2_in_features (${linear2InFeatures})`);
    }
    this.linear1 = new Linear(linear1InFeatures, linear1OutFeatures, options);
    this.linear2 = new Linear(linear2InFeatures, linear2OutFeatures, options);
    this.net = new Sequential(this.linear1, activation(fFunction), this.linear2, activation(gFunction));
  }

  /** W1 (out1, in1), b1, W2 (out2, in2), b2 — the live parameter tensors (write to load weights). */
  get parameters(): NyuParameters {
    return { W1: this.linear1.weight.value, b1: this.linear1.bias!.value, W2: this.linear2.weight.value, b2: this.linear2.bias!.value };
  }

  /** dJ/dW1, dJ/db1, dJ/dW2, dJ/db2, accumulated by backward. */
  get grads(): NyuGradients {
    return { dJdW1: this.linear1.weight.grad, dJdb1: this.linear1.bias!.grad, dJdW2: this.linear2.weight.grad, dJdb2: this.linear2.bias!.grad };
  }

  /** x: (batch, in1) → ŷ: (batch, out2). */
  forward(x: Tensor): Tensor {
    this.ranForward = true;
    return this.net.forward(x);
  }

  /** Takes dJ/dŷ and accumulates dJ/dW1 … dJ/db2. Returns dJ/dx. */
  backward(dJdyHat: Tensor): Tensor {
    if (!this.ranForward) throw new HandgradError('MLP.backward: called before forward (the cache is empty)');
    return this.net.backward(dJdyHat);
  }

  /** Zeroes the gradients and forgets the forward cache, as clear_grad_and_cache. */
  clearGradAndCache(): void {
    this.net.zeroGrad();
    this.ranForward = false;
  }
}

/** J = mean (ŷ − y)² and dJ/dŷ (the NYU mse_loss(y, y_hat)). */
export function mseLoss(y: Tensor, yHat: Tensor): { J: number; dJdy_hat: Tensor } {
  const loss = new MSELoss();
  const J = loss.forward(yHat, y);
  return { J, dJdy_hat: loss.backward().clone() };
}

/** J = −mean[y log ŷ + (1 − y) log(1 − ŷ)] and dJ/dŷ (the NYU bce_loss(y, y_hat)). */
export function bceLoss(y: Tensor, yHat: Tensor): { J: number; dJdy_hat: Tensor } {
  const loss = new BCELoss();
  const J = loss.forward(yHat, y);
  return { J, dJdy_hat: loss.backward().clone() };
}

// ---------------------------------------------------------------------------------------------
// CMU
// ---------------------------------------------------------------------------------------------

/** The CMU base class: one input, one output. */
export interface Transform {
  /** The output for the batch x [batch, indim] (`train` false: evaluation mode, default true). */
  forward(x: Tensor, train?: boolean): Tensor;
  /** Takes dL/dout, accumulates the parameters' gradients and returns dL/dx. */
  backward(gradWrtOut: Tensor): Tensor;
  /** Updates the parameters from their gradients. */
  step(): void;
  /** Clears the gradients. */
  zerograd(): void;
}

/** y = x Wᵀ + b with momentum SGD: G_M ← α·G_M + G, W ← W − lr·G_M (SGD, dampening 0). */
export class LinearMap implements Transform {
  /** The Linear layer holding W and b. */
  readonly layer: Linear;
  private readonly optimizer: SGD;

  /** A map from `indim` to `outdim` features, with momentum `alpha` (default 0) and learning rate `lr` (default 0.01). */
  constructor(indim: number, outdim: number, alpha = 0, lr = 0.01, options: { dtype?: DType; rng?: Random } = {}) {
    this.layer = new Linear(indim, outdim, options);
    this.optimizer = new SGD(this.layer.parameters(), { lr, momentum: alpha });
  }

  forward(x: Tensor): Tensor {
    return this.layer.forward(x);
  }

  backward(gradWrtOut: Tensor): Tensor {
    return this.layer.backward(gradWrtOut);
  }

  step(): void {
    this.optimizer.step();
  }

  zerograd(): void {
    this.layer.zeroGrad();
  }

  /** W, shape [outdim, indim] (the layer's own tensor). */
  getW(): Tensor {
    return this.layer.weight.value;
  }

  /** b, shape [outdim] (the layer's own tensor). */
  getb(): Tensor {
    return this.layer.bias!.value;
  }

  /** Loads W (outdim, indim) and b (outdim). */
  loadparams(w: Tensor, b: Tensor): void {
    loadInto(this.layer.weight.value, w, 'LinearMap.loadparams: W');
    loadInto(this.layer.bias!.value, b, 'LinearMap.loadparams: b');
  }
}

/** max(0, x) followed by CMU dropout: train zeroes each unit with probability p, eval multiplies by 1 − p. */
export class ReLU implements Transform {
  /** The ReLU layer. */
  readonly relu = new ReLULayer();
  /** The dropout layer, in 'cmu' mode. */
  readonly dropout: Dropout;
  private train = true;

  /** A ReLU followed by dropout with probability `dropoutChance` (default 0: none). */
  constructor(dropoutChance = 0, options: { rng?: Random } = {}) {
    this.dropout = new Dropout({ p: dropoutChance, mode: 'cmu', rng: options.rng ?? globalRandom });
  }

  forward(x: Tensor, train = true): Tensor {
    this.train = train;
    this.dropout.train(train);
    return this.dropout.forward(this.relu.forward(x));
  }

  backward(gradWrtOut: Tensor): Tensor {
    return this.relu.backward(this.dropout.backward(gradWrtOut));
  }

  step(): void {}
  zerograd(): void {}

  /** Whether the last forward ran in training mode. */
  get lastTrain(): boolean {
    return this.train;
  }
}

/** Softmax + mean cross-entropy over the batch; labels one-hot (batch, classes) or class indices. */
export class SoftmaxCrossEntropyLoss {
  private readonly loss = new CrossEntropyLoss();
  private labels: Int32Array = new Int32Array(0);

  /** Returns the mean cross-entropy of the batch. */
  forward(logits: Tensor, labels: Tensor | ArrayLike<number>): number {
    const L = this.loss.forward(logits, labels);
    const [B, C] = logits.shape as [number, number];
    if (this.labels.length !== B) this.labels = new Int32Array(B); // reused from batch to batch
    if (labels instanceof Tensor && labels.rank === 2) {
      for (let b = 0; b < B; b++) {
        let best = 0;
        for (let j = 1; j < C; j++) if (labels.data[b * C + j]! > labels.data[b * C + best]!) best = j;
        this.labels[b] = best;
      }
    } else {
      const v = labels instanceof Tensor ? labels.data : labels;
      for (let b = 0; b < B; b++) this.labels[b] = v[b]!;
    }
    return L;
  }

  /** dL/dlogits = (softmax − onehot) / batch. */
  backward(): Tensor {
    return this.loss.backward();
  }

  /** Accuracy of the last forward: the fraction of rows whose largest logit is the label. */
  getAccu(): number {
    const p = this.loss.probabilities;
    const [B, C] = p.shape as [number, number];
    let right = 0;
    for (let b = 0; b < B; b++) {
      let best = 0;
      for (let j = 1; j < C; j++) if (p.data[b * C + j]! > p.data[b * C + best]!) best = j;
      if (best === this.labels[b]) right++;
    }
    return right / B;
  }
}

/** Shared body of the CMU networks: LinearMap → ReLU(dropout) → … → LinearMap (logits). */
class CmuMLP implements Transform {
  /** The linear maps, input to output. */
  readonly linears: LinearMap[];
  /** The ReLU (and dropout) after each hidden linear map. */
  readonly relus: ReLU[];

  constructor(widths: number[], alpha: number, dropoutChance: number, lr: number, options: { dtype?: DType; rng?: Random }) {
    this.linears = [];
    this.relus = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      this.linears.push(new LinearMap(widths[i]!, widths[i + 1]!, alpha, lr, options));
      if (i + 2 < widths.length) this.relus.push(new ReLU(dropoutChance, options));
    }
  }

  /** The layers in order, as one Sequential-like list (for inspection). */
  get layers(): Module[] {
    const out: Module[] = [];
    this.linears.forEach((l, i) => {
      out.push(l.layer);
      if (this.relus[i]) out.push(this.relus[i]!.relu, this.relus[i]!.dropout);
    });
    return out;
  }

  forward(x: Tensor, train = true): Tensor {
    let h = x;
    this.linears.forEach((l, i) => {
      h = l.forward(h);
      if (this.relus[i]) h = this.relus[i]!.forward(h, train);
    });
    return h;
  }

  backward(gradWrtOut: Tensor): Tensor {
    let g = gradWrtOut;
    for (let i = this.linears.length - 1; i >= 0; i--) {
      if (this.relus[i]) g = this.relus[i]!.backward(g);
      g = this.linears[i]!.backward(g);
    }
    return g;
  }

  step(): void {
    for (const l of this.linears) l.step();
  }

  zerograd(): void {
    for (const l of this.linears) l.zerograd();
  }

  /** Each linear map's W, input to output. */
  getWs(): Tensor[] {
    return this.linears.map((l) => l.getW());
  }

  /** Each linear map's b, input to output. */
  getbs(): Tensor[] {
    return this.linears.map((l) => l.getb());
  }

  /** Loads every linear map's W and b (shapes as getWs() and getbs() give them). */
  loadparams(Ws: Tensor[], bs: Tensor[]): void {
    if (Ws.length !== this.linears.length || bs.length !== this.linears.length) {
      throw new HandgradError(`loadparams: expected ${this.linears.length} weight matrices and bias vectors, got ${Ws.length} and ${bs.length}`);
    }
    this.linears.forEach((l, i) => l.loadparams(Ws[i]!, bs[i]!));
  }
}

/** One hidden ReLU layer, logits out. */
export class SingleLayerMLP extends CmuMLP {
  /** inp → hiddenlayer (default 100) → outp, momentum `alpha` (default 0.1), dropout `dropoutChance` (default 0), `lr` (default 0.01). */
  constructor(inp: number, outp: number, hiddenlayer = 100, alpha = 0.1, dropoutChance = 0, lr = 0.01, options: { dtype?: DType; rng?: Random } = {}) {
    super([inp, hiddenlayer, outp], alpha, dropoutChance, lr, options);
  }
}

/** Two hidden ReLU layers, logits out. */
export class TwoLayerMLP extends CmuMLP {
  /** inp → hiddenlayers[0] → hiddenlayers[1] → outp (default [100, 100]), momentum `alpha` (default 0.1), dropout `dropoutChance` (default 0), `lr` (default 0.01). */
  constructor(inp: number, outp: number, hiddenlayers: [number, number] = [100, 100], alpha = 0.1, dropoutChance = 0, lr = 0.01, options: { dtype?: DType; rng?: Random } = {}) {
    super([inp, hiddenlayers[0], hiddenlayers[1], outp], alpha, dropoutChance, lr, options);
  }
}

function loadInto(dst: Tensor, src: Tensor, what: string): void {
  if (dst.size !== src.size || dst.shape.join() !== src.shape.join()) {
    throw new HandgradError(`${what} has shape [${src.shape.join(', ')}], expected [${dst.shape.join(', ')}]`);
  }
  dst.data.set(src.data);
}
