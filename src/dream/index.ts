// Gradient descent on the input: objectives, transforms (jitter, blur, clamp, octaves), the
// options and their table, the data prior, the loop. Browser-safe. See dream.ts for the step,
// options.ts for the options, objectives.ts for objectives and layer names.
export {
  dream, inputGradient, objectiveScore, clipGradient, softmaxAt, PixelObjective, PENALTY_EPS,
  type DreamModel, type DreamResult,
} from './dream.js';
export {
  resolveDreamOptions, objectiveList, DREAM_TRICKS,
  type DreamOptions, type DreamStep, type ResolvedDreamOptions, type ClipMode, type DreamStart, type DreamTrick, type DreamTrickSpec,
  type NumberTrick, type SwitchTrick, type ChoiceTrick,
} from './options.js';
export { dreamModelOf, layerChannels, sequentialOf, type TrainedClassifier, type DreamNetwork } from './model.js';
export {
  evaluateObjective, layerNames, resolveLayer, objectiveLayer, describeObjective, CLASS_OBJECTIVES, DEFAULT_CLASS_OBJECTIVE,
  type Objective, type ClassObjectiveKind,
} from './objectives.js';
export {
  roll, gaussianBlur, gaussianKernel, clampInPlace, totalVariation, resizeBilinear, resizeBilinearAdjoint, octaveSizes,
  smoothTotalVariation, smoothL1, meanPrior, type ImageShape,
} from './transforms.js';
export { pcaPrior, projectOntoPrior, priorFromSplit, type PcaPrior, type DataPrior } from './prior.js';
