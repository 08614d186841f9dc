#!/usr/bin/env node
// Checks the import graph of the TypeScript sources: no import cycle, and no import that leaves a
// floor for a higher one (FLOORS below). Type-only imports count: they are arrows too.
//
//   node scripts/check-imports.mjs [dir or file …]    default: src web/src bench
//
// Prints every cycle (as a path of files) and every forbidden import (file:line), and exits 1 if
// there is any. Relative specifiers are resolved as TypeScript's NodeNext does ('./x.js' is
// ./x.ts); 'handgrad' (the playground's alias of the public API) is src/index.ts; other bare
// specifiers are packages and are not followed.

import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Floors: a file under `dir` may import only files under one of `may`. The kernels know nothing
 * above them: the backend registry (src/backend.ts) imports them, never the other way round.
 */
const FLOORS = [
  { dir: 'src/kernels/', may: ['src/kernels/', 'src/tensor.ts'] },
];

const EXTENSIONS = ['.ts', '.mts', '.tsx'];

function sources(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  if (statSync(dir).isFile()) return [dir];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (EXTENSIONS.some((e) => name.endsWith(e)) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// import … from 'x' · export … from 'x' · import 'x' · import('x') (static string only)
const IMPORT = /(?:^|[^\w.$])(?:import|export)\s[^'"`;]*?\sfrom\s*(['"])([^'"]+)\1|(?:^|[^\w.$])import\s*(['"])([^'"]+)\3|(?:^|[^\w.$])import\s*\(\s*(['"])([^'"]+)\5\s*\)/g;

/** The specifiers a file imports, with their line numbers (comments and template strings skipped). */
function importsOf(text) {
  // blank out comments (keeping line breaks) so that examples in comments are not imports
  const code = text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, '');
  const found = [];
  for (const m of code.matchAll(IMPORT)) {
    const spec = m[2] ?? m[4] ?? m[6];
    const line = code.slice(0, m.index).split('\n').length;
    found.push({ spec, line });
  }
  return found;
}

function resolveSpec(from, spec) {
  if (spec === 'handgrad') return join(root, 'src', 'index.ts');
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

const dirs = (process.argv.slice(2).length ? process.argv.slice(2) : ['src', 'web/src', 'bench']).map((d) => resolve(root, d));
const files = dirs.flatMap(sources);
const graph = new Map();
const problems = [];
for (const f of files) {
  const edges = [];
  for (const { spec, line } of importsOf(readFileSync(f, 'utf8'))) {
    const to = resolveSpec(f, spec);
    if (!to) {
      if (spec.startsWith('.')) problems.push(`${relative(root, f)}:${line}: cannot resolve '${spec}'`);
      continue;
    }
    edges.push(to);
    const rf = relative(root, f), rt = relative(root, to);
    for (const floor of FLOORS) {
      if (rf.startsWith(floor.dir) && !floor.may.some((m) => rt.startsWith(m))) {
        problems.push(`${rf}:${line}: imports ${rt}, above its floor (${floor.dir} may import only ${floor.may.join(', ')})`);
      }
    }
  }
  graph.set(f, edges);
}

// Tarjan's strongly connected components: a component of more than one file (or a file that
// imports itself) is a cycle.
let index = 0;
const idx = new Map(), low = new Map(), onStack = new Set(), stack = [], cycles = [];
function visit(v) {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!idx.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(comp);
  }
}
for (const f of files) if (!idx.has(f)) visit(f);

/** One cycle through the component, as a path a → b → … → a. */
function cyclePath(comp) {
  const inComp = new Set(comp);
  const start = comp[comp.length - 1];
  const path = [start];
  const seen = new Set([start]);
  let v = start;
  for (;;) {
    const next = (graph.get(v) ?? []).find((w) => inComp.has(w) && (w === start || !seen.has(w)));
    if (!next || next === start) break;
    path.push(next);
    seen.add(next);
    v = next;
  }
  return [...path, start].map((p) => relative(root, p)).join(' → ');
}

for (const c of cycles) problems.push(`import cycle of ${c.length} file${c.length === 1 ? '' : 's'}: ${cyclePath(c)}`);
const edges = [...graph.values()].reduce((a, e) => a + e.length, 0);
if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`check-imports: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${files.length} files (${edges} imports)`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} files, ${edges} imports, no cycle, no import above its floor`);
