// `handgrad serve`: serves the built playground (web/dist, from `npm run build:web`) as static
// files, with the COOP/COEP headers that make the page cross-origin isolated (SharedArrayBuffer,
// hence WASM threads). No server logic beyond files: the app runs entirely in the browser.
// startStaticServer() is also what the browser tests use.
//
// No request can stop the server. A path is decoded, joined to the folder and resolved through
// its symbolic links (realpath); what is not inside the folder's own real path is refused. The
// file is opened once, and that open handle is checked with fstat (a regular file, its size for
// Content-Length) and streamed; a file removed or changed between the lookup and the open is a
// 404, any other error a 500, and an error while streaming ends that one response.

import { constants, existsSync, realpathSync } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
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

function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(text);
}

/** True when `path` is `root` or inside it. */
function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The open file to answer `urlPath` with (a directory answers with its index.html), or a status. */
async function openServed(root: string, urlPath: string): Promise<{ handle: FileHandle; file: string; size: number } | 403 | 404> {
  let file = join(root, urlPath);
  if (!inside(root, file)) return 403;
  for (let tries = 0; tries < 2; tries++) {
    let real: string;
    try {
      real = await realpath(file);
    } catch {
      return 404;
    }
    if (!inside(root, real)) return 403;
    let handle: FileHandle;
    try {
      // O_NOFOLLOW: a link put in place of the file since realpath is not followed out;
      // O_NONBLOCK: a FIFO opens at once (and is then refused by fstat) instead of waiting
      handle = await open(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    } catch {
      return 404;
    }
    const st = await handle.stat().catch(() => undefined);
    if (st?.isFile()) return { handle, file: real, size: st.size };
    await handle.close();
    if (!st?.isDirectory()) return 404;
    file = join(real, 'index.html');
  }
  return 404;
}

async function serveRequest(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    answer(res, 400, 'bad request');
    return;
  }
  if (path.includes('\0')) {
    answer(res, 400, 'bad request');
    return;
  }
  const found = await openServed(root, path);
  if (found === 403) return answer(res, 403, 'forbidden');
  if (found === 404) return answer(res, 404, `not found: ${path}`);
  const { handle, file, size } = found;
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': 'no-cache',
  });
  if (req.method === 'HEAD' || size === 0) {
    await handle.close();
    res.end();
    return;
  }
  // The stream owns the handle from here and closes it when it ends, fails or is destroyed;
  // it sends the size fstat gave, even if the file grows meanwhile.
  const stream = handle.createReadStream({ start: 0, end: size - 1, autoClose: true });
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

/** A --host value: a name or address without spaces (an empty one would listen everywhere). */
function checkHost(host: string): string {
  if (/^[^\s]+$/.test(host)) return host;
  throw new HandgradError(`serve: --host must be an address or host name such as 127.0.0.1, ::1 or localhost, got '${host}'`);
}

export async function startStaticServer(options: { dir: string; host?: string; port?: number }): Promise<StaticServer> {
  const dir = resolve(options.dir);
  if (!existsSync(join(dir, 'index.html'))) {
    throw new HandgradError(`serve: ${join(dir, 'index.html')} does not exist; build the playground first with \`npm run build:web\` (or pass --dir <folder with index.html>)`);
  }
  const root = realpathSync(dir);
  const server = createServer((req, res) => {
    serveRequest(root, req, res).catch(() => answer(res, 500, 'internal error'));
  });
  // A client that goes away mid-request must not surface as an error of the server.
  server.on('clientError', (_e, socket) => socket.destroy());
  const host = checkHost(options.host ?? '127.0.0.1');
  const port = options.port ?? 0;
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(new HandgradError(e.code === 'EADDRINUSE'
        ? `serve: port ${port} on ${host} is in use; pick another with --port`
        : `serve: cannot listen on ${host} port ${port} (${e.code ?? e.message})`)));
    server.listen(port, host, () => ok());
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

/** A --port value: digits only, 0 to 65535 (0: any free port). */
export function parsePort(raw: string): number {
  const text = String(raw).trim();
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new HandgradError(`serve: --port must be an integer in [0, 65535], got '${raw}'`);
  return port;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the browser playground (built with `npm run build:web`) with cross-origin isolation headers')
    .option('--port <n>', 'port to listen on', '5173')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--dir <folder>', 'the built app (default: web/dist of this package)')
    .action(async (opts: { port: string; host: string; dir?: string }) => {
      const port = parsePort(opts.port);
      const s = await startStaticServer({ dir: opts.dir ?? defaultAppDir(), host: opts.host, port });
      console.log(`handgrad playground: ${s.url}  (Ctrl+C to stop)`);
    });
}
