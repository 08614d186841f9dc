// Weight initialisation. The default matches PyTorch's nn.Linear / nn.Conv2d:
// weight and bias ~ U(−1/√fan_in, 1/√fan_in) (kaiming_uniform_ with a = √5 reduces to this).

import { HandgradError, type FloatArray } from '../tensor.js';
import { globalRandom, type Random } from '../random.js';

/**
 * How a layer's weights are initialised: 'pytorch' (U(±1/√fan_in), PyTorch's default for Linear
 * and Conv2d), 'kaiming-uniform'/'kaiming-normal' (gain √2, for ReLU), 'xavier-uniform'/'xavier-normal'
 * (Glorot), or 'zeros'.
 */
export type InitName = 'pytorch' | 'kaiming-uniform' | 'kaiming-normal' | 'xavier-uniform' | 'xavier-normal' | 'zeros';
/** Every {@link InitName}, in the order menus list them. */
export const INIT_NAMES: readonly InitName[] = ['pytorch', 'kaiming-uniform', 'kaiming-normal', 'xavier-uniform', 'xavier-normal', 'zeros'];

/**
 * Fills a weight with fan_in inputs and fan_out outputs per unit.
 * kaiming-*: gain √2 for ReLU, std = √2/√fan_in (normal) or bound = √6/√fan_in (uniform).
 * xavier-*: std = √(2/(fan_in+fan_out)) (normal) or bound = √(6/(fan_in+fan_out)) (uniform).
 */
export function initWeight(w: FloatArray, fanIn: number, fanOut: number, init: InitName, rng: Random = globalRandom): void {
  switch (init) {
    case 'pytorch': {
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      return rng.fillUniform(w, -bound, bound);
    }
    case 'kaiming-uniform': {
      const bound = Math.sqrt(6 / fanIn);
      return rng.fillUniform(w, -bound, bound);
    }
    case 'kaiming-normal':
      return rng.fillNormal(w, 0, Math.sqrt(2 / fanIn));
    case 'xavier-uniform': {
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      return rng.fillUniform(w, -bound, bound);
    }
    case 'xavier-normal':
      return rng.fillNormal(w, 0, Math.sqrt(2 / (fanIn + fanOut)));
    case 'zeros':
      w.fill(0);
      return;
    default:
      throw new HandgradError(`init: unknown initialisation '${String(init)}', expected one of ${INIT_NAMES.join(', ')}`);
  }
}

/** Bias: U(−1/√fan_in, 1/√fan_in) as PyTorch for the default; zeros for the other schemes. */
export function initBias(b: FloatArray, fanIn: number, init: InitName, rng: Random = globalRandom): void {
  if (init === 'pytorch') {
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    rng.fillUniform(b, -bound, bound);
  } else b.fill(0);
}
