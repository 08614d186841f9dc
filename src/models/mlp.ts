// MLP builders over Sequential. Parameter names follow PyTorch's nn.Sequential ("0.weight", …),
// so a state dict exchanged with PyTorch lines up when both build the same Sequential.

import { ACTIVATIONS, type ActivationName } from '../layers/activations.js';
import { Dropout, type DropoutMode } from '../layers/dropout.js';
import type { InitName } from '../layers/init.js';
import { Linear } from '../layers/linear.js';
import type { Module } from '../layers/module.js';
import { layerFromConfig } from '../layers/registry.js';
import { Sequential } from '../layers/sequential.js';
import { isOwnKey, ownKeys } from '../lookup.js';
import type { Random } from '../random.js';
import { HandgradError, type DType } from '../tensor.js';

export type { ActivationName };
/** Every activation name, in registry order. */
export const ACTIVATION_NAMES: readonly ActivationName[] = ownKeys(ACTIVATIONS);

/** An activation layer by name (the NYU assignment's f and g: 'relu', 'sigmoid', 'identity', …). */
export function activation(name: ActivationName | string): Module {
  if (!isOwnKey(ACTIVATIONS, name)) {
    throw new HandgradError(`activation: unknown activation '${name}', expected one of ${ACTIVATION_NAMES.join(', ')}`, { code: 'invalid-option', subject: { option: 'activation' } });
  }
  return layerFromConfig(ACTIVATIONS[name].layer);
}

/** Options of an MLP built by name. */
export interface MLPOptions {
  /** Hidden activation. Default 'relu'. */
  activation?: ActivationName;
  /** Dropout probability after each hidden activation (0 = none). */
  dropout?: number;
  /** Dropout's scaling (default 'inverted'). */
  dropoutMode?: DropoutMode;
  /** The Linear layers' initialiser (default 'pytorch'). */
  init?: InitName;
  /** The parameters' dtype (default 'float32'). */
  dtype?: DType;
  /** The generator the weights (and dropout masks) draw from (default {@link globalRandom}). */
  rng?: Random;
}

/**
 * in → [Linear → act → (Dropout)] per hidden width → Linear → out (logits).
 * mlp(784, [60, 60], 10) is the CMU TwoLayerMLP shape.
 */
export function mlp(inFeatures: number, hidden: readonly number[], outFeatures: number, options: MLPOptions = {}): Sequential {
  const layers: Module[] = [];
  let width = inFeatures;
  const p = options.dropout ?? 0;
  for (const h of hidden) {
    layers.push(new Linear(width, h, { init: options.init, dtype: options.dtype, rng: options.rng }));
    layers.push(activation(options.activation ?? 'relu'));
    if (p > 0) layers.push(new Dropout({ p, mode: options.dropoutMode ?? 'inverted', rng: options.rng }));
    width = h;
  }
  layers.push(new Linear(width, outFeatures, { init: options.init, dtype: options.dtype, rng: options.rng }));
  return new Sequential(...layers);
}
