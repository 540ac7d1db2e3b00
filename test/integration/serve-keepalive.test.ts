import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { closeAll, connect, startTestServer } from './serve-support.js';

afterEach(closeAll);

describe('serve: application keep-alive', () => {
  it('pings an idle connection, keeps it while it answers pong, closes it with 1000 when it does not', async () => {
    const server = await startTestServer({ pingIntervalMs: 200, pongTimeoutMs: 2000 });
    const answering = await connect(server.url);
    answering.ws.on('message', (data) => {
      if (JSON.parse(data.toString()).type === 'ping') answering.send({ type: 'pong' });
    });
    const silent = await connect(server.url);
    expect(await silent.closed).toBe(1000);
    expect(silent.controls('ping').length).toBe(1);
    expect(silent.closeReason).toMatch(/pong/);
    await answering.waitUntil(() => answering.controls('ping').length >= 3, 'three pings');
    expect(answering.ws.readyState).toBe(WebSocket.OPEN);
    expect(answering.frames.every((f) => f.type === 'ping')).toBe(true);
  });
});
