// The backend a program gets when it selects none. In Node that is the wasm backend with the
// machine's threads (at most 4), brought up by the first kernel call: the program trains on it
// without calling anything, gets the same bits as after an explicit `await initWasm({ threads })`,
// and still exits on its own. HANDGRAD_BACKEND chooses another default. (Browsers: browser.test.ts.)
//
// The programs run in child processes: this suite itself runs with HANDGRAD_BACKEND=ref
// (vitest.config.ts), and a process resolves its default once.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { backend, setBackend } from '../../src/backend.js';

const root = join(import.meta.dirname, '..', '..');

// argv[2]: threads for an explicit initWasm, or absent (nothing selected).
const PROGRAM = `
import { backend, initWasm, nn, optim, Random, Tensor } from ${JSON.stringify(join(root, 'src/index.ts'))};
import { createHash } from 'node:crypto';
if (process.argv[2]) await initWasm({ threads: Number(process.argv[2]) });
const rng = new Random(1);
const model = nn.mlp(784, [64], 10, { rng });
const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
const loss = new nn.CrossEntropyLoss();
const x = new Tensor(new Float32Array(64 * 784), [64, 784]);
rng.fillNormal(x.data);
const labels = Array.from({ length: 64 }, (_, i) => i % 10);
for (let s = 0; s < 30; s++) {
  const logits = model.forward(x);
  model.zeroGrad();
  loss.forward(logits, labels);
  model.backward(loss.backward());
  opt.step();
}
const h = createHash('sha256');
for (const p of model.parameters()) h.update(new Uint8Array(p.value.data.buffer, p.value.data.byteOffset, p.value.data.byteLength));
console.log(JSON.stringify({ describe: backend().describe(), name: backend().name, hash: h.digest('hex') }));
`;

describe('the default backend (nothing selected)', () => {
  let dir: string;
  let program: string;
  const threads = Math.max(1, Math.min(4, availableParallelism()));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'handgrad-auto-'));
    writeFileSync(join(dir, 'main.ts'), PROGRAM);
    program = join(dir, 'main.mjs');
    await build({ entryPoints: [join(dir, 'main.ts')], bundle: true, platform: 'node', format: 'esm', outfile: program, logLevel: 'error' });
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function run(args: string[], backendEnv?: string): { describe: string; name: string; hash: string } {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.HANDGRAD_BACKEND;
    if (backendEnv !== undefined) env.HANDGRAD_BACKEND = backendEnv;
    const r = spawnSync(process.execPath, [program, ...args], { encoding: 'utf8', env, timeout: 120_000 });
    expect(r.error, 'the program did not exit (workers kept it alive?)').toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { describe: string; name: string; hash: string };
  }

  test(`in Node it is wasm on the machine's threads (${threads}), and the program exits on its own`, () => {
    const r = run([]);
    expect(r.name).toBe('wasm');
    expect(r.describe).toMatch(new RegExp(`^wasm \\(simd128(\\+relaxed)?, ${threads} threads?`));
  });

  test('it trains to the same bits as an explicit initWasm with those threads', () => {
    const auto = run([]);
    const explicit = run([String(threads)]);
    expect(explicit.name).toBe('wasm');
    expect(auto.hash).toBe(explicit.hash);
  });

  test('HANDGRAD_BACKEND=ref keeps the reference kernels; an unknown value is an error naming the variable', () => {
    const r = run([], 'ref');
    expect(r.name).toBe('ref');
    expect(r.describe).toMatch(/^ref /);
    const env: NodeJS.ProcessEnv = { ...process.env, HANDGRAD_BACKEND: 'gpu' };
    const bad = spawnSync(process.execPath, [program], { encoding: 'utf8', env, timeout: 120_000 });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/HANDGRAD_BACKEND: expected one of auto, ref, wasm, webgpu, got 'gpu'/);
  });
});

describe('selecting explicitly', () => {
  afterAll(() => {
    setBackend('ref');
  });

  test("setBackend('auto') resolves on the calling thread (wasm in Node); setBackend('ref') pins the reference", () => {
    expect(setBackend('auto').name).toBe('wasm');
    expect(backend().name).toBe('wasm');
    expect(setBackend('ref').name).toBe('ref');
    expect(backend().name).toBe('ref');
  });

  test('an unknown name is an error that lists the choices', () => {
    expect(() => setBackend('gpu' as 'ref')).toThrow(/setBackend: unknown backend 'gpu'; expected one of auto, ref, wasm, webgpu/);
  });
});
