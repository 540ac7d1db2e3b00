import { Buffer } from 'node:buffer';
import { expect } from 'vitest';
import type { StoreReader } from '../../src/store/store-reader.js';
import { readWindow, type StoreWindow } from '../../src/store/store-window.js';
import type { StoreCursor } from '../../src/store/store-cursor.js';
import { gatewayEvent } from './fake-gateway.js';
import { SqliteGatewayStore } from './event-store.js';

/**
 * SQLite stores with hostile rows among plain ones, and a window read as
 * -o ndjson prints it (with the lines lane or one event at a time): the
 * store's batches of lines are checked against the row path with these
 * (store-sqlite-lines.test.ts, store-sqlite-read-ahead.test.ts).
 */

/** Rows the gateway would never write, and some it would, that are not in the plain shape: [event_type, data] as SQL literals. */
export const HOSTILE: readonly (readonly [string, string])[] = [
  ["'X'", "'{broken'"],
  ["'X'", `'{"_version": 1, "event_id": "a", "_version": 2}'`],
  ["'X'", `'{"_version": 1, "event_type": "Forged", "event_id": "b"}'`],
  ["'X'", `'{"_version": 1, "event\\u005ftype": "Forged"}'`],
  ["'X'", `'{"_version": 1, "s": "line' || char(10) || 'break"}'`],
  ["'X'", `'{"_version": 1,' || char(10) || ' "spaced": true}'`],
  ["'X'", `'{"_version": 1, "tab":' || char(9) || '1}'`],
  ["'X'", `'{"_version": 1, "nested": {"_version": 7}, "n": 1}'`],
  [`'Quote"Type'`, `'{"_version": 1, "q": 1}'`],
  [`'Back\\slash'`, `'{"_version": 1, "q": 2}'`],
  [`'Ctl' || char(1) || char(10) || char(31) || 'x'`, `'{"_version": 1, "q": 3}'`],
  [`'Del' || char(127)`, `'{"_version": 1, "q": 4}'`],
  ["'Ünïcødé✓'", `'{"_version": 1, "note": "ünï ✓ \u2028 😀"}'`],
  ["''", `'{"_version": 1, "q": 5}'`],
  ['5', `'{"_version": 1, "q": 6}'`],
  ["x'4869'", `'{"_version": 1, "q": 7}'`],
  ["'X'", `x'7b225f76657273696f6e223a20312c202271223a2022c3bc227d'`],
  ["'X'", "x'7bfe7d'"],
  ["'X'", `CAST(x'7b225f76657273696f6e223a20312c202271223a2022ff227d' AS TEXT)`],
  ["'X'", `'{"a": 1}'`],
  ["'X'", `'{"_version": 12, "q": 8}'`],
  ["'X'", `'{"_version": -1, "q": 9}'`],
  ["'X'", `'{"_version":1,"q":10}'`],
  ["'X'", `'{"_version": 1,  "q": 11}'`],
  ["'X'", `'{"_version": 1}'`],
  ["'X'", `'{"_version": 1, }'`],
  ["'X'", "'[1, 2]'"],
  ["'X'", `'"text"'`],
  ["'X'", '42'],
  ["'X'", `'{"_version": 1, "big": "' || printf('%.3000c', 'z') || '"}'`],
  ["'X'", `'{"_version": 1, "huge": "' || printf('%.9000c', 'z') || '"}'`],
  ["'X'", `'{"_version": 1, "x": 1} trailing'`],
  ["'X'", `'{"_version": 1, "deep": ' || printf('%.70c', '[') || printf('%.70c', ']') || '}'`],
  ["CAST(x'58ff' AS TEXT)", `'{"_version": 1, "q": 15}'`],
  ["'X'", `CAST(x'7b225f76657273696f6e223a20312c202271223a2022eda080227d' AS TEXT)`],
  // A 0 byte inside a row (SQLite joins a batch's rows with 0 bytes), BLOBs, prefix variants, _version in odd places.
  [`'A' || char(0) || 'B'`, `'{"_version": 1, "q": 20}'`],
  ["'X'", `'{"_version": 1, "a": 1}' || char(0) || '{"_version": 1, "b": 2}'`],
  ["'X'", `'{"_version": 1, "s": "nul' || char(0) || 'in"}'`],
  ["'X'", 'zeroblob(4)'],
  ["x'00'", `'{"_version": 1, "q": 21}'`],
  ["'X'", `x'7b225f76657273696f6e223a20312c202271223a2032327d'`],
  ["'X'", `'{"_version":   7 ,"q": 23}'`],
  ["'X'", `'{"_version": 1.5, "q": 24}'`],
  ["'X'", `'{"_version": "1", "q": 25}'`],
  ["'X'", `'{"_version":' || char(9) || '1, "q": 26}'`],
  ["'X'", `'{"_version": 1, "a": 1, "_version": 2}'`],
  ["'X'", `'{"_version": 1, "\\u005fversion": 2}'`],
  ["'X'", `'{"_version": 1, "k": "_version", "arr": [{"_version": 3}], "x_version": 1, "_version ": 2}'`],
  [`printf('%.3000c', 'T')`, `'{"_version": 1, "q": 27}'`],
];

