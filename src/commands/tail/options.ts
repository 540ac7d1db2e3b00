import { UsageError } from '../../errors.js';
import { parseChoice, parseDurationMs, parseInteger, splitFilterList, splitList } from '../parse.js';
import { DEFAULT_URL, normaliseUrl } from '../../client/url.js';
import { isBareWord } from './bare-words.js';
import { loadConnectionFiles, toConnectionOptions, type ConnectionFlags, type ConnectionOptions } from '../connection-flags.js';
import type { EventFilter } from '../../filter/event-filter.js';
import { unfilteredEventFilter } from '../../filter/unfiltered.js';
import type { ColorMode } from '../../io/color-level.js';
import type { IO } from '../../io/io.js';
import { stripControl } from '../../protocol/sanitize.js';
import type { TailSessionOptions } from '../../tail/run.js';
import { TAIL_CLIENT_HINTS, TAIL_PIPELINE_HINTS } from './flag-hints.js';
import { NDJSON_ALIASES, OUTPUT_MODES, type OutputMode } from '../../tail/sinks/create-sink.js';
import { parseStoreLocation } from '../../store/location.js';
import { storeTables } from '../../store/table-names.js';
import { parseTimeBound, resolveTimeBound } from '../../format/time-window.js';

/** How the pretty line shows the time (the renderer's TimeMode). */
export type TailTimeMode = 'local' | 'utc' | 'iso' | 'relative' | 'none';
export const TIME_MODES: readonly TailTimeMode[] = ['local', 'utc', 'iso', 'relative', 'none'];

/**
 * Every decision the flags make, typed; produced by `toTailOptions` (and
 * `loadTailFiles` for the key and CA files) and consumed by `runTail`. The
 * session fields are compiled (filter, template, request headers); the raw
 * flag values stay for tests and messages.
 */
export interface TailOptions extends TailSessionOptions, ConnectionOptions {
  /** Positionals that are a single word (`github`): checked with the resolver before connecting (see bare-words.ts). */
  readonly bareWords: readonly string[];
  /** -t/--type patterns (flattened). */
  readonly types: readonly string[];
  readonly excludeTypes: readonly string[];
  /** -s/--server ids (flattened): events whose server identity is one of them. */
  readonly servers: readonly string[];
  /** --group ids (flattened): group events whose group_id is one of them. */
  readonly groups: readonly string[];
  /** --where expressions, ANDed. */
  readonly where: readonly string[];
  readonly format: string | undefined;
  /** The pretty line's time mode. */
  readonly time: TailTimeMode;
}

/** The store is read this often unless --store-interval says otherwise. */
export const DEFAULT_STORE_INTERVAL_MS = 1000;

/** -o table off a terminal prints a snapshot this often unless --interval says otherwise. */
export const DEFAULT_TABLE_INTERVAL_MS = 5000;

/** The raw flag values commander hands over (`tail [url...]`). */
export interface TailFlags extends ConnectionFlags {
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
  reconnect?: boolean;
  maxRetries?: string;
  history?: string;
  /** --tail N: kubectl's name for --history N. */
  tail?: string;
  since?: string;
  until?: string;
  follow?: boolean;
  exec?: string;
  execConcurrency?: string;
  wide?: boolean;
  calls?: boolean;
  bell?: boolean;
  count?: string;
  timeout?: string;
  record?: string;
  stats?: boolean;
  quiet?: boolean;
  sort?: string;
  interval?: string;
  store?: string;
  storeTablePrefix?: string;
  storeInterval?: string;
}

/** What the options depend on besides the flags. */
export interface TailOptionContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (default output mode). */
  readonly stdoutIsTTY: boolean;
  /** The wall clock (ms since the epoch), to place --since/--until; needed only when they are given. */
  readonly nowMs?: number;
}

/**
 * Pure: flags and positional URLs -> TailOptions. Throws (rejects with) a
 * UsageError that names the flag for any bad value or combination. What only
 * some flags need (the filters and the event catalog, --format's template,
 * the table's sorts) is loaded when they are given:
 * a tail without them starts without those modules (bench/README.md, issue 24).
 */
