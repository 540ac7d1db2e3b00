import { stat } from 'node:fs/promises';
import type { Database, Statement } from 'better-sqlite3';
import { loadSqliteDriver, sqliteBinding } from './drivers.js';
import { LineArena, toStoredEvent, type StoredEvent } from './store-event.js';
import { DEFAULT_ROW_LIMITS, inlineBytes, oversizedRow, type RowLimits } from './row-limits.js';
import { StoreError } from '../errors.js';
import type { StoreCursor } from './store-cursor.js';
import type { CompactedStream, StoreBatch, StoreLines, StoreReader } from './store-reader.js';
import { SqliteLineBatches } from './sqlite-lines.js';
import { DEFAULT_BUSY_TIMEOUT_MS, SqliteReadAhead, type ReadAheadTuning } from './sqlite-read-ahead.js';
import { describeCandidates, quoteIdent, REQUIRED_EVENT_COLUMNS, type StoreTables } from './table-names.js';

export interface SqliteStoreOptions {
  /** The file, resolved against the working directory. */
  readonly path: string;
  /** How it was given (`sqlite:data/events.db`), for messages. */
  readonly display: string;
  readonly tables: StoreTables;
  /** How long a read waits for a writer's lock before the store counts as locked. */
  readonly busyTimeoutMs?: number;
  readonly limits?: RowLimits;
  /** Sizes and hooks of the reading on two threads, for tests. */
  readonly readAhead?: ReadAheadTuning;
}

/**
 * A row as an array (the driver's raw mode: no object per row): position,
 * type, data (NULL when larger than a batch takes inline: read on its own),
 * and the row's size in bytes.
 */
type Row = [number, unknown, unknown, number];

/**
 * Opens a gateway's SQLite store read-only (the file must exist; nothing is
 * created, written, migrated or vacuumed) and checks its schema. One writer
 * appends to SQLite, so `global_position` order is commit order and the
 * cursor is the position.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<StoreReader> {
  const { path, display } = options;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new StoreError(`cannot read the SQLite store ${display}: ${path} is not a file; check --store (the gateway keeps its store at data/events.db by default)`);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new StoreError(`no SQLite store at ${display}: ${path} does not exist; check --store (the gateway keeps its store at data/events.db by default, relative to where it runs)`);
    }
    throw new StoreError(`cannot read the SQLite store ${display} (${code ?? 'error'}): check the path and its permissions`);
  }
  const Driver = await loadSqliteDriver();
  let db: Database;
  try {
    const nativeBinding = sqliteBinding();
    db = new Driver(path, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS, ...(nativeBinding !== undefined ? { nativeBinding } : {}) });
  } catch (error) {
    throw sqliteError(error, display, 'open');
  }
  try {
    checkSchema(db, options);
    return new SqliteStoreReader(db, options);
  } catch (error) {
    db.close();
    throw error instanceof StoreError ? error : sqliteError(error, display, 'read the schema of');
  }
}

function checkSchema(db: Database, { display, tables }: SqliteStoreOptions): void {
  const found = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(tables.events);
  if (found === undefined) {
    const candidates = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%events' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    const hint = candidates.length > 0
      ? `; it has ${describeCandidates(candidates)}`
      : tables.prefix !== ''
        ? '; check --store-table-prefix'
        : '; is this the gateway\'s event store (event_store.path in its config)?';
    throw new StoreError(`${display} is an SQLite database without a table '${tables.events}'${hint}`);
  }
  const columns = new Set((db.prepare(`PRAGMA table_info(${quoteIdent(tables.events)})`).all() as { name: string }[]).map((r) => r.name));
  const missing = REQUIRED_EVENT_COLUMNS.filter((c) => !columns.has(c));
  if (missing.length > 0) {
    throw new StoreError(`the table '${tables.events}' in ${display} is not a gateway event store: it lacks ${missing.join(', ')}; check --store and --store-table-prefix`);
  }
}

/** Maps a driver error to what happened and what to check. */
function sqliteError(error: unknown, display: string, doing: string): StoreError {
  const code = String((error as { code?: unknown })?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_NOTADB') return new StoreError(`${display} is not an SQLite database (${message}); check --store`);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreError(
      `the SQLite store ${display} is locked by another process (${code}): a writer holds it exclusively; try again, or check that the gateway uses WAL mode (it does by default)`,
      'locked',
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new StoreError(`cannot open the SQLite store ${display} (${code}): check the path and that its directory and -wal/-shm files are readable`);
  }
  if (code.startsWith('SQLITE_CORRUPT')) return new StoreError(`the SQLite store ${display} is damaged (${code}: ${message}); check the file (sqlite3 ${display.replace(/^sqlite:/, '')} 'PRAGMA integrity_check')`);
  return new StoreError(`cannot ${doing} the SQLite store ${display} (${code || 'error'}: ${message})`);
}

