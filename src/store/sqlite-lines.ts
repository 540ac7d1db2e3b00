import type { Database, Statement } from 'better-sqlite3';
import { StoreLineAssembler } from './store-lines.js';

/**
 * A batch of SQLite rows as their NDJSON lines: one aggregate over a range of
 * positions returns the batch's event_types joined by 0 bytes and its datas
 * likewise (`group_concat`, no other function per row: SQLite's per-row
 * functions were most of a backfill's reading, bench/README.md, issue 24,
 * round five), so JavaScript holds two Buffers per batch instead of a string,
 * an array and a line per row. StoreLineAssembler makes the lines the row
 * path (store-event.ts, toStoredEvent) makes, byte for byte, and checks them
 * (in WebAssembly where there is WebAssembly): a batch holding any row the row
 * path reports or re-serialises is the row path's (undefined), so malformed
 * rows are reported as before and never printed.
 *
 * SQL marks only what the joined bytes cannot show: an event_type that is not
 * text (an integer or a BLOB would join as text), and a row larger than a
 * batch takes inline (its bytes never leave SQLite). A database in UTF-16
 * gets no lines (the joined text is not the rows' UTF-8).
 */

export interface SqliteLines {
  /** The rows' lines, each ending in a line feed; valid until the next read. */
  readonly lines: Buffer;
  readonly count: number;
  /** The last row's position. */
  readonly last: number;
}

/** [rows, last position, the types joined, the datas joined]. */
type PiecesRow = [number, number | null, Buffer | null, Buffer | null];

/** The batch's statement: the rows in (after, the `limit`-th row after it, or `through`] as their pieces (PiecesRow). */
type PiecesStatement = Statement<[number, number, number, number, number], PiecesRow>;
/** The rows at positions in (after, through] as their pieces. */
type RangeStatement = Statement<[number, number], PiecesRow>;

export class SqliteLineBatches {
  private readonly statements = new Map<string, PiecesStatement | RangeStatement | null>();
  private readonly assembler = new StoreLineAssembler();
  private utf8: boolean | undefined;

  constructor(
    private readonly db: Database,
    private readonly events: string,
  ) {}

  /**
   * Up to `limit` rows after position `after` and at or before `through`, as lines; undefined
   * when the batch is the row path's (see above). `inline`: the largest row (data and type, in
   * bytes) a batch of `limit` takes inline. `sinceSeconds`: see StoreLineAssembler.
   */
  read(after: number, through: number, limit: number, inline: number, sinceSeconds?: number): SqliteLines | undefined {
    const statement = this.statementFor(inline, 'rows');
    if (statement === null) return undefined;
    // One statement, one snapshot: the batch's end (a scalar subquery, run once), then its rows.
    return this.made(statement.get(after, after, through, limit - 1, through)!, after, inline, sinceSeconds);
  }

  /**
   * The rows at positions in (after, through], as lines (a batch of at most as many rows as
   * positions, each within `inline` bytes); undefined when the batch is the row path's. The batch
   * ends at `through` whether or not a row is there (`last`).
   */
  readRange(after: number, through: number, inline: number, sinceSeconds?: number): SqliteLines | undefined {
    const statement = this.statementFor(inline, 'range');
    if (statement === null) return undefined;
    const made = this.made(statement.get(after, through)!, after, inline, sinceSeconds);
    return made === undefined ? undefined : { lines: made.lines, count: made.count, last: through };
  }

  private made([count, last, types, datas]: PiecesRow, after: number, inline: number, sinceSeconds: number | undefined): SqliteLines | undefined {
    if (count === 0 || last === null) return { lines: Buffer.alloc(0), count: 0, last: after };
    if (types === null || datas === null) return undefined;
    const made = this.assembler.assemble(types, datas, count, inline, sinceSeconds);
    return made === undefined ? undefined : { lines: made.lines, count, last };
  }

  /** The batch's statement for rows up to `inline` bytes; null when this SQLite or database cannot give lines (the row path then reads every batch). */
  private statementFor(inline: number, kind: 'rows'): PiecesStatement | null;
  private statementFor(inline: number, kind: 'range'): RangeStatement | null;
  private statementFor(inline: number, kind: 'rows' | 'range'): PiecesStatement | RangeStatement | null {
    const key = `${kind} ${inline}`;
    let statement = this.statements.get(key);
    if (statement === undefined) {
      const events = this.events;
      try {
        this.utf8 ??= String(this.db.pragma('encoding', { simple: true })).toUpperCase() === 'UTF-8';
        // No piece is NULL (group_concat would skip it and the pieces would shift): a type that is
        // not text, or larger than a row may be, is char(1) (no type: the batch is the row path's);
        // data that is NULL or larger is empty (no prefix: likewise), so its bytes never leave SQLite.
        const end = kind === 'rows' ? `coalesce((SELECT global_position FROM ${events} WHERE global_position > ? AND global_position <= ? ORDER BY global_position LIMIT 1 OFFSET ?), ?)` : '?';
        statement = !this.utf8
          ? null
          : this.db
              .prepare<number[], PiecesRow>(
                `SELECT count(*), max(global_position), ` +
                  `CAST(group_concat(CASE WHEN typeof(event_type) = 'text' AND octet_length(event_type) <= ${inline} THEN event_type ELSE char(1) END, char(0)) AS BLOB), ` +
                  `CAST(group_concat(CASE WHEN octet_length(data) <= ${inline} THEN data ELSE '' END, char(0)) AS BLOB) ` +
                  `FROM ${events} WHERE global_position > ? AND global_position <= ${end}`,
              )
              .raw(true);
      } catch {
        statement = null;
      }
      this.statements.set(key, statement);
    }
    return statement;
  }
}
