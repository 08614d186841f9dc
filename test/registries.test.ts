// The registries (optimisers, activations, model kinds, layer types) and the checks of configs
// from outside: a name is looked up among the registry's own keys only, a config is refused with
// an error naming where it is wrong before anything is allocated, and a registry that lacks an
// entry for a name does not compile.

import { describe, expect, it } from 'vitest';
import { HandgradError, nn, optim, training } from '../src/index.js';
import { ACTIVATIONS, type ActivationEntry, type ActivationName } from '../src/layers/activations.js';
import { MODEL_KINDS, type ModelKind, type ModelKindSpec } from '../src/models/kinds.js';
import { checkNormalization } from '../src/train/loader.js';
import { blobs } from './train/helpers.js';

/** Runs `f`, expects a HandgradError, returns it. */
function refused(f: () => unknown): HandgradError {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(HandgradError);
    return e as HandgradError;
  }
  throw new Error('expected a HandgradError, nothing was thrown');
}

// ---- completeness is a compile error ------------------------------------------------------------
// Each line below must fail to type-check (tsc -p tsconfig.test.json runs in npm test): a registry
// typed for one more name than it has entries is refused.
// @ts-expect-error: an optimiser name without an entry
export const noLion: Record<optim.OptimizerName | 'lion', optim.OptimizerSpec> = optim.OPTIMIZERS;
// @ts-expect-error: an activation name without an entry
export const noSwish: Record<ActivationName | 'swish', ActivationEntry> = ACTIVATIONS;
// @ts-expect-error: a model kind without an entry
export const noResnet: Record<ModelKind | 'resnet', ModelKindSpec> = MODEL_KINDS;

