// `handgrad gradcheck`: every layer and loss against central finite differences in float64.
// Prints a table (layer, tensor, max relative error, pass/fail); exit code 1 on any failure.

import type { Command } from 'commander';
import { runLayerGradchecks, runLossGradchecks } from '../node.js';
import { parseNumber, SEED_RULE } from './flags.js';

export function register(program: Command): void {
  program
    .command('gradcheck')
    .description('check every layer and loss backward against central finite differences (float64)')
    .option('--seed <n>', 'seed of the random inputs and weights', '0')
    .option('--json', 'print the results as JSON')
    .action((opts: { seed: string; json?: boolean }) => {
      const seed = parseNumber('--seed', opts.seed, SEED_RULE);
      const results = [...runLayerGradchecks(seed), ...runLossGradchecks(seed)];
      if (opts.json) {
        console.log(JSON.stringify(results, null, 2));
      } else {
        const rows = results.flatMap((r) => r.entries.map((e) => [r.layer, e.tensor, e.maxRelativeError.toExponential(2), e.passed ? 'pass' : 'FAIL']));
        const head = ['layer', 'tensor', 'max rel. error', 'result'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
        console.log(line(head));
        console.log(widths.map((w) => '-'.repeat(w)).join('  '));
        for (const r of rows) console.log(line(r));
        const failed = results.filter((r) => !r.passed).length;
        console.log(`\n${results.length - failed} of ${results.length} layers and losses pass (tolerance 1e-6, central differences, ε = 1e-5, float64)`);
      }
      if (results.some((r) => !r.passed)) process.exitCode = 1;
    });
}
