// The wasm backend in a real browser (/usr/bin/chromium through playwright-core): the core path
// loads without Node modules, picks a build by feature detection, and — on a cross-origin
// isolated page — runs GEMM on a Web Worker pool; on a page that is not isolated it falls back to
// one thread on a plain memory. Skipped when chromium is not installed.

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
import { initWasm, wasmRuntime } from ${JSON.stringify(join(root, 'src/backend.ts'))};
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
`;

describe.skipIf(!existsSync(CHROMIUM))('wasm backend in chromium', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'handgrad-wasm-browser-'));
    writeFileSync(join(dir, 'entry.js'), ENTRY);
    // splitting keeps the Node-only module (pool-node) in its own chunk, never loaded here
    await build({
      entryPoints: [join(dir, 'entry.js')], bundle: true, format: 'esm', platform: 'browser', splitting: true,
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
});
