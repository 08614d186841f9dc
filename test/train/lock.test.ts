// The run directory's lock: one process trains in a directory at a time; a lock left by a
// process that is gone (or whose pid now belongs to another process) is taken over.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryLockedError, LOCK_FILE, lockDirectory, processStartTime, type LockOwner } from '../../src/io/dir-lock-node.js';
import { writeFileAtomic } from '../../src/io/atomic-node.js';
import type { TrainConfig } from '../../src/train/config.js';
import { runTraining } from '../../src/train/run-node.js';
import { blobs } from './helpers.js';

const root = join(import.meta.dirname, '../..');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'hg-lock-'));
const owner = (o: Partial<LockOwner>): string =>
  JSON.stringify({ pid: process.pid, host: hostname(), start: processStartTime(process.pid), since: '2026-01-01T00:00:00.000Z', what: 'handgrad train', ...o });

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('lockDirectory', () => {
  it('one holder at a time; release removes the lock, and the directory it created if still empty', () => {
    const dir = join(tmp(), 'run');
    const a = lockDirectory(dir, 'test');
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname(), what: 'test' });
    let err: unknown;
    try {
      lockDirectory(dir, 'test');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DirectoryLockedError);
    expect((err as DirectoryLockedError).owner?.pid).toBe(process.pid);
    expect((err as Error).message).toMatch(new RegExp(`is in use by another process \\(test, pid ${process.pid}, since .*\\); wait for it to finish or stop it`));
    a.release();
    a.release();
    expect(existsSync(dir)).toBe(false);
    const b = lockDirectory(dir, 'test');
    writeFileSync(join(dir, 'kept'), 'x');
    b.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(existsSync(join(dir, 'kept'))).toBe(true);
  });

  it('takes over the lock of a process that is gone', () => {
    const dir = tmp();
    const pid = deadPid();
    writeFileSync(join(dir, LOCK_FILE), owner({ pid, start: null }));
    const l = lockDirectory(dir, 'test');
    expect(l.tookOverFrom?.pid).toBe(pid);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    l.release();
  });

  it.skipIf(!existsSync('/proc/self/stat'))('takes over a lock whose pid now belongs to a process that started at another time', () => {
    const dir = tmp();
    // this process is alive, but it did not start at clock tick 1
    writeFileSync(join(dir, LOCK_FILE), owner({ start: '1' }));
    const l = lockDirectory(dir, 'test');
    expect(l.tookOverFrom).toMatchObject({ pid: process.pid, start: '1' });
    l.release();
  });

  it('refuses a lock held on another host, and a lock file that names no owner', () => {
    const dir = tmp();
    writeFileSync(join(dir, LOCK_FILE), owner({ host: 'elsewhere', pid: deadPid() }));
    expect(() => lockDirectory(dir, 'test')).toThrow(/is in use by another process \(handgrad train, pid \d+ on elsewhere, since/);
    writeFileSync(join(dir, LOCK_FILE), 'garbage');
    expect(() => lockDirectory(dir, 'test')).toThrow(/is locked by .*\.handgrad\.lock, which does not name its owner; remove it if no handgrad process uses/);
  });

  it('runTraining holds the lock and removes temporary files that killed writes left', async () => {
    const dir = tmp();
    writeFileSync(join(dir, `.model.safetensors.${deadPid()}.3.tmp`), 'half a file');
    writeFileAtomic(join(dir, 'notes.txt'), 'a file of the user, kept');
    const config = { model: { kind: 'mlp', hidden: [4] }, epochs: 1, batchSize: 50 } as TrainConfig;
    const held = lockDirectory(dir, 'test');
    await expect(runTraining({ config, data: blobs(), outDir: dir })).rejects.toThrow(DirectoryLockedError);
    held.release();
    await runTraining({ config, data: blobs(), outDir: dir });
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir).sort()).toEqual(['checkpoint.previous.safetensors', 'checkpoint.safetensors', 'config.json', 'history.csv', 'history.jsonl', 'model.safetensors', 'notes.txt']);
  });
});

describe('handgrad train on a locked --out', () => {
  const args = (out: string, ...more: string[]): string[] =>
    [join(root, 'bin/handgrad.js'), 'train', '--hidden', '8', '--batch-size', '500', '--backend', 'ref', '--out', out, '--no-progress', ...more];

  it('a second train on the --out of a running one is refused with one line; once the first is killed, --resume takes over', async () => {
    const base = tmp();
    const out = join(base, 'run');
    const first = spawn(process.execPath, args(out, '--epochs', '1000'), { cwd: base, stdio: ['ignore', 'pipe', 'pipe'] });
    // wait for its first epoch: it holds the lock and has a checkpoint
    await new Promise<void>((resolve, reject) => {
      let text = '';
      first.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        if (/^epoch +1\//m.test(text)) resolve();
      });
      first.on('exit', (code) => reject(new Error(`the first train exited (${code}) before its first epoch: ${text}`)));
    });
    for (const more of [['--resume'], ['--epochs', '2']]) {
      const second = spawnSync(process.execPath, args(out, ...more), { encoding: 'utf8', cwd: base });
      expect(second.status).toBe(2);
      expect(second.stdout).toBe('');
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
      expect(second.stderr).toMatch(new RegExp(`^handgrad: --out: .*run is in use by another process \\(handgrad train, pid ${first.pid}, since .*\\); wait for it to finish or stop it`));
    }
    const exited = new Promise((r) => first.on('exit', r));
    first.kill('SIGKILL');
    await exited;
    const third = spawnSync(process.execPath, args(out, '--resume', '--epochs', '2'), { encoding: 'utf8', cwd: base });
    expect(third.status, third.stderr).toBe(0);
    expect(third.stdout).toContain(`note: took over the lock of pid ${first.pid}, which is no longer running`);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  }, 120_000);

  it('two trains started together on one fresh --out: one trains, the other is refused', async () => {
    const base = tmp();
    mkdirSync(join(base, 'x'));
    const out = join(base, 'x', 'run');
    const start = (): Promise<{ code: number | null; stderr: string }> => new Promise((resolve) => {
      const p = spawn(process.execPath, args(out, '--epochs', '3', '--quiet'), { cwd: base, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('exit', (code) => resolve({ code, stderr }));
    });
    const results = await Promise.all([start(), start()]);
    const codes = results.map((r) => r.code).sort();
    expect(codes).toEqual([0, 2]);
    const refused = results.find((r) => r.code === 2)!;
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/is in use by another process|already holds a run; add --resume/);
    expect(JSON.parse(readFileSync(join(out, 'history.jsonl'), 'utf8').trim().split('\n').at(-1)!)).toMatchObject({ epoch: 3 });
  }, 120_000);
});
