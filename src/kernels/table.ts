// The kernel table every backend provides. Layers call only these functions; nothing here knows
// about layers. All arrays of one call share one dtype (float32 or float64) and are row-major.
// A backend lists the dtypes it runs in `dtypes`; every other dtype goes to the reference kernels
// explicitly (kernelsFor in backend.ts), so no kernel is ever missing silently.

import type { PackedSparseKernels } from './packed.js';
import type { FloatArray } from '../tensor.js';

/** GELU's form: 'none' (exact, x·Φ(x)) or 'tanh' (½x(1 + tanh(√(2/π)(x + 0.044715x³)))). */
export type GeluApproximate = 'none' | 'tanh';

/**
 * Which statistics batchNormBackward differentiates through: 'batch' (training: the mean and
 * variance are functions of x) or 'running' (eval: they are constants, the map is affine).
 */
export type BatchNormStatistics = 'batch' | 'running';

/** The per-element losses of elementwiseLoss / elementwiseLossBackward (MSELoss, BCELoss, BCEWithLogitsLoss). */
export type ElementwiseLossKind = 'mse' | 'bce' | 'bceWithLogits';

/** SGD's hyper-parameters for one sgdStep call (see torch.optim.SGD). */
export interface SgdHyper {
  /** The learning rate. */
  lr: number;
  /** μ, the momentum factor (0: none). */
  momentum: number;
  /** Dampening of the momentum. */
  dampening: number;
  /** L2 penalty wd, added to the gradient as wd·p. */
  weightDecay: number;
  /** Nesterov momentum. */
  nesterov: boolean;
  /** True on the first step, when PyTorch initialises the momentum buffer to the gradient. */
  firstStep: boolean;
}

/** Adam's hyper-parameters for one adamStep call (see torch.optim.Adam / AdamW). */
export interface AdamHyper {
  /** The learning rate. */
  lr: number;
  /** β₁, the first moment's decay rate. */
  beta1: number;
  /** β₂, the second moment's decay rate. */
  beta2: number;
  /** ε, added to the denominator. */
  eps: number;
  /** Weight decay wd. */
  weightDecay: number;
  /** AdamW: decay the weights directly (p ← p − lr·wd·p) instead of adding wd·p to the gradient. */
  decoupled: boolean;
  /** 1-based step count, for the bias corrections 1 − βᵗ. */
  step: number;
}

/** RMSprop's hyper-parameters for one rmspropStep call (see torch.optim.RMSprop). */
export interface RmspropHyper {
  /** The learning rate. */
  lr: number;
  /** Smoothing constant of the running mean of g². */
  alpha: number;
  /** Added to the root mean square (after the square root). */
  eps: number;
  /** L2 penalty wd, added to the gradient as wd·p. */
  weightDecay: number;
  /** μ, the momentum factor (0: none). */
  momentum: number;
  /** Divide by the centred root mean square √(E[g²] − E[g]²) instead of √E[g²]. */
  centered: boolean;
}

/**
 * The kernel table every backend provides: the only functions layers and optimisers call. All
 * arrays of one call share one dtype and are row-major; outputs are written in place.
 */
export interface Kernels {
  /** The backend's name: 'ref', 'wasm', 'webgpu'. */
  readonly name: string;

