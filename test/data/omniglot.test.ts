// Omniglot on real drawings: the registered `omniglot-small` (Omniglot's images_background_small1
// and _small2 zips, MIT licence) read from the shared copies, found through --data-dir and
// $HANDGRAD_DATA, downloaded through the registry's download path from a local HTTP server serving
// the real zips (and refused when a byte differs); the drawer split (no drawer in both splits);
// Greek and Latin, in both zips, read once; a folder unzipped from one of them read by --data PATH;
// `handgrad train --data omniglot-small` for one epoch.
// Where the zips are (HANDGRAD_OMNIGLOT_DIR, default ../shared/data/omniglot beside the repository)
// holds none, the tests that need them are skipped and say so.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { loadDataset } from '../../src/data/load-node.js';
import { drawerOf, loadOmniglotZips } from '../../src/data/omniglot-node.js';
import { DATASETS, OMNIGLOT_SMALL_ALPHABETS } from '../../src/data/registry.js';
import { locateRegisteredFile, sha256Hex } from '../../src/data/registry-node.js';
import type { Dataset } from '../../src/data/types.js';
import { dataError, dataErrorAsync, tempDir } from './helpers.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHARED = process.env['HANDGRAD_OMNIGLOT_DIR'] ?? join(repo, '..', 'shared', 'data', 'omniglot');
const ZIPS = ['images_background_small1.zip', 'images_background_small2.zip'];
const found = ZIPS.every((z) => existsSync(join(SHARED, z)));
const reg = DATASETS['omniglot-small']!;
if (reg.kind !== 'omniglot-zips') throw new Error('omniglot-small must be an omniglot-zips entry');
const noEnv = { HOME: '/nonexistent' } as Record<string, string | undefined>;
const skipNote = found ? '' : ` (skipped: no ${ZIPS.join(' and ')} in ${SHARED}; set HANDGRAD_OMNIGLOT_DIR)`;

