// The README is a tested script: every fenced block of README.md is read at test time and run,
// in order, so the README cannot drift from the code.
//
// - TypeScript/JavaScript blocks (the library tour) are type-checked together against the built
//   package's types (strict), then each runs in its own Node process, importing 'handgrad' by the
//   package's own name (its `exports`).
// - Shell blocks run command by command in one temporary folder, so a command sees the files the
//   ones before it wrote (`train … --out runs/cnn` before `dream --model runs/cnn`). `npx handgrad`
//   runs this checkout's bin/handgrad.js; `node <file>` runs from the repository root. The one
//   rewrite, to keep `npm test` short: `--epochs N` becomes `--epochs 1` (and `train` and
//   `experiments` without it get `--epochs 1`; `experiments report` trains nothing), except the
//   bare `npx handgrad train`, which runs as written and must reach its 93%. `serve` gets
//   `--port 0` and the playground built into the
//   temporary folder (`--dir`), and is stopped once its page answers.
// - Every command must exit 0 (`experiments report` of the tour's one shard: 1, naming the
//   missing runs); each subcommand's key output is checked (a train prints its test
//   accuracy and writes its --out folder, dream writes images, …).
// - A block that must not run is marked in the README by `<!-- not-run: <reason> -->` on the line
//   before its fence. Any other command than `npx handgrad …` and `node …`, or an unmarked block
//   in a language the test does not know, fails the test with its README line.
//
// The commands run with the user's defaults: HANDGRAD_BACKEND (ref for the rest of the suite) is
// removed from their environment.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markdownBlocks, shellCommands, type ShellCommand } from './blocks.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = markdownBlocks(README);
const CODE = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);
const SHELL = new Set(['sh', 'bash', 'shell']);

const codeBlocks = blocks.filter((b) => b.notRun === null && CODE.has(b.lang));
// a block the test cannot read (shell syntax, an unclosed quote) is reported by the first test
const unreadable: string[] = [];
const commands: ShellCommand[] = blocks.filter((b) => b.notRun === null && SHELL.has(b.lang)).flatMap((b) => {
  try {
    return shellCommands(b);
  } catch (e) {
    unreadable.push(`${e instanceof Error ? e.message : String(e)}; mark the block <!-- not-run: <reason> --> if it cannot run here`);
    return [];
  }
});

let work: string;
let codeDir: string;

/** The environment of a user's shell: without the suite's HANDGRAD_BACKEND=ref and npm's variables. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'HANDGRAD_BACKEND') env[k] = v;
  return env;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'handgrad-readme-'));
  // inside the package, so that `import 'handgrad'` resolves through its own exports
  mkdirSync(join(ROOT, 'test-output'), { recursive: true });
  codeDir = mkdtempSync(join(ROOT, 'test-output', 'readme-'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  if (codeDir) rmSync(codeDir, { recursive: true, force: true });
});

describe('README.md', () => {
  it('has only blocks the test runs, or blocks marked not-run with a reason', () => {
    expect(unreadable).toEqual([]);
    const unknown = blocks.filter((b) => b.notRun === null && b.lang !== '' && !CODE.has(b.lang) && !SHELL.has(b.lang));
    expect(unknown.map((b) => `line ${b.line}: \`\`\`${b.lang}`)).toEqual([]);
    // an untagged block is text (a file tree); a command in one would escape the test
    const hidden = blocks.filter((b) => b.notRun === null && b.lang === '' && /^\s*(npx|npm|node)\s/m.test(b.code));
    expect(hidden.map((b) => `line ${b.line}: tag it \`\`\`sh or mark it <!-- not-run: … -->`)).toEqual([]);
    expect(codeBlocks.length).toBeGreaterThanOrEqual(2);
    expect(commands.filter((c) => c.argv[0] === 'npx').length).toBeGreaterThanOrEqual(10);
  });

  it("names the test command that CI runs (.ci/run runs exactly the set-up block's `npm test`)", () => {
    const setup = blocks.find((b) => /^Set-up/i.test(b.heading) && SHELL.has(b.lang));
    expect(setup, 'a shell block under the Set-up heading').toBeDefined();
    const readmeCommands = shellCommands(setup!).map((c) => c.text);
    expect(readmeCommands).toContain('npm test');
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ci.filter((l) => /^npm (test|run test)\b/.test(l))).toEqual(['npm test']);
  });
});

describe('the library tour', () => {
  it('type-checks against the package (strict)', () => {
    const files = codeBlocks.map((b, i) => {
      const file = join(codeDir, `block-${i}-line-${b.line}.mts`);
      writeFileSync(file, b.code);
      return file;
    });
    const program = ts.createProgram(files, {
      strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: ['node', '@webgpu/types'],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
      const block = d.file ? /line-(\d+)/.exec(d.file.fileName) : null;
      const line = block && where ? `README line ${Number(block[1]) + 1 + where.line}` : (d.file?.fileName ?? '');
      return `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(problems).toEqual([]);
  }, 120_000);

  for (const [i, b] of codeBlocks.entries()) {
    it(`runs the block at README line ${b.line} (${b.heading})`, () => {
      const js = ts.transpileModule(b.code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
      const file = join(codeDir, `run-${i}.mjs`);
      writeFileSync(file, js);
      const r = spawnSync(process.execPath, [file], { cwd: codeDir, env: userEnv(), encoding: 'utf8', timeout: 300_000 });
      expect(r.status, `README line ${b.line}:\n${r.stdout}\n${r.stderr}`).toBe(0);
    }, 320_000);
  }
});

/** The command as the test runs it: `npx handgrad` → bin/handgrad.js, epochs shortened. */
function rewrite(argv: string[]): string[] {
  const args = argv.slice(2);
  const sub = args[0];
  const bare = args.length === 1 && sub === 'train';
  const e = args.indexOf('--epochs');
  if (!bare && e >= 0) args[e + 1] = '1';
  else if (!bare && (sub === 'train' || (sub === 'experiments' && args[1] !== 'report'))) args.push('--epochs', '1');
  return args;
}

