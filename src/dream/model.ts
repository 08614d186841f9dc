// A trained classifier as dream takes it (dream.ts DreamModel), from what a run or a model
// bundle records: the network, the shape of one sample in the data set and as the network takes
// it, the input normalisation and the class names. The network is a Sequential (what `train`
// builds and a bundle holds), the NYU adapter's MLP (its `net`) or a CMU adapter's network (its
// `layers`, run in order as one Sequential). Browser-safe.

import { Module } from '../layers/module.js';
import { Sequential } from '../layers/sequential.js';
import { HandgradError, shapeSize, shapeString, Tensor } from '../tensor.js';
import type { DreamModel } from './dream.js';

/** A network dream can run: a Sequential, the NYU MLP ({ net }) or a CMU SingleLayerMLP/TwoLayerMLP ({ layers }). */
export type DreamNetwork = Module | { readonly net: Module } | { readonly layers: readonly Module[] };

/** The Sequential that runs `m`: itself, the NYU MLP's `net`, or a CMU network's layers in order (the same layer objects). */
export function sequentialOf(m: DreamNetwork): Sequential {
  if (m instanceof Sequential) return m;
  if ('net' in m && m.net instanceof Sequential) return m.net;
  if ('layers' in m && Array.isArray(m.layers) && m.layers.every((l) => l instanceof Module)) return new Sequential(...m.layers);
  const what = m instanceof Module ? m.describe() : `an object with keys ${Object.keys(m).join(', ')}`;
  throw new HandgradError(`dream needs a Sequential model (or the NYU MLP, or a CMU network), got ${what}`);
}

/** A trained classifier as a run or a bundle holds it: the model, its sample shapes, normalisation and class names. */
export interface TrainedClassifier {
  /** The network (a Sequential, the NYU MLP or a CMU network); its last layer gives the class logits. */
  model: DreamNetwork;
  /** One sample as the data set holds it: [channels, height, width], or [features] (square images flattened). */
  sampleShape: readonly number[];
  /** One sample as the network takes it: [C, H, W] for a CNN, [C·H·W] for an MLP. */
  inputShape: readonly number[];
  /** x = (pixel − mean) / std, as in training: one value, or one per feature. */
  normalization: { mean: number[]; std: number[] };
  /** Class names, index = class. */
  classes: readonly string[];
}

/**
 * The DreamModel of a trained classifier: the image is the sample's [C, H, W] (a flat sample of
 * a square number of features is one grey square image), and the network gets it in the shape it
 * was trained on, so an MLP on flattened images dreams images too.
 */
export function dreamModelOf(c: TrainedClassifier): DreamModel {
  const net = sequentialOf(c.model);
  const shape = c.sampleShape;
  const side = shape.length === 1 ? Math.sqrt(shape[0]!) : NaN;
  let inputShape: [number, number, number];
  if (shape.length === 3) inputShape = [shape[0]!, shape[1]!, shape[2]!];
  else if (Number.isInteger(side)) inputShape = [1, side, side];
  else throw new HandgradError(`dream needs image samples [channels, height, width] (or square flat ones), got samples of shape ${shapeString(shape)}`);
  if (shapeSize(c.inputShape) !== shapeSize(inputShape)) {
    throw new HandgradError(`the network takes samples of shape ${shapeString(c.inputShape)}, which do not hold a ${inputShape.join('×')} image`);
  }
  return {
    net, inputShape, mean: c.normalization.mean, std: c.normalization.std,
    classes: [...c.classes], networkInputShape: [1, ...c.inputShape],
  };
}

/** Channels (or units, for a flat layer) of layer `layer`'s output for one image: one forward of a black image. */
export function layerChannels(model: DreamModel, layer: number): number {
  const [C, H, W] = model.inputShape;
  const layers = model.net.layers;
  if (!Number.isInteger(layer) || layer < 0 || layer >= layers.length) throw new HandgradError(`layer index ${layer} is out of range; the model has ${layers.length} layers`);
  const dtype = model.net.parameters()[0]?.value.dtype ?? 'float32';
  let h = Tensor.zeros(model.networkInputShape ?? [1, C, H, W], dtype);
  for (let i = 0; i <= layer; i++) h = layers[i]!.forward(h);
  return h.shape[1] ?? 1;
}
