// The constants of the kernel module's interface that both of its sides read: the control block
// through which the calling thread describes a threaded job to the workers, and the integer
// codes of the table's enum arguments.
//
// This file is compiled twice: by AssemblyScript (assembly/ imports it: the workers' side of the
// job protocol, gemmJob, and the kernels that take an enum) and by TypeScript (the runtime writes
// jobs with it, the worker loop's source is built from it, the kernel table passes the codes),
// so both sides read one definition. It holds integer constants only, the subset of TypeScript
// that AssemblyScript compiles unchanged.
//
// The control block: CTRL_BYTES bytes at a 64-byte aligned offset of the memory, read as i32
// words, with the float64 hyperparameters of an optimiser step from word F64 on.

// ---- protocol words ---------------------------------------------------------------------------
/** Job generation, 1 … MAX_GEN; idle workers Atomics.wait on it. */
export const GEN = 0;
/** (generation << INDEX_BITS) | index of the next block, taken by compare-and-swap. */
export const NEXT = 1;
/** Blocks finished in the current job. */
export const DONE = 2;
/** Non-zero: workers leave their loop. */
export const QUIT = 3;
/** Workers asleep in Atomics.wait (the caller notifies only when there are some). */
export const SLEEPERS = 4;
/** Id of a worker that trapped (0: none). */
export const FAILED = 5;
/** Bit t set: worker t has instantiated the module and runs its loop. */
export const STARTED = 6;

/** Bits of NEXT that count blocks; the bits above hold the generation. */
export const INDEX_BITS = 20;
/** Generations run 1 … MAX_GEN (12 bits above INDEX_BITS); tag 0 belongs to no job. */
export const MAX_GEN = 4095;

// ---- job parameters (written before GEN is bumped) ------------------------------------------
// GEMM: transA, transB, M, N, K, alpha (f32), A, B, beta (f32), C (byte offsets), block sizes
// MB × NB, blocks BM × BN, and thread 0's GEMM scratch (thread t uses P_SCRATCH + t·scratchBytes).
// An optimiser step on P_M floats, cut into chunks of P_MB: P_A param, P_B grad, P_C momentum
// buffer or first moment, P_N second moment, flags in P_TA and P_TB, hyperparameters from F64.
// A GEMM cut along K: block b multiplies k = b·P_MB … into C (b = 0, with beta) or into partial
// product b − 1 at byte offset P_NB (M·N floats each); the caller adds them to C afterwards.
export const P_TA = 8;
export const P_TB = 9;
export const P_M = 10;
export const P_N = 11;
export const P_K = 12;
export const P_ALPHA = 13;
export const P_A = 14;
export const P_B = 15;
export const P_BETA = 16;
export const P_C = 17;
export const P_MB = 18;
export const P_NB = 19;
export const P_BM = 20;
export const P_BN = 21;
export const P_SCRATCH = 22;
/** Which job: one of the JOB_ kinds. */
export const P_KIND = 23;

export const JOB_GEMM = 0;
export const JOB_SGD = 1;
export const JOB_ADAM = 2;
export const JOB_GEMM_K = 3;
export const JOB_SPARSE_FORWARD = 4;
export const JOB_SPARSE_BACKWARD = 5;
/**
 * The packed forward of a sparse first layer (sparsePackedForward): P_SP_DENSE holds Wt; P_TB
 * non-zero when every value is the f32 in P_ALPHA; P_TA non-zero: block 0 also sorts the batch
 * by column (sparseColumns) into P_A, P_B, P_C (colPtr, entRow, entVal), the chunks follow.
 */
export const JOB_SPARSE_PACKED_FORWARD = 7;
/**
 * The column products of a sparse first layer (sparseColumnsProduct): P_SP_ROW_PTR, P_SP_COL_IDX,
 * P_SP_VALUES hold colPtr, entRow, entVal; P_SP_DENSE dy; P_SP_OUT dW or W; P_SP_ROWS Wt; P_TA the
 * mode (0 gradient, 1 SGD step); P_TB and P_ALPHA the one value, as for the forward; P_BETA beta;
 * F64 slot 0 the learning rate.
 */
export const JOB_SPARSE_COLUMNS = 8;
/** A blocked table kernel (kernels.ts: `blocked`): its code, item count, items per block and integer arguments below. */
export const JOB_BLOCKED = 6;

// A product with sparse rows (sparseGemmForward / sparseGemmBackward, assembly/sparse.ts), one
// block per chunk of SPARSE_CHUNK output columns: P_M, P_N, P_K its M, N, K, P_BETA its beta
// (backward), and the byte offsets of its arrays in the words below. Thread t's scratch is at
// P_SP_SCRATCH + t·sparseScratchBytes(M, K).
export const P_SP_ROWS = 24;
export const P_SP_ROW_PTR = 25;
export const P_SP_COL_IDX = 26;
export const P_SP_VALUES = 27;
export const P_SP_CONST = 28;
/** W (forward) or dy (backward). */
export const P_SP_DENSE = 29;
/** y (forward) or dW (backward). */
export const P_SP_OUT = 30;
export const P_SP_SCRATCH = 31;

// ---- statistics and the float64 area ----------------------------------------------------------
/** Words STATS … STATS + STATS_SLOTS − 1: blocks done per thread id (tests, benchmarks). */
export const STATS = 32;
export const STATS_SLOTS = 32;
/** First word of the float64 hyperparameters (byte 256: 8-byte aligned). */
export const F64 = 64;
/** float64 hyperparameter slots. */
export const F64_SLOTS = 16;

// ---- a blocked kernel's job: block b runs items b·P_BK_PER … (at most P_BK_ITEMS) of the
// kernel BK_<code>, called with its P_BK_ARGC arguments (as integers from word P_BK_ARGS on, and
// the first F64_SLOTS as float64 from word F64 on), then the item range and the thread's scratch
// area (its GEMM scratch).
export const P_BK_CODE = 96;
export const P_BK_ITEMS = 97;
export const P_BK_PER = 98;
export const P_BK_ARGC = 99;
export const P_BK_ARGS = 100;
/** Most integer arguments of a blocked kernel. */
export const BK_MAX_ARGS = 24;
export const BK_CONV2D_FORWARD = 1;
export const BK_CONV2D_BACKWARD_DATA = 2;
export const BK_CONV2D_BACKWARD_FILTER = 3;
export const BK_MAX_POOL_FORWARD = 4;
export const BK_MAX_POOL_BACKWARD = 5;
export const BK_SUM_CHANNELS = 6;
export const BK_RELU_FORWARD = 7;
export const BK_RELU_BACKWARD = 8;

/** Size of the block; thread 0's GEMM scratch follows it. */
export const CTRL_BYTES = 1024;

// ---- enum codes ---------------------------------------------------------------------------------
/** ElementwiseLossKind: 'mse', 'bce', 'bceWithLogits'. */
export const LOSS_MSE = 0;
export const LOSS_BCE = 1;
export const LOSS_BCE_WITH_LOGITS = 2;
/** GeluApproximate: 'none' (erf), 'tanh'. */
export const GELU_ERF = 0;
export const GELU_TANH = 1;
/** BatchNormStatistics: 'batch', 'running'. */
export const BN_BATCH = 0;
export const BN_RUNNING = 1;
