// The sparse form of a data matrix that is mostly one value, and a batch of its rows: the input a
// first Linear layer takes in place of a dense batch (Linear.forwardSparse).
//
// Data x = b·1 + s with s sparse (b the background: Omniglot's paper 1, MNIST's 0), normalised
// x̂_k = (x_k − μ_k)/σ_k (one μ, σ for all features, or one per feature), is exactly
//   x̂ = s' + c,   s'_k = s_k/σ_k (sparse),   c_k = (b − μ_k)/σ_k (a dense constant row),
// so a product with a batch of x̂ is a pass over the non-zeros of s' plus one over c
// (kernels/table.ts: sparseGemmForward, sparseGemmBackward).
//   SparseRows:  s' of n rows × features in CSR (values, colIdx, rowPtr) and c, made once per data set
//   SparseBatch: a view: which rows of a SparseRows make up the batch, in batch order

import { allocateFor } from '../backend.js';
import { HandgradError, type DType, type FloatArray } from '../tensor.js';

/** How SparseRows.fromDense reads and normalises the dense data. */
export interface SparseFormOptions {
  /** The background value b: entries equal to it are not stored. */
  background: number;
  /** The normalisation (x − mean)/std: one value each, or one per feature. Default 0 and 1. */
  mean?: readonly number[];
  /** The standard deviations of the normalisation, as many as `mean`. Default 1. */
  std?: readonly number[];
  /** dtype of the values and the constant row (default float32; float64 goes to the reference kernels). */
  dtype?: DType;
}

/** The normalised data s' + c of n rows: s' in CSR and the constant row c (made once per data set). */
export class SparseRows {
  /** Rows (samples). */
  readonly n: number;
  /** Columns (features). */
  readonly features: number;
  /** The value b the dense data holds wherever s' has no entry. */
  readonly background: number;
  /** s' in CSR: row r holds values[j] at column colIdx[j] for j in [rowPtr[r], rowPtr[r + 1]), columns increasing. */
  readonly values: FloatArray;
  /** The column of each stored value. */
  readonly colIdx: Int32Array;
  /** Where each row's values start in values and colIdx (n + 1 entries, the last one nnz). */
  readonly rowPtr: Int32Array;
  /** c: the normalised background, (b − μ_k)/σ_k per feature. */
  readonly constant: FloatArray;
  /**
   * The one value every stored entry holds (binary data under one σ: Omniglot's ink), or null
   * when they differ or none is stored. Products may then take it from a register.
   */
  readonly uniform: number | null = null;
  /**
   * The backend storage that holds values, colIdx and rowPtr for float32 (one block, the index
   * arrays are Int32 views on it, so the wasm kernels find all three in WASM memory). Kept here:
   * the backend frees a block once the array it handed out is collected, and a view on the
   * block does not keep that array alive.
   */
  private readonly storage: FloatArray;

  private constructor(n: number, features: number, background: number, nnz: number, dtype: DType) {
    this.n = n;
    this.features = features;
    this.background = background;
    if (dtype === 'float32') {
      const block = allocateFor('float32', 2 * nnz + n + 1);
      this.storage = block;
      this.values = block.subarray(0, nnz);
      this.colIdx = new Int32Array(block.buffer, block.byteOffset + 4 * nnz, nnz);
      this.rowPtr = new Int32Array(block.buffer, block.byteOffset + 8 * nnz, n + 1);
    } else {
      this.storage = this.values = allocateFor(dtype, nnz);
      this.colIdx = new Int32Array(nnz);
      this.rowPtr = new Int32Array(n + 1);
    }
    this.constant = allocateFor(dtype, features);
  }

