import type { Command } from 'commander';
import { RuntimeError } from '../../cli/errors.js';
import type { IO } from '../../io/io.js';

/** Placeholder until the tail command lands: declares the command and says it is not available yet. */
export function registerTail(program: Command, _io: IO): void {
  program
    .command('tail')
    .description('(tail: not available yet)')
    .action(() => {
      throw new RuntimeError('tail is not available in this build yet');
    });
}
