// The browser-safe training API, re-exported by src/index.ts as `training`.
// Node-only parts (run directories, checkpoint and bundle files) are in run-node.ts,
// checkpoint-node.ts, bundle-node.ts and saved-node.ts.
export {
  DEFAULT_CONFIG, NORMALIZE_MODES, resolveConfig, modelConfig, modelInputShape, buildModel, buildFromConfig, dropoutLayers, runStreams,
  type TrainConfig, type OptimizerName, type NormalizeMode, type BuildOptions,
} from './config.js';
export {
  MODEL_KINDS, MODEL_KIND_NAMES, resolveModelSpec, modelLoss,
  type ModelKind, type ModelSpec, type ModelKindSpec, type OutputActivation, type LossKind,
} from '../models/kinds.js';
export { Objective } from './objective.js';
export { BatchLoader, computeNormalization, checkNormalization, normalizeInto, type Normalization, type Batch, type LoaderOptions } from './loader.js';
export {
  train, TrainingSession, TrainingDivergedError, loadWeights,
  type EpochRecord, type StepRecord, type TrainState, type TrainCallbacks, type SessionOptions, type SliceResult, type StartingModel,
} from './loop.js';
export { evaluateModel, countCorrect, softmaxRow, type Evaluation } from './evaluate.js';
export { HISTORY_FIELDS, VAL_FIELDS, historyCsv, historyJsonl } from './history.js';
export { checkpointToBytes, checkpointFromBytes, CHECKPOINT_FORMAT, type Checkpoint } from './checkpoint.js';
export { saveModel, loadModel, sessionModelInfo, BUNDLE_FORMAT, type ModelInfo, type LoadedModel, type BundleData } from './bundle.js';
export { saveModelFile, loadModelFile } from './bundle-file.js';
export { readSafetensors, writeSafetensors, SafetensorsError, type SafetensorsFile } from '../io/safetensors.js';
