// The one error path of the command line. Every failure of every command ends as one line on
// stderr and an exit code: 2 when the command line must change (a flag's value, a file it names,
// an output folder that cannot be used), 1 when the run itself failed (a full or read-only disk,
// a diverged training, a bug), 128 + n after signal n. Library errors name the file or option
// that was wrong; only here do they become flag names.

import { HandgradError, training } from '../index.js';
import { GridStoppedError } from '../node.js';

/** A failure the user fixes by changing the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure of the run itself, already phrased: printed as one line after the command's name, exit code 1. */
export class RunFailure extends Error {
  override name = 'RunFailure';
}

/**
 * A file-system error while writing into `folder`, said with the file it concerns (or the
 * folder, where the system does not name one: a write to an open file); other errors unchanged.
 */
export function writingInto(folder: string, e: unknown): unknown {
  if (!isSystemError(e)) return e;
  return new RunFailure(`${e.path !== undefined ? userPath(e.path) : folder}: ${systemWords(e)}`);
}

/** An error of the operating system (fs, child processes): it carries a code such as 'EACCES'. */
interface SystemError extends Error {
  code: string;
  syscall?: string;
  path?: string;
}

function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as Partial<SystemError>).code === 'string' && /^E[A-Z0-9]+$/.test((e as SystemError).code);
}

const SYSTEM_WORDS: Record<string, string> = {
  EACCES: 'permission denied', EPERM: 'operation not permitted', ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system', EISDIR: 'is a directory', ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'no such file or directory', EEXIST: 'already exists', EMFILE: 'too many open files', EIO: 'input/output error',
  ENAMETOOLONG: 'name too long', ELOOP: 'too many symbolic links', EBUSY: 'resource busy', ENXIO: 'no such device',
};

/** The file a temporary name stands for: atomic writes go to ".<name>.<pid>.<n>.tmp" beside it. */
function userPath(path: string): string {
  return path.replace(/(^|[\\/])\.([^\\/]+)\.\d+\.\d+\.tmp$/, '$1$2');
}

/** "no space left on device (ENOSPC)": what a system error means. */
function systemWords(e: SystemError): string {
  const what = SYSTEM_WORDS[e.code] ?? e.message.replace(/^E[A-Z0-9]+: /, '').replace(/, \w+ '.*'$/, '');
  return `${what} (${e.code})`;
}

/** "runs/x/config.json: no space left on device (ENOSPC)": a system error as the user needs it. */
function systemErrorLine(e: SystemError): string {
  return `${e.path !== undefined ? `${userPath(e.path)}: ` : ''}${systemWords(e)}`;
}

/** What went wrong, in a few words: "<path>: permission denied (EACCES)", or the error's message; `withPath` false leaves the path out. */
export function reason(e: unknown, withPath = true): string {
  if (isSystemError(e)) return withPath ? systemErrorLine(e) : systemWords(e);
  return oneLine(e instanceof Error ? e.message : String(e));
}

/** One line, whatever the message held. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ').trim();
}

/** Runs `fn`; what goes wrong in the library or the file system is reported against `flag` (exit code 2). */
export function asFlag<T>(flag: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw flagError(flag, e);
  }
}

/** asFlag for asynchronous work. */
export async function asFlagAsync<T>(flag: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw flagError(flag, e);
  }
}

function flagError(flag: string, e: unknown): unknown {
  if (e instanceof UsageError) return e;
  if (e instanceof HandgradError) return new UsageError(`${flag}: ${e.message}`);
  if (isSystemError(e)) return new UsageError(`${flag}: ${systemErrorLine(e)}`);
  return e;
}

/** The line to print and the exit code of a failure. */
export function failure(e: unknown, command: string): { line: string; code: number } {
  const head = command ? `handgrad ${command}` : 'handgrad';
  if (e instanceof UsageError) return { line: `handgrad: ${oneLine(e.message)}`, code: 2 };
  if (e instanceof RunFailure) return { line: `${head}: ${oneLine(e.message)}`, code: 1 };
  if (e instanceof GridStoppedError) return { line: `${head}: ${e.message}`, code: e.signal === 'SIGTERM' ? 143 : 130 };
  if (e instanceof training.TrainingDivergedError) {
    const { loss, epoch, batch, lr, suggestedLr } = e;
    return { line: `${head}: training diverged: the loss became ${loss} at epoch ${epoch}, batch ${batch + 1}; try a smaller learning rate, e.g. --lr ${suggestedLr} (now ${lr}) (the last good checkpoint was kept)`, code: 1 };
  }
  if (e instanceof HandgradError) return { line: `handgrad: ${oneLine(e.message)}`, code: 2 };
  if (isSystemError(e)) return { line: `${head}: ${systemErrorLine(e)}`, code: 1 };
  if (e instanceof RangeError) return { line: `${head}: out of memory or a size too large (${oneLine(e.message)})`, code: 1 };
  const message = e instanceof Error ? e.message : String(e);
  return { line: `${head}: internal error: ${oneLine(message)} (HANDGRAD_DEBUG=1 prints the stack)`, code: 1 };
}
