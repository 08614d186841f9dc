// Output folders (--out): what a failed command created is removed, and only that — a parent it
// created stays while something else lives in it (two commands writing under one fresh runs/).

import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareOutputFolder } from '../../src/cli/output.js';

const own = { isOwn: (): boolean => false, what: 'run' };

describe('prepareOutputFolder', () => {
  it('creates missing parents, and discard removes them all when nothing else is there', () => {
    const root = mkdtempSync(join(tmpdir(), 'handgrad-out-'));
    const out = prepareOutputFolder('--out', join(root, 'runs', 'deep', 'a'), own);
    expect(out.fresh).toBe(true);
    writeFileSync(join(out.path, 'config.json'), '{}');
    out.discard();
    expect(existsSync(join(root, 'runs'))).toBe(false);
    expect(existsSync(root)).toBe(true);
  });

  it('discard keeps a created parent that another command writes into meanwhile', () => {
    const root = mkdtempSync(join(tmpdir(), 'handgrad-out-'));
    const a = prepareOutputFolder('--out', join(root, 'runs', 'a'), own);
    const b = prepareOutputFolder('--out', join(root, 'runs', 'b'), own);
    writeFileSync(join(b.path, 'config.json'), '{}');
    a.discard();
    expect(existsSync(join(root, 'runs', 'a'))).toBe(false);
    expect(existsSync(join(root, 'runs', 'b', 'config.json'))).toBe(true);
  });

  it('uses a parent that exists already, and refuses a path under a file', () => {
    const root = mkdtempSync(join(tmpdir(), 'handgrad-out-'));
    mkdirSync(join(root, 'runs'));
    const a = prepareOutputFolder('--out', join(root, 'runs', 'a'), own);
    a.discard();
    expect(existsSync(join(root, 'runs'))).toBe(true);
    writeFileSync(join(root, 'file'), 'x');
    expect(() => prepareOutputFolder('--out', join(root, 'file', 'a'), own)).toThrow(/is not a directory/);
  });
});
