// A checkpoint as bytes (browser-safe; the files are checkpoint-node.ts): one safetensors file
// that holds everything needed to continue a run exactly, so it is written with one rename and
// is consistent at every instant.
//   tensors
//     <state-dict name>          the model's parameters and buffers ("0.weight", …)
//     optimizer/<i>/<buffer>     the optimiser's buffer of its i-th parameter (PyTorch's
//                                optimizer.state_dict() numbers parameters the same way),
//                                in that parameter's dtype
//     best/<state-dict name>     the best epoch's state dict (runs with early stopping)
//   __metadata__
//     format   "handgrad-checkpoint"
//     version  "1"
//     state    the TrainState as JSON (config, model config, normalisation, completed epochs,
//              history, the shuffle and dropout streams, the scheduler's and early stopping's
//              counters), its optimizer.buffers replaced by the buffers' names per parameter

import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import type { Module } from '../layers/module.js';
import type { OptimizerState } from '../optim/optimizer.js';
import { HandgradError, Tensor } from '../tensor.js';
import { validateLayerConfig } from '../layers/config.js';
import { resolveConfig, type TrainConfig } from './config.js';
import type { TrainState } from './loop.js';

/** The `format` metadata of a checkpoint file. */
export const CHECKPOINT_FORMAT = 'handgrad-checkpoint';
const CHECKPOINT_VERSION = '1';
const OPTIMIZER_PREFIX = 'optimizer/';
const BEST_PREFIX = 'best/';

/** A checkpoint read back: the state, the model's state dict by name, and the best epoch's (early stopping). */
export interface Checkpoint {
  /** The training session's state: epoch, step, optimiser, generators, history. */
  state: TrainState;
  /** The model's state dict: parameters and buffers by dotted name. */
  weights: Map<string, Tensor>;
  /** The best epoch's state dict (runs with early stopping; empty otherwise). */
  best: Map<string, Tensor>;
}

/** Serialises a session's state, its model (state dict) and the best epoch's state dict into one safetensors file. */
export function checkpointToBytes(state: TrainState, model: Module, best: [string, Tensor][] = []): Uint8Array {
  const params = model.parameters();
  const { buffers, ...optimizer } = state.optimizer;
  if (buffers.length !== 0 && buffers.length !== params.length) {
    throw new HandgradError(`checkpoint: the optimiser holds buffers for ${buffers.length} parameters, the model has ${params.length}`);
  }
  const tensors: [string, Tensor][] = [...model.stateDict(), ...best.map(([n, t]): [string, Tensor] => [`${BEST_PREFIX}${n}`, t])];
  const names = buffers.map((b, i) => {
    const dtype = params[i]!.value.dtype;
    for (const [name, values] of Object.entries(b)) {
      const data = dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
      tensors.push([`${OPTIMIZER_PREFIX}${i}/${name}`, new Tensor(data, [values.length])]);
    }
    return Object.keys(b);
  });
  const metadata = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, state: JSON.stringify({ ...state, optimizer: { ...optimizer, buffers: names } }) };
  return writeSafetensors(tensors, metadata);
}

