// `handgrad serve`: serves the built playground (web/dist, from `npm run build:web`) as static
// files, with the COOP/COEP headers that make the page cross-origin isolated (SharedArrayBuffer,
// hence WASM threads). No server logic beyond files: the app runs entirely in the browser.
// startStaticServer() is also what the browser tests use.

import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { HandgradError } from '../index.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.wasm': 'application/wasm', '.gz': 'application/octet-stream', '.bin': 'application/octet-stream',
  '.safetensors': 'application/octet-stream', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** The built app next to this package: <package>/web/dist (from src/cli or dist/src/cli). */
export function defaultAppDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const up of ['../../web/dist', '../../../web/dist']) {
    const d = resolve(here, up);
    if (existsSync(join(d, 'index.html'))) return d;
  }
  return resolve(here, '../../web/dist');
}

export async function startStaticServer(options: { dir: string; host?: string; port?: number }): Promise<StaticServer> {
  const root = resolve(options.dir);
  if (!existsSync(join(root, 'index.html'))) {
    throw new HandgradError(`serve: ${join(root, 'index.html')} does not exist; build the playground first with \`npm run build:web\` (or pass --dir <folder with index.html>)`);
  }
  const server = createServer((req, res) => {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    let file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'Cache-Control': 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(e.code === 'EADDRINUSE' ? new HandgradError(`serve: port ${options.port} on ${host} is in use; pick another with --port`) : e));
    server.listen(options.port ?? 0, host, () => ok());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port;
  return {
    server,
    url: `http://${host}:${port}/`,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the browser playground (built with `npm run build:web`) with cross-origin isolation headers')
    .option('--port <n>', 'port to listen on', '5173')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--dir <folder>', 'the built app (default: web/dist of this package)')
    .action(async (opts: { port: string; host: string; dir?: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new HandgradError(`serve: --port must be an integer in [0, 65535], got '${opts.port}'`);
      const s = await startStaticServer({ dir: opts.dir ?? defaultAppDir(), host: opts.host, port });
      console.log(`handgrad playground: ${s.url}  (Ctrl+C to stop)`);
    });
}
