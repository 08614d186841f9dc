// The registry and loadDataset on real files: Debian's Fashion-MNIST (60000/10000, 28×28,
// 10 classes, checksums), the lookup order, the downloader against a local HTTP server serving
// the real files (good file, bad checksum, 404), and format recognition of paths.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/load-node.js';
import { DATASETS, FASHION_MNIST_CLASSES, datasetNames } from '../../src/data/registry.js';
import {
  downloadVerified,
  locateRegisteredFile,
  searchDirs,
  sha256Hex,
  verifyRegistered,
} from '../../src/data/registry-node.js';
import { writeIdxU8 } from '../../src/data/idx.js';
import type { Dataset } from '../../src/data/types.js';
import { FIXTURES, dataError, dataErrorAsync, tempDir } from './helpers.js';

const DEBIAN = '/usr/share/datasets/fashion-mnist';
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const haveDebian = FILES.every((f) => existsSync(join(DEBIAN, f)));
const fashion = DATASETS['fashion-mnist']!;
if (fashion.kind !== 'idx') throw new Error('fashion-mnist must be an IDX entry');
const noEnv = { HOME: '/nonexistent' } as Record<string, string | undefined>;

describe('the registry table', () => {
  it('lists the five names and an embedded default', () => {
    expect(datasetNames()).toEqual(['mnist', 'mnist-idx', 'fashion-mnist', 'omniglot-small', 'omniglot12']);
    expect(DATASETS['mnist']!.kind).toBe('embedded');
    for (const n of ['mnist-idx', 'fashion-mnist']) {
      const d = DATASETS[n]!;
      if (d.kind !== 'idx') throw new Error(n);
      for (const f of Object.values(d.files)) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('search order: --data-dir, $HANDGRAD_DATA, cache, Debian', () => {
    expect(searchDirs('fashion-mnist', { dataDir: '/d', cacheDir: '/c', env: { HANDGRAD_DATA: '/e' } })).toEqual(['/d', '/e', '/c', DEBIAN]);
    expect(searchDirs('mnist-idx', { env: { XDG_CACHE_HOME: '/x' } })).toEqual(['/x/handgrad']);
  });
});

describe.skipIf(!haveDebian)("Debian's Fashion-MNIST", () => {
  let ds: Dataset;
  beforeAll(async () => {
    ds = await loadDataset('fashion-mnist', { env: noEnv, cacheDir: '/nonexistent/cache', download: false });
  });

  it('60000 + 10000 images of 28×28, 10 named classes, pixels in [0, 1]', () => {
    expect(ds.name).toBe('fashion-mnist');
    expect(ds.sampleShape).toEqual([1, 28, 28]);
    expect(ds.classes).toEqual(FASHION_MNIST_CLASSES);
    expect(ds.train.n).toBe(60000);
    expect(ds.test.n).toBe(10000);
    expect(ds.train.x.length).toBe(60000 * 784);
    expect(ds.test.x.length).toBe(10000 * 784);
    // Fashion-MNIST is balanced: 6000 / 1000 of each class
    const count = (y: Int32Array) => { const c = new Array(10).fill(0); for (const v of y) c[v]++; return c; };
    expect(count(ds.train.y)).toEqual(new Array(10).fill(6000));
    expect(count(ds.test.y)).toEqual(new Array(10).fill(1000));
    let min = Infinity, max = -Infinity, sum = 0;
    for (const v of ds.train.x) { if (v < min) min = v; if (v > max) max = v; sum += v; }
    expect([min, max]).toEqual([0, 1]);
    expect(sum / ds.train.x.length).toBeCloseTo(0.2860, 3); // the well-known train mean
    // the first training label of Fashion-MNIST is 9 (ankle boot), the first test label 9 too
    expect(ds.train.y[0]).toBe(9);
    expect(ds.test.y[0]).toBe(9);
  });

  it('records where the files came from and that their content checksums matched', () => {
    expect((ds.source['files'] as Record<string, string>)['trainImages']).toBe(join(DEBIAN, 'train-images-idx3-ubyte.gz'));
    // Debian re-compressed the .gz files (other bytes than the published ones), same content
    expect(ds.source['checksums']).toEqual({ trainImages: 'content', trainLabels: 'content', testImages: 'content', testLabels: 'content' });
  });

  it('the content sums in the registry are those of the decompressed Debian files', () => {
    for (const [key, spec] of Object.entries(fashion.files)) {
      const raw = gunzipSync(new Uint8Array(readFileSync(join(DEBIAN, spec.file))));
      expect(sha256Hex(raw), key).toBe(spec.rawSha256);
    }
  });

  it('a --data-dir copy comes first, and a tampered copy is refused with both sums', async () => {
    const dir = tempDir('datadir');
    mkdirSync(join(dir, 'fashion-mnist'));
    for (const f of FILES) copyFileSync(join(DEBIAN, f), join(dir, 'fashion-mnist', f));
    const found = await locateRegisteredFile('fashion-mnist', fashion.files.testLabels, { dataDir: dir, env: noEnv, download: false });
    expect(found.path).toBe(join(dir, 'fashion-mnist', 't10k-labels-idx1-ubyte.gz'));
    // an uncompressed copy is recognised by its content sum
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), gunzipSync(new Uint8Array(readFileSync(join(DEBIAN, 't10k-images-idx3-ubyte.gz')))));
    const raw = await locateRegisteredFile('fashion-mnist', fashion.files.testImages, { dataDir: dir, env: noEnv, download: false });
    expect(raw.path).toBe(join(dir, 'fashion-mnist', 't10k-images-idx3-ubyte.gz')); // <dir>/<name>/ is searched before <dir>/
    expect(raw.checked).toBe('content');
    const labels = gunzipSync(new Uint8Array(readFileSync(join(DEBIAN, 't10k-labels-idx1-ubyte.gz'))));
    labels[100] = (labels[100]! + 1) % 10;
    writeFileSync(join(dir, 'fashion-mnist', 't10k-labels-idx1-ubyte.gz'), labels);
    const e = await dataErrorAsync(() => locateRegisteredFile('fashion-mnist', fashion.files.testLabels, { dataDir: dir, env: noEnv, download: false }));
    expect(e.message).toMatch(/checksum mismatch: SHA-256 [0-9a-f]{64}; expected 67da17c7.* or content 0402a96d/);
  });
});

describe('downloads, against a local server serving the real files', () => {
  let server: Server;
  let base = '';
  const hits: string[] = [];
  const served: Record<string, Uint8Array> = {};
  beforeAll(async () => {
    // Real files: Debian's Fashion-MNIST labels when installed, else a small IDX written here.
    for (const f of FILES) {
      served[f] = haveDebian && f.includes('labels') ? new Uint8Array(readFileSync(join(DEBIAN, f))) : writeIdxU8([3], new Uint8Array([1, 2, 3]));
    }
    served['tiny.npz'] = new Uint8Array(readFileSync(join(FIXTURES, 'tiny.npz')));
    server = createServer((req, res) => {
      const name = (req.url ?? '').split('/').pop() ?? '';
      hits.push(req.url ?? '');
      const body = served[name];
      if (!body || (req.url ?? '').startsWith('/missing/')) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
        return;
      }
      // /chunked/ answers without a content-length (the size is known only at the end)
      const chunked = (req.url ?? '').startsWith('/chunked/');
      res.writeHead(200, { 'content-type': 'application/octet-stream', ...(chunked ? {} : { 'content-length': body.length }) });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('good file: written atomically under its name, checksum verified, no temporary left', async () => {
    const dir = tempDir('dl-good');
    const dest = join(dir, 'sub', 'tiny.npz');
    const want = sha256Hex(served['tiny.npz']!);
    await downloadVerified([`${base}/files/tiny.npz`], dest, (b) => expect(sha256Hex(b)).toBe(want));
    expect(sha256Hex(new Uint8Array(readFileSync(dest)))).toBe(want);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['tiny.npz']);
  });

  it('bad checksum: an error naming URL and sums, and nothing left on disk', async () => {
    const dir = tempDir('dl-bad');
    const dest = join(dir, 'fashion-mnist', 'train-labels-idx1-ubyte.gz');
    const spec = { ...fashion.files.trainLabels, sha256: '0'.repeat(64), rawSha256: '1'.repeat(64) };
    const e = await dataErrorAsync(() => downloadVerified([`${base}/f/train-labels-idx1-ubyte.gz`], dest, (b, url) => void verifyRegistered(url, b, spec)));
    expect(e.message).toMatch(/download failed from every mirror:\n {2}http:\/\/127\.0\.0\.1:\d+\/f\/train-labels-idx1-ubyte\.gz: .*checksum mismatch: SHA-256 [0-9a-f]{64} \(content [0-9a-f]{64}\); expected 0{64} for train-labels-idx1-ubyte\.gz or content 1{64}$/);
    expect(readdirSync(join(dir, 'fashion-mnist'))).toEqual([]);
  });

  it('a download past maxBytes is cut off, announced or not, and leaves nothing on disk', async () => {
    const dir = tempDir('dl-cap');
    const size = served['tiny.npz']!.length;
    const announced = await dataErrorAsync(() => downloadVerified([`${base}/files/tiny.npz`], join(dir, 'a.npz'), () => {}, { maxBytes: size - 1 }));
    expect(announced.message).toMatch(new RegExp(`tiny\\.npz: announces ${size} bytes, more than the ${size - 1} a download may bring`));
    const streamed = await dataErrorAsync(() => downloadVerified([`${base}/chunked/tiny.npz`], join(dir, 'b.npz'), () => {}, { maxBytes: size - 1 }));
    expect(streamed.message).toMatch(new RegExp(`brought more than the ${size - 1} bytes a download may bring; stopped there`));
    expect(readdirSync(dir)).toEqual([]);
    await downloadVerified([`${base}/chunked/tiny.npz`], join(dir, 'c.npz'), () => {}, { maxBytes: size });
    expect(readdirSync(dir)).toEqual(['c.npz']);
  });

  it('404: the error lists each mirror and its HTTP status; the next mirror is tried', async () => {
    const dir = tempDir('dl-404');
    const e = await dataErrorAsync(() => downloadVerified([`${base}/missing/a.gz`, `${base}/nope/b.gz`], join(dir, 'a.gz'), () => {}));
    expect(e.message).toMatch(/\/missing\/a\.gz: HTTP 404 Not Found\n {2}http:.*\/nope\/b\.gz: HTTP 404 Not Found/);
    expect(existsSync(join(dir, 'a.gz'))).toBe(false);
    const ok = join(dir, 'ok.npz');
    await downloadVerified([`${base}/missing/tiny.npz`, `${base}/second/tiny.npz`], ok, () => {});
    expect(existsSync(ok)).toBe(true);
  });

  it.skipIf(!haveDebian)('the registry downloads a missing file into the cache and then finds it there', async () => {
    const cache = tempDir('cache');
    const logs: string[] = [];
    const opts = { cacheDir: cache, env: noEnv, systemDirs: [], mirrors: [`${base}/missing/`, `${base}/mirror/`], log: (m: string) => logs.push(m) };
    const got = await locateRegisteredFile('fashion-mnist', fashion.files.trainLabels, opts);
    expect(got.checked).toBe('downloaded');
    expect(got.path).toBe(join(cache, 'fashion-mnist', 'train-labels-idx1-ubyte.gz'));
    expect(logs.some((l) => l.startsWith('saved '))).toBe(true);
    const before = hits.length;
    const again = await locateRegisteredFile('fashion-mnist', fashion.files.trainLabels, { ...opts, download: false });
    expect(again.checked).toBe('content');
    expect(hits.length).toBe(before); // served from the cache
  });

  it('with downloads off and no copy, the error lists where it looked', async () => {
    const e = await dataErrorAsync(() =>
      locateRegisteredFile('mnist-idx', (DATASETS['mnist-idx'] as typeof fashion).files.trainImages, { cacheDir: '/nonexistent/c', dataDir: '/nonexistent/d', env: noEnv, download: false }),
    );
    expect(e.message).toMatch(/train-images-idx3-ubyte\.gz: not found, and downloads are off\. Looked in:\n {2}\/nonexistent\/d\n {2}\/nonexistent\/c/);
  });
});

describe('loadDataset recognises paths', () => {
  it('an .npz and a .pkl by extension, and by content under another name', async () => {
    const npz = await loadDataset(join(FIXTURES, 'tiny.npz'));
    expect([npz.name, npz.train.n, npz.test.n]).toEqual(['tiny', 6, 3]);
    const pkl = await loadDataset(join(FIXTURES, 'omni_p4.pkl'));
    expect([pkl.name, pkl.sampleShape]).toEqual(['omni_p4', [16]]);
    const dir = tempDir('content');
    copyFileSync(join(FIXTURES, 'omni_p5.pkl'), join(dir, 'data.bin'));
    copyFileSync(join(FIXTURES, 'tiny_compressed.npz'), join(dir, 'arrays.dat'));
    expect((await loadDataset(join(dir, 'data.bin'))).source['format']).toBe('pickle');
    expect((await loadDataset(join(dir, 'arrays.dat'))).source['format']).toBe('npz');
  });

  it('a folder of the four IDX files, raw or gzipped, and a folder of four .npy files', async () => {
    const dir = tempDir('idxdir');
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), writeIdxU8([2, 2, 2], new Uint8Array([0, 255, 0, 255, 1, 2, 3, 4])));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), writeIdxU8([2], new Uint8Array([0, 1])));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), writeIdxU8([1, 2, 2], new Uint8Array([9, 9, 9, 9])));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), writeIdxU8([1], new Uint8Array([1])));
    const ds = await loadDataset(dir);
    expect([ds.train.n, ds.test.n, ds.sampleShape]).toEqual([2, 1, [1, 2, 2]]);
    const npyDir = tempDir('npydir');
    for (const [n, f] of [['x_train', 'f4_c.npy'], ['y_train', 'i8.npy'], ['x_test', 'f4_c.npy'], ['y_test', 'i8.npy']]) {
      copyFileSync(join(FIXTURES, f!), join(npyDir, `${n}.npy`));
    }
    // i8.npy holds a negative label: the reader must say so, naming the file
    const e = await dataErrorAsync(() => loadDataset(npyDir));
    expect(e.message).toMatch(/y_train\.npy: label 1 is -1; expected a non-negative integer/);
  });

  it('unknown names and missing paths list the registered names', async () => {
    const proto = await dataErrorAsync(() => loadDataset('constructor'));
    expect(proto.message).toMatch(/^constructor: unknown data set/);
    const e = await dataErrorAsync(() => loadDataset('cifar10'));
    expect(e.message).toMatch(/^cifar10: unknown data set: no registered name and no such file or folder; expected a registered name \(mnist, mnist-idx, fashion-mnist, omniglot-small, omniglot12\)/);
    const dir = tempDir('partial');
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), new Uint8Array([1]));
    const part = await dataErrorAsync(() => loadDataset(dir));
    expect(part.message).toMatch(/holds some IDX files but not train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte/);
    const single = await dataErrorAsync(() => loadDataset(join(FIXTURES, 'f4_c.npy')));
    expect(single.message).toMatch(/an \.npy file holds one array/);
    const junk = join(dir, 'junk.txt');
    writeFileSync(junk, 'hello');
    const j = await dataErrorAsync(() => loadDataset(junk));
    expect(j.message).toMatch(/junk\.txt: byte 0: format not recognised/);
  });

  it('omniglot12 is looked up as omniglot_12.pkl in the data folders', async () => {
    const dir = tempDir('omni');
    const e = await dataErrorAsync(() => loadDataset('omniglot12', { dataDir: dir, cacheDir: '/nonexistent/c', env: noEnv }));
    expect(e.message).toMatch(/omniglot_12\.pkl: not found\. Looked in:/);
    copyFileSync(join(FIXTURES, 'omni_p4.pkl'), join(dir, 'omniglot_12.pkl'));
    const ds = await loadDataset('omniglot12', { dataDir: dir, env: noEnv });
    expect([ds.name, ds.train.n, ds.test.n]).toEqual(['omniglot12', 6, 3]);
  });
});

// dataError is used by other suites; keep the import honest here too
void dataError;
