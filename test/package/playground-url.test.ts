// `npm run playground` (Vite's dev server) prints the address to open, and that address serves
// the page with the cross-origin isolation headers that WebAssembly threads need.

import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('npm run playground', () => {
  it('prints the URL to open, and the URL serves the page', async () => {
    // Vite moves to the next free port when 5173 is taken; the printed URL is the one it bound
    const child = spawn('npm', ['run', 'playground'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((ok, fail) => {
        let seen = '';
        const timer = setTimeout(() => fail(new Error(`npm run playground printed no URL in 60 s; it printed: ${seen}`)), 60_000);
        const onData = (b: Buffer): void => {
          seen += b.toString();
          const m = /handgrad playground: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(seen);
          if (m) {
            clearTimeout(timer);
            ok(m[1]!);
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        child.once('exit', (code) => fail(new Error(`npm run playground exited with ${code}: ${seen}`)));
      });
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(await res.text()).toContain('<title>handgrad playground');
    } finally {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    }
  }, 90_000);
});
