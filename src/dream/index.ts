// Gradient descent on the input: objectives, transforms (jitter, blur, clamp, octaves), the loop.
// Browser-safe. See dream.ts for the step, objectives.ts for objectives and layer names.
export {
  dream, inputGradient, objectiveScore, resolveDreamOptions, clipGradient, softmaxAt, PixelObjective,
  type DreamModel, type DreamOptions, type DreamResult, type DreamStep, type ResolvedDreamOptions, type ClipMode,
} from './dream.js';
export { evaluateObjective, layerNames, resolveLayer, objectiveLayer, describeObjective, type Objective } from './objectives.js';
export {
  roll, gaussianBlur, gaussianKernel, clampInPlace, totalVariation, resizeBilinear, resizeBilinearAdjoint, octaveSizes,
  smoothTotalVariation, smoothL1, meanPrior, type ImageShape,
} from './transforms.js';
export { pcaPrior, projectOntoPrior, type PcaPrior } from './prior.js';
