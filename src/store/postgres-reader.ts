import { homedir } from 'node:os';
import type pg from 'pg';
import { loadPgDriver } from './drivers.js';
import { lookupPgpass } from './pgpass.js';
import { describePosition, LineArena, toStoredEvent, type StoredEvent } from './store-event.js';
import { DEFAULT_ROW_LIMITS, inlineBytes, oversizedRow, type RowLimits } from './row-limits.js';
import { StoreError } from '../errors.js';
import type { StoreCursor } from './store-cursor.js';
import type { CompactedStream, StoreBatch, StoreLines, StoreReader } from './store-reader.js';
import { StoreLineCheck } from './store-lines.js';
import { describeCandidates, quoteIdent, REQUIRED_EVENT_COLUMNS, type StoreTables } from './table-names.js';

export interface PostgresStoreOptions {
  /** The libpq URL as given (may carry a password: never printed). */
  readonly url: string;
  /** The URL without its password. */
  readonly display: string;
  readonly hasPassword: boolean;
  readonly tables: StoreTables;
  /** PGPASSWORD, PGPASSFILE (the rest of libpq's PG* variables are read by the driver). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly connectTimeoutMs?: number;
  readonly limits?: RowLimits;
}

interface Row {
  xid: string;
  global_position: string;
  event_type: unknown;
  /** NULL when the row is larger than a batch takes inline (read on its own) or than the limit. */
  data: unknown;
  size: number;
}

/**
 * The row's data as text in the gateway's shape, `{"_version": N, ...}`, so that
 * the line is JSONB's own text with `event_type` put in front (no parse, no
 * re-serialisation in JavaScript): JSONB keeps its keys in its own order, and
 * this text is what the byte scanner then checks. Not an object: as it is.
 */
const DATA_TEXT = `CASE WHEN jsonb_typeof(e.data) <> 'object' THEN e.data::text WHEN e.data - '_version' = '{}'::jsonb THEN '{}' ELSE '{"_version": 0, ' || substr((e.data - '_version')::text, 2) END`;

/** Rows without a transaction id predate the column: the oldest possible transaction. */
const XID = `COALESCE(xact_id, '0'::xid8)`;

/**
 * Reads a gateway's PostgreSQL store in read-only transactions. Follows by
 * the transaction watermark, as the gateway's own follower does: rows whose
 * `(xact_id, global_position)` is after the cursor and whose `xact_id` is
 * below `pg_snapshot_xmin(pg_current_snapshot())` (every transaction below it
 * has committed or aborted), so a row that commits late behind a higher
 * position is still read. Resuming by position would lose it.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<StoreReader> {
  const driver = await loadPgDriver();
  const client: pg.Client = new driver.Client({
    connectionString: options.url,
    application_name: 'hangar-events',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  if (!options.hasPassword) {
    // The driver's URL parser sets an empty password over a `password` option, so the
    // lookup (the driver's documented password-function form) is set on the client itself.
    Object.defineProperty(client, 'password', { value: () => passwordFor(client, options.env), writable: true, configurable: true, enumerable: false });
  }
  // A server that goes away between queries must not crash the process; the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw postgresError(error, options, 'connect to');
  }
  try {
    await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
    await checkSchema(client, options);
  } catch (error) {
    await client.end().catch(() => {});
    throw error instanceof StoreError ? error : postgresError(error, options, 'read the schema of');
  }
  return new PostgresStoreReader(client, options);
}

/** The password when the URL has none: PGPASSWORD, then the password file, as libpq. */
async function passwordFor(client: pg.Client, env: Readonly<Record<string, string | undefined>>): Promise<string> {
  if (env.PGPASSWORD !== undefined) return env.PGPASSWORD;
  const params = (client as unknown as { connectionParameters: { host: string; port: number; database: string; user: string } }).connectionParameters;
  const found = await lookupPgpass({ host: params.host, port: String(params.port), database: params.database, user: params.user }, env, env.HOME ?? homedir());
  if (found === undefined) throw new StoreError(NO_PASSWORD);
  return found;
}

