import type { Database, Statement } from 'better-sqlite3';
import { StoreLineCheck } from './store-lines.js';

/**
 * A batch of SQLite rows as their NDJSON lines, made by SQLite: one aggregate
 * over a range of positions whose one result is every row's line already
 * joined (`group_concat`), so JavaScript holds one Buffer per batch instead of
 * a string, an array and a line per row (better-sqlite3's per-row cost was most
 * of a backfill's time: bench/README.md, issue 24, round four). The line is the
 * one the row path (store-event.ts, toStoredEvent) makes, byte for byte:
 * `{"event_type": ` + the type as JSON (`json_quote` writes it as
 * JSON.stringify does) + `, ` + the stored text after `{"_version": N, ` + a
 * line feed.
 *
 * SQLite writes a row's line only when the row is plainly in the gateway's
 * shape: a text event_type, data starting `{"_version": D, ` (one digit, one
 * space, then neither a space nor `}`), and the row small enough to come
 * inline; any other row gets an empty line. The whole batch is then the row
 * path's when any line is not a plain event frame for the byte scanner (an
 * empty line, invalid JSON, a second or escaped `event_type`, an escaped key,
 * deep nesting, a line break inside a row: the lines no longer match the rows)
 * or when the batch holds the text `"_version"` anywhere after the prefixes
 * (the row path drops a second `_version`). So a row the row path reports or
 * re-serialises is never in a batch of lines, and malformed rows are reported
 * as before.
 */

export interface SqliteLines {
  /** The rows' lines, each ending in a line feed. */
  readonly lines: Buffer;
  readonly count: number;
  /** The last row's position. */
  readonly last: number;
}

type LinesRow = [number, number | null, Buffer | null];

interface Statements {
  /** The position of the `limit`-th row after `after` (at or before `through`): where the batch ends. */
  readonly end: Statement<[number, number, number], number | undefined>;
  /** The rows in (after, end] as [count, last position, the lines joined]. */
  readonly lines: Statement<[number, number], LinesRow>;
}

export class SqliteLineBatches {
  private readonly statements = new Map<number, Statements | null>();
  private readonly check = new StoreLineCheck();

  constructor(
    private readonly db: Database,
    private readonly events: string,
  ) {}

  /**
   * Up to `limit` rows after position `after` and at or before `through`, as lines; undefined
   * when the batch is the row path's (see above). `inline`: the largest row (data and type, in
   * bytes) a batch of `limit` takes inline. `sinceSeconds`: see StoreLineCheck.accepts.
   */
  read(after: number, through: number, limit: number, inline: number, sinceSeconds?: number): SqliteLines | undefined {
    const statements = this.statementsFor(inline);
    if (statements === null) return undefined;
    // One snapshot for both: the batch's end, then its rows (the end's pages are in SQLite's cache by then).
    const [count, last, lines] = this.db.transaction(() => statements.lines.get(after, statements.end.get(after, through, limit - 1) ?? through)!)();
    if (count === 0 || last === null) return { lines: Buffer.alloc(0), count: 0, last: after };
    // A row that is not plain has an empty line: the scan refuses the batch.
    if (lines === null || !this.check.accepts(lines, count, sinceSeconds)) return undefined;
    return { lines, count, last };
  }

  /** The batch's statements for rows up to `inline` bytes; null when this SQLite lacks what they need (concat, json_quote: the row path then reads every batch). */
  private statementsFor(inline: number): Statements | null {
    let statements = this.statements.get(inline);
    if (statements === undefined) {
      // json_quote refuses a BLOB: the type is quoted only when it is text. The data's prefix is
      // checked as text (a BLOB's bytes compare as text too: the row path reads a UTF-8 BLOB as its text).
      // A row that is not plain gets an empty line (a line feed alone), never its data.
      const plain = `typeof(event_type) = 'text' AND substr(data, 1, 17) GLOB '{"_version": [0-9], [^ }]' AND octet_length(data) + octet_length(event_type) <= ${inline}`;
      const line = `CASE WHEN ${plain} THEN concat('{"event_type": ', json_quote(event_type), ', ', substr(CAST(data AS BLOB), 17), char(10)) ELSE char(10) END`;
      const events = this.events;
      try {
        statements = {
          end: this.db
            .prepare<[number, number, number], number | undefined>(`SELECT global_position FROM ${events} WHERE global_position > ? AND global_position <= ? ORDER BY global_position LIMIT 1 OFFSET ?`)
            .pluck(),
          // A range of the key, one aggregate: SQLite visits the rows in position order and joins them so.
          lines: this.db
            .prepare<[number, number], LinesRow>(`SELECT count(*), max(global_position), CAST(group_concat(${line}, '') AS BLOB) FROM ${events} WHERE global_position > ? AND global_position <= ?`)
            .raw(true),
        };
      } catch {
        statements = null;
      }
      this.statements.set(inline, statements);
    }
    return statements;
  }
}
