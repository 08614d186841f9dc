// The calling thread's side of the device: it writes commands into the ring (protocol.ts), and
// keeps, for every allocation, a host mirror and which side holds its newest values:
//
//   'host'    the host mirror (written by the host, or handed out to it): upload before a kernel reads it
//   'clean'   both sides agree
//   'device'  a kernel wrote it: read it back before the host looks (onHost → toHost)
//
// Only a readback blocks (Atomics.wait on the DONE word), which is why the webgpu backend runs
// where the calling thread may block: Node's main thread and any worker, not a browser's main
// thread. Allocations are freed on the device when their host mirror is collected.

import { HandgradError, registerHostMirror } from '../../tensor.js';
import {
  CHUNK_BYTES, CTRL, OP, RING_MASK, RING_WORDS, UNIFORM_WORDS,
  type Channel, type PipelineSpec,
} from './protocol.js';

export type Side = 'host' | 'clean' | 'device';

/** One device allocation and its host mirror. */
export class DeviceArray {
  side: Side = 'clean';
  constructor(readonly client: DeviceClient, readonly id: number, readonly bytes: number, readonly mirror: ArrayBuffer) {}

  /** Host values current and host-writable (the HostMirror hook). */
  toHost(): void {
    if (this.side === 'device') this.client.read(this, 0, this.bytes, new Uint8Array(this.mirror, 0, this.bytes));
    this.side = 'host';
  }

  /** Device values current before a kernel reads them. */
  toDevice(): void {
    if (this.side !== 'host') return;
    this.client.upload(this, 0, new Uint8Array(this.mirror, 0, this.bytes));
    this.side = 'clean';
  }
}

export interface ClientOptions {
  /** Seconds to wait for the device worker before failing (a readback or ring space). */
  timeoutSeconds: number;
}

export class DeviceClient {
  private readonly ctrl: Int32Array;
  private readonly ring: Int32Array;
  private readonly ringF32: Float32Array;
  private readonly readback: Uint8Array;
  private readonly errorText: Uint8Array;
  /** Words written (wrapping), mirrored in ctrl[WRITE] at publish(). */
  private written: number;
  private nextId = 1;
  private readonly pipelines = new Map<string, number>();
  private readonly freed = new FinalizationRegistry<number>((id) => this.free(id));
  private readonly arrays = new WeakMap<ArrayBufferLike, DeviceArray>();
  private closed = false;
  /** Readbacks and uploads so far (what tests and the bench report). */
  readonly stats = { readbacks: 0, readBytes: 0, uploads: 0, uploadBytes: 0, dispatches: 0 };

  constructor(channel: Channel, private readonly opts: ClientOptions, private readonly onClose: () => void) {
    this.ctrl = new Int32Array(channel.control);
    this.ring = new Int32Array(channel.ring);
    this.ringF32 = new Float32Array(channel.ring);
    this.readback = new Uint8Array(channel.readback);
    this.errorText = new Uint8Array(channel.errorText);
    this.written = Atomics.load(this.ctrl, CTRL.WRITE);
  }

  /** A new allocation of `bytes` with a zeroed host mirror (the device buffer starts zeroed too). */
  allocate(bytes: number): DeviceArray {
    const id = this.nextId++;
    const mirror = new ArrayBuffer(bytes);
    const a = new DeviceArray(this, id, bytes, mirror);
    registerHostMirror(mirror, a);
    this.arrays.set(mirror, a);
    this.freed.register(mirror, id);
    const at = this.begin(OP.ALLOC, 2);
    this.ring[at] = id;
    this.ring[at + 1] = bytes;
    this.end();
    return a;
  }

  /** The allocation behind a host array, or undefined for an array this client did not allocate. */
  lookup(a: ArrayBufferView): DeviceArray | undefined {
    return this.arrays.get(a.buffer);
  }

  /** The id of the pipeline for `spec` (created on the device the first time). */
  pipeline(spec: PipelineSpec): number {
    const key = `${spec.name}|${JSON.stringify(spec.constants)}`;
    let id = this.pipelines.get(key);
    if (id !== undefined) return id;
    id = this.pipelines.size + 1;
    this.pipelines.set(key, id);
    const bytes = new TextEncoder().encode(JSON.stringify(spec));
    const at = this.begin(OP.PIPELINE, 2 + Math.ceil(bytes.length / 4));
    this.ring[at] = id;
    this.ring[at + 1] = bytes.length;
    new Uint8Array(this.ring.buffer, (at + 2) * 4, bytes.length).set(bytes);
    this.end();
    return id;
  }

  /**
   * Encodes one dispatch: `ids` are the allocations bound in order, `uniform` the words of its
   * uniform block (written by the caller into the returned views: u32 and f32 over the same words).
   */
  dispatch(pipeline: number, ids: readonly number[], x: number, y: number, z: number): { u: Int32Array; f: Float32Array; at: number } {
    const n = ids.length;
    const at = this.begin(OP.DISPATCH, 5 + n + 1 + UNIFORM_WORDS);
    const r = this.ring;
    r[at] = pipeline;
    r[at + 1] = n;
    r[at + 2] = x;
    r[at + 3] = y;
    r[at + 4] = z;
    for (let i = 0; i < n; i++) r[at + 5 + i] = ids[i]!;
    r[at + 5 + n] = UNIFORM_WORDS;
    r.fill(0, at + 6 + n, at + 6 + n + UNIFORM_WORDS);
    this.stats.dispatches++;
    return { u: r, f: this.ringF32, at: at + 6 + n };
  }

  /** Finishes the command begun by the last dispatch() (after its uniforms are written). */
  end(): void {
    this.publish(false);
  }

