import type { Command } from 'commander';
import type { IO } from '../../io/io.js';
import { parseTypesOptions, type RawTypesFlags, type TypesOptions } from './options.js';

export type RunTypes = (options: TypesOptions, io: IO) => Promise<void>;

/** Declares `hangar-events types`; `run` is injectable so tests can check flag parsing alone. */
export function registerTypes(program: Command, io: IO, run?: RunTypes): void {
  program
    .command('types')
    .description("list a current gateway's event types by category, with their fields (one type: fields with types)")
    .argument('[pattern...]', "only types matching these names or patterns ('Health*', '*Failed', 'tools/*')")
    .option('--json', 'print the catalog as a JSON array (name, category, severity, emitted, alias_of, fields with types) for scripts')
    .option('--names', 'print only the names, one per line')
    .option('--color <when>', 'color the output: auto, always or never', 'auto')
    .option('--no-color', 'same as --color never')
    .addHelpText(
      'after',
      `
Examples:
  hangar-events types                      every type, grouped by category; never-emitted and deprecated ones marked
  hangar-events types ToolInvocationFailed one type: each field with its type and default
  hangar-events types 'Tool*' '*Failed'    only matching types
  hangar-events types --json | jq -r '.[] | select(.emitted and .category == "enforcement") | .name'

A current gateway emits 85 types; tail renders any type, known or not.`,
    )
    .action(async (patterns: string[], flags: RawTypesFlags) => {
      const options = parseTypesOptions(patterns, flags);
      const runTypes = run ?? (await import('./types.js')).runTypes;
      await runTypes(options, io);
    });
}
