import { CommanderError } from 'commander';
import type { IO } from '../io/io.js';
import { describeError, exitCodeFor, ExitCode } from './errors.js';
import { createProgram } from './program.js';

/**
 * Runs the CLI and returns the exit code. The only place that maps errors to
 * exit codes; nothing below it exits the process.
 */
export async function main(argv: readonly string[], io: IO): Promise<number> {
  const program = await createProgram(io, argv);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already written its message (through io.stderr).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return ExitCode.ok;
      }
      if (error.code === 'commander.executeSubCommandAsync') return ExitCode.failure;
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    io.stderr.write(`hangar-events: ${describeError(error)}\n`);
    return exitCodeFor(error);
  }
}