describe('the omniglot-small entry', () => {
  it('names the two zips of the Omniglot repository with their sizes and SHA-256, the 8 alphabets and the test drawers', () => {
    expect(reg.files.map((f) => [f.file, f.bytes])).toEqual([[ZIPS[0], 1319022], [ZIPS[1], 1580917]]);
    for (const f of reg.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(reg.mirrors).toEqual(['https://github.com/brendenlake/omniglot/raw/master/python/']);
    expect(reg.classes).toEqual(OMNIGLOT_SMALL_ALPHABETS);
    expect([...reg.classes].sort()).toEqual(reg.classes);
    expect(reg.testDrawers).toEqual([17, 18, 19, 20]);
  });

  it.skipIf(!found)(`the registered sums are those of the shared copies${skipNote}`, () => {
    reg.files.forEach((f) => {
      const bytes = readFileSync(join(SHARED, f.file));
      expect([bytes.length, sha256Hex(bytes)]).toEqual([f.bytes, f.sha256]);
    });
  });
});

describe.skipIf(!found)(`omniglot-small from the shared copies${skipNote}`, () => {
  let ds: Dataset;
  beforeAll(async () => {
    ds = await loadDataset('omniglot-small', { dataDir: SHARED, env: noEnv, cacheDir: '/nonexistent/cache', download: false });
  }, 120_000);

  it('4840 drawings of 105×105 in 8 alphabets: drawers 1–16 train (3872), 17–20 test (968)', () => {
    expect(ds.name).toBe('omniglot-small');
    expect(ds.sampleShape).toEqual([1, 105, 105]);
    expect(ds.classes).toEqual(OMNIGLOT_SMALL_ALPHABETS);
    expect([ds.train.n, ds.test.n]).toEqual([3872, 968]);
    expect(ds.train.x.length).toBe(3872 * 105 * 105);
    expect(ds.source).toMatchObject({ registered: 'omniglot-small', format: 'omniglot-zips', split: 'drawer', testDrawers: [17, 18, 19, 20], invert: false });
    expect(Object.values(ds.source['checksums'] as Record<string, string>)).toEqual(['sha256', 'sha256']);
  });

  it('every character gives 16 drawings to train and 4 to test; Greek (24 characters) and Latin (26), in both zips, count once', () => {
    const count = (y: Int32Array): number[] => {
      const c = new Array<number>(8).fill(0);
      for (const v of y) c[v]!++;
      return c;
    };
    const train = count(ds.train.y);
    const test = count(ds.test.y);
    train.forEach((t, i) => expect(t).toBe(4 * test[i]!));
    expect(test[ds.classes.indexOf('Greek')]).toBe(24 * 4);
    expect(test[ds.classes.indexOf('Latin')]).toBe(26 * 4);
  });

  it('pixels are ink 0 and paper 1 (about 8 % ink)', () => {
    let ink = 0;
    for (const v of ds.train.x) {
      if (v !== 0 && v !== 1) throw new Error(`pixel ${v} is neither 0 nor 1`);
      if (v === 0) ink++;
    }
    const frac = ink / ds.train.x.length;
    expect(frac).toBeGreaterThan(0.05);
    expect(frac).toBeLessThan(0.12);
  });
});

describe.skipIf(!found)(`finding and downloading the zips${skipNote}`, () => {
  let server: Server;
  let base = '';
  const hits: string[] = [];
  const served: Record<string, Uint8Array> = {};
  beforeAll(async () => {
    for (const z of ZIPS) served[z] = new Uint8Array(readFileSync(join(SHARED, z)));
    const bad = Uint8Array.from(served[ZIPS[0]!]!);
    bad[1000] = bad[1000]! ^ 0xff;
    served[`bad/${ZIPS[0]}`] = bad;
    server = createServer((req, res) => {
      const url = req.url ?? '';
      hits.push(url);
      const body = served[url.replace(/^\/+/, '')];
      if (!body) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('downloads into <cache>/omniglot-small/ with the checksum verified, then finds the cached copy', async () => {
    const cache = tempDir('omni-cache');
    const spec = reg.files[0]!;
    const got = await locateRegisteredFile('omniglot-small', spec, { cacheDir: cache, env: noEnv, mirrors: [`${base}/missing/`, `${base}/`] });
    expect(got.checked).toBe('downloaded');
    expect(got.path).toBe(join(cache, 'omniglot-small', spec.file));
    expect(sha256Hex(readFileSync(got.path))).toBe(spec.sha256);
    expect(readdirSync(join(cache, 'omniglot-small'))).toEqual([spec.file]);
    const n = hits.length;
    const again = await locateRegisteredFile('omniglot-small', spec, { cacheDir: cache, env: noEnv, mirrors: [`${base}/`] });
    expect([again.path, again.checked, hits.length]).toEqual([got.path, 'sha256', n]);
  });

  it('a download whose bytes differ is refused with both sums and leaves nothing behind', async () => {
    const cache = tempDir('omni-bad');
    const e = await dataErrorAsync(() => locateRegisteredFile('omniglot-small', reg.files[0]!, { cacheDir: cache, env: noEnv, mirrors: [`${base}/bad/`] }));
    expect(e.message).toMatch(new RegExp(`download failed from every mirror:\\n  ${base}/bad/${ZIPS[0]}: .*checksum mismatch: SHA-256 [0-9a-f]{64}; expected ${reg.files[0]!.sha256}`));
    expect(existsSync(join(cache, 'omniglot-small')) ? readdirSync(join(cache, 'omniglot-small')) : []).toEqual([]);
  });

  it('$HANDGRAD_DATA is searched; a tampered copy in --data-dir is refused before the cache is tried', async () => {
    const viaEnv = await locateRegisteredFile('omniglot-small', reg.files[1]!, { env: { HANDGRAD_DATA: SHARED }, cacheDir: '/nonexistent/c', download: false });
    expect([viaEnv.path, viaEnv.checked]).toEqual([join(SHARED, ZIPS[1]!), 'sha256']);
    const dir = tempDir('omni-tampered');
    mkdirSync(join(dir, 'omniglot-small'));
    writeFileSync(join(dir, 'omniglot-small', ZIPS[0]!), served[`bad/${ZIPS[0]}`]!);
    const e = await dataErrorAsync(() => loadDataset('omniglot-small', { dataDir: dir, env: { HANDGRAD_DATA: SHARED }, download: false }));
    expect(e.message).toMatch(/images_background_small1\.zip: checksum mismatch: SHA-256 [0-9a-f]{64}; expected f38eb80f.*Delete or replace this copy/);
  });

  it('with downloads off and no copy, the error lists where it looked', async () => {
    const e = await dataErrorAsync(() => loadDataset('omniglot-small', { dataDir: '/nonexistent/d', cacheDir: '/nonexistent/c', env: noEnv, download: false }));
    expect(e.message).toMatch(/images_background_small1\.zip: not found, and downloads are off\. Looked in:\n {2}\/nonexistent\/d\n {2}\/nonexistent\/c/);
  });
});

describe.skipIf(!found)(`a folder unzipped from Omniglot, through --data PATH${skipNote}`, () => {
  it('images_background/<alphabet>/<character>/<id>_<drawer>.png: label = alphabet, split by drawer by default', async () => {
    const root = tempDir('omni-folder');
    const files = unzipSync(readFileSync(join(SHARED, ZIPS[0]!)), { filter: (f) => f.name.endsWith('.png') });
    for (const [name, bytes] of Object.entries(files)) {
      const out = join(root, 'images_background', ...name.split('/').slice(1));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, bytes);
    }
    const ds = await loadDataset(root, { alphabets: 2 });
    expect(ds.classes).toEqual(['Balinese', 'Early_Aramaic']);
    expect(ds.source).toMatchObject({ format: 'omniglot-folder', split: 'drawer', testDrawers: [17, 18, 19, 20] });
    expect(ds.train.n).toBe(4 * ds.test.n);
    expect(ds.sampleShape).toEqual([1, 105, 105]);
  }, 60_000);
});

describe.skipIf(!found)(`handgrad train --data omniglot-small${skipNote}`, () => {
  it('trains on the registered name through --data-dir: 11025 → 8 → 8 alphabets, one epoch, the run records the data set', async () => {
    const out = join(tempDir('omni-train'), 'run');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    process.exitCode = 0;
    try {
      await run(['node', 'handgrad', 'train', '--data', 'omniglot-small', '--data-dir', SHARED, '--hidden', '8', '--epochs', '1', '--lr', '0.01', '--out', out, '--no-progress']);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    expect(Number(process.exitCode ?? 0)).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(JSON.stringify(config)).toMatch(/omniglot-small/);
    expect(readFileSync(join(out, 'history.csv'), 'utf8').trim().split('\n')).toHaveLength(2);
  }, 120_000);
});

/** A 2×2 grey PNG of one value. */
function png(v: number): Uint8Array {
  const p = new PNG({ width: 2, height: 2 });
  p.data.fill(255);
  for (let i = 0; i < 4; i++) p.data[4 * i] = p.data[4 * i + 1] = p.data[4 * i + 2] = v;
  return new Uint8Array(PNG.sync.write(p));
}

describe('Omniglot zips, small ones written here', () => {
  const zip = (files: Record<string, Uint8Array>): Uint8Array => zipSync(files);

  it('an alphabet in two zips is read once; the drawer is the number after the last _', () => {
    const a = zip({ 's1/Greek/character01/0001_01.png': png(0), 's1/Greek/character01/0001_02.png': png(255), 's1/Aramaic/character01/0002_02.png': png(0), 's1/Aramaic/character01/0002_01.png': png(0) });
    const b = zip({ 's2/Greek/character01/0001_01.png': png(0), 's2/Greek/character01/0001_02.png': png(255) });
    const ds = loadOmniglotZips([{ path: 'a.zip', bytes: a }, { path: 'b.zip', bytes: b }], { testDrawers: [2] });
    expect(ds.classes).toEqual(['Aramaic', 'Greek']);
    expect([ds.train.n, ds.test.n]).toEqual([2, 2]);
    expect(Array.from(ds.test.y)).toEqual([0, 1]);
    expect(Array.from(ds.test.x.subarray(4, 8))).toEqual([1, 1, 1, 1]);
    expect([drawerOf('0001_17.png'), drawerOf('Latin_0_1.png'), drawerOf('x.png')]).toEqual([17, null, null]);
  });

  it('the same path with other bytes, a member at another depth, and unknown test drawers are errors naming them', () => {
    const a = zip({ 's1/Greek/character01/0001_01.png': png(0), 's1/Greek/character01/0001_02.png': png(0) });
    const b = zip({ 's2/Greek/character01/0001_01.png': png(9) });
    expect(dataError(() => loadOmniglotZips([{ path: 'a.zip', bytes: a }, { path: 'b.zip', bytes: b }])).message)
      .toMatch(/^b\.zip: member 's2\/Greek\/character01\/0001_01\.png' differs from 's1\/Greek\/character01\/0001_01\.png' in a\.zip/);
    const deep = zip({ 's1/Greek/x/character01/0001_01.png': png(0) });
    expect(dataError(() => loadOmniglotZips([{ path: 'deep.zip', bytes: deep }])).message).toMatch(/is not <subset>\/<alphabet>\/<character>\/<drawing>\.png/);
    expect(dataError(() => loadOmniglotZips([{ path: 'a.zip', bytes: a }], { testDrawers: [20] })).message).toMatch(/test drawers 20 draw nothing here; the drawers are 1, 2/);
  });
});
