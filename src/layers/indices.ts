// Integer indices (class labels, embedding rows) in the form the kernels take: an Int32Array
// whose storage the current backend allocates (on wasm, in its memory, so the kernels read it in
// place), reused from call to call while its length and the backend stay the same.

import { allocateFor, backend } from '../backend.js';
import type { Backend } from '../kernels/table.js';
import { onHost, type FloatArray } from '../tensor.js';

export class IndexStore {
  /** The 4-byte storage the view lies on; holding it keeps the storage alive (a view of another type does not). */
  private block: FloatArray | null = null;
  private view: Int32Array = new Int32Array(0);
  private owner: Backend | null = null;

  /**
   * An Int32Array of n elements, current on the host and free to write (onHost: a device backend
   * uploads it before the next kernel reads it); its contents are the last ones written, or zeros.
   */
  get(n: number): Int32Array {
    if (this.block === null || this.view.length !== n || this.owner !== backend()) {
      const block = allocateFor('float32', n);
      this.block = block;
      this.view = new Int32Array(block.buffer, block.byteOffset, n);
      this.owner = backend();
    }
    return onHost(this.view);
  }
}
