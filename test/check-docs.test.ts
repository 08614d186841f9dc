// scripts/check-docs.mjs on a small project: it names every undocumented export and member
// (through `export * as ns`, inherited from an unexported base, overloads counted once) and
// passes only when each has TSDoc.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'handgrad-check-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function project(index: string, ns: string): { status: number | null; out: string } {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', module: 'nodenext' } }));
  writeFileSync(join(dir, 'src', 'index.ts'), index);
  writeFileSync(join(dir, 'src', 'ns.ts'), ns);
  const r = spawnSync(process.execPath, ['scripts/check-docs.mjs', '--project', dir, '--entry', 'src/index.ts'], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

const NS_BARE = `
abstract class Base {
  width = 1;
  /** Documented in the base. */
  abstract run(): void;
}
export class Leaf extends Base {
  run(): void {}
  private hidden = 0;
}
`;

const INDEX_BARE = `
export * as ns from './ns.js';
export function f(x: number): number;
export function f(x: string): string;
export function f(x: unknown): unknown { return x; }
/** Documented. */
export interface Options {
  size?: number;
  /** Documented. */
  name?: string;
}
`;

describe('scripts/check-docs.mjs', () => {
  it('names each undocumented export and member, and fails', () => {
    const { status, out } = project(INDEX_BARE, NS_BARE);
    expect(status).toBe(1);
    const undocumented = out.split('\n').filter((l) => l.startsWith('undocumented:')).map((l) => l.split(' ').pop());
    // run() inherits its base's comment; the private field is not public; f counts once
    expect(undocumented.sort()).toEqual(['Options.size', 'f', 'ns.Leaf', 'ns.Leaf.width'].sort());
    expect(out).toContain('4 of 8 exported symbols and members documented'); // f, Options(.size, .name), Leaf(.width, .run), Base's run
  });

  it('passes when every one has TSDoc', () => {
    const index = INDEX_BARE.replace('export function f(x: number)', '/** Identity. */\nexport function f(x: number)').replace('  size?: number;', '  /** Size. */\n  size?: number;');
    const ns = NS_BARE.replace('  width = 1;', '  /** Width. */\n  width = 1;').replace('export class Leaf', '/** A leaf. */\nexport class Leaf');
    const { status, out } = project(index, ns);
    expect(out).toContain('8 of 8 exported symbols and members documented (100.0%)');
    expect(status).toBe(0);
  });
});
