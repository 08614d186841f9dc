// `handgrad experiments` end to end: the real command (bin/handgrad.js → dist/, built by `npm test`
// or here when dist/ is older than src/), whose runs are real `handgrad train` child processes on
// the embedded MNIST, one epoch each; then the resumable grid (finished runs are skipped) and a
// failing run (reported in the table with its error line, exit code 1); and a grid stopped by a
// signal, or killed outright, whose children end with it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'handgrad-experiments-e2e-'));
const out = join(tmp, 'grid');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Newest modification time of the .ts files under a directory. */
function newestTs(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestTs(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function handgrad(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'handgrad.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const built = join(root, 'dist', 'src', 'cli', 'experiments.js');
  if (!existsSync(built) || statSync(built).mtimeMs < newestTs(join(root, 'src'))) {
    // type errors elsewhere do not stop tsc from emitting; the checks below say what matters
    spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
  }
  expect(existsSync(built)).toBe(true);
}, 300_000);

describe('handgrad experiments --epochs 1', () => {
  let first: ReturnType<typeof handgrad>;
  beforeAll(() => {
    first = handgrad('experiments', '--epochs', '1', '--only', '2.1a,2.4a', '--batch-size', '128', '--jobs', '2', '--out', out);
  }, 300_000);

  it('runs each run as a train child, one line per finished run, and writes the report', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^handgrad experiments: 2 runs on mnist \(8000 train \/ 2000 test, 10 classes/);
    for (const id of ['2.1a', '2.4a']) {
      expect(lines.filter((l) => new RegExp(`^\\[[12]/2\\] ${id.replace('.', '\\.')} done: test acc [\\d.]+%`).test(l))).toHaveLength(1);
      // the child's own run directory, with the grid's settings in its config
      const dir = join(out, id);
      for (const f of ['history.jsonl', 'config.json', 'model.safetensors', 'checkpoint.safetensors']) expect(existsSync(join(dir, f))).toBe(true);
      const config = readFileSync(join(dir, 'config.json'), 'utf8');
      expect(config).toContain('"cmu"');
      expect(readFileSync(join(out, 'logs', `${id}.log`), 'utf8')).toMatch(/^\$ .*bin\/handgrad\.js train .*--resume/);
    }
    expect(JSON.parse(readFileSync(join(out, '2.4a', 'config.json'), 'utf8'))).toMatchObject({ config: { momentum: 0.9, batchSize: 128 } });
    expect(lines[lines.length - 1]).toMatch(/^2 of 2 runs complete; report: /);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| 2\.1a \| \[60\] \| 0 \| 0 \| 0\.001 \| [\d.]+% \| [\d.]+% \(1\) \| [\d.]+ \| .* \| ok \(1 epoch\) \|/);
    expect(md).toMatch(/\| 2\.4a \| \[60, 60\] \| 0\.9 \| 0 \| 0\.001 \|/);
    for (const p of ['2.1-loss', '2.1-accuracy', '2.4-loss', '2.4-accuracy']) {
      expect(md).toContain(`(plots/${p}.png)`);
      const png = PNG.sync.read(readFileSync(join(out, 'plots', `${p}.png`)));
      expect(png.width).toBeGreaterThan(600);
    }
  });

  it('is resumable: a second call skips the finished runs', () => {
    const again = handgrad('experiments', '--epochs', '1', '--only', '2.1a,2.4a', '--batch-size', '128', '--out', out);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/\] 2\.1a already complete: test acc/);
    expect(again.stdout).toMatch(/\] 2\.4a already complete: test acc/);
    // different settings for the same directory are refused
    const mixed = handgrad('experiments', '--epochs', '1', '--only', '2.1a', '--batch-size', '64', '--out', out);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr.trim().split('\n')).toHaveLength(1);
    expect(mixed.stderr).toMatch(/--batch-size 64 differs from 128/);
  });

  it('reports a failing run with its error line and exits 1', () => {
    // corrupt checkpoints (the current and the previous one) and no history: the child is
    // started with --resume and refuses it
    writeFileSync(join(out, '2.1a', 'history.jsonl'), '');
    writeFileSync(join(out, '2.1a', 'checkpoint.safetensors'), '{ not json');
    writeFileSync(join(out, '2.1a', 'checkpoint.previous.safetensors'), '{ not json');
    const r = handgrad('experiments', '--epochs', '1', '--only', '2.1a,2.4a', '--batch-size', '128', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\] 2\.1a FAILED: handgrad.*checkpoint\.safetensors/);
    expect(r.stdout).toMatch(/1 of 2 runs complete, 1 failed \(2\.1a\)/);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| 2\.1a \|.*\*\*FAILED\*\* after 0 epochs: handgrad.*checkpoint\.safetensors/);
    expect(md).toMatch(/\| 2\.4a \|.*\| ok \(1 epoch\) \|/);
  });
});

/** The pids whose parent is `ppid`, and each one's command line (Linux /proc). */
function childrenOf(ppid: number): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'
      const ppidOf = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppidOf === ppid) out.push({ pid: Number(name), cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ') });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** True while the process exists and is not a zombie (an ended child nobody has reaped yet). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitFor(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(process.platform !== 'linux')('children end with their parent', () => {
  it.each([
    ['SIGKILL', 'while they start'], ['SIGKILL', 'while they train'], ['SIGTERM', 'while they train'], ['SIGINT', 'while they train'],
  ] as const)('a grid stopped by %s %s leaves no train child running', async (signal, when) => {
    const out = join(tmp, `stop-${signal}-${when.split(' ')[2]}`);
    const grid = spawn(process.execPath, [
      join(root, 'bin', 'handgrad.js'), 'experiments', '--epochs', '200', '--only', '2.1a,2.2a', '--jobs', '2', '--backend', 'ref', '--out', out,
    ], { cwd: root, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => grid.on('exit', (code) => r(code)));
    let children: { pid: number; cmd: string }[] = [];
    await waitFor('two train children', () => (children = childrenOf(grid.pid!).filter((c) => / train /.test(c.cmd))).length === 2, 90_000);
    // training: each child has written its first checkpoint
    if (when === 'while they train') await waitFor('the first checkpoints', () => ['2.1a', '2.2a'].every((id) => existsSync(join(out, id, 'checkpoint.safetensors'))), 90_000);
    grid.kill(signal);
    const code = await exited;
    if (signal !== 'SIGKILL') expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
    await waitFor('the children to end', () => children.every((c) => !alive(c.pid)), 20_000);
    for (const c of children) expect(alive(c.pid), c.cmd).toBe(false);
  }, 150_000);
});
