// Which backend runs the kernels. The reference backend is always there; a faster one
// registers itself (see kernels/wasm) and is chosen with setBackend().

import { allocate, type DType, type FloatArray } from './tensor.js';
import type { Backend, Kernels } from './kernels/table.js';
import { refKernels } from './kernels/ref/index.js';

export const refBackend: Backend = {
  name: 'ref',
  kernels: refKernels,
  dtypes: ['float32', 'float64'],
  allocate: (dtype, size) => allocate(dtype, size),
  describe: () => 'ref (plain TypeScript reference kernels)',
};

let current: Backend = refBackend;
const registered = new Map<string, Backend>([['ref', refBackend]]);

/** The backend in use. */
export function backend(): Backend {
  return current;
}

/** Makes a backend available to setBackend(name). */
export function registerBackend(b: Backend): void {
  registered.set(b.name, b);
}

/** Chooses the backend by name ('ref' or 'wasm'); the wasm one must have been initialised. */
export function setBackend(name: string): Backend {
  const b = registered.get(name);
  if (!b) {
    throw new Error(
      `setBackend: unknown or uninitialised backend '${name}'; available: ${[...registered.keys()].join(', ')}` +
        (name === 'wasm' ? " (call `await initWasm()` first)" : ''),
    );
  }
  current = b;
  return b;
}

/** The kernels to run for a dtype: the current backend's when it runs that dtype, else the reference. */
export function kernelsFor(dtype: DType): Kernels {
  return current.dtypes.includes(dtype) ? current.kernels : refKernels;
}

/** Storage for a tensor of this dtype, from the backend that will run its kernels. */
export function allocateFor(dtype: DType, size: number): FloatArray {
  return current.dtypes.includes(dtype) ? current.allocate(dtype, size) : allocate(dtype, size);
}
