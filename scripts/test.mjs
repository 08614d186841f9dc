#!/usr/bin/env node
// `npm test`: provisions what the tests need from Debian when it can, builds, runs every test.
//  1. System packages: Fashion-MNIST (dataset-fashion-mnist), Chromium (browser tests; its
//     SwiftShader is also the Vulkan driver the webgpu tests run on), the Vulkan loader libvulkan1
//     (Dawn, from the `webgpu` devDependency, loads it), a font (PNG text), strace (kills a
//     training run at each of its file operations). Installed with apt-get when running as root;
//     otherwise the exact command is printed and the run fails.
//  2. `tsc` builds dist/ (the CLI tests run the real `handgrad` command) and type-checks the tests
//     and the playground (web/); scripts/check-imports.mjs checks the import graph;
//     scripts/check-docs.mjs that every export of the public API and its members carry TSDoc;
//     ESLint checks every source with no warning allowed.
//  3. vitest runs test/**; the last line is "N passed, N failed", and the exit code is non-zero
//     when any test failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const needs = [
  { pkg: 'dataset-fashion-mnist', present: () => existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz') },
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  { pkg: 'fonts-dejavu-core', present: () => existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf') },
  { pkg: 'strace', present: () => existsSync('/usr/bin/strace') },
  { pkg: 'libvulkan1', present: () => ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'].some((d) => existsSync(`${d}/libvulkan.so.1`)) },
];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

const missing = needs.filter((n) => !n.present()).map((n) => n.pkg);
if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) {
    console.log(`npm test: installing Debian packages the tests need: ${missing.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (run('apt-get', ['update', '-qq'], { env }) !== 0 || run('apt-get', ['install', '-y', '-qq', ...missing], { env }) !== 0) {
      console.error(`npm test: apt-get could not install ${missing.join(' ')}; install them by hand: sudo apt-get install -y ${missing.join(' ')}`);
      process.exit(1);
    }
  } else {
    console.error(`npm test: the tests need these Debian packages: ${missing.join(' ')}\n  install them with: sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
}

console.log('npm test: building (tsc)');
if (run(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']) !== 0) {
  console.error('npm test: the TypeScript build failed');
  process.exit(1);
}

console.log('npm test: type-checking the tests (tsc -p tsconfig.test.json)');
if (run(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json']) !== 0) {
  console.error('npm test: the tests do not type-check');
  process.exit(1);
}

console.log('npm test: type-checking the playground (tsc -p web/tsconfig.json)');
if (run(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', join('web', 'tsconfig.json')]) !== 0) {
  console.error('npm test: the playground does not type-check');
  process.exit(1);
}

console.log('npm test: the import graph (scripts/check-imports.mjs: no cycle, no upward import)');
if (run(process.execPath, [join('scripts', 'check-imports.mjs')]) !== 0) {
  console.error('npm test: scripts/check-imports.mjs found an import cycle or an upward import');
  process.exit(1);
}

console.log('npm test: TSDoc on the public API (scripts/check-docs.mjs)');
if (run(process.execPath, [join('scripts', 'check-docs.mjs')]) !== 0) {
  console.error('npm test: scripts/check-docs.mjs found exported symbols or members without TSDoc');
  process.exit(1);
}

console.log('npm test: linting (eslint --max-warnings 0)');
if (run(process.execPath, [join('node_modules', 'eslint', 'bin', 'eslint.js'), '.', '--max-warnings', '0']) !== 0) {
  console.error('npm test: ESLint found problems');
  process.exit(1);
}

mkdirSync('test-output', { recursive: true });
const report = join('test-output', 'vitest.json');
const status = run(process.execPath, [
  join('node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests;
  // a file that fails to load counts as a failure even though none of its tests ran
  failed = r.numFailedTests || (r.numFailedTestSuites ?? 0);
  skipped = r.numPendingTests + (r.numTodoTests ?? 0);
} catch {
  failed = Math.max(failed, 1);
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(status !== 0 || failed > 0 || passed === 0 ? 1 : 0);