/** Plain rows, but out of order in time: a --since window leaves the first out, keeps the others. */
export const EARLY: readonly (readonly [string, string])[] = [
  ["'X'", `'{"_version": 1, "occurred_at": 1000, "q": 12}'`],
  ["'X'", `'{"_version": 1, "occurred_at": "early", "q": 13}'`],
  ["'X'", `'{"_version": 1, "occurred_at": 1000, "occurred_at": 1e400, "q": 14}'`],
];

/** A store at `path` of `rows` plain events with the hostile rows put at `at` and the early ones at `earlyAt` (positions from 1). */
export function writeLinesStore(path: string, rows: number, at: readonly number[], earlyAt: readonly number[] = []): SqliteGatewayStore {
  const store = new SqliteGatewayStore(path);
  const hostileAt = new Map([...at.map((position, k) => [position, HOSTILE[k % HOSTILE.length]!] as const), ...earlyAt.map((position, k) => [position, EARLY[k % EARLY.length]!] as const)]);
  const insert = (type: string, data: string, version: number) =>
    store.db.exec(`INSERT INTO events (stream_id, stream_version, event_type, data, created_at) VALUES ('s:hostile', ${version}, ${type}, ${data}, 'now')`);
  let hostileVersion = 0;
  store.db.transaction(() => {
    for (let position = 1; position <= rows; position++) {
      const hostile = hostileAt.get(position);
      if (hostile !== undefined) insert(hostile[0], hostile[1], hostileVersion++);
      else store.appendAll([gatewayEvent(position % 3 === 0 ? 'ToolInvocationCompleted' : 'HealthCheckPassed', { mcp_server_id: `m${position % 4}`, seq: position, note: position % 5 === 0 ? 'héllo "quoted" \\ back' : 'plain' })]);
    }
  })();
  return store;
}

export interface Read {
  out: string;
  bad: string[];
  count: number;
  cursor: StoreCursor;
  batchesOfLines: number;
  /** Events that came by emit (one by one, the row path). */
  emitted: number;
}

/** The window as -o ndjson prints it: with the lines lane (`lines`) or every event one by one. */
export async function readOut(r: StoreReader, window: StoreWindow, lines: boolean, batchSize?: number, roomAfter = 0): Promise<Read> {
  const parts: Buffer[] = [];
  const bad: string[] = [];
  let batchesOfLines = 0;
  let emitted = 0;
  // The consumer's room: none until `roomAfter` events came by emit since the last batch of lines.
  let sinceLines = 0;
  const room = () => (sinceLines >= roomAfter ? Number.MAX_SAFE_INTEGER : 0);
  const result = await readWindow({
    reader: r,
    window,
    ...(batchSize !== undefined ? { batchSize } : {}),
    emit: (stored) => {
      emitted++;
      sinceLines++;
      parts.push(stored.bytes, Buffer.from('\n'));
    },
    bad: (reason) => bad.push(reason),
    lines: lines
      ? {
          room,
          take: (taken, count) => {
            batchesOfLines++;
            sinceLines = 0;
            expect(taken.toString('utf8').split('\n').length - 1).toBe(count);
            parts.push(Buffer.from(taken));
          },
        }
      : undefined,
  });
  return { out: Buffer.concat(parts).toString('utf8'), bad, count: result.count, cursor: result.cursor, batchesOfLines, emitted };
}

