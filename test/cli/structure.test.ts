// The command line's shape: no import cycle and no upward import in or around it (the floors of
// scripts/check-imports.mjs), the library reached only through its two entries (src/index.ts and
// src/node.ts), and every command file short enough to read as parse → call the library → print.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const cliDir = join(root, 'src', 'cli');
const cliFiles = readdirSync(cliDir).filter((f) => f.endsWith('.ts'));

describe('the CLI', () => {
  it('is in no import cycle, and nothing it or the run writer imports points up', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'check-imports.mjs')], { encoding: 'utf8' });
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('import cycle'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('no floor'))).toEqual([]);
    const mine = /src\/(cli|train|report|dream|plot|node\.ts|numbers\.ts)/;
    expect(lines.filter((l) => l.startsWith('upward import') && mine.test(l))).toEqual([]);
    expect(lines.at(-2) ?? lines.at(-1)).toMatch(/check-imports: \d+ files, \d+ imports, 0 cycles/);
  });

  it('imports the library only through src/index.ts and src/node.ts', () => {
    const allowed = /^(\.\.\/index\.js|\.\.\/node\.js|\.\/[a-z-]+\.js|node:[a-z_/]+|commander|cli-progress)$/;
    for (const f of cliFiles) {
      const text = readFileSync(join(cliDir, f), 'utf8');
      const specs = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
      expect(specs.length, f).toBeGreaterThan(0);
      for (const s of specs) expect(s, `${f} imports ${s}`).toMatch(allowed);
    }
  });

  it('keeps every command file under 250 lines', () => {
    for (const f of cliFiles) {
      const lines = readFileSync(join(cliDir, f), 'utf8').split('\n').length;
      expect(lines, f).toBeLessThanOrEqual(250);
    }
  });
});
