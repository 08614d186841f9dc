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
export { MaxPool2d, Flatten, type MaxPool2dOptions } from './layers/pool.js';
export { Sequential } from './layers/sequential.js';
export { Loss, MSELoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, type Reduction, type LossOptions } from './layers/losses.js';
export { layerFromConfig, LAYER_TYPES } from './layers/registry.js';
export { initWeight, initBias, INIT_NAMES, type InitName } from './layers/init.js';
export { mlp, activation, ACTIVATION_NAMES, type ActivationName, type MLPOptions } from './models/mlp.js';
