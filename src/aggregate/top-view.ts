import { UsageError } from '../errors.js';
import type { Aggregates } from './aggregates.js';
import { callsPerSecond, failureRatio, percentileMs, type CallStats } from './call-stats.js';
import { MAX_NAMES } from './aggregates.js';

/**
 * The aggregates as a table of typed cells: the one shape `top`'s outputs
 * (cli-table3, JSON, NDJSON, the redrawn screen) and the console's views are
 * rendered from. Pure: state + grouping + sort -> columns and rows.
 */

/** What `top --by` groups by. */
export const TOP_GROUPINGS = ['server', 'tool', 'caller', 'tenant', 'error_type'] as const;
export type TopBy = (typeof TOP_GROUPINGS)[number];

/** How a cell is shown: text, a whole count, per second, a ratio as percent, a duration in ms, a time (shown as an age). */
export type CellKind = 'text' | 'count' | 'rate' | 'percent' | 'ms' | 'time' | 'names';

export interface TopColumn {
  /** The JSON key and the --sort name. */
  readonly id: string;
  readonly header: string;
  readonly kind: CellKind;
}

/** A cell: text, a number, names (servers used), or null for "no value yet". */
export type CellValue = string | number | readonly string[] | null;
/** A row: its cells by column id, and `_key`, the group it is (not a column: never printed). */
export type TopRow = Readonly<Record<string, CellValue>>;

export interface TopView {
  readonly by: TopBy;
  readonly columns: readonly TopColumn[];
  readonly rows: readonly TopRow[];
  /** Groups beyond the capacity: their events are counted, they have no row. */
  readonly overflow: number;
  /** The column rows are ordered by, and whether largest first. */
  readonly sort: string;
  readonly descending: boolean;
}

const col = (id: string, header: string, kind: CellKind): TopColumn => ({ id, header, kind });

const CALL_COLUMNS = [
  col('calls', 'CALLS', 'count'),
  col('calls_per_s', 'CALLS/S', 'rate'),
  col('failed', 'FAIL', 'count'),
  col('error_rate', 'ERR%', 'percent'),
  col('p50_ms', 'P50', 'ms'),
  col('p95_ms', 'P95', 'ms'),
];

/** The columns of each grouping, in display order. */
export const TOP_COLUMNS: Readonly<Record<TopBy, readonly TopColumn[]>> = {
  server: [col('server', 'SERVER', 'text'), col('state', 'STATE', 'text'), ...CALL_COLUMNS, col('last_error_type', 'LAST ERROR', 'text'), col('last_event', 'LAST EVENT', 'text'), col('last_seen', 'SEEN', 'time')],
  tool: [col('server', 'SERVER', 'text'), col('tool', 'TOOL', 'text'), ...CALL_COLUMNS, col('last_error_type', 'LAST ERROR', 'text')],
  caller: [
    col('caller', 'CALLER', 'text'),
    col('agent', 'AGENT', 'text'),
    col('principal_type', 'TYPE', 'text'),
    col('tenant', 'TENANT', 'text'),
    col('calls', 'CALLS', 'count'),
    col('failed', 'FAIL', 'count'),
    col('error_rate', 'ERR%', 'percent'),
    col('servers', 'SERVERS', 'names'),
    col('last_problem', 'LAST DENIED/FAILED', 'text'),
    col('last_seen', 'SEEN', 'time'),
  ],
  tenant: [
    col('tenant', 'TENANT', 'text'),
    ...CALL_COLUMNS.slice(0, 4),
    col('callers', 'CALLERS', 'count'),
    col('servers', 'SERVERS', 'count'),
    col('events', 'EVENTS', 'count'),
    col('last_problem', 'LAST DENIED/FAILED', 'text'),
  ],
  error_type: [
    col('error_type', 'ERROR TYPE', 'text'),
    col('server', 'SERVER', 'text'),
    col('count', 'COUNT', 'count'),
    col('share', 'SHARE', 'percent'),
    col('last_message', 'LAST MESSAGE', 'text'),
    col('first_seen', 'FIRST', 'time'),
    col('last_seen', 'LAST', 'time'),
  ],
};

/** The order rows come in unless --sort says otherwise. */
export const DEFAULT_SORT: Readonly<Record<TopBy, string>> = { server: 'calls', tool: 'calls', caller: 'calls', tenant: 'calls', error_type: 'count' };

/** The --sort names of a grouping (its column ids). */
export function sortNames(by: TopBy): string[] {
  return TOP_COLUMNS[by].map((column) => column.id);
}

/**
 * A --sort value as a column id of `by`: its id (`error_rate`) or its header
 * (`ERR%`, `calls/s`), any case. Throws a UsageError listing the choices.
 */
export function resolveSortColumn(by: TopBy, name: string, flag = '--sort'): string {
  const wanted = name.trim().toLowerCase();
  const column = TOP_COLUMNS[by].find((c) => c.id === wanted || c.header.toLowerCase() === wanted);
  if (column === undefined) throw new UsageError(`invalid ${flag} '${name}' for --by ${by}: expected one of ${sortNames(by).join(', ')}`);
  return column.id;
}

