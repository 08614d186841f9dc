// The bench's set-up: the repository root, the command-line options, and the contestants (each
// a child process to launch: a Node contestant of dist/bench/child.js, or a Python script).

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command as Cli } from 'commander';
import type { Launch } from './child-process.js';
import { WORKLOAD_IDS, type WorkloadSpec } from './workloads.js';
import { defaultOmniglotDir } from './omniglot-node.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The repository root: the nearest folder above this file whose package.json is handgrad's. */
export function findRoot(): string {
  for (let d = HERE; ; d = dirname(d)) {
    const p = join(d, 'package.json');
    if (existsSync(p)) {
      try {
        if ((JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === 'handgrad') return d;
      } catch {
        /* keep looking */
      }
    }
    if (dirname(d) === d) return process.cwd();
  }
}

export interface Options {
  quick: boolean;
  only: string[];
  contestants: string[] | null;
  reps: number;
  seconds: number;
  warmup: number;
  gemmSeconds: number;
  out: string;
  python: string | null;
  blasDir: string | null;
  timeout: number;
  omniglot: string;
}

export function parseOptions(argv: string[], root: string): Options {
  const cli = new Cli('bench')
    .description('handgrad beside TensorFlow.js, numpy and PyTorch: training throughput and GEMM')
    .option('--quick', 'few, short repetitions (smoke test)', false)
    .option('--only <list>', `tasks to run, comma-separated: ${[...WORKLOAD_IDS, 'gemm'].join(',')}; names or prefixes of contestants there (e.g. webgpu,torch) narrow --contestants`)
    .option('--contestants <list>', 'contestants to run, comma-separated names or prefixes (e.g. handgrad-ref,torch)')
    .option('--reps <n>', 'measured repetitions per contestant (default 7, quick 2)')
    .option('--seconds <s>', 'minimum time of one training repetition (default 0.5, quick 0.1)')
    .option('--warmup <s>', 'warm-up time per contestant before measuring (default 0.5, quick 0.1)')
    .option('--gemm-seconds <s>', 'minimum time of one GEMM repetition per shape (default 0.2, quick 0.03)')
    .option('--out <dir>', 'folder for <date>.json and latest.md', join(root, 'bench/results'))
    .option('--python <path>', 'Python with numpy / torch for the anchors', '/usr/bin/python3')
    .option('--no-python', 'skip the numpy and PyTorch anchors')
    .option('--blas-dir <dir>', 'folder with an OpenBLAS libblas.so.3 for the Python anchors (LD_LIBRARY_PATH); default $HANDGRAD_BENCH_BLAS_DIR or Debian\'s openblas-pthread folder when present')
    .option('--timeout <s>', 'limit for one answer of a child', '300')
    .option('--omniglot <dir>', "folder of Omniglot's images_background_small1.zip and _small2.zip (W3r); default $HANDGRAD_OMNIGLOT_DIR or ../shared/data/omniglot beside the repository", defaultOmniglotDir(root))
    .allowExcessArguments(false);
  cli.parse(argv, { from: 'user' });
  const o = cli.opts<Record<string, string | boolean | undefined>>();
  const quick = o.quick === true;
  const num = (v: unknown, d: number, what: string): number => {
    if (v === undefined) return d;
    const x = Number(v);
    if (!Number.isFinite(x) || x <= 0) throw new Error(`bench: --${what} must be a positive number, got '${String(v)}'`);
    return x;
  };
  const tasks = [...WORKLOAD_IDS, 'gemm'] as string[];
  const isTask = (t: string): boolean => tasks.some((x) => x.toLowerCase() === t.toLowerCase());
  const listed = typeof o.only === 'string' ? o.only.split(',').map((s) => s.trim()).filter(Boolean) : [];
  // words of --only that are not tasks name contestants (webgpu → handgrad-webgpu, torch → torch-*)
  const named = listed.filter((t) => !isTask(t)).map((t) => (CONTESTANT_NAMES.some((c) => c === t || c.startsWith(t + '-')) ? t : `handgrad-${t}`));
  for (const t of named) {
    if (!CONTESTANT_NAMES.some((c) => c === t || c.startsWith(t + '-'))) {
      throw new Error(`bench: --only got '${t.replace(/^handgrad-/, '')}', expected tasks (${tasks.join(', ')}) or contestants (${CONTESTANT_NAMES.join(', ')})`);
    }
  }
  const only = listed.some(isTask) ? listed.filter(isTask) : tasks;
  const fromFlag = typeof o.contestants === 'string' ? o.contestants.split(',').map((s) => s.trim()).filter(Boolean) : null;
  const contestantsWanted = named.length > 0 ? [...(fromFlag ?? []), ...named] : fromFlag;
  const blasCandidates = [o.blasDir, process.env.HANDGRAD_BENCH_BLAS_DIR, '/usr/lib/x86_64-linux-gnu/openblas-pthread'];
  const blasDir = blasCandidates.find((d): d is string => typeof d === 'string' && d !== '' && existsSync(join(d, 'libblas.so.3'))) ?? null;
  if (typeof o.blasDir === 'string' && blasDir !== o.blasDir) throw new Error(`bench: --blas-dir ${o.blasDir} holds no libblas.so.3`);
  return {
    quick,
    only: tasks.filter((t) => only.some((x) => x.toLowerCase() === t.toLowerCase())),
    contestants: contestantsWanted,
    reps: Math.round(num(o.reps, quick ? 2 : 7, 'reps')),
    seconds: num(o.seconds, quick ? 0.1 : 0.5, 'seconds'),
    warmup: num(o.warmup, quick ? 0.1 : 0.5, 'warmup'),
    gemmSeconds: num(o.gemmSeconds, quick ? 0.03 : 0.2, 'gemm-seconds'),
    out: resolve(String(o.out)),
    python: o.python === false ? null : String(o.python),
    blasDir,
    timeout: num(o.timeout, 300, 'timeout') * 1000,
    omniglot: resolve(String(o.omniglot)),
  };
}

// ---- contestants ------------------------------------------------------------------------------

/** Every contestant's name, in the order contestants() lists them. */
const CONTESTANT_NAMES = [
  'handgrad-ref', 'handgrad-wasm-1t', 'handgrad-wasm-2t', 'handgrad-webgpu', 'tfjs-cpu', 'tfjs-wasm', 'tfjs-wasm-threads',
  'numpy-2t', 'numpy-1t', 'torch-2t', 'torch-1t',
] as const;

export type TaskKind = 'train' | 'gemm';

export interface Contestant {
  name: string;
  tasks: TaskKind[];
  launch(task: { task: TaskKind; workload?: WorkloadSpec }): Launch;
  /** Checked once before the first launch; a string is the reason it cannot run. */
  precheck?: () => string | null;
}

export function contestants(opts: Options, root: string): Contestant[] {
  const node = (name: string, tasks: TaskKind[]): Contestant => ({
    name,
    tasks,
    launch: (task) => ({
      command: process.execPath,
      args: [join(HERE, 'child.js'), name, JSON.stringify({ ...task, root })],
      env: process.env,
      cwd: root,
    }),
  });
  const list: Contestant[] = [
    node('handgrad-ref', ['train', 'gemm']),
    node('handgrad-wasm-1t', ['train', 'gemm']),
    node('handgrad-wasm-2t', ['train', 'gemm']),
    node('handgrad-webgpu', ['train', 'gemm']),
    node('tfjs-cpu', ['train']),
    node('tfjs-wasm', ['train']),
    node('tfjs-wasm-threads', ['train']),
  ];
  const py = opts.python;
  const pyCheck = (module: string): (() => string | null) => () => {
    if (!py) return 'Python anchors disabled (--no-python)';
    const r = spawnSync(py, ['-c', `import ${module}`], { encoding: 'utf8', timeout: 60_000 });
    if (r.error) return `${py} not runnable: ${r.error.message}`;
    return r.status === 0 ? null : `${py} has no ${module}`;
  };
  const pyEnv = (isNumpy: boolean): NodeJS.ProcessEnv => {
    // No __pycache__ next to the scripts (bench_torch.py imports bench_numpy.py).
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
    // Older OpenBLAS builds need these on some processors; they slow a current one, so the numpy
    // child runs without them (see /work/.library/env/README.md) and reports the kernel it got.
    if (isNumpy) {
      delete env.OPENBLAS_CORETYPE;
      delete env.OPENBLAS_L2_SIZE;
    }
    if (opts.blasDir) env.LD_LIBRARY_PATH = [opts.blasDir, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
    return env;
  };
  const python = (name: string, script: string, threads: number, tasks: TaskKind[], module: string): Contestant => ({
    name,
    tasks,
    precheck: pyCheck(module),
    launch: (task) => ({
      command: py ?? 'python3',
      args: [join(root, 'scripts', script), '--threads', String(threads), JSON.stringify(task)],
      env: pyEnv(module === 'numpy'),
      cwd: root,
    }),
  });
  list.push(
    python('numpy-2t', 'bench_numpy.py', 2, ['train', 'gemm'], 'numpy'),
    python('numpy-1t', 'bench_numpy.py', 1, ['gemm'], 'numpy'),
    python('torch-2t', 'bench_torch.py', 2, ['train'], 'torch'),
    python('torch-1t', 'bench_torch.py', 1, ['train'], 'torch'),
  );
  const wanted = opts.contestants;
  if (!wanted) return list;
  for (const w of wanted) {
    if (!list.some((c) => c.name === w || c.name.startsWith(w + '-'))) {
      throw new Error(`bench: --contestants got '${w}', expected names or prefixes of ${list.map((c) => c.name).join(', ')}`);
    }
  }
  return list.filter((c) => wanted.some((w) => c.name === w || c.name.startsWith(w + '-')));
}
