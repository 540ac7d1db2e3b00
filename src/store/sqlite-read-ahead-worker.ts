import { parentPort, workerData } from 'node:worker_threads';
import { loadSqliteDriver, sqliteBinding } from './drivers.js';
import { SqliteLineBatches } from './sqlite-lines.js';
import { HELPER, UNCLAIMED, type HelperMessage, type HelperStart, type Region } from './sqlite-read-ahead-messages.js';

/**
 * The read-ahead helper (sqlite-read-ahead.ts): its own read-only connection,
 * the regions' batches from the last back, each batch's lines moved to the
 * main thread. It reports no error itself: a batch it could not read is the
 * main thread's to read again (and report).
 */

const start = workerData as HelperStart;
const port = parentPort!;
const Driver = await loadSqliteDriver();
const nativeBinding = sqliteBinding();
const db = new Driver(start.path, { readonly: true, fileMustExist: true, timeout: start.busyTimeoutMs, ...(nativeBinding !== undefined ? { nativeBinding } : {}) });
/** The line batches of each events table asked (one, in practice). */
const tables = new Map<string, SqliteLineBatches>();

port.on('message', (region: Region) => {
  let batches = tables.get(region.events);
  if (batches === undefined) tables.set(region.events, (batches = new SqliteLineBatches(db, region.events)));
  let bytes = 0;
  for (let index = region.count - 1; index >= 0 && bytes < region.capBytes; index--) {
    if (Atomics.compareExchange(region.claims, index, UNCLAIMED, HELPER) !== UNCLAIMED) break;
    const after = region.from + index * region.batch;
    const through = Math.min(after + region.batch, region.to);
    let made;
    try {
      made = batches.readRange(after, through, region.inline, region.since);
    } catch {
      post({ kind: 'error', region: region.id, index });
      break;
    }
    if (made === undefined) {
      post({ kind: 'lines', region: region.id, index, count: 0, lines: null });
      continue;
    }
    // The lines are a view of the assembler's memory: copied once, into memory the main thread then owns.
    const lines = new Uint8Array(made.lines.length);
    lines.set(made.lines);
    bytes += lines.length;
    port.postMessage({ kind: 'lines', region: region.id, index, count: made.count, lines } satisfies HelperMessage, [lines.buffer]);
  }
  post({ kind: 'done', region: region.id });
});

function post(message: HelperMessage): void {
  port.postMessage(message);
}
