// The theory of the two assignments, made runnable. Pure computations over the
// library's layers, safe in browsers; each returns its numbers and the numeric checks the
// playground shows as pass/fail and the unit tests assert.

export { check, claim, linspace, maxAbsDiff, type TheoryCheck } from './check.js';
export { activationCurves, CURVE_NAMES, type ActivationCurve, type CurveName } from './activations.js';
export { computationGraph, type ComputationGraph, type GraphNode, type GraphEdge, type GraphOp } from './graph.js';
export {
  xorTheory, xorNetwork, searchPerceptrons, perceptronCorrect, XOR_POINTS, XOR_LABELS, XOR_NETWORK,
  type XorTheory, type XorSearch, type XorInequality,
} from './xor.js';
export { tanhToSigmoid, tanhSigmoidEquivalence, type TanhSigmoidResult } from './tanh-sigmoid.js';
export { dropoutRidge, type DropoutRidgeResult } from './dropout-ridge.js';
export { jacobianOfProduct, type JacobianResult } from './jacobian.js';
export {
  twoLayerTables, TWO_LAYER_ACTIVATIONS, type TwoLayerTables, type TwoLayerActivation, type TwoLayerOptions,
  type ForwardRow, type GradientRow,
} from './two-layer.js';
