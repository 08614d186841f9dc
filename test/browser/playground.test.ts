// The playground in a real browser: Debian's chromium driven by playwright-core, headless and
// off the network. Builds the app (vite), serves web/dist with the same static server as
// `handgrad serve` (COOP/COEP headers), trains the embedded MNIST until the page's test accuracy
// passes 85%, exports the model and reads it back (in Node and on the page), checks that every
// theory panel renders with its numeric checks passing, and that the console stays clean.
// Screenshots at desktop (1280×800) and phone (390×844) widths go to test-output/screenshots/.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Download, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../../src/cli/serve.js';
import { readSafetensors } from '../../src/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output/screenshots');
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

let server: StaticServer;
let context: BrowserContext;
let page: Page;
let profile: string;
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium is not installed at ${CHROMIUM}: the browser tests need it (run \`apt-get install chromium\`, or set CHROMIUM_PATH)`);
  }
  // build the app exactly as `npm run build:web` does
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'error'], { cwd: ROOT, stdio: 'pipe' });
  server = await startStaticServer({ dir: join(ROOT, 'web/dist') });
  mkdirSync(SHOTS, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'handgrad-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 800 }, acceptDownloads: true,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  await page.goto(server.url);
}, 180_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const testAccuracy = async (): Promise<number> => Number((await page.getAttribute('#test-acc', 'data-value')) ?? 'NaN');

