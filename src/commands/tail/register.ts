import type { Command } from 'commander';
import { collect } from '../parse.js';
import type { IO } from '../../io/io.js';
import type { TailFlags } from './options.js';
import { tailAction, type TailRunner } from './action.js';

const examples = `
Examples:
  hangar-events tail                                    follow ws://localhost:8000/api/ws/events ($HANGAR_URL)
  hangar-events tail gateway.internal:8000 -k "$KEY"    a bare host:port gets ws:// and /api/ws/events
  hangar-events tail wss://hangar.example.com --api-key-header X-Hangar-Key -k "$KEY"   a gateway reading keys from another header
  hangar-events tail wss://hangar.example.com --bearer -k "$(oidc-token)"              a JWT/OIDC token as Authorization: Bearer
  hangar-events tail --type '*Failed' --server math     failures of one server (globs are fine)
  hangar-events tail --server github --group pool-a     every event about github, and pool-a's group events
  hangar-events tail -x HealthCheckPassed --where 'duration_ms>500'
  hangar-events tail -o ndjson | jq -c 'select(.event_type=="ToolInvocationFailed")'
  hangar-events tail -t ToolInvocationCompleted --time none --format '{mcp_server_id}\t{tool_name}\t{duration_ms}' > calls.tsv
  hangar-events tail --type McpServerStarted --server math -n 1 --timeout 30s   wait for a server in a script
  hangar-events tail ws://replica-a:8000 ws://replica-b:8000                    merge replicas, each event once
  hangar-events tail --calls -s github                  one line per tool call of github: outcome, duration, arguments
  hangar-events tail --calls -o ndjson | jq 'select(.outcome=="failed")'   calls as JSON objects
  hangar-events tail -o table                           live table of the fleet (keys: q quit, s sort, p pause, A approvals)
  hangar-events tail -o table --interval 1m > fleet.log   a plain snapshot of the table every minute
  hangar-events tail --tail 20 -f                       the last 20 events the server kept, then follow
  hangar-events tail --since '2026-11-26 09:00' --until '2026-11-26 10:00'   a window of serve's history, then exit 0
  hangar-events tail --until 17:30 -o ndjson > today.ndjson   follow until half past five (local time), then exit 0
  hangar-events tail --since 10m --until 5m             the last 10 minutes, then 5 more minutes live, then exit 0
  hangar-events tail -t ToolInvocationFailed --exec 'notify-send "$HANGAR_EVENT_SERVER" "$HANGAR_EVENT_ERROR_MESSAGE"'
  hangar-events tail -t McpServerStateChanged --where new_state=dead --bell -o pretty   ring when a server dies
  hangar-events tail wss://hangar.internal --ca ca.pem  trust a private CA (PEM; a self-signed server exits 5 and says so)
  hangar-events tail --store data/events.db --since 2h -s math --no-follow   what happened to math (the gateway's store)
  hangar-events tail gateway:8000 --store postgresql://hangar@db/hangar --since 1h   backfill, then live, no gap
  hangar-events tail --store data/events.db             follow the store itself (no gateway connection)

Exit codes: 0 done (count reached, Ctrl-C, --no-follow finished, stdout closed), 1 connection failed or
other runtime failure, 2 usage error, 3 --timeout without ever connecting (server down?), 4 authentication
failed, 5 TLS or redirect failure (not retried; says whether --ca, --insecure or another URL is needed),
6 the event store (--store) cannot be read (missing, wrong schema, locked, unreachable, no driver),
124 connected, but --timeout before --count events.
`;

