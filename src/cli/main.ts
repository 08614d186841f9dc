// The command line: one file per command, each exporting register(program).
// Errors a user can fix (bad flags, missing files) print one line and exit with code 2.

import { Command, CommanderError } from 'commander';
import { HandgradError } from '../tensor.js';
import { register as registerGradcheck } from './gradcheck.js';
import { register as registerTrain } from './train.js';
import { register as registerEval } from './eval.js';
import { register as registerPredict } from './predict.js';
import { register as registerServe } from './serve.js';
import { register as registerExperiments } from './experiments.js';
import { register as registerDream } from './dream.js';

/** An error the user can fix: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('handgrad')
    .description('Neural networks with hand-written backward passes: train, check gradients, visualise.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerGradcheck(program);
  registerTrain(program);
  registerEval(program);
  registerPredict(program);
  registerServe(program);
  registerExperiments(program);
  registerDream(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message; help and version exit 0
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (e instanceof UsageError || e instanceof HandgradError) {
      console.error(`handgrad: ${e.message}`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}
