// What each backend does not run natively, as a typed table: a row per kind of the registry
// (src/backend.ts), so a new kind does not compile here until it has one. The table is a claim
// about the code, checked by test/backend-support.test.ts: its dtypes must equal
// backend().dtypes once the backend is initialised, and every fallback must really route to the
// named backend's kernels (for float64 on wasm: the reference's exact results).

import type { BackendKind } from '../src/backend.js';
import type { Kernels } from '../src/kernels/table.js';
import type { DType } from '../src/tensor.js';

export type BackendName = BackendKind;

export interface BackendFallback {
  /** A dtype the backend does not run itself. */
  dtype: DType;
  /** Whose kernels run it instead (kernelsFor) and who allocates it (allocateFor). */
  to: BackendName;
  why: string;
}

export interface BackendLimits {
  /** The dtypes the backend runs natively: equal to backend().dtypes after initialisation. */
  dtypes: readonly DType[];
  /** Every dtype not in `dtypes`, and where it goes instead. */
  fallbacks: readonly BackendFallback[];
  /**
   * Kernels the backend runs as the reference's own functions, on its arrays in place (no port of
   * its own): exactly these entries of its table are the reference kernels (checked). Empty for
   * the reference itself, whose every kernel is its own.
   */
  referenceKernels: readonly Exclude<keyof Kernels, 'name'>[];
  /** Other limits a user (or a test) must know about. */
  notes: readonly string[];
}

export const BACKEND_LIMITS: Record<BackendName, BackendLimits> = {
  ref: {
    dtypes: ['float32', 'float64'],
    fallbacks: [],
    referenceKernels: [],
    notes: [
      'The specification: plain TypeScript, every kernel of src/kernels/table.ts, float32 and float64, GEMM accumulating in float64.',
      'Always registered and always available (no WebAssembly, no threads).',
    ],
  },
  wasm: {
    dtypes: ['float32'],
    fallbacks: [
      {
        dtype: 'float64',
        to: 'ref',
        why:
          'the AssemblyScript kernels are float32 (f32x4 SIMD); kernelsFor("float64") returns the reference kernels and ' +
          'allocateFor("float64") a plain Float64Array outside WASM memory, so float64 results are the reference\'s, bit for bit',
      },
    ],
    referenceKernels: [
      'eluForward', 'eluBackward', 'rmspropStep',
      'avgPool2dForward', 'avgPool2dBackward',
      'batchNormInvStd', 'batchNormRunningUpdate',
      'layerNormForward', 'layerNormBackward',
      'softmaxForward', 'softmaxBackward', 'logSoftmaxForward', 'logSoftmaxBackward', 'nllLoss', 'nllLossBackward',
      'embeddingForward', 'embeddingBackward',
    ],
    notes: [
      'GEMM accumulates in float32 (the reference in float64), blocked, with FMA on the relaxed-SIMD build: products differ from ' +
        'the reference by a few float32 roundings; the shared float32 tolerance rows hold (tolerances.ts, WASM32, measured).',
      'Needs WebAssembly SIMD128: without it initWasm() leaves the reference backend selected, and auto resolves to ref.',
      'Selected by default (auto) where the engine compiles the module synchronously (Node, browser workers); on a ' +
        'browser\'s main thread only after `await initWasm()`.',
      'threads > 1 needs SharedArrayBuffer (in browsers: a cross-origin isolated page); otherwise GEMM runs on one thread.',
      'Relaxed SIMD only where the engine validates it (Node 20: a V8 flag set before compiling); else the standard SIMD128 build.',
      'The kernels of referenceKernels (ELU, RMSprop, average pooling, batch norm\'s 1/√(σ² + ε) and running estimates, ' +
        'layer norm, softmax, NLL, embeddings) have no ' +
        'WebAssembly version: the backend runs the reference kernels on its float32 arrays (every kernel without a line in ' +
        'src/kernels/wasm/kernels.ts), so their results are the reference\'s.',
      'A float32 array outside WASM memory (a plain memory that is full, or a caller\'s own Float32Array) is copied in and out ' +
        'around each kernel call (staging): correct, slower.',
    ],
  },
  webgpu: {
    dtypes: ['float32'],
    fallbacks: [
      {
        dtype: 'float64',
        to: 'ref',
        why:
          'WGSL has no float64: kernelsFor("float64") returns the reference kernels and allocateFor("float64") a plain ' +
          'Float64Array on the host, so float64 results are the reference\'s, bit for bit',
      },
    ],
    // its host rows are wrapped (the mirrors are brought to the host first): none is the reference's function itself
    referenceKernels: [],
    notes: [
      'Every float32 kernel runs as a WGSL compute shader except those WEBGPU_SUPPORT (src/kernels/webgpu/support.ts) ' +
        'lists as host: dropoutMask (the xoshiro128** stream, drawn on the host and uploaded) and the products with sparse ' +
        'rows (no WGSL version: the reference loop on the host mirrors; training gives the first layer dense batches instead).',
      'Tensors live in device buffers with host mirrors: Tensor.data reads a device-written tensor back (blocking); ' +
        'layers pass Tensor.storage to kernels, which reads nothing back.',
      'A call with an array the backend did not allocate, or one allocation bound twice with a write, runs the ' +
        'reference on the host mirrors (correct, slower).',
      'Needs a thread that may block (Node, or a browser Worker), SharedArrayBuffer, and in Node the optional peer ' +
        'dependency `webgpu`; without a GPU, Chromium\'s SwiftShader gives a software adapter.',
    ],
  },
};

/**
 * Not a backend limit, but where no backend is involved: loops in the layers that JavaScript runs
 * on the typed arrays, identical on every backend (the kernel table has no entry for them). The
 * numeric work of a training step is all in the table: the losses (elementwiseLoss,
 * elementwiseLossBackward, softmaxCrossEntropy, softmaxCrossEntropyBackward) and dropout
 * (dropoutMask, scale, mul). What is left is input checking and a test hook:
 */
export const OUTSIDE_THE_KERNEL_TABLE: readonly string[] = [
  'CrossEntropyLoss forward: checking class-index targets and copying them into its Int32Array of labels ' +
    '(B integers per batch; the check names the bad label, src/layers/losses.ts)',
  'BCELoss forward, on a NaN loss only: the scan that finds and names the prediction outside [0, 1] (an error path)',
  'Dropout.setMask (tests\' injected masks, not drawn): keep-mask → scaled mask, m_i = keep_i ≠ 0 ? keepScale : 0 (src/layers/dropout.ts)',
  'BatchNorm forward in training with running statistics: num_batches_tracked += 1 and the factor f = momentum or ' +
    '1/num_batches_tracked, one number per step (the C-element update is the kernel batchNormRunningUpdate) (src/layers/norm.ts)',
  'Embedding forward and NLLLoss forward: checking the integer indices / class labels and copying them into their Int32Array ' +
    '(one per index; ignoreIndex becomes −1 for NLLLoss) (src/layers/embedding.ts, src/layers/losses.ts)',
];
