// How a Node process that used the webgpu backend ends: with work still queued on the device
// worker, a script that simply returns, one that calls process.exit(), and one that shuts the
// backend down first all exit with code 0 and print nothing from Dawn. (Cut off inside a call
// to Dawn, a worker thread aborts the whole process: FATAL ERROR … napi_throw, exit code 134.)
// Each case runs in its own process on the built package (dist/, which `npm test` builds).
// Skipped, with the reason printed, where no adapter exists (test/backends.ts probes once).

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WEBGPU_SKIPPED, webgpuUnderTest } from '../backends.js';

const gpu = webgpuUnderTest();
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const index = pathToFileURL(join(root, 'dist', 'src', 'index.js')).href;

/** A script that queues 20 convolutions' worth of device work and reads none of it back, then `ending`. */
function script(ending: string): string {
  return `
import { initBackend, nn, Tensor, backend } from ${JSON.stringify(index)};
const b = await initBackend('webgpu');
const model = new nn.Sequential(new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.Flatten(), new nn.Linear(8 * 784, 10));
const x = new Tensor(backend().allocate('float32', 32 * 784), [32, 1, 28, 28]);
for (let i = 0; i < 20; i++) model.forward(x);
${ending}
`;
}

describe.skipIf(!gpu)(`webgpu: a process ends cleanly with device work queued [${gpu?.describe() ?? `skipped: ${WEBGPU_SKIPPED}`}]`, () => {
  it.each([
    ['returns', ''],
    ['calls process.exit(0)', 'process.exit(0);'],
    ['shuts the backend down and returns', 'b.shutdown();'],
    ['shuts the backend down and calls process.exit(0)', 'b.shutdown(); process.exit(0);'],
  ])('a script that %s exits with 0 (3 runs)', (_, ending) => {
    for (let run = 0; run < 3; run++) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script(ending)], { encoding: 'utf8', timeout: 120_000, env: process.env });
      const said = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l && !/XDG_RUNTIME_DIR/.test(l)).join('\n');
      expect({ status: r.status, signal: r.signal, said }, `run ${run + 1}`).toEqual({ status: 0, signal: null, said: '' });
    }
  }, 300_000);
});
