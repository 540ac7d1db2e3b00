import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { closeAll, connect, startTestServer, testEvent } from './serve-support.js';

afterEach(closeAll);

describe('serve: the stream', () => {
  it('delivers events from the moment the connection opens, with event_id and occurred_at assigned', async () => {
    const server = await startTestServer();
    const client = await connect(server.url);
    // No subscribe sent: the connection is attached at once (no 5 s blind window).
    server.hub.publish(testEvent(1));
    const event = await client.next((f) => 'event_type' in f, 'first event');
    expect(event.seq).toBe(1);
    expect(event.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(typeof event.occurred_at).toBe('number');
    expect(Math.abs((event.occurred_at as number) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('keeps event_id and occurred_at that the event already has', async () => {
    const server = await startTestServer();
    const client = await connect(server.url);
    server.hub.publish(testEvent(1, { event_id: 'given-id', occurred_at: 1795727378.5 }));
    const event = await client.next((f) => 'event_type' in f, 'event');
    expect(event.event_id).toBe('given-id');
    expect(event.occurred_at).toBe(1795727378.5);
  });

  it('acknowledges every subscribe, lists [] for omitted keys, and filters with the gateway semantics', async () => {
    const server = await startTestServer();
    const client = await connect(server.url);
    client.send({ type: 'subscribe', event_types: ['McpServerStateChanged'] });
    const ack = await client.next((f) => f.type === 'subscribed', 'ack');
    expect(ack).toEqual({ type: 'subscribed', event_types: ['McpServerStateChanged'], mcp_server_ids: [], instance_id: expect.any(String) });
    server.hub.publish(testEvent(1));
    server.hub.publish({ event_type: 'McpServerStateChanged', mcp_server_id: 'math', old_state: 'cold', new_state: 'ready', seq: 2 });
    await client.next((f) => f.seq === 2, 'matching event');
    expect(client.events().map((e) => e.seq)).toEqual([2]);

    // A second subscribe replaces the filter and is acknowledged too (a gateway would not ack it).
    client.send({ mcp_server_ids: ['fetch'] }); // legacy form: no "type"
    await client.next((f) => f.type === 'subscribed', 'second ack', 2);
    expect(client.controls('subscribed')[1]).toEqual({ type: 'subscribed', event_types: [], mcp_server_ids: ['fetch'], instance_id: expect.any(String) });
    server.hub.publish(testEvent(3));
    server.hub.publish(testEvent(4, { mcp_server_id: 'fetch' }));
    await client.next((f) => f.seq === 4, 'fetch event');
    expect(client.events().map((e) => e.seq)).toEqual([2, 4]);

    // An empty list matches nothing.
    client.send({ type: 'subscribe', event_types: [] });
    await client.next((f) => f.type === 'subscribed', 'third ack', 3);
    client.send({ type: 'subscribe', event_types: ['tools/*'] });
    await client.next((f) => f.type === 'subscribed', 'fourth ack', 4);
    server.hub.publish({ event_type: 'tools/call', seq: 5 });
    await client.next((f) => f.seq === 5, 'segment pattern match');
    expect(client.events().map((e) => e.seq)).toEqual([2, 4, 5]);
  });

  it('answers malformed frames with error frames while the connection and other clients carry on', async () => {
    const server = await startTestServer();
    const bad = await connect(server.url);
    const good = await connect(server.url);
    const garbage = ['not json', '[1,2,3]', '42', '{"type":"subscribe","event_types":"McpServerStarted"}', '{"type":"nope"}', '{"no":"type"}',
      '{"type":"subscribe","replay":{"last":-1}}', JSON.stringify({ type: 'subscribe', event_types: Array.from({ length: 300 }, (_, i) => `T${i}`) }),
      '{"__proto__":{"polluted":true},"type":"subscribe"}'];
    for (const frame of garbage) bad.send(frame);
    bad.ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });
    await bad.waitUntil(() => bad.controls('error').length + bad.controls('subscribed').length >= garbage.length + 1, 'an answer per frame');
    const errors = bad.controls('error');
    expect(errors.length).toBe(garbage.length); // the __proto__ one is a valid subscribe (own key, no pollution)
    for (const error of errors) expect(error.code).toBe('bad_message');
    expect(errors.map((e) => e.message).join('\n')).toMatch(/binary frames are not supported/);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/limit is 256/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    server.hub.publish(testEvent(1));
    await bad.next((f) => f.seq === 1, 'event on the bad connection');
    await good.next((f) => f.seq === 1, 'event on the good connection');
    expect(good.controls('error')).toEqual([]);
    expect(bad.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes a connection that sends a frame over 64 KiB with 1009, and only that one', async () => {
    const server = await startTestServer();
    const big = await connect(server.url);
    const other = await connect(server.url);
    big.send({ type: 'subscribe', event_types: ['x'.repeat(70 * 1024)] });
    expect(await big.closed).toBe(1009);
    server.hub.publish(testEvent(1));
    await other.next((f) => f.seq === 1, 'event on the other connection');
  });

  it('replays the last N matching events, then marks the join, then goes live without loss or duplicates', async () => {
    const server = await startTestServer({ historySize: 1000 });
    let seq = 0;
    for (let i = 0; i < 30; i++) server.hub.publish(testEvent(++seq));
    // Keep publishing while the subscribe travels, so the join happens mid-stream.
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        server.hub.publish(testEvent(++seq));
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const client = await connect(server.url);
    client.send({ type: 'subscribe', event_types: ['ToolInvocationCompleted'], replay: { last: 5 } });
    await client.next((f) => f.type === 'replayed', 'replayed');
    const replayedAt = client.frames.findIndex((f) => f.type === 'replayed');
    await client.waitUntil(() => client.frames.length > replayedAt + 20, '20 live events after the join');
    publishing = false;
    await publisher;
    const last = seq;
    await client.next((f) => f.seq === last, 'the last published event');
    expect(client.frames[replayedAt]).toEqual({ type: 'replayed', count: 5, complete: true });
    const ackAt = client.frames.findIndex((f) => f.type === 'subscribed');
    expect(client.frames.slice(ackAt + 1, replayedAt).every((f) => 'event_type' in f)).toBe(true);
    const afterAck = client.frames.slice(ackAt + 1).filter((f) => 'event_type' in f).map((f) => f.seq as number);
    // 5 replayed + every live event, consecutive: nothing lost, nothing duplicated at the join.
    expect(afterAck.length).toBe(last - afterAck[0]! + 1);
    afterAck.forEach((n, i) => expect(n).toBe(afterAck[0]! + i));
  });

  it('replays since a time and after an event id, and says complete:false when the ring no longer reaches back', async () => {
    const server = await startTestServer({ historySize: 10 });
    for (let i = 1; i <= 25; i++) server.hub.publish(testEvent(i, { event_id: `id-${i}`, occurred_at: 1000 + i }));

    const since = await connect(server.url);
    since.send({ type: 'subscribe', replay: { since: 1020 } });
    const sinceDone = await since.next((f) => f.type === 'replayed', 'replayed (since)');
    expect(sinceDone).toEqual({ type: 'replayed', count: 6, complete: true });
    expect(since.events().map((e) => e.seq)).toEqual([20, 21, 22, 23, 24, 25]);

    const sinceOld = await connect(server.url);
    sinceOld.send({ type: 'subscribe', replay: { since: 1001 } });
    expect(await sinceOld.next((f) => f.type === 'replayed', 'replayed (old since)')).toEqual({ type: 'replayed', count: 10, complete: false });

    const after = await connect(server.url);
    after.send({ type: 'subscribe', replay: { after: 'id-22' } });
    expect(await after.next((f) => f.type === 'replayed', 'replayed (after)')).toEqual({ type: 'replayed', count: 3, complete: true });
    expect(after.events().map((e) => e.seq)).toEqual([23, 24, 25]);

    const afterGone = await connect(server.url);
    afterGone.send({ type: 'subscribe', replay: { after: 'id-3' } });
    expect(await afterGone.next((f) => f.type === 'replayed', 'replayed (evicted id)')).toEqual({ type: 'replayed', count: 10, complete: false });

    const lastTooMany = await connect(server.url);
    lastTooMany.send({ type: 'subscribe', replay: { last: 50 } });
    expect(await lastTooMany.next((f) => f.type === 'replayed', 'replayed (last)')).toEqual({ type: 'replayed', count: 10, complete: false });
  });
});
