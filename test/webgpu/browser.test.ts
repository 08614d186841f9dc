// The playground on the webgpu backend in headless Chromium (WebGPU on Chromium's SwiftShader,
// a CPU implementation: correct, slow). Builds the app, serves it cross-origin isolated, opens
// ?backend=webgpu, and checks that the page names the webgpu backend and its adapter, that the
// MLP and the CNN train past chance within a bounded time, with the console clean. Skipped, with
// the reason printed, when Chromium exposes no WebGPU adapter.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../../src/cli/serve.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output/screenshots');
const FLAGS = [
  '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
  // WebGPU on SwiftShader (Vulkan on the CPU), as on a machine without a GPU
  '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan',
];

let server: StaticServer;
let context: BrowserContext;
let page: Page;
let profile: string;
const consoleErrors: string[] = [];
/** Why the browser has no WebGPU adapter (null: it has one). */
let noAdapter: string | null = null;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium is not installed at ${CHROMIUM}: the browser tests need it`);
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'error', '--outDir', 'dist-webgpu'], { cwd: ROOT, stdio: 'pipe' });
  server = await startStaticServer({ dir: join(ROOT, 'web/dist-webgpu') });
  mkdirSync(SHOTS, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'handgrad-chromium-webgpu-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 800 } });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  await page.goto(`${server.url}?backend=webgpu`);
  noAdapter = await page.evaluate(async () => {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return 'this Chromium exposes no navigator.gpu';
    return (await gpu.requestAdapter()) ? null : 'navigator.gpu.requestAdapter() found no adapter';
  });
  if (noAdapter) console.warn(`test/webgpu/browser.test.ts: skipped: ${noAdapter}`);
}, 240_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  rmSync(join(ROOT, 'web/dist-webgpu'), { recursive: true, force: true });
});

const testAccuracy = async (): Promise<number> => Number((await page.getAttribute('#test-acc', 'data-value')) ?? 'NaN');

describe('playground on webgpu in chromium', () => {
  it('names the webgpu backend and its adapter', async (ctx) => {
    if (noAdapter) return ctx.skip();
    await page.waitForSelector('#backend[data-backend]', { timeout: 120_000 });
    expect(await page.textContent('#backend')).toMatch(/training backend: webgpu \(.+\)/);
  });

  it('trains the MLP: the test accuracy leaves chance within a bounded time', async (ctx) => {
    if (noAdapter) return ctx.skip();
    await page.waitForSelector('#test-acc[data-value]', { timeout: 60_000 });
    expect(await testAccuracy()).toBeLessThan(0.3);
    await page.click('#start');
    // SwiftShader runs a step in tens of milliseconds: 50 % comes within a few dozen steps
    await page.waitForFunction(() => Number(document.querySelector('#test-acc')?.getAttribute('data-value')) > 0.5, null, { timeout: 240_000, polling: 500 });
    await page.click('#pause');
    await page.waitForFunction(() => document.querySelector('#start')?.textContent === 'Start', null, { timeout: 60_000 });
    expect(await testAccuracy()).toBeGreaterThan(0.5);
    expect(Number(await page.textContent('#stat-step'))).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'train-webgpu.png'), fullPage: true });
  }, 360_000);

  it('trains the CNN: its accuracy on the first 200 test images leaves chance within a bounded time', async (ctx) => {
    if (noAdapter) return ctx.skip();
    // a full pass over the 2,000 test images takes tens of seconds on SwiftShader: points score
    // the first 200 (the page's setting, a uniform sample of the shuffled split); another
    // architecture waits for Reset, which builds it
    await page.selectOption('#eval-samples', '200');
    await page.selectOption('#arch', 'cnn');
    await page.click('#reset');
    await page.waitForFunction(() => /Conv2d.*MaxPool2d.*Flatten/.test(document.querySelector('#status')?.textContent ?? ''), null, { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('#stat-step')?.textContent === '0', null, { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('#test-n')?.textContent === '(200 images)', null, { timeout: 60_000 });
    expect(await testAccuracy()).toBeLessThan(0.3);
    expect(page.url()).toContain('eval=200');
    const t0 = performance.now();
    await page.click('#start');
    // with the page's defaults (SGD, lr 0.05, momentum 0.9, batch 32) the CNN passes 50 % within
    // about 15 steps; SwiftShader takes a few hundred ms to seconds per step
    await page.waitForFunction(() => Number(document.querySelector('#test-acc')?.getAttribute('data-value')) > 0.4, null, { timeout: 300_000, polling: 500 });
    const seconds = (performance.now() - t0) / 1000;
    await page.click('#pause');
    await page.waitForFunction(() => document.querySelector('#start')?.textContent === 'Start', null, { timeout: 120_000 });
    const steps = Number(await page.textContent('#stat-step'));
    const accuracy = await testAccuracy();
    console.log(`test/webgpu/browser.test.ts: the CNN reached ${(100 * accuracy).toFixed(1)} % on 200 test images in ${seconds.toFixed(0)} s, ${steps} steps at ${await page.textContent('#stat-speed')} samples/s`);
    expect(accuracy).toBeGreaterThan(0.4);
    expect(await page.textContent('#test-n')).toBe('(200 images)');
    expect(steps).toBeGreaterThan(0);
    expect(await page.getAttribute('#notice', 'class')).not.toContain('error');
    expect(await page.textContent('#backend')).toMatch(/training backend: webgpu \(.+\)/);
    await page.screenshot({ path: join(SHOTS, 'train-webgpu-cnn.png'), fullPage: true });
  }, 480_000);

  it('kept the console free of errors', (ctx) => {
    if (noAdapter) return ctx.skip();
    expect(consoleErrors).toEqual([]);
  });
});
