#!/usr/bin/env node
// The `handgrad` command. The CLI is compiled to dist/ by `npm run build` (run by `npm ci`
// through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('handgrad: the CLI is not built yet (dist/ is missing). Run `npm run build` in the package folder.');
  process.exit(2);
}
const { run, exitOnUncaught } = await import(main.href);
process.on('uncaughtException', exitOnUncaught);
process.on('unhandledRejection', exitOnUncaught);
await run(process.argv);