export async function toTailOptions(urlArgs: readonly string[], flags: TailFlags, context: TailOptionContext): Promise<TailOptions> {
  const store = flags.store === undefined ? undefined : parseStoreLocation(flags.store);
  if (store === undefined && flags.storeTablePrefix !== undefined) throw new UsageError('--store-table-prefix names the tables of an event store: use it with --store');
  if (store === undefined && flags.storeInterval !== undefined) throw new UsageError('--store-interval sets how often the event store is read: use it with --store');
  if (flags.storeTablePrefix !== undefined) storeTables(flags.storeTablePrefix);
  const storeIntervalMs = flags.storeInterval === undefined ? DEFAULT_STORE_INTERVAL_MS : parseDurationMs('--store-interval', flags.storeInterval);
  if (storeIntervalMs < 100) throw new UsageError(`invalid --store-interval '${flags.storeInterval}': must be at least 100ms`);
  // With --store and no URL the store is the only source: no default gateway is dialled.
  const rawUrls = urlArgs.length > 0 ? urlArgs : store !== undefined ? [] : [nonEmpty(context.env.HANGAR_URL) ?? DEFAULT_URL];
  const urls = [...new Set(rawUrls.map(normaliseUrl))];

  const connection = toConnectionOptions(flags, context.env);

  // --format, --fields and --time shape lines: asking for them asks for lines, in a pipe too
  // (as stern's --template does). Only an explicit -o ndjson or -o table conflicts with them.
  const wantsLines = flags.format !== undefined || flags.fields !== undefined || flags.time !== undefined;
  const output =
    flags.output === undefined
      ? context.stdoutIsTTY || wantsLines
        ? 'pretty'
        : 'ndjson'
      : parseChoice('-o/--output', NDJSON_ALIASES.has(flags.output.trim()) ? 'ndjson' : flags.output, OUTPUT_MODES);
  if (output !== 'table') {
    if (flags.sort !== undefined) throw new UsageError('--sort orders the rows of the live table: use it with -o table');
    if (flags.interval !== undefined) throw new UsageError('--interval sets how often -o table prints a snapshot: use it with -o table');
  } else {
    if (flags.format !== undefined) throw new UsageError('--format shapes pretty lines; it cannot be combined with -o table');
    if (flags.fields !== undefined) throw new UsageError('--fields picks the fields of pretty lines; it cannot be combined with -o table');
    if (flags.time !== undefined) throw new UsageError('--time sets the time column of pretty lines; it cannot be combined with -o table');
  }
  const sort = flags.sort === undefined ? 'problems' : parseChoice('--sort', flags.sort, (await import('../../render/table/sorts.js')).TABLE_SORTS);
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

  if (flags.history !== undefined && flags.tail !== undefined) throw new UsageError('--tail N is another name for --history N: give one of them');
  const history =
    flags.history !== undefined
      ? parseInteger('--history', flags.history, 1, 1_000_000)
      : flags.tail !== undefined
        ? parseInteger('--tail', flags.tail, 1, 1_000_000)
        : undefined;
  const sinceEpochMs = flags.since === undefined ? undefined : resolveBound('--since', flags.since, context, 'past');
  const untilEpochMs = flags.until === undefined ? undefined : resolveBound('--until', flags.until, context, 'future');
  if (history !== undefined && sinceEpochMs !== undefined) throw new UsageError('use either --history or --since, not both (--tail is --history; a server replays one or the other)');
  if (sinceEpochMs !== undefined && sinceEpochMs > context.nowMs!) throw new UsageError(`--since '${flags.since}' is in the future: nothing has happened since then yet`);
  if (sinceEpochMs !== undefined && untilEpochMs !== undefined && untilEpochMs <= sinceEpochMs) {
    throw new UsageError(`--until '${flags.until}' is not after --since '${flags.since}': the window would be empty`);
  }
  if (flags.exec !== undefined && flags.exec.trim() === '') throw new UsageError("empty --exec: give a shell command, e.g. --exec 'notify-send \"$HANGAR_EVENT_TYPE\"'");
  if (flags.exec === undefined && flags.execConcurrency !== undefined) throw new UsageError('--exec-concurrency limits the commands of --exec: use it with --exec');
  const exec =
    flags.exec === undefined
      ? undefined
      : { command: flags.exec, concurrency: flags.execConcurrency === undefined ? DEFAULT_EXEC_CONCURRENCY : parseInteger('--exec-concurrency', flags.execConcurrency, 1, 256) };

  // An --until in the past bounds history only: print the window and end (as --no-follow does).
  const untilPassed = untilEpochMs !== undefined && untilEpochMs <= context.nowMs!;
  const follow = flags.follow !== false && !untilPassed;
  if (!follow && history === undefined && sinceEpochMs === undefined) {
    throw new UsageError(
      untilPassed
        ? `--until '${flags.until}' is already past: add --since <time> (or --history <n>) to print a window of the server's history`
        : '--no-follow prints history and exits: add --history <n>, --tail <n> or --since <time>',
    );
  }
  if (!follow && store !== undefined && urls.length > 0) {
    throw new UsageError('--no-follow with --store prints the window from the store and exits: drop the gateway URL (it is only needed to follow live)');
  }

  const count = flags.count === undefined ? undefined : parseInteger('-n/--count', flags.count, 1);
  const timeoutMs = flags.timeout === undefined ? undefined : parseDurationMs('--timeout', flags.timeout);
  if (timeoutMs !== undefined && timeoutMs <= 0) throw new UsageError(`invalid --timeout '${flags.timeout}': must be longer than 0`);

  // Everything that can be wrong with the filters and the template fails here, before any socket opens.
  // --calls joins the three tool-invocation types itself: it subscribes to them, and only them.
  const calls = flags.calls === true;
  if (calls && output === 'table') throw new UsageError('--calls shows one line per tool call; the live table already counts calls per server: use one or the other');
  if (calls && (flags.type !== undefined || flags.excludeType !== undefined)) {
    throw new UsageError('--calls picks the tool-call events itself (ToolInvocationRequested, Completed, Failed): drop -t/--type and -x/--exclude-type (use -s or --where to narrow)');
  }
  if (calls && (flags.format !== undefined || flags.fields !== undefined)) throw new UsageError('--calls has its own line layout: it cannot be combined with --format or --fields');
  const types = calls ? [...CALL_TYPES] : splitFilterList('--type', flags.type);
  const excludeTypes = splitFilterList('--exclude-type', flags.excludeType);
  const servers = [...new Set(splitFilterList('--server', flags.server))];
  const groups = [...new Set(splitFilterList('--group', flags.group))];
  const where = flags.where ?? [];
  const filtered = types.length + excludeTypes.length + servers.length + groups.length + where.length > 0;
  const filter = filtered
    ? (await import('../../filter/event-filter.js')).compileEventFilter({ types, excludeTypes, servers, groups, where, whereLabel: '--where' })
    : unfilteredEventFilter();
  const template = flags.format !== undefined ? (await import('../../render/template.js')).compileTemplate(flags.format, '--format') : undefined;

  const reconnect = flags.reconnect !== false;
  const maxRetries = flags.maxRetries === undefined ? undefined : parseInteger('--max-retries', flags.maxRetries, 0);
  if (!reconnect && maxRetries !== undefined) throw new UsageError('--max-retries has no effect with --no-reconnect; use one or the other');

  return {
    urls,
    bareWords: urlArgs.filter(isBareWord),
    ...connection,
    types,
    excludeTypes,
    servers,
    groups,
    where,
    filter,
    warnings: filtered ? await filterWarnings(filter) : [],
    hints: { client: TAIL_CLIENT_HINTS, pipeline: TAIL_PIPELINE_HINTS, exec: '--exec' },
    filterDescription: describeFilters({ types, excludeTypes, servers, groups, where }),
    template,
    output,
    fields,
    time: flags.time === undefined ? 'local' : parseChoice('--time', flags.time, TIME_MODES),
    format: flags.format,
    color,
    quiet: flags.quiet === true,
    reconnect,
    maxRetries,
    history,
    sinceEpochMs,
    untilEpochMs,
    exec,
    bell: flags.bell === true,
    wide: flags.wide === true,
    calls,
    follow,
    count,
    timeoutMs,
    record: flags.record,
    stats: flags.stats === true,
    sort,
    intervalMs,
    store,
    storeTablePrefix: flags.storeTablePrefix,
    storeIntervalMs,
  };
}

