import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { matchesSubscription } from '../../src/protocol/filter.js';
import { closeAll, connect, eventually, startTestServer, testEvent, type TestClient } from './serve-support.js';

afterEach(closeAll);

const TYPES = ['ToolInvocationCompleted', 'HealthCheckPassed', 'McpServerStateChanged', 'tools/call'];
const SERVERS = ['math', 'fetch', 'github', 'filesystem', 'postgres'];

describe('serve: many subscribers and churn', () => {
  it('gives each of many subscribers with different filters exactly its matching events, in order', async () => {
    const server = await startTestServer();
    const filters = Array.from({ length: 100 }, (_, i) => ({
      ...(i % 3 !== 0 ? { event_types: i % 2 ? [TYPES[i % TYPES.length]!] : ['tools/*', TYPES[(i + 1) % TYPES.length]!] } : {}),
      ...(i % 4 !== 0 ? { mcp_server_ids: SERVERS.slice(0, 1 + (i % SERVERS.length)) } : {}),
    }));
    const clients: TestClient[] = [];
    for (const filter of filters) {
      const client = await connect(server.url);
      client.send({ type: 'subscribe', ...filter });
      clients.push(client);
    }
    await Promise.all(clients.map((c) => c.next((f) => f.type === 'subscribed', 'ack')));
    const events = Array.from({ length: 2000 }, (_, i) => testEvent(i + 1, { event_type: TYPES[(i * 7) % TYPES.length]!, mcp_server_id: SERVERS[(i * 3) % SERVERS.length]! }));
    for (let i = 0; i < events.length; i += 200) {
      for (const event of events.slice(i, i + 200)) server.hub.publish(event);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(
      clients.map((client, i) => {
        const filter = { eventTypes: filters[i]!.event_types, serverIds: filters[i]!.mcp_server_ids };
        const expected = events.filter((e) => matchesSubscription(filter, e)).map((e) => e.seq);
        return client.waitUntil(() => client.events().length >= expected.length, `client ${i}`).then(() => {
          expect(client.events().map((e) => e.seq)).toEqual(expected);
          expect(client.controls('warning')).toEqual([]);
        });
      }),
    );
  });

  it('leaves nothing behind after connection churn', async () => {
    const server = await startTestServer();
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(Array.from({ length: 30 }, () => connect(server.url)));
      server.hub.publish(testEvent(round));
      batch.forEach((client, i) => {
        if (i % 3 === 0) client.ws.terminate();
        else if (i % 3 === 1) client.ws.close(1000);
        else client.send({ type: 'subscribe', replay: { last: 5 } });
      });
      for (const client of batch) if (client.ws.readyState === WebSocket.OPEN) client.ws.close();
    }
    await eventually(() => server.connections().length === 0 && server.hub.subscriberCount === 0, 'every connection to be released');
    expect(server.health().clients).toBe(0);
  });
});
