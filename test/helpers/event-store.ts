import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import type { HangarEvent } from '../../src/protocol/types.js';

/**
 * A writer for real gateway event stores, doing what the gateway does
 * (PROTOCOL.md Part 4): the same DDL (SQLite in WAL mode; PostgreSQL with the
 * xact_id column added and defaulted in separate statements), the same append
 * (stream version bumped in the same transaction), `data` as the gateway's
 * serializer writes it (`_version` first, no `event_type`, Python's
 * separators, non-ASCII kept), and only events that name a stream.
 */

/** The gateway's stream for an event, or undefined when it stores no such event. */

/** The SQLite driver, loaded when a test writes a store (tests that use it declare requireProgram('better-sqlite3')). */
const openDatabase = (path: string): Database.Database => {
  const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return new Driver(path);
};

export function streamIdOf(event: HangarEvent): string | undefined {
  const server = event.mcp_server_id ?? event.mcp_server_name;
  if (typeof server === 'string' && server !== '') return `mcp_server:${server}`;
  if (typeof event.group_id === 'string' && event.group_id !== '') return `group:${event.group_id}`;
  if (typeof event.session_id === 'string' && event.session_id !== '') return `session:${event.session_id}`;
  return undefined;
}

/** `json.dumps(value, ensure_ascii=False)`: spaces after `:` and `,`, non-ASCII as is. */
export function pythonJsonUnicode(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NaN';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonUnicode).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pythonJsonUnicode(v)}`).join(', ')}}`;
}

/** The `data` column for an event: `{"_version": 1, ...fields}` without `event_type`. */
export function storedData(event: HangarEvent): string {
  const { event_type: _type, ...fields } = event;
  return pythonJsonUnicode({ _version: 1, ...fields });
}

export const SQLITE_SCHEMA = (prefix = '') => `
CREATE TABLE IF NOT EXISTS ${prefix}events (
    global_position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT,
    created_at TEXT NOT NULL,
    UNIQUE(stream_id, stream_version)
);
CREATE INDEX IF NOT EXISTS idx_${prefix}events_stream ON ${prefix}events(stream_id, stream_version);
CREATE INDEX IF NOT EXISTS idx_${prefix}events_global ON ${prefix}events(global_position);
CREATE TABLE IF NOT EXISTS ${prefix}streams (
    stream_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL DEFAULT -1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ${prefix}snapshots (
    stream_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    state_data TEXT NOT NULL,
    created_at TEXT NOT NULL
);
`;

/** A gateway's SQLite store: created like the gateway creates it, appended to like the gateway appends. */
export class SqliteGatewayStore {
  readonly db: Database.Database;

  constructor(
    readonly path: string,
    readonly prefix = '',
  ) {
    this.db = openDatabase(path);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SQLITE_SCHEMA(prefix));
  }

  /** Appends the events that name a stream, each in its own write transaction; returns those stored. */
  append(events: readonly HangarEvent[]): HangarEvent[] {
    const stored: HangarEvent[] = [];
    for (const event of events) {
      const stream = streamIdOf(event);
      if (stream === undefined) continue;
      this.appendToStream(stream, [event]);
      stored.push(event);
    }
    return stored;
  }

  /** Appends the events that name a stream in one write transaction (a large history, fast); returns those stored. */
  appendAll(events: readonly HangarEvent[]): HangarEvent[] {
    const stored: HangarEvent[] = [];
    this.db.transaction(() => {
      for (const event of events) {
        const stream = streamIdOf(event);
        if (stream === undefined) continue;
        this.appendRows(stream, [event]);
        stored.push(event);
      }
    })();
    return stored;
  }

  appendToStream(streamId: string, events: readonly HangarEvent[]): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.appendRows(streamId, events);
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** The rows of one append, inside the caller's transaction: the stream's version advanced with them. */
  private appendRows(streamId: string, events: readonly HangarEvent[]): void {
    const p = this.prefix;
    const now = new Date().toISOString().replace('Z', '+00:00');
    const row = this.db.prepare(`SELECT version FROM ${p}streams WHERE stream_id = ?`).get(streamId) as { version: number } | undefined;
    let version = row?.version ?? -1;
    for (const event of events) {
      version++;
      this.db
        .prepare(`INSERT INTO ${p}events (stream_id, stream_version, event_type, data, created_at) VALUES (?, ?, ?, ?, ?)`)
        .run(streamId, version, event.event_type, storedData(event), now);
    }
    if (row === undefined) this.db.prepare(`INSERT INTO ${p}streams (stream_id, version, created_at, updated_at) VALUES (?, ?, ?, ?)`).run(streamId, version, now, now);
    else this.db.prepare(`UPDATE ${p}streams SET version = ?, updated_at = ? WHERE stream_id = ?`).run(version, now, streamId);
  }

  /** Compaction as the gateway does it: a snapshot at `version`, then the events up to it deleted. */
  compact(streamId: string, version: number): void {
    const p = this.prefix;
    const now = new Date().toISOString();
    this.db.prepare(`INSERT OR REPLACE INTO ${p}snapshots (stream_id, version, state_data, created_at) VALUES (?, ?, ?, ?)`).run(streamId, version, '{}', now);
    this.db.prepare(`DELETE FROM ${p}events WHERE stream_id = ? AND stream_version <= ?`).run(streamId, version);
  }

  close(): void {
    this.db.close();
  }
}
