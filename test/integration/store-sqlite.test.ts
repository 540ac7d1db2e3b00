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

async function reader(name = 'events.db', prefix?: string, busyTimeoutMs?: number): Promise<StoreReader> {
  const r = await openSqliteStore({ path: join(dir, name), display: `sqlite:${name}`, tables: storeTables(prefix), ...(busyTimeoutMs ? { busyTimeoutMs } : {}) });
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
