// The in-memory shape of a classification data set, shared by every reader, the loader, the
// train loop, the CLI and the playground.
//   x: Float32Array of n · ∏sampleShape values, row-major, one sample after another;
//      pixel values scaled to [0, 1] by the readers (normalisation is the loader's job).
//   y: Int32Array of n class indices in [0, classes.length).

/** One split of a data set: n samples and their class labels. */
export interface Split {
  /** The samples: n · ∏sampleShape values, row-major, one sample after another, pixels scaled to [0, 1]. */
  x: Float32Array;
  /** The n class indices, in [0, classes.length). */
  y: Int32Array;
  /** Number of samples. */
  n: number;
}

/** A classification data set in memory: a train and a test split, the shape of one sample and the class names. */
export interface Dataset {
  /** Short name: 'mnist', 'fashion-mnist', 'omniglot12', or the file's name. */
  name: string;
  /** Shape of one sample: [784] for flat vectors, [1, 28, 28] for images (channels first). */
  sampleShape: number[];
  /** Class names, index = label. */
  classes: string[];
  /** The training split. */
  train: Split;
  /** The held-out test split. */
  test: Split;
  /** Where it came from (paths, URLs, split seed), for the run's config. */
  source: Record<string, unknown>;
  /**
   * What the reader found odd but not wrong, one line each: a split without some classes,
   * labels that are not 0…k−1, a class so rare it looks like a corrupted label.
   */
  warnings?: string[];
}

// Arrays as the file readers find them (NPY, NPZ, pickled numpy arrays, IDX), before arrays.ts
// turns them into a Dataset.

/** The element arrays an {@link NdArray} holds, by numpy dtype. */
export type NdData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** An array read from a file. `dtype` uses numpy's kind+size letters without byte order: 'u1', 'f4', 'i8', 'b1'. */
export interface NdArray {
  /** numpy's kind and size letters without byte order: 'u1', 'f4', 'i8', 'b1'. */
  dtype: string;
  /** The size of each dimension, outermost first. */
  shape: number[];
  /** Row-major (C order) elements, native byte order. */
  data: NdData;
}