const NO_PASSWORD = 'the server asks for a password and none was found: put it in the URL, PGPASSWORD or ~/.pgpass (mode 0600)';

async function checkSchema(client: pg.Client, options: PostgresStoreOptions): Promise<void> {
  const { tables, display } = options;
  const result = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND table_schema = ANY (current_schemas(false))`,
    [tables.events],
  );
  if (result.rows.length === 0) {
    const others = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%events' AND table_schema = ANY (current_schemas(false)) ORDER BY table_name LIMIT 10`,
    );
    const names = others.rows.map((r) => `'${r.table_name}'`);
    const hint = names.length > 0
      ? `; it has ${describeCandidates(others.rows.map((r) => r.table_name))}`
      : tables.prefix !== ''
        ? '; check --store-table-prefix and the database in the URL'
        : "; check the database in the URL (or PGDATABASE): is it the gateway's event store?";
    throw new StoreError(`the PostgreSQL store ${display} has no table '${tables.events}' (or this user cannot see it)${hint}`);
  }
  const columns = new Set(result.rows.map((r) => r.column_name));
  const missing = REQUIRED_EVENT_COLUMNS.filter((c) => !columns.has(c));
  if (missing.length > 0) {
    throw new StoreError(`the table '${tables.events}' in ${display} is not a gateway event store: it lacks ${missing.join(', ')}; check --store and --store-table-prefix`);
  }
  if (!columns.has('xact_id')) {
    throw new StoreError(
      `the table '${tables.events}' in ${display} has no xact_id column, so it cannot be followed without losing events that commit out of order; it is written by a gateway older than the transaction watermark: upgrade the gateway (it adds the column at start)`,
    );
  }
}

