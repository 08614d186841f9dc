// A tiny seeded data set for the grid's process tests, as the .npz `handgrad train --data` reads:
// 10 classes of 6×6 images, each class a bright bar at its own place on seeded noise, so a run
// of one or two epochs learns something and runs of different settings end at different numbers.
import { writeFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { writeNpy } from '../../src/data/npy.js';
import { Random } from '../../src/random.js';

const SIDE = 6;

function split(n: number, rng: Random): { x: Uint8Array; y: Uint8Array } {
  const x = new Uint8Array(n * SIDE * SIDE);
  const y = new Uint8Array(BigInt64Array.BYTES_PER_ELEMENT * n);
  const labels = new BigInt64Array(y.buffer);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    labels[i] = BigInt(c);
    for (let j = 0; j < SIDE * SIDE; j++) {
      const onBar = Math.floor(j / SIDE) === c % SIDE || (c >= SIDE && j % SIDE === c - SIDE);
      const v = (onBar ? 160 : 40) + 60 * rng.normal();
      x[i * SIDE * SIDE + j] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return { x, y };
}

/** Writes the data set to `path` (an .npz): `train` and `test` samples. */
export function writeTinyNpz(path: string, train = 300, test = 100, seed = 7): void {
  const rng = new Random(seed);
  const tr = split(train, rng);
  const te = split(test, rng);
  writeFileSync(path, zipSync({
    'x_train.npy': writeNpy('|u1', [train, SIDE, SIDE], tr.x),
    'y_train.npy': writeNpy('<i8', [train], tr.y),
    'x_test.npy': writeNpy('|u1', [test, SIDE, SIDE], te.x),
    'y_test.npy': writeNpy('<i8', [test], te.y),
  }));
}
