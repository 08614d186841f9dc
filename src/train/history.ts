// A run's history as text: one EpochRecord per line of JSON (history.jsonl) or per row of a CSV
// table (history.csv, and the playground's "Curves as CSV"), under one header. Browser-safe.

import type { EpochRecord } from './loop.js';

/** The CSV columns, in order: the fields of an EpochRecord. */
export const HISTORY_FIELDS = ['epoch', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'seconds', 'samplesPerSecond', 'lr'] as const;

/** The columns of a run with a validation split, after HISTORY_FIELDS. */
export const VAL_FIELDS = ['valLoss', 'valAccuracy'] as const;

/** The records as CSV: the HISTORY_FIELDS header (and VAL_FIELDS when a record has them), then one row per record. */
export function historyCsv(history: readonly EpochRecord[]): string {
  const fields = history.some((r) => r.valLoss !== undefined) ? [...HISTORY_FIELDS, ...VAL_FIELDS] : HISTORY_FIELDS;
  return [fields.join(','), ...history.map((r) => fields.map((f) => String(r[f] ?? '')).join(','))].join('\n') + '\n';
}

/** The records as JSON lines, one per record. */
export function historyJsonl(history: readonly EpochRecord[]): string {
  return history.map((r) => JSON.stringify(r)).join('\n') + (history.length ? '\n' : '');
}
