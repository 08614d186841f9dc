// One registry, one set of defaults: a model is built from the same LayerConfig objects that a
// checkpoint stores, through the same constructors, so a saved model rebuilds exactly. A config
// from outside (a file, a checkpoint, the playground) is checked against the schema first
// (config.ts: own properties, sizes, parameter and depth caps), so nothing is allocated for a
// config that would be refused.

import { ELEMENTWISE_LAYERS, Identity, type Activation } from './activations.js';
import {
  ELEMENTWISE_SCHEMAS, LAYER_TYPES, validateLayerConfig, type ConfigLimits, type ConfigMap, type ElementwiseConfig, type ElementwiseType, type LayerConfig, type StructuralType,
} from './config.js';
import { Conv2d } from './conv.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { Linear } from './linear.js';
import type { Module } from './module.js';
import { BatchNorm1d, BatchNorm2d, LayerNorm } from './norm.js';
import { AvgPool2d, Flatten, MaxPool2d } from './pool.js';
import { Sequential } from './sequential.js';
import { LogSoftmax, Softmax } from './softmax.js';
import { isOwnKey } from '../lookup.js';

const BUILDERS: { [T in StructuralType]: (c: ConfigMap[T]) => Module } = {
  Linear: (c) => new Linear(c.inFeatures, c.outFeatures, { bias: c.bias, init: c.init }),
  Conv2d: (c) => new Conv2d(c.inChannels, c.outChannels, c.kernelSize, { stride: c.stride, padding: c.padding, bias: c.bias, init: c.init }),
  MaxPool2d: (c) => new MaxPool2d(c.kernelSize, { stride: c.stride, padding: c.padding }),
  Flatten: () => new Flatten(),
  Identity: () => new Identity(),
  Dropout: (c) => new Dropout({ p: c.p, mode: c.mode }),
  AvgPool2d: (c) => new AvgPool2d(c.kernelSize, { stride: c.stride, padding: c.padding }),
  BatchNorm1d: (c) => new BatchNorm1d(c.numFeatures, { eps: c.eps, momentum: c.momentum, affine: c.affine, trackRunningStats: c.trackRunningStats }),
  BatchNorm2d: (c) => new BatchNorm2d(c.numFeatures, { eps: c.eps, momentum: c.momentum, affine: c.affine, trackRunningStats: c.trackRunningStats }),
  LayerNorm: (c) => new LayerNorm(c.normalizedShape, { eps: c.eps, elementwiseAffine: c.elementwiseAffine }),
  Softmax: (c) => new Softmax({ dim: c.dim }),
  LogSoftmax: (c) => new LogSoftmax({ dim: c.dim }),
  Embedding: (c) => new Embedding(c.numEmbeddings, c.embeddingDim, { paddingIdx: c.paddingIdx }),
};

function buildElementwise<T extends ElementwiseType>(type: T, config: ConfigMap[T]): Activation<T> {
  return new ELEMENTWISE_LAYERS[type](config);
}

function buildStructural<T extends StructuralType>(type: T, config: ConfigMap[T]): Module {
  return BUILDERS[type](config);
}

function isElementwise(c: LayerConfig): c is ElementwiseConfig {
  return isOwnKey(ELEMENTWISE_SCHEMAS, c.type);
}

/** Builds a layer from a config already checked by validateLayerConfig. */
function build(config: LayerConfig): Module {
  if (config.type === 'Sequential') return new Sequential(...config.layers.map(build));
  if (isElementwise(config)) return buildElementwise(config.type, config);
  return buildStructural(config.type, config);
}

export { LAYER_TYPES };

/**
 * Builds a layer from its config (as produced by layer.config(), or read from a file): the config
 * is checked first, and a bad one is refused with an error naming where it is wrong.
 */
export function layerFromConfig(config: unknown, limits: Partial<ConfigLimits> = {}): Module {
  return build(validateLayerConfig(config, 'layerFromConfig', limits));
}