function postgresError(error: unknown, options: PostgresStoreOptions, doing: string): StoreError {
  if (error instanceof StoreError) return error;
  const { display } = options;
  const code = String((error as { code?: unknown })?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  const where = `the PostgreSQL store ${display}`;
  if (code === 'ECONNREFUSED') return new StoreError(`cannot ${doing} ${where}: connection refused; check that the server runs and the host and port in --store (or PGHOST/PGPORT)`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new StoreError(`cannot ${doing} ${where}: host not found; check the host in --store (or PGHOST)`);
  if (code === 'ENOENT') return new StoreError(`cannot ${doing} ${where}: no server socket at that path; check the host in --store (or PGHOST)`);
  if (code === '28P01' || /password authentication failed/i.test(message)) {
    return new StoreError(`cannot ${doing} ${where}: the server refused the password (${code || 'auth'}); check the password in the URL, PGPASSWORD or ~/.pgpass`);
  }
  if (code === '28000') return new StoreError(`cannot ${doing} ${where}: the server refused this user or host (28000: ${stripSecrets(message)}); check the user in --store and the server's pg_hba.conf`);
  if (code === '3D000') return new StoreError(`cannot ${doing} ${where}: the database does not exist (3D000); check the database in --store (or PGDATABASE)`);
  if (/password must be a string|no password/i.test(message)) return new StoreError(`cannot ${doing} ${where}: ${NO_PASSWORD}`);
  if (/timeout/i.test(message)) return new StoreError(`cannot ${doing} ${where}: no answer in time (${stripSecrets(message)}); check the host, port and firewall`);
  if (code === '42501') return new StoreError(`cannot ${doing} ${where}: permission denied (42501); grant this user SELECT on the store's tables`);
  if (code === '57P01' || code === '57P02' || code === '57P03' || /Connection terminated|ECONNRESET/i.test(message)) {
    return new StoreError(`lost the connection to ${where} (${code || 'connection closed'}); check that the server is up`);
  }
  return new StoreError(`cannot ${doing} ${where} (${code || 'error'}: ${stripSecrets(message)})`);
}

/** Driver messages name users and hosts, not passwords; this keeps it so if a URL ever appears in one. */
function stripSecrets(message: string): string {
  return message.replace(/(postgres(?:ql)?:\/\/[^/?#@:]*):[^/?#@]*@/gi, '$1:***@').slice(0, 300);
}

class PostgresStoreReader implements StoreReader {
  readonly display: string;
  private readonly events: string;
  private readonly limits: RowLimits;
  private readonly lines = new LineArena();
  private readonly lineCheck = new StoreLineCheck();
  private closed = false;
  /** One query at a time on the connection (the driver's queue is deprecated). */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: pg.Client,
    private readonly options: PostgresStoreOptions,
  ) {
    this.display = options.display;
    this.events = quoteIdent(options.tables.events);
    this.limits = options.limits ?? DEFAULT_ROW_LIMITS;
  }

  start(): StoreCursor {
    return { engine: 'postgres', xid: '0', position: 0 };
  }

  async head(): Promise<StoreCursor> {
    return this.transaction('read', async () => ({ engine: 'postgres', xid: await this.horizon(), position: 0 }));
  }

  async readAfter(cursor: StoreCursor, limit: number): Promise<StoreBatch> {
    const from = pgCursor(cursor);
    return this.transaction('read', async () => {
      const horizon = await this.horizon();
      const rows = await this.rows(
        `(${XID}, global_position) > ($1::xid8, $2) AND ${XID} < $3::xid8 ORDER BY ${XID}, global_position LIMIT $4`,
        [from.xid, from.position, horizon, limit],
        limit,
      );
      const decoded = await this.decodeRows(rows, limit);
      if (decoded.cut !== undefined) return { events: decoded.events, bad: decoded.bad, cursor: decoded.cut, atHead: false };
      const full = rows.length === limit;
      const last = rows[rows.length - 1];
      // Cut short inside a transaction: resume there, or the rest of it would be skipped.
      // Otherwise everything below the horizon is read: resume at it (unless the cursor is already past it).
      const next: StoreCursor =
        full && last
          ? { engine: 'postgres', xid: last.xid, position: Number(last.global_position) }
          : BigInt(horizon) > BigInt(from.xid)
            ? { engine: 'postgres', xid: horizon, position: 0 }
            : { engine: 'postgres', ...from };
      return { events: decoded.events, bad: decoded.bad, cursor: next, atHead: !full };
    });
  }

  /**
   * As the SQLite reader's (sqlite-lines.ts): the server joins the batch's lines (`string_agg`),
   * each the row path's line for a row whose data is an object with more than `_version` (the
   * text readAfter's rows carry, after its `{"_version": 0, `, with `to_json` of the type in
   * front), an empty line for any other row; the byte scanner checks them, and any batch it
   * refuses is the row path's.
   */
  async readLinesAfter(cursor: StoreCursor, limit: number, through: StoreCursor | undefined, sinceSeconds?: number): Promise<StoreLines | undefined> {
    const from = pgCursor(cursor);
    // No bound: the largest xid8 and position (the horizon bounds the read).
    const to = through === undefined ? { xid: '18446744073709551615', position: '9223372036854775807' } : pgCursor(through);
    const inline = Math.min(inlineBytes(this.limits, limit), this.limits.maxRowBytes);
    return this.transaction('read', async () => {
      const { rows } = await this.client.query<{ count: number; xid: string | null; position: string | null; lines: string | null }>(
        `SELECT count(*)::int AS count, (array_agg(x::text ORDER BY x DESC, p DESC))[1] AS xid, (array_agg(p ORDER BY x DESC, p DESC))[1] AS position,
                string_agg(line, '' ORDER BY x, p) AS lines
           FROM (SELECT ${XID} AS x, global_position AS p,
                        CASE WHEN t.size <= ${inline} AND left(t.text, 16) = '{"_version": 0, '
                             THEN '{"event_type": ' || to_json(e.event_type)::text || ', ' || substr(t.text, 17) || E'\\n' ELSE E'\\n' END AS line
                   FROM ${this.events} e CROSS JOIN LATERAL (
                          SELECT x.text, COALESCE(octet_length(x.text), 0) + COALESCE(octet_length(e.event_type), 0) AS size
                            FROM (SELECT ${DATA_TEXT} AS text OFFSET 0) x) t
                  WHERE (${XID}, global_position) > ($1::xid8, $2) AND (${XID}, global_position) <= ($3::xid8, $4) AND ${XID} < $5::xid8
                  ORDER BY ${XID}, global_position LIMIT $6) b`,
        [from.xid, from.position, to.xid, to.position, await this.horizon(), limit],
      );
      const { count, xid, position, lines } = rows[0]!;
      if (count === 0 || xid === null || position === null || lines === null) return { lines: Buffer.alloc(0), count: 0, cursor: { engine: 'postgres', ...from }, atHead: true };
      const bytes = Buffer.from(lines);
      if (!this.lineCheck.accepts(bytes, count, sinceSeconds)) return undefined;
      return { lines: bytes, count, cursor: { engine: 'postgres', xid, position: Number(position) }, atHead: count < limit };
    });
  }

  async readBefore(cursor: StoreCursor, limit: number): Promise<StoreBatch> {
    const from = pgCursor(cursor);
    return this.transaction('read', async () => {
      const rows = await this.rows(`(${XID}, global_position) <= ($1::xid8, $2) ORDER BY ${XID} DESC, global_position DESC LIMIT $3`, [from.xid, from.position, limit], limit);
      const decoded = await this.decodeRows(rows, limit);
      if (decoded.cut !== undefined) return { events: decoded.events, bad: decoded.bad, cursor: decoded.cut, atHead: false };
      const oldest = rows[rows.length - 1];
      const next: StoreCursor = oldest ? { engine: 'postgres', xid: oldest.xid, position: Number(oldest.global_position) - 1 } : { engine: 'postgres', ...from };
      return { events: decoded.events, bad: decoded.bad, cursor: next, atHead: rows.length < limit };
    });
  }

  /**
   * A batch of rows: each one's size (its text, computed once), its data only when it is
   * small enough to come with the batch.
   */
  private async rows(where: string, values: unknown[], limit: number): Promise<Row[]> {
    const { maxRowBytes } = this.limits;
    const inline = inlineBytes(this.limits, limit);
    // The data's text is made once per row (the fence, OFFSET 0, keeps it from being inlined twice).
    const { rows } = await this.client.query<Row>(
      `SELECT ${XID}::text AS xid, global_position,
              CASE WHEN t.size <= ${maxRowBytes} THEN event_type ELSE left(event_type, 60) END AS event_type,
              CASE WHEN t.size <= ${inline} THEN t.text END AS data, t.size
         FROM ${this.events} e CROSS JOIN LATERAL (
                SELECT x.text, COALESCE(octet_length(x.text), 0) + COALESCE(octet_length(e.event_type), 0) AS size
                  FROM (SELECT ${DATA_TEXT} AS text OFFSET 0) x) t
        WHERE ${where}`,
      values,
    );
    return rows;
  }

  /** As the SQLite reader's: rows over the limit reported, large ones read one at a time within the batch's bytes. */
  private async decodeRows(rows: readonly Row[], limit: number): Promise<{ events: StoredEvent[]; bad: string[]; cut: StoreCursor | undefined }> {
    const events: StoredEvent[] = [];
    const bad: string[] = [];
    const inline = inlineBytes(this.limits, limit);
    let bytes = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const cursor: StoreCursor = { engine: 'postgres', xid: row.xid, position: Number(row.global_position) };
      const size = Number(row.size);
      if (size > this.limits.maxRowBytes) {
        bad.push(oversizedRow(describePosition(cursor), row.event_type, size, this.limits));
        continue;
      }
      let data = row.data;
      if (data === null && size > inline) {
        if (i > 0 && bytes + size > this.limits.batchBytes) {
          const previous = rows[i - 1]!;
          const previousCursor: StoreCursor = { engine: 'postgres', xid: previous.xid, position: Number(previous.global_position) };
          // Resume at this row: after the one before it (reading back: just above this one).
          const backwards = BigInt(previous.xid) > BigInt(row.xid) || (previous.xid === row.xid && Number(previous.global_position) > cursor.position);
          return { events, bad, cut: backwards ? cursor : previousCursor };
        }
        const single = await this.client.query<{ data: unknown }>(`SELECT ${DATA_TEXT} AS data FROM ${this.events} e WHERE global_position = $1`, [row.global_position]);
        data = single.rows[0]?.data ?? null;
      }
      bytes += size;
      const decoded = toStoredEvent(row.event_type, data, cursor, this.lines);
      if (decoded.ok) events.push(decoded.value);
      else bad.push(decoded.error);
    }
    return { events, bad, cut: undefined };
  }

  async nthBefore(cursor: StoreCursor, n: number): Promise<StoreCursor | undefined> {
    const from = pgCursor(cursor);
    const row = await this.transaction('read', async () => {
      const { rows } = await this.client.query<{ xid: string; global_position: string }>(
        `SELECT ${XID}::text AS xid, global_position FROM ${this.events}
          WHERE (${XID}, global_position) <= ($1::xid8, $2)
          ORDER BY ${XID} DESC, global_position DESC LIMIT 1 OFFSET $3`,
        [from.xid, from.position, n - 1],
      );
      return rows[0];
    });
    return row === undefined ? undefined : { engine: 'postgres', xid: row.xid, position: Number(row.global_position) };
  }

  async cursorAtTime(seconds: number): Promise<StoreCursor> {
    const row = await this.transaction('search', async () => {
      const { rows } = await this.client.query<{ xid: string; global_position: string }>(
        `SELECT ${XID}::text AS xid, global_position FROM ${this.events}
          WHERE jsonb_typeof(data -> 'occurred_at') = 'number' AND (data ->> 'occurred_at')::float8 >= $1
          ORDER BY ${XID}, global_position LIMIT 1`,
        [seconds],
      );
      return rows[0];
    });
    if (row === undefined) return this.head();
    return { engine: 'postgres', xid: row.xid, position: Number(row.global_position) - 1 };
  }

  async findEvent(eventId: string): Promise<StoreCursor | undefined> {
    const row = await this.transaction('search', async () => {
      const { rows } = await this.client.query<{ xid: string; global_position: string }>(
        `SELECT ${XID}::text AS xid, global_position FROM ${this.events}
          WHERE data ->> 'event_id' = $1 AND ${XID} < $2::xid8
          ORDER BY ${XID} DESC, global_position DESC LIMIT 1`,
        [eventId, await this.horizon()],
      );
      return rows[0];
    });
    return row === undefined ? undefined : { engine: 'postgres', xid: row.xid, position: Number(row.global_position) };
  }

  async compactedStreams(): Promise<CompactedStream[]> {
    return this.transaction('read', async () => {
      const { rows } = await this.client.query<{ stream_id: string; version: number; occurred_at: number | null }>(
        `SELECT e.stream_id, e.stream_version AS version,
                CASE WHEN jsonb_typeof(e.data -> 'occurred_at') = 'number' THEN (e.data ->> 'occurred_at')::float8 END AS occurred_at
           FROM ${this.events} e JOIN (SELECT stream_id, MIN(stream_version) AS v FROM ${this.events} GROUP BY stream_id HAVING MIN(stream_version) > 0) f
             ON e.stream_id = f.stream_id AND e.stream_version = f.v
          ORDER BY e.stream_id`,
      );
      return rows.map((r) => ({ streamId: r.stream_id, firstVersion: Number(r.version), firstOccurredAt: r.occurred_at ?? undefined }));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain.catch(() => {});
    await this.client.end().catch(() => {});
  }

  private async horizon(): Promise<string> {
    const { rows } = await this.client.query<{ horizon: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon');
    return rows[0]!.horizon;
  }

  /** Runs `work` inside one READ ONLY transaction, serialised with every other read. */
  private transaction<T>(doing: string, work: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new StoreError(`the PostgreSQL store ${this.display} is closed`);
      try {
        await this.client.query('BEGIN TRANSACTION READ ONLY');
        const result = await work();
        await this.client.query('COMMIT');
        return result;
      } catch (error) {
        await this.client.query('ROLLBACK').catch(() => {});
        throw postgresError(error, this.options, doing);
      }
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => {});
    return next;
  }
}

function pgCursor(cursor: StoreCursor): { xid: string; position: number } {
  if (cursor.engine !== 'postgres') throw new Error('an SQLite cursor was given to the PostgreSQL reader');
  return cursor;
}
