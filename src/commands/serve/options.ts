import { parseApiKeyHeader } from '../../credentials.js';
import { UsageError } from '../../errors.js';
import { parseChoice, parseDurationMs, parseInteger, parsePositiveNumber } from '../parse.js';
import { EVENTS_PATH } from '../../protocol/types.js';
import { DEFAULT_SERVER_OPTIONS } from '../../server/options.js';
import type { ServerOptions } from '../../server/options.js';
import { SERVE_SERVER_HINTS } from './flag-hints.js';
import type { LogFormat } from '../../server/log.js';
import { normaliseUrl } from '../../client/url.js';
import { parseHeaderFlag } from '../parse.js';
import { parseStoreLocation, type StoreLocation } from '../../store/location.js';
import { storeTables } from '../../store/table-names.js';

/** The raw flag values commander hands over (strings, booleans, repeatable lists). */
export interface ServeFlags {
  host?: string;
  port?: string;
  path?: string;
  apiKey?: string[];
  apiKeyFile?: string;
  allowOrigin?: string[];
  insecureNoAuth?: boolean;
  queueSize?: string;
  history?: string;
  pingInterval?: string;
  pongTimeout?: string;
  stallTimeout?: string;
  maxClients?: string;
  httpTimeout?: string;
  maxHttpConnections?: string;
  logFormat?: string;
  apiKeyHeader?: string;
  demo?: boolean;
  servers?: string;
  rate?: string;
  seed?: string;
  profile?: string;
  stdin?: boolean;
  replay?: string;
  speed?: string;
  loop?: boolean;
  waitForClient?: boolean;
  chaosDisconnect?: string;
  chaosDrop?: string;
  upstream?: string[];
  upstreamApiKey?: string;
  upstreamApiKeyFile?: string;
  upstreamBearer?: boolean;
  upstreamHeader?: string[];
  upstreamCa?: string;
  upstreamInsecure?: boolean;
  store?: string;
  storeTablePrefix?: string;
  storeInterval?: string;
  approvals?: boolean;
  approvalTimeout?: string;
}

/** `--upstream`: the gateway (replicas) serve relays, and how to reach it (tail's connection flags). */
export interface UpstreamOptions {
  readonly urls: readonly string[];
  readonly apiKey: string | undefined;
  /** Read at run time (first key of the file). */
  readonly apiKeyFile: string | undefined;
  readonly bearer: boolean;
  readonly headers: readonly (readonly [string, string])[];
  readonly caFile: string | undefined;
  readonly insecure: boolean;
}

/** `--store`: the gateway's event store, behind serve's history (and its source without --upstream). */
export interface ServeStoreOptions {
  readonly location: StoreLocation;
  readonly tablePrefix: string | undefined;
  readonly intervalMs: number;
}

export interface DemoSourceOptions {
  readonly servers: number;
  readonly ratePerSec: number | 'max';
  readonly seed: number | undefined;
  /** `current` (default) or `legacy` (a pre-rename gateway: Provider* names, provider_id). */
  readonly profile: 'current' | 'legacy';
}

export interface ReplaySourceOptions {
  /** As given on the command line (resolved against the working directory when run). */
  readonly path: string;
  readonly speed: number | 'max';
  readonly loop: boolean;
}

/** Everything `serve` needs, typed and validated. */
export interface ServeOptions {
  readonly server: ServerOptions;
  /** Read at run time, one key per line; its keys join `server.apiKeys`. */
  readonly apiKeyFile: string | undefined;
  readonly logFormat: LogFormat;
  readonly demo: DemoSourceOptions | undefined;
  readonly stdin: boolean;
  readonly replay: ReplaySourceOptions | undefined;
  /** Start the sources only once the first client is attached (--wait-for-client). */
  readonly waitForClient: boolean;
  readonly upstream: UpstreamOptions | undefined;
  /** Where the keys of `server.apiKeys` came from (`--api-key`, `HANGAR_API_KEY`), for the log; never the keys. */
  readonly keySources: readonly string[];
  readonly store: ServeStoreOptions | undefined;
}

