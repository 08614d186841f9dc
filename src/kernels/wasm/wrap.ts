// The one wrapper between a kernel-table entry and its export. A line of kernels.ts says, for
// each argument of the table entry in order, how it reaches the export: an array (with how the
// kernel uses it), a number, or an enum (with its integer codes). From that the wrapper:
//   - sends the call to the reference kernel when an array is float64 (never routed here by
//     kernelsFor, but possible when the table is called directly);
//   - passes byte offsets when every array lives in WASM memory (the fast path: what layers,
//     parameters and batches allocated by the backend take);
//   - otherwise copies the other arrays through the runtime's staging area, in ('in', 'inout')
//     and back out ('out', 'inout'), or runs the reference kernel when no staging space is left;
//   - calls the export with the fixed argument order of assembly/kernels.ts: the array offsets
//     in table order, then n (the first array's length) for an elementwise kernel, then the
//     other arguments in table order;
//   - for a blocked kernel (a line made with `blocked`), runs it as a job on the worker pool
//     (jobs.ts): the export also takes a range of items (images, planes, channels: the count is
//     one of its arguments) and a scratch area, and every thread runs ranges of its own.
// A call allocates nothing: the argument vectors are made once per kernel.

import { HandgradError } from '../../tensor.js';
import type { Kernels } from '../table.js';
import { callExport, kernelExport } from './abi.js';
import { STAGE, type KernelArray, type Mode, type WasmRuntime } from './runtime.js';

/** The kernels written by hand as threaded jobs (kernels.ts, sparse.ts). */
type HandWritten = 'gemm' | 'sparseGemmForward' | 'sparseGemmBackward';

/**
 * The table entries the generic wrapper can run: every kernel whose arguments are arrays,
 * numbers and enum strings (the optimiser steps take their hyperparameters as an object and are
 * written by hand or run the reference), less the hand-written ones.
 */
export type GenericName = {
  [K in Exclude<keyof Kernels, 'name' | HandWritten>]: Kernels[K] extends Fallback['call'] ? K : never;
}[Exclude<keyof Kernels, 'name' | HandWritten>];

/** How one argument of a table entry (of type P) reaches the export. */
type ArgSpec<P> =
  [P] extends [number] ? string // a number, passed as it is: its name
  : [P] extends [string] ? readonly [name: string, codes: Readonly<Record<P, number>>] // an enum, passed as its code
  : readonly [name: string, mode: Mode]; // an array, passed as a byte offset

/** An ArgSpec per element of the parameter tuple P. */
type ArgSpecs<P extends readonly unknown[]> = { readonly [I in keyof P]: ArgSpec<P[I]> };

/** One line of the table: an ArgSpec per argument of `Kernels[N]`, in the table's order. */
export interface KernelSpec<N extends GenericName> {
  /** The export also takes n, the length of the first array, after the offsets. */
  readonly elementwise: boolean;
  /** Set for a blocked kernel. */
  readonly blocking?: Blocking;
  readonly args: ArgSpecs<Parameters<Kernels[N]>>;
}

type LooseArg = string | readonly [string, Mode | Readonly<Record<string, number>>];

/** A spec line of an elementwise kernel: the export takes n after the array offsets. */
export const elementwise = <const A extends readonly LooseArg[]>(args: A) => ({ elementwise: true, args }) as const;
/** A spec line of a kernel whose table entry carries its own dimensions. */
export const shaped = <const A extends readonly LooseArg[]>(args: A) => ({ elementwise: false, args }) as const;

/**
 * How a blocked kernel is cut into a job: its code in abi-shared.ts (BK_…), the argument that
 * counts its items ('n' for an elementwise kernel: its length), the grain (blocks hold a multiple
 * of it), and the fewest items worth sharing (default: 2 grains). Its arguments travel in the
 * control block both as integers and as float64 (blockedJob reads each as its export takes it).
 */
export interface Blocking {
  readonly code: number;
  readonly over: string;
  readonly grain: number;
  readonly minItems?: number;
}
/**
 * A spec line of an elementwise kernel run as a job over ranges of its n elements (16 at a time,
 * shared from 32768 on: below that a job costs more than it saves).
 */
export const blockedElementwise = <const A extends readonly LooseArg[]>(code: number, args: A) =>
  ({ elementwise: true, blocking: { code, over: 'n', grain: 16, minItems: 32768 }, args }) as const;
/** A spec line of a blocked kernel (shaped, run as a job over ranges of items). */
export const blocked = <const A extends readonly LooseArg[]>(blocking: Blocking, args: A) => ({ elementwise: false, blocking, args }) as const;

type Arg = KernelArray | number | string | null | undefined;
/** A wrapped kernel: up to 14 positional arguments (the longest table entry), a number or nothing out. */
export type Wrapped = (
  a0?: Arg, a1?: Arg, a2?: Arg, a3?: Arg, a4?: Arg, a5?: Arg, a6?: Arg,
  a7?: Arg, a8?: Arg, a9?: Arg, a10?: Arg, a11?: Arg, a12?: Arg, a13?: Arg,
) => number;
/** The reference kernel as the fallback calls it (a method, so the table's signatures fit). */
interface Fallback {
  call(
    a0?: Arg, a1?: Arg, a2?: Arg, a3?: Arg, a4?: Arg, a5?: Arg, a6?: Arg,
    a7?: Arg, a8?: Arg, a9?: Arg, a10?: Arg, a11?: Arg, a12?: Arg, a13?: Arg,
  ): unknown;
}