  /**
   * The sparse form of `n` rows of `features` values in `x` (row-major): every entry that is
   * not `background` (NaN included: it propagates as in the dense product) is stored, normalised.
   * Same arithmetic as the dense normalisation: (v − b)·(1/σ) for one σ, (v − b)/σ_k per feature.
   */
  static fromDense(x: ArrayLike<number>, n: number, features: number, options: SparseFormOptions): SparseRows {
    const { background: b } = options;
    const mean = options.mean ?? [0];
    const std = options.std ?? [1];
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(features) || features < 1) {
      throw new HandgradError(`SparseRows: expected n ≥ 0 rows of ≥ 1 features, got ${n} × ${features}`);
    }
    if (x.length !== n * features) throw new HandgradError(`SparseRows: the data holds ${x.length} values, expected ${n} rows × ${features} features`);
    if (!Number.isFinite(b)) throw new HandgradError(`SparseRows: the background must be a finite number, got ${b}`);
    if (mean.length !== std.length || (mean.length !== 1 && mean.length !== features)) {
      throw new HandgradError(`SparseRows: mean and std must both hold 1 or ${features} values, got ${mean.length} and ${std.length}`);
    }
    let nnz = 0;
    for (let i = 0; i < x.length; i++) if (x[i] !== b) nnz++;
    if (nnz > 2 ** 31 - 1) throw new HandgradError(`SparseRows: ${nnz} stored entries do not fit 32-bit column indices`);
    const m = new SparseRows(n, features, b, nnz, options.dtype ?? 'float32');
    const { values, colIdx, rowPtr, constant } = m;
    let j = 0;
    if (mean.length === 1) {
      const inv = 1 / std[0]!;
      for (let r = 0; r < n; r++) {
        rowPtr[r] = j;
        const o = r * features;
        for (let f = 0; f < features; f++) {
          const v = x[o + f]!;
          if (v === b) continue;
          values[j] = (v - b) * inv;
          colIdx[j++] = f;
        }
      }
      constant.fill((b - mean[0]!) * inv);
    } else {
      for (let r = 0; r < n; r++) {
        rowPtr[r] = j;
        const o = r * features;
        for (let f = 0; f < features; f++) {
          const v = x[o + f]!;
          if (v === b) continue;
          values[j] = (v - b) / std[f]!;
          colIdx[j++] = f;
        }
      }
      for (let f = 0; f < features; f++) constant[f] = (b - mean[f]!) / std[f]!;
    }
    rowPtr[n] = j;
    const u = values[0];
    if (u !== undefined && values.every((v) => v === u)) (m as { uniform: number | null }).uniform = u;
    return m;
  }

  /** dtype of the values and the constant row. */
  get dtype(): DType {
    return this.values instanceof Float64Array ? 'float64' : 'float32';
  }

  /** Stored entries. */
  get nnz(): number {
    return this.values.length;
  }

  /** Bytes of the sparse form: the CSR arrays and the constant row. */
  get bytes(): number {
    const indices = this.storage === this.values ? this.colIdx.byteLength + this.rowPtr.byteLength : 0;
    return this.storage.byteLength + indices + this.constant.byteLength;
  }

  /** Writes rows `rows` densely into `out` (rows.length × features): s' + c, the normalised data. */
  densify(rows: ArrayLike<number>, out: FloatArray): void {
    const F = this.features;
    if (out.length !== rows.length * F) throw new HandgradError(`SparseRows.densify: out holds ${out.length} values, expected ${rows.length} × ${F}`);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (!Number.isInteger(r) || r < 0 || r >= this.n) throw new HandgradError(`SparseRows.densify: row ${r} out of range [0, ${this.n})`);
      out.set(this.constant, i * F);
      for (let j = this.rowPtr[r]!; j < this.rowPtr[r + 1]!; j++) out[i * F + this.colIdx[j]!]! += this.values[j]!;
    }
  }
}

/** A batch of rows of a SparseRows, in batch order: row i of the batch is row rows[i] of the matrix. */
export interface SparseBatch {
  /** The data set's sparse form. */
  readonly matrix: SparseRows;
  /** n row indices (a view on the loader's sample order). */
  readonly rows: Int32Array;
}

/** Row indices in backend storage (WASM memory on the wasm backend: the kernels read them in place). */
export function rowIndices(n: number): Int32Array {
  const block = allocateFor('float32', n);
  const rows = new Int32Array(block.buffer, block.byteOffset, n);
  // (the block is freed once `block` is collected: keep it with the view)
  KEEP.set(rows, block);
  return rows;
}

/** Each index array of rowIndices → the backend block under it, kept alive as long as the array. */
const KEEP = new WeakMap<Int32Array, FloatArray>();
