import { createRequire } from 'node:module';
import type * as CommanderModule from 'commander';

/**
 * commander, loaded with `require`: it is CommonJS, and an ESM `import` of a
 * CommonJS package makes Node analyse its exports first (cjs-module-lexer),
 * which cost every start about 15 ms of CPU, more than the rest of
 * `tail --help` together (bench scenario 7).
 */
const commander = createRequire(import.meta.url)('commander') as typeof CommanderModule;

export const { Argument, Command, CommanderError } = commander;
export type Argument = CommanderModule.Argument;
export type Command = CommanderModule.Command;
export type CommanderError = CommanderModule.CommanderError;
