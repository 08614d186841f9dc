// The training toolkit in a dozen lines: a CNN with BatchNorm, a one-cycle learning-rate
// schedule and gradient clipping, trained on a fixed batch, then the model's summary.
// Run: node examples/toolkit.mjs   (after `npm run build`)
import { Tensor, Random, nn, optim } from 'handgrad';

// 32 random 28×28 images; the label of each is the quadrant holding its brightest pixel.
const rng = new Random(0);
const x = Tensor.zeros([32, 1, 28, 28]);
rng.fillNormal(x.data);
const labels = Array.from({ length: 32 }, (_, b) => {
  const img = x.data.subarray(b * 784, (b + 1) * 784);
  const i = img.indexOf(Math.max(...img));
  return 2 * Number(Math.floor(i / 28) >= 14) + Number(i % 28 >= 14);
});

const model = new nn.Sequential(
  new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(), new nn.Linear(8 * 14 * 14, 4),
);
const lossFn = new nn.CrossEntropyLoss();
const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
const schedule = new optim.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 60 });
for (let step = 1; step <= 60; step++) {
  opt.zeroGrad();
  const loss = lossFn.forward(model.forward(x), labels);
  model.backward(lossFn.backward());
  const norm = nn.utils.clipGradNorm(model.parameters(), 1.0);  // returns the norm before clipping
  opt.step();
  schedule.step();
  if (step % 20 === 0 || step === 1) console.log(`step ${step}  loss ${loss.toFixed(4)}  grad norm ${norm.toFixed(3)}  next lr ${opt.lr.toExponential(2)}`);
}
console.log(nn.formatSummary(model.summary([1, 28, 28], 32)));
