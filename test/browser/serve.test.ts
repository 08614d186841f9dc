// The static server behind `handgrad serve` (and the browser tests): cross-origin isolation
// headers on every response, content types, 404s, no escaping the served folder, and a clear
// message when the app has not been built. Real files in a temporary folder, real HTTP.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../../src/cli/serve.js';
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
function get(path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
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
});
