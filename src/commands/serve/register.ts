import type { Command } from 'commander';
import { collect } from '../parse.js';
import type { IO } from '../../io/io.js';
import type { ServeFlags, ServeOptions } from './options.js';

export type ServeRun = (options: ServeOptions, io: IO) => Promise<void>;

const defaultRun: ServeRun = async (options, io) => {
  const { setFlagsFromString } = await import('node:v8');
  if (!namesYoungGeneration(process.execArgv, io.env.NODE_OPTIONS)) keepYoungGenerationSmall(setFlagsFromString);
  if (!namesHeapGrowing(process.execArgv)) keepOldGenerationTight(setFlagsFromString);
  const { runServe } = await import('./serve.js');
  await runServe(options, io);
};

/**
 * serve keeps V8's young generation at the size it has when it starts (a
 * semi-space of 1 MiB on Node 20 and 22, 2 MiB on Node 24 and at times on
 * Node 20) instead of letting it double up to 16 MiB: at a high event rate
 * the young generation otherwise grows to its largest and stays
 * there, 25-30 MiB of RSS for garbage that is collected just as well in a
 * small one (bench/README.md, issue 24: serve's memory; no measurable CPU
 * per event). The semi-space size itself can only be set when node starts;
 * the growth factor is read each time the heap would grow it.
 */
export function keepYoungGenerationSmall(setFlagsFromString: (flags: string) => void): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** Headroom of the old generation over what the last full collection kept, in percent (see keepOldGenerationTight). */
export const OLD_GENERATION_GROWING_PERCENT = 30;

/**
 * serve lets V8's old generation grow by OLD_GENERATION_GROWING_PERCENT over
 * what the last full collection kept before it collects again (V8 picks a
 * factor of up to 4 for a small heap): with many clients at a high event
 * rate what the small young generation promotes, and the event slabs that
 * die after promotion, otherwise wait in memory for the next full collection,
 * and the process keeps the pages (bench/README.md, issue 24, round four).
 * Read each time V8 sets the limit, so it can be set after start.
 */