  // ---- matrix products -------------------------------------------------------------------
  /**
   * C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C.
   * A is stored [M,K] (transA = false) or [K,M] (transA = true); B is stored [K,N] or [N,K].
   * beta = 0 overwrites C (NaNs in C are not propagated), beta = 1 accumulates.
   */
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, A: FloatArray, B: FloatArray, beta: number, C: FloatArray,
  ): void;

  // ---- products with sparse rows -----------------------------------------------------------
  // A[M, K] is a batch of rows of a data matrix held as a sparse part plus a dense constant row:
  //   A[i, k] = S[rows[i], k] + c[k]
  // where S is in CSR form: row r of S holds values[j] at column colIdx[j] for j in
  // [rowPtr[r], rowPtr[r + 1]), columns increasing within a row; every other entry is 0.
  //   rows: Int32Array (M)   rowPtr: Int32Array (rows of S + 1)   colIdx: Int32Array, values (nnz)
  //   c: (K)
  // A normalised batch x̂ = (x − μ)/σ of data x = b·1 + s that is mostly one value b is exactly
  // this with S = s/σ (sparse) and c = (b − μ)/σ, so a product with A costs a pass over the
  // non-zeros of S and one over c instead of a pass over all M·K entries.
  /**
   * y[M, N] = A · Wᵀ for W stored [N, K] (y overwritten):
   *   y[i, o] = Σ_{j ∈ row rows[i]} values[j]·W[o, colIdx[j]] + Σ_k c[k]·W[o, k].
   */
  sparseGemmForward(
    M: number, N: number, K: number, rows: Int32Array, rowPtr: Int32Array, colIdx: Int32Array,
    values: FloatArray, c: FloatArray, W: FloatArray, y: FloatArray,
  ): void;
  /**
   * dW[N, K] = beta · dW + dyᵀ · A for dy stored [M, N] (beta = 0 overwrites: NaNs in dW are not
   * propagated; beta = 1 accumulates):
   *   dW[o, k] = beta·dW[o, k] + Σ_i dy[i, o]·S[rows[i], k] + (Σ_i dy[i, o])·c[k].
   */
  sparseGemmBackward(
    M: number, N: number, K: number, rows: Int32Array, rowPtr: Int32Array, colIdx: Int32Array,
    values: FloatArray, c: FloatArray, dy: FloatArray, beta: number, dW: FloatArray,
  ): void;

  // ---- broadcasting and reductions ------------------------------------------------------
  /** y[r, c] += v[c] for r < rows, c < cols (bias over a batch of rows). */
  addRowVector(y: FloatArray, v: FloatArray, rows: number, cols: number): void;
  /** out[c] += Σ_r x[r, c] (bias gradient). */
  sumRowsInto(x: FloatArray, rows: number, cols: number, out: FloatArray): void;
  /** y[b, c, s] += v[c] for an array [batch, channels, spatial] (convolution bias). */
  addChannelVector(y: FloatArray, v: FloatArray, batch: number, channels: number, spatial: number): void;
  /** out[c] += Σ_{b,s} x[b, c, s] (convolution bias gradient). */
  sumChannelsInto(x: FloatArray, batch: number, channels: number, spatial: number, out: FloatArray): void;
  /** out[i] = value for every i (zeroing gradients and buffers). */
  fill(out: FloatArray, value: number): void;
  /** out[i] = a[i] · b[i] (dropout masks, elementwise gates). */
  mul(a: FloatArray, b: FloatArray, out: FloatArray): void;

  // ---- activations: forward y = f(x); backward dx = dy · f'(x) -----------------------------
  /** y = scale · max(0, x). */
  reluForward(x: FloatArray, y: FloatArray, scale: number): void;
  /** dx = dy · scale where x > 0, else 0. */
  reluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, scale: number): void;
  /** y = x for x > 0, negativeSlope · x otherwise. */
  leakyReluForward(x: FloatArray, y: FloatArray, negativeSlope: number): void;
  /** dx = dy for x > 0, negativeSlope · dy otherwise. */
  leakyReluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, negativeSlope: number): void;
  /** y = σ(x) = 1 / (1 + e^(−x)). */
  sigmoidForward(x: FloatArray, y: FloatArray): void;
  /** Uses the saved output: σ'(x) = y(1 − y). */
  sigmoidBackward(y: FloatArray, dy: FloatArray, dx: FloatArray): void;
  /** y = tanh(x). */
  tanhForward(x: FloatArray, y: FloatArray): void;
  /** Uses the saved output: tanh'(x) = 1 − y². */
  tanhBackward(y: FloatArray, dy: FloatArray, dx: FloatArray): void;
  /** y = x·Φ(x), or its tanh form. */
  geluForward(x: FloatArray, y: FloatArray, approximate: GeluApproximate): void;
  /** dx = dy · (Φ(x) + x·φ(x)), or the tanh form's derivative. */
  geluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, approximate: GeluApproximate): void;
  /** y = log(1 + e^(βx)) / β, and y = x where βx > threshold. */
  softplusForward(x: FloatArray, y: FloatArray, beta: number, threshold: number): void;
  /** dx = dy · σ(βx), and dy where βx > threshold. */
  softplusBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, beta: number, threshold: number): void;
  /** y = x for x > 0, α(eˣ − 1) for x ≤ 0 (α ≥ 0). */
  eluForward(x: FloatArray, y: FloatArray, alpha: number): void;
  /** Uses the saved output: ELU'(x) = 1 for y > 0, y + α for y ≤ 0 (y ≤ 0 exactly when x ≤ 0, as α ≥ 0). */
  eluBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, alpha: number): void;

  // ---- losses --------------------------------------------------------------------------------
  /**
   * Softmax cross-entropy over rows of logits [rows, classes]. Writes softmax probabilities to
   * `probs` and returns Σ_r −log softmax(z_r)[label_r] (a sum; the caller divides for the mean).
   * `labels[r]` is a class index, or −1 to use the one-hot / soft target row `targets[r, :]`.
   */
  softmaxCrossEntropy(
    logits: FloatArray, rows: number, classes: number,
    labels: Int32Array | null, targets: FloatArray | null, probs: FloatArray,
  ): number;

  /**
   * The gradient of softmaxCrossEntropy's sum with respect to the logits, times `scale`, from the
   * probabilities p it wrote (rows and labels/targets as there):
   *   row r with a class index l = labels[r] ≥ 0:  grad[r, j] = scale·p[r, j], then grad[r, l] −= scale
   *     (two steps, each rounded to the array's dtype: (softmax − onehot)·scale);
   *   row r with a target row t (labels null, or labels[r] = −1):
   *     grad[r, j] = scale·((Σ_k t[r, k])·p[r, j] − t[r, j])   (= scale·(p − t) when Σ t = 1);
   *   a row with neither: 0 (it adds nothing to the loss).
   */
  softmaxCrossEntropyBackward(
    probs: FloatArray, rows: number, classes: number,
    labels: Int32Array | null, targets: FloatArray | null, scale: number, grad: FloatArray,
  ): void;
  /**
   * Σ_i ℓ(ŷ_i, y_i) over pred ŷ and target y of the same length, accumulated in float64 (a sum:
   * the caller divides for the mean). The target may have another dtype than pred on the reference.
   *   'mse'            ℓ = (ŷ − y)²
   *   'bce'            ℓ = −[y·max(log ŷ, −100) + (1 − y)·max(log(1 − ŷ), −100)]   (PyTorch's clamp)
   *   'bceWithLogits'  ℓ = max(z, 0) − z·y + log(1 + e^(−|z|))   for logits z = ŷ (stable form)
   * 'bce' returns NaN as soon as a prediction is not in [0, 1] (NaN included): the caller then
   * finds and names that element.
   */
  elementwiseLoss(kind: ElementwiseLossKind, pred: FloatArray, target: FloatArray): number;
  /**
   * grad[i] = scale · ∂ℓ/∂ŷ(ŷ_i, y_i) for the ℓ of elementwiseLoss:
   *   'mse'            2(ŷ − y)
   *   'bce'            (ŷ − y) / max(ŷ(1 − ŷ), ε), ε = 1e−12 rounded to float32 (PyTorch's backward)
   *   'bceWithLogits'  σ(z) − y
   */
  elementwiseLossBackward(kind: ElementwiseLossKind, pred: FloatArray, target: FloatArray, scale: number, grad: FloatArray): void;

  // ---- dropout -------------------------------------------------------------------------------
  /**
   * Draws a dropout mask from the xoshiro128** stream whose four 32-bit state words are `state`
   * (Random's s0..s3; advanced in place, so the generator continues where the kernel stopped):
   * for i = 0, 1, … in order, u_i = nextUint32() / 2³² (Random.uniform) and
   * mask[i] = u_i < p ? 0 : keepScale — bit for bit the numbers Random draws in JavaScript.
   */
  dropoutMask(mask: FloatArray, p: number, keepScale: number, state: Uint32Array): void;
  /** y[i] = s · x[i], rounded once (dropout's eval-mode scaling and its gradient). */
  scale(x: FloatArray, s: number, y: FloatArray): void;

  // ---- images ------------------------------------------------------------------------------
  /**
   * Unfolds one image x[C, H, W] into columns col[C·kh·kw, OH·OW] (zero padding), so that a
   * convolution is the product W[OC, C·kh·kw] · col.
   */
  im2col(
    x: FloatArray, C: number, H: number, W: number, kh: number, kw: number,
    sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, col: FloatArray,
  ): void;
  /** The adjoint of im2col: dx[C, H, W] += fold(dcol). */
  col2im(
    dcol: FloatArray, C: number, H: number, W: number, kh: number, kw: number,
    sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, dx: FloatArray,
  ): void;
  /**
   * Max pooling of x[B·C, H, W] into y[B·C, OH, OW]; argmax[i] is the flat index into the
   * plane H·W of the first maximal input of window i (−1 if the window is all padding).
   */
  maxPool2dForward(
    x: FloatArray, planes: number, H: number, W: number, kh: number, kw: number,
    sh: number, sw: number, ph: number, pw: number, OH: number, OW: number,
    y: FloatArray, argmax: Int32Array,
  ): void;
  /**
   * Convolution with stride 1, computed directly (no unfolding), over a batch:
   *   y[b, o, oy, ox] = bias[o] + Σ_{c, i, j} w[o, c, i, j] · x[b, c, oy − ph + i, ox − pw + j]
   * x: (batch, C, H, W), w: (OC, C, kh, kw), bias: (OC) or null, y: (batch, OC, OH, OW) with
   * OH = H + 2·ph − kh + 1, OW = W + 2·pw − kw + 1 (x is 0 outside the image). Callers use it
   * where directConvFits() holds, and im2col + gemm elsewhere.
   */
  conv2dForward(
    x: FloatArray, w: FloatArray, bias: FloatArray | null,
    batch: number, C: number, H: number, W: number, OC: number, kh: number, kw: number, ph: number, pw: number,
    y: FloatArray,
  ): void;
  /**
   * The input gradient of conv2dForward (shapes as there), written, not accumulated:
   *   dx[b, c, iy, ix] = Σ_{o, i, j} w[o, c, i, j] · dy[b, o, iy + ph − i, ix + pw − j]   (dy is 0 outside).
   */
  conv2dBackwardData(
    dy: FloatArray, w: FloatArray,
    batch: number, C: number, H: number, W: number, OC: number, kh: number, kw: number, ph: number, pw: number,
    dx: FloatArray,
  ): void;
  /**
   * The weight gradient of conv2dForward (shapes as there):
   *   dw[o, c, i, j] = beta·dw[o, c, i, j] + Σ_{b, oy, ox} dy[b, o, oy, ox] · x[b, c, oy − ph + i, ox − pw + j]
   * beta is 0 (overwrite: NaNs in dw vanish) or 1 (accumulate).
   */
  conv2dBackwardFilter(
    x: FloatArray, dy: FloatArray,
    batch: number, C: number, H: number, W: number, OC: number, kh: number, kw: number, ph: number, pw: number,
    beta: number, dw: FloatArray,
  ): void;
  /** dx (zeroed by the caller) += dy routed to the saved argmax positions. */
  maxPool2dBackward(
    dy: FloatArray, argmax: Int32Array, planes: number, H: number, W: number,
    OH: number, OW: number, dx: FloatArray,
  ): void;

  /**
   * Average pooling of x[B·C, H, W] into y[B·C, OH, OW], zero padding counted in every window
   * (PyTorch's count_include_pad = True): y = (1/(kh·kw)) Σ_window x.
   */
  avgPool2dForward(
    x: FloatArray, planes: number, H: number, W: number, kh: number, kw: number,
    sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, y: FloatArray,
  ): void;
  /** dx (zeroed by the caller) += dy/(kh·kw) spread over each window's inputs inside the image. */
  avgPool2dBackward(
    dy: FloatArray, planes: number, H: number, W: number, kh: number, kw: number,
    sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, dx: FloatArray,
  ): void;

  // ---- normalisation ---------------------------------------------------------------------------
  // x is [batch, channels, spatial] for batch norm (spatial = 1 for [N, C], H·W for images) and
  // [rows, cols] for layer norm; per-channel and per-row vectors have the dtype of x.
  /**
   * Per channel c, over the M = batch·spatial values x[·, c, ·]:
   *   mean[c] = (1/M) Σ x,   variance[c] = (1/M) Σ (x − mean[c])²   (biased; two passes).
   */
  batchNormStats(x: FloatArray, batch: number, channels: number, spatial: number, mean: FloatArray, variance: FloatArray): void;
  /**
   * y[b, c, s] = (x[b, c, s] − mean[c]) · invStd[c] · weight[c] + bias[c]
   * (weight null: 1, bias null: 0).
   */
  batchNormForward(
    x: FloatArray, batch: number, channels: number, spatial: number, mean: FloatArray, invStd: FloatArray,
    weight: FloatArray | null, bias: FloatArray | null, y: FloatArray,
  ): void;
  /**
   * invStd[c] = 1/√(variance[c] + eps) for c < channels (the batch's biased variance in training,
   * running_var in eval), each rounded once into invStd.
   */
  batchNormInvStd(variance: FloatArray, channels: number, eps: number, invStd: FloatArray): void;
  /**
   * The running estimates' update after a training batch of M values per channel, for c < channels:
   *   runningMean[c] ← (1 − factor)·runningMean[c] + factor·mean[c]
   *   runningVar[c]  ← (1 − factor)·runningVar[c] + factor·variance[c]·unbias
   * with mean, variance the batch's (batchNormStats), factor the momentum (or 1/num_batches_tracked
   * for a cumulative average) and unbias = M/(M − 1), which makes the biased variance unbiased.
   * Each result is rounded once.
   */
  batchNormRunningUpdate(
    mean: FloatArray, variance: FloatArray, channels: number, factor: number, unbias: number,
    runningMean: FloatArray, runningVar: FloatArray,
  ): void;
  /**
   * The gradient of batchNormForward, with x̂ = (x − mean)·invStd and, per channel c, the sums
   * over its M = batch·spatial values S₁ = Σ dy and S₂ = Σ dy·x̂:
   *   dweight[c] += S₂, dbias[c] += S₁ (when given);
   *   'batch':   dx = weight[c]·invStd[c]·(dy − S₁/M − x̂·S₂/M)
   *   'running': dx = weight[c]·invStd[c]·dy
   * (weight null: 1). dx is overwritten.
   */
  batchNormBackward(
    x: FloatArray, dy: FloatArray, batch: number, channels: number, spatial: number, mean: FloatArray, invStd: FloatArray,
    weight: FloatArray | null, statistics: BatchNormStatistics, dweight: FloatArray | null, dbias: FloatArray | null, dx: FloatArray,
  ): void;
  /**
   * Each row r of x[rows, cols]: mean[r] = (1/cols) Σ x, rstd[r] = 1/√((1/cols) Σ (x − mean)² + eps),
   * y = (x − mean[r]) · rstd[r] · weight + bias (weight, bias [cols]; null: 1 and 0).
   */
  layerNormForward(
    x: FloatArray, rows: number, cols: number, eps: number, weight: FloatArray | null, bias: FloatArray | null,
    y: FloatArray, mean: FloatArray, rstd: FloatArray,
  ): void;
  /**
   * The gradient of layerNormForward, with x̂ = (x − mean)·rstd and g = dy·weight per row:
   *   dx = rstd · (g − mean(g) − x̂ · mean(g·x̂))   (means over the row; overwritten),
   *   dweight += Σ_rows dy·x̂, dbias += Σ_rows dy (when given).
   */
  layerNormBackward(
    x: FloatArray, dy: FloatArray, rows: number, cols: number, mean: FloatArray, rstd: FloatArray,
    weight: FloatArray | null, dweight: FloatArray | null, dbias: FloatArray | null, dx: FloatArray,
  ): void;

  // ---- softmax along one axis ------------------------------------------------------------------
  // x is [outer, size, inner] and the softmax runs along the middle axis (stride inner): the
  // axis `dim` of a tensor, with outer = ∏ dims before it and inner = ∏ dims after it.
  /** y = e^(x − max) / Σ e^(x − max) along the axis. */
  softmaxForward(x: FloatArray, outer: number, size: number, inner: number, y: FloatArray): void;
  /** From the saved output: dx = y · (dy − Σ dy·y), the sum along the axis. */
  softmaxBackward(y: FloatArray, dy: FloatArray, outer: number, size: number, inner: number, dx: FloatArray): void;
  /** y = x − max − log Σ e^(x − max) along the axis. */
  logSoftmaxForward(x: FloatArray, outer: number, size: number, inner: number, y: FloatArray): void;
  /** From the saved output: dx = dy − e^y · Σ dy, the sum along the axis. */
  logSoftmaxBackward(y: FloatArray, dy: FloatArray, outer: number, size: number, inner: number, dx: FloatArray): void;
  /**
   * Σ_r −logProbs[r, labels[r]] over the rows of logProbs [rows, classes] whose label is ≥ 0
   * (a row labelled −1 is ignored), accumulated in float64: the sum, the caller divides for the mean.
   */
  nllLoss(logProbs: FloatArray, rows: number, classes: number, labels: Int32Array): number;
  /** grad[rows, classes] = 0, then grad[r, labels[r]] = −scale for each row with labels[r] ≥ 0. */
  nllLossBackward(rows: number, classes: number, labels: Int32Array, scale: number, grad: FloatArray): void;

  // ---- lookup --------------------------------------------------------------------------------
  /** y[i, :] = weight[indices[i], :] for each of the indices; weight is [numEmbeddings, dim]. */
  embeddingForward(weight: FloatArray, indices: Int32Array, dim: number, y: FloatArray): void;
  /**
   * dweight[indices[i], :] += dy[i, :] for each i, in order (a scatter-add: repeated indices
   * accumulate), skipping every i with indices[i] = paddingIdx (−1: none).
   */
  embeddingBackward(dy: FloatArray, indices: Int32Array, dim: number, paddingIdx: number, dweight: FloatArray): void;

  // ---- optimiser updates (in place) -------------------------------------------------------
  /** PyTorch's SGD step on one parameter; `buf` is the momentum buffer. */
  sgdStep(param: FloatArray, grad: FloatArray, buf: FloatArray, h: SgdHyper): void;
  /** PyTorch's Adam / AdamW step on one parameter; m and v are the moment estimates. */
  adamStep(param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, h: AdamHyper): void;
  /**
   * PyTorch's RMSprop step on one parameter: squareAvg is the running mean of g², gradAvg the
   * running mean of g (read and written only when centered; may be empty otherwise), buf the
   * momentum buffer (only when momentum > 0; may be empty otherwise).
   */
  rmspropStep(param: FloatArray, grad: FloatArray, squareAvg: FloatArray, gradAvg: FloatArray, buf: FloatArray, h: RmspropHyper): void;
}

