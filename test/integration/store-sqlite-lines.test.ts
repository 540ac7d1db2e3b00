import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import { openSqliteStore } from '../../src/store/sqlite-reader.js';
import type { StoreReader } from '../../src/store/store-reader.js';
import { storeTables } from '../../src/store/table-names.js';
import type { StoreWindow } from '../../src/store/store-window.js';
import type { RowLimits } from '../../src/store/row-limits.js';
import type { StoreCursor } from '../../src/store/store-cursor.js';
import { SqliteGatewayStore } from '../helpers/event-store.js';
import { HOSTILE, readOut, writeLinesStore } from '../helpers/store-lines.js';
import { runCli } from '../helpers/spawn.js';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

/**
 * The store's batches of lines (store/sqlite-lines.ts: SQLite joins a batch's
 * lines, the byte scanner checks them) against the row path (readAfter, one
 * event per row) over real SQLite files: the same bytes, the same rows
 * reported, the same cursors, or the batch is declined and the row path reads
 * it. Hostile rows sit at batch boundaries and inside batches.
 */

let dir: string;
const open: (StoreReader | SqliteGatewayStore)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-lines-'));
});
afterEach(async () => {
  for (const thing of open.splice(0)) await thing.close();
  rmSync(dir, { recursive: true, force: true });
});

async function reader(limits?: RowLimits): Promise<StoreReader> {
  const r = await openSqliteStore({ path: join(dir, 'events.db'), display: 'sqlite:events.db', tables: storeTables(undefined), ...(limits ? { limits } : {}) });
  open.push(r);
  return r;
}

/** A store of `rows` plain events with hostile rows (test/helpers/store-lines.ts), closed after the test. */
function writeStore(rows: number, at: readonly number[], earlyAt: readonly number[] = []): SqliteGatewayStore {
  const store = writeLinesStore(join(dir, 'events.db'), rows, at, earlyAt);
  open.push(store);
  return store;
}

const read = readOut;

