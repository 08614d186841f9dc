// The static server behind `handgrad serve` (and the browser tests): cross-origin isolation
// headers on every response, content types, 404s, no escaping the served folder (by path or by
// symbolic link), no request that can stop it (FIFOs, files vanishing mid-request), and clear
// one-line errors for bad flags or an app that has not been built. Real files in a temporary
// folder, real HTTP.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePort, startStaticServer, type StaticServer } from '../../src/cli/serve.js';
import { buildProgram } from '../../src/cli/main.js';

let dir: string;
let server: StaticServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'handgrad-serve-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'data.bin.gz'), new Uint8Array([1, 2, 3]));
  server = await startStaticServer({ dir });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw GET (no URL normalisation by a client library, so ../ reaches the server as sent). */
function get(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('handgrad serve', () => {
  it('serves index.html at / with COOP/COEP', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/html/);
    expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(r.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(r.body).toContain('<title>t</title>');
  });

  it('serves scripts and binary data with their types, byte for byte', async () => {
    const js = await get('/assets/app.js');
    expect(js.headers['content-type']).toMatch(/text\/javascript/);
    expect(js.headers['cross-origin-embedder-policy']).toBe('require-corp');
    const bin = await get('/data.bin.gz');
    expect(bin.headers['content-type']).toBe('application/octet-stream');
    expect([...Buffer.from(bin.body, 'latin1')]).toEqual([1, 2, 3]);
  });

  it('answers 404 for missing files and 403 outside the folder', async () => {
    expect((await get('/nope.js')).status).toBe(404);
    // dot segments are resolved by URL parsing (inside the folder: a plain 404)…
    const dots = await get('/../../etc/passwd');
    expect(dots.status).toBe(404);
    expect(dots.body).not.toContain('root:');
    // …and encoded slashes that would climb out after decoding are refused
    const encoded = await get('/..%2f..%2f..%2fetc%2fpasswd');
    expect(encoded.status).toBe(403);
    expect(encoded.body).not.toContain('root:');
  });

  it('says how to build the app when index.html is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'handgrad-serve-empty-'));
    await expect(startStaticServer({ dir: empty })).rejects.toThrow(/npm run build:web/);
    rmSync(empty, { recursive: true, force: true });
  });

  it('is registered as a command of the CLI', () => {
    const cmd = buildProgram().commands.find((c) => c.name() === 'serve');
    expect(cmd).toBeDefined();
    expect(cmd!.options.map((o) => o.long)).toEqual(['--port', '--host', '--dir']);
  });

  it('does not follow symbolic links out of its folder; links inside it are served', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'handgrad-serve-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'leak.txt'));
    symlinkSync(outside, join(dir, 'leakdir'));
    symlinkSync(join(dir, 'assets', 'app.js'), join(dir, 'alias.js'));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling.js'));
    try {
      for (const path of ['/leak.txt', '/leakdir/secret.txt']) {
        const r = await get(path);
        expect(r.status, path).toBe(403);
        expect(r.body).not.toContain('secret');
      }
      expect((await get('/alias.js')).body).toBe('console.log(1)');
      expect((await get('/dangling.js')).status).toBe(404);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it.runIf(process.platform === 'linux')('answers a FIFO with 404 at once instead of waiting on it', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe.js')]);
    const t0 = performance.now();
    expect((await get('/pipe.js')).status).toBe(404);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('survives files vanishing between lookup and open, and answers HEAD with headers only', async () => {
    mkdirSync(join(dir, 'churn'));
    const big = new Uint8Array(256 * 1024).fill(65);
    let stop = false;
    const churn = (async () => {
      for (let i = 0; !stop; i++) {
        const p = join(dir, 'churn', `f${i % 4}.bin`);
        writeFileSync(p, big);
        await new Promise((r) => setImmediate(r));
        unlinkSync(p);
      }
    })();
    const statuses = new Set<number>();
    for (let round = 0; round < 30; round++) {
      const rs = await Promise.all([0, 1, 2, 3].map((k) => get(`/churn/f${k}.bin`).catch(() => ({ status: -1, headers: {}, body: '' }))));
      for (const r of rs) {
        statuses.add(r.status);
        if (r.status === 200) expect(r.body.length).toBeLessThanOrEqual(big.length);
      }
    }
    stop = true;
    await churn;
    for (const s of statuses) expect([200, 404, -1]).toContain(s);
    expect(statuses.has(404)).toBe(true);
    const head = await get('/assets/app.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('14');
    expect(head.body).toBe('');
    expect((await get('/')).status).toBe(200); // still up
  });

  it('answers a directory without index.html, and a NUL in the path, without a trace', async () => {
    expect((await get('/assets/')).status).toBe(404);
    expect((await get('/a%00b')).status).toBe(400);
  });

  it('refuses a bad --port or --host in one line', async () => {
    expect(() => parsePort('')).toThrow("serve: --port must be an integer in [0, 65535], got ''");
    expect(() => parsePort('80x')).toThrow(/got '80x'/);
    expect(() => parsePort('70000')).toThrow(/got '70000'/);
    expect(parsePort(' 8080 ')).toBe(8080);
    await expect(startStaticServer({ dir, host: '' })).rejects.toThrow("serve: --host must be an address or host name such as 127.0.0.1, ::1 or localhost, got ''");
    await expect(startStaticServer({ dir, host: 'no-such-host.invalid' })).rejects.toThrow(/^serve: cannot listen on no-such-host\.invalid port 0 \((ENOTFOUND|EAI_AGAIN)/);
  });
});
