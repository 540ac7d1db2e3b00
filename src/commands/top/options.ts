import { UsageError } from '../../errors.js';
import { resolveSortColumn, TOP_GROUPINGS, type TopBy } from '../../aggregate/top-view.js';
import { parseChoice, parseDurationMs, parseInteger } from '../parse.js';
import { toTailOptions, type TailFlags, type TailOptionContext, type TailOptions } from '../tail/options.js';
import type { TopOutput } from '../../top/top-sink.js';

/**
 * `hangar-events top`'s flags -> TopOptions. The connection, filter, history
 * and store flags are tail's, checked by tail's own option parsing; top adds
 * the grouping, the sort, the row count and when to print.
 */

export const TOP_OUTPUTS: readonly TopOutput[] = ['table', 'json', 'ndjson'];
/** Off a terminal (or with --once) the table is printed after this long unless --interval says otherwise. */
export const DEFAULT_TOP_INTERVAL_MS = 5000;
/** On a terminal the screen is redrawn this often unless --interval says otherwise. */
export const DEFAULT_TOP_REFRESH_MS = 1000;

export interface TopOptions {
  /** The session as tail runs it (sources, filters, history, store). */
  readonly session: TailOptions;
  readonly by: TopBy;
  readonly sort: string | undefined;
  readonly rows: number | undefined;
  readonly output: TopOutput;
  /** Print once (after the interval, or at the end of the history) even on a terminal. */
  readonly once: boolean;
  /** Given with --interval (else undefined: the defaults above apply). */
  readonly intervalMs: number | undefined;
}

/** The raw flags of `top` (tail's, minus its output ones, plus top's own). */
export interface TopFlags extends Omit<TailFlags, 'output' | 'sort' | 'interval' | 'count' | 'fields' | 'format' | 'time' | 'calls' | 'wide' | 'exec' | 'execConcurrency' | 'bell' | 'record' | 'stats'> {
  by?: string;
  sort?: string;
  rows?: string;
  output?: string;
  once?: boolean;
  interval?: string;
}

const JSON_ALIASES: Readonly<Record<string, TopOutput>> = { json: 'json', ndjson: 'ndjson', jsonl: 'ndjson', table: 'table' };

/** Pure: flags -> TopOptions; a UsageError names the flag for any bad value. */
export async function toTopOptions(urls: readonly string[], flags: TopFlags, context: TailOptionContext): Promise<TopOptions> {
  const by = flags.by === undefined ? 'server' : parseChoice('--by', flags.by, TOP_GROUPINGS);
  const sort = flags.sort === undefined ? undefined : resolveSortColumn(by, flags.sort);
  const rows = flags.rows === undefined ? undefined : parseInteger('-n/--rows', flags.rows, 1);
  const outputName = flags.output?.trim().toLowerCase();
  const output = outputName === undefined ? 'table' : (JSON_ALIASES[outputName] ?? parseChoice('-o/--output', outputName, TOP_OUTPUTS));
  const intervalMs = flags.interval === undefined ? undefined : parseDurationMs('--interval', flags.interval);
  if (intervalMs !== undefined && intervalMs < 100) throw new UsageError(`invalid --interval '${flags.interval}': must be at least 100ms`);
  const { by: _by, sort: _sort, rows: _rows, output: _output, once, interval: _interval, ...tailFlags } = flags;
  // Tail's parsing checks the sources, filters, history and store; its output is top's business.
  const session = await toTailOptions(urls, { ...tailFlags, output: 'ndjson' }, context);
  if (!session.follow && intervalMs !== undefined) {
    throw new UsageError('--interval sets when a followed stream is printed; with --no-follow top prints when the history ends: drop one');
  }
  return { session, by, sort, rows, output, once: once === true, intervalMs };
}
