import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { closeAll, connect, eventually, startTestServer, testEvent } from './serve-support.js';

afterEach(closeAll);

describe('serve: floods from one client', () => {
  it('rate-limits a subscribe flood with one error frame, keeps the connection, and others are unaffected', async () => {
    const server = await startTestServer();
    const flooder = await connect(server.url);
    const neighbour = await connect(server.url);
    for (let i = 0; i < 200; i++) flooder.send({ type: 'subscribe', event_types: [`T${i}`], replay: { last: 10000 } });
    flooder.send({ type: 'pong' });
    server.hub.publish(testEvent(1));
    await neighbour.next((f) => f.seq === 1, 'neighbour event');
    await flooder.waitUntil(() => flooder.controls('error').length >= 1, 'rate-limit error');
    const acks = flooder.controls('subscribed').length;
    expect(acks).toBeGreaterThanOrEqual(20);
    expect(acks).toBeLessThan(200);
    // One error per flood episode (a slow machine may split the flood into a few episodes), never one per message.
    const errors = flooder.controls('error');
    for (const error of errors) expect(error.code).toBe('rate_limited');
    expect(errors.length).toBeLessThan((200 - acks) / 10);
    expect(flooder.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes a client that floods bad frames without reading the answers, and only that client', async () => {
    const server = await startTestServer();
    const flooder = await connect(server.url);
    const neighbour = await connect(server.url);
    (flooder.ws as unknown as { _socket: Socket })._socket.pause();
    let sent = 0;
    while (server.connections().length === 2 && sent < 400_000) {
      for (let i = 0; i < 5000; i++) flooder.ws.send('{"type": "bad"}');
      sent += 5000;
      await new Promise((resolve) => setImmediate(resolve));
      // Let the server read what was sent before judging.
      await eventually(() => flooder.ws.bufferedAmount === 0 || server.connections().length === 1, 'the flooder to flush its frames');
    }
    await eventually(() => server.connections().length === 1, 'the flooder to be closed');
    expect(server.connections()[0]!.id).toBe(2);
    server.hub.publish(testEvent(7));
    await neighbour.next((f) => f.seq === 7, 'neighbour event after the flood');
    expect(neighbour.controls('error')).toEqual([]);
  });
});

describe('serve: replay requests from a client that does not read', () => {
  it('serves one replay at a time per connection and answers the others with replay_busy', async () => {
    const server = await startTestServer({ historySize: 5000 });
    const padding = 'p'.repeat(1024);
    for (let n = 1; n <= 5000; n++) server.hub.publish(testEvent(n, { padding }));
    const client = await connect(server.url);
    const socket = (client.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    for (let i = 0; i < 5; i++) client.send({ type: 'subscribe', replay: { last: 5000 } });
    socket.resume();
    await client.waitUntil(() => client.controls('replayed').length >= 1 && client.controls('subscribed').length === 5, 'the replay and five acks');
    expect(client.controls('error').map((e) => e.code)).toEqual(['replay_busy', 'replay_busy', 'replay_busy', 'replay_busy']);
    expect(client.controls('replayed')).toEqual([{ type: 'replayed', count: 5000, complete: true }]);
  });
});