/** The default demo pace: readable in a terminal. */
export const DEFAULT_DEMO_RATE_PER_SEC = 5;
export const DEFAULT_DEMO_SERVERS = 5;

/**
 * `--history`'s default with `--rate max`. The ring then turns over in
 * milliseconds (a fraction of a second with a thousand clients), and what it
 * keeps lives long enough for V8 to move it out of the young generation: the
 * default 10,000 cost serve ~15 MiB of RSS with 1000 clients for ~4 MiB of
 * frames, and CPU per event in every collection (bench/README.md, issue 24:
 * serve's memory). 2,048 still covers `tail -n 1000`; `--history` sets more.
 */
export const MAX_RATE_HISTORY_SIZE = 2_048;

function parseRateOrMax(flag: string, value: string): number | 'max' {
  return value.trim() === 'max' ? 'max' : parsePositiveNumber(flag, value);
}

/**
 * Turns flags (and the environment, for HANGAR_API_KEY) into ServeOptions.
 * Pure: throws UsageError naming the flag; reads no files.
 */
export function toServeOptions(flags: ServeFlags, env: Readonly<Record<string, string | undefined>>): ServeOptions {
  const apiKeys = [...(flags.apiKey ?? [])];
  for (const key of apiKeys) if (key.trim().length === 0) throw new UsageError('invalid --api-key: the key is empty');
  const keySources: string[] = apiKeys.length > 0 ? ['--api-key'] : [];
  const envKey = env.HANGAR_API_KEY;
  if (envKey !== undefined && envKey.trim().length > 0) {
    apiKeys.push(envKey.trim());
    keySources.push('HANGAR_API_KEY');
  }
  if (flags.apiKeyFile !== undefined) keySources.push(`--api-key-file ${flags.apiKeyFile}`);

  const path = flags.path ?? EVENTS_PATH;
  if (!path.startsWith('/') || /[\s?#]/.test(path)) throw new UsageError(`invalid --path '${path}': expected a URL path such as ${EVENTS_PATH}`);
  if (path === '/health' || path === '/api/events') throw new UsageError(`invalid --path '${path}': that path is taken by ${path === '/health' ? 'the health check' : 'HTTP ingest'}`);

  const host = flags.host ?? DEFAULT_SERVER_OPTIONS.host;
  if (host.trim().length === 0) throw new UsageError('invalid --host: empty');

  const chaosDrop = flags.chaosDrop === undefined ? 0 : Number(flags.chaosDrop.trim());
  if (!Number.isFinite(chaosDrop) || chaosDrop < 0 || chaosDrop >= 1 || flags.chaosDrop?.trim() === '') {
    throw new UsageError(`invalid --chaos-drop '${flags.chaosDrop}': expected a fraction from 0 up to (not including) 1, such as 0.1`);
  }
  const chaosDisconnectMs = flags.chaosDisconnect === undefined ? undefined : parseDurationMs('--chaos-disconnect', flags.chaosDisconnect);
  if (chaosDisconnectMs !== undefined && chaosDisconnectMs <= 0) throw new UsageError(`invalid --chaos-disconnect '${flags.chaosDisconnect}': must be longer than 0`);

  const pingIntervalMs = flags.pingInterval === undefined ? DEFAULT_SERVER_OPTIONS.pingIntervalMs : parseDurationMs('--ping-interval', flags.pingInterval);
  const pongTimeoutMs = flags.pongTimeout === undefined ? DEFAULT_SERVER_OPTIONS.pongTimeoutMs : parseDurationMs('--pong-timeout', flags.pongTimeout);
  const stallTimeoutMs = flags.stallTimeout === undefined ? DEFAULT_SERVER_OPTIONS.stallTimeoutMs : parseDurationMs('--stall-timeout', flags.stallTimeout);
  for (const [flag, ms] of [['--ping-interval', pingIntervalMs], ['--pong-timeout', pongTimeoutMs], ['--stall-timeout', stallTimeoutMs]] as const) {
    if (ms < 10) throw new UsageError(`invalid ${flag}: must be at least 10ms`);
  }
  const httpTimeoutMs = flags.httpTimeout === undefined ? DEFAULT_SERVER_OPTIONS.httpTimeoutMs : parseDurationMs('--http-timeout', flags.httpTimeout);
  if (httpTimeoutMs < 100) throw new UsageError(`invalid --http-timeout '${flags.httpTimeout}': must be at least 100ms`);

  if (flags.approvals === false && flags.approvalTimeout !== undefined) {
    throw new UsageError('--approval-timeout sets how long the approval gate holds a call, but --no-approvals turns the gate off: give one or the other');
  }
  const approvalTimeoutMs = flags.approvalTimeout === undefined ? DEFAULT_SERVER_OPTIONS.approvalTimeoutMs : parseDurationMs('--approval-timeout', flags.approvalTimeout);
  if (approvalTimeoutMs < 100) throw new UsageError(`invalid --approval-timeout '${flags.approvalTimeout}': must be at least 100ms`);

  const server: ServerOptions = {
    ...DEFAULT_SERVER_OPTIONS,
    hints: SERVE_SERVER_HINTS,
    host,
    port: flags.port === undefined ? DEFAULT_SERVER_OPTIONS.port : parseInteger('--port', flags.port, 0, 65535),
    path,
    apiKeys,
    apiKeyHeader: flags.apiKeyHeader === undefined ? DEFAULT_SERVER_OPTIONS.apiKeyHeader : parseApiKeyHeader('--api-key-header', flags.apiKeyHeader),
    allowOrigins: (flags.allowOrigin ?? []).map((o) => o.trim()).filter((o) => o.length > 0),
    insecureNoAuth: flags.insecureNoAuth === true,
    queueSize: flags.queueSize === undefined ? DEFAULT_SERVER_OPTIONS.queueSize : parseInteger('--queue-size', flags.queueSize, 1, 1_000_000),
    historySize:
      flags.history !== undefined
        ? parseInteger('--history', flags.history, 0, 10_000_000)
        : flags.rate?.trim() === 'max'
          ? MAX_RATE_HISTORY_SIZE
          : DEFAULT_SERVER_OPTIONS.historySize,
    pingIntervalMs,
    pongTimeoutMs,
    stallTimeoutMs,
    maxClients: flags.maxClients === undefined ? undefined : parseInteger('--max-clients', flags.maxClients, 1),
    httpTimeoutMs,
    maxHttpConnections:
      flags.maxHttpConnections === undefined ? DEFAULT_SERVER_OPTIONS.maxHttpConnections : parseInteger('--max-http-connections', flags.maxHttpConnections, 1, 100_000),
    chaosDisconnectMs,
    chaosDrop,
    approvals: flags.approvals !== false,
    approvalTimeoutMs,
  };

  const logFormat = parseChoice('--log-format', flags.logFormat ?? 'pretty', ['pretty', 'json'] as const);

  const replay: ReplaySourceOptions | undefined =
    flags.replay === undefined
      ? undefined
      : {
          path: flags.replay,
          speed: flags.speed === undefined ? 1 : parseRateOrMax('--speed', flags.speed),
          loop: flags.loop === true,
        };
  if (flags.replay === undefined && (flags.speed !== undefined || flags.loop)) {
    throw new UsageError(`${flags.speed !== undefined ? '--speed' : '--loop'} only applies with --replay <file>`);
  }
  const stdin = flags.stdin === true;
  const upstream = toUpstreamOptions(flags);
  const storeLocation = flags.store === undefined ? undefined : parseStoreLocation(flags.store);
  if (storeLocation === undefined && flags.storeTablePrefix !== undefined) throw new UsageError('--store-table-prefix names the tables of an event store: use it with --store');
  if (storeLocation === undefined && flags.storeInterval !== undefined) throw new UsageError('--store-interval sets how often the event store is read: use it with --store');
  if (flags.storeTablePrefix !== undefined) storeTables(flags.storeTablePrefix);
  const storeIntervalMs = flags.storeInterval === undefined ? 1000 : parseDurationMs('--store-interval', flags.storeInterval);
  if (storeIntervalMs < 100) throw new UsageError(`invalid --store-interval '${flags.storeInterval}': must be at least 100ms`);
  const store: ServeStoreOptions | undefined = storeLocation === undefined ? undefined : { location: storeLocation, tablePrefix: flags.storeTablePrefix, intervalMs: storeIntervalMs };
  // The demo is the default when no other source is given; --demo adds it to others, --no-demo removes it.
  const demoWanted = flags.demo ?? (!stdin && replay === undefined && upstream === undefined && store === undefined);
  const demo: DemoSourceOptions | undefined = demoWanted
    ? {
        servers: flags.servers === undefined ? DEFAULT_DEMO_SERVERS : parseInteger('--servers', flags.servers, 1, 1000),
        ratePerSec: flags.rate === undefined ? DEFAULT_DEMO_RATE_PER_SEC : parseRateOrMax('--rate', flags.rate),
        seed: flags.seed === undefined ? undefined : parseInteger('--seed', flags.seed, 0, 2 ** 32 - 1),
        profile: flags.profile === undefined ? 'current' : parseChoice('--profile', flags.profile, ['current', 'legacy'] as const),
      }
    : undefined;
  if (!demoWanted) {
    for (const [flag, value] of [['--servers', flags.servers], ['--rate', flags.rate], ['--seed', flags.seed], ['--profile', flags.profile]] as const) {
      if (value !== undefined) throw new UsageError(`${flag} only applies to the demo source, which is off (--no-demo, --stdin, --replay, --upstream or --store without --demo)`);
    }
  }
  // A relay's approvals are the gateway's: an empty gate of its own would answer "nothing pending" and 404 for
  // approvals that are waiting upstream. Without a simulated fleet to hold, a relay has no gate (503), as a gateway without one.
  const relayOnly = upstream !== undefined && !demoWanted;
  if (relayOnly && flags.approvalTimeout !== undefined) {
    throw new UsageError("--approval-timeout sets how long serve's gate holds the simulated fleet's calls; serve --upstream without --demo has no gate (decide the gateway's approvals at the gateway)");
  }
  const served = relayOnly ? { ...server, approvals: false } : server;
  return { server: served, apiKeyFile: flags.apiKeyFile, logFormat, demo, stdin, replay, waitForClient: flags.waitForClient === true, upstream, store, keySources };
}

/** The --upstream flags; the connection flags without --upstream are a usage error. */
function toUpstreamOptions(flags: ServeFlags): UpstreamOptions | undefined {
  const urls = [...new Set((flags.upstream ?? []).map((url) => normaliseUrl(url)))];
  if (urls.length === 0) {
    for (const [flag, value] of [
      ['--upstream-api-key', flags.upstreamApiKey],
      ['--upstream-api-key-file', flags.upstreamApiKeyFile],
      ['--upstream-bearer', flags.upstreamBearer],
      ['--upstream-header', flags.upstreamHeader],
      ['--upstream-ca', flags.upstreamCa],
      ['--upstream-insecure', flags.upstreamInsecure],
    ] as const) {
      if (value !== undefined) throw new UsageError(`${flag} sets how serve connects to the gateway it relays: use it with --upstream <url>`);
    }
    return undefined;
  }
  if (flags.upstreamApiKey !== undefined && flags.upstreamApiKeyFile !== undefined) throw new UsageError('use either --upstream-api-key or --upstream-api-key-file, not both');
  if (flags.upstreamApiKey !== undefined && flags.upstreamApiKey.trim() === '') throw new UsageError('empty --upstream-api-key');
  if (flags.upstreamBearer === true && flags.upstreamApiKey === undefined && flags.upstreamApiKeyFile === undefined) {
    throw new UsageError('--upstream-bearer sends the upstream key as a bearer token, but there is none: give --upstream-api-key or --upstream-api-key-file');
  }
  return {
    urls,
    apiKey: flags.upstreamApiKey?.trim(),
    apiKeyFile: flags.upstreamApiKeyFile,
    bearer: flags.upstreamBearer === true,
    headers: (flags.upstreamHeader ?? []).map(parseHeaderFlag),
    caFile: flags.upstreamCa,
    insecure: flags.upstreamInsecure === true,
  };
}
