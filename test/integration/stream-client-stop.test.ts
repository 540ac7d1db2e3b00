import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { type StreamMessage } from '../../src/feed/messages.js';
import { StreamClient } from '../../src/client/stream-client.js';
import { closeAll, startTestServer } from './serve-support.js';

afterEach(closeAll);

function clientFor(url: string): { client: StreamClient; messages: StreamMessage[]; next: (kind: StreamMessage['kind']) => Promise<void> } {
  const client = new StreamClient({ url, subscription: {}, reconnect: false, monotonicMs: () => performance.now(), nowMs: () => Date.now() });
  const messages: StreamMessage[] = [];
  client.on('message', (message) => messages.push(message));
  const next = (kind: StreamMessage['kind']) =>
    new Promise<void>((resolve) => {
      const check = (message: StreamMessage) => {
        if (message.kind !== kind) return;
        client.off('message', check);
        resolve();
      };
      client.on('message', check);
    });
  return { client, messages, next };
}

describe('StreamClient.stop', () => {
  it('completes the close handshake on a socket paused for backpressure (tail -n N behind a full stdout)', async () => {
    const server = await startTestServer();
    const { client, next } = clientFor(server.url);
    const firstEvent = next('event');
    client.start();
    await next('replayed');
    server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq: 0 });
    await firstEvent;
    // What the pipeline does behind a slow stdout: stop reading, while the server keeps sending.
    client.pause();
    for (let seq = 1; seq <= 5000; seq++) server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq, padding: 'x'.repeat(200) });
    expect(await client.stop()).toBe(true);
  });

  it('completes the close handshake on a socket that is reading', async () => {
    const server = await startTestServer();
    const { client, next } = clientFor(server.url);
    client.start();
    await next('replayed');
    expect(await client.stop()).toBe(true);
  });
});
