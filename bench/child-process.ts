// A contestant child process seen from the runner: start it, wait for `ready`, send commands of
// protocol.ts and await their replies (with a time limit), keep its other output as a log.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PREFIX, type Command, type Reply } from './protocol.js';

export interface Launch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export class ContestantProcess {
  private readonly proc: ChildProcess;
  private readonly queue: Reply[] = [];
  private waiter: ((r: Reply) => void) | null = null;
  private exited: string | null = null;
  /** The child's non-protocol output (banners, warnings, tracebacks), last lines only. */
  readonly log: string[] = [];

  constructor(readonly name: string, launch: Launch) {
    this.proc = spawn(launch.command, launch.args, { cwd: launch.cwd, env: launch.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const onLine = (line: string): void => {
      if (line.startsWith(PREFIX)) {
        let r: Reply;
        try {
          r = JSON.parse(line.slice(PREFIX.length)) as Reply;
        } catch {
          r = { type: 'error', message: `unparsable reply: ${line.slice(0, 200)}` };
        }
        this.deliver(r);
      } else {
        this.log.push(line);
        if (this.log.length > 40) this.log.shift();
      }
    };
    createInterface({ input: this.proc.stdout! }).on('line', onLine);
    createInterface({ input: this.proc.stderr! }).on('line', (l) => {
      this.log.push(l);
      if (this.log.length > 40) this.log.shift();
    });
    this.proc.on('error', (e) => this.finish(`could not start ${launch.command}: ${e.message}`));
    this.proc.on('exit', (code, signal) => this.finish(`exited (${signal ?? `code ${code}`})`));
    this.proc.stdin!.on('error', () => {});
  }

  private deliver(r: Reply): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(r);
    } else {
      this.queue.push(r);
    }
  }

  private finish(why: string): void {
    if (this.exited) return;
    this.exited = why;
    // Let buffered stdout lines arrive first, then fail whoever still waits.
    setTimeout(() => this.deliver({ type: 'error', message: `${this.name} ${why}; last output:\n${this.log.slice(-12).join('\n')}` }), 50);
  }

  /** The next reply, or an error reply after `timeoutMs` (the child is then killed). */
  next(timeoutMs: number): Promise<Reply> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        this.kill();
        resolve({ type: 'error', message: `${this.name}: no answer within ${Math.round(timeoutMs / 1000)} s (killed)` });
      }, timeoutMs);
      this.waiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
    });
  }

  request(c: Command, timeoutMs: number): Promise<Reply> {
    if (!this.exited) this.proc.stdin!.write(JSON.stringify(c) + '\n');
    return this.next(timeoutMs);
  }

  kill(): void {
    if (!this.exited && this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}
