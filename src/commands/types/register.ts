import type { Command } from 'commander';
import { RuntimeError } from '../../cli/errors.js';
import type { IO } from '../../io/io.js';

/** Placeholder until the types command lands: declares the command and says it is not available yet. */
export function registerTypes(program: Command, _io: IO): void {
  program
    .command('types')
    .description('(types: not available yet)')
    .action(() => {
      throw new RuntimeError('types is not available in this build yet');
    });
}
