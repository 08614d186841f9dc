// The line protocol between the benchmark runner and its contestant children (Node or Python).
// The runner writes one JSON command per line on the child's stdin; the child answers each with
// one line "@@bench <json>" on stdout (other output is passed through as log). A child answers
// first with a `ready` (or `unavailable`) message once its model and data are set up.
//
//   child → {"type":"ready","info":{…}}  |  {"type":"unavailable","reason":"…"}
//   runner → {"cmd":"train","seconds":0.5,"minSteps":2}
//   child → {"type":"train","steps":…,"samples":…,"seconds":…,"cpuSeconds":…,"loss":…}
//   runner → {"cmd":"gemm","shape":{…GemmShape},"seconds":0.2,"minCalls":2}
//   child → {"type":"gemm","calls":…,"seconds":…}
//   runner → {"cmd":"exit"}
//   child → {"type":"exit","maxRssKiB":…}        then it exits
//   child → {"type":"error","message":"…"}      on any failure

import type { GemmShape } from './workloads.js';

export const PREFIX = '@@bench ';

export type Command =
  | { cmd: 'train'; seconds: number; minSteps: number }
  | { cmd: 'gemm'; shape: GemmShape; seconds: number; minCalls: number }
  | { cmd: 'exit' };

export type Reply =
  | { type: 'ready'; info: Record<string, unknown> }
  | { type: 'unavailable'; reason: string }
  /** cpuSeconds: the process's user + system CPU time during the measurement (all threads). */
  | { type: 'train'; steps: number; samples: number; seconds: number; cpuSeconds: number; loss: number }
  | { type: 'gemm'; calls: number; seconds: number }
  | { type: 'exit'; maxRssKiB: number }
  | { type: 'error'; message: string };

/** Node contestants run by dist/bench/child.js. */
export type NodeContestant = 'handgrad-ref' | 'handgrad-wasm-1t' | 'handgrad-wasm-2t' | 'handgrad-webgpu' | 'tfjs-cpu' | 'tfjs-wasm' | 'tfjs-wasm-threads';
