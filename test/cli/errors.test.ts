// One error path: every failure of the real command (bin/handgrad.js over dist/, built by
// `npm test`) is one line on stderr naming the flag or file and the problem, with exit code 2
// for the command line and 1 for the run, no stack trace, and nothing half-written left behind.
// The file-system cases are real: a file where a folder should be, /proc, a folder the user may
// not write (as the unprivileged user 'nobody' when the tests run as root), and, where the tests
// may mount file systems, a read-only one and a full one.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'handgrad-errors-'));
// readable by 'nobody' for the permission case
chmodSync(tmp, 0o755);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const ROOT_DIR = join(import.meta.dirname, '..', '..');
/** Whether any user may read `file`: it is world-readable and every folder above it world-searchable. */
function reachableByOthers(file: string): boolean {
  if ((statSync(file).mode & 0o004) === 0) return false;
  for (let d = dirname(file); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}
const mounts: string[] = [];

afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  rmSync(tmp, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function handgrad(args: string[], opts: SpawnSyncOptions = {}): Result {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(root, 'bin', 'handgrad.js'), ...args], { encoding: 'utf8', timeout: 60_000, cwd: tmp, ...opts });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr), ms: Date.now() - t0 };
}

/** One line on stderr, matching `message`, and the exit code. */
function expectOneLine(r: Result, code: number, message: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code, r.stderr).toBe(code);
}

