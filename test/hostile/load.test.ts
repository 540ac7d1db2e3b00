import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, test } from 'vitest';
import { createRng, hostileSeed, seedNote } from '../helpers/hostile-fuzz.js';
import { closeHostile, connectClient, eventually, health, recordFigures, scaled, startHostileServer, subscribedClient, type RecordingClient } from '../helpers/hostile-net.js';

/**
 * Load promises, in process on 127.0.0.1:
 * - many concurrent subscribers with different filters (200 in CI, 1000 under
 *   `npm run stress`): every one receives exactly the events that match its
 *   filter, in order (checked by sequence number), with no drop;
 * - connect/disconnect churn: afterwards /health says 0 clients, and the
 *   process's active handles and RSS return near their baseline.
 */

const SEED = hostileSeed();
const NOTE = seedNote(SEED);
afterEach(closeHostile);

const TYPES = ['ToolInvocationCompleted', 'ToolInvocationFailed', 'HealthCheckPassed', 'HealthCheckFailed', 'McpServerStateChanged', 'CircuitBreakerStateChanged'];
const SERVERS = ['math', 'fetch', 'github', 'filesystem', 'postgres', 'slack', 'sqlite', 'memory'];

interface Sub {
  client: RecordingClient;
  types: string[] | undefined;
  servers: string[] | undefined;
}

function activeHandles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
}

describe('load', () => {
  test(`many subscribers with different filters each get exactly their events, in order ${NOTE}`, async () => {
    const rng = createRng(SEED);
    const n = scaled(200, 1000);
    const rounds = scaled(20, 300);
    const server = await startHostileServer({ queueSize: 100_000 });
    const subs: Sub[] = [];
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, async () => {
          const types = rng.chance(0.7) ? Array.from({ length: rng.int(1, 3) }, () => rng.pick(TYPES)) : undefined;
          const servers = rng.chance(0.6) ? Array.from({ length: rng.int(1, 3) }, () => rng.pick(SERVERS)) : undefined;
          const client = await subscribedClient(server.url, { ...(types ? { event_types: types } : {}), ...(servers ? { mcp_server_ids: servers } : {}) });
          return { client, types, servers };
        }),
      );
      subs.push(...batch);
    }
    expect((await health(server.port)).clients).toBe(n);
    const published: Array<{ event_type: string; mcp_server_id: string; seq: number }> = [];
    const started = performance.now();
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 100; i++) {
        const e = { event_type: rng.pick(TYPES), mcp_server_id: rng.pick(SERVERS), seq: published.length };
        published.push(e);
        server.hub.publish({ ...e });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    let expectedTotal = 0;
    for (const [i, sub] of subs.entries()) {
      const expected = published.filter((e) => (!sub.types || sub.types.includes(e.event_type)) && (!sub.servers || sub.servers.includes(e.mcp_server_id))).map((e) => e.seq);
      expectedTotal += expected.length;
      await sub.client.waitUntil(() => sub.client.events.length >= expected.length, `subscriber ${i}: ${expected.length} events ${NOTE}`, 120_000);
      expect(sub.client.controls('warning'), `subscriber ${i} had no drops ${NOTE}`).toEqual([]);
      expect(sub.client.events.map((e) => e.seq), `subscriber ${i} (${JSON.stringify([sub.types, sub.servers])}) ${NOTE}`).toEqual(expected);
    }
    const h = await health(server.port);
    expect(h.events_dropped).toBe(0);
    expect(h.events_delivered).toBe(expectedTotal);
    recordFigures(`load: ${n} subscribers`, {
      subscribers: n,
      events_published: published.length,
      deliveries: expectedTotal,
      events_lost: 0,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    });
  }, scaled(120_000, 900_000));

  test(`connect/disconnect churn leaves no clients, handles or memory behind ${NOTE}`, async () => {
    const server = await startHostileServer();
    const publisher = setInterval(() => server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math' }), 2);
    // Warm up once so lazily created things exist before the baseline.
    const warm = await connectClient(server.url);
    warm.ws.close();
    await warm.closed;
    await eventually(async () => (await health(server.port)).clients === 0, 'warm-up closed');
    const handlesBefore = activeHandles();
    const rssBefore = process.memoryUsage().rss;
    const waves = scaled(10, 100);
    const perWave = scaled(50, 200);
    let opened = 0;
    for (let w = 0; w < waves; w++) {
      const clients = await Promise.all(Array.from({ length: perWave }, () => connectClient(server.url)));
      opened += clients.length;
      for (const [i, c] of clients.entries()) {
        if (i % 3 === 0) c.ws.terminate(); // abrupt
        else if (i % 3 === 1) c.ws.close(1000); // polite
        else {
          c.send({ type: 'subscribe', event_types: ['ToolInvocationCompleted'] });
          c.ws.close(1001);
        }
      }
      await Promise.all(clients.map((c) => c.closed));
    }
    clearInterval(publisher);
    await eventually(async () => (await health(server.port)).clients === 0, 'every churned client gone', 60_000);
    expect(server.connections()).toHaveLength(0);
    expect(server.hub.subscriberCount).toBe(0);
    await eventually(() => activeHandles() <= handlesBefore + 5, `active handles back near ${handlesBefore} (now ${activeHandles()})`, 30_000);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    // Generous: the clients live in this process too, and freed memory is not always returned to the OS.
    expect(rssGrowth, 'RSS back near baseline (generous)').toBeLessThan(scaled(150, 400) * 1024 * 1024);
    recordFigures('churn', { connections_opened_and_closed: opened, clients_left: 0, handles_before: handlesBefore, handles_after: activeHandles(), rss_growth_mib: Math.round(rssGrowth / 1048576) });
  }, scaled(120_000, 900_000));
});