/** Up to this many rows, nthBefore walks them rather than count the table (~12 ms for 200,000 rows). */
const WALK_ROWS = 5000;
/**
 * nthBefore counts the table when it spans fewer than this many positions per row asked: counting an
 * index entry costs about a quarter of walking a row (0.06 against 0.21 us, 200,000 rows, cold).
 */
const SPAN_PER_ROW = 4;

class SqliteStoreReader implements StoreReader {
  readonly display: string;
  private readonly statements = new Map<string, Statement<[number, number], Row>>();
  private readonly one: Statement<[number], [unknown]>;
  private readonly max: Statement<[], { head: number | null }>;
  private readonly firstAtTime: Statement<[number], { global_position: number }>;
  private readonly limits: RowLimits;
  private readonly lines = new LineArena();
  private readonly lineBatches: SqliteLineBatches;
  private readonly readAhead: SqliteReadAhead;
  /** global_position is the table's INTEGER PRIMARY KEY (the gateway's schema): unique integers. */
  private readonly positionIsKey: boolean;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly options: SqliteStoreOptions,
  ) {
    this.display = options.display;
    this.limits = options.limits ?? DEFAULT_ROW_LIMITS;
    const events = quoteIdent(options.tables.events);
    this.max = db.prepare(`SELECT MAX(global_position) AS head FROM ${events}`);
    // json_extract fails on malformed JSON: it is asked only of rows json_valid accepts (SQLite parses the text once for both).
    this.firstAtTime = db.prepare(
      `SELECT global_position FROM ${events} WHERE CASE WHEN json_valid(data) THEN json_type(data, '$.occurred_at') IN ('real', 'integer') AND json_extract(data, '$.occurred_at') >= ? END ORDER BY global_position LIMIT 1`,
    );
    this.one = db.prepare<[number], [unknown]>(`SELECT data FROM ${events} WHERE global_position = ?`).raw(true);
    this.lineBatches = new SqliteLineBatches(db, events);
    this.readAhead = new SqliteReadAhead({
      path: options.path,
      events,
      busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      readOwn: (after, through, inline, sinceSeconds) => this.run('read', () => this.lineBatches.readRange(after, through, inline, sinceSeconds)),
      head: () => this.run('read', () => this.max.get())?.head ?? 0,
      tuning: options.readAhead,
    });
    const keys = (db.prepare(`PRAGMA table_info(${events})`).all() as { name: string; type: string; pk: number }[]).filter((c) => c.pk > 0);
    this.positionIsKey = keys.length === 1 && keys[0]!.name === 'global_position' && keys[0]!.type.toUpperCase() === 'INTEGER';
  }

  /**
   * The batch query: the row's size from the record headers (octet_length reads no data), the
   * type and data only when the row is small enough (the type cut short otherwise, for the report).
   */
  private statement(direction: 'after' | 'before', limit: number): Statement<[number, number], Row> {
    const key = `${direction} ${limit}`;
    let statement = this.statements.get(key);
    if (statement === undefined) {
      const events = quoteIdent(this.options.tables.events);
      const size = 'COALESCE(octet_length(data), 0) + COALESCE(octet_length(event_type), 0)';
      const columns = `global_position, CASE WHEN ${size} <= ${this.limits.maxRowBytes} THEN event_type ELSE substr(event_type, 1, 60) END, CASE WHEN ${size} <= ${inlineBytes(this.limits, limit)} THEN data END, ${size}`;
      const where = direction === 'after' ? 'global_position > ? ORDER BY global_position' : 'global_position <= ? ORDER BY global_position DESC';
      statement = this.db.prepare<[number, number], Row>(`SELECT ${columns} FROM ${events} WHERE ${where} LIMIT ?`).raw(true);
      this.statements.set(key, statement);
    }
    return statement;
  }

  start(): StoreCursor {
    return { engine: 'sqlite', position: 0 };
  }

  async head(): Promise<StoreCursor> {
    const row = this.run('read', () => this.max.get());
    return { engine: 'sqlite', position: row?.head ?? 0 };
  }

  async readAfter(cursor: StoreCursor, limit: number): Promise<StoreBatch> {
    const from = positionOf(cursor);
    const rows = this.run('read', () => this.statement('after', limit).all(from, limit));
    const decoded = this.decodeRows(rows, limit);
    const last = decoded.cut ?? (rows.length > 0 ? rows[rows.length - 1]![0] : from);
    return { events: decoded.events, bad: decoded.bad, cursor: { engine: 'sqlite', position: last }, atHead: decoded.cut === undefined && rows.length < limit };
  }

  async readLinesAfter(cursor: StoreCursor, limit: number, through: StoreCursor | undefined, sinceSeconds?: number): Promise<StoreLines | undefined> {
    const from = positionOf(cursor);
    const to = through === undefined ? Number.MAX_SAFE_INTEGER : positionOf(through);
    // Only rows the row path takes inline and under the limit (a larger one is read alone, or reported).
    const inline = Math.min(inlineBytes(this.limits, limit), this.limits.maxRowBytes);
    // Many rows: read on two threads, batches of `limit` positions (never the head: more may follow).
    const ahead = this.readAhead.read(from, to, limit, inline, sinceSeconds);
    if (ahead !== null) {
      const batch = await ahead;
      return batch === undefined ? undefined : { lines: batch.lines, count: batch.count, cursor: { engine: 'sqlite', position: batch.last }, atHead: false };
    }
    const batch = this.run('read', () => this.lineBatches.read(from, to, limit, inline, sinceSeconds));
    if (batch === undefined) return undefined;
    return { lines: batch.lines, count: batch.count, cursor: { engine: 'sqlite', position: batch.last }, atHead: batch.count < limit };
  }

  async readBefore(cursor: StoreCursor, limit: number): Promise<StoreBatch> {
    const from = positionOf(cursor);
    const rows = this.run('read', () => this.statement('before', limit).all(from, limit));
    const decoded = this.decodeRows(rows, limit);
    const oldest = decoded.cut ?? (rows.length > 0 ? rows[rows.length - 1]![0] - 1 : from);
    return { events: decoded.events, bad: decoded.bad, cursor: { engine: 'sqlite', position: oldest }, atHead: decoded.cut === undefined && rows.length < limit };
  }

  /**
   * Decodes a batch, in its order. A row over the limit is reported; a large one is read on
   * its own, unless the batch already holds its bytes' worth: then the batch ends before it
   * (`cut` is the cursor that resumes at it).
   */
  private decodeRows(rows: readonly Row[], limit: number): { events: StoredEvent[]; bad: string[]; cut: number | undefined } {
    const events: StoredEvent[] = [];
    const bad: string[] = [];
    const { lines, limits } = this;
    const inline = inlineBytes(limits, limit);
    let bytes = 0;
    for (let i = 0; i < rows.length; i++) {
      const [position, type, inlined, size] = rows[i]!;
      if (size > limits.maxRowBytes) {
        bad.push(oversizedRow(String(position), type, size, limits));
        continue;
      }
      let data = inlined;
      if (data === null && size > inline) {
        if (i > 0 && bytes + size > limits.batchBytes) {
          // Resume at this row: after the one before it (reading back: at it, which covers the older ones).
          const previous = rows[i - 1]![0];
          return { events, bad, cut: previous > position ? position : previous };
        }
        data = this.run('read', () => this.one.get(position))?.[0] ?? null;
      }
      bytes += size;
      const decoded = toStoredEvent(type, data, { engine: 'sqlite', position }, lines);
      if (decoded.ok) events.push(decoded.value);
      else bad.push(decoded.error);
    }
    return { events, bad, cut: undefined };
  }

  async nthBefore(cursor: StoreCursor, n: number): Promise<StoreCursor | undefined> {
    const events = quoteIdent(this.options.tables.events);
    const at = positionOf(cursor);
    // No row ever deleted (as many rows as positions from the first to the last, one statement, one
    // snapshot): the n-th newest is a subtraction, not a walk through n rows of data. The count is
    // SQLite's count of the smallest index (the gateway's (stream_id, stream_version) one: ~12 ms cold
    // for 200,000 rows); the first and last are one seek each (asked in one SELECT with the count,
    // min and max would scan the index row by row: ~25 ms more). It is asked only when the table spans
    // at most SPAN_PER_ROW times n positions: in a larger table, walking n rows costs less than
    // counting them all. A few thousand rows are walked sooner than the index is counted.
    const span = !this.positionIsKey || n <= WALK_ROWS ? undefined : this.run('read', () =>
      this.db
        .prepare<[number], { first: number | null; last: number | null; count: number | null }>(
          `SELECT first, last, CASE WHEN last - first < ? THEN (SELECT count(*) FROM ${events}) END AS count
             FROM (SELECT (SELECT min(global_position) FROM ${events}) AS first, (SELECT max(global_position) FROM ${events}) AS last)`,
        )
        .get(n * SPAN_PER_ROW),
    );
    if (span !== undefined && Number.isInteger(span.first) && Number.isInteger(span.last) && span.last! - span.first! + 1 === span.count && at <= span.last!) {
      return at - n + 1 >= span.first! ? { engine: 'sqlite', position: at - n + 1 } : undefined;
    }
    const row = this.run('read', () =>
      this.db.prepare<[number, number], { global_position: number }>(`SELECT global_position FROM ${events} WHERE global_position <= ? ORDER BY global_position DESC LIMIT 1 OFFSET ?`).get(at, n - 1),
    );
    return row === undefined ? undefined : { engine: 'sqlite', position: row.global_position };
  }

  async cursorAtTime(seconds: number): Promise<StoreCursor> {
    const row = this.run('search', () => this.firstAtTime.get(seconds));
    if (row === undefined) return this.head();
    return { engine: 'sqlite', position: row.global_position - 1 };
  }

  async findEvent(eventId: string): Promise<StoreCursor | undefined> {
    const events = quoteIdent(this.options.tables.events);
    const row = this.run('search', () =>
      this.db
        .prepare<[string], { global_position: number }>(`SELECT global_position FROM ${events} WHERE CASE WHEN json_valid(data) THEN json_extract(data, '$.event_id') = ? END ORDER BY global_position DESC LIMIT 1`)
        .get(eventId),
    );
    return row === undefined ? undefined : { engine: 'sqlite', position: row.global_position };
  }

  async compactedStreams(): Promise<CompactedStream[]> {
    const events = quoteIdent(this.options.tables.events);
    // Each stream's first version: with the gateway's index on (stream_id, stream_version), one seek per
    // stream (skipping from one stream to the next) instead of a pass over every row; else by grouping.
    const firsts = this.run('read', () => this.hasStreamIndex())
      ? `WITH RECURSIVE s(id) AS (SELECT (SELECT min(stream_id) FROM ${events})
                                   UNION ALL SELECT (SELECT min(stream_id) FROM ${events} WHERE stream_id > s.id) FROM s WHERE s.id IS NOT NULL),
                        f(stream_id, v) AS (SELECT id, (SELECT min(stream_version) FROM ${events} WHERE stream_id = s.id) FROM s WHERE s.id IS NOT NULL)
         SELECT stream_id, v FROM f WHERE v > 0`
      : `SELECT stream_id, MIN(stream_version) AS v FROM ${events} GROUP BY stream_id HAVING MIN(stream_version) > 0`;
    const rows = this.run('read', () =>
      this.db
        .prepare(
          `SELECT e.stream_id AS stream_id, e.stream_version AS version, CASE WHEN json_valid(e.data) THEN json_extract(e.data, '$.occurred_at') END AS occurred_at
             FROM ${events} e JOIN (${firsts}) f
               ON e.stream_id = f.stream_id AND e.stream_version = f.v
            ORDER BY e.stream_id`,
        )
        .all() as { stream_id: string; version: number; occurred_at: unknown }[],
    );
    return rows.map((r) => ({ streamId: String(r.stream_id), firstVersion: r.version, firstOccurredAt: typeof r.occurred_at === 'number' ? r.occurred_at : undefined }));
  }

  /** Whether an index leads with (stream_id, stream_version), as the gateway's UNIQUE constraint makes one. */
  private hasStreamIndex(): boolean {
    const events = quoteIdent(this.options.tables.events);
    const indexes = this.db.prepare(`PRAGMA index_list(${events})`).all() as { name: string }[];
    return indexes.some((index) => {
      const columns = (this.db.prepare(`PRAGMA index_info(${quoteIdent(index.name)})`).all() as { seqno: number; name: string | null }[]).sort((a, b) => a.seqno - b.seqno);
      return columns[0]?.name === 'stream_id' && columns[1]?.name === 'stream_version';
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.readAhead.close();
    this.db.close();
  }

  private run<T>(doing: string, query: () => T): T {
    try {
      return query();
    } catch (error) {
      throw sqliteError(error, this.display, doing);
    }
  }
}

function positionOf(cursor: StoreCursor): number {
  if (cursor.engine !== 'sqlite') throw new Error('a PostgreSQL cursor was given to the SQLite reader');
  return cursor.position;
}