describe('playground in chromium', () => {
  it('is cross-origin isolated and names its backend', async () => {
    await page.waitForSelector('#backend[data-backend]', { timeout: 60_000 });
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    const text = await page.textContent('#backend');
    expect(text).toMatch(/training backend: (ref|wasm)/);
  });

  it('trains the embedded MNIST in a worker until test accuracy > 85%', async () => {
    await page.waitForSelector('#test-acc[data-value]', { timeout: 30_000 }); // the untrained model's evaluation
    const before = await testAccuracy();
    expect(before).toBeLessThan(0.3);
    await page.click('#start');
    // the page stays responsive while the worker trains: this wait polls the DOM
    await page.waitForFunction(() => Number(document.querySelector('#test-acc')?.getAttribute('data-value')) > 0.85, null, { timeout: 90_000, polling: 250 });
    await page.click('#pause');
    // the worker evaluates the paused model, then reports that it stopped
    await page.waitForFunction(() => document.querySelector('#start')?.textContent === 'Start', null, { timeout: 30_000 });
    const acc = await testAccuracy();
    expect(acc).toBeGreaterThan(0.85);
    // curves, filters and the confusion matrix are drawn
    expect(await page.locator('#chart-acc polyline').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#filters canvas').count()).toBe(32);
    const diag = await page.$$eval('#confusion-table tr', (rows) => rows.slice(1).map((r, i) => Number(r.children[i + 1]!.textContent)));
    expect(diag.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.85 * 2000);
    expect(Number(await page.getAttribute('#stat-speed', 'data-value'))).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'train-desktop.png'), fullPage: true });
  });

  it('exports the curves as CSV and PNG', async () => {
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const lines = readFileSync(await csv.path(), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('step,epoch,train_loss,train_accuracy,test_loss,test_accuracy');
    expect(lines.length).toBeGreaterThan(2);
    const last = lines[lines.length - 1]!.split(',').map(Number);
    expect(last[5]).toBeCloseTo(await testAccuracy(), 12);
    // two PNGs: the loss chart and the accuracy chart
    const pngs: Download[] = [];
    const two = new Promise<void>((done) => page.on('download', function onDownload(d) {
      pngs.push(d);
      if (pngs.length === 2) {
        page.off('download', onDownload);
        done();
      }
    }));
    await page.click('#export-png');
    await two;
    expect(pngs.map((d) => d.suggestedFilename())).toEqual(['handgrad-loss.png', 'handgrad-accuracy.png']);
    for (const d of pngs) expect([...readFileSync(await d.path()).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('exports the model as safetensors and reads it back, in Node and on the page', async () => {
    const accBefore = await testAccuracy();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-model')]);
    const path = await download.path();
    const bytes = new Uint8Array(readFileSync(path));
    const file = readSafetensors(bytes, download.suggestedFilename());
    expect([...file.tensors.keys()].sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    expect(file.tensors.get('0.weight')!.shape).toEqual([64, 784]);
    expect(JSON.parse(file.metadata.model!).type).toBe('Sequential');
    // back into the page: reset to a fresh model first, then import and evaluate
    await page.click('#reset');
    await page.waitForFunction(() => Number(document.querySelector('#test-acc')?.getAttribute('data-value')) < 0.3, null, { timeout: 30_000 });
    await page.setInputFiles('#import-model', { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
    await page.waitForFunction(() => /imported|error|expected|missing/.test(document.querySelector('#status')?.textContent ?? ''), null, { timeout: 30_000 });
    expect(await page.textContent('#status')).toMatch(/imported model\.safetensors: Sequential\(Linear\(784 → 64\)/);
    await page.waitForFunction((a) => Math.abs(Number(document.querySelector('#test-acc')?.getAttribute('data-value')) - a) < 1e-9, accBefore, { timeout: 30_000 });
  });

  it('dreams each class from the model trained on the page (sliders = the tricks)', async () => {
    await page.click('#tab-dream');
    await page.click('#dream-all');
    await page.waitForFunction(() => document.querySelectorAll('#dream-images figure').length === 10, null, { timeout: 60_000 });
    const dreams = await page.$$eval('#dream-images figure', (fs) => fs.map((f) => {
      const d = (f as HTMLElement).dataset;
      return { target: Number(d.target), predicted: Number(d.predicted), p: Number(d.probability) };
    }));
    expect(dreams.map((d) => d.target)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // gradient ascent on the logit makes the model see the class it dreams: from grey noise (a
    // probability near 0.1) to well above it for every class, and the predicted class for most
    // (a model trained for a few seconds confuses a pair now and then, e.g. 9 and 7)
    for (const d of dreams) expect(d.p, `class ${d.target}`).toBeGreaterThan(0.25);
    expect(dreams.filter((d) => d.predicted === d.target).length).toBeGreaterThanOrEqual(8);
    // a slider change dreams again, live, and lands in the URL
    await page.fill('#d-steps', '40');
    await page.dispatchEvent('#d-steps', 'change');
    await page.waitForFunction(() => document.querySelectorAll('#dream-images figure').length === 1, null, { timeout: 30_000 });
    expect(new URL(page.url()).hash).toContain('dsteps=40');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.click('#dream-all');
    await page.waitForFunction(() => document.querySelectorAll('#dream-images figure').length === 10, null, { timeout: 60_000 });
    await page.screenshot({ path: join(SHOTS, 'dream-desktop.png'), fullPage: true });
    await page.click('#tab-train');
  });

  it('keeps its configuration in the URL', async () => {
    await page.click('#tab-train');
    await page.fill('#lr', '0.02');
    await page.dispatchEvent('#lr', 'change');
    expect(new URL(page.url()).hash).toContain('lr=0.02');
    const url = page.url();
    const p2 = await context.newPage();
    await p2.goto(url);
    expect(await p2.inputValue('#lr')).toBe('0.02');
    await p2.close();
  });

  it('builds and steps every architecture (two-layer MLP, NYU net with g = σ and BCE, CNN)', async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['two-layer-mlp', {}, /Linear\(784 → 64\), ReLU, Linear\(64 → 64\), ReLU, Linear\(64 → 10\)/],
      ['nyu', { '#f': 'tanh', '#g': 'sigmoid' }, /Linear\(784 → 64\), Tanh, Linear\(64 → 10\), Sigmoid/],
      ['cnn', {}, /Conv2d.*MaxPool2d.*Flatten.*Linear\(784 → 64\)/],
    ];
    for (const [arch, extra, model] of cases) {
      await page.selectOption('#arch', arch);
      for (const [sel, v] of Object.entries(extra)) await page.selectOption(sel, v);
      await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('#status')?.textContent ?? ''), model.source, { timeout: 30_000 });
      await page.waitForFunction(() => document.querySelector('#stat-step')?.textContent === '0', null, { timeout: 30_000 });
      await page.click('#step');
      await page.waitForFunction(() => document.querySelector('#stat-step')?.textContent === '1', null, { timeout: 30_000 });
      expect(await page.getAttribute('#status', 'class'), arch).not.toContain('error');
      expect(new URL(page.url()).hash).toContain(`arch=${arch}`);
    }
    await page.selectOption('#arch', 'single-layer-mlp');
  });

  it('renders every theory panel with its numeric checks passing', async () => {
    await page.click('#tab-theory');
    await page.waitForSelector('#theory-summary[data-passed]', { timeout: 60_000 });
    for (const id of ['activations', 'graph', 'xor', 'tanh-sigmoid', 'dropout-ridge', 'jacobian']) {
      const section = page.locator(`[data-theory="${id}"]`);
      await expect.poll(() => section.count()).toBe(1);
      expect(await section.getAttribute('data-passed'), id).toBe('true');
      expect(await section.locator('.check[data-passed="true"]').count(), id).toBeGreaterThan(0);
      expect(await section.locator('.check[data-passed="false"]').count(), id).toBe(0);
    }
    expect(await page.locator('[data-theory="activations"] svg polyline').count()).toBe(12);
    expect(await page.getAttribute('#theory-summary', 'data-passed')).toBe('true');
    // user-chosen x, y, z: (1, 2, 3) → w = 60, and (0.5, −1, 2) → a = 1.5, w = 2·0.5·1.5·2.5 = 3.75
    expect(await page.locator('[data-theory="graph"] table').textContent()).toContain('60');
    await page.fill('#gx', '0.5');
    await page.dispatchEvent('#gx', 'change');
    await page.fill('#gy', '-1');
    await page.dispatchEvent('#gy', 'change');
    await page.fill('#gz', '2');
    await page.dispatchEvent('#gz', 'change');
    const graph = page.locator('[data-theory="graph"]');
    expect(await graph.getAttribute('data-passed')).toBe('true');
    expect(await graph.locator('table').textContent()).toContain('3.7500');
    expect(new URL(page.url()).hash).toContain('gx=0.5');
    await page.screenshot({ path: join(SHOTS, 'theory-desktop.png'), fullPage: true });
    await graph.screenshot({ path: join(SHOTS, 'theory-graph-desktop.png') });
  });

  it('shows the forward and gradient tables of the two-layer net', async () => {
    await page.click('#tab-backward');
    const s = page.locator('[data-theory="two-layer"]');
    await expect.poll(() => s.count()).toBe(1);
    expect(await s.getAttribute('data-passed')).toBe('true');
    expect(await page.locator('#forward-table tbody tr').count()).toBe(5);
    expect(await page.locator('#gradient-table tbody tr').count()).toBe(4);
    await page.hover('#forward-table tbody tr >> nth=0');
    expect(await page.textContent('#bw-tip')).toMatch(/Linear₁: s₁ = W⁽¹⁾x \+ b⁽¹⁾; input \(4\) → output \(3\)/);
    // BCE with g = σ, chosen from the controls
    await page.selectOption('#bw-g', 'sigmoid');
    await page.selectOption('#bw-loss', 'bce');
    expect(await page.locator('[data-theory="two-layer"]').getAttribute('data-passed')).toBe('true');
    await page.screenshot({ path: join(SHOTS, 'backward-desktop.png'), fullPage: true });
  });

  it('is keyboard operable: arrow keys move between tabs', async () => {
    await page.focus('#tab-backward');
    await page.keyboard.press('ArrowRight');
    expect(await page.getAttribute('#tab-theory', 'aria-selected')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-theory');
    // every form control has a label
    const unlabeled = await page.$$eval('input, select', (els) => els.filter((e) => !(e as HTMLInputElement).labels?.length).map((e) => e.id));
    expect(unlabeled).toEqual([]);
  });

  it('trains on IDX files the user chooses (Fashion-MNIST from Debian), then back to the embedded set', async () => {
    const dir = '/usr/share/datasets/fashion-mnist';
    const names = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
    if (!names.every((n) => existsSync(join(dir, n)))) throw new Error(`Fashion-MNIST is missing from ${dir}: run \`apt-get install dataset-fashion-mnist\``);
    await page.click('#tab-train');
    await page.setInputFiles('#data-files', names.map((n) => join(dir, n)));
    await page.waitForFunction(() => /IDX files: 60000 train \/ 10000 test samples of shape \[1, 28, 28\], 10 classes/.test(document.querySelector('#status')?.textContent ?? ''), null, { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('#stat-step')?.textContent === '0', null, { timeout: 30_000 });
    await page.click('#step');
    await page.waitForFunction(() => document.querySelector('#stat-step')?.textContent === '1', null, { timeout: 30_000 });
    // the confusion matrix counts the 10,000 test images
    const total = await page.$$eval('#confusion-table td', (tds) => tds.reduce((a, td) => a + Number(td.textContent), 0));
    expect(total).toBe(10_000);
    await page.selectOption('#data', 'embedded');
    await page.waitForFunction(() => /embedded MNIST: 8000 train \/ 2000 test/.test(document.querySelector('#status')?.textContent ?? ''), null, { timeout: 30_000 });
  });

  it('fits a phone screen (390×844) without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const tab of ['train', 'backward', 'theory', 'dream']) {
      await page.click(`#tab-${tab}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${tab} panel is ${overflow}px wider than the screen`).toBeLessThanOrEqual(1);
      await page.screenshot({ path: join(SHOTS, `${tab}-phone.png`), fullPage: tab !== 'theory' });
    }
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