/** What --calls subscribes to. */
const CALL_TYPES = ['ToolInvocationRequested', 'ToolInvocationCompleted', 'ToolInvocationFailed'] as const;

/** --exec commands running at once unless --exec-concurrency says otherwise. */
export const DEFAULT_EXEC_CONCURRENCY = 4;

/** A --since/--until value as ms since the epoch (durations against the context's clock). */
function resolveBound(flag: string, text: string, context: TailOptionContext, direction: 'past' | 'future'): number {
  const parsed = parseTimeBound(text);
  if (!parsed.ok) throw new UsageError(`invalid ${flag} '${text}': ${parsed.error}`);
  if (context.nowMs === undefined) throw new Error(`${flag} needs the clock (TailOptionContext.nowMs)`);
  return resolveTimeBound(parsed.bound, context.nowMs, direction);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

/** Reads the key and CA files the flags name into the options (see loadConnectionFiles). */
export function loadTailFiles(options: TailOptions, io: Pick<IO, 'cwd'>): Promise<TailOptions> {
  return loadConnectionFiles(options, io);
}

/** `type=A,B* server=math where=...` for banners and the table header. */
export function describeFilters(options: Pick<TailOptions, 'types' | 'excludeTypes' | 'servers' | 'groups' | 'where'>): string {
  const parts: string[] = [];
  if (options.types.length > 0) parts.push(`type=${options.types.join(',')}`);
  if (options.excludeTypes.length > 0) parts.push(`exclude=${options.excludeTypes.join(',')}`);
  if (options.servers.length > 0) parts.push(`server=${options.servers.join(',')}`);
  if (options.groups.length > 0) parts.push(`group=${options.groups.join(',')}`);
  for (const expr of options.where) parts.push(`where ${expr}`);
  return parts.length > 0 ? parts.join(' ') : 'all events';
}

/** What tail says before connecting about the type names it was given (only asked when a filter flag was given). */
async function filterWarnings(filter: EventFilter): Promise<string[]> {
  const warnings: string[] = [];
  const { suggestTypes } = await import('../../filter/type-filter.js');
  for (const name of filter.unknownTypes) {
    const suggestions = suggestTypes(name);
    const hint = suggestions.length > 0 ? ` (did you mean ${suggestions.join(', ')}?)` : '';
    warnings.push(`unknown event type '${stripControl(name)}'${hint}; tailing anyway (see hangar-events types)`);
  }
  for (const { name, reason, current } of filter.neverEmitted) {
    const instead = current !== undefined ? `: a current gateway sends ${current} instead (add it with --type ${current})` : '';
    warnings.push(`a current gateway never emits ${name} (${reason})${instead}; tailing anyway`);
  }
  return warnings;
}
