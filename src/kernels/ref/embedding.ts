// Reference kernels of the embedding lookup: a row gather and its adjoint, a scatter-add.

import type { FloatArray } from '../../tensor.js';

// y[i, :] = weight[indices[i], :].
export function embeddingForward(weight: FloatArray, indices: Int32Array, dim: number, y: FloatArray): void {
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]! * dim;
    const dst = i * dim;
    for (let j = 0; j < dim; j++) y[dst + j] = weight[src + j]!;
  }
}

// forward was y[i] = W[indices[i]], so dW[indices[i]] += dy[i] for every i (the same row
// gathered twice receives both gradients), except the padding row.
export function embeddingBackward(dy: FloatArray, indices: Int32Array, dim: number, paddingIdx: number, dweight: FloatArray): void {
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i]!;
    if (row === paddingIdx) continue;
    const src = i * dim;
    const dst = row * dim;
    for (let j = 0; j < dim; j++) dweight[dst + j]! += dy[src + j]!;
  }
}
