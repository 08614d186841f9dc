// Every tolerance of the verification tests, in one table, with the reason for its size.
// A comparison passes when, for every element, |actual − expected| ≤ atol + rtol·|expected|.
// Never widen an entry to make a failing test pass: find the bug, or explain the new number here.

export interface Tolerance {
  rtol: number;
  atol: number;
}

export const TOL = {
  /**
   * Central finite differences in float64 (the library's gradcheck, ε = 1e-5): truncation
   * error O(ε²)·|f'''| ≈ 1e-10 plus roundoff 1e-16/ε ≈ 1e-11, far under this bound. This is
   * gradcheck's relative error |a − n| / max(|a|, |n|, 1e-4).
   */
  gradcheck: 1e-6,

  /** handgrad float64 against PyTorch float64 on the same numbers: only summation order differs. */
  torch64: { rtol: 1e-10, atol: 1e-12 } satisfies Tolerance,

  /**
   * handgrad float32 against PyTorch float64 on the same float32 inputs: one float32 rounding of
   * the result (6e-8 relative) plus rounding of float32 intermediates (y kept in float32 for
   * σ' = y(1 − y), tanh' = 1 − y², a rounded dx feeding the next layer of a Sequential) — a few
   * ulps, i.e. well under 1e-5 relative; atol covers results that cancel to ~0.
   * Measured worst case on the layer fixtures: 11% of this bound (BatchNorm2d, momentum None,
   * train: the output, after normalising by a float32 σ).
   */
  torch32: { rtol: 1e-5, atol: 1e-6 } satisfies Tolerance,

  /**
   * handgrad float32 against TensorFlow.js's autograd in float32 (cpu backend). tfjs rounds
   * every intermediate to float32 and its erf is the Abramowitz–Stegun 7.1.26 approximation
   * (absolute error ≤ 1.5e-7), so its results carry a few float32 ulps more than ours.
   * Measured worst case on the layer fixtures: 12% of this bound (exact GELU).
   */
  tfjs32: { rtol: 2e-5, atol: 2e-6 } satisfies Tolerance,

  /**
   * Backward twice after one forward: dx must be identical (same computation on the same
   * numbers) and parameter gradients doubled. The doubling is exact for a single accumulation
   * (g + g), but a gradient accumulated over a batch ((0 + a) + b, then ((a + b) + a) + b)
   * can round differently: one rounding per batch item.
   */
  twiceDx: { rtol: 0, atol: 0 } satisfies Tolerance,
  twiceGrad64: { rtol: 1e-13, atol: 1e-15 } satisfies Tolerance,
  twiceGrad32: { rtol: 1e-6, atol: 1e-7 } satisfies Tolerance,

  /** 10 optimiser steps in float64 from the same start and the same gradients as PyTorch. */
  optim64: { rtol: 1e-12, atol: 1e-14 } satisfies Tolerance,

  /**
   * The same 10 steps in float32 (parameters and buffers stored in float32, updates computed
   * from float32 values), against PyTorch float64: rounding grows with every step; Adam divides
   * by √v + ε, which amplifies it when v is small.
   */
  optim32: { rtol: 2e-5, atol: 2e-6 } satisfies Tolerance,

  /** An MLP / CNN in float64: logits, loss and every gradient against PyTorch float64. */
  e2e64: { rtol: 1e-9, atol: 1e-12 } satisfies Tolerance,

  /**
   * 20 SGD steps (momentum 0.9) in float64: the losses follow PyTorch's to rounding that grows
   * step by step through a chaotic-ish map, still many orders below any real difference.
   */
  e2eSteps64: { rtol: 1e-8, atol: 1e-10 } satisfies Tolerance,

  /**
   * The same networks in float32 against PyTorch float64: a few float32 roundings per layer
   * (the reference kernels accumulate in float64). Measured worst case: 4% of this bound.
   */
  e2e32: { rtol: 2e-5, atol: 2e-6 } satisfies Tolerance,

  /** 20 float32 SGD steps: float32 rounding compounds over the steps. Measured worst case: 1.4%. */
  e2eSteps32: { rtol: 2e-5, atol: 2e-6 } satisfies Tolerance,

  /**
   * Edge cases in float32 against PyTorch float32 (both round the same formulas to float32; the
   * values may be as large as 1e12 for BCE's clamped gradient). Results below 1e-20 in float32
   * (σ(−100) = 3.7e-44, GELU′(−10) = −7.7e-22) depend on whether a library's float32 exp flushes
   * them to zero — PyTorch's vectorised float32 GELU′ returns 0 there, ours −7.7e-22 — so they
   * count as zero here; the float64 comparison (edge64) checks them.
   */
  edge32: { rtol: 1e-6, atol: 1e-20 } satisfies Tolerance,
  edge64: { rtol: 1e-12, atol: 1e-300 } satisfies Tolerance,
} as const;