describe('layer configs from outside', () => {
  for (const type of ['__proto__', 'constructor', 'hasOwnProperty', 'valueOf', 'toString']) {
    it(`"type": "${type}" is refused with one clean message`, () => {
      const e = refused(() => nn.layerFromConfig(JSON.parse(`{"type": "${type}"}`)));
      expect(e.message).toBe(`layerFromConfig: type is '${type}', not a layer type; known types: ${nn.LAYER_TYPES.join(', ')}`);
      expect(e.code).toBe('invalid-layer-config');
      expect(e.subject).toEqual({ path: 'type' });
    });
  }

  it('an option named like an inherited property, or unknown, is refused', () => {
    expect(refused(() => nn.layerFromConfig(JSON.parse('{"type": "ReLU", "__proto__": {"scale": 3}}'))).message)
      .toBe('layerFromConfig: __proto__ is not an option of ReLU (its options: scale)');
    expect(refused(() => nn.layerFromConfig({ type: 'Linear', inFeatures: 2, outFeatures: 2, bais: false })).message)
      .toBe('layerFromConfig: bais is not an option of Linear (its options: inFeatures, outFeatures, bias, init)');
    // inherited fields are not read: a required size that is only on the prototype is missing
    const inherited = Object.assign(Object.create({ inFeatures: 3 }) as object, { type: 'Linear', outFeatures: 2 });
    expect(refused(() => nn.layerFromConfig(inherited)).message).toBe('layerFromConfig: inFeatures is missing (Linear needs it)');
  });

  it('errors name the path of the bad value', () => {
    const config = { type: 'Sequential', layers: [{ type: 'Linear', inFeatures: 4, outFeatures: 3 }, { type: 'ReLU' }, { type: 'Flatten' }, { type: 'Linear', inFeatures: 'x', outFeatures: 2 }] };
    const e = refused(() => nn.layerFromConfig(config));
    expect(e.message).toBe("layerFromConfig: layers[3].inFeatures must be an integer in [1, 16777216], got 'x'");
    expect(e.subject).toEqual({ path: 'layers[3].inFeatures' });
    expect(refused(() => nn.layerFromConfig({ type: 'Sequential', layers: [{ type: 'Sequential', layers: [{ type: 'GELU', approximate: 'fast' }] }] })).message)
      .toBe("layerFromConfig: layers[0].layers[0].approximate must be 'none' or 'tanh', got 'fast'");
    expect(refused(() => nn.layerFromConfig({ type: 'Dropout', p: 1 })).message).toBe('layerFromConfig: p must be < 1, got number 1');
    expect(refused(() => nn.layerFromConfig({ type: 'Conv2d', inChannels: 1, outChannels: 2, kernelSize: [3, 0] })).message)
      .toMatch(/^layerFromConfig: kernelSize must be an integer in \[1, 16777216\] or a pair \[h, w\] of them, got an array of length 2$/);
    expect(refused(() => nn.layerFromConfig({ type: 'Sequential' })).message).toBe('layerFromConfig: layers must be an array of layer configs, got nothing');
    expect(refused(() => nn.layerFromConfig(null)).message).toBe('layerFromConfig: must be a layer config, an object with a "type", got null');
    expect(refused(() => nn.layerFromConfig({ type: 'A'.repeat(5_000_000) })).message.length).toBeLessThan(400);
  });

  it('sizes are capped: 1e9 features are refused, and so is a 20000×20000 Linear, before any allocation', () => {
    expect(refused(() => nn.layerFromConfig({ type: 'Linear', inFeatures: 1e9, outFeatures: 10 })).message)
      .toBe('layerFromConfig: inFeatures must be an integer in [1, 16777216], got number 1000000000');
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    const e = refused(() => nn.layerFromConfig({ type: 'Sequential', layers: [{ type: 'Linear', inFeatures: 784, outFeatures: 20000 }, { type: 'Linear', inFeatures: 20000, outFeatures: 20000 }] }));
    expect(e.message).toBe(`layerFromConfig: layers[1] brings the model to ${784 * 20000 + 20000 + 20000 * 20000 + 20000} parameters; at most ${2 ** 26} are allowed`);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
    // the cap is a limit of the call, for a caller who means it
    expect(nn.layerFromConfig({ type: 'Linear', inFeatures: 3000, outFeatures: 3000 }, { maxParameters: 1e7 }).parameters()).toHaveLength(2);
    expect(refused(() => nn.layerFromConfig({ type: 'Linear', inFeatures: 3000, outFeatures: 3000 }, { maxParameters: 1e6 })).code).toBe('invalid-layer-config');
  });

  it('1,000,000 layers, side by side or nested, are refused without a stack overflow', () => {
    const flat = { type: 'Sequential', layers: Array.from({ length: 1_000_000 }, () => ({ type: 'ReLU' })) };
    expect(refused(() => nn.layerFromConfig(flat)).message).toBe('layerFromConfig: layers holds 1000000 layers; a model may hold at most 10000');
    let nested: unknown = { type: 'ReLU' };
    for (let i = 0; i < 1_000_000; i++) nested = { type: 'Sequential', layers: [nested] };
    expect(refused(() => nn.layerFromConfig(nested)).message).toMatch(/is a Sequential nested 33 deep; at most 32 levels are allowed$/);
    // the same from JSON text
    const text = '{"type":"Sequential","layers":['.repeat(100_000) + '{"type":"ReLU"}' + ']}'.repeat(100_000);
    expect(refused(() => nn.layerFromConfig(JSON.parse(text))).code).toBe('invalid-layer-config');
  });

  it('every config a layer writes is accepted and rebuilds the same layer', () => {
    const model = new nn.Sequential(
      new nn.Conv2d(1, 2, 3, { padding: 1 }), new nn.ELU({ alpha: 0.5 }), new nn.MaxPool2d(2), new nn.Flatten(),
      new nn.Linear(8, 4, { bias: false, init: 'xavier-uniform' }), new nn.GELU({ approximate: 'tanh' }), new nn.Dropout({ p: 0.1, mode: 'cmu' }),
      new nn.Softplus({ beta: 2 }), new nn.LeakyReLU({ negativeSlope: 0.2 }), new nn.ReLU({ scale: 3 }), new nn.Sigmoid(), new nn.Tanh(), new nn.Identity(),
    );
    const config = JSON.parse(JSON.stringify(model.config())) as unknown;
    const rebuilt = nn.layerFromConfig(config);
    expect(rebuilt.config()).toEqual(model.config());
    expect(rebuilt.describe()).toBe(model.describe());
    expect((rebuilt as nn.Sequential).layers[1]).toBeInstanceOf(nn.ELU);
  });

  it('constructors check their options the same way', () => {
    expect(refused(() => new nn.ELU({ alpha: -1 })).message).toBe('ELU: option alpha must be ≥ 0, got number -1');
    expect(refused(() => new nn.ReLU({ scael: 3 } as nn.ReLUOptions)).message).toBe('ReLU: unknown option scael (scale)');
    expect(new nn.ELU().config()).toEqual({ type: 'ELU', alpha: 1 });
  });
});

