// The `nn` namespace: layers, losses and model builders under PyTorch-like names.
export { Module, OutputBuffer, LayerError, type LayerConfig } from './layers/module.js';
export type { Parameter } from './parameter.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export * from './layers/activations.js';
export {
  validateLayerConfig, MAX_SIZE, DEFAULT_LIMITS, DROPOUT_MODES,
  type LayerType, type ConfigLimits, type SequentialConfig, type ElementwiseType, type ElementwiseOptions,
} from './layers/config.js';
export { Dropout, type DropoutMode, type DropoutOptions } from './layers/dropout.js';
export { Conv2d, type Conv2dOptions } from './layers/conv.js';
export { MaxPool2d, AvgPool2d, Flatten, type MaxPool2dOptions, type AvgPool2dOptions } from './layers/pool.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, type BatchNormOptions, type LayerNormOptions } from './layers/norm.js';
export { Softmax, LogSoftmax, type SoftmaxOptions } from './layers/softmax.js';
export { Embedding, type EmbeddingOptions } from './layers/embedding.js';
export { Sequential } from './layers/sequential.js';
export {
  Loss, MSELoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss, type Reduction, type LossOptions, type NLLLossOptions,
} from './layers/losses.js';
export { layerFromConfig, LAYER_TYPES } from './layers/registry.js';
export { initWeight, initBias, INIT_NAMES, type InitName } from './layers/init.js';
export { mlp, activation, ACTIVATION_NAMES, type ActivationName, type MLPOptions } from './models/mlp.js';
export * as utils from './optim/clip.js';
export { summarize, formatSummary, summaryTotals, formatBytes, type ModelSummary, type SummaryRow } from './layers/summary.js';