// ---- float32 rows per backend ------------------------------------------------------------------
// The float32 checks run on every backend (test/backends.ts). The reference backend uses the rows
// above. The wasm backend computes every elementwise kernel in float64 and rounds once, like the
// reference, but its GEMM accumulates in float32 (SIMD, blocked: another summation order, and
// with the relaxed build fused multiply-adds), so products — Linear, Conv2d, everything after
// them — carry a few more float32 roundings. Rows it needs of its own are defined here, with the
// measurement that sized them; the reference rows are never widened for it.

/** The float32 tolerance rows one backend is checked with. */
export interface Float32Tolerances {
  torch32: Tolerance;
  tfjs32: Tolerance;
  twiceGrad32: Tolerance;
  optim32: Tolerance;
  e2e32: Tolerance;
  e2eSteps32: Tolerance;
  edge32: Tolerance;
}

const REF32: Float32Tolerances = {
  torch32: TOL.torch32,
  tfjs32: TOL.tfjs32,
  twiceGrad32: TOL.twiceGrad32,
  optim32: TOL.optim32,
  e2e32: TOL.e2e32,
  e2eSteps32: TOL.e2eSteps32,
  edge32: TOL.edge32,
};

/**
 * The wasm backend's float32 rows: the reference's, except where listed with a reason. None is
 * needed today. Measured worst cases as a fraction of each bound (HANDGRAD_TOL_REPORT, see
 * harness.ts), over every check of layers/losses/optim/end-to-end, for the relaxed-SIMD build
 * (1 and 2 threads give the same worst cases: each thread's region of C sums all of K) / the
 * standard SIMD128 build, beside the reference backend's figure:
 *   torch32     13% / 35%  (ref 11%)   Conv2d 3×3 dL/dweight (sums over output pixels and batch)
 *   tfjs32      12% / 17%  (ref 12%)   exact GELU, resp. Conv2d 3×3 dL/dweight
 *   twiceGrad32 26% / 18%  (ref 78%)   the conv weight.grad of the conv-BatchNorm Sequential
 *   e2e32       1.1% / 1.5% (ref 0.4%) CNN logits
 *   e2eSteps32  3.4% / 2.0% (ref 1.6%) CNN classifier weight after 20 steps
 *   optim32, edge32: the reference's worst cases exactly (2.3%, 8.9%): these kernels compute in
 *   float64 and round once, like the reference.
 * If a wasm change pushes one of these past its bound, find out why before adding a row here.
 */
export const WASM32: Float32Tolerances = {
  ...REF32,
};

/**
 * The webgpu backend's float32 rows: the wasm backend's. Its GEMM accumulates in float32 in order
 * (k ascending, possibly fused), its elementwise kernels compute in float32 (WGSL has no float64)
 * with erfc, log1p and a saturating tanh written out (src/kernels/webgpu/wgsl-elementwise.ts).
 */
export const WEBGPU32: Float32Tolerances = {
  ...WASM32,
};

export const TOL32: Record<'ref' | 'wasm' | 'webgpu', Float32Tolerances> = { ref: REF32, wasm: WASM32, webgpu: WEBGPU32 };

/** The float32 rows of a backend run ({ name: 'ref' | 'wasm' | 'webgpu' }). */
export function tol32(run: { name: 'ref' | 'wasm' | 'webgpu' }): Float32Tolerances {
  return TOL32[run.name];
}

/** The name of a row ('torch32', 'wasm.e2e32', …), for messages and the tolerance report. */
export function toleranceName(t: Tolerance): string {
  for (const [n, v] of Object.entries(TOL)) if (v === t) return n;
  for (const [n, v] of Object.entries(WASM32)) if (v === t) return `wasm.${n}`;
  return `{ rtol: ${t.rtol}, atol: ${t.atol} }`;
}