/** Parses a checkpoint file and checks every field resume relies on; errors start with `source`. */
export function checkpointFromBytes(bytes: Uint8Array, source: string): Checkpoint {
  const file = readSafetensors(bytes, source);
  const fail = (message: string): never => {
    throw new HandgradError(`${source}: ${message}`);
  };
  if (file.metadata.format !== CHECKPOINT_FORMAT) fail(`not a handgrad checkpoint: its "format" is ${JSON.stringify(file.metadata.format)}, expected "${CHECKPOINT_FORMAT}"`);
  if (file.metadata.version !== CHECKPOINT_VERSION) fail(`checkpoint version ${JSON.stringify(file.metadata.version)}, expected "${CHECKPOINT_VERSION}"`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(file.metadata.state ?? '');
  } catch (e) {
    return fail(`the "state" metadata is not valid JSON (${(e as Error).message})`);
  }
  const st = parsed as Partial<Omit<TrainState, 'optimizer'>> & { optimizer?: { type?: unknown; step?: unknown; buffers?: unknown } };
  const need = (ok: boolean, what: string): void => {
    if (!ok) fail(what);
  };
  need(typeof st === 'object' && st !== null && !Array.isArray(st), 'the "state" metadata must be a JSON object');
  need(st.version === 1, `unknown state version ${JSON.stringify(st.version)}, expected 1`);
  need(Number.isInteger(st.epoch) && (st.epoch ?? -1) >= 0, `"epoch" must be a non-negative integer, got ${JSON.stringify(st.epoch)}`);
  need(typeof st.config === 'object' && st.config !== null, 'missing "config"');
  need(typeof st.model === 'object' && st.model !== null, 'missing "model"');
  need(typeof st.normalization === 'object' && st.normalization !== null, 'missing "normalization"');
  need(Array.isArray(st.history) && st.history.length === st.epoch, `"history" must hold one record per completed epoch (${st.epoch})`);
  const opt = st.optimizer;
  const names = opt?.buffers;
  need(typeof opt === 'object' && typeof opt.type === 'string' && Number.isInteger(opt.step) && Array.isArray(names) &&
    names.every((n) => Array.isArray(n) && n.every((b) => typeof b === 'string')), 'missing "optimizer" state {type, step, buffers}');
  const okStream = (r: unknown): boolean => {
    const words = (r as { words?: unknown } | null)?.words;
    return Array.isArray(words) && words.length === 4 && words.every((w) => Number.isInteger(w));
  };
  need(!!st.rng && okStream(st.rng.shuffle) && okStream(st.rng.dropout), '"rng" must hold the shuffle and dropout stream states');
  const sched = st.scheduler;
  need(sched === undefined || sched === null || (typeof sched === 'object' && typeof sched.type === 'string' && Number.isInteger(sched.lastEpoch) &&
    typeof sched.lr === 'number' && typeof sched.extra === 'object' && sched.extra !== null), '"scheduler" must be null or {type, lastEpoch, lr, extra}');
  const es = st.earlyStop;
  need(es === undefined || es === null || (typeof es === 'object' && (es.bestLoss === null || typeof es.bestLoss === 'number') &&
    Number.isInteger(es.bestEpoch) && es.bestEpoch >= 0 && es.bestEpoch <= (st.epoch ?? 0) && Number.isInteger(es.bad) && es.bad >= 0 &&
    typeof es.stopped === 'boolean'), '"earlyStop" must be null or {bestLoss, bestEpoch ≤ epoch, bad, stopped}');
  // The config and the model config go through the same schemas as a new run's, here, so a
  // damaged state is reported with this file's name (and a resume falls back to the previous file).
  try {
    resolveConfig(st.config as Partial<TrainConfig>);
    validateLayerConfig(st.model, '"model"');
  } catch (e) {
    if (e instanceof HandgradError) fail(e.message);
    throw e;
  }

  // Split the tensors: optimiser buffers back into the state, the rest is the model's state dict.
  const weights = new Map<string, Tensor>();
  const best = new Map<string, Tensor>();
  for (const [name, t] of file.tensors) {
    if (name.startsWith(BEST_PREFIX)) best.set(name.slice(BEST_PREFIX.length), t);
    else if (!name.startsWith(OPTIMIZER_PREFIX)) weights.set(name, t);
  }
  const buffers: OptimizerState['buffers'] = (names as string[][]).map((list, i) => {
    const b: Record<string, number[]> = {};
    for (const name of list) {
      const t = file.tensors.get(`${OPTIMIZER_PREFIX}${i}/${name}`);
      if (!t) return fail(`no tensor '${OPTIMIZER_PREFIX}${i}/${name}' for the optimiser's buffer '${name}' of parameter ${i}`);
      b[name] = Array.from(t.data);
    }
    return b;
  });
  const expected = buffers.reduce((n, b) => n + Object.keys(b).length, 0);
  if (file.tensors.size - weights.size - best.size !== expected) fail(`${file.tensors.size - weights.size - best.size} optimiser tensors, the state names ${expected}`);
  const state: TrainState = { ...(st as Omit<TrainState, 'optimizer'>), optimizer: { type: opt!.type as string, step: opt!.step as number, buffers } };
  return { state, weights, best };
}
