import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import { openSqliteStore } from '../../src/store/sqlite-reader.js';
import type { StoreReader } from '../../src/store/store-reader.js';
import { storeTables } from '../../src/store/table-names.js';
import { gatewayEvent } from '../helpers/fake-gateway.js';
import { eventually } from '../helpers/eventually.js';
import { StoreSource } from '../../src/feed/store-feed.js';
import { systemClock } from '../../src/io/clock.js';
import type { StreamMessage } from '../../src/feed/messages.js';
import type { RowLimits } from '../../src/store/row-limits.js';
import { SqliteGatewayStore } from '../helpers/event-store.js';

let dir: string;
const open: (StoreReader | SqliteGatewayStore)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-store-'));
});
afterEach(async () => {
  for (const thing of open.splice(0)) await thing.close();
  rmSync(dir, { recursive: true, force: true });
});

function gatewayStore(name = 'events.db', prefix = ''): SqliteGatewayStore {
  const store = new SqliteGatewayStore(join(dir, name), prefix);
  open.push(store);
  return store;
}

async function reader(name = 'events.db', prefix?: string, busyTimeoutMs?: number, limits?: RowLimits): Promise<StoreReader> {
  const r = await openSqliteStore({ path: join(dir, name), display: `sqlite:${name}`, tables: storeTables(prefix), ...(busyTimeoutMs ? { busyTimeoutMs } : {}), ...(limits ? { limits } : {}) });
  open.push(r);
  return r;
}


/** The SQLite driver, loaded when a test writes a store (tests that use it declare requireProgram('better-sqlite3')). */
const openDatabase = (path: string): Database.Database => {
  const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return new Driver(path);
};