/** Starts `handgrad serve` on a free port with the playground built into the work folder; resolves with the page's HTML. */
async function serveOnce(args: string[]): Promise<{ url: string; html: string }> {
  const web = join(work, 'web-dist');
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--outDir', web, '--emptyOutDir', '--logLevel', 'error'], { cwd: ROOT, stdio: 'pipe' });
  const child = spawn(process.execPath, [join(ROOT, 'bin/handgrad.js'), ...args, '--port', '0', '--dir', web], { cwd: work, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((ok, fail) => {
      let seen = '';
      const timer = setTimeout(() => fail(new Error(`serve printed no URL in 60 s: ${seen}`)), 60_000);
      const onData = (b: Buffer): void => {
        seen += b.toString();
        const m = /(http:\/\/\S+)/.exec(seen);
        if (m) {
          clearTimeout(timer);
          ok(m[1]!);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => fail(new Error(`serve exited with ${code}: ${seen}`)));
    });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return { url, html: await res.text() };
  } finally {
    child.kill('SIGTERM');
  }
}

/** What each subcommand must have printed or written, beyond exit code 0. */
function checkOutput(args: string[], out: string): void {
  const sub = args[0];
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (sub === 'train') {
    expect(out).toMatch(/test accuracy \d+\.\d%/);
    if (args.length === 1) expect(out).toMatch(/target ≥ 93\.0% on the embedded MNIST: reached/);
    const dir = flag('--out');
    if (dir) for (const f of ['model.safetensors', 'history.csv', 'loss.png', 'accuracy.svg']) expect(existsSync(join(work, dir, f)), `${dir}/${f}`).toBe(true);
  } else if (sub === 'eval') {
    expect(out).toMatch(/loss \d+\.\d{4}, accuracy \d+\.\d{2}%/);
  } else if (sub === 'predict') {
    expect(out).toMatch(/^\s+\S.*\s\d+\.\d{2}%$/m);
  } else if (sub === 'experiments') {
    expect(out).toMatch(/runs complete/);
    expect(out).not.toMatch(/failed \(/);
  } else if (sub === 'dream') {
    const dir = flag('--out');
    expect(out).toMatch(/wrote \d+ images?/);
    if (dir) expect(readdirSync(join(work, dir)).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(10);
  } else if (sub === 'gradcheck') {
    expect(out).toMatch(/pass/);
    expect(out).not.toMatch(/FAIL/);
  }
}

describe('the command-line tour, in order, in one folder', () => {
  for (const c of commands) {
    it(`README line ${c.line}: ${c.text}`, async () => {
      if (c.argv[0] === 'npx' && c.argv[1] === 'handgrad') {
        const args = rewrite(c.argv);
        if (args[0] === 'serve') {
          const { html } = await serveOnce(args);
          expect(html).toContain('<title>handgrad playground');
          return;
        }
        const r = spawnSync(process.execPath, [join(ROOT, 'bin/handgrad.js'), ...args], { cwd: work, env: userEnv(), encoding: 'utf8', timeout: 900_000 });
        const out = `${r.stdout}${r.stderr}`;
        // `experiments report` over a grid the tour ran one shard of writes the report and exits 1,
        // naming the runs that are missing; every other command exits 0
        const partial = args[0] === 'experiments' && args[1] === 'report' && /^missing \(in none of the folders\): /m.test(out);
        expect(r.status, `handgrad ${args.join(' ')}:\n${out}`).toBe(partial ? 1 : 0);
        if (partial) expect(existsSync(join(work, args[2]!, 'report.md'))).toBe(true);
        checkOutput(args, out);
      } else if (c.argv[0] === 'node') {
        const r = spawnSync(process.execPath, c.argv.slice(1), { cwd: ROOT, env: userEnv(), encoding: 'utf8', timeout: 300_000 });
        expect(r.status, `${c.text}:\n${r.stdout}${r.stderr}`).toBe(0);
      } else {
        throw new Error(`README line ${c.line}: \`${c.text}\`: the README test runs \`npx handgrad …\` and \`node …\`; mark the block <!-- not-run: <reason> --> or teach test/readme/readme.test.ts to run it`);
      }
    }, 960_000);
  }
});
