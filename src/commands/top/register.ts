import type { Command } from 'commander';
import { collect } from '../parse.js';
import type { IO } from '../../io/io.js';
import type { TopFlags, TopOptions } from './options.js';

/** Runs a top; the real one is loaded lazily so `--help` stays fast. */
export type TopRunner = (options: TopOptions, io: IO) => Promise<void>;

const runTopLazily: TopRunner = async (options, io) => {
  const { runTop } = await import('./top.js');
  await runTop(options, io);
};

const examples = `
Examples:
  hangar-events top --by tool                          which tools are called and failing (redraws; q quits)
  hangar-events top --by caller --sort error_rate      who calls, and whose calls fail
  hangar-events top --by error_type -s github          what goes wrong on github
  hangar-events top --by tool --once --interval 30s    one table after 30 seconds of traffic, then exit
  hangar-events top --by caller -o json | jq '.[] | select(.error_rate > 0.1)'   as data for a script
  hangar-events top --by tenant --store data/events.db --since 1h --no-follow   the last hour from the gateway's store
  hangar-events top ws://replica-a:8000 ws://replica-b:8000 --by server -n 10   two replicas merged, top 10

Groupings and their columns (--sort takes a column name or its header):
  server      server state calls calls_per_s failed error_rate p50_ms p95_ms last_error_type last_event last_seen
  tool        server tool calls calls_per_s failed error_rate p50_ms p95_ms last_error_type
  caller      caller agent principal_type tenant calls failed error_rate servers last_problem last_seen
  tenant      tenant calls calls_per_s failed error_rate callers servers events last_problem
  error_type  error_type server count share last_message first_seen last_seen

Exit codes: as tail's (0 printed, or q/Ctrl-C; 1 connection failed; 2 usage error; 4 authentication failed;
5 TLS failure; 6 the event store cannot be read).
`;

/** Declares `hangar-events top`; flags become TopOptions, which `run` receives (tests pass their own). */
export function registerTop(program: Command, io: IO, run: TopRunner = runTopLazily): void {
  program
    .command('top')
    .description('the fleet aggregated by server, tool, caller, tenant or error type: redrawn on a terminal, printed once in a pipe')
    .argument('[url...]', 'ws(s)://, http(s):// or host:port, as for tail (default: $HANGAR_URL, else ws://localhost:8000/api/ws/events)')
    .option('--by <group>', 'server, tool, caller, tenant or error_type (default: server)')
    .option('--sort <column>', "order rows by this column, e.g. calls, error_rate, p95_ms, 'ERR%' (default: calls; count for error_type); figures largest first")
    .option('-n, --rows <n>', 'at most n rows (default: all in a pipe, what fits on a terminal)')
    .option('-o, --output <mode>', 'table (default), json (one array of rows) or ndjson (one row a line)')
    .option('--once', 'print one table and exit, also on a terminal')
    .option('--interval <duration>', 'following: print after this long (default: 5s), or on a terminal redraw this often (default: 1s)')
    .option('-t, --type <pattern>', 'only these event types (names or globs), repeatable, comma-separated', collect)
    .option('-x, --exclude-type <pattern>', 'not these event types, repeatable, comma-separated', collect)
    .option('-s, --server <id>', 'only events about these MCP servers, repeatable, comma-separated', collect)
    .option('--group <id>', 'only events of these server groups, repeatable, comma-separated', collect)
    .option('--where <expr>', "field predicate such as 'duration_ms>500' (repeatable, ANDed)", collect)
    .option('--history <n>', 'start from the last n events the server (or --store) kept')
    .option('--since <time>', 'start from the events since then: 10m, 1h, 2026-11-26T09:00:00Z (serve, or --store)')
    .option('--until <time>', 'end at that time or after that duration')
    .option('--no-follow', 'aggregate the history (--history/--since) and print when it ends')
    .option('--store <location>', "read the gateway's event store (SQLite file or postgresql://), as tail --store")
    .option('--store-table-prefix <prefix>', "the gateway's table prefix (tables <prefix>events, ...)")
    .option('--store-interval <duration>', 'how often the store is read for new events (default: 1s)')
    .option('--color <mode>', 'auto, always or never (default: auto; honours NO_COLOR and FORCE_COLOR)')
    .option('--no-color', 'same as --color never')
    .option('--context <name>', 'use a saved context for URL, key, headers and CA')
    .option('-k, --api-key <key>', 'API key sent as X-API-Key (default: $HANGAR_API_KEY)')
    .option('--api-key-file <file>', 'read the API key from a file')
    .option('--api-key-header <name>', 'send the API key in this header instead of X-API-Key')
    .option('--bearer', 'send the credential as Authorization: Bearer')
    .option('-H, --header <header>', "extra upgrade header 'Name: value' (repeatable)", collect)
    .option('--ca <file>', 'trust this CA certificate (PEM) for wss://')
    .option('--insecure', 'do not verify the TLS certificate (wss://)')
    .option('--no-reconnect', 'exit when the connection fails or drops instead of reconnecting')
    .option('--max-retries <n>', 'give up after n consecutive failed reconnects')
    .option('-q, --quiet', 'no connection status on stderr')
    .addHelpText('after', examples)
    .action(async (urlArgs: string[], rawFlags: TopFlags & { context?: string }) => {
      const { loadTailFiles } = await import('../tail/options.js');
      const { toTopOptions } = await import('./options.js');
      const { applyContext } = await import('../apply-context.js');
      const { urls, flags } = await applyContext(urlArgs, rawFlags, io);
      const options = await toTopOptions(urls, flags as TopFlags, { env: io.env, stdoutIsTTY: io.stdout.isTTY, nowMs: io.now() });
      await run({ ...options, session: await loadTailFiles(options.session, io) }, io);
    });
}
