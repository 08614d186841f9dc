// One registry, one set of defaults: a model is built from the same LayerConfig objects that a
// checkpoint stores, through the same constructors, so a saved model rebuilds exactly.

import { HandgradError } from '../tensor.js';
import { GELU, Identity, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh } from './activations.js';
import { Conv2d } from './conv.js';
import { Dropout, type DropoutMode } from './dropout.js';
import { Embedding } from './embedding.js';
import type { InitName } from './init.js';
import { Linear } from './linear.js';
import type { LayerConfig, Module } from './module.js';
import { BatchNorm1d, BatchNorm2d, LayerNorm, type BatchNormOptions } from './norm.js';
import { AvgPool2d, Flatten, MaxPool2d } from './pool.js';
import { Sequential } from './sequential.js';
import { LogSoftmax, Softmax } from './softmax.js';

type Builder = (c: LayerConfig) => Module;

const builders: Record<string, Builder> = {
  Linear: (c) => new Linear(c.inFeatures as number, c.outFeatures as number, { bias: c.bias as boolean | undefined, init: c.init as InitName | undefined }),
  ReLU: (c) => new ReLU({ scale: c.scale as number | undefined }),
  LeakyReLU: (c) => new LeakyReLU({ negativeSlope: c.negativeSlope as number | undefined }),
  Sigmoid: () => new Sigmoid(),
  Tanh: () => new Tanh(),
  GELU: (c) => new GELU({ approximate: c.approximate as 'none' | 'tanh' | undefined }),
  Softplus: (c) => new Softplus({ beta: c.beta as number | undefined, threshold: c.threshold as number | undefined }),
  Identity: () => new Identity(),
  Dropout: (c) => new Dropout({ p: c.p as number | undefined, mode: c.mode as DropoutMode | undefined }),
  Flatten: () => new Flatten(),
  Conv2d: (c) => new Conv2d(c.inChannels as number, c.outChannels as number, c.kernelSize as [number, number], {
    stride: c.stride as [number, number] | undefined, padding: c.padding as [number, number] | undefined,
    bias: c.bias as boolean | undefined, init: c.init as InitName | undefined,
  }),
  MaxPool2d: (c) => new MaxPool2d(c.kernelSize as [number, number], { stride: c.stride as [number, number] | undefined, padding: c.padding as [number, number] | undefined }),
  AvgPool2d: (c) => new AvgPool2d(c.kernelSize as [number, number], { stride: c.stride as [number, number] | undefined, padding: c.padding as [number, number] | undefined }),
  BatchNorm1d: (c) => new BatchNorm1d(c.numFeatures as number, batchNormOptions(c)),
  BatchNorm2d: (c) => new BatchNorm2d(c.numFeatures as number, batchNormOptions(c)),
  LayerNorm: (c) => new LayerNorm(c.normalizedShape as number[], { eps: c.eps as number | undefined, elementwiseAffine: c.elementwiseAffine as boolean | undefined }),
  Softmax: (c) => new Softmax({ dim: c.dim as number }),
  LogSoftmax: (c) => new LogSoftmax({ dim: c.dim as number }),
  Embedding: (c) => new Embedding(c.numEmbeddings as number, c.embeddingDim as number, { paddingIdx: c.paddingIdx as number | null | undefined }),
  Sequential: (c) => {
    if (!Array.isArray(c.layers)) throw new HandgradError('layerFromConfig: a Sequential config needs a "layers" array');
    return new Sequential(...(c.layers as LayerConfig[]).map(layerFromConfig));
  },
};

function batchNormOptions(c: LayerConfig): BatchNormOptions {
  return {
    eps: c.eps as number | undefined, momentum: c.momentum as number | null | undefined,
    affine: c.affine as boolean | undefined, trackRunningStats: c.trackRunningStats as boolean | undefined,
  };
}

export const LAYER_TYPES: readonly string[] = Object.keys(builders);

/** Builds a layer from its config (as produced by layer.config()). */
export function layerFromConfig(config: LayerConfig): Module {
  if (!config || typeof config !== 'object' || typeof config.type !== 'string') {
    throw new HandgradError(`layerFromConfig: expected an object with a "type" field, got ${JSON.stringify(config)}`);
  }
  const b = builders[config.type];
  if (!b) throw new HandgradError(`layerFromConfig: unknown layer type '${config.type}'; known types: ${LAYER_TYPES.join(', ')}`);
  return b(config);
}
