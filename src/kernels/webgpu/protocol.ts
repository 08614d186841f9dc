// The channel between the calling thread (the client: layers, kernels, host mirrors) and the
// device worker (the server: it owns the GPUDevice). One ring of 32-bit words in a
// SharedArrayBuffer carries every command, in order; the client never waits except for data.
//
//   control words (Int32Array over `control`):
//     WRITE   words the client has written (a wrapping 32-bit count; the ring index is & RING_MASK)
//     READ    words the server has consumed (the client waits on it when the ring is full)
//     DONE    readbacks completed (the client waits on it after asking for one)
//     FAILED  1 once the server met an error; its message is in `errorText` (UTF-8, NUL-ended)
//     QUIT    1 asks the server to stop
//   command:  [op, words (header included), ...payload]; a command never wraps: when it does not
//             fit before the end of the ring, the client writes SKIP and starts again at index 0.
//
//   ALLOC     [id, bytes]                          a storage buffer for allocation `id`
//   FREE      [id]
//   PIPELINE  [id, bytes, ...UTF-8 JSON]           PipelineSpec: WGSL, override constants, bindings
//   DISPATCH  [pipeline, buffers, x, y, z, ...ids, uniformWords, ...uniform]
//   UPLOAD    [id, byteOffset, bytes, ...data]     host values into the allocation
//   READ      [id, byteOffset, bytes]              allocation bytes into `readback`, then DONE++
//
// The server submits what it has encoded whenever the ring runs dry, before a READ completes, and
// when its upload or uniform arena is full, so one step's dispatches share few command buffers.

export const RING_WORDS = 1 << 21; // 8 MiB
export const RING_MASK = RING_WORDS - 1;
/** The largest UPLOAD or READ payload: bigger transfers are cut into chunks of this size. */
export const CHUNK_BYTES = 1 << 21; // 2 MiB (a quarter of the ring)
export const READBACK_BYTES = CHUNK_BYTES;
export const ERROR_TEXT_BYTES = 4096;
/** Uniform words per dispatch (a 64-byte block; each dispatch gets its own 256-byte slot). */
export const UNIFORM_WORDS = 16;

// QUIT: stop after what is queued (shutdown). HALT: stop after the command in hand (the process
// exits). STOPPED: set by the worker once it has left its loop and destroyed the device, so a
// thread may end it without cutting into a call to the GPU API.
export const CTRL = { WRITE: 0, READ: 1, DONE: 2, FAILED: 3, QUIT: 4, HALT: 5, STOPPED: 6 } as const;
export const CONTROL_WORDS = 8;

export const OP = { SKIP: 1, ALLOC: 2, FREE: 3, PIPELINE: 4, DISPATCH: 5, UPLOAD: 6, READ: 7 } as const;

/** How a pipeline binds its buffers: 'r' read-only storage, 'w' read-write storage; a uniform block follows them. */
export type BindingKind = 'r' | 'w';

export interface PipelineSpec {
  /** A short name for error messages ("gemm", "unary/relu"). */
  name: string;
  code: string;
  constants: Record<string, number>;
  bindings: BindingKind[];
}

/** The shared memory both sides hold. */
export interface Channel {
  control: SharedArrayBuffer;
  ring: SharedArrayBuffer;
  readback: SharedArrayBuffer;
  errorText: SharedArrayBuffer;
}

export function createChannel(): Channel {
  return {
    control: new SharedArrayBuffer(CONTROL_WORDS * 4),
    ring: new SharedArrayBuffer(RING_WORDS * 4),
    readback: new SharedArrayBuffer(READBACK_BYTES),
    errorText: new SharedArrayBuffer(ERROR_TEXT_BYTES),
  };
}

/** What the server reports once its device is ready (or why it is not). */
export type ServerHello =
  | { ok: true; adapter: AdapterDescription }
  | { ok: false; reason: string };

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** The constants the server needs, passed to it (its source is self-contained). */
export const SERVER_LAYOUT = {
  RING_WORDS, RING_MASK, READBACK_BYTES, ERROR_TEXT_BYTES, UNIFORM_WORDS, CTRL, OP,
} as const;
export type ServerLayout = typeof SERVER_LAYOUT;