/**
 * A backend: its kernels, how it allocates tensor storage, and what it cannot do. `Kind` is its
 * kind's name in the registry that makes it (src/backend.ts: BACKEND_KINDS).
 */
export interface Backend<Kind extends string = string> {
  /** The backend's kind, e.g. 'wasm'. */
  readonly name: Kind;
  /** The kernels it runs. */
  readonly kernels: Kernels;
  /** Storage for a tensor; the wasm backend hands out views on its linear memory. */
  allocate(dtype: 'float32' | 'float64', size: number): FloatArray;
  /** dtypes this backend runs natively; others are routed to the reference kernels. */
  readonly dtypes: readonly ('float32' | 'float64')[];
  /** Human-readable description, e.g. "wasm (simd128, 2 threads)". */
  describe(): string;
  /**
   * True for a kernel this backend runs on the host although its arrays live elsewhere (a device
   * backend's host rows: the arrays travel to the host and back). Absent: every kernel runs where
   * its arrays live. A caller with another way to the same numbers (the sparse first layer) asks.
   */
  runsOnHost?(kernel: Exclude<keyof Kernels, 'name'>): boolean;
  /** The packed first layer's products (packed.ts), where the backend has them (float32). */
  readonly packedSparse?: PackedSparseKernels;
}

/**
 * The convolutions conv2dForward / conv2dBackwardData / conv2dBackwardFilter take: stride 1,
 * padding smaller than the kernel, and images small enough that one image's padded planes (the
 * larger of its C input and OC output channels, plus 4 output rows) fit DIRECT_CONV_MAX_FLOATS,
 * which every backend handles; and few input channels (C·kh·kw ≤ DIRECT_CONV_MAX_TAPS), where
 * the direct loops beat an unfolding into a GEMM.
 */
