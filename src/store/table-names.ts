import { UsageError } from '../errors.js';

/** The store's table names with the installation's prefix (`<prefix>events`). */
export interface StoreTables {
  readonly prefix: string;
  readonly events: string;
  readonly snapshots: string;
}

/** Columns a reader needs in the events table (Part 4). */
export const REQUIRED_EVENT_COLUMNS = ['global_position', 'stream_id', 'stream_version', 'event_type', 'data'] as const;

/**
 * Validates `--store-table-prefix` (letters, digits, underscore: it becomes
 * part of an SQL identifier) and derives the table names.
 */
export function storeTables(prefix: string | undefined): StoreTables {
  const value = prefix ?? '';
  if (!/^[A-Za-z0-9_]*$/.test(value) || value.length > 48) {
    throw new UsageError(`invalid --store-table-prefix '${value.slice(0, 60)}': letters, digits and _ only (the gateway's table_prefix, e.g. hangar_)`);
  }
  return { prefix: value, events: `${value}events`, snapshots: `${value}snapshots` };
}

/** A double-quoted SQL identifier (the names are validated, this keeps them exact). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `'hangar_events' (--store-table-prefix hangar_)`, `'events' (no prefix: drop --store-table-prefix)`, for "no such table" errors. */
export function describeCandidates(tables: readonly string[]): string {
  return tables
    .map((name) => {
      const prefix = name.slice(0, -'events'.length);
      return prefix === '' ? `'${name}' (no prefix: drop --store-table-prefix)` : `'${name}' (--store-table-prefix ${prefix})`;
    })
    .join(', ');
}