const MAX_ARGS = 14;

/** The reference kernel's result as the wrapper returns it (a loss sum, or 0 for a kernel without one). */
const resultOf = (r: unknown): number => (typeof r === 'number' ? r : 0);

/** Argument i of a0 … a13 (a switch the compiler inlines: no array per call). */
function pick(
  i: number, a0: Arg, a1: Arg, a2: Arg, a3: Arg, a4: Arg, a5: Arg, a6: Arg,
  a7: Arg, a8: Arg, a9: Arg, a10: Arg, a11: Arg, a12: Arg, a13: Arg,
): Arg {
  switch (i) {
    case 0: return a0;
    case 1: return a1;
    case 2: return a2;
    case 3: return a3;
    case 4: return a4;
    case 5: return a5;
    case 6: return a6;
    case 7: return a7;
    case 8: return a8;
    case 9: return a9;
    case 10: return a10;
    case 11: return a11;
    case 12: return a12;
    default: return a13;
  }
}

/** The wrapper of table entry `name` on runtime `rt`, falling back to `ref`'s kernel. */
export function wrap<N extends GenericName>(rt: WasmRuntime, ref: Kernels, name: N, spec: KernelSpec<N>): Wrapped {
  const args: readonly LooseArg[] = spec.args;
  if (args.length > MAX_ARGS) throw new HandgradError(`wasm kernel table: ${name} has ${args.length} arguments, the wrapper takes at most ${MAX_ARGS}`);
  const f = kernelExport(rt.instanceExports, name);
  const fallback: Fallback = { call: ref[name] };
  // Where each table argument goes: array j → export argument j; the others after the arrays (and n).
  const arrayAt: number[] = [], modes: Mode[] = [];
  const scalarAt: number[] = [], codes: (Readonly<Record<string, number>> | null)[] = [];
  args.forEach((a, i) => {
    if (typeof a === 'string') {
      scalarAt.push(i);
      codes.push(null);
    } else if (typeof a[1] === 'string') {
      arrayAt.push(i);
      modes.push(a[1]);
    } else {
      scalarAt.push(i);
      codes.push(a[1]);
    }
  });
  const nArrays = arrayAt.length;
  const first = nArrays + (spec.elementwise ? 1 : 0);
  const argc = first + scalarAt.length;
  const arrays: (KernelArray | null)[] = new Array<KernelArray | null>(nArrays).fill(null);
  const ptrs: number[] = new Array<number>(nArrays).fill(0);
  // (a blocked kernel's export takes 3 more: the item range and the scratch area)
  const argv: number[] = new Array<number>(argc + 3).fill(0);
  const blocking = spec.blocking;
  /** Position in argv of the blocked kernel's item count. */
  let overAt = -1;
  if (blocking) {
    const s = scalarAt.findIndex((i) => args[i] === blocking.over);
    if (spec.elementwise && blocking.over === 'n') overAt = nArrays;
    else if (s < 0 || codes[s] !== null) throw new HandgradError(`wasm kernel table: ${name} is blocked over '${blocking.over}', which is not one of its numeric arguments`);
    else overAt = first + s;
  }
  const call = (): number => {
    if (overAt < 0) return callExport(f, argv, argc);
    rt.jobs.blocked(blocking!.code, f, argv, argc, argv[overAt]!, blocking!.grain, blocking!.minItems ?? 2 * blocking!.grain);
    return 0;
  };

  return (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13) => {
    let float64 = false;
    let resident = true;
    for (let j = 0; j < nArrays; j++) {
      const a = pick(arrayAt[j]!, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13);
      const arr = typeof a === 'object' ? a : null;
      if (arr instanceof Float64Array) float64 = true;
      arrays[j] = arr;
      const p = rt.offsetOf(arr);
      if (p === STAGE) resident = false;
      argv[j] = ptrs[j] = p;
    }
    if (spec.elementwise) argv[nArrays] = arrays[0]?.length ?? 0;
    for (let s = 0; s < scalarAt.length; s++) {
      const v = pick(scalarAt[s]!, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13);
      const c = codes[s];
      if (c) {
        const code = typeof v === 'string' ? c[v] : undefined;
        if (code === undefined) throw new HandgradError(`wasm ${name}: argument ${scalarAt[s]} must be one of ${Object.keys(c).join(', ')}, got ${String(v)}`);
        argv[first + s] = code;
      } else argv[first + s] = typeof v === 'number' ? v : NaN;
    }
    let value: number;
    let staged: number;
    if (float64) value = resultOf(fallback.call(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13));
    else if (resident) value = call();
    else if ((staged = rt.stageIn(arrays, modes, nArrays, ptrs)) >= 0) {
      for (let j = 0; j < nArrays; j++) argv[j] = ptrs[j]!;
      value = call();
      rt.stageOut(arrays, modes, nArrays, ptrs, staged);
    } else value = resultOf(fallback.call(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13));
    // drop the references to the caller's arrays (a tensor in WASM memory is freed when its view is collected)
    for (let j = 0; j < nArrays; j++) arrays[j] = null;
    return value;
  };
}