requireProgram('better-sqlite3').describe('the store read as batches of lines', () => {
  it('prints the same bytes and reports the same rows as the row path, for --history edges and batch sizes', async () => {
    // Hostile rows on both sides of batch boundaries (1000, 1001, 2000, ...) and inside batches.
    const hostileAt = [3, 999, 1000, 1001, 1002, 1500, 1998, 2000, 2001, 2400, 2401, 2402, 2403, 2404, 2405, 2406, 2407, 2408, 2409, 2410, 2411, 2412, 2413, 2414, 2415, 2416, 2417, 2418, 2419, 2420, 2421, 2422, 2423, 2424, 2425];
    writeStore(3200, hostileAt, [1700, 1750, 1800]);
    const r = await reader({ maxRowBytes: 8000, batchBytes: 4 * 1024 * 1024 });
    let usedLines = 0;
    for (const batchSize of [1000, 7, 333]) {
      for (const count of [1, 2, 5, 999, 1000, 1001, 1003, 2500, 3199, 3200, 3205]) {
        const window: StoreWindow = { kind: 'last', count };
        const [rows, lines] = [await read(r, window, false, batchSize), await read(r, window, true, batchSize)];
        expect(lines.out, `--history ${count}, batches of ${batchSize}`).toBe(rows.out);
        expect(lines.bad).toEqual(rows.bad);
        expect(lines.count).toBe(rows.count);
        expect(lines.cursor).toEqual(rows.cursor);
        usedLines += lines.batchesOfLines;
      }
    }
    // --since windows: the time checked on the lines as the row path checks it (the rows at 1000 are left out).
    const middle = (await r.readAfter({ engine: 'sqlite', position: 1499 }, 1)).events[0]!.occurredAt!;
    for (const batchSize of [1000, 7]) {
      for (const seconds of [0, 1001, middle, middle + 0.5, 4e9]) {
        const window: StoreWindow = { kind: 'since', seconds };
        const [rows, lines] = [await read(r, window, false, batchSize), await read(r, window, true, batchSize)];
        expect(lines.out, `--since ${seconds}, batches of ${batchSize}`).toBe(rows.out);
        expect(lines.bad).toEqual(rows.bad);
        expect(lines.count).toBe(rows.count);
        expect(lines.cursor).toEqual(rows.cursor);
        usedLines += lines.batchesOfLines;
      }
    }
    expect((await read(r, { kind: 'since', seconds: 1001 }, true)).out).not.toContain('"q": 12');
    // The lines were taken (not only declined), and every hostile row was read (reported or printed) by the row path.
    expect(usedLines).toBeGreaterThan(20);
    const whole = await read(r, { kind: 'last', count: 3200 }, true);
    expect(whole.bad.length).toBeGreaterThanOrEqual(10);
    for (const line of whole.out.split('\n').slice(0, -1)) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(whole.out).not.toContain('{broken');
    expect(whole.out).not.toContain('"Forged"');
  });

  it('reads batches of lines equal to the row path batch by batch, or declines them', async () => {
    // Every hostile kind on its own, 35 rows apart: a batch of 1 or 7 holds one or none.
    writeStore(1900, Array.from(HOSTILE, (_, k) => 20 + 35 * k));
    for (const limits of [undefined, { maxRowBytes: 2000, batchBytes: 64 * 1024 }]) {
      const r = await reader(limits);
      const head = await r.head();
      for (const limit of [1, 7, 20]) {
        let cursor = r.start();
        let taken = 0;
        let declined = 0;
        for (;;) {
          const lines = await r.readLinesAfter!(cursor, limit, head);
          const rows = await r.readAfter(cursor, limit);
          if (lines === undefined) {
            declined++;
            cursor = rows.cursor;
            if (rows.atHead) break;
            continue;
          }
          taken++;
          expect(rows.bad).toEqual([]);
          expect(lines.lines.toString('utf8')).toBe(rows.events.map((e) => `${e.raw}\n`).join(''));
          expect(Buffer.concat(rows.events.flatMap((e) => [e.bytes, Buffer.from('\n')])).equals(lines.lines)).toBe(true);
          expect(lines.count).toBe(rows.events.length);
          expect(lines.cursor).toEqual(rows.cursor);
          expect(lines.atHead).toBe(rows.atHead);
          cursor = lines.cursor;
          if (lines.atHead) break;
        }
        expect(taken).toBeGreaterThan(0);
        // A batch holding one of the rows that are not plain is the row path's.
        expect(declined).toBeGreaterThan(0);
      }
      // Up to `through`, never past it: a writer's newer rows are the follower's.
      const middle: StoreCursor = { engine: 'sqlite', position: 1890 };
      const upTo = await r.readLinesAfter!({ engine: 'sqlite', position: 1840 }, 1000, middle);
      expect(upTo?.count).toBe(50);
      expect(upTo?.cursor).toEqual(middle);
      expect(upTo?.atHead).toBe(true);
    }
  });

  it('gives events by emit while the consumer has no room for a batch, and takes lines again once it has', async () => {
    writeStore(2600, [1700]);
    const r = await reader();
    const rows = await read(r, { kind: 'last', count: 2600 }, false);
    // Room for a batch of lines only after 150 events came one by one: batches of both kinds, in order.
    const lines = await read(r, { kind: 'last', count: 2600 }, true, 100, 150);
    expect(lines.out).toBe(rows.out);
    expect(lines.bad).toEqual(rows.bad);
    expect(lines.batchesOfLines).toBeGreaterThan(5);
  });

  it('--history N of plain rows: only the first event comes by emit (for its time), the rest as lines from the second row on', async () => {
    writeStore(2600, []);
    const r = await reader();
    const rows = await read(r, { kind: 'last', count: 2500 }, false);
    const lines = await read(r, { kind: 'last', count: 2500 }, true);
    expect(lines.out).toBe(rows.out);
    expect(lines.count).toBe(2500);
    // Not a whole batch of rows decoded one by one before the lines start (the start of a store-only tail).
    expect(lines.emitted).toBe(1);
    expect(lines.batchesOfLines).toBe(3);
  });

  it('tail --store --history -o ndjson: the row path\'s bytes, every malformed row reported on stderr and never printed', async () => {
    writeStore(2300, Array.from(HOSTILE, (_, k) => 1040 + k));
    const r = await reader();
    const expected = await read(r, { kind: 'last', count: 2250 }, false);
    const result = await runCli(['tail', '--store', join(dir, 'events.db'), '--history', '2250', '--no-follow', '-o', 'ndjson'], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(expected.out);
    const skipped = result.stderr.split('\n').filter((line) => line.includes('stored row skipped'));
    expect(skipped.length).toBe(expected.bad.length);
    expect(expected.bad.length).toBeGreaterThanOrEqual(10);
    // (up to a control character: stderr shows it escaped)
    for (const reason of expected.bad) expect(result.stderr).toContain(reason.replace(/[\u0000-\u001f\u007f].*$/s, ''));
    expect(result.stdout).not.toContain('{broken');
    for (const line of result.stdout.split('\n').slice(0, -1)) expect(() => JSON.parse(line) as unknown).not.toThrow();
    // Without WebAssembly (the lines made and checked in JavaScript): the same.
    const jitless = await runCli(['tail', '--store', join(dir, 'events.db'), '--history', '2250', '--no-follow', '-o', 'ndjson'], { timeoutMs: 30_000, env: { NODE_OPTIONS: '--jitless' } });
    expect(jitless.code).toBe(0);
    expect(jitless.stdout).toBe(expected.out);
    expect(jitless.stderr.split('\n').filter((line) => line.includes('stored row skipped')).length).toBe(expected.bad.length);
  }, 60_000);

  it('never has SQLite join a NULL or a row whose bytes it should not give (the pieces would shift): NULLs, numbers, 0 bytes inside rows, in a table without NOT NULL', async () => {
    const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
    const db = new Driver(join(dir, 'events.db'));
    db.exec('CREATE TABLE events (global_position INTEGER PRIMARY KEY, stream_id TEXT, stream_version INTEGER, event_type TEXT, data TEXT, metadata TEXT, created_at TEXT)');
    const odd = new Map<number, [string, string]>([
      // A NULL data that group_concat would skip, then a data that a 0 byte splits in two: as many pieces, shifted.
      [5, ["'X'", 'NULL']],
      [6, ["'X'", `'{"_version": 1, "a": 1}' || char(0) || '{"_version": 1, "b": 2}'`]],
      [12, ['NULL', `'{"_version": 1, "q": 12}'`]],
      [13, [`'A' || char(0) || 'B'`, `'{"_version": 1, "q": 13}'`]],
      [20, ["'X'", '7']],
      [21, ['5.5', `'{"_version": 1, "q": 21}'`]],
      [26, ["'X'", `'{"_version": 1, "big": "' || printf('%.3000c', 'z') || '"}'`]],
      [27, ["'X'", 'NULL']],
    ]);
    const insert = db.prepare('INSERT INTO events (stream_id, stream_version, event_type, data, created_at) VALUES (?, ?, ?, ?, ?)');
    for (let position = 1; position <= 40; position++) {
      const row = odd.get(position);
      if (row === undefined) insert.run('s', position, 'HealthCheckPassed', `{"_version": 1, "occurred_at": ${1000 + position}, "seq": ${position}}`, 'now');
      else db.exec(`INSERT INTO events (stream_id, stream_version, event_type, data, created_at) VALUES ('s', ${position}, ${row[0]}, ${row[1]}, 'now')`);
    }
    db.close();
    for (const limits of [undefined, { maxRowBytes: 2000, batchBytes: 64 * 1024 }]) {
      const r = await reader(limits);
      let usedLines = 0;
      for (const batchSize of [40, 7, 3]) {
        for (const window of [{ kind: 'last', count: 40 }, { kind: 'since', seconds: 0 }] as StoreWindow[]) {
          const [rows, lines] = [await read(r, window, false, batchSize), await read(r, window, true, batchSize)];
          expect(lines.out, `${window.kind}, batches of ${batchSize}`).toBe(rows.out);
          expect(lines.bad).toEqual(rows.bad);
          expect(lines.count).toBe(rows.count);
          usedLines += lines.batchesOfLines;
        }
      }
      expect(usedLines).toBeGreaterThan(3);
      expect((await read(r, { kind: 'last', count: 40 }, false)).bad.length).toBeGreaterThanOrEqual(5);
      // The batches holding them are the row path's; one without them is lines.
      const head = await r.head();
      for (const after of [4, 11, 19, 25]) expect(await r.readLinesAfter!({ engine: 'sqlite', position: after }, 3, head)).toBeUndefined();
      expect((await r.readLinesAfter!({ engine: 'sqlite', position: 27 }, 5, head))?.count).toBe(5);
    }
  });

  it('gives no lines from a database in UTF-16 (the joined text is not the rows\' bytes), and the row path reads it', async () => {
    const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
    const db = new Driver(join(dir, 'events.db'));
    db.pragma("encoding = 'UTF-16le'");
    db.exec('CREATE TABLE events (global_position INTEGER PRIMARY KEY, stream_id TEXT, stream_version INTEGER, event_type TEXT, data TEXT, metadata TEXT, created_at TEXT)');
    const insert = db.prepare('INSERT INTO events (stream_id, stream_version, event_type, data, created_at) VALUES (?, ?, ?, ?, ?)');
    for (let position = 1; position <= 30; position++) insert.run('s', position, 'HealthCheckPassed', `{"_version": 1, "seq": ${position}, "note": "héllo"}`, 'now');
    db.close();
    const r = await reader();
    expect(await r.readLinesAfter!(r.start(), 10, await r.head())).toBeUndefined();
    const [rows, lines] = [await read(r, { kind: 'last', count: 30 }, false), await read(r, { kind: 'last', count: 30 }, true)];
    expect(lines.out).toBe(rows.out);
    expect(rows.count).toBe(30);
    expect(lines.batchesOfLines).toBe(0);
  });

  it('finds the n-th newest row and the compacted streams the same way with and without the gateway\'s indexes, with and without deleted rows', async () => {
    // More rows than nthBefore walks (5,000): beyond that it subtracts when it can (when the positions
    // span at most 4n, else it walks: the last case below).
    const store = new SqliteGatewayStore(join(dir, 'events.db'));
    open.push(store);
    store.db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 5999)
      INSERT INTO events (stream_id, stream_version, event_type, data, created_at)
      SELECT 'mcp_server:m' || (i % 4), i / 4, 'HealthCheckPassed', '{"_version": 1, "occurred_at": ' || (1000 + i) || ', "seq": ' || i || '}', 'now' FROM n`);
    // A second file with the same rows and no index but the key (an older or hand-made schema).
    const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
    const bare = new Driver(join(dir, 'bare.db'));
    bare.exec('CREATE TABLE events (global_position INTEGER PRIMARY KEY, stream_id TEXT, stream_version INTEGER, event_type TEXT, data TEXT, metadata TEXT, created_at TEXT)');
    const copy = bare.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)');
    bare.transaction(() => {
      for (const row of store.db.prepare('SELECT * FROM events ORDER BY global_position').raw(true).all() as unknown[][]) copy.run(...row);
    })();
    const FAR = 100_000;
    const walk = (db: Database.Database, at: number, n: number) =>
      (db.prepare('SELECT global_position FROM events WHERE global_position <= ? ORDER BY global_position DESC LIMIT 1 OFFSET ?').pluck().get(at, n - 1) as number | undefined);
    const check = async (db: Database.Database, name: string, deleted: boolean) => {
      const r = await openSqliteStore({ path: join(dir, name), display: name, tables: storeTables(undefined) });
      open.push(r);
      for (const at of [6000, 5500, 37, 1, 0, FAR]) {
        for (const n of [1, 2, 37, 38, 4999, 5000, 5001, 5499, 5500, 5501, 5999, 6000, 6001]) {
          const found = await r.nthBefore({ engine: 'sqlite', position: at }, n);
          const expected = walk(db, at, n);
          expect(found, `${name} at ${at}, n ${n}`).toEqual(expected === undefined ? undefined : { engine: 'sqlite', position: expected });
        }
      }
      const compacted = await r.compactedStreams();
      expect(compacted.map((c) => [c.streamId, c.firstVersion])).toEqual(deleted ? [['mcp_server:m1', 3]] : []);
      return compacted;
    };
    await check(store.db, 'events.db', false);
    await check(bare, 'bare.db', false);
    // Compaction deletes a stream's oldest rows: positions with gaps, a stream that starts later.
    for (const db of [store.db, bare]) db.prepare("DELETE FROM events WHERE stream_id = 'mcp_server:m1' AND stream_version <= 2").run();
    const withIndex = await check(store.db, 'events.db', true);
    expect(await check(bare, 'bare.db', true)).toEqual(withIndex);
    // One row far after the others: the positions span more than 4n, the rows below it are walked.
    for (const db of [store.db, bare]) {
      db.prepare("INSERT INTO events (global_position, stream_id, stream_version, event_type, data, created_at) VALUES (?, 'mcp_server:far', 0, 'HealthCheckPassed', '{}', 'now')").run(FAR);
    }
    expect(await check(bare, 'bare.db', true)).toEqual(await check(store.db, 'events.db', true));
    bare.close();
  });
});
