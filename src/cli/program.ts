import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { IO } from '../io/io.js';
import { registerCompletion } from '../commands/completion/register.js';
import { registerDemo } from '../commands/demo/register.js';
import { registerPublish } from '../commands/publish/register.js';
import { registerServe } from '../commands/serve/register.js';
import { registerTail } from '../commands/tail/register.js';
import { registerTypes } from '../commands/types/register.js';

/** The package version, read from package.json next to dist/. */
export function packageVersion(): string {
  const raw = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(raw) as { version: string }).version;
}

/**
 * Builds the commander program. Register functions only declare flags and
 * parse them; each command loads its heavy modules when it runs, so
 * `--version` and `--help` start fast.
 */
export function createProgram(io: IO): Command {
  const program = new Command('hangar-events');
  program
    .description('Watch, filter and simulate the MCP Hangar event stream (/api/ws/events).')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  registerTail(program, io);
  registerServe(program, io);
  registerDemo(program, io);
  registerPublish(program, io);
  registerTypes(program, io);
  registerCompletion(program, io);
  // Subcommands inherit exitOverride and output configuration.
  for (const command of program.commands) {
    command.exitOverride().configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  }
  return program;
}