/** Declares `hangar-events tail`; flags become TailOptions, which `run` receives (tests pass their own). */
export function registerTail(program: Command, io: IO, run?: TailRunner): void {
  program
    .command('tail')
    .description('follow the event stream of a gateway (or hangar-events serve), filtered and rendered')
    .argument('[url...]', 'ws(s)://, http(s):// or host:port; path defaults to /api/ws/events (default: $HANGAR_URL, else ws://localhost:8000/api/ws/events)')
    .optionsGroup('Filters:')
    .option('-t, --type <pattern>', 'event types to show: exact names or globs (*Failed, Tool*), repeatable, comma-separated', collect)
    .option('-x, --exclude-type <pattern>', 'event types to hide (names or globs), repeatable, comma-separated', collect)
    .option('-s, --server <id>', 'only events about these MCP servers (mcp_server_id, mcp_server_name, mcp_server or pre-rename provider_id/provider_name), repeatable, comma-separated', collect)
    .option('--group <id>', 'only events of these server groups (group_id), repeatable, comma-separated; with --server: events about either', collect)
    .option('--where <expr>', "field predicate such as 'duration_ms>500', 'error_type=TimeoutError', 'tool_name~^git' (repeatable, ANDed)", collect)
    .optionsGroup('Output:')
    .option('-o, --output <mode>', 'pretty, ndjson (alias json) or table (default: pretty on a terminal or with --format/--fields/--time, ndjson otherwise)')
    .option('--fields <list>', 'pretty lines with these fields (comma-separated, dotted paths allowed); implies -o pretty')
    .option('--time <mode>', 'time column of pretty lines: local, utc, iso, relative or none (default: local); implies -o pretty')
    .option('--format <template>', "custom line, e.g. '{event_type} {mcp_server_id} {duration_ms}'; implies -o pretty, also in a pipe")
    .option('--calls', 'one line per tool call: a ToolInvocationRequested joined with its Completed/Failed by correlation_id, with duration and outcome; open calls shown as open (-o ndjson: one JSON object per call)')
    .option('-v, --wide', 'pretty lines in full: not cut to the terminal width, arguments/identity_context/correlation_id in full')
    .option('--color <mode>', 'auto, always or never (default: auto; honours NO_COLOR and FORCE_COLOR)')
    .option('--no-color', 'same as --color never')
    .optionsGroup('Where it connects:')
    .option('--context <name>', 'use a saved context (hangar-events context add ...) for URL, key, headers and CA (default: $HANGAR_CONTEXT, else the current context)')
    .option('-k, --api-key <key>', 'API key (mcp_...) sent as X-API-Key (default: $HANGAR_API_KEY)')
    .option('--api-key-file <file>', 'read the API key from a file')
    .option('--api-key-header <name>', 'send the API key in this header instead of X-API-Key (a gateway can be configured to read another)')
    .option('--bearer', 'send the credential as Authorization: Bearer: a JWT/OIDC token, not an API key')
    .option('-H, --header <header>', "extra upgrade header 'Name: value' (repeatable)", collect)
    .option('--ca <file>', 'trust this CA certificate (PEM) for wss://')
    .option('--insecure', 'do not verify the TLS certificate (wss://)')
    .optionsGroup('Connection behaviour:')
    .option('--no-reconnect', 'exit when the connection fails or drops instead of reconnecting')
    .option('--max-retries <n>', 'give up after n consecutive failed reconnects (default: keep trying)')
    .optionsGroup('History and exit conditions:')
    .option('--history <n>', 'first print the last n matching events the server kept (serve, or the gateway\'s store with --store)')
    .option('--tail <n>', 'same as --history <n>: the last n events, then follow (as kubectl logs --tail)')
    .option('--since <time>', "first print the events since then: 10m, 1h30m, 2d, 2026-11-26T09:00:00Z, or local '2026-11-26 09:00' (serve, or --store)")
    .option('--until <time>', 'end (exit 0) at that time or after that duration: 17:30, 2026-11-26T10:00:00Z, 5m')
    .option('-f, --follow', 'follow the stream (the default; accepted for kubectl/tail habits)')
    .option('--no-follow', 'print the history (--history/--tail/--since) and exit')
    .optionsGroup('History from the event store:')
    .option('--store <location>', "read the gateway's event store: an SQLite file (data/events.db, sqlite:PATH) or postgresql://user@host/db (PG* variables and ~/.pgpass apply); with a URL it backfills and fills outages, alone it is the source")
    .option('--store-table-prefix <prefix>', "the gateway's table prefix (tables <prefix>events, ...)")
    .option('--store-interval <duration>', 'how often the store is read for new events (default: 1s)')
    .optionsGroup('History and exit conditions:')
    .option('-n, --count <n>', 'exit 0 after n matching events')
    .option('--timeout <duration>', 'stop after this long (with --count: exit 124 if fewer events arrived; exit 3 if never connected)')
    .option('--record <file>', 'append every shown event, as received, to an NDJSON file')
    .option('--exec <command>', 'run a shell command for every shown event: its JSON on stdin and in $HANGAR_EVENT, fields in $HANGAR_EVENT_TYPE, $HANGAR_EVENT_SERVER, $HANGAR_EVENT_<FIELD>; never blocks the stream')
    .option('--exec-concurrency <n>', '--exec: commands running at once (default: 4); more wait, beyond 1000 waiting events are skipped and counted')
    .option('--bell', 'ring the terminal bell on shown events (at most once a second; only when stderr is a terminal); -o table: when a new tool approval is requested')
    .option('--stats', 'print a summary on stderr at exit (by type, by server, rate, reconnects, gaps, drops)')
    .optionsGroup('The live table (-o table):')
    .option('--sort <key>', 'table: order rows by server, state, errors, calls, latency or last (default: problems first, then by name)')
    .option('--interval <duration>', 'table, when stdout is not a terminal: print a snapshot this often (default: 5s)')
    .optionsGroup('Output:')
    .option('-q, --quiet', 'no connection status on stderr (warnings, gaps and errors still appear)')
    .addHelpText('after', examples)
    .action((urlArgs: string[], rawFlags: TailFlags & { context?: string }) => tailAction(urlArgs, rawFlags, io, run));
}
