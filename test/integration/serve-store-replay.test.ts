import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import { Hub } from '../../src/server/hub.js';
import type { StoreHistory } from '../../src/server/store-history.js';
import { Subscriber } from '../../src/server/subscriber.js';
import type { Transport } from '../../src/wire/ws-transport.js';
import type { HangarEvent, ReplayRequest } from '../../src/protocol/types.js';
import { openSqliteStore } from '../../src/store/sqlite-reader.js';
import { createStoreHistory } from '../../src/store/store-history.js';
import type { StoreReader } from '../../src/store/store-reader.js';
import { storeTables } from '../../src/store/table-names.js';
import { gatewayEvent } from '../helpers/fake-gateway.js';
import { closeAll, connect, startTestServer } from './serve-support.js';
import { SqliteGatewayStore } from '../helpers/event-store.js';

/**
 * serve --store: a replay that reaches past the ring is completed from a real
 * SQLite store (written the way the gateway writes it), through the hub and a
 * subscriber exactly as serve runs them; live events published while the
 * store is read come after the replay, none lost, none twice.
 */

const sqlite = requireProgram('better-sqlite3');
let dir: string;
const open: (StoreReader | SqliteGatewayStore)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-serve-replay-'));
});
afterEach(async () => {
  await closeAll();
  for (const thing of open.splice(0)) await thing.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  readonly hub: Hub;
  readonly store: SqliteGatewayStore;
  readonly stored: HangarEvent[];
}

/** 50 stored events; the hub's ring (10) holds the newest 10 of them, as serve --store's feed would. */
async function setup(options: { ringSize?: number; whileReading?: (hub: Hub) => void } = {}): Promise<Setup> {
  const store = new SqliteGatewayStore(join(dir, 'events.db'));
  open.push(store);
  const stored = store.append(Array.from({ length: 50 }, (_, i) => gatewayEvent('HealthCheckPassed', { mcp_server_id: i % 2 === 0 ? 'math' : 'git', seq: i })));
  const reader = await openSqliteStore({ path: store.path, display: 'sqlite:events.db', tables: storeTables(undefined) });
  open.push(reader);
  const hub = new Hub({ historySize: options.ringSize ?? 10, historyBytes: 1 << 30, now: () => Date.now() });
  for (const event of stored) hub.publish(event);
  const real = createStoreHistory(reader, { batchSize: 7 });
  const history: StoreHistory = {
    async read(request) {
      // Live events arrive while the store is read (the read itself is asynchronous).
      options.whileReading?.(hub);
      const result = await real.read(request);
      options.whileReading?.(hub);
      return result;
    },
  };
  hub.useStoreHistory(history);
  return { hub, store, stored };
}

function client(hub: Hub, queueSize = 1000) {
  const frames: Record<string, unknown>[] = [];
  let notify: (() => void) | undefined;
  const transport: Transport = {
    send: (frame, done) => {
      frames.push(JSON.parse(frame.toString()) as Record<string, unknown>);
      notify?.();
      done?.();
    },
    bufferedAmount: 0,
    cork() {},
    uncork() {},
  };
  const subscriber = new Subscriber({
    transport,
    limits: { queueSize, queueBytes: 1 << 30, highWaterMarkBytes: 1 << 30, maxPendingControls: 100 },
    stats: hub.stats,
    monotonicMs: () => 0,
  });
  hub.attach(subscriber);
  /** Resolves once a frame satisfying `test` has been sent. */
  const until = (test: (frame: Record<string, unknown>) => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = () => {
        if (frames.some(test)) {
          notify = undefined;
          resolve();
        }
      };
      notify = check;
      check();
    });
  return { subscriber, frames, until };
}

const events = (frames: readonly Record<string, unknown>[]) => frames.filter((f) => typeof f.event_type === 'string');
const idsOf = (list: readonly Record<string, unknown>[] | readonly HangarEvent[]) => list.map((e) => e.event_id);
const replayedOf = (frames: readonly Record<string, unknown>[]) => frames.find((f) => f.type === 'replayed');
/** Frames after the replayed message. */
const afterReplayed = (frames: readonly Record<string, unknown>[]) => frames.slice(frames.findIndex((f) => f.type === 'replayed') + 1);

async function replay(hub: Hub, request: ReplayRequest, extra: { mcp_server_ids?: string[] } = {}, queueSize?: number) {
  const c = client(hub, queueSize);
  hub.subscribe(c.subscriber, { type: 'subscribe', replay: request, ...extra });
  await c.until((f) => f.type === 'replayed');
  return c;
}

