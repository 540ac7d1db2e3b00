import type { IO } from '../io/io.js';
import { AlreadyDecidedError, AuthError, describeError, NotConnectedError, PermanentConnectionError, StoreError, TimeoutError, UsageError } from '../errors.js';
import { stripControlLines } from '../protocol/sanitize.js';
import { readTailLine } from '../commands/tail/tail-line.js';

/** The process exit codes (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  notConnected: 3,
  auth: 4,
  permanentConnection: 5,
  store: 6,
  alreadyDecided: 7,
  timeout: 124,
} as const;

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return ExitCode.usage;
  if (error instanceof AuthError) return ExitCode.auth;
  if (error instanceof TimeoutError) return ExitCode.timeout;
  if (error instanceof NotConnectedError) return ExitCode.notConnected;
  if (error instanceof PermanentConnectionError) return ExitCode.permanentConnection;
  if (error instanceof StoreError) return ExitCode.store;
  if (error instanceof AlreadyDecidedError) return ExitCode.alreadyDecided;
  return ExitCode.failure;
}

/**
 * Runs the CLI and returns the exit code. The only place that maps errors to
 * exit codes; nothing below it exits the process. A `tail` line that
 * readTailLine reads as commander would goes to tail's action without the
 * program (commander is not even loaded); every other line is the program's.
 */
export async function main(argv: readonly string[], io: IO): Promise<number> {
  const tail = readTailLine(argv);
  const program = tail === undefined ? await (await import('./program.js')).createProgram(io, argv) : undefined;
  try {
    if (tail !== undefined) {
      const { tailAction } = await import('../commands/tail/action.js');
      await tailAction(tail.urls, tail.flags, io);
    } else await program!.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    // Only the program throws commander's errors (and has loaded commander).
    const { CommanderError } = program === undefined ? { CommanderError: undefined } : await import('../commands/commander.js');
    if (CommanderError !== undefined && error instanceof CommanderError) {
      // commander has already written its message (through io.stderr).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
      // `hangar-events` with no command prints the usage on stderr (help({error: true})): a usage error.
      if (error.code === 'commander.help') return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      if (error.code === 'commander.executeSubCommandAsync') return ExitCode.failure;
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    // Error messages quote peers (close reasons, HTTP bodies, file lines): one sanitizer before the terminal.
    io.stderr.write(`hangar-events: ${stripControlLines(describeError(error))}\n`);
    return exitCodeFor(error);
  }
}
