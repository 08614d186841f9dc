// Checkpoint files in a run directory (Node only). A checkpoint is one file (checkpoint.ts), so
// each is consistent by itself; writing the next one goes
//   1. the new bytes to a temporary file, fsync'ed
//   2. checkpoint.safetensors → checkpoint.previous.safetensors
//   3. the temporary file → checkpoint.safetensors, and the directory fsync'ed
// A process killed at any point leaves checkpoint.safetensors (the new one, or the one before)
// or, between 2 and 3, only checkpoint.previous.safetensors. readCheckpoint takes the current
// file and falls back to the previous one when the current is missing or unreadable, saying so.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-node.js';
import { HandgradError } from '../tensor.js';
import { checkpointFromBytes, checkpointToBytes, type Checkpoint } from './checkpoint.js';
import type { TrainingSession } from './loop.js';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const PREVIOUS_CHECKPOINT_FILE = 'checkpoint.previous.safetensors';
/** The checkpoint of handgrad 0.1.0's first layout (a JSON state beside the weights): recognised, not read. */
const OLD_CHECKPOINT_FILE = 'checkpoint.json';

/** A checkpoint read from a run directory, with the file it came from. */
export interface CheckpointRead extends Checkpoint {
  file: string;
  /** Set when the current checkpoint was missing or unreadable and the previous one was used: why. */
  fellBack: string | null;
}

/** Writes the session's checkpoint into `dir`, keeping the one it replaces as the previous. */
export function writeCheckpoint(dir: string, session: TrainingSession): void {
  writeFileAtomic(join(dir, CHECKPOINT_FILE), checkpointToBytes(session.state(), session.model, session.earlyStopping?.bestTensors()), { previous: join(dir, PREVIOUS_CHECKPOINT_FILE) });
}

/** True when `dir` holds a checkpoint (current, previous or of the old layout), readable or not. */
export function hasCheckpoint(dir: string): boolean {
  return [CHECKPOINT_FILE, PREVIOUS_CHECKPOINT_FILE, OLD_CHECKPOINT_FILE].some((f) => existsSync(join(dir, f)));
}

/**
 * The latest consistent checkpoint of `dir`: the current file, or the previous one when the
 * current is missing or unreadable (`fellBack` says why). Throws when neither can be read.
 */
export function readCheckpoint(dir: string): CheckpointRead {
  const current = join(dir, CHECKPOINT_FILE);
  const previous = join(dir, PREVIOUS_CHECKPOINT_FILE);
  const problems: string[] = [];
  for (const path of [current, previous]) {
    if (!existsSync(path)) {
      problems.push(`${path} does not exist`);
      continue;
    }
    try {
      const cp = checkpointFromBytes(new Uint8Array(readFileSync(path)), path);
      const fellBack = path === current ? null : `${problems.join('; ')}: the run stopped while replacing its checkpoint, or the file was damaged`;
      return { ...cp, file: path, fellBack };
    } catch (e) {
      if (!(e instanceof HandgradError)) throw e;
      problems.push(e.message);
    }
  }
  if (existsSync(join(dir, OLD_CHECKPOINT_FILE))) {
    throw new HandgradError(`${dir} holds a checkpoint of the old layout (${OLD_CHECKPOINT_FILE} beside the weights), which this version cannot resume; train again in another directory`);
  }
  throw new HandgradError(`${dir} holds no readable checkpoint (${problems.join('; ')}); remove ${CHECKPOINT_FILE} and ${PREVIOUS_CHECKPOINT_FILE} there to start the run again`);
}
