// The NYU DS-GA 1008 homework 1 interface, part 2.1: MLP(in1, out1, f, in2, out2, g),
// forward, backward(dJ/dŷ), clearGradAndCache, and losses returning { J, dJdy_hat }.
// Run: node examples/nyu-mlp.mjs   (after `npm run build`)
import { Tensor, Random, nyu } from 'handgrad';

const rng = new Random(0);
const batch = 10;
const x = Tensor.zeros([batch, 2]);
rng.fillNormal(x.data);
// Target: 1 when the point lies inside the unit circle (a task no linear model can do).
const y = Tensor.fromArray(Array.from({ length: batch }, (_, i) => (x.data[2 * i] ** 2 + x.data[2 * i + 1] ** 2 < 1 ? 1 : 0)), [batch, 1]);

// ŷ = σ(W₂ ReLU(W₁x + b₁) + b₂), as in the assignment's test with f = relu, g = sigmoid.
const net = new nyu.MLP(2, 20, 'relu', 20, 1, 'sigmoid', { rng });

const yHat = net.forward(x);
const { J, dJdy_hat } = nyu.bceLoss(y, yHat);
net.backward(dJdy_hat);
console.log('BCE loss J =', J.toFixed(6));
const { dJdW1, dJdb1, dJdW2, dJdb2 } = net.grads;
console.log('dJ/dW1 shape', dJdW1.shape, 'dJ/db1 shape', dJdb1.shape, 'dJ/dW2 shape', dJdW2.shape, 'dJ/db2 shape', dJdb2.shape);

// A few hundred steps of gradient descent written out by hand, the way the homework does it.
const lr = 0.5;
for (let step = 0; step <= 300; step++) {
  net.clearGradAndCache();
  const out = net.forward(x);
  const loss = nyu.bceLoss(y, out);
  net.backward(loss.dJdy_hat);
  const { W1, b1, W2, b2 } = net.parameters;
  const g = net.grads;
  for (const [p, dp] of [[W1, g.dJdW1], [b1, g.dJdb1], [W2, g.dJdW2], [b2, g.dJdb2]]) {
    for (let i = 0; i < p.size; i++) p.data[i] -= lr * dp.data[i];
  }
  if (step % 100 === 0) console.log(`step ${step}: J = ${loss.J.toFixed(5)}`);
}

// The same net with MSE, as the homework's mse_loss.
const { J: mse } = nyu.mseLoss(y, net.forward(x));
console.log('MSE after training =', mse.toFixed(5));