function callCells(stats: CallStats, asOfMs: number, sinceMs: number): Record<string, CellValue> {
  return {
    calls: stats.calls,
    calls_per_s: Math.round(callsPerSecond(stats, asOfMs, sinceMs) * 100) / 100,
    failed: stats.failed,
    error_rate: failureRatio(stats) ?? null,
    p50_ms: percentileMs(stats, 0.5) ?? null,
    p95_ms: percentileMs(stats, 0.95) ?? null,
  };
}

function namesCount(names: readonly string[]): number {
  return names.length;
}

/** The rows of one grouping, unsorted, in order of first appearance. */
function rowsOf(state: Aggregates, by: TopBy, asOfMs: number): { rows: TopRow[]; overflow: number } {
  const since = state.firstAtMs ?? asOfMs;
  switch (by) {
    case 'server':
      return {
        overflow: state.servers.overflow,
        rows: state.servers.rows.map((row) => ({
          _key: row.server,
          server: row.server,
          state: row.state ?? null,
          ...callCells(row.stats, asOfMs, since),
          last_error_type: row.stats.lastErrorType ?? null,
          last_event: row.lastEventType,
          last_seen: row.lastEventAtMs,
        })),
      };
    case 'tool':
      return {
        overflow: state.tools.overflow,
        rows: state.tools.rows.map((row) => ({ _key: `${row.server}\u0000${row.tool}`, server: row.server, tool: row.tool, ...callCells(row.stats, asOfMs, since), last_error_type: row.stats.lastErrorType ?? null })),
      };
    case 'caller':
      return {
        overflow: state.callers.overflow,
        rows: state.callers.rows.map((row) => ({
          _key: row.caller.key,
          caller: row.caller.id,
          agent: row.caller.agent || null,
          principal_type: row.caller.principalType,
          tenant: row.caller.tenant || null,
          calls: row.stats.calls,
          failed: row.stats.failed,
          error_rate: failureRatio(row.stats) ?? null,
          servers: row.servers,
          last_problem: row.lastProblem || null,
          last_seen: row.lastSeenAtMs,
        })),
      };
    case 'tenant':
      return {
        overflow: state.tenants.overflow,
        rows: state.tenants.rows.map((row) => {
          const { calls, calls_per_s, failed, error_rate } = callCells(row.stats, asOfMs, since);
          return {
            _key: row.tenant,
            tenant: row.tenant || '(none)',
            calls: calls!,
            calls_per_s: calls_per_s!,
            failed: failed!,
            error_rate: error_rate!,
            callers: namesCount(row.callers),
            servers: namesCount(row.servers),
            events: row.events,
            last_problem: row.lastProblem || null,
          };
        }),
      };
    case 'error_type':
      return {
        overflow: state.errors.overflow,
        rows: state.errors.rows.map((row) => ({
          _key: `${row.errorType}\u0000${row.server}`,
          error_type: row.errorType,
          server: row.server,
          count: row.count,
          share: state.errorTotal === 0 ? 0 : row.count / state.errorTotal,
          last_message: row.lastMessage || null,
          first_seen: row.firstSeenAtMs,
          last_seen: row.lastSeenAtMs,
        })),
      };
  }
}

function compareCells(a: CellValue, b: CellValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = Array.isArray(a) ? a.length : String(a);
  const y = Array.isArray(b) ? b.length : String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface TopViewOptions {
  /** The time rates and ages are taken at (now when live, the last event over history). */
  readonly asOfMs: number;
  /** A column id (resolveSortColumn); default DEFAULT_SORT[by]. */
  readonly sort?: string | undefined;
  /** Reverse the column's natural order (largest first for figures, A-Z for text). */
  readonly reverse?: boolean | undefined;
}

/**
 * The table of one grouping: rows sorted by the column (figures largest
 * first, text A to Z, a missing value last; ties by the text columns in
 * order), or reversed.
 */
export function topView(state: Aggregates, by: TopBy, options: TopViewOptions): TopView {
  const columns = TOP_COLUMNS[by];
  const sort = options.sort ?? DEFAULT_SORT[by];
  const column = columns.find((c) => c.id === sort) ?? columns.find((c) => c.id === DEFAULT_SORT[by])!;
  const descending = (column.kind !== 'text') !== (options.reverse === true);
  const { rows, overflow } = rowsOf(state, by, options.asOfMs);
  const textColumns = columns.filter((c) => c.kind === 'text').map((c) => c.id);
  const ordered = rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => {
      const primary = compareCells(a.row[column.id]!, b.row[column.id]!);
      if (primary !== 0) {
        // A missing value sorts last whichever the direction.
        if (a.row[column.id] === null) return 1;
        if (b.row[column.id] === null) return -1;
        return descending ? -primary : primary;
      }
      for (const id of textColumns) {
        const tie = compareCells(a.row[id]!, b.row[id]!);
        if (tie !== 0) return tie;
      }
      return a.i - b.i;
    })
    .map(({ row }) => row);
  return { by, columns, rows: ordered, overflow, sort: column.id, descending };
}

/** Distinct names kept per row; a row at the limit may have seen more. */
export const NAMES_LIMIT = MAX_NAMES;
