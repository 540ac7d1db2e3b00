import type { Command } from 'commander';
import type { IO } from '../../io/io.js';
import { parseTypesOptions, type RawTypesFlags, type TypesOptions } from './options.js';

export type RunTypes = (options: TypesOptions, io: IO) => Promise<void>;

/** Declares `hangar-events types`; `run` is injectable so tests can check flag parsing alone. */
export function registerTypes(program: Command, io: IO, run?: RunTypes): void {
  program
    .command('types')
    .description('list the known event types by category, with their fields')
    .argument('[pattern...]', "only types matching these names or patterns ('Health*', '*Failed', 'tools/*')")
    .option('--json', 'print a JSON array (name, category, fields, description, alias_of) for scripts')
    .option('--names', 'print only the names, one per line')
    .option('--color <when>', 'color the output: auto, always or never', 'auto')
    .option('--no-color', 'same as --color never')
    .addHelpText(
      'after',
      `
Examples:
  hangar-events types                      every known type, grouped by category
  hangar-events types 'Health*' '*Failed'  only matching types
  hangar-events types --json | jq -r '.[] | select(.category == "tools") | .name'

A gateway emits about a hundred types; tail renders any type, known or not.`,
    )
    .action(async (patterns: string[], flags: RawTypesFlags) => {
      const options = parseTypesOptions(patterns, flags);
      const runTypes = run ?? (await import('./types.js')).runTypes;
      await runTypes(options, io);
    });
}
