// 500 Adam steps of a 784-128-10 MLP on one batch of 64 through the public API, as a new user
// writes them; the backend is the default (wasm in Node) or HANDGRAD_BACKEND=ref. Run after npm run build:
//   node bench/adam500.mjs; HANDGRAD_BACKEND=ref node bench/adam500.mjs
const { Tensor, nn, optim, backend, Random } = await import('../dist/src/index.js');
const rng = new Random(0);
const x = Tensor.randn([64, 784], { rng });
const labels = Array.from({ length: 64 }, (_, i) => i % 10);
const model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
const lossFn = new nn.CrossEntropyLoss();
const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
const t0 = performance.now(); const c0 = process.cpuUsage();
let loss = 0;
for (let i = 0; i < 500; i++) {
  opt.zeroGrad();
  loss = lossFn.forward(model.forward(x), labels);
  model.backward(lossFn.backward());
  opt.step();
}
const c = process.cpuUsage(c0);
console.log(`${backend().describe()}: 500 Adam steps ${((performance.now() - t0) / 1000).toFixed(2)} s wall, ${((c.user + c.system) / 1e6).toFixed(2)} s CPU, final loss ${Number(loss).toFixed(4)}`);
process.exit(0);
