import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { startNetProxy, type NetProxy } from '../helpers/net-proxy.js';

/**
 * The network-conditions proxy the reliability tests run through: real TCP on
 * 127.0.0.1 in front of an echo server. Latency and the bandwidth cap are
 * checked as lower bounds only (a busy machine can only make things slower).
 */

const servers: Server[] = [];
const proxies: NetProxy[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const p of proxies.splice(0)) await p.close();
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

/** An echo server on 127.0.0.1:0; `received` counts the bytes it read. */
async function echoServer(): Promise<{ port: number; received: () => number; peers: Socket[] }> {
  let received = 0;
  const peers: Socket[] = [];
  const server = createServer((socket) => {
    peers.push(socket);
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      received += d.length;
      socket.write(d);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, received: () => received, peers };
}

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(socket));
    sockets.push(socket);
    socket.once('error', reject);
  });
}

/** Collects what a socket reads until `bytes` have arrived. */
function readBytes(socket: Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (d: Buffer) => {
      chunks.push(d);
      length += d.length;
      if (length >= bytes) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed after ${length} of ${bytes} bytes`)));
  });
}

describe('network-conditions proxy', () => {
  test('forwards bytes unchanged and in order, with the latency added each way and the bandwidth capped', async () => {
    const echo = await echoServer();
    const proxy = await startNetProxy(echo.port, { latencyMs: 60 });
    proxies.push(proxy);
    const socket = await connect(proxy.port);
    // A small message: the round trip is at least twice the one-way latency.
    let started = performance.now();
    socket.write('hello');
    expect((await readBytes(socket, 5)).toString()).toBe('hello');
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 60 - 2);
    // Switched at run time: no latency, 200 KB/s cap; 100 KB each way takes at least 0.5 s.
    proxy.set({ latencyMs: 0, bytesPerSecond: 200_000 });
    const payload = randomBytes(100_000);
    started = performance.now();
    socket.write(payload);
    const echoed = await readBytes(socket, payload.length);
    expect(echoed.equals(payload), 'bytes unchanged and in order').toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(450);
    expect(proxy.stats.clientBytesIn).toBe(5 + payload.length);
    expect(proxy.stats.clientBytesOut).toBe(5 + payload.length);
  });

  test('resets each connection resetAfterMs after it was accepted: both sides see a reset, new connections work', async () => {
    const echo = await echoServer();
    const proxy = await startNetProxy(echo.port, { resetAfterMs: 150 });
    proxies.push(proxy);
    const started = performance.now();
    const socket = await connect(proxy.port);
    const error = new Promise<NodeJS.ErrnoException>((resolve) => socket.on('error', resolve));
    socket.write('x');
    await readBytes(socket, 1);
    expect((await error).code).toBe('ECONNRESET');
    expect(performance.now() - started).toBeGreaterThanOrEqual(148);
    expect(proxy.stats.resets).toBe(1);
    await new Promise<void>((resolve) => (echo.peers[0]!.destroyed ? resolve() : echo.peers[0]!.once('close', () => resolve())));
    // Turned off at run time: the next connection lives on.
    proxy.set({ resetAfterMs: undefined });
    const next = await connect(proxy.port);
    next.write('still here');
    expect((await readBytes(next, 10)).toString()).toBe('still here');
    expect(proxy.connectionCount).toBe(1);
  });

  test('a pause keeps the connection open but moves no byte either way; resume delivers everything in order', async () => {
    const echo = await echoServer();
    const proxy = await startNetProxy(echo.port);
    proxies.push(proxy);
    const socket = await connect(proxy.port);
    socket.write('a');
    await readBytes(socket, 1);
    proxy.pause();
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.write('bcdef');
    // An observation window, not a synchronisation: nothing may get through while paused.
    await new Promise((r) => setTimeout(r, 300));
    expect(echo.received()).toBe(1);
    expect(received).toHaveLength(0);
    expect(socket.destroyed).toBe(false);
    proxy.resume();
    await new Promise<void>((resolve) => {
      const check = () => (Buffer.concat(received).length >= 5 ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(Buffer.concat(received).toString()).toBe('bcdef');
  });
});
