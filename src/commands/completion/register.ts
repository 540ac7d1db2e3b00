import type { Command } from 'commander';
import { RuntimeError } from '../../cli/errors.js';
import type { IO } from '../../io/io.js';

/** Placeholder until the completion command lands: declares the command and says it is not available yet. */
export function registerCompletion(program: Command, _io: IO): void {
  program
    .command('completion')
    .description('(completion: not available yet)')
    .action(() => {
      throw new RuntimeError('completion is not available in this build yet');
    });
}
