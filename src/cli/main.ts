// The command line: one file per command, each exporting register(program); this file only
// assembles them and is the one place a failure is printed (errors.ts says how: one line, exit
// code 2 for the command line, 1 for the run).

import { Command, CommanderError } from 'commander';
import { endWithParent } from '../node.js';
import { releaseBackend } from './common.js';
import { failure } from './errors.js';
import { register as registerGradcheck } from './gradcheck.js';
import { register as registerTrain } from './train.js';
import { register as registerEval } from './eval.js';
import { register as registerPredict } from './predict.js';
import { register as registerServe } from './serve.js';
import { register as registerExperiments } from './experiments.js';
import { register as registerDream } from './dream.js';
import { register as registerSummary } from './summary.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('handgrad')
    .description('Neural networks with hand-written backward passes: train, check gradients, visualise.')
    .exitOverride()
    // a command's options end where its subcommand begins (`experiments --out A` vs `experiments report --out B`)
    .enablePositionalOptions()
    // commander's own refusals (an unknown flag, a missing value) are one line like every failure
    .configureOutput({ outputError: (text, write) => write(`handgrad: ${text.replace(/^error: /, '').trim()} (run with --help for usage)\n`) });
  registerGradcheck(program);
  registerTrain(program);
  registerEval(program);
  registerPredict(program);
  registerServe(program);
  registerExperiments(program);
  registerDream(program);
  registerSummary(program);
  return program;
}

/** Runs the command line `argv` (process.argv's layout); sets process.exitCode on failure. */
export async function run(argv: string[]): Promise<void> {
  // a `handgrad train` started by `handgrad experiments` ends with it
  endWithParent();
  const program = buildProgram();
  let command = '';
  program.hook('preAction', (_, action) => {
    // a subcommand is named with its command: "experiments report"
    command = action.parent && action.parent !== program ? `${action.parent.name()} ${action.name()}` : action.name();
  });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message; help and version exit 0
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (process.env.HANDGRAD_DEBUG === '1') console.error(e);
    const { line, code } = failure(e, command);
    console.error(line);
    process.exitCode = code;
  } finally {
    await releaseBackend().catch(() => undefined);
  }
}

/** For errors no command caught (an 'error' event nobody listened to): the same one line, then exit. */
export function exitOnUncaught(e: unknown): never {
  if (process.env.HANDGRAD_DEBUG === '1') console.error(e);
  const { line, code } = failure(e, '');
  console.error(line);
  process.exit(code);
}
