import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres-reader.js';
import { parseStoreLocation } from '../../src/store/location.js';
import type { StoreCursor } from '../../src/store/store-cursor.js';
import type { StoreReader } from '../../src/store/store-reader.js';
import { createStoreHistory } from '../../src/store/store-history.js';
import { storeTables } from '../../src/store/table-names.js';
import type { RowLimits } from '../../src/store/row-limits.js';
import { gatewayEvent } from '../helpers/fake-gateway.js';
import { createPostgresSchema, PgGatewayWriter, needsPostgres, startPostgres, type PostgresServer } from '../helpers/postgres.js';

needsPostgres().describe('the PostgreSQL store reader', () => {
  let server: PostgresServer;
  const readers: StoreReader[] = [];
  const writers: PgGatewayWriter[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    await createPostgresSchema(server);
    await createPostgresSchema(server, 'hangar_');
  }, 60_000);

  afterAll(async () => {
    for (const r of readers) await r.close();
    for (const w of writers) await w.close();
    await server?.stop();
  });

  async function reader(options: { url?: string; prefix?: string; env?: Record<string, string>; limits?: RowLimits } = {}): Promise<StoreReader> {
    const location = parseStoreLocation(options.url ?? server.url);
    if (location.engine !== 'postgres') throw new Error('not postgres');
    const r = await openPostgresStore({ url: location.url, display: location.display, hasPassword: location.hasPassword, tables: storeTables(options.prefix), env: options.env ?? {}, ...(options.limits ? { limits: options.limits } : {}) });
    readers.push(r);
    return r;
  }

  async function writer(prefix = ''): Promise<PgGatewayWriter> {
    const w = await PgGatewayWriter.connect(server, prefix);
    writers.push(w);
    return w;
  }

  async function readAll(r: StoreReader, from: StoreCursor): Promise<{ ids: string[]; cursor: StoreCursor }> {
    const ids: string[] = [];
    let cursor = from;
    for (;;) {
      const batch = await r.readAfter(cursor, 3);
      ids.push(...batch.events.map((e) => e.event.event_id as string));
      cursor = batch.cursor;
      if (batch.atHead) return { ids, cursor };
    }
  }

  it('reads what the gateway stored, as the socket sends it, in a prefixed installation too', async () => {
    const w = await writer('hangar_');
    const stored = await w.append([
      gatewayEvent('McpServerStarted', { mcp_server_id: 'math', tools_count: 3 }),
      gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', tool_name: 'add', note: 'ünïcode ✓' }),
      gatewayEvent('DiscoveryCycleCompleted', { discovered_count: 1 }),
      gatewayEvent('GroupMemberAdded', { group_id: 'g1' }),
    ]);
    expect(stored).toHaveLength(3);
    const r = await reader({ prefix: 'hangar_' });
    const batch = await r.readAfter(r.start(), 100);
    expect(batch.events.map((e) => e.event)).toEqual(stored);
    expect(batch.events.every((e) => Object.keys(e.event)[0] === 'event_type' && !('_version' in e.event))).toBe(true);
    expect(batch.atHead).toBe(true);
  });

  it('follows by the transaction watermark: an append that commits late behind a higher position is not lost (resuming by position would lose it)', async () => {
    const [a, b] = [await writer(), await writer()];
    const admin = await server.admin();
    try {
      const r = await reader();
      const start = await readAll(r, await r.head());
      const early = gatewayEvent('HealthCheckPassed', { mcp_server_id: 'slow' });
      const late = gatewayEvent('HealthCheckPassed', { mcp_server_id: 'fast' });
      const slow = await a.begin();
      const earlyPosition = await slow.append(early);
      const fast = await b.begin();
      const latePosition = await fast.append(late);
      await fast.commit();
      expect(latePosition).toBeGreaterThan(earlyPosition);

      // The late event has committed, the early one not yet: the watermark holds both back.
      const held = await readAll(r, start.cursor);
      expect(held.ids).toEqual([]);
      // A reader resuming by position sees the late one now and moves its cursor past the early one...
      const byPosition = async (after: number) =>
        (await admin.query<{ id: string; p: string }>(`SELECT data->>'event_id' AS id, global_position AS p FROM events WHERE global_position > $1 ORDER BY global_position`, [after])).rows;
      const naive = await byPosition(earlyPosition - 1);
      expect(naive.map((row) => row.id)).toEqual([late.event_id]);

      await slow.commit();
      // ...so after the commit it never sees the early one; the watermark reader gets both, each once.
      expect((await byPosition(Number(naive[0]!.p))).map((row) => row.id)).toEqual([]);
      const released = await readAll(r, held.cursor);
      expect(released.ids).toEqual([early.event_id, late.event_id]);
      expect((await readAll(r, released.cursor)).ids).toEqual([]);
    } finally {
      await admin.end();
    }
  });

  it('loses nothing and repeats nothing while several writers commit out of order (rollbacks included)', async () => {
    const count = 4;
    const ws = await Promise.all(Array.from({ length: count }, () => writer()));
    const r = await reader();
    const start = await readAll(r, await r.head());
    const committed: string[] = [];
    const seen: string[] = [];
    let cursor = start.cursor;
    let writing = true;
    const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
    const write = async (w: PgGatewayWriter, index: number) => {
      for (let tx = 0; tx < 15; tx++) {
        const open = await w.begin();
        const events = Array.from({ length: 1 + (tx % 3) }, () => gatewayEvent('ToolInvocationCompleted', { mcp_server_id: `server-${index}-${tx % 2}` }));
        for (const event of events) {
          await open.append(event);
          await pause();
        }
        if (tx % 7 === 6) {
          await open.rollback();
        } else {
          await open.commit();
          committed.push(...events.map((e) => e.event_id as string));
        }
      }
    };
    const follow = async () => {
      while (writing) {
        const batch = await readAll(r, cursor);
        seen.push(...batch.ids);
        cursor = batch.cursor;
        await pause();
      }
      seen.push(...(await readAll(r, cursor)).ids);
    };
    const following = follow();
    await Promise.all(ws.map(write));
    writing = false;
    await following;
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...committed].sort());
  }, 60_000);

  it('gives the event_type column as the one key, skips a row over the limit without reading it, and bounds a batch by bytes', async () => {
    await createPostgresSchema(server, 'odd_');
    const w = await writer('odd_');
    const small = (i: number) => gatewayEvent('HealthCheckPassed', { mcp_server_id: 'math', seq: i });
    const first = await w.append([small(0)]);
    // A row whose data holds its own event_type (and a _version elsewhere than first): the column is the truth.
    const forged = [{ event_id: 'forged-1' }];
    const admin = await server.admin();
    try {
      await admin.query(
        `INSERT INTO odd_events (stream_id, stream_version, event_type, data, created_at) VALUES ('mcp_server:forged', 0, 'ToolInvocationFailed', $1::jsonb, 'now')`,
        ['{"mcp_server_id": "math", "event_id": "forged-1", "event\\u005ftype": "HealthCheckPassed", "_version": 7}'],
      );
    } finally {
      await admin.end();
    }
    await w.append([gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', result: 'x'.repeat(300 * 1024) })]);
    const large = await w.append([0, 1, 2].map((i) => gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', seq: 10 + i, result: 'y'.repeat(40 * 1024) })));
    const last = await w.append([small(1)]);
    const r = await reader({ prefix: 'odd_', limits: { maxRowBytes: 256 * 1024, batchBytes: 64 * 1024 } });
    const batches: { ids: unknown[]; bad: readonly string[] }[] = [];
    let cursor = r.start();
    for (;;) {
      const batch = await r.readAfter(cursor, 100);
      batches.push({ ids: batch.events.map((e) => e.id), bad: batch.bad });
      if (batch.events.some((e) => e.id === forged[0]!.event_id)) {
        const line = batch.events.find((e) => e.id === forged[0]!.event_id)!.raw;
        expect(line.match(/"event_type"/g)).toHaveLength(1);
        expect(JSON.parse(line)).toMatchObject({ event_type: 'ToolInvocationFailed', mcp_server_id: 'math' });
        expect(line).not.toContain('_version');
      }
      cursor = batch.cursor;
      if (batch.atHead) break;
    }
    const ids = (events: readonly { event_id?: unknown }[]) => events.map((e) => e.event_id);
    expect(batches.flatMap((b) => b.ids)).toEqual(ids([...first, ...forged, ...large, ...last]));
    expect(batches.flatMap((b) => b.bad)).toEqual([expect.stringMatching(/^row \d+:\d+ \(ToolInvocationCompleted\): 300KiB \(307\d+ bytes\) is larger than the 262144-byte limit for one event; skipped without reading it$/)]);
    expect(batches.every((b) => b.ids.filter((id) => ids(large).includes(id)).length <= 2)).toBe(true);
    const back: unknown[] = [];
    cursor = await r.head();
    for (;;) {
      const batch = await r.readBefore(cursor, 100);
      back.push(...batch.events.map((e) => e.id));
      cursor = batch.cursor;
      if (batch.atHead) break;
    }
    expect(back.reverse()).toEqual(ids([...first, ...forged, ...large, ...last]));
  });

  it('reads backwards for --history and finds a time window', async () => {
    const w = await writer();
    const r = await reader();
    const base = 1_900_000_000;
    const events = Array.from({ length: 5 }, (_, i) => ({ ...gatewayEvent('HealthCheckPassed', { mcp_server_id: 'window' }), occurred_at: base + i }));
    await w.append(events);
    const newest = await r.readBefore(await r.head(), 2);
    expect(newest.events.map((e) => e.event.occurred_at)).toEqual([base + 4, base + 3]);
    const older = await r.readBefore(newest.cursor, 2);
    expect(older.events.map((e) => e.event.occurred_at)).toEqual([base + 2, base + 1]);
    const from = await r.cursorAtTime(base + 2.5);
    expect((await readAll(r, from)).ids).toEqual([events[3]!.event_id, events[4]!.event_id]);
  });

  it('completes a serve replay that reaches past the ring (serve --store): finds an event by id, ends where the ring begins', async () => {
    const w = await writer();
    const r = await reader();
    const events = Array.from({ length: 8 }, (_, i) => gatewayEvent('HealthCheckPassed', { mcp_server_id: 'seam', i }));
    await w.append(events);
    expect(await r.findEvent('no-such-event')).toBeUndefined();
    const ring = events.slice(5);
    const ask = { matches: (e: { mcp_server_id?: unknown }) => e.mcp_server_id === 'seam', serverIds: ['seam'], ringIds: new Set(ring.map((e) => e.event_id as string)), ringOldestIds: ring.map((e) => e.event_id as string) };
    const history = createStoreHistory(r, { batchSize: 2 });
    const after = await history.read({ ...ask, request: { after: events[1]!.event_id as string }, need: undefined });
    expect(after.events.map((e) => e.event_id)).toEqual(events.slice(2, 5).map((e) => e.event_id));
    expect(after.complete).toBe(true);
    const last = await history.read({ ...ask, request: { last: 6 }, need: 3 });
    expect(last.events.map((e) => e.event_id)).toEqual(events.slice(2, 5).map((e) => e.event_id));
    const since = await history.read({ ...ask, request: { since: events[3]!.occurred_at as number }, need: undefined });
    expect(since.events.map((e) => e.event_id)).toEqual(events.slice(3, 5).map((e) => e.event_id));
    expect((await history.read({ ...ask, request: { after: 'no-such-event' }, need: undefined })).complete).toBe(false);
  });

  it('takes the password from PGPASSWORD or ~/.pgpass when the URL has none, and never echoes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-pgpass-'));
    try {
      await expect(reader({ url: server.urlWithoutPassword })).rejects.toThrow(/the server asks for a password and none was found: put it in the URL, PGPASSWORD or ~\/.pgpass/);
      const viaEnv = await reader({ url: server.urlWithoutPassword, env: { PGPASSWORD: server.password } });
      expect(viaEnv.display).toBe(server.urlWithoutPassword);
      const file = join(dir, 'pgpass');
      writeFileSync(file, `# comment\notherhost:*:*:*:nope\n127.0.0.1:${server.port}:*:${server.user}:${server.password}\n`);
      chmodSync(file, 0o600);
      await reader({ url: server.urlWithoutPassword, env: { PGPASSFILE: file } });
      chmodSync(file, 0o644);
      await expect(reader({ url: server.urlWithoutPassword, env: { PGPASSFILE: file } })).rejects.toThrow(/none was found/);
      const wrong = server.url.replace(encodeURIComponent(server.password), 'not-the-password');
      const error = await reader({ url: wrong }).catch((e: Error) => e);
      expect(String(error)).toMatch(/the server refused the password \(28P01\); check the password in the URL, PGPASSWORD or ~\/.pgpass/);
      expect(String(error)).not.toContain('not-the-password');
      expect(String(error)).toContain('postgresql://hangar:***@');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what is wrong with a missing database, a missing table, an old schema and an unreachable server', async () => {
    await expect(reader({ url: server.url.replace(/\/[^/]+$/, '/nope') })).rejects.toThrow(/the database does not exist \(3D000\); check the database in --store \(or PGDATABASE\)/);
    await expect(reader({ prefix: 'other_' })).rejects.toThrow(/has no table 'other_events' \(or this user cannot see it\); it has 'events' \(no prefix: drop --store-table-prefix\), 'hangar_events' \(--store-table-prefix hangar_\)/);
    const admin = await server.admin();
    try {
      await admin.query('CREATE TABLE old_events (global_position BIGSERIAL PRIMARY KEY, stream_id TEXT, stream_version INTEGER, event_type TEXT, data JSONB)');
    } finally {
      await admin.end();
    }
    await expect(reader({ prefix: 'old_' })).rejects.toThrow(/has no xact_id column, so it cannot be followed without losing events that commit out of order/);
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    await expect(reader({ url: `postgresql://u:pw@127.0.0.1:${closed}/db` })).rejects.toThrow(`cannot connect to the PostgreSQL store postgresql://u:***@127.0.0.1:${closed}/db: connection refused; check that the server runs and the host and port in --store (or PGHOST/PGPORT)`);
  });
});
