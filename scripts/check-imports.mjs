#!/usr/bin/env node
// The import graph of src/, web/src/ and bench/: no cycle, and no arrow from a lower floor to a
// higher one. `node scripts/check-imports.mjs` prints every cycle and every upward import and
// exits 1 if there is any (part of `npm test`); `--graph` prints the edges.
//
// Floors, lowest first (a module may import its own floor and the floors below it):
//   0  tensor, tensor-format, random, image,  the data types everything shares, registry lookups,
//      errors, lookup, numbers               the rules of numeric options
//   1  kernels/                              the kernel table, the reference and fast kernels
//   2  backend                               the backend registry: creates and selects backends
//   3  parameter                             parameters and their gradients (lazy zeroing)
//   4  layers/, optim/                       layers over kernels; optimisers over parameters
//   5  models/, check/, io/, data/, plot/    builders, gradcheck, files, readers, rendering
//   6  train/, dream/, theory/, report/     training, gradient descent on the input, theory, reports
//   7  nn, optim, nyu, cmu, index, node     the public entry points
//   8  cli/                                  the command line (over the public entry points)
//   9  web/, bench/                          clients of the library
// Within a floor, imports may go either way but never round in a circle, and never across the
// walls of NO_CROSSING: optimisers see parameters, not layers; files are read and written without
// knowing how they are plotted; training records runs and leaves rendering to its callers.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCAN = ['src', 'web/src', 'bench'];
const FLOORS = [
  [0, /^src\/(tensor|tensor-format|random|image|errors|lookup|numbers)\.ts$/],
  [1, /^src\/kernels\//],
  [2, /^src\/backend(-node)?\.ts$/],
  [3, /^src\/parameter\.ts$/],
  [4, /^src\/(layers|optim)\//],
  [5, /^src\/(models|check|io|data|plot)\//],
  [6, /^src\/(train|dream|theory|report)\//],
  [7, /^src\/[^/]+\.ts$/],
  [8, /^src\/cli\//],
  [9, /^(web|bench)\//],
];

const NO_CROSSING = [
  [/^src\/optim\//, /^src\/layers\//],
  [/^src\/io\//, /^src\/plot\//],
  [/^src\/train\//, /^src\/plot\//],
];

function floorOf(file) {
  for (const [floor, re] of FLOORS) if (re.test(file)) return floor;
  return null;
}

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'results' || name === 'generated') continue;
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const files = SCAN.flatMap((d) => walk(join(root, d), [])).map((p) => relative(root, p));
const known = new Set(files);
const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Resolves a relative specifier ('./x.js' → 'x.ts'); null for packages and unknown files. */
function resolveSpec(from, spec) {
  if (spec === 'handgrad') return 'src/index.ts';
  if (!spec.startsWith('.')) return null;
  const base = relative(root, resolve(root, dirname(from), spec));
  for (const c of [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (known.has(c)) return c;
  }
  return null;
}

const edges = new Map();
for (const f of files) {
  const text = readFileSync(join(root, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out = new Set();
  for (const m of text.matchAll(IMPORT)) {
    const to = resolveSpec(f, m[1] ?? m[2]);
    if (to && to !== f) out.add(to);
  }
  edges.set(f, [...out]);
}

if (process.argv.includes('--graph')) {
  for (const [f, to] of edges) for (const t of to) console.log(`${f} -> ${t}`);
}

// Strongly connected components (Tarjan): every component with more than one file is a cycle.
let index = 0;
const idx = new Map(), low = new Map(), onStack = new Set(), stack = [], cycles = [];
function strong(v) {
  idx.set(v, index); low.set(v, index); index++;
  stack.push(v); onStack.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
    if (comp.length > 1) cycles.push(comp.sort());
  }
}
for (const f of files) if (!idx.has(f)) strong(f);

const upward = [], unplaced = [];
for (const [f, to] of edges) {
  const a = floorOf(f);
  if (a === null) { unplaced.push(f); continue; }
  for (const t of to) {
    const b = floorOf(t);
    if (b !== null && b > a) upward.push(`${f} (floor ${a}) imports ${t} (floor ${b})`);
    for (const [from, to] of NO_CROSSING) if (from.test(f) && to.test(t)) upward.push(`${f} imports ${t} across a wall`);
  }
}

for (const c of cycles) console.log(`import cycle of ${c.length} files: ${c.join(' → ')}`);
for (const u of upward) console.log(`upward import: ${u}`);
for (const u of unplaced) console.log(`no floor for ${u}: add it to FLOORS in scripts/check-imports.mjs`);
const edgeCount = [...edges.values()].reduce((s, t) => s + t.length, 0);
console.log(`check-imports: ${files.length} files, ${edgeCount} imports, ${cycles.length} cycles, ${upward.length} upward imports`);
process.exit(cycles.length + upward.length + unplaced.length > 0 ? 1 : 0);
