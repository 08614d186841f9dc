// The CMU 10-417 homework interface: Transform with forward / backward / step / zerograd.
export { LinearMap, ReLU, SoftmaxCrossEntropyLoss, SingleLayerMLP, TwoLayerMLP, type Transform } from './models/assignments.js';