export function directConvFits(C: number, H: number, W: number, OC: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number): boolean {
  if (sh !== 1 || sw !== 1 || ph >= kh || pw >= kw) return false;
  if (C * kh * kw > DIRECT_CONV_MAX_TAPS) return false;
  return directConvFloats(C, H, W, OC, kh, kw, ph, pw) <= DIRECT_CONV_MAX_FLOATS;
}

/** Largest C·kh·kw of a direct convolution. */
export const DIRECT_CONV_MAX_TAPS = 288;
/** Floats of per-thread scratch a direct convolution of one image may need (wasm: its GEMM scratch area). */
export const DIRECT_CONV_MAX_FLOATS = 65536;

/**
 * Floats of scratch one image of a direct convolution uses at most, for the larger of the forward
 * pass and the backward passes: the padded planes of its input (C planes of (H + 2ph) × (W + 2pw))
 * or, for the input gradient, of dy (OC planes of (OH + 2(kh−1−ph)) × (OW + 2(kw−1−pw))), with a
 * row and a kernel width of slack; 4 rows of output positions, twice; 4 lane sums of the weight gradient
 * of 4 output channels; the offset of every tap and the weights of 4 channels per tap.
 */
export function directConvFloats(C: number, H: number, W: number, OC: number, kh: number, kw: number, ph: number, pw: number): number {
  const Hp = H + 2 * ph, Wp = W + 2 * pw;
  const OH = Hp - kh + 1, OW = Wp - kw + 1;
  const Hq = OH + 2 * (kh - 1 - ph), Wq = OW + 2 * (kw - 1 - pw);
  const planes = Math.max(C * Hp * Wp + Wp, OC * Hq * Wq + Wq) + kw + 16;
  const rows = 8 * (Math.max(OH * Wp, H * Wq) + 8);
  return planes + rows + 16 * C * kh * kw + 5 * Math.max(C, OC) * kh * kw + 96;
}
