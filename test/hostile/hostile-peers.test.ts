import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, test } from 'vitest';
import { killAll, runCli, startCli } from '../helpers/spawn.js';

/**
 * Peers that attack the terminal or the memory of the other side:
 * - close reasons carrying OSC 52 (clipboard write), OSC 0 (window title),
 *   CSI 2J (clear screen), 8-bit CSI and U+202E must not reach tail's stderr
 *   on any path (reconnect notices, the final error line, the auth error), nor
 *   serve's log in either format;
 * - a server that pings nonstop and never reads must not grow tail's memory.
 */

/** Bytes a terminal would act on: C0 controls except newline, DEL, C1 controls, bidi overrides and isolates. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** At most 123 bytes, the WebSocket limit for a close reason. */
const HOSTILE_REASON = '\u001b]52;c;cm0gLXJmIH4=\u0007\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eevil';

const servers: Server[] = [];
afterEach(async () => {
  await killAll();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** A WebSocket server on 127.0.0.1:0 that hands every connection to `onConnection`. */
async function hostileServer(onConnection: (ws: WebSocket) => void): Promise<{ url: string; wss: WebSocketServer }> {
  const http = createServer();
  servers.push(http);
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    onConnection(ws);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  return { url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/api/ws/events`, wss };
}

function firstUnsafe(text: string): string | undefined {
  const match = UNSAFE.exec(text);
  if (!match) return undefined;
  return `U+${match[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${match.index}: ${JSON.stringify(text.slice(Math.max(0, match.index - 40), match.index + 40))}`;
}

describe('hostile peers', () => {
  test('a close reason with OSC 52, OSC 0, CSI 2J, 8-bit CSI and U+202E never reaches the terminal: reconnect notices and the final error line', async () => {
    expect(Buffer.byteLength(HOSTILE_REASON)).toBeLessThanOrEqual(123);
    // Every connection gets one event, then the hostile close (code 4000).
    const { url } = await hostileServer((ws) => {
      ws.once('message', () => {
        ws.send(JSON.stringify({ type: 'subscribed', event_types: [], mcp_server_ids: [] }));
        ws.send(JSON.stringify({ event_type: 'Hello', event_id: `e-${Math.random()}` }));
        ws.close(4000, HOSTILE_REASON);
      });
    });
    const result = await runCli(['tail', url, '-o', 'ndjson', '--timeout', '2s'], { timeoutMs: 30_000 });
    expect(result.stderr).toMatch(/code 4000: .*evil\); reconnecting in/);
    expect(firstUnsafe(result.stderr), result.stderr).toBeUndefined();
    expect(firstUnsafe(result.stdout)).toBeUndefined();

    const once = await runCli(['tail', url, '-o', 'ndjson', '--no-reconnect'], { timeoutMs: 30_000 });
    expect(once.code).toBe(1);
    expect(once.stderr).toMatch(/lost the connection to .*code 4000: .*evil/);
    expect(firstUnsafe(once.stderr), once.stderr).toBeUndefined();
  }, 60_000);

  test('a policy close (1008) with a hostile reason at the handshake: the authentication error is printed clean', async () => {
    const { url } = await hostileServer((ws) => ws.close(1008, HOSTILE_REASON));
    const result = await runCli(['tail', url, '-o', 'ndjson'], { timeoutMs: 30_000 });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/authentication failed: .*code 1008/);
    expect(firstUnsafe(result.stderr), result.stderr).toBeUndefined();
  }, 60_000);

  for (const format of ['pretty', 'json'] as const) {
    test(`serve --log-format ${format}: a client's hostile close reason is logged clean`, async () => {
      const serve = startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--no-demo', '--log-format', format]);
      const match = await serve.waitFor('stderr', /ws:\/\/127\.0\.0\.1:(\d+)\/api\/ws\/events/, 20_000);
      const ws = new WebSocket(`ws://127.0.0.1:${match[1]}/api/ws/events`);
      ws.on('error', () => {});
      await new Promise<void>((r) => ws.once('open', () => r()));
      ws.close(4000, HOSTILE_REASON);
      await serve.waitFor('stderr', /disconnected/, 20_000);
      expect(serve.stderr()).toMatch(/4000/);
      expect(firstUnsafe(serve.stderr()), serve.stderr()).toBeUndefined();
      if (format === 'json') for (const line of serve.stderr().trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    }, 60_000);
  }

  test('a server that pings nonstop and never reads: tail answers with at most one outstanding pong, its memory stays flat', async () => {
    const pings = 400_000;
    let sent = 0;
    let pongs = 0;
    let rssBeforeKb = 0;
    let peakRssKb = 0;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    let tailPid = 0;
    const rssKb = async (): Promise<number> => {
      const { readFile } = await import('node:fs/promises');
      const status = await readFile(`/proc/${tailPid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    };
    const { url } = await hostileServer((ws) => {
      ws.once('message', async () => {
        ws.send(JSON.stringify({ type: 'subscribed', event_types: [], mcp_server_ids: [] }));
        // Never read again: tail's pongs pile up on its side.
        (ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
        rssBeforeKb = await rssKb();
        const ping = '{"type":"ping"}';
        const burst = () => {
          // Respect our own send buffer: the flood is paced by what tail reads, not by our memory.
          while (sent < pings && ws.bufferedAmount < 1024 * 1024) {
            ws.send(ping);
            sent++;
          }
          if (sent < pings) setTimeout(burst, 1);
          else {
            void rssKb().then((kb) => {
              peakRssKb = Math.max(peakRssKb, kb);
              // Now read what tail sent: without the bound it is one pong per ping.
              ws.on('message', (data) => {
                if (String(data) === '{"type":"pong"}') pongs++;
              });
              (ws as unknown as { _socket: import('node:net').Socket })._socket.resume();
              ws.send(JSON.stringify({ event_type: 'Done', event_id: 'done-1' }));
              resolveDone();
            });
          }
        };
        burst();
      });
    });
    const tail = startCli(['tail', url, '-o', 'ndjson', '-n', '1']);
    tailPid = tail.child.pid!;
    await done;
    const exited = await tail.exited;
    expect(exited.code, tail.stderr()).toBe(0);
    expect(tail.stdout()).toMatch(/"Done"/);
    // Bounded: the pongs that fit in the kernel's socket buffers, not one per ping.
    expect(pongs, `pongs received for ${pings} pings`).toBeLessThan(pings / 2);
    expect(peakRssKb - rssBeforeKb, 'tail RSS growth (KiB) during the flood').toBeLessThan(100 * 1024);
  }, 120_000);
});