export function keepOldGenerationTight(setFlagsFromString: (flags: string) => void): void {
  setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWING_PERCENT}`);
}

/** Whether node was started with a heap growing setting (`node --heap-growing-percent=0 ...` gives V8's own back; NODE_OPTIONS cannot carry it): then serve leaves it as given. */
export function namesHeapGrowing(execArgv: readonly string[]): boolean {
  return execArgv.some((flag) => /^--heap[-_]growing[-_]percent(?:=|$)/.test(flag));
}

/** Whether node was started with a setting of the young generation's size or growth (node's flags, NODE_OPTIONS): then serve leaves it as given. */
export function namesYoungGeneration(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const flags = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  return flags.some((flag) => /^--(?:semi[-_]space[-_]growth[-_]factor|(?:min|max)[-_]semi[-_]space[-_]size)(?:=|$)/.test(flag));
}

/** Declares `hangar-events serve` and its flags; the server itself loads only when the command runs. */
export function registerServe(program: Command, io: IO, run: ServeRun = defaultRun): void {
  program
    .command('serve')
    .description('serve a Hangar-compatible /api/ws/events stream locally, fed by a simulated fleet, stdin, a recording or HTTP ingest')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on (0 = any free port)', '8000')
    .option('--path <path>', 'WebSocket path', '/api/ws/events')
    .option('--api-key <key>', 'require this API key (repeatable; prefer HANGAR_API_KEY or --api-key-file)', collect)
    .option('--api-key-file <file>', 'read API keys from a file, one per line')
    .option('--api-key-header <name>', 'read API keys from this header instead of X-API-Key, like a gateway configured so (Authorization: Bearer and ?token= still work)')
    .option('--allow-origin <origin>', 'allow browser clients from this Origin (repeatable)', collect)
    .option('--insecure-no-auth', 'allow a non-loopback --host without an API key')
    .option('--queue-size <n>', 'events queued per client before the oldest is dropped', '1024')
    .option('--history <n>', 'recent events kept for replay (0 = none; 2048 with --rate max)', '10000')
    .option('--ping-interval <duration>', 'idle time before an application ping', '55s')
    .option('--pong-timeout <duration>', 'time to answer a ping before the connection is closed', '10s')
    .option('--stall-timeout <duration>', 'close a client whose socket makes no progress for this long', '60s')
    .option('--max-clients <n>', 'refuse WebSocket clients beyond this many (503)')
    .option('--http-timeout <duration>', 'a plain HTTP request (an ingest POST) must arrive whole within this, or it gets 408 and its connection is closed', '60s')
    .option('--max-http-connections <n>', 'connections carrying plain HTTP requests at once; beyond it a request gets 503', '64')
    .option('--log-format <format>', 'stderr log format: pretty or json', 'pretty')
    .option('--demo', 'simulate a fleet of MCP servers (the default when no other source is given)')
    .option('--no-demo', 'no simulated fleet: only stdin, --replay and HTTP ingest')
    .option('--servers <n>', 'demo: number of simulated MCP servers', '5')
    .option('--rate <events/s>', "demo: events per second, or 'max'", '5')
    .option('--seed <n>', 'demo: seed for a reproducible run')
    .option('--profile <gateway>', "demo: 'current' (default: what a current gateway emits) or 'legacy' (a pre-rename gateway: Provider* names, provider_id)")
    .option('--stdin', 'publish NDJSON events read from stdin')
    .option('--replay <file>', 'replay a recorded NDJSON stream, keeping its timing')
    .option('--speed <x>', "replay speed factor, or 'max'")
    .option('--loop', 'replay the recording forever')
    .option('--wait-for-client', 'start the sources (replay, stdin, demo) only when the first client connects')
    .option('--chaos-disconnect <duration>', 'testing: close a random client with 1012 about this often')
    .option('--upstream <url>', "relay a gateway: subscribe once to it and re-serve its stream with history, resume and drop warnings (repeatable: replicas, each event once)", collect)
    .option('--upstream-api-key <key>', 'API key for the upstream gateway (X-API-Key)')
    .option('--upstream-api-key-file <file>', 'read the upstream API key from a file')
    .option('--upstream-bearer', 'send the upstream key as Authorization: Bearer')
    .option('--upstream-header <header>', "extra upgrade header for the upstream 'Name: value' (repeatable)", collect)
    .option('--upstream-ca <file>', 'trust this CA certificate (PEM) for a wss:// upstream')
    .option('--upstream-insecure', 'do not verify the upstream TLS certificate')
    .option('--store <location>', "the gateway's event store (SQLite file or postgresql:// URL): history starts with its newest events, an upstream outage is filled from it; without --upstream it is the source")
    .option('--store-table-prefix <prefix>', "the gateway's table prefix (tables <prefix>events, ...)")
    .option('--store-interval <duration>', 'how often the store is read (default: 1s)')
    .option('--approval-timeout <duration>', "how long a gated call of the simulated fleet waits for a decision (POST /api/approvals/{id}/resolve) before it expires", '300s')
    .option('--no-approvals', 'no approval gate: GET/POST /api/approvals answer 503 and the fleet\'s gated calls run at once, as on a gateway without one')
    .option('--chaos-drop <fraction>', 'testing: drop this fraction of each client\'s events, announced in warning frames')
    .addHelpText(
      'after',
      `
Examples:
  hangar-events serve                          simulated fleet on ws://127.0.0.1:8000/api/ws/events
  hangar-events serve --port 0 --seed 42       any free port, reproducible fleet
  hangar-events serve --profile legacy         a fleet as a pre-rename gateway writes it (ProviderStarted, provider_id)
  cat recorded.ndjson | hangar-events serve --stdin
  hangar-events serve --replay recorded.ndjson --speed 10 --loop
  hangar-events serve --replay recorded.ndjson --wait-for-client   the replay starts when the first tail connects
  HANGAR_API_KEY=secret hangar-events serve --host 0.0.0.0
  curl -X POST --data-binary @events.ndjson http://127.0.0.1:8000/api/events
  hangar-events serve --host 0.0.0.0 --api-key-file team.keys --upstream gateway:8000 --upstream-api-key "$KEY" --store postgresql://hangar@db/hangar
                                               one gateway connection, any number of watchers, with history and resume
  hangar-events serve --upstream ws://replica-a:8000 --upstream ws://replica-b:8000   replicas, each event once
  hangar-events serve --store data/events.db   re-serve a gateway's SQLite store as a live stream
  hangar-events serve --approval-timeout 30s   gated calls wait 30s for: curl -X POST -d '{"decision":"approve"}' http://127.0.0.1:8000/api/approvals/ID/resolve`,
    )
    .action(async (flags: ServeFlags, command: Command) => {
      // Defaults shown in help are commander defaults; only flags the user gave count as "given".
      const given: ServeFlags = {};
      for (const [name, value] of Object.entries(flags)) {
        if (command.getOptionValueSource(name) !== 'default') (given as Record<string, unknown>)[name] = value;
      }
      // Loaded here, not at the top: `serve --help` needs none of the option parsing.
      const { toServeOptions } = await import('./options.js');
      await run(toServeOptions(given, io.env), io);
    });
}
