import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import { type StreamMessage } from '../../src/feed/messages.js';
import { StreamClient } from '../../src/client/stream-client.js';
import { JoinedSource } from '../../src/feed/joined.js';
import { systemClock } from '../../src/io/clock.js';
import { openSqliteStore } from '../../src/store/sqlite-reader.js';
import { storeTables } from '../../src/store/table-names.js';
import type { SourceRef } from '../../src/feed/messages.js';
import { FakeGateway, gatewayEvent, startFakeGateway } from '../helpers/fake-gateway.js';
import { SqliteGatewayStore } from '../helpers/event-store.js';

/** The join in-process, where a test can watch each message: a real socket to the gateway double and a real SQLite store. */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: { undeliveredAfterMs?: number; maxHeld?: number; batchSize?: number; window?: { kind: 'since'; seconds: number } } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-join-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteGatewayStore(join(dir, 'events.db'));
  cleanups.push(() => store.close());
  const g: FakeGateway = await startFakeGateway({ blindWindowMs: 60_000 });
  cleanups.push(() => g.close());
  const reader = await openSqliteStore({ path: join(dir, 'events.db'), display: 'sqlite:events.db', tables: storeTables(undefined) });
  cleanups.push(() => reader.close());
  const client = new StreamClient({ url: g.url, subscription: {}, monotonicMs: () => performance.now(), nowMs: () => Date.now(), serverDetectMs: 200 });
  cleanups.push(async () => {
    await client.stop();
  });
  const live: SourceRef = { url: g.url, label: 'gw', index: 0 };
  const storeSource: SourceRef = { url: 'sqlite:events.db', label: 'store', index: 1 };
  const joined = new JoinedSource({
    reader,
    links: [{ client, source: live }],
    storeSource,
    window: { kind: 'last', count: 100 },
    intervalMs: 50,
    // Real time: a real socket and a real store, each at its own pace.
    clock: systemClock(),
    ...options,
  });
  cleanups.push(() => joined.stop());
  const received: { source: string; message: StreamMessage }[] = [];
  const waiters: (() => void)[] = [];
  joined.on('message', (source, message) => {
    received.push({ source: source.label, message });
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = (predicate: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 15_000);
      const check = () => {
        if (predicate()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  const events = () => received.filter((r) => r.message.kind === 'event').map((r) => ({ source: r.source, id: (r.message as { event: { event_id?: string } }).event.event_id }));
  return { store, g, joined, received, events, waitFor };
}

requireProgram('better-sqlite3').describe('the store joined to a live socket', () => {
  it('holds no more live events than its bound: beyond it they are let go of and the store is read again, each event still once', async () => {
    const { store, g, joined, received, events, waitFor } = await setup({ maxHeld: 0, batchSize: 20, window: { kind: 'since', seconds: 0 } });
    const history = store.append(Array.from({ length: 3000 }, (_, i) => gatewayEvent('HealthCheckPassed', { mcp_server_id: `h${i % 5}` })));
    joined.start();
    await g.waitForAttached(1);
    // The backfill has begun (150 batches of 20 to go): what the gateway sends now arrives during it.
    await waitFor(() => events().length >= 1, 'the first stored event');
    const live = Array.from({ length: 5 }, (_, i) => gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', live: i }));
    for (const event of live) {
      store.append([event]);
      g.publish(event);
    }
    await waitFor(() => events().length >= 3005, 'every event');
    expect(events().map((e) => e.id)).toEqual([...history, ...live].map((e) => e.event_id));
    const warnings = () => received.map((r) => r.message).filter((m) => m.kind === 'store' && m.level === 'warning').map((m) => (m as { text: string }).text);
    const overflow = /live events? from .* arrived while the store was read \(more than 0 to hold\) and were let go of; the store was read again up to its head/;
    await waitFor(() => warnings().some((w) => overflow.test(w)), 'the overflow warning');
    // Nothing twice after the second read either.
    const marker = gatewayEvent('McpServerStopped', { mcp_server_id: 'math' });
    g.publish(marker);
    await waitFor(() => events().some((e) => e.id === marker.event_id), 'the marker');
    expect(events().map((e) => e.id)).toEqual([...history, ...live, marker].map((e) => e.event_id));
  });

  it('holds live events during the backfill and drops the ones the store already printed', async () => {
    const { store, g, joined, events, waitFor } = await setup();
    const history = store.append(Array.from({ length: 5 }, (_, i) => gatewayEvent('HealthCheckPassed', { mcp_server_id: `h${i}` })));
    joined.start();
    await g.waitForAttached(1);
    // Stored and sent live at once: printed once, from whichever came first at the join.
    const both = gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math' });
    store.append([both]);
    g.publish(both);
    const liveOnly = gatewayEvent('DiscoveryCycleCompleted', {});
    g.publish(liveOnly);
    await waitFor(() => events().length >= 7, '7 events');
    expect(events().map((e) => e.id)).toEqual([...history.map((e) => e.event_id), both.event_id, liveOnly.event_id]);
    expect(events().slice(0, 5).every((e) => e.source === 'store')).toBe(true);
    expect(events()[6]!.source).toBe('gw');
  });

  it('prints from the store a stored event the connected gateway never delivered, with a warning', async () => {
    const { store, g, joined, received, events, waitFor } = await setup({ undeliveredAfterMs: 300 });
    joined.start();
    await g.waitForAttached(1);
    await waitFor(() => received.some((r) => r.message.kind === 'store'), 'the join');
    const delivered = gatewayEvent('HealthCheckPassed', { mcp_server_id: 'math' });
    const dropped = gatewayEvent('ToolInvocationFailed', { mcp_server_id: 'math' });
    store.append([delivered, dropped]);
    g.publish(delivered);
    await waitFor(() => events().length >= 2, 'the dropped event from the store');
    expect(events()).toEqual([
      { source: 'gw', id: delivered.event_id },
      { source: 'store', id: dropped.event_id },
    ]);
    expect(received.map((r) => r.message).filter((m) => m.kind === 'store' && m.level === 'warning').map((m) => (m as { text: string }).text)).toContain(
      "the gateway never delivered a stored ToolInvocationFailed (it drops events silently when a client's queue is full): printed from the store",
    );
    // Delivered late after all: not printed twice.
    g.publish(dropped);
    const marker = gatewayEvent('McpServerStopped', { mcp_server_id: 'math' });
    g.publish(marker);
    await waitFor(() => events().some((e) => e.id === marker.event_id), 'the marker');
    expect(events().map((e) => e.id)).toEqual([delivered.event_id, dropped.event_id, marker.event_id]);
    expect(joined.duplicates).toBe(1);
  });
});
