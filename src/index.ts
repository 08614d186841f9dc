// handgrad's public API: what a user and the web playground import, browser-safe (no Node
// modules). The command line imports this and src/node.ts, its entry to the Node-only modules;
// the library's own modules import each other directly.
export { Tensor, HandgradError, onHost, shapeSize, shapeString, type DType, type FloatArray, type RandomTensorOptions } from './tensor.js';
export { formatTensor, type PrintOptions } from './tensor-format.js';
export type { HandgradErrorCode, HandgradErrorSubject } from './errors.js';
export { Random, manualSeed, globalRandom, type RandomState } from './random.js';
export {
  backend, setBackend, initBackend, initWasm, initWebGPU, shutdownWasm, kernelsFor, refBackend, BACKEND_KINDS, AUTO_ORDER,
  type BackendKind, type BackendChoice, type BackendOptions, type InitOptions, type WasmOptions, type WebGPUBackend, type WebGPUOptions,
} from './backend.js';
export { WEBGPU_SUPPORT } from './kernels/webgpu/index.js';
export type * from './kernels/table.js';
export { refKernels } from './kernels/ref/index.js';
export * as nn from './nn.js';
export * as optim from './optim.js';
export { gradcheck, gradcheckLoss, assertGradcheck, type GradcheckOptions, type GradcheckResult, type GradcheckEntry } from './check/gradcheck.js';
export * as nyu from './nyu.js';
export * as cmu from './cmu.js';
export type { Dataset, Split } from './data/types.js';
export * as theory from './theory/index.js';
export { readSafetensors, writeSafetensors, SafetensorsError, type SafetensorsFile } from './io/safetensors.js';
export * as dream from './dream/index.js';
export * as data from './data/index.js';
export * as training from './train/index.js';
export { saveModel, loadModel, type ModelInfo, type LoadedModel, type BundleData } from './train/bundle.js';
export { saveModelFile, loadModelFile } from './train/bundle-file.js';