/** Mounts a tmpfs of `size` at a new folder under tmp (as root, where the system allows it); null elsewhere. */
function mountTmpfs(name: string, size: string, readOnly = false): string | null {
  if (!isRoot) return null;
  const dir = join(tmp, name);
  mkdirSync(dir);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${readOnly ? ',ro' : ''}`, 'tmpfs', dir]);
  if (r.status !== 0) return null;
  mounts.push(dir);
  return dir;
}

const tiny = ['--epochs', '1', '--hidden', '16', '--backend', 'ref', '--quiet'];
let run = '';

beforeAll(() => {
  run = join(tmp, 'run');
  const r = handgrad(['train', ...tiny, '--out', run]);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

describe('output folders', () => {
  it('--out naming a file is refused, and the file stays as it was', () => {
    const file = join(tmp, 'passwd');
    writeFileSync(file, 'root:x:0:0\n');
    expectOneLine(handgrad(['train', ...tiny, '--out', file]), 2, /^handgrad: --out .*passwd: exists and is not a directory$/);
    expect(readFileSync(file, 'utf8')).toBe('root:x:0:0\n');
    expectOneLine(handgrad(['train', ...tiny, '--out', join(file, 'run')]), 2, /^handgrad: --out .*passwd\/run: .*passwd is not a directory$/);
  });

  it.skipIf(process.platform !== 'linux')('--out under /proc is refused at once, not retried forever', () => {
    const r = handgrad(['train', ...tiny, '--out', '/proc/handgrad-run'], { timeout: 30_000 });
    expectOneLine(r, 2, /^handgrad: --out \/proc\/handgrad-run: cannot create the folder: no such file or directory \(ENOENT\)$/);
  });

  it('--name . and .. are refused; a config.json of the user in the current folder stays', () => {
    const cwd = join(tmp, 'work');
    mkdirSync(join(cwd, 'runs'), { recursive: true });
    writeFileSync(join(cwd, 'config.json'), '{"mine": true}\n');
    for (const name of ['..', '.']) {
      expectOneLine(handgrad(['train', ...tiny, '--name', name], { cwd }), 2, /^handgrad: --name may hold .* must not be '\.' or '\.\.', got '\.{1,2}'$/);
    }
    expect(readFileSync(join(cwd, 'config.json'), 'utf8')).toBe('{"mine": true}\n');
    expect(readdirSync(join(cwd, 'runs'))).toEqual([]);
  });

  it('an --out that holds other files and no run is refused, not overwritten', () => {
    const dir = join(tmp, 'notes');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), 'my notes\n');
    expectOneLine(handgrad(['train', ...tiny, '--out', dir]), 2, /^handgrad: --out .*notes: the folder holds other files and no handgrad run; give a new or empty folder$/);
    expect(readdirSync(dir)).toEqual(['config.json']);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('my notes\n');
    // the same for the experiment grid's and dream's --out
    expectOneLine(handgrad(['experiments', '--epochs', '1', '--only', '2.1a', '--out', dir]), 2, /^handgrad: --out .*notes: the folder holds other files and no experiment grid/);
    expectOneLine(handgrad(['dream', '--model', run, '--class', '1', '--steps', '2', '--pca', '0', '--out', dir]), 2, /^handgrad: --out .*notes: the folder holds other files and no dream output/);
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  it('a failed run that wrote no checkpoint leaves no folder behind', () => {
    const out = join(tmp, 'never');
    expectOneLine(handgrad(['train', ...tiny, '--data', join(tmp, 'no-such.npz'), '--out', out]), 2, /^handgrad: --data: .*no-such\.npz: unknown data set/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('file-system errors', () => {
  it('EISDIR: a folder where a PNG is expected', () => {
    const dir = join(tmp, 'a-folder.png');
    mkdirSync(dir);
    expectOneLine(handgrad(['predict', '--model', run, dir]), 2, /^handgrad: <input>: .*a-folder\.png: .*(EISDIR|not a regular file|is a directory)/);
  });

  it.skipIf(process.platform === 'win32')('EACCES: a folder the user may not write into', (ctx) => {
    // as root the command runs as 'nobody', who must reach the checkout (a `mktemp -d` clone is 0700)
    if (isRoot && !reachableByOthers(join(ROOT_DIR, 'bin', 'handgrad.js'))) return ctx.skip();
    const locked = join(tmp, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    // root may write anywhere: run as 'nobody' then
    const as = isRoot ? { uid: 65534, gid: 65534 } : {};
    const r = handgrad(['train', ...tiny, '--out', join(locked, 'run')], as);
    expectOneLine(r, 2, /^handgrad: --out .*locked\/run: cannot create the folder: permission denied \(EACCES\)$/);
    const r2 = handgrad(['train', ...tiny, '--out', locked], as);
    expectOneLine(r2, 2, /^handgrad: --out .*locked: cannot write there: permission denied \(EACCES\)$/);
  });

  it('EROFS: a read-only file system', (ctx) => {
    const ro = mountTmpfs('ro', '1m', true);
    if (!ro) return ctx.skip();
    expectOneLine(handgrad(['train', ...tiny, '--out', join(ro, 'run')]), 2, /^handgrad: --out .*ro\/run: cannot create the folder: read-only file system \(EROFS\)$/);
    expectOneLine(handgrad(['train', ...tiny, '--out', ro]), 2, /^handgrad: --out .*ro: cannot write there: read-only file system \(EROFS\)$/);
  });

  it('ENOSPC: a full disk before the first checkpoint leaves nothing; after it, a resumable run', (ctx) => {
    const small = mountTmpfs('full', '64k');
    if (!small) return ctx.skip();
    // 784·128 float32 weights (400 kB) do not fit in 64 kB
    const r = handgrad(['train', ...tiny, '--hidden', '128', '--out', join(small, 'run')]);
    expectOneLine(r, 1, /^handgrad train: .*full\/run: no space left on device \(ENOSPC\)$/);
    expect(readdirSync(small)).toEqual([]);
    // 784·16 weights (50 kB) fit twice in 200 kB, the curves at the end do not: the checkpoint stays
    const medium = mountTmpfs('medium', '200k');
    if (!medium) return ctx.skip();
    const r2 = handgrad(['train', ...tiny, '--out', join(medium, 'run')]);
    expectOneLine(r2, 1, /^handgrad train: .*medium\/run.*: no space left on device \(ENOSPC\)$/);
    const left = readdirSync(join(medium, 'run'));
    expect(left).toContain('checkpoint.safetensors');
    expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(statSync(join(medium, 'run', 'model.safetensors')).size).toBeGreaterThan(0);
  });
});

describe('every other failure', () => {
  it.each([
    [['train', '--bogus'], /^handgrad: unknown option '--bogus' \(run with --help for usage\)$/],
    [['eval'], /^handgrad: required option '--model <dir\|file>' not specified/],
    [['train', '--hidden', '100000000'], /^handgrad: --hidden must be a comma-separated list of positive integers \(each ≤ 100000\)/],
    [['train', '--threads', '0'], /^handgrad: --threads must be an integer ≥ 1 and ≤ 1024, got '0'$/],
  ])('%j: one line, exit code 2', (args, message) => {
    expectOneLine(handgrad(args as string[]), 2, message as RegExp);
  });

  it('a library message of several lines is printed as one', () => {
    const empty = join(tmp, 'empty-data');
    mkdirSync(empty);
    // "not found. Looked in:" and one line per folder
    expectOneLine(handgrad(['train', ...tiny, '--data', 'omniglot12', '--data-dir', empty, '--out', join(tmp, 'omni')]), 2, /^handgrad: --data: .*Looked in:.*empty-data/);
  });

  it('dream: an out-of-range trick is refused by the rule of its table', () => {
    expectOneLine(handgrad(['dream', '--model', run, '--class', '1', '--blur-sigma', '1e9']), 2, /^handgrad: --blur-sigma must be a number ≥ 0 and ≤ 1000, got '1e9'$/);
    expectOneLine(handgrad(['dream', '--model', run, '--class', '1', '--octaves', '1e9']), 2, /^handgrad: --octaves must be an integer ≥ 1 and ≤ 16, got '1e9'$/);
  });
});
