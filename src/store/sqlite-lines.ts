import type { Database, Statement } from 'better-sqlite3';
import { scanPlainEvent, type PlainEventScan } from '../protocol/plain-event.js';
import { createWasmPlainScanner, type WasmPlainScanner } from '../protocol/plain-scan-wasm.js';

/**
 * A batch of SQLite rows as their NDJSON lines, made by SQLite: one query
 * whose one result is every row's line already joined (`group_concat`), so
 * JavaScript holds one Buffer per batch instead of a string, an array and a
 * line per row (better-sqlite3's per-row cost was most of a backfill's time:
 * bench/README.md, issue 24, round four). The line is the one the row path
 * (store-event.ts, toStoredEvent) makes, byte for byte:
 * `{"event_type": ` + the type as JSON (`json_quote`, as JSON.stringify writes
 * it) + `, ` + the stored text after `{"_version": N, ` + a line feed.
 *
 * SQLite writes a row's line only when the row is plainly in the gateway's
 * shape: a text event_type, data starting `{"_version": D, ` (one digit, one
 * space, then not a space nor `}`), and the row small enough to come inline.
 * Everything else is the row path's to decide, and so is the whole batch when
 * any row of it is not such a row (a row without a line is left out of the
 * join: the line count tells), when any line is not a plain event frame (the
 * byte scanner, over the batch's bytes: invalid JSON, a second or escaped
 * `event_type`, an escaped key, a line break inside a row, ...) or when the
 * batch holds the text `"_version"` anywhere after the prefixes (the row path
 * drops a second `_version`). A row that is reported on the row path is never
 * in a batch of lines.
 */

export interface SqliteLines {
  /** The rows' lines, each ending in a line feed. */
  readonly lines: Buffer;
  readonly count: number;
  /** The last row's position. */
  readonly last: number;
}

type LinesRow = [number, number | null, number, Buffer | null];

const VERSION_KEY = Buffer.from('"_version"');

export class SqliteLineBatches {
  private readonly statements = new Map<number, Statement<[number, number, number], LinesRow> | null>();
  private scanner: WasmPlainScanner | undefined | null;
  private readonly out: PlainEventScan = { idStart: -1, idEnd: -1 };

  constructor(
    private readonly db: Database,
    private readonly events: string,
  ) {}

  /**
   * Up to `limit` rows after position `after` and at or before `through`, as lines; undefined
   * when the batch is the row path's (see above). `inline`: the largest row (data and type, in
   * bytes) a batch of `limit` takes inline.
   */
  read(after: number, through: number, limit: number, inline: number): SqliteLines | undefined {
    const statement = this.statement(inline);
    if (statement === null) return undefined;
    const [count, last, lined, lines] = statement.get(after, through, limit)!;
    if (count === 0 || last === null) return { lines: Buffer.alloc(0), count: 0, last: after };
    if (lined !== count || lines === null || lines.indexOf(VERSION_KEY) >= 0) return undefined;
    if (!this.scan(lines, count)) return undefined;
    return { lines, count, last };
  }

  private scan(lines: Buffer, count: number): boolean {
    if (this.scanner === undefined) this.scanner = createWasmPlainScanner() ?? null;
    if (this.scanner !== null) return this.scanner.scanLines(lines, count, this.out);
    let pos = 0;
    for (let k = 0; k < count; k++) {
      const end = lines.indexOf(0x0a, pos);
      if (end < 0 || !scanPlainEvent(lines.subarray(pos, end), this.out)) return false;
      pos = end + 1;
    }
    return pos === lines.length;
  }

  /** The batch query for rows up to `inline` bytes; null when this SQLite lacks what it needs (concat, json_quote: the row path then reads every batch). */
  private statement(inline: number): Statement<[number, number, number], LinesRow> | null {
    let statement = this.statements.get(inline);
    if (statement === undefined) {
      // json_quote refuses a BLOB: the type is quoted only when it is text. The data's prefix is
      // checked as text (a BLOB's bytes compare as text too: the row path reads a UTF-8 BLOB as its text).
      const plain = `typeof(event_type) = 'text' AND substr(data, 1, 17) GLOB '{"_version": [0-9], [^ }]' AND octet_length(data) + octet_length(event_type) <= ${inline}`;
      const line = `CASE WHEN ${plain} THEN concat('{"event_type": ', json_quote(event_type), ', ', substr(CAST(data AS BLOB), 17), char(10)) END`;
      try {
        statement = this.db
          .prepare<[number, number, number], LinesRow>(
            `SELECT count(*), max(global_position), count(line), CAST(group_concat(line, '') AS BLOB)
               FROM (SELECT global_position, ${line} AS line FROM ${this.events} WHERE global_position > ? AND global_position <= ? ORDER BY global_position LIMIT ?)`,
          )
          .raw(true);
      } catch {
        statement = null;
      }
      this.statements.set(inline, statement);
    }
    return statement;
  }
}
