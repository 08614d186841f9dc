// The browser-safe training API, re-exported by src/index.ts as `training`.
// Node-only parts (run directories, checkpoint files) are in run-node.ts, checkpoint-node.ts
// and saved-node.ts.
export {
  DEFAULT_CONFIG, MODEL_KINDS, resolveConfig, modelConfig, modelInputShape, buildModel, buildFromConfig, dropoutLayers, runStreams,
  type TrainConfig, type ModelSpec, type ModelKind, type OptimizerName, type NormalizeMode, type BuildOptions,
} from './config.js';
export { BatchLoader, computeNormalization, checkNormalization, normalizeInto, type Normalization, type Batch, type LoaderOptions } from './loader.js';
export {
  train, TrainingSession, TrainingDivergedError, evaluateModel, loadWeights, countCorrect, softmaxRow,
  type EpochRecord, type StepRecord, type TrainState, type TrainCallbacks, type SessionOptions,
} from './loop.js';
export { weightsToSafetensors, weightsFromSafetensors, stateToJson, stateFromJson, type ReadWeights } from './checkpoint.js';
export { readSafetensors, writeSafetensors, SafetensorsError, type SafetensorsFile } from '../io/safetensors.js';
