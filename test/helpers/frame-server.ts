import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { WebSocketServer } from 'ws';

/** A frame a test server sends: text unless `binary`. */
export interface TestFrame {
  readonly data: string | Buffer;
  readonly binary?: boolean;
}

/**
 * Gateway-like servers (one ack, no history) that send each client the same
 * frames, malformed and valid interleaved (one of each in turn), for the
 * tests that hold a fast path to the full one. Closed after each test.
 */
export function useFrameServers(): (valid: readonly (string | Buffer)[], malformed: readonly TestFrame[]) => Promise<string> {
  const servers = new Set<WebSocketServer>();
  afterEach(async () => {
    for (const wss of servers) {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
    servers.clear();
  });
  return async (valid, malformed) => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    servers.add(wss);
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.once('message', () => {
        ws.send('{"type":"subscribed","event_types":[],"mcp_server_ids":[]}');
        for (let i = 0; i < Math.max(valid.length, malformed.length); i++) {
          if (i < malformed.length) ws.send(malformed[i]!.data, { binary: malformed[i]!.binary ?? false });
          if (i < valid.length) ws.send(valid[i]!, { binary: false });
        }
      });
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/api/ws/events`;
  };
}
