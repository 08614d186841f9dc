// One registry, one set of defaults: a model is built from the same LayerConfig objects that a
// checkpoint stores, through the same constructors, so a saved model rebuilds exactly.

import { HandgradError } from '../tensor.js';
import { GELU, Identity, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh } from './activations.js';
import { Conv2d } from './conv.js';
import { Dropout, type DropoutMode } from './dropout.js';
import type { InitName } from './init.js';
import { Linear } from './linear.js';
import type { LayerConfig, Module } from './module.js';
import { Flatten, MaxPool2d } from './pool.js';
import { Sequential } from './sequential.js';

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
  Sequential: (c) => {
    if (!Array.isArray(c.layers)) throw new HandgradError('layerFromConfig: a Sequential config needs a "layers" array');
    return new Sequential(...(c.layers as LayerConfig[]).map(layerFromConfig));
  },
};

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
