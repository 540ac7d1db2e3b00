import type { Command } from 'commander';
import { RuntimeError } from '../../cli/errors.js';
import type { IO } from '../../io/io.js';

/** Placeholder until the serve command lands: declares the command and says it is not available yet. */
export function registerServe(program: Command, _io: IO): void {
  program
    .command('serve')
    .description('(serve: not available yet)')
    .action(() => {
      throw new RuntimeError('serve is not available in this build yet');
    });
}