  /** Host bytes into the allocation at byteOffset (a multiple of 4), in chunks. */
  upload(a: DeviceArray, byteOffset: number, src: Uint8Array): void {
    for (let done = 0; done < src.length; done += CHUNK_BYTES) {
      const bytes = Math.min(CHUNK_BYTES, src.length - done);
      const at = this.begin(OP.UPLOAD, 3 + Math.ceil(bytes / 4));
      this.ring[at] = a.id;
      this.ring[at + 1] = byteOffset + done;
      this.ring[at + 2] = bytes;
      new Uint8Array(this.ring.buffer, (at + 3) * 4, bytes).set(src.subarray(done, done + bytes));
      this.end();
      this.stats.uploads++;
      this.stats.uploadBytes += bytes;
    }
  }

  /** Device bytes of the allocation from byteOffset into dst: blocks until they are here. */
  read(a: DeviceArray, byteOffset: number, bytes: number, dst: Uint8Array): void {
    for (let done = 0; done < bytes; done += CHUNK_BYTES) {
      const n = Math.min(CHUNK_BYTES, bytes - done);
      const before = Atomics.load(this.ctrl, CTRL.DONE);
      const at = this.begin(OP.READ, 3);
      this.ring[at] = a.id;
      this.ring[at + 1] = byteOffset + done;
      this.ring[at + 2] = n;
      this.publish(true);
      this.waitWhile(CTRL.DONE, before, 'a readback');
      this.checkFailed();
      dst.set(this.readback.subarray(0, n), done);
      this.stats.readbacks++;
      this.stats.readBytes += n;
    }
  }

  /** True once the worker has left its loop and destroyed the device: it may be terminated. */
  get stopped(): boolean {
    return Atomics.load(this.ctrl, CTRL.STOPPED) !== 0;
  }

  /**
   * Stops the worker after the command in hand (what is queued behind it is dropped) and waits
   * up to `ms` for it to say so: for a process that is exiting, whose worker threads are then cut
   * off wherever they are (inside a call to Dawn, that aborts the process).
   */
  halt(ms: number): void {
    this.closed = true;
    Atomics.store(this.ctrl, CTRL.HALT, 1);
    Atomics.notify(this.ctrl, CTRL.WRITE);
    const until = Date.now() + ms;
    while (!this.stopped && Date.now() < until) Atomics.wait(this.ctrl, CTRL.STOPPED, 0, Math.max(1, until - Date.now()));
  }

  /** Asks the worker to stop (after what is queued). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.publish(true);
    Atomics.store(this.ctrl, CTRL.QUIT, 1);
    // wake the server if it sleeps on WRITE: bump nothing, just notify
    Atomics.notify(this.ctrl, CTRL.WRITE);
    this.onClose();
  }

  private free(id: number): void {
    if (this.closed) return;
    const at = this.begin(OP.FREE, 1);
    this.ring[at] = id;
    this.end();
  }

  /** Reserves a command of `payload` words after its [op, words] header; returns the payload index. */
  private begin(op: number, payload: number): number {
    if (this.closed) throw new HandgradError('webgpu: this backend was shut down (WebGPUBackend.shutdown()) and runs no more kernels');
    this.checkFailed();
    const words = 2 + payload;
    if (words > RING_WORDS / 2) throw new HandgradError(`webgpu: a command of ${words} words does not fit the ring`);
    let at = this.written & RING_MASK;
    if (at + words > RING_WORDS) {
      this.reserve(RING_WORDS - at);
      this.ring[at] = OP.SKIP;
      this.written = (this.written + (RING_WORDS - at)) | 0;
      at = 0;
    }
    this.reserve(words);
    this.ring[at] = op;
    this.ring[at + 1] = words;
    this.pendingWords = words;
    return at + 2;
  }

  private pendingWords = 0;

  /** Waits until the ring has `words` free (the server consumed enough). */
  private reserve(words: number): void {
    for (;;) {
      const read = Atomics.load(this.ctrl, CTRL.READ);
      if (RING_WORDS - ((this.written - read) | 0) >= words) return;
      this.publish(true);
      this.waitWhile(CTRL.READ, read, 'ring space');
      this.checkFailed();
    }
  }

  /** Makes the written commands visible to the server; `wake` notifies it if it sleeps. */
  private publish(wake: boolean): void {
    if (this.pendingWords > 0) {
      this.written = (this.written + this.pendingWords) | 0;
      this.pendingWords = 0;
    }
    Atomics.store(this.ctrl, CTRL.WRITE, this.written);
    if (wake) Atomics.notify(this.ctrl, CTRL.WRITE);
  }

  /** Flushes and wakes the server: what is queued starts running (no wait). */
  flush(): void {
    this.publish(true);
  }

  private waitWhile(word: number, value: number, what: string): void {
    const deadline = Date.now() + this.opts.timeoutSeconds * 1000;
    while (Atomics.load(this.ctrl, word) === value) {
      if (Atomics.load(this.ctrl, CTRL.FAILED) !== 0) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new HandgradError(`webgpu: the device worker did not answer within ${this.opts.timeoutSeconds} s (waiting for ${what})`);
      Atomics.wait(this.ctrl, word, value, Math.min(left, 1000));
    }
  }

  private checkFailed(): void {
    if (Atomics.load(this.ctrl, CTRL.FAILED) === 0) return;
    const end = this.errorText.indexOf(0);
    const message = new TextDecoder().decode(this.errorText.slice(0, end < 0 ? undefined : end));
    throw new HandgradError(message || 'webgpu: the device worker failed');
  }
}
