// The playground in a real browser (harness.ts: the built app, `handgrad serve`'s server, Debian's
// chromium). It trains the embedded MNIST until the page's test accuracy passes 85%; exports the
// curves (the command line's CSV header, PNG charts with a title); dreams every class; keeps
// every trained model until an explicit Reset that says what it discards, applies the learning
// rate live and refuses an invalid field by turning Start off; scores a model trained by
// `handgrad train` exactly as `handgrad eval` does, and exports one that `handgrad eval` scores
// exactly as the page did; follows an edited URL fragment; stops a diverging run and says so;
// builds every architecture; renders the theory and backward panels; reads IDX files; fits a
// phone with readable charts; shows no internal names; logs no console errors. Screenshots at
// 1280×800 and 390×844 go to test-output/screenshots/.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Download, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/index.js';
import { handgrad, openPlayground, SHOTS, type Browser } from './harness.js';

let browser: Browser;
let page: Page;
const work = mkdtempSync(join(tmpdir(), 'handgrad-playground-'));

beforeAll(async () => {
  browser = await openPlayground();
  page = browser.page;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

const testAccuracy = async (): Promise<number> => Number((await page.getAttribute('#test-acc', 'data-value')) ?? 'NaN');
const stepCount = async (): Promise<number> => Number(await page.textContent('#stat-step'));
const text = async (sel: string): Promise<string> => (await page.textContent(sel)) ?? '';
const waitText = (sel: string, re: RegExp, timeout = 30_000): Promise<unknown> =>
  page.waitForFunction(([s, src]) => new RegExp(src).test(document.querySelector(s)?.textContent ?? ''), [sel, re.source] as const, { timeout });
const setField = async (sel: string, value: string): Promise<void> => {
  await page.fill(sel, value);
  await page.dispatchEvent(sel, 'change');
};
const download = async (button: string): Promise<Download> => (await Promise.all([page.waitForEvent('download'), page.click(button)]))[0];
const pauseAndSettle = async (): Promise<void> => {
  await page.click('#pause');
  await page.waitForFunction(() => document.querySelector('#start')?.textContent === 'Start', null, { timeout: 30_000 });
};

describe('playground in chromium', () => {
  it('is cross-origin isolated and names its backend', async () => {
    await page.waitForSelector('#backend[data-backend]', { timeout: 60_000 });
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    expect(await text('#backend')).toMatch(/training backend: wasm \(/);
  });

  it('says why a backend asked for in the URL does not run (webgpu with the GPU off), and trains on wasm', async () => {
    const p2 = await browser.context.newPage();
    await p2.goto(`${browser.server.url}?backend=webgpu`);
    await p2.waitForSelector('#backend[data-backend]', { timeout: 60_000 });
    expect(await p2.textContent('#backend')).toMatch(/^training backend: wasm \(.*\) · The webgpu backend does not run here \(.+\), so this page trains on the fastest other one\.$/);
    await p2.close();
  });

  it('trains the embedded MNIST in a worker until test accuracy > 85%, and its status line says so', async () => {
    await page.waitForSelector('#test-acc[data-value]', { timeout: 30_000 }); // the untrained model's evaluation
    expect(await testAccuracy()).toBeLessThan(0.3);
    expect(await text('#status')).toMatch(/Ready: Start trains/);
    await page.click('#start');
    await waitText('#status', /Training: step/);
    const during: string[] = [];
    // the page stays responsive while the worker trains: this wait polls the DOM
    await page.waitForFunction(() => Number(document.querySelector('#test-acc')?.getAttribute('data-value')) > 0.85, null, { timeout: 90_000, polling: 250 });
    during.push(await text('#status'));
    await pauseAndSettle();
    expect(during[0]).toMatch(/Training: step [\d,]+, epoch [\d.]+\. Pause stops it\./);
    expect(during[0]).not.toMatch(/Start/);
    expect(await text('#status')).toMatch(/Paused at step [\d,]+ \(epoch [\d.]+\): Start goes on\./);
    expect(await testAccuracy()).toBeGreaterThan(0.85);
    expect(await page.locator('#chart-acc polyline').count()).toBe(2);
    expect(await page.locator('#filters canvas').count()).toBe(32);
    const diag = await page.$$eval('#confusion-table tr', (rows) => rows.slice(1).map((r, i) => Number(r.children[i + 1]?.textContent)));
    expect(diag.reduce((a, b) => a + b, 0)).toBe(Math.round((await testAccuracy()) * 2000));
    expect(Number(await page.getAttribute('#stat-speed', 'data-value'))).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'train-desktop.png'), fullPage: true });
  });

  it('scores the points on the test split\'s first 100 images when asked, at once while paused, and on all 2,000 again', async () => {
    const confusionTotal = (): Promise<number> => page.$$eval('#confusion-table td', (cells) => cells.reduce((a, c) => a + Number(c.textContent), 0));
    // a paused model mid-epoch (at an epoch's end the point is the epoch's record, a full pass)
    for (let i = 0; i < 2 && /\.00$/.test(await text('#stat-epoch')); i++) {
      const before = await text('#stat-step');
      await page.click('#step');
      await page.waitForFunction((b) => document.querySelector('#stat-step')?.textContent !== b, before, { timeout: 30_000 });
    }
    await waitText('#test-n', /^\(2,000 images\)$/);
    const full = await testAccuracy();
    expect(await confusionTotal()).toBe(2000);
    await page.selectOption('#eval-samples', '100');
    await waitText('#test-n', /^\(100 images\)$/);
    expect(page.url()).toContain('eval=100');
    expect(await confusionTotal()).toBe(100);
    const sample = await testAccuracy();
    expect(Math.abs(sample * 100 - Math.round(sample * 100))).toBeLessThan(1e-9);
    await page.selectOption('#eval-samples', 'all');
    await waitText('#test-n', /^\(2,000 images\)$/);
    expect(await testAccuracy()).toBe(full);
    expect(await confusionTotal()).toBe(2000);
  });

  it('draws train dashed and test solid, with the legend above the curves', async () => {
    const chart = await page.$eval('#chart-acc', (svg) => {
      const polylines = Array.from(svg.querySelectorAll('polyline'));
      const lines = polylines.map((p) => ({ dashed: p.hasAttribute('stroke-dasharray') }));
      const legend = Array.from(svg.querySelectorAll('text.legend')).map((t) => ({ name: t.textContent, bottom: t.getBoundingClientRect().bottom }));
      const top = Math.min(...polylines.map((p) => p.getBoundingClientRect().top));
      return { lines, legend, top };
    });
    expect(chart.lines.map((l) => l.dashed)).toEqual([true, false]);
    expect(chart.legend.map((l) => l.name)).toEqual(['train', 'test']);
    // accuracy near 100% runs along the top of the plot: the legend sits above it
    for (const l of chart.legend) expect(l.bottom).toBeLessThanOrEqual(chart.top);
  });

  it('exports the curves as the command line\'s CSV and as titled PNG charts', async () => {
    const lines = readFileSync(await (await download('#export-csv')).path(), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('epoch,trainLoss,trainAccuracy,testLoss,testAccuracy,seconds,samplesPerSecond,lr');
    expect(lines.length).toBeGreaterThan(2);
    expect(Number(lines[lines.length - 1]!.split(',')[4])).toBe(await testAccuracy());
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
    for (const d of pngs) {
      const bytes = readFileSync(await d.path());
      writeFileSync(join(SHOTS, `export-${d.suggestedFilename()}`), bytes);
      const png = PNG.sync.read(bytes);
      expect([png.width, png.height]).toEqual([1280, 800]);
      // the title: dark text in the top band (rows 10–40 at 2×), left of centre
      let dark = 0;
      for (let y = 10; y < 40; y++) for (let x = 100; x < 640; x++) if (png.data[(y * png.width + x) * 4]! < 100) dark++;
      expect(dark, d.suggestedFilename()).toBeGreaterThan(200);
    }
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
    for (const d of dreams) expect(d.p, `class ${d.target}`).toBeGreaterThan(0.25);
    expect(dreams.filter((d) => d.predicted === d.target).length).toBeGreaterThanOrEqual(8);
    // a slider change dreams again, live, and lands in the URL
    await setField('#d-steps', '40');
    await page.waitForFunction(() => document.querySelectorAll('#dream-images figure').length === 1, null, { timeout: 30_000 });
    expect(new URL(page.url()).hash).toContain('dsteps=40');
    await page.click('#dream-all');
    await page.waitForFunction(() => document.querySelectorAll('#dream-images figure').length === 10, null, { timeout: 60_000 });
    await page.screenshot({ path: join(SHOTS, 'dream-desktop.png'), fullPage: true });
    await page.click('#tab-train');
  });

  it('never discards a trained model without an explicit Reset that says what it discards', async () => {
    const steps = await stepCount();
    const acc = await testAccuracy();
    expect(steps).toBeGreaterThan(0);
    // a setting that needs a new model waits for Reset, and the page says what Reset would discard
    await setField('#hidden', '32');
    await waitText('#pending', /Waiting for Reset: Hidden width h\./);
    expect(await text('#pending')).toMatch(new RegExp(`discards the model trained for ${steps.toLocaleString('en')} steps`));
    expect(await text('#reset')).toBe('Reset and apply');
    expect(await page.getAttribute('#hidden', 'aria-invalid')).toBe('false');
    expect(await page.$eval('#hidden', (e) => e.closest('label')?.classList.contains('pending'))).toBe(true);
    expect([await stepCount(), await testAccuracy()]).toEqual([steps, acc]);
    // Start goes on with the current model; the learning rate applies to it while it trains
    await page.click('#start');
    await waitText('#status', /Training: step/);
    await setField('#lr', '0.02');
    await page.waitForFunction((n) => Number(document.querySelector('#stat-step')?.textContent) > n + 50, steps, { timeout: 30_000 });
    expect(await text('#pending')).toMatch(/^Waiting for Reset: Hidden width h\./);
    // an invalid value turns Start, Step and Reset off and says why; training goes on as it was
    await setField('#lr', '-1');
    await waitText('#pending', /Learning rate must be a number > 0, got -1\. Start, Step and Reset are off until it is fixed; training goes on with learning rate 0\.02\./);
    expect(await page.getAttribute('#lr', 'aria-invalid')).toBe('true');
    await pauseAndSettle();
    for (const b of ['#start', '#step', '#reset']) expect(await page.isDisabled(b), b).toBe(true);
    await setField('#lr', '');
    await waitText('#pending', /Learning rate is empty: it needs a number/);
    await setField('#lr', '0.05');
    for (const b of ['#start', '#step', '#reset']) expect(await page.isEnabled(b), b).toBe(true);
    // the CSV's last record carries the learning rate the model trains with
    const csv = readFileSync(await (await download('#export-csv')).path(), 'utf8').trim().split('\n');
    expect(csv[csv.length - 1]!.split(',')[7]).toBe('0.02');
    // undoing the change leaves nothing waiting
    await setField('#hidden', '64');
    await page.waitForFunction(() => (document.querySelector('#pending') as HTMLElement | null)?.hidden === true, null, { timeout: 10_000 });
    // Reset discards the model and says so
    const trained = await stepCount();
    await page.click('#reset');
    await page.waitForFunction(() => document.querySelector('#stat-step')?.textContent === '0', null, { timeout: 30_000 });
    expect(await text('#notice')).toMatch(new RegExp(`^Reset: the model trained for ${trained.toLocaleString('en')} steps \\([\\d.]+ epochs, test accuracy [\\d.]+%\\) was discarded\\.$`));
    expect(await testAccuracy()).toBeLessThan(0.3);
  });

  it('scores a model from `handgrad train` exactly as `handgrad eval` does, and exports one that `handgrad eval` scores as the page did', async () => {
    // command line → page, over a model trained on the page for two steps
    for (let i = 1; i <= 2; i++) {
      await page.click('#step');
      await page.waitForFunction((n) => document.querySelector('#stat-step')?.textContent === String(n), i, { timeout: 30_000 });
    }
    const run = join(work, 'run');
    handgrad(['train', '--epochs', '1', '--out', run, '--quiet']);
    const cli = JSON.parse(handgrad(['eval', '--model', run, '--json'])) as { accuracy: number; loss: number };
    await page.setInputFiles('#import-model', join(run, 'model.safetensors'));
    await waitText('#notice', /^Imported model\.safetensors: Sequential\(Linear\(784 → 128\), ReLU, Linear\(128 → 10\)\); it replaces the model trained for 2 steps \(/);
    await page.waitForFunction((a) => Number(document.querySelector('#test-acc')?.getAttribute('data-value')) === a, cli.accuracy, { timeout: 30_000 });
    expect(await testAccuracy()).toBe(cli.accuracy);
    expect(Number(await text('#test-loss'))).toBeCloseTo(cli.loss, 4);
    expect(await text('#test-acc')).toBe(`${(100 * cli.accuracy).toFixed(2)}%`);
    // the form shows what the imported model trains with, so nothing waits for Reset
    expect(await page.inputValue('#arch')).toBe('mlp');
    expect(await page.inputValue('#hidden')).toBe('128');
    expect(await page.inputValue('#lr')).toBe('0.01');
    expect(await page.isHidden('#pending')).toBe(true);
    // page → command line: train on a little, export, score on the command line
    for (let i = 0; i < 3; i++) {
      const before = await stepCount();
      await page.click('#step');
      await page.waitForFunction((n) => Number(document.querySelector('#stat-step')?.textContent) === n + 1, before, { timeout: 30_000 });
    }
    const pageAcc = await testAccuracy();
    const exported = await download('#export-model');
    const file = join(work, exported.suggestedFilename());
    writeFileSync(file, readFileSync(await exported.path()));
    const bundle = loadModel(new Uint8Array(readFileSync(file)), file);
    expect(bundle.data).toMatchObject({ name: 'mnist', spec: 'mnist', sampleShape: [1, 28, 28], trainSize: 8000, testSize: 2000 });
    expect(bundle.normalization.mode).toBe('global');
    const back = JSON.parse(handgrad(['eval', '--model', file, '--json'])) as { accuracy: number };
    expect(back.accuracy).toBe(pageAcc);
    expect(await text('#notice')).toMatch(/handgrad eval --model handgrad-mlp-step3\.safetensors/);
  });

  it('keeps its configuration in the URL, and an edited fragment applies (training settings wait for Reset)', async () => {
    await setField('#lr', '0.03');
    expect(new URL(page.url()).hash).toContain('lr=0.03');
    const p2 = await browser.context.newPage();
    await p2.goto(page.url());
    expect(await p2.inputValue('#lr')).toBe('0.03');
    await p2.close();
    const steps = await stepCount();
    await page.evaluate(() => { location.hash = location.hash.replace(/tab=\w+/, 'tab=backward').replace(/bf=[\w]+/, 'bf=tanh').replace(/hidden=\d+/, 'hidden=16'); });
    await page.waitForFunction(() => document.querySelector('#tab-backward')?.getAttribute('aria-selected') === 'true', null, { timeout: 10_000 });
    expect(await page.inputValue('#bw-f')).toBe('tanh');
    expect(await page.inputValue('#hidden')).toBe('16');
    await page.click('#tab-train');
    await waitText('#pending', /Waiting for Reset: Hidden width h\./);
    expect(await stepCount()).toBe(steps);
  });

  it('stops a diverging run, says where and why, and its status line says it stopped', async () => {
    await setField('#lr', '100000');
    await page.click('#start');
    await waitText('#notice', /^Training stopped: the loss became (NaN|-?Infinity) in epoch \d+, batch \d+, with learning rate 100000\. Try a smaller learning rate \(e\.g\. 10000\) and Reset\.$/);
    await page.waitForFunction(() => document.querySelector('#start')?.textContent === 'Start', null, { timeout: 30_000 });
    expect(await page.getAttribute('#notice', 'class')).toContain('error');
    expect(await text('#status')).toMatch(/Stopped at step [\d,]+ \(epoch [\d.]+\) by the error below\.$/);
    await setField('#lr', '0.05');
  });

  it('builds and steps every architecture on Reset (two-layer MLP, NYU net with g = σ and BCE, CNN, Adam)', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ '#arch': 'two-layer-mlp' }, /Linear\(784 → 16\), ReLU, Linear\(16 → 16\), ReLU, Linear\(16 → 10\)/],
      [{ '#arch': 'nyu', '#f': 'tanh', '#g': 'sigmoid' }, /Linear\(784 → 16\), Tanh, Linear\(16 → 10\), Sigmoid/],
      [{ '#arch': 'cnn' }, /Conv2d.*MaxPool2d.*Flatten.*Linear\(784 → 64\)/],
      [{ '#arch': 'single-layer-mlp', '#optimizer': 'adam' }, /Sequential\(Linear\(784 → 16\), ReLU, Linear\(16 → 10\)\)/],
    ];
    for (const [fields, model] of cases) {
      for (const [sel, v] of Object.entries(fields)) await page.selectOption(sel, v);
      await waitText('#pending', /Waiting for Reset/);
      await page.click('#reset');
      await waitText('#status', model);
      await page.waitForFunction(() => document.querySelector('#stat-step')?.textContent === '0', null, { timeout: 30_000 });
      await page.click('#step');
      await page.waitForFunction(() => document.querySelector('#stat-step')?.textContent === '1', null, { timeout: 30_000 });
      expect(await page.getAttribute('#notice', 'class'), JSON.stringify(fields)).not.toContain('error');
      expect(new URL(page.url()).hash).toContain(`arch=${fields['#arch']}`);
    }
    // momentum shows only for the optimisers that read it; the hidden width not for the cnn
    expect(await page.isHidden('#momentum')).toBe(true);
    await page.selectOption('#optimizer', 'sgd');
    expect(await page.isVisible('#momentum')).toBe(true);
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
    await setField('#gx', '0.5');
    await setField('#gy', '-1');
    await setField('#gz', '2');
    const graph = page.locator('[data-theory="graph"]');
    expect(await graph.getAttribute('data-passed')).toBe('true');
    expect(await graph.locator('table').textContent()).toContain('3.7500');
    expect(new URL(page.url()).hash).toContain('gx=0.5');
    await page.screenshot({ path: join(SHOTS, 'theory-desktop.png'), fullPage: true });
    await graph.screenshot({ path: join(SHOTS, 'theory-graph-desktop.png') });
  });

  it('shows the forward and gradient tables of the two-layer net, its hover tip in view', async () => {
    await page.click('#tab-backward');
    await page.selectOption('#bw-f', '3relu');
    const s = page.locator('[data-theory="two-layer"]');
    await expect.poll(() => s.count()).toBe(1);
    expect(await s.getAttribute('data-passed')).toBe('true');
    expect(await page.locator('#forward-table tbody tr').count()).toBe(5);
    expect(await page.locator('#gradient-table tbody tr').count()).toBe(4);
    await page.hover('#forward-table tbody tr >> nth=0');
    expect(await text('#bw-tip')).toMatch(/Linear₁: s₁ = W⁽¹⁾x \+ b⁽¹⁾; input \(4\) → output \(3\)/);
    // the last row of the gradient table, scrolled to: its tip is inside the window
    await page.hover('#gradient-table tbody tr >> nth=3');
    expect(await text('#bw-tip')).toMatch(/^∂C\/∂/);
    const inView = async (): Promise<boolean> => page.$eval('#bw-tip', (t) => {
      const r = t.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight;
    });
    expect(await inView()).toBe(true);
    // BCE needs g = σ: the page says so in its own words
    await page.selectOption('#bw-loss', 'bce');
    expect(await text('#backward-out')).toMatch(/^BCE takes outputs in \[0, 1\]: choose g = σ for it, or the MSE loss\.$/);
    await page.selectOption('#bw-g', 'sigmoid');
    expect(await s.getAttribute('data-passed')).toBe('true');
    await page.screenshot({ path: join(SHOTS, 'backward-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.hover('#gradient-table tbody tr >> nth=3');
    expect(await inView()).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'backward-tip-phone.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('is keyboard operable: arrow keys move between tabs, every control has a label', async () => {
    await page.focus('#tab-backward');
    await page.keyboard.press('ArrowRight');
    expect(await page.getAttribute('#tab-theory', 'aria-selected')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-theory');
    const unlabeled = await page.$$eval('input, select', (els) => els.filter((e) => !(e as HTMLInputElement).labels?.length).map((e) => e.id));
    expect(unlabeled).toEqual([]);
  });

  it('trains on IDX files the user chooses (Fashion-MNIST from Debian) after Reset, then back on the embedded set', async () => {
    const dir = '/usr/share/datasets/fashion-mnist';
    const names = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
    await page.click('#tab-train');
    await page.setInputFiles('#data-files', names.map((n) => join(dir, n)));
    await waitText('#notice', /^Read IDX files: 60000 train \/ 10000 test samples of shape \[1, 28, 28\], 10 classes\. Reset trains on them\./, 60_000);
    await waitText('#pending', /Waiting for Reset: .*data set\./);
    await page.click('#reset');
    await waitText('#status', /^IDX files: 60000 train \/ 10000 test samples/, 60_000);
    await page.waitForFunction(() => document.querySelector('#stat-step')?.textContent === '0', null, { timeout: 30_000 });
    await page.click('#step');
    await page.waitForFunction(() => document.querySelector('#stat-step')?.textContent === '1', null, { timeout: 30_000 });
    const total = await page.$$eval('#confusion-table td', (tds) => tds.reduce((a, td) => a + Number(td.textContent), 0));
    expect(total).toBe(10_000);
    await page.selectOption('#data', 'embedded');
    await waitText('#pending', /Waiting for Reset: data set\./);
    expect(await text('#status')).toMatch(/^IDX files/);
    await page.click('#reset');
    await waitText('#status', /^embedded MNIST: 8000 train \/ 2000 test/);
    expect(await text('#notice')).toMatch(/^Reset: the model trained for 1 step \(/);
  });

  it('fits a phone screen (390×844) without sideways scrolling, with chart and diagram text of at least 11 px', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const tab of ['train', 'backward', 'theory', 'dream']) {
      await page.click(`#tab-${tab}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${tab} panel is ${overflow}px wider than the screen`).toBeLessThanOrEqual(1);
      if (tab === 'train') {
        await page.click('#start');
        await page.waitForFunction(() => Number(document.querySelector('#test-acc')?.getAttribute('data-value')) > 0.8, null, { timeout: 60_000, polling: 250 });
        await pauseAndSettle();
        const sizes = await page.$$eval('#chart-loss text, #chart-acc text', (ts) => ts.map((t) => t.getBoundingClientRect().height));
        expect(sizes.length).toBeGreaterThan(10);
        // a text box is about 1.15 × its font size: 11 px type gives boxes of 12.5 px and more
        expect(Math.min(...sizes)).toBeGreaterThanOrEqual(12.5);
      }
      if (tab === 'theory') {
        // the activation charts (drawn at the desktop's width first, redrawn at the phone's) and the computation graph
        const theoryText = (): Promise<number[]> => page.$$eval('#theory-out svg text', (ts) => ts.map((t) => t.getBoundingClientRect().height).filter((h) => h > 0));
        await expect.poll(async () => (await theoryText()).length).toBeGreaterThan(50);
        await expect.poll(async () => Math.min(...(await theoryText()))).toBeGreaterThanOrEqual(12.5);
      }
      await page.screenshot({ path: join(SHOTS, `${tab}-phone.png`), fullPage: tab !== 'theory' });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('shows no internal names', async () => {
    for (const tab of ['train', 'backward', 'theory', 'dream']) {
      await page.click(`#tab-${tab}`);
      const body = await page.evaluate(() => document.body.innerText);
      expect(body, tab).not.toMatch(/twoLayerTables|seed file|train config:|TrainingSession|HandgradError|undefined|NaN%/);
    }
  });

  it('logged no console errors', () => {
    expect(browser.consoleErrors).toEqual([]);
  });
});
