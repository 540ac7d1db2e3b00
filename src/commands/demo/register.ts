import type { Command } from 'commander';
import { RuntimeError } from '../../cli/errors.js';
import type { IO } from '../../io/io.js';

/** Placeholder until the demo command lands: declares the command and says it is not available yet. */
export function registerDemo(program: Command, _io: IO): void {
  program
    .command('demo')
    .description('(demo: not available yet)')
    .action(() => {
      throw new RuntimeError('demo is not available in this build yet');
    });
}
