// The wasm backend in a real browser (/usr/bin/chromium through playwright-core): the core path
// loads without Node modules, picks a build by feature detection, and — on a cross-origin
// isolated page — runs GEMM on a Web Worker pool; on a page that is not isolated it falls back to
// one thread on a plain memory. With nothing selected, the page's main thread runs the reference
// kernels (no synchronous compile there) and a Web Worker runs wasm by itself. Skipped when
// chromium is not installed.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const root = join(import.meta.dirname, '..', '..');

const ENTRY = `
import { backend, initWasm, wasmRuntime } from ${JSON.stringify(join(root, 'src/backend.ts'))};
import { refKernels } from ${JSON.stringify(join(root, 'src/kernels/ref/index.ts'))};
window.runWasmCheck = async (threads) => {
  const b = await initWasm({ threads, minFlopsPerThread: 0, spinMicros: 200 });
  let worst = 0;
  for (const [tA, tB, M, N, K] of [[false, false, 64, 60, 784], [true, false, 150, 150, 64], [false, true, 33, 517, 70]]) {
    const A = b.allocate('float32', M * K), B = b.allocate('float32', K * N), C = b.allocate('float32', M * N);
    for (let i = 0; i < A.length; i++) A[i] = Math.sin(i * 0.37);
    for (let i = 0; i < B.length; i++) B[i] = Math.cos(i * 0.11);
    const R = new Float32Array(M * N);
    b.kernels.gemm(tA, tB, M, N, K, 1, A, B, 0, C);
    refKernels.gemm(tA, tB, M, N, K, 1, A, B, 0, R);
    let scale = 0;
    for (let i = 0; i < R.length; i++) scale = Math.max(scale, Math.abs(R[i]));
    for (let i = 0; i < R.length; i++) worst = Math.max(worst, Math.abs(C[i] - R[i]) / scale);
  }
  return { describe: b.describe(), worst, threads: wasmRuntime().threads, isolated: self.crossOriginIsolated };
};
window.defaultOnMainThread = () => backend().describe();
window.runInWorker = () => new Promise((resolve, reject) => {
  const w = new Worker('worker.js', { type: 'module' });
  w.onmessage = (e) => resolve(e.data);
  w.onerror = (e) => reject(new Error(e.message));
  w.postMessage('go');
});
`;

// A worker that selects nothing: its first kernel call brings the default backend up.
const WORKER = `
import { backend, kernelsFor } from ${JSON.stringify(join(root, 'src/backend.ts'))};
import { refKernels } from ${JSON.stringify(join(root, 'src/kernels/ref/index.ts'))};
self.onmessage = async () => {
  const b = backend();
  const [M, N, K] = [64, 150, 784];
  const A = b.allocate('float32', M * K), B = b.allocate('float32', K * N), C = b.allocate('float32', M * N);
  for (let i = 0; i < A.length; i++) A[i] = Math.sin(i * 0.37);
  for (let i = 0; i < B.length; i++) B[i] = Math.cos(i * 0.11);
  const R = new Float32Array(M * N);
  kernelsFor('float32').gemm(false, false, M, N, K, 1, A, B, 0, C);
  refKernels.gemm(false, false, M, N, K, 1, A, B, 0, R);
  let scale = 0, worst = 0;
  for (let i = 0; i < R.length; i++) scale = Math.max(scale, Math.abs(R[i]));
  for (let i = 0; i < R.length; i++) worst = Math.max(worst, Math.abs(C[i] - R[i]) / scale);
  // the pool's workers join while this one runs; wait for them (at most 10 s) to describe the settled pool
  for (let i = 0; i < 200 && / workers? started/.test(b.describe()); i++) await new Promise((r) => setTimeout(r, 50));
  self.postMessage({ name: b.name, describe: b.describe(), worst, hw: navigator.hardwareConcurrency, isolated: self.crossOriginIsolated });
};
`;