requireProgram('better-sqlite3').describe('the SQLite store reader', () => {
  it('reads every stored event in commit order, as the socket sends it', async () => {
    const store = gatewayStore();
    const events = [
      gatewayEvent('McpServerStarted', { mcp_server_id: 'math', mode: 'subprocess', tools_count: 3 }),
      gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', tool_name: 'add', duration_ms: 1.5, note: 'ünïcode ✓' }),
      gatewayEvent('McpServerDiscovered', { mcp_server_name: 'git', source_type: 'docker' }),
      gatewayEvent('DiscoveryCycleCompleted', { discovered_count: 1 }),
    ];
    const stored = store.append(events);
    expect(stored).toHaveLength(3);
    const r = await reader();
    const batch = await r.readAfter(r.start(), 100);
    expect(batch.events.map((e) => e.event)).toEqual(stored);
    expect(batch.events.map((e) => Object.keys(e.event)[0])).toEqual(['event_type', 'event_type', 'event_type']);
    expect(batch.events.every((e) => !('_version' in e.event))).toBe(true);
    expect(JSON.parse(batch.events[1]!.raw)).toEqual(stored[1]);
    expect(batch.atHead).toBe(true);
    expect(batch.cursor).toEqual({ engine: 'sqlite', position: 3 });
    expect(await r.head()).toEqual({ engine: 'sqlite', position: 3 });
  });

  it('pages by position and follows what a live writer appends while it is open (no write lock taken)', async () => {
    const store = gatewayStore();
    store.append(Array.from({ length: 5 }, (_, i) => gatewayEvent('HealthCheckPassed', { mcp_server_id: `s${i}` })));
    const r = await reader();
    const first = await r.readAfter(r.start(), 2);
    expect(first.events.map((e) => e.event.mcp_server_id)).toEqual(['s0', 's1']);
    expect(first.atHead).toBe(false);
    const rest = await r.readAfter(first.cursor, 10);
    expect(rest.events.map((e) => e.event.mcp_server_id)).toEqual(['s2', 's3', 's4']);
    // The gateway keeps writing while we read: its BEGIN IMMEDIATE must not fail.
    const later = store.append([gatewayEvent('HealthCheckPassed', { mcp_server_id: 's5' })]);
    const next = await r.readAfter(rest.cursor, 10);
    expect(next.events.map((e) => e.event)).toEqual(later);
  });

  it('reads backwards for --history and finds the first event of a time window', async () => {
    const store = gatewayStore();
    const events = Array.from({ length: 6 }, (_, i) => ({ ...gatewayEvent('HealthCheckPassed', { mcp_server_id: 'math' }), occurred_at: 1000 + i }));
    store.append(events);
    const r = await reader();
    const newest = await r.readBefore(await r.head(), 2);
    expect(newest.events.map((e) => e.event.occurred_at)).toEqual([1005, 1004]);
    const older = await r.readBefore(newest.cursor, 10);
    expect(older.events.map((e) => e.event.occurred_at)).toEqual([1003, 1002, 1001, 1000]);
    expect(older.atHead).toBe(true);
    const at = await r.cursorAtTime(1003.5);
    expect((await r.readAfter(at, 10)).events.map((e) => e.event.occurred_at)).toEqual([1004, 1005]);
    expect(await r.cursorAtTime(5000)).toEqual(await r.head());
  });

  it('names compacted streams with their first kept version', async () => {
    const store = gatewayStore();
    store.append(Array.from({ length: 5 }, (_, i) => ({ ...gatewayEvent('HealthCheckPassed', { mcp_server_id: 'math' }), occurred_at: 2000 + i })));
    store.append([gatewayEvent('HealthCheckPassed', { mcp_server_id: 'git' })]);
    store.compact('mcp_server:math', 2);
    const r = await reader();
    expect(await r.compactedStreams()).toEqual([{ streamId: 'mcp_server:math', firstVersion: 3, firstOccurredAt: 2003 }]);
    expect((await r.readAfter(r.start(), 10)).events.map((e) => e.event.occurred_at).slice(0, 2)).toEqual([2003, 2004]);
  });

  it('reads a prefixed installation with --store-table-prefix, and says so when the prefix is missing', async () => {
    const store = gatewayStore('prefixed.db', 'hangar_');
    store.append([gatewayEvent('McpServerStarted', { mcp_server_id: 'math' })]);
    const r = await reader('prefixed.db', 'hangar_');
    expect((await r.readAfter(r.start(), 10)).events).toHaveLength(1);
    await expect(reader('prefixed.db')).rejects.toThrow(
      "sqlite:prefixed.db is an SQLite database without a table 'events'; it has 'hangar_events' (--store-table-prefix hangar_)",
    );
  });

  it('never creates a missing file', async () => {
    await expect(reader('missing.db')).rejects.toThrow(/^no SQLite store at sqlite:missing.db: .*missing.db does not exist; check --store/);
    expect(existsSync(join(dir, 'missing.db'))).toBe(false);
  });

  it('does not change the file it reads', async () => {
    const store = gatewayStore();
    store.append([gatewayEvent('McpServerStarted', { mcp_server_id: 'math' })]);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const before = statSync(join(dir, 'events.db'));
    const r = await reader();
    await r.readAfter(r.start(), 10);
    await r.compactedStreams();
    await r.close();
    const after = statSync(join(dir, 'events.db'));
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
  });

  it('tells a file that is not a database, and a database that is not a store, from a store', async () => {
    writeFileSync(join(dir, 'notes.txt'), 'just some text that is long enough to not be a database header at all\n'.repeat(20));
    await expect(reader('notes.txt')).rejects.toThrow(/^sqlite:notes.txt is not an SQLite database \(.*\); check --store$/);
    const other = openDatabase(join(dir, 'other.db'));
    other.exec('CREATE TABLE users (id INTEGER)');
    other.close();
    await expect(reader('other.db')).rejects.toThrow("sqlite:other.db is an SQLite database without a table 'events'; is this the gateway's event store (event_store.path in its config)?");
    const wrong = openDatabase(join(dir, 'wrong.db'));
    wrong.exec('CREATE TABLE events (id INTEGER, data TEXT)');
    wrong.close();
    await expect(reader('wrong.db')).rejects.toThrow("the table 'events' in sqlite:wrong.db is not a gateway event store: it lacks global_position, stream_id, stream_version, event_type; check --store and --store-table-prefix");
  });

  it('reports a store locked by an exclusive writer as locked', async () => {
    const store = gatewayStore('rollback.db');
    store.db.pragma('journal_mode = DELETE');
    store.append([gatewayEvent('McpServerStarted', { mcp_server_id: 'math' })]);
    const r = await reader('rollback.db', undefined, 50);
    store.db.exec('BEGIN EXCLUSIVE');
    try {
      await expect(r.readAfter(r.start(), 10)).rejects.toThrow(/^the SQLite store sqlite:rollback.db is locked by another process \(SQLITE_BUSY\)/);
    } finally {
      store.db.exec('ROLLBACK');
    }
    expect((await r.readAfter(r.start(), 10)).events).toHaveLength(1);
  });

  it('following: a writer that holds the lock past the busy timeout is waited out with backoff, said on stderr, and nothing is lost', async () => {
    const store = gatewayStore('rollback.db');
    store.db.pragma('journal_mode = DELETE');
    const before = store.append([gatewayEvent('McpServerStarted', { mcp_server_id: 'a' })]);
    const r = await reader('rollback.db', undefined, 30);
    const source = new StoreSource({ reader: r, window: { kind: 'last', count: 10 }, follow: true, intervalMs: 20, lockedRetry: { firstMs: 20, maxMs: 80 }, clock: systemClock() });
    const messages: StreamMessage[] = [];
    source.on('message', (m) => messages.push(m));
    let ended: unknown = 'running';
    source.finished.then(
      () => (ended = 'ended'),
      (error: unknown) => (ended = error),
    );
    const eventIds = () => messages.flatMap((m) => (m.kind === 'event' ? [m.event.event_id] : []));
    const notices = () => messages.flatMap((m) => (m.kind === 'store' ? [m.text] : []));
    source.start();
    try {
      await eventually(() => messages.some((m) => m.kind === 'open'), 'the window read');
      // The writer takes the lock for longer than the reader waits on it (30 ms), several times over.
      store.db.exec('BEGIN EXCLUSIVE');
      try {
        await eventually(() => notices().some((t) => /locked by another process \(SQLITE_BUSY\).*still following: reading again in 20ms, then less often \(every 80ms at most\)/.test(t)), 'the locked notice');
        const waited = performance.now();
        await eventually(() => performance.now() - waited > 300, 'several retries');
      } finally {
        store.db.exec('ROLLBACK');
      }
      const after = store.append([gatewayEvent('McpServerStopped', { mcp_server_id: 'a' })]);
      await eventually(() => eventIds().length === 2, 'the event appended after the lock');
      expect(eventIds()).toEqual([before[0]!.event_id, after[0]!.event_id]);
      expect(notices().filter((t) => /locked by another process/.test(t))).toHaveLength(1);
      expect(notices().some((t) => /^the store can be read again \(it was locked for about [\d.]+m?s\); following on from where it stopped, nothing skipped$/.test(t))).toBe(true);
      expect(ended).toBe('running');
    } finally {
      await source.stop();
    }
  });

  it('reports and skips a row over the size limit without reading it, and bounds a batch by bytes', async () => {
    const store = gatewayStore();
    const small = (i: number) => gatewayEvent('HealthCheckPassed', { mcp_server_id: 'math', seq: i });
    const first = store.append([small(0), small(1)]);
    // 300 KiB of data: over a 256 KiB limit (the socket's is 1 MiB; the test sets its own).
    store.append([gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', result: 'x'.repeat(300 * 1024) })]);
    // Three of 40 KiB: under the limit, over what a batch takes inline, and more than a 64 KiB batch holds together.
    const large = store.append([0, 1, 2].map((i) => gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', seq: 10 + i, result: 'y'.repeat(40 * 1024) })));
    const last = store.append([small(2)]);
    const r = await reader(undefined, undefined, undefined, { maxRowBytes: 256 * 1024, batchBytes: 64 * 1024 });
    const batches = [];
    let cursor = r.start();
    for (;;) {
      const batch = await r.readAfter(cursor, 100);
      batches.push({ ids: batch.events.map((e) => e.id), bad: batch.bad });
      cursor = batch.cursor;
      if (batch.atHead) break;
    }
    const ids = (events: readonly { event_id?: unknown }[]) => events.map((e) => e.event_id);
    expect(batches.flatMap((b) => b.ids)).toEqual(ids([...first, ...large, ...last]));
    expect(batches.flatMap((b) => b.bad)).toEqual([
      expect.stringMatching(/^row 3 \(ToolInvocationCompleted\): 300KiB \(307\d\d\d bytes\) is larger than the 262144-byte limit for one event; skipped without reading it$/),
    ]);
    // No batch holds more than 64 KiB of rows beyond its first: the large rows come in several.
    expect(batches.length).toBeGreaterThanOrEqual(2);
    expect(batches.every((b) => b.ids.filter((id) => ids(large).includes(id)).length <= 2)).toBe(true);
    // Reading back (--history) cuts the same way and finds the same rows.
    const back = [];
    cursor = await r.head();
    for (;;) {
      const batch = await r.readBefore(cursor, 100);
      back.push(...batch.events.map((e) => e.id));
      cursor = batch.cursor;
      if (batch.atHead) break;
    }
    expect(back.reverse()).toEqual(ids([...first, ...large, ...last]));
  });

  it('reads a BLOB data column as its text, and gives the event_type column as the one event_type key', async () => {
    const store = gatewayStore();
    const insert = store.db.prepare("INSERT INTO events (stream_id, stream_version, event_type, data, created_at) VALUES ('mcp_server:x', ?, ?, ?, 'now')");
    insert.run(0, 'McpServerStarted', Buffer.from('{"_version": 1, "event_id": "blob-1", "mcp_server_id": "x", "note": "ünï"}'));
    insert.run(1, 'McpServerStopped', '{"_version": 1, "event_id": "esc-1", "event\\u005ftype": "Forged", "mcp_server_id": "x"}');
    insert.run(2, 'McpServerStopped', Buffer.from([0x7b, 0xfe, 0x7d]));
    const r = await reader();
    const batch = await r.readAfter(r.start(), 10);
    expect(batch.events.map((e) => e.raw)).toEqual([
      '{"event_type": "McpServerStarted", "event_id": "blob-1", "mcp_server_id": "x", "note": "ünï"}',
      '{"event_type":"McpServerStopped","event_id":"esc-1","mcp_server_id":"x"}',
    ]);
    expect(batch.bad).toEqual(['row 3 (McpServerStopped): data is a BLOB of 3 bytes that is not UTF-8 text']);
  });

  it('reports undecodable rows without stopping', async () => {
    const store = gatewayStore();
    store.append([gatewayEvent('McpServerStarted', { mcp_server_id: 'a' })]);
    store.db.prepare("INSERT INTO events (stream_id, stream_version, event_type, data, created_at) VALUES ('mcp_server:x', 0, 'X', '{broken', 'now')").run();
    store.append([gatewayEvent('McpServerStarted', { mcp_server_id: 'b' })]);
    const r = await reader();
    const batch = await r.readAfter(r.start(), 10);
    expect(batch.events.map((e) => e.event.mcp_server_id)).toEqual(['a', 'b']);
    expect(batch.bad).toEqual([expect.stringMatching(/^row 2 \(X\): data is not valid JSON/)]);
  });
});
