// A benchmark contestant in its own Node process (so that its peak memory is its own):
//   node dist/bench/child.js <contestant> <task-json>
// where <task-json> is {"task":"train","workload":{…WorkloadSpec},"root":"…"} or
// {"task":"gemm","root":"…"}. It sets up, answers `ready`, then serves the commands of
// protocol.ts on stdin until `exit`.

import { createInterface } from 'node:readline';
import { loadData } from './data-node.js';
import { HandgradGemm, HandgradTrainer, selectBackend, Unavailable } from './contestants/handgrad.js';
import { PREFIX, type Command, type NodeContestant, type Reply } from './protocol.js';
import type { WorkloadSpec } from './workloads.js';

interface Task {
  task: 'train' | 'gemm';
  workload?: WorkloadSpec;
  root: string;
}

function send(r: Reply): void {
  process.stdout.write(PREFIX + JSON.stringify(r) + '\n');
}

interface Runner {
  info: Record<string, unknown>;
  step?: () => number;
  gemm?: HandgradGemm;
}

async function setup(contestant: NodeContestant, task: Task): Promise<Runner> {
  if (contestant.startsWith('handgrad-')) {
    const kind = contestant === 'handgrad-ref' ? 'ref' : contestant === 'handgrad-webgpu' ? 'webgpu' : 'wasm';
    const threads = contestant === 'handgrad-wasm-2t' ? 2 : 1;
    const info = await selectBackend(kind, threads);
    if (task.task === 'gemm') return { info, gemm: new HandgradGemm() };
    const spec = task.workload!;
    const trainer = new HandgradTrainer(spec, (allocate, batch) => loadData(spec.data, allocate, batch));
    return { info: { ...info, ...trainer.info }, step: () => trainer.step() };
  }
  if (contestant.startsWith('tfjs-')) {
    if (task.task === 'gemm') throw new Unavailable('the GEMM benchmark has no tfjs contestant');
    const { loadTf, TfTrainer } = await import('./contestants/tfjs.js');
    const kind = contestant === 'tfjs-cpu' ? 'cpu' : contestant === 'tfjs-wasm' ? 'wasm' : 'wasm-threads';
    const { tf, info } = await loadTf(kind, task.root);
    const spec = task.workload!;
    const trainer = new TfTrainer(tf, spec, loadData(spec.data, undefined, spec.batch), info); // may throw Unavailable
    return { info: trainer.info, step: () => trainer.step() };
  }
  throw new Error(`bench child: unknown contestant '${contestant}'`);
}

async function main(): Promise<void> {
  const [contestant, taskJson] = process.argv.slice(2);
  if (!contestant || !taskJson) throw new Error('usage: node dist/bench/child.js <contestant> <task-json>');
  const task = JSON.parse(taskJson) as Task;
  let runner: Runner;
  try {
    runner = await setup(contestant as NodeContestant, task);
  } catch (e) {
    if (e instanceof Unavailable) {
      send({ type: 'unavailable', reason: e.message });
      process.exit(0);
    }
    throw e;
  }
  send({ type: 'ready', info: runner.info });

  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const c = JSON.parse(line) as Command;
    if (c.cmd === 'train') {
      if (!runner.step) throw new Error('bench child: train command on a gemm task');
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let steps = 0;
      let loss: number;
      let t: number;
      do {
        loss = runner.step();
        steps++;
        t = performance.now();
      } while (steps < c.minSteps || t - t0 < c.seconds * 1000);
      const samples = steps * (task.workload?.batch ?? 0);
      const cpu = process.cpuUsage(cpu0);
      send({ type: 'train', steps, samples, seconds: (t - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, loss });
    } else if (c.cmd === 'gemm') {
      if (!runner.gemm) throw new Error('bench child: gemm command on a train task');
      runner.gemm.run(c.shape, 1); // first call allocates the operands: outside the timing
      const t0 = performance.now();
      let calls = 0;
      let t: number;
      do {
        runner.gemm.run(c.shape, 1);
        calls++;
        t = performance.now();
      } while (calls < c.minCalls || t - t0 < c.seconds * 1000);
      send({ type: 'gemm', calls, seconds: (t - t0) / 1000 });
    } else if (c.cmd === 'exit') {
      send({ type: 'exit', maxRssKiB: process.resourceUsage().maxRSS });
      process.exit(0);
    }
  }
}

main().catch((e: unknown) => {
  send({ type: 'error', message: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
  process.exit(1);
});