describe.skipIf(!existsSync(CHROMIUM))('wasm backend in chromium', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'handgrad-wasm-browser-'));
    writeFileSync(join(dir, 'entry.js'), ENTRY);
    writeFileSync(join(dir, 'worker.js'), WORKER);
    // splitting keeps the Node-only module (pool-node) in its own chunk, never loaded here
    await build({
      entryPoints: [join(dir, 'entry.js'), join(dir, 'worker.js')], bundle: true, format: 'esm', platform: 'browser', splitting: true,
      outdir: join(dir, 'out'), external: ['node:*'], logLevel: 'error',
    });
    writeFileSync(join(dir, 'out', 'index.html'), '<!doctype html><script type="module" src="entry.js"></script>');
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const isolated = url.searchParams.has('coi');
      const file = join(dir, 'out', url.pathname === '/' ? 'index.html' : url.pathname);
      if (!existsSync(file)) { res.writeHead(404).end(); return; }
      const headers: Record<string, string> = { 'content-type': extname(file) === '.html' ? 'text/html' : 'text/javascript' };
      if (isolated || url.pathname !== '/') {
        headers['cross-origin-opener-policy'] = 'same-origin';
        headers['cross-origin-embedder-policy'] = 'require-corp';
        headers['cross-origin-resource-policy'] = 'same-origin';
      }
      res.writeHead(200, headers).end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function check(query: string, threads: number) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/${query}`);
    await page.waitForFunction(() => typeof (window as unknown as { runWasmCheck?: unknown }).runWasmCheck === 'function');
    const r = await page.evaluate((t) => (window as unknown as { runWasmCheck: (t: number) => Promise<unknown> }).runWasmCheck(t), threads);
    await page.close();
    expect(errors).toEqual([]);
    return r as { describe: string; worst: number; threads: number; isolated: boolean };
  }

  /** The page's default backend on its main thread, and what a worker that selects nothing runs. */
  async function defaults(query: string) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/${query}`);
    await page.waitForFunction(() => typeof (window as unknown as { runInWorker?: unknown }).runInWorker === 'function');
    const main = await page.evaluate(() => (window as unknown as { defaultOnMainThread: () => string }).defaultOnMainThread());
    const worker = await page.evaluate(() => (window as unknown as { runInWorker: () => Promise<unknown> }).runInWorker());
    await page.close();
    expect(errors).toEqual([]);
    return { main, worker: worker as { name: string; describe: string; worst: number; hw: number; isolated: boolean } };
  }

  test('cross-origin isolated page: 2 threads on Web Workers, results match the reference', async () => {
    const r = await check('?coi', 2);
    expect(r.isolated).toBe(true);
    expect(r.threads).toBe(2);
    expect(r.describe).toMatch(/^wasm \(simd128(\+relaxed)?, 2 threads\)$/);
    expect(r.worst).toBeLessThan(1e-5);
  });

  test('page without isolation: one thread on a plain memory, same results', async () => {
    const r = await check('', 2);
    expect(r.isolated).toBe(false);
    expect(r.threads).toBe(1);
    expect(r.describe).toMatch(/no shared memory/);
    expect(r.worst).toBeLessThan(1e-5);
  });

  test('nothing selected, isolated page: ref on the main thread; a worker runs wasm on the machine\'s threads by itself', async () => {
    const r = await defaults('?coi');
    expect(r.main).toMatch(/^ref /);
    expect(r.worker.isolated).toBe(true);
    expect(r.worker.name).toBe('wasm');
    const threads = Math.max(1, Math.min(4, r.worker.hw));
    expect(r.worker.describe).toMatch(new RegExp(`^wasm \\(simd128(\\+relaxed)?, ${threads} threads?\\)$`));
    expect(r.worker.worst).toBeLessThan(1e-5);
  });

  test('nothing selected, page without isolation: a worker runs wasm on one thread, plain memory', async () => {
    const r = await defaults('');
    expect(r.main).toMatch(/^ref /);
    expect(r.worker.isolated).toBe(false);
    expect(r.worker.name).toBe('wasm');
    expect(r.worker.describe).toMatch(/^wasm \(simd128(\+relaxed)?, 1 thread, no shared memory\)$/);
    expect(r.worker.worst).toBeLessThan(1e-5);
  });
});
