import { formatAgo, formatDurationCompact } from '../../format/duration.js';
import type { ColorScheme } from '../../io/color-level.js';
import type { CellValue, TopColumn, TopRow, TopView } from '../../aggregate/top-view.js';
import { NAMES_LIMIT } from '../../aggregate/top-view.js';

/**
 * How a top cell reads on a terminal and as data. Peer strings were
 * sanitized by the aggregates; here they are only laid out.
 */

const DASH = '-';

function formatCount(n: number): string {
  if (n < 1_000_000) return String(n);
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  return `${(n / 1_000_000_000).toFixed(1)}G`;
}

function formatPercent(ratio: number): string {
  return ratio >= 1 ? '100%' : `${(ratio * 100).toFixed(1)}%`;
}

function formatNames(names: readonly string[]): string {
  if (names.length === 0) return DASH;
  const shown = names.slice(0, 3).join(',');
  const more = names.length - 3;
  return more > 0 ? `${shown} +${more}${names.length >= NAMES_LIMIT ? '+' : ''}` : shown;
}

/** The cell as text (no color): `asOfMs` turns times into ages. */
export function cellText(column: TopColumn, value: CellValue, asOfMs: number): string {
  if (value === null) return DASH;
  if (Array.isArray(value)) return formatNames(value);
  if (typeof value === 'string') return value === '' ? DASH : value;
  switch (column.kind) {
    case 'count':
      return formatCount(value as number);
    case 'rate':
      return (value as number).toFixed(1);
    case 'percent':
      return formatPercent(value as number);
    case 'ms':
      return formatDurationCompact(value as number);
    case 'time':
      return `${formatAgo(Math.max(0, asOfMs - (value as number)))} ago`;
    default:
      return String(value);
  }
}

/** The color a cell gets: failures red, a nonzero error rate yellow (red from 10%), missing values dim. */
export function cellPaint(column: TopColumn, value: CellValue, colors: ColorScheme): ((text: string) => string) | undefined {
  if (value === null || (Array.isArray(value) && value.length === 0)) return colors.dim;
  if (column.id === 'failed' && typeof value === 'number' && value > 0) return colors.failure;
  if (column.id === 'error_rate' && typeof value === 'number') return value >= 0.1 ? colors.failure : value > 0 ? colors.warning : undefined;
  if ((column.id === 'last_error_type' || column.id === 'last_problem' || column.id === 'error_type') && typeof value === 'string') return colors.failure;
  if (column.id === 'state' && typeof value === 'string') {
    if (value === 'ready') return colors.success;
    if (value === 'dead') return colors.failure;
    if (value === 'degraded') return colors.warning;
    if (value === 'cold') return colors.dim;
  }
  return undefined;
}

/** Whether a column is right-aligned (figures). */
export function isFigure(column: TopColumn): boolean {
  return column.kind !== 'text' && column.kind !== 'names';
}

/** One row as data: the column ids as keys, times as ISO 8601 (UTC), names as arrays, null for no value. */
export function rowAsJson(view: Pick<TopView, 'columns'>, row: TopRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of view.columns) {
    const value = row[column.id] ?? null;
    if (value !== null && column.kind === 'time' && typeof value === 'number') out[column.id] = new Date(value).toISOString();
    else if (value !== null && column.kind === 'percent' && typeof value === 'number') out[column.id] = Math.round(value * 10000) / 10000;
    else if (value !== null && column.kind === 'ms' && typeof value === 'number') out[column.id] = Math.round(value * 10) / 10;
    else out[column.id] = value;
  }
  return out;
}
