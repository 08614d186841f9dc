// Checkpoints as bytes and JSON (browser-safe; the Node side that writes files is
// checkpoint-node.ts). A checkpoint is two things:
//   model.safetensors  the model's state dict under PyTorch's names ("0.weight", …, and buffers
//                      such as "1.running_mean"), with metadata
//                      { format: 'handgrad', epoch, model: <LayerConfig JSON> }
//   checkpoint.json    TrainState: config, model config, normalisation, completed epochs,
//                      history, optimiser state, the shuffle and dropout streams' states
// Both carry the epoch, so a pair from different epochs (a crash between the two writes) is
// detected on resume instead of silently mixed.

import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import type { LayerConfig, Module } from '../layers/module.js';
import { HandgradError, type Tensor } from '../tensor.js';
import type { TrainState } from './loop.js';

/** The model's state dict (weights and buffers) as a safetensors file, with the epoch and model config in its metadata. */
export function weightsToSafetensors(model: Module, meta: { epoch?: number; model?: LayerConfig; [k: string]: unknown } = {}): Uint8Array {
  const metadata: Record<string, string> = { format: 'handgrad' };
  for (const [k, v] of Object.entries(meta)) if (v !== undefined) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return writeSafetensors(model.stateDict(), metadata);
}

export interface ReadWeights {
  weights: Map<string, Tensor>;
  metadata: Record<string, string>;
  /** The epoch in the metadata, when present. */
  epoch: number | null;
  /** The model config in the metadata, when present. */
  model: LayerConfig | null;
}

export function weightsFromSafetensors(bytes: Uint8Array, source: string): ReadWeights {
  const { tensors, metadata } = readSafetensors(bytes, source);
  const epoch = metadata.epoch !== undefined ? Number(metadata.epoch) : null;
  let model: LayerConfig | null = null;
  if (metadata.model !== undefined) {
    try {
      model = JSON.parse(metadata.model) as LayerConfig;
    } catch {
      throw new HandgradError(`${source}: the "model" metadata is not valid JSON`);
    }
  }
  return { weights: tensors, metadata, epoch: epoch !== null && Number.isInteger(epoch) ? epoch : null, model };
}

export function stateToJson(state: TrainState): string {
  return JSON.stringify(state);
}

/** Parses checkpoint.json and checks the fields resume relies on. */
export function stateFromJson(text: string, source: string): TrainState {
  let s: unknown;
  try {
    s = JSON.parse(text);
  } catch (e) {
    throw new HandgradError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const st = s as Partial<TrainState>;
  const need = (ok: boolean, what: string): void => {
    if (!ok) throw new HandgradError(`${source}: ${what}`);
  };
  need(!!st && typeof st === 'object', 'expected a JSON object');
  need(st.version === 1, `unknown checkpoint version ${JSON.stringify(st.version)}, expected 1`);
  need(Number.isInteger(st.epoch) && st.epoch! >= 0, `"epoch" must be a non-negative integer, got ${JSON.stringify(st.epoch)}`);
  need(!!st.config && typeof st.config === 'object', 'missing "config"');
  need(!!st.model && typeof st.model === 'object', 'missing "model"');
  need(!!st.normalization && typeof st.normalization === 'object', 'missing "normalization"');
  need(Array.isArray(st.history) && st.history.length === st.epoch, `"history" must hold one record per completed epoch (${st.epoch})`);
  need(!!st.optimizer && typeof st.optimizer === 'object' && Array.isArray(st.optimizer.buffers), 'missing "optimizer" state');
  const okStream = (r: unknown): boolean => !!r && Array.isArray((r as { words?: unknown }).words) && (r as { words: unknown[] }).words.length === 4;
  need(!!st.rng && okStream(st.rng.shuffle) && okStream(st.rng.dropout), '"rng" must hold the shuffle and dropout stream states');
  return st as TrainState;
}