describe('training configs from outside', () => {
  const base = { model: { kind: 'mlp' as const, hidden: [4] } };

  it('names are own keys of the registries', () => {
    for (const name of ['__proto__', 'constructor', 'valueOf', 'hasOwnProperty']) {
      const o = refused(() => training.resolveConfig(JSON.parse(`{"optimizer": "${name}"}`)));
      expect(o.message).toBe(`train config: optimizer must be one of sgd, adam, adamw, rmsprop, got "${name}"`);
      expect(o.subject).toEqual({ option: 'optimizer' });
      const k = refused(() => training.resolveConfig(JSON.parse(`{"model": {"kind": "${name}"}}`)));
      expect(k.message).toBe(`train config: model.kind must be one of mlp, single-layer-mlp, two-layer-mlp, nyu, cnn, got "${name}"`);
      expect(k.subject).toEqual({ option: 'model.kind' });
      const a = refused(() => training.resolveConfig(JSON.parse(`{"model": {"kind": "mlp", "activation": "${name}"}}`)));
      expect(a.subject).toEqual({ option: 'model.activation' });
    }
    expect(refused(() => training.resolveConfig(JSON.parse('{"__proto__": {"lr": 5}}'))).message).toBe("train config: unknown field '__proto__'");
  });

  it('an option the optimiser does not read is refused; its defaults are filled in', () => {
    const e = refused(() => training.resolveConfig({ ...base, optimizer: 'adam', momentum: 0.9 }));
    expect(e.message).toBe('train config: momentum does not apply to adam (Adam reads lr, betas, eps, weightDecay)');
    expect(e.subject).toEqual({ option: 'momentum', optimizer: 'adam' });
    expect(refused(() => training.resolveConfig({ ...base, nesterov: true, momentum: 0 })).message).toBe('train config: nesterov needs a momentum > 0');
    expect(refused(() => training.resolveConfig({ ...base, optimizer: 'rmsprop', alpha: 2 })).message).toBe('train config: alpha must be a number in [0, 1], got 2');
    const r = training.resolveConfig({ ...base, optimizer: 'rmsprop', lr: 0.001 });
    expect(r).toMatchObject({ optimizer: 'rmsprop', lr: 0.001, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false });
    expect(r).not.toHaveProperty('nesterov');
    expect(training.resolveConfig({ ...base, optimizer: 'adamw' })).toMatchObject({ weightDecay: 0.01, betas: [0.9, 0.999], eps: 1e-8 });
    expect(training.resolveConfig({ ...base })).toMatchObject({ optimizer: 'sgd', momentum: 0.9, weightDecay: 0, nesterov: false });
  });

  it('the model spec is checked against its kind; the process fields of older configs are dropped', () => {
    expect(refused(() => training.resolveConfig({ model: { kind: 'cnn', hidden: [5] } })).message).toBe('train config: model.hidden does not apply to cnn');
    expect(refused(() => training.resolveConfig({ model: { kind: 'two-layer-mlp', hidden: [5] } })).message)
      .toBe('train config: model.hidden must hold 2 widths for two-layer-mlp, got 5');
    expect(refused(() => training.resolveConfig({ model: { kind: 'mlp', hidden: [1e8] } })).subject).toEqual({ option: 'model.hidden' });
    expect(refused(() => training.resolveConfig({ model: { kind: 'cnn', activation: 'tanh' } })).message)
      .toBe('train config: model.activation does not apply to cnn (it uses relu)');
    expect(training.resolveConfig({ model: { kind: 'nyu' } }).model).toEqual({ kind: 'nyu', hidden: [64], activation: 'relu', output: 'identity' });
    const legacy = JSON.parse('{"backend": "ref", "threads": 2, "lr": 0.1}') as Partial<training.TrainConfig>;
    const c = training.resolveConfig(legacy);
    expect(c).not.toHaveProperty('backend');
    expect(c).not.toHaveProperty('threads');
    expect(c.lr).toBe(0.1);
  });

  it('a normalisation read back from a file must hold finite numbers', () => {
    const ok = { mode: 'global' as const, mean: [0.13], std: [0.31] };
    expect(checkNormalization(ok, 784, 'config.json')).toBe(ok);
    for (const bad of [{ ...ok, mean: ['abc'] }, { ...ok, std: [NaN] }, { ...ok, mode: 'other' }, { ...ok, mean: [0, 1], std: [1] }]) {
      expect(() => checkNormalization(bad as unknown as training.Normalization, 784, 'config.json')).toThrow(/config.json: the normalisation must hold/);
    }
  });
});