describe('serve --store: replay beyond the ring reads the store', () => {
  sqlite.it('last N: the stored events, then the ring, each once, in order, complete', async () => {
    const { hub, stored } = await setup();
    const c = await replay(hub, { last: 30 });
    expect(idsOf(events(c.frames))).toEqual(idsOf(stored.slice(20)));
    expect(replayedOf(c.frames)).toMatchObject({ count: 30, complete: true, from_store: 20 });
    expect(String(replayedOf(c.frames)!.message)).toMatch(/server, group or session/);
    // More than the store holds: everything, and complete (the store reached its start, nothing compacted).
    const all = await replay(hub, { last: 500 });
    expect(idsOf(events(all.frames))).toEqual(idsOf(stored));
    expect(replayedOf(all.frames)).toMatchObject({ count: 50, complete: true, from_store: 40 });
  });

  sqlite.it('since: from the store where the ring no longer reaches', async () => {
    const { hub, stored } = await setup();
    const c = await replay(hub, { since: stored[15]!.occurred_at as number });
    expect(idsOf(events(c.frames))).toEqual(idsOf(stored.slice(15)));
    expect(replayedOf(c.frames)).toMatchObject({ count: 35, complete: true, from_store: 25 });
  });

  sqlite.it('after: an id the ring has evicted but the store holds; an id neither knows is incomplete', async () => {
    const { hub, stored } = await setup();
    const c = await replay(hub, { after: stored[4]!.event_id as string });
    expect(idsOf(events(c.frames))).toEqual(idsOf(stored.slice(5)));
    expect(replayedOf(c.frames)).toMatchObject({ count: 45, complete: true, from_store: 35 });
    const unknown = await replay(hub, { after: 'no-such-event' });
    expect(idsOf(events(unknown.frames))).toEqual(idsOf(stored.slice(40)));
    expect(replayedOf(unknown.frames)).toMatchObject({ count: 10, complete: false, from_store: 0 });
    expect(String(replayedOf(unknown.frames)!.message)).toMatch(/neither in the ring nor in the store/);
  });

  sqlite.it('the subscriber\'s filter applies to the store\'s events too', async () => {
    const { hub, stored } = await setup();
    const c = await replay(hub, { last: 12 }, { mcp_server_ids: ['math'] });
    const math = stored.filter((e) => e.mcp_server_id === 'math');
    expect(idsOf(events(c.frames))).toEqual(idsOf(math.slice(-12)));
    expect(replayedOf(c.frames)).toMatchObject({ count: 12, complete: true, from_store: 7 });
  });

  sqlite.it('a stream compacted after the requested start makes the replay incomplete, and says so', async () => {
    const { hub, store, stored } = await setup();
    store.compact('mcp_server:git', 5); // git's seq 1..11 (its versions 0..5) are gone
    const c = await replay(hub, { since: stored[0]!.occurred_at as number });
    const left = stored.filter((e, i) => !(e.mcp_server_id === 'git' && i <= 11));
    expect(idsOf(events(c.frames))).toEqual(idsOf(left));
    expect(replayedOf(c.frames)).toMatchObject({ complete: false });
    expect(String(replayedOf(c.frames)!.message)).toMatch(/compacted.*mcp_server:git from version 6/);
  });

  sqlite.it('live events published during the store read come after the replay, none lost, none twice', async () => {
    const live: HangarEvent[] = [];
    let inStoreAlready: HangarEvent | undefined;
    const { hub, store, stored } = await setup({
      whileReading: (h) => {
        const event = gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', n: live.length });
        live.push(event);
        h.publish(event);
        if (inStoreAlready !== undefined) {
          // The store's feed lags: an event already in the store is published live only now.
          h.publish(inStoreAlready);
          live.push(inStoreAlready);
          inStoreAlready = undefined;
        }
      },
    });
    const c = client(hub);
    inStoreAlready = gatewayEvent('McpServerStopped', { mcp_server_id: 'git' });
    store.append([inStoreAlready]);
    hub.subscribe(c.subscriber, { type: 'subscribe', replay: { last: 25 } });
    await c.until((f) => f.event_id === live[live.length - 1]?.event_id && live.length === 3);
    expect(idsOf(events(c.frames))).toEqual(idsOf([...stored.slice(25), ...live]));
    expect(new Set(idsOf(events(c.frames))).size).toBe(events(c.frames).length);
    expect(idsOf(events(afterReplayed(c.frames)))).toEqual(idsOf(live));
    expect(replayedOf(c.frames)).toMatchObject({ count: 25, complete: true, from_store: 15 });
    // Accounting stays exact: live events matched = delivered + dropped.
    expect(c.subscriber.matched).toBe(c.subscriber.delivered + c.subscriber.totalDropped);
    expect(c.subscriber.delivered).toBe(3);
    // After the replay the subscriber is live like any other.
    const later = gatewayEvent('HealthCheckPassed', { mcp_server_id: 'math' });
    hub.publish(later);
    await c.until((f) => f.event_id === later.event_id);
  });

  sqlite.it('live events held behind a store replay keep the queue bound, with exact drop accounting', async () => {
    const live: HangarEvent[] = [];
    const { hub, stored } = await setup({
      whileReading: (h) => {
        for (let i = 0; i < 5; i++) {
          const event = gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', n: live.length });
          live.push(event);
          h.publish(event);
        }
      },
    });
    const c = await replay(hub, { last: 40 }, {}, 3);
    await c.until((f) => f.event_id === live[9]!.event_id);
    const warnings = c.frames.filter((f) => f.type === 'warning');
    const dropped = warnings.reduce((sum, w) => sum + (w.dropped as number), 0);
    expect(c.subscriber.matched).toBe(10);
    expect(c.subscriber.delivered + c.subscriber.totalDropped).toBe(10);
    expect(dropped).toBe(c.subscriber.totalDropped);
    expect(c.subscriber.totalDropped).toBeGreaterThan(0);
    // The replay itself is whole, and what live events were kept come after it, in order.
    expect(idsOf(events(c.frames)).slice(0, 40)).toEqual(idsOf(stored.slice(10)));
    const kept = idsOf(events(afterReplayed(c.frames)));
    expect(kept).toEqual(idsOf(live).filter((id) => kept.includes(id)));
  });

  sqlite.it('a second replay while the store is read is refused as busy; a replay the ring covers never asks the store', async () => {
    let reads = 0;
    const { hub, stored } = await setup({ whileReading: () => reads++ });
    const c = client(hub);
    hub.subscribe(c.subscriber, { type: 'subscribe', replay: { last: 20 } });
    hub.subscribe(c.subscriber, { type: 'subscribe', replay: { last: 20 } });
    await c.until((f) => f.type === 'replayed');
    expect(c.frames.some((f) => f.type === 'error' && f.code === 'replay_busy')).toBe(true);
    expect(idsOf(events(c.frames))).toEqual(idsOf(stored.slice(30)));
    reads = 0;
    const covered = await replay(hub, { last: 5 });
    expect(reads).toBe(0);
    expect(replayedOf(covered.frames)).toEqual({ type: 'replayed', count: 5, complete: true });
  });

  sqlite.it('over a real socket: live events wait behind the store read even when the client sends more meanwhile', async () => {
    const store = new SqliteGatewayStore(join(dir, 'events.db'));
    open.push(store);
    const stored = store.append(Array.from({ length: 30 }, (_, i) => gatewayEvent('HealthCheckPassed', { mcp_server_id: 'math', seq: i })));
    const reader = await openSqliteStore({ path: store.path, display: 'sqlite:events.db', tables: storeTables(undefined) });
    open.push(reader);
    const server = await startTestServer({ historySize: 10 });
    for (const event of stored.slice(20)) server.hub.publish(event);
    const real = createStoreHistory(reader);
    let started!: () => void;
    const reading = new Promise<void>((resolve) => (started = resolve));
    let open_!: () => void;
    const gate = new Promise<void>((resolve) => (open_ = resolve));
    server.hub.useStoreHistory({
      async read(request) {
        started();
        await gate;
        return real.read(request);
      },
    });
    const c = await connect(server.url);
    c.send({ type: 'subscribe', replay: { since: stored[0]!.occurred_at } });
    await reading;
    await c.next((f) => f.type === 'subscribed', 'the ack');
    const live = [gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', n: 1 }), gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', n: 2 })];
    server.hub.publish(live[0]!);
    c.send({ type: 'pong' });
    c.send({ type: 'subscribe' });
    await c.next((f) => f.type === 'subscribed', 'the second ack', 2);
    server.hub.publish(live[1]!);
    open_();
    await c.next((f) => f.event_id === live[1]!.event_id, 'the last live event');
    expect(idsOf(c.events())).toEqual(idsOf([...stored, ...live]));
    expect(idsOf(events(afterReplayed(c.frames)))).toEqual(idsOf(live));
    expect(replayedOf(c.frames)).toMatchObject({ count: 30, complete: true, from_store: 20 });
  });
});
