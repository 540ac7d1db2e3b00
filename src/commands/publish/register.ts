import type { Command } from 'commander';
import { RuntimeError } from '../../cli/errors.js';
import type { IO } from '../../io/io.js';

/** Placeholder until the publish command lands: declares the command and says it is not available yet. */
export function registerPublish(program: Command, _io: IO): void {
  program
    .command('publish')
    .description('(publish: not available yet)')
    .action(() => {
      throw new RuntimeError('publish is not available in this build yet');
    });
}
