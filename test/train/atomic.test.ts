import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { removeStaleTemporaries, writeFileAtomic } from '../../src/io/atomic-node.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'hg-atomic-'));

describe('writeFileAtomic', () => {
  it('writes bytes and strings and leaves no temporary file', () => {
    const dir = tmp();
    writeFileAtomic(join(dir, 'a.bin'), new Uint8Array([1, 2, 3]));
    writeFileAtomic(join(dir, 'b.txt'), 'héllo');
    writeFileAtomic(join(dir, 'b.txt'), 'second');
    expect([...readFileSync(join(dir, 'a.bin'))]).toEqual([1, 2, 3]);
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('second');
    expect(readdirSync(dir).sort()).toEqual(['a.bin', 'b.txt']);
  });

  it('a failure in the middle of the write leaves the previous file intact', () => {
    const dir = tmp();
    const path = join(dir, 'checkpoint.json');
    writeFileSync(path, '{"epoch": 1}');
    function* chunks(): Generator<Uint8Array> {
      yield new TextEncoder().encode('{"epoch": 2, "weights": [');
      yield new Uint8Array(1 << 20);
      throw new Error('serialiser failed half-way');
    }
    expect(() => writeFileAtomic(path, chunks())).toThrow('serialiser failed half-way');
    expect(readFileSync(path, 'utf8')).toBe('{"epoch": 1}');
    expect(readdirSync(dir)).toEqual(['checkpoint.json']);
  });

  it('keeps the file it replaces under `previous`, and removes temporaries left by killed writes', () => {
    const dir = tmp();
    const path = join(dir, 'c.bin');
    writeFileAtomic(path, new Uint8Array([1]), { previous: join(dir, 'c.prev') });
    expect(readdirSync(dir)).toEqual(['c.bin']);
    writeFileAtomic(path, new Uint8Array([2]), { previous: join(dir, 'c.prev') });
    writeFileAtomic(path, new Uint8Array([3]), { previous: join(dir, 'c.prev') });
    expect([...readFileSync(path)]).toEqual([3]);
    expect([...readFileSync(join(dir, 'c.prev'))]).toEqual([2]);
    writeFileSync(join(dir, '.c.bin.999999.0.tmp'), 'half');
    writeFileSync(join(dir, '.hidden'), 'kept');
    expect(removeStaleTemporaries(dir)).toEqual(['.c.bin.999999.0.tmp']);
    expect(readdirSync(dir).sort()).toEqual(['.hidden', 'c.bin', 'c.prev']);
  });

  it('a failure to write at all (missing directory) throws and creates nothing', () => {
    const dir = tmp();
    expect(() => writeFileAtomic(join(dir, 'nope', 'x.json'), '{}')).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a process killed while writing leaves either the old file or the whole new one', async () => {
    const dir = tmp();
    const path = join(dir, 'model.safetensors');
    const old = new Uint8Array(1000).fill(7);
    writeFileSync(path, old);
    const size = 64 << 20;
    // A child writes 64 MiB of 0x2a in 1 MiB chunks and reports each chunk; it is killed after a few.
    // The child runs the real module, compiled from TypeScript (it imports only node: modules).
    const source = readFileSync(join(import.meta.dirname, '../../src/io/atomic-node.ts'), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const compiled = join(tmp(), 'atomic-node.mjs');
    writeFileSync(compiled, js);
    const mod = pathToFileURL(compiled).href;
    const script = `
      const { writeFileAtomic } = await import(${JSON.stringify(mod)});
      function* chunks() { for (let i = 0; i < ${size >> 20}; i++) { process.stdout.write('.'); yield new Uint8Array(1 << 20).fill(42); } }
      writeFileAtomic(${JSON.stringify(path)}, chunks());
      process.stdout.write('done');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.length >= 3 && child.exitCode === null) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    expect(err).toBe('');
    expect(out.length).toBeGreaterThanOrEqual(3);
    const now = readFileSync(path);
    if (out.endsWith('done')) {
      expect(now.length).toBe(size);
    } else {
      expect([...now]).toEqual([...old]);
    }
  });
});
