// handgrad as a user gets it from npm: `npm pack` of a clean copy of the repository (its
// `prepare` builds dist/, its `prepack` builds the playground into web/dist), `npm install` of the
// tarball into a new project (from npm's cache: --prefer-offline), then, inside that project,
// `npx handgrad train` (plots included) and `npx handgrad serve` with the page loaded in Chromium.
// Checks what the tarball carries (LICENSE, the built page, sources for every source map) and
// that the installed node_modules stays under 25 MB.
//
// The copy (tracked and untracked-but-not-ignored files, node_modules linked) keeps the build out
// of the working tree, where the playground test builds web/dist at the same time.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MAX_NODE_MODULES_BYTES = 25 * 1024 * 1024;

let work: string;
let project: string;
let tarball: string;
let installedBytes = 0;

/**
 * The environment of a new user's shell: without the npm_* variables of the `npm test` that runs
 * us, and without the test suite's HANDGRAD_BACKEND=ref (the installed package picks its default).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'HANDGRAD_BACKEND') env[k] = v;
  return env;
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
}

/** Bytes on disk under a folder, as `du` counts them (512-byte blocks), links not followed. */
function diskBytes(path: string): number {
  const st = lstatSync(path);
  let total = st.blocks * 512;
  if (st.isDirectory()) for (const name of readdirSync(path)) total += diskBytes(join(path, name));
  return total;
}

/** Every file under a folder, as paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesUnder(dir, rel));
    else out.push(rel);
  }
  return out;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'handgrad-pack-'));
  const copy = join(work, 'repo');
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0').filter((f) => f && existsSync(join(ROOT, f)));
  for (const f of files) {
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(copy, f));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], copy)) as { filename: string }[];
  tarball = join(work, packed[0]!.filename);
  project = join(work, 'try-handgrad');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'try-handgrad', version: '1.0.0', private: true, type: 'module' }));
  npm(['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], project);
  installedBytes = diskBytes(join(project, 'node_modules'));
  console.log(`npm install ${packed[0]!.filename}: node_modules is ${(installedBytes / 2 ** 20).toFixed(1)} MiB`);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball, installed into a new project', () => {
  it(`keeps node_modules under ${MAX_NODE_MODULES_BYTES / 2 ** 20} MiB`, () => {
    expect(installedBytes).toBeGreaterThan(1024 * 1024);
    expect(installedBytes).toBeLessThanOrEqual(MAX_NODE_MODULES_BYTES);
  });

  it('carries the licence, the built playground, the embedded MNIST and the sources its maps name', () => {
    const pkg = join(project, 'node_modules', 'handgrad');
    expect(readFileSync(join(pkg, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect((JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { license: string }).license).toBe('MIT');
    expect(readFileSync(join(pkg, 'web/dist/index.html'), 'utf8')).toContain('<title>handgrad playground');
    expect(existsSync(join(pkg, 'data/mnist-10k.bin.gz'))).toBe(true);
    const files = filesUnder(pkg);
    expect(files.filter((f) => /^(test|bench|scripts|assembly)\//.test(f))).toEqual([]);
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(50);
    const missing: string[] = [];
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(pkg, m), 'utf8')) as { sources: string[]; sourceRoot?: string };
      for (const s of map.sources) {
        const source = resolve(dirname(join(pkg, m)), map.sourceRoot ?? '', s);
        if (!existsSync(source)) missing.push(`${m} → ${s}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('trains from the installed package and writes its charts', () => {
    const out = execFileSync('npx', ['--no', 'handgrad', 'train', '--epochs', '1', '--out', 'runs/first'], {
      cwd: project, env: cleanEnv(), encoding: 'utf8', timeout: 300_000,
    });
    expect(out).toMatch(/test accuracy/i);
    for (const f of ['model.safetensors', 'loss.svg', 'loss.png', 'accuracy.png', 'history.csv']) {
      expect(existsSync(join(project, 'runs/first', f)), f).toBe(true);
    }
  });

  it('serves the playground with `npx handgrad serve`, and the page loads in Chromium and evaluates the embedded MNIST', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`chromium is not installed at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    const server: ChildProcess = spawn('npx', ['--no', 'handgrad', 'serve', '--port', '0'], { cwd: project, env: cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let context: BrowserContext | undefined;
    let profile: string | undefined;
    try {
      const url = await new Promise<string>((ok, fail) => {
        let seen = '';
        const timer = setTimeout(() => fail(new Error(`npx handgrad serve printed no URL in 60 s; it printed: ${seen}`)), 60_000);
        const onData = (b: Buffer): void => {
          seen += b.toString();
          const m = /handgrad playground: (http:\/\/\S+)/.exec(seen);
          if (m) {
            clearTimeout(timer);
            ok(m[1]!);
          }
        };
        server.stdout!.on('data', onData);
        server.stderr!.on('data', onData);
        server.once('exit', (code) => fail(new Error(`npx handgrad serve exited with ${code}: ${seen}`)));
      });
      profile = mkdtempSync(join(tmpdir(), 'handgrad-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
      });
      const page = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      expect(await page.title()).toMatch(/^handgrad playground/);
      await page.waitForSelector('#backend[data-backend]', { timeout: 60_000 });
      expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
      // the embedded MNIST is fetched from the package and the untrained model evaluated on it
      await page.waitForSelector('#test-acc[data-value]', { timeout: 60_000 });
      expect(errors).toEqual([]);
    } finally {
      await context?.close();
      if (profile) rmSync(profile, { recursive: true, force: true });
      if (server.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGTERM');
    }
  }, 180_000);
});
