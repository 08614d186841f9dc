// The CMU 10-417 homework 1 interface: Transform classes with forward / backward / step /
// zerograd, LinearMap with momentum, ReLU with (CMU) dropout, SoftmaxCrossEntropyLoss,
// SingleLayerMLP and TwoLayerMLP.
// Run: node examples/cmu-mlp.mjs   (after `npm run build`)
import { Tensor, Random, cmu } from 'handgrad';

// Three interleaved spirals, 3 classes: a small task that needs hidden layers.
const rng = new Random(1);
const perClass = 100;
const n = 3 * perClass;
const X = Tensor.zeros([n, 2]);
const labels = new Int32Array(n);
for (let c = 0; c < 3; c++) {
  for (let i = 0; i < perClass; i++) {
    const r = i / perClass;
    const t = c * 4 + 4 * r + 0.2 * rng.normal();
    const k = c * perClass + i;
    X.data[2 * k] = r * Math.sin(t);
    X.data[2 * k + 1] = r * Math.cos(t);
    labels[k] = c;
  }
}

// TwoLayerMLP(inp, outp, hiddenlayers, alpha (momentum), dropout_chance, lr)
const net = new cmu.TwoLayerMLP(2, 3, [64, 64], 0.9, 0.1, 0.05, { rng });
const lossFn = new cmu.SoftmaxCrossEntropyLoss();
const batch = 30;
const xb = Tensor.zeros([batch, 2]);
const yb = new Int32Array(batch);
for (let epoch = 1; epoch <= 200; epoch++) {
  const order = rng.permutation(n);
  for (let s = 0; s + batch <= n; s += batch) {
    for (let j = 0; j < batch; j++) {
      const k = order[s + j];
      xb.data[2 * j] = X.data[2 * k];
      xb.data[2 * j + 1] = X.data[2 * k + 1];
      yb[j] = labels[k];
    }
    net.zerograd();
    const logits = net.forward(xb, true);
    lossFn.forward(logits, yb);
    net.backward(lossFn.backward());
    net.step();
  }
  if (epoch % 50 === 0) {
    const loss = lossFn.forward(net.forward(X, false), labels);
    console.log(`epoch ${epoch}: loss ${loss.toFixed(4)}, accuracy ${(100 * lossFn.getAccu()).toFixed(1)}%`);
  }
}

// The layers one by one, as the homework builds them.
const lin = new cmu.LinearMap(2, 3, 0.4, 0.1, { rng });
const relu = new cmu.ReLU(0.5, { rng });
const h = relu.forward(lin.forward(X), true);
lin.backward(relu.backward(Tensor.full(h.shape, 1)));
lin.step();
console.log('LinearMap W shape', lin.getW().shape, 'b shape', lin.getb().shape);
