import { fileURLToPath } from 'node:url';
import { Command } from '../commands/commander.js';
import { HELP_PAGE_WIDTH, packageVersion } from './fast-path.js';
import type { IO } from '../io/io.js';

/** The package's root (package.json, dist/): two levels above this module, built (dist/cli/) or not (src/cli/). */
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

type Register = (program: Command, io: IO) => void;

/**
 * Every command in help order, with the module that declares it. A module is
 * loaded only when the command line needs it (see `commandsFor`): each one
 * pulls in its option parsing, and module loading is most of a start-up.
 */
const COMMANDS: readonly { readonly name: string; readonly load: () => Promise<Register> }[] = [
  { name: 'tail', load: async () => (await import('../commands/tail/register.js')).registerTail },
  { name: 'top', load: async () => (await import('../commands/top/register.js')).registerTop },
  { name: 'serve', load: async () => (await import('../commands/serve/register.js')).registerServe },
  { name: 'demo', load: async () => (await import('../commands/demo/register.js')).registerDemo },
  { name: 'approvals', load: async () => (await import('../commands/approvals/register.js')).registerApprovals },
  { name: 'approve', load: async () => (await import('../commands/approvals/register.js')).registerApprove },
  { name: 'deny', load: async () => (await import('../commands/approvals/register.js')).registerDeny },
  { name: 'publish', load: async () => (await import('../commands/publish/register.js')).registerPublish },
  { name: 'types', load: async () => (await import('../commands/types/register.js')).registerTypes },
  { name: 'context', load: async () => (await import('../commands/context/register.js')).registerContext },
  { name: 'completion', load: async () => (await import('../commands/completion/register.js')).registerCompletion },
];

/**
 * The commands `argv` needs declared: none for `--version`, only the named
 * one for `<command> ...`, and all of them otherwise (top-level help, `help`,
 * a mistyped command that deserves a suggestion, and `completion`, which
 * reads every command's flags).
 */
export function commandsFor(argv: readonly string[]): readonly string[] {
  const first = argv[0];
  if (first === '-V' || first === '--version') return [];
  const named = COMMANDS.find((command) => command.name === first);
  if (named !== undefined && named.name !== 'completion') return [named.name];
  return COMMANDS.map((command) => command.name);
}

/** The end of `hangar-events --help`: recipes that work as typed, and the environment. */
export const PROGRAM_HELP_AFTER = `
Examples:
  hangar-events demo                                  # a simulated fleet, live, in one process
  hangar-events tail                                  # follow $HANGAR_URL or ws://localhost:8000
  hangar-events tail --type 'HealthCheck*' --server math
  hangar-events tail ws://gateway:8000/api/ws/events -o ndjson > events.ndjson

  Wait for something in a script (exit 0 when it happens, 124 after 30 s, 3 if never connected):
  hangar-events tail --type McpServerStarted --server math -n 1 --timeout 30s

  jq recipes (output is NDJSON whenever stdout is not a terminal):
  hangar-events tail -o ndjson | jq -r 'select(.duration_ms > 500) | .tool_name'
  hangar-events tail --type ToolInvocationFailed | jq -r '[.mcp_server_id, .error_type] | @tsv'

  Record now, replay later (ten times faster, from when the first tail connects):
  hangar-events tail --record fleet.ndjson
  hangar-events serve --replay fleet.ndjson --speed 10 --wait-for-client

  Decide tool calls held for approval:
  hangar-events approvals                             # pending ones, oldest first
  hangar-events approve ID --reason 'ticket OPS-12'   # or: hangar-events deny ID --reason -

  Authenticate against a gateway (the key is never printed):
  HANGAR_API_KEY=... hangar-events tail wss://hangar.example.com

Environment:
  HANGAR_URL       where tail connects and publish posts when no URL is given
  HANGAR_API_KEY   API key: sent by tail and publish; when set, serve requires it
  HANGAR_CONTEXT   the saved context tail uses (hangar-events context --help)
  HANGAR_CONFIG    the contexts file (default: $XDG_CONFIG_HOME/hangar-events/config.json)
  NO_COLOR         set to anything to turn color off
  FORCE_COLOR      0 turns color off, 1, 2 or 3 forces that color level

Run 'hangar-events <command> --help' for a command's options, 'hangar-events completion --help' for
shell completion. Exit codes: 0 done, 1 failure, 2 usage error, 3 never connected within --timeout,
4 authentication failed or permission missing, 5 TLS or redirect failure, 6 event store unreadable,
7 approval already decided or expired, 124 timeout.
`;

/**
 * Where commander writes: help to stdout, errors to stderr with the same
 * `hangar-events: ` prefix as every other error (commander's own is `error: `).
 * The help wraps at the injected stream's width when it is a terminal, at 80
 * columns otherwise (commander's default would read process.stdout itself;
 * the build's help pages rely on this: help-pages.ts).
 */
function outputTo(io: IO): {
  writeOut(text: string): void;
  writeErr(text: string): void;
  outputError(text: string, write: (text: string) => void): void;
  getOutHelpWidth(): number;
  getErrHelpWidth(): number;
} {
  return {
    writeOut: (text) => io.stdout.write(text),
    writeErr: (text) => io.stderr.write(text),
    outputError: (text, write) => write(text.replace(/^error: /, 'hangar-events: ')),
    getOutHelpWidth: () => helpWidth(io.stdout),
    getErrHelpWidth: () => helpWidth(io.stderr),
  };
}

/** A terminal's width, else the 80 columns commander wraps at when it is given none. */
function helpWidth(stream: IO['stdout']): number {
  return stream.isTTY && stream.columns !== undefined && stream.columns > 0 ? stream.columns : HELP_PAGE_WIDTH;
}

/**
 * Builds the commander program with the commands `argv` needs (all of them
 * without `argv`). Register functions only declare flags; each command loads
 * its option parsing and heavy modules when it runs, so `--version` and
 * `--help` start fast.
 */
export async function createProgram(io: IO, argv?: readonly string[]): Promise<Command> {
  const wanted = new Set(argv === undefined ? COMMANDS.map((command) => command.name) : commandsFor(argv));
  const registers = await Promise.all(COMMANDS.filter((command) => wanted.has(command.name)).map((command) => command.load()));
  const program = new Command('hangar-events');
  program
    .description('Watch, filter and simulate the MCP Hangar event stream (/api/ws/events).')
    .version(packageVersion(PACKAGE_ROOT), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', PROGRAM_HELP_AFTER)
    .exitOverride()
    .configureOutput(outputTo(io));
  for (const register of registers) register(program, io);
  // Subcommands inherit exitOverride and output configuration.
  for (const command of program.commands) {
    command.exitOverride().configureOutput(outputTo(io));
  }
  return program;
}