describe('model kinds decide the model and its loss', () => {
  it('the NYU net with g = σ trains with BCE on one-hot targets, and learns', async () => {
    const s = await training.train({ model: { kind: 'nyu', hidden: [8], activation: 'tanh', output: 'sigmoid' }, lr: 0.5, epochs: 4, batchSize: 16 }, blobs());
    expect(s.objective.kind).toBe('bce-one-hot');
    expect(s.objective.loss).toBeInstanceOf(nn.BCELoss);
    expect(s.model.describe()).toBe('Sequential(Linear(8 → 8), Tanh, Linear(8 → 3), Sigmoid)');
    expect(s.history[3]!.trainLoss).toBeLessThan(s.history[0]!.trainLoss);
    expect(s.history[3]!.testAccuracy).toBeGreaterThan(0.9);
    const ce = await training.train({ model: { kind: 'nyu', hidden: [8] }, epochs: 1 }, blobs());
    expect(ce.objective.loss).toBeInstanceOf(nn.CrossEntropyLoss);
  });

  it('every optimiser of the registry trains a model from a config, and resumes it exactly', async () => {
    for (const name of optim.OPTIMIZER_NAMES) {
      const config = { model: { kind: 'mlp' as const, hidden: [8] }, optimizer: name, lr: name === 'sgd' ? 0.05 : 0.01, epochs: 3, batchSize: 16 };
      const a = new training.TrainingSession(config, blobs());
      await a.run({ stopAfterEpoch: 1 });
      const weights = new Map(a.model.namedParameters().map(([n, p]) => [n, p.value.clone()]));
      const b = new training.TrainingSession({}, blobs(), { resume: { state: JSON.parse(JSON.stringify(a.state())) as training.TrainState, weights } });
      expect(b.optimizer.kind).toBe(name);
      await a.run();
      await b.run();
      expect(a.history[2]!.trainLoss, name).toBeLessThan(a.history[0]!.trainLoss);
      const wa = a.model.parameters().flatMap((p) => Array.from(p.value.data));
      const wb = b.model.parameters().flatMap((p) => Array.from(p.value.data));
      expect(wb, name).toEqual(wa);
    }
  });
});
