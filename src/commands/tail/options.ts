import { UsageError } from '../../errors.js';
import { parseChoice, parseDurationMs, parseInteger, splitList } from '../parse.js';
import { parseHeaderFlag } from '../../client/headers.js';
import { DEFAULT_URL, normaliseUrl } from '../../client/url.js';
import type { ColorMode } from '../../io/color.js';
import { TABLE_SORTS, type TableSort } from '../../render/table/render-table.js';
import { OUTPUT_MODES, type OutputMode } from '../../tail/sinks/create-sink.js';

export { OUTPUT_MODES, type OutputMode };

/** How the pretty line shows the time (the renderer's TimeMode). */
export type TailTimeMode = 'local' | 'utc' | 'iso' | 'relative' | 'none';
export const TIME_MODES: readonly TailTimeMode[] = ['local', 'utc', 'iso', 'relative', 'none'];

/** Every decision the flags make, typed; produced by `toTailOptions` and consumed by `runTail`. */
export interface TailOptions {
  /** Normalised ws:// or wss:// URLs, at least one. */
  readonly urls: readonly string[];
  /** The key from -k/--api-key or HANGAR_API_KEY (never printed). */
  readonly apiKey: string | undefined;
  /** A file whose (trimmed) content is the key; read by run. */
  readonly apiKeyFile: string | undefined;
  readonly bearer: boolean;
  readonly headers: readonly (readonly [string, string])[];
  readonly caFile: string | undefined;
  readonly insecure: boolean;
  /** -t/--type patterns (flattened). */
  readonly types: readonly string[];
  readonly excludeTypes: readonly string[];
  /** -s/--server ids (flattened): events whose server identity is one of them. */
  readonly servers: readonly string[];
  /** --group ids (flattened): group events whose group_id is one of them. */
  readonly groups: readonly string[];
  /** --where expressions, ANDed. */
  readonly where: readonly string[];
  readonly output: OutputMode;
  readonly fields: readonly string[] | undefined;
  readonly time: TailTimeMode;
  readonly format: string | undefined;
  readonly color: ColorMode;
  readonly quiet: boolean;
  readonly reconnect: boolean;
  /** Consecutive failed reconnects before giving up; undefined = keep trying. */
  readonly maxRetries: number | undefined;
  /** Ask serve for the last n events first. */
  readonly history: number | undefined;
  /** Ask serve for the events of this many ms before now. */
  readonly sinceMs: number | undefined;
  /** false with --no-follow: print history and exit. */
  readonly follow: boolean;
  readonly count: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly record: string | undefined;
  readonly stats: boolean;
  /** -o table: row order (default problems first, then by name). */
  readonly sort: TableSort;
  /** -o table off a terminal: snapshot period. */
  readonly intervalMs: number;
}

/** -o table off a terminal prints a snapshot this often unless --interval says otherwise. */
export const DEFAULT_TABLE_INTERVAL_MS = 5000;

/** The raw flag values commander hands over (`tail [url...]`). */
export interface TailFlags {
  type?: string[];
  excludeType?: string[];
  server?: string[];
  group?: string[];
  where?: string[];
  output?: string;
  fields?: string;
  time?: string;
  format?: string;
  /** `--color <mode>` gives a string, `--no-color` gives false. */
  color?: string | boolean;
  apiKey?: string;
  apiKeyFile?: string;
  bearer?: boolean;
  header?: string[];
  ca?: string;
  insecure?: boolean;
  reconnect?: boolean;
  maxRetries?: string;
  history?: string;
  since?: string;
  follow?: boolean;
  count?: string;
  timeout?: string;
  record?: string;
  stats?: boolean;
  quiet?: boolean;
  sort?: string;
  interval?: string;
}

/** What the options depend on besides the flags. */
export interface TailOptionContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (default output mode). */
  readonly stdoutIsTTY: boolean;
}

/**
 * Pure: flags and positional URLs -> TailOptions. Throws a UsageError that
 * names the flag for any bad value or combination.
 */
