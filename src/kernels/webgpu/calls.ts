// What every device kernel of the table does around its dispatches: find the device allocations
// behind its arrays and bind them (uploading what the host wrote, marking what the call writes as
// newer on the device), fall back to the host mirrors when the device cannot take the arrays,
// size a grid of workgroups, and use a small scratch allocation for sums the host reads back or
// the next dispatch of the same call reads. The kernel files (kernels*.ts) share one of these.

import { onHost } from '../../tensor.js';
import type { DeviceArray, DeviceClient } from './client.js';
import type { BindingKind, PipelineSpec } from './protocol.js';

type View = ArrayBufferView;
const MAX_GRID = 65535;

/** Counts of what ran where (tests assert the device path ran; the bench reports them). */
export interface KernelCounts {
  device: number;
  host: number;
}

/** The uniform words of one dispatch (u32 and f32 over the same words, from index `at`). */
export interface Uniforms {
  u: Int32Array;
  f: Float32Array;
  at: number;
}

export interface DeviceCalls {
  readonly client: DeviceClient;
  /** The allocation ids of the last bind, in binding order. */
  readonly ids: number[];
  /**
   * Binds the arrays of one call, in the order of the shader's bindings; `modes` has one letter
   * per array: r read, w written (every element of the view), x read and written. A null view is
   * an unused optional binding and binds `fallback`'s buffer. Uploads what the host wrote, marks
   * what the call writes as newer on the device. False when the device cannot take the arrays
   * (an array this backend did not allocate, or one allocation bound twice with a write):
   * nothing has been changed then.
   */
  bind(views: readonly (View | null)[], modes: string, fallback: View): boolean;
  /** The element offset of a view in its allocation. */
  off(v: View | null): number;
  /** Brings every array of a call to the host before a reference loop runs on it. */
  host(...views: (View | null)[]): void;
  /** `groups` workgroups laid over a 2-D grid of at most 65535 per dimension. */
  grid(groups: number): [number, number];
  /** Dispatches `n` elements' worth of 256-thread workgroups over the last bind; returns the uniform words to fill. */
  launch(p: PipelineSpec, n: number): Uniforms;
  /** Dispatches `groups` workgroups (a 2-D grid) over the last bind; returns the uniform words to fill. */
  launchGroups(p: PipelineSpec, groups: number): Uniforms;
  /** The scratch allocation (a view of all of it), at least `floats` long. */
  scratchFor(floats: number): Float32Array;
  /** Reads floats [0, n) of the scratch back into its mirror and returns them. */
  readScratch(n: number): Float32Array;
}

/** A pipeline's description: its WGSL, binding kinds and override constants. */
export function spec(name: string, code: string, bindings: BindingKind[], constants: Record<string, number> = {}): PipelineSpec {
  return { name, code, bindings, constants };
}

export function deviceCalls(client: DeviceClient, counts: KernelCounts): DeviceCalls {
  const ids: number[] = [];
  const arrays: DeviceArray[] = [];
  /** A small allocation for partial sums (and a view on it); grown on demand. */
  let scratch: DeviceArray = client.allocate(4096);
  let scratchView = new Float32Array(scratch.mirror);

  const grid = (groups: number): [number, number] => {
    const x = Math.min(groups, MAX_GRID);
    return [x, Math.ceil(groups / x)];
  };
  const launchGroups = (p: PipelineSpec, groups: number): Uniforms => {
    const [x, y] = grid(Math.max(1, groups));
    return client.dispatch(client.pipeline(p), ids, x, y, 1);
  };

  return {
    client,
    ids,
    bind(views, modes, fallback) {
      ids.length = arrays.length = 0;
      for (let i = 0; i < views.length; i++) {
        const a = client.lookup(views[i] ?? fallback);
        if (!a) return false;
        for (let j = 0; j < arrays.length; j++) if (arrays[j] === a && (modes[i] !== 'r' || modes[j] !== 'r')) return false;
        arrays.push(a);
        ids.push(a.id);
      }
      for (let i = 0; i < arrays.length; i++) {
        const a = arrays[i]!;
        const v = views[i] ?? fallback;
        // an output that covers its whole allocation need not be uploaded first
        if (modes[i] === 'w' && v.byteOffset === 0 && v.byteLength === a.bytes) continue;
        a.toDevice();
      }
      for (let i = 0; i < arrays.length; i++) if (modes[i] !== 'r') arrays[i]!.side = 'device';
      counts.device++;
      return true;
    },
    off: (v) => (v ? v.byteOffset >> 2 : 0),
    host(...views) {
      for (const v of views) if (v) onHost(v);
      counts.host++;
    },
    grid,
    launch: (p, n) => launchGroups(p, Math.ceil(n / 256)),
    launchGroups,
    scratchFor(floats) {
      if (scratch.bytes < floats * 4) {
        scratch = client.allocate(Math.max(floats * 4, scratch.bytes * 2));
        scratchView = new Float32Array(scratch.mirror);
      }
      return scratchView;
    },
    readScratch(n) {
      client.read(scratch, 0, n * 4, new Uint8Array(scratch.mirror, 0, n * 4));
      return new Float32Array(scratch.mirror, 0, n);
    },
  };
}
