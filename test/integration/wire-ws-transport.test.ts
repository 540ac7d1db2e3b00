import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { textFrameHeaderLength, writeTextFrameHeader } from '../../src/wire/text-frame.js';
import { wsTransport, type Transport } from '../../src/wire/ws-transport.js';

/**
 * wsTransport is the only code that writes below the ws API (pre-framed
 * bytes straight to the TCP socket). Against a real ws client on loopback:
 * what it writes must arrive as the messages a client expects, interleaved
 * correctly with ws's own sends, and a write after close must fail politely.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function textFrame(json: string): Buffer {
  const length = Buffer.byteLength(json);
  const wire = Buffer.allocUnsafe(textFrameHeaderLength(length) + length);
  writeTextFrameHeader(wire, length);
  wire.write(json, textFrameHeaderLength(length));
  return wire;
}

/** A ws server on 127.0.0.1:0 and one client; resolves with the server side's transport and the client's received messages. */
async function pair(): Promise<{ transport: Transport; server: WebSocket; received: string[]; next: (n: number) => Promise<void>; client: WebSocket }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const { port } = wss.address() as { port: number };
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  cleanups.push(() => client.terminate());
  const received: string[] = [];
  const waiters: Array<() => void> = [];
  client.on('message', (data, isBinary) => {
    expect(isBinary).toBe(false);
    received.push(data.toString());
    for (const w of [...waiters]) w();
  });
  await new Promise<void>((resolve) => client.once('open', resolve));
  const server = await accepted;
  server.on('error', () => {});
  const next = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (received.length < n) return;
        waiters.splice(waiters.indexOf(check), 1);
        resolve();
      };
      waiters.push(check);
      check();
    });
  return { transport: wsTransport(server), server, received, next, client };
}

describe('wsTransport (the pre-framed send path)', () => {
  it('delivers frames written with sendFramed, one buffer of several frames included, in order with send()', async () => {
    const { transport, received, next } = await pair();
    const done: Array<Error | undefined> = [];
    transport.cork();
    transport.sendFramed!(textFrame('{"n":1}'));
    transport.send(Buffer.from('{"type":"ping"}'));
    transport.sendFramed!(Buffer.concat([textFrame('{"n":2}'), textFrame(JSON.stringify({ n: 3, pad: 'x'.repeat(70_000) }))]), (error) => done.push(error));
    transport.uncork();
    await next(4);
    expect(received.slice(0, 3)).toEqual(['{"n":1}', '{"type":"ping"}', '{"n":2}']);
    expect((JSON.parse(received[3]!) as { pad: string }).pad).toHaveLength(70_000);
    expect(done).toEqual([undefined]);
  });

  it('reports a write after the socket closed through the callback, without throwing', async () => {
    const { transport, server } = await pair();
    server.terminate();
    await new Promise<void>((resolve) => server.once('close', () => resolve()));
    const error = await new Promise<Error | undefined>((resolve) => transport.sendFramed!(textFrame('{"n":1}'), resolve));
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/not open/);
  });
});