export function toTailOptions(urlArgs: readonly string[], flags: TailFlags, context: TailOptionContext): TailOptions {
  const rawUrls = urlArgs.length > 0 ? urlArgs : [nonEmpty(context.env.HANGAR_URL) ?? DEFAULT_URL];
  const urls = [...new Set(rawUrls.map(normaliseUrl))];

  if (flags.apiKey !== undefined && flags.apiKeyFile !== undefined) {
    throw new UsageError('use either -k/--api-key or --api-key-file, not both');
  }
  if (flags.apiKey !== undefined && flags.apiKey.trim() === '') throw new UsageError('empty -k/--api-key');
  const apiKey = flags.apiKey ?? (flags.apiKeyFile === undefined ? nonEmpty(context.env.HANGAR_API_KEY) : undefined);

  // --format, --fields and --time shape lines: asking for them asks for lines, in a pipe too
  // (as stern's --template does). Only an explicit -o ndjson or -o table conflicts with them.
  const wantsLines = flags.format !== undefined || flags.fields !== undefined || flags.time !== undefined;
  const output =
    flags.output === undefined ? (context.stdoutIsTTY || wantsLines ? 'pretty' : 'ndjson') : parseChoice('-o/--output', flags.output, OUTPUT_MODES);
  if (output !== 'table') {
    if (flags.sort !== undefined) throw new UsageError('--sort orders the rows of the live table: use it with -o table');
    if (flags.interval !== undefined) throw new UsageError('--interval sets how often -o table prints a snapshot: use it with -o table');
  } else {
    if (flags.format !== undefined) throw new UsageError('--format shapes pretty lines; it cannot be combined with -o table');
    if (flags.fields !== undefined) throw new UsageError('--fields picks the fields of pretty lines; it cannot be combined with -o table');
    if (flags.time !== undefined) throw new UsageError('--time sets the time column of pretty lines; it cannot be combined with -o table');
  }
  const sort = flags.sort === undefined ? 'problems' : parseChoice('--sort', flags.sort, TABLE_SORTS);
  const intervalMs = flags.interval === undefined ? DEFAULT_TABLE_INTERVAL_MS : parseDurationMs('--interval', flags.interval);
  if (intervalMs < 100) throw new UsageError(`invalid --interval '${flags.interval}': must be at least 100ms`);

  const color: ColorMode = flags.color === false ? 'never' : flags.color === undefined || flags.color === true ? 'auto' : parseChoice('--color', flags.color, ['auto', 'always', 'never'] as const);

  const fields = flags.fields === undefined ? undefined : splitList([flags.fields]);
  if (fields !== undefined && fields.length === 0) throw new UsageError("empty --fields: expected a comma-separated list such as 'tool_name,duration_ms'");
  if (flags.format !== undefined && flags.format.trim() === '') throw new UsageError("empty --format: expected a template such as '{event_type} {mcp_server_id}'");
  if (output === 'ndjson') {
    if (flags.format !== undefined) throw new UsageError('--format shapes pretty lines; it cannot be combined with -o ndjson (which writes events exactly as received)');
    if (flags.fields !== undefined) throw new UsageError('--fields picks the fields of pretty lines; with -o ndjson use jq to select fields');
    if (flags.time !== undefined) throw new UsageError('--time sets the time column of pretty lines; -o ndjson writes events exactly as received (drop -o ndjson for lines, or convert occurred_at with jq)');
  }

  const history = flags.history === undefined ? undefined : parseInteger('--history', flags.history, 1, 1_000_000);
  const sinceMs = flags.since === undefined ? undefined : parseDurationMs('--since', flags.since);
  if (sinceMs !== undefined && sinceMs <= 0) throw new UsageError(`invalid --since '${flags.since}': must be longer than 0`);
  if (history !== undefined && sinceMs !== undefined) throw new UsageError('use either --history or --since, not both (a server replays one or the other)');
  const follow = flags.follow !== false;
  if (!follow && history === undefined && sinceMs === undefined) {
    throw new UsageError('--no-follow prints history and exits: add --history <n> or --since <duration>');
  }

  const count = flags.count === undefined ? undefined : parseInteger('-n/--count', flags.count, 1);
  const timeoutMs = flags.timeout === undefined ? undefined : parseDurationMs('--timeout', flags.timeout);
  if (timeoutMs !== undefined && timeoutMs <= 0) throw new UsageError(`invalid --timeout '${flags.timeout}': must be longer than 0`);

  const reconnect = flags.reconnect !== false;
  const maxRetries = flags.maxRetries === undefined ? undefined : parseInteger('--max-retries', flags.maxRetries, 0);
  if (!reconnect && maxRetries !== undefined) throw new UsageError('--max-retries has no effect with --no-reconnect; use one or the other');

  return {
    urls,
    apiKey,
    apiKeyFile: flags.apiKeyFile,
    bearer: flags.bearer === true,
    headers: (flags.header ?? []).map(parseHeaderFlag),
    caFile: flags.ca,
    insecure: flags.insecure === true,
    types: splitList(flags.type),
    excludeTypes: splitList(flags.excludeType),
    servers: [...new Set(splitList(flags.server))],
    groups: [...new Set(splitList(flags.group))],
    where: flags.where ?? [],
    output,
    fields,
    time: flags.time === undefined ? 'local' : parseChoice('--time', flags.time, TIME_MODES),
    format: flags.format,
    color,
    quiet: flags.quiet === true,
    reconnect,
    maxRetries,
    history,
    sinceMs,
    follow,
    count,
    timeoutMs,
    record: flags.record,
    stats: flags.stats === true,
    sort,
    intervalMs,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
