// Test data like Omniglot's drawings: "ink on paper" rows, background 1 with about 9 % of the
// entries elsewhere (mostly 0, some grey levels, so a sparse form's values are not all equal).

import { Random } from '../src/random.js';

/** rows × features values: 1 except ~9 % (7 % are 0, 2 % a grey level k/255), seeded. */
export function inkRowsOf(seed: number, rows: number, features: number): Float32Array {
  const rng = new Random(seed);
  const x = new Float32Array(rows * features).fill(1);
  for (let i = 0; i < x.length; i++) {
    const u = rng.uniform();
    if (u < 0.07) x[i] = 0;
    else if (u < 0.09) x[i] = Math.round(rng.uniform() * 255) / 255;
  }
  return x;
}
