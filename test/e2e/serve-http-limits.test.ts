import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually } from '../helpers/eventually.js';
import { killAll, startCli } from '../helpers/spawn.js';

/**
 * serve's plain HTTP side under slow and many clients (issue 22 #7): a body
 * that keeps trickling is cut after --http-timeout with 408, and connections
 * carrying plain HTTP requests are capped by --max-http-connections (503),
 * while WebSocket clients are neither cut nor counted. The real binary.
 */

const sockets: Socket[] = [];
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const client of clients.splice(0)) client.terminate();
  await killAll();
});

async function startServe(extra: string[]): Promise<{ port: number; serve: ReturnType<typeof startCli> }> {
  const serve = startCli(['serve', '--port', '0', '--no-demo', ...extra], { stdin: 'ignore' });
  const match = await serve.waitFor('stderr', /listening on ws:\/\/127\.0\.0\.1:(\d+)\//, 15_000);
  return { port: Number(match[1]), serve };
}

/** A chunked POST /api/events that sends one byte of body every 100 ms and never finishes on its own. */
function trickle(port: number): { socket: Socket; answer: () => string; closed: Promise<void>; bytesSent: () => number } {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let answer = '';
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
  socket.on('error', () => {});
  socket.on('connect', () => {
    socket.write('POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n');
    timer = setInterval(() => {
      if (!socket.writable) return;
      socket.write('1\r\n \r\n');
      sent++;
    }, 100);
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => (clearInterval(timer), resolve())));
  return { socket, answer: () => answer, closed, bytesSent: () => sent };
}

describe('serve: plain HTTP limits', () => {
  it('cuts a body still trickling in after --http-timeout with 408, and keeps an open WebSocket client', async () => {
    const { port } = await startServe(['--http-timeout', '2s']);
    const client = new WebSocket(`ws://127.0.0.1:${port}/api/ws/events`);
    clients.push(client);
    const frames: string[] = [];
    client.on('message', (data) => frames.push(String(data)));
    await new Promise<void>((resolve, reject) => (client.once('open', () => resolve()), client.once('error', reject)));
    client.send(JSON.stringify({ type: 'subscribe' }));

    const slow = trickle(port);
    // Was: held for 300 s plus Node's 30 s check interval (320 s measured); the trickle never ends by itself.
    await slow.closed;
    expect(slow.answer()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(slow.answer()).toContain('"error":"request_timeout"');
    expect(slow.bytesSent()).toBeGreaterThan(5);

    // The WebSocket client, open longer than the timeout, is not cut and still gets events.
    expect(client.readyState).toBe(WebSocket.OPEN);
    const posted = await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', body: '{"event_type":"AfterTheCut"}' });
    expect(posted.status).toBe(202);
    await eventually(() => frames.some((f) => f.includes('AfterTheCut')), 'the WebSocket client to get the event');
  }, 60_000);

  it('caps connections carrying plain HTTP requests with --max-http-connections (503), not WebSocket clients', async () => {
    const { port, serve } = await startServe(['--http-timeout', '30s', '--max-http-connections', '3']);
    const slow = [trickle(port), trickle(port), trickle(port)];
    await eventually(() => slow.every((s) => s.bytesSent() > 2), 'three trickling uploads under way');

    const refused = await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', body: '{"event_type":"Refused"}' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({ error: 'too_many_connections' });
    await serve.waitFor('stderr', /refused an HTTP request from 127\.0\.0\.1: 3 HTTP connections already open \(--max-http-connections\)/, 10_000);

    // WebSocket upgrades do not count against the HTTP cap.
    const client = new WebSocket(`ws://127.0.0.1:${port}/api/ws/events`);
    clients.push(client);
    await new Promise<void>((resolve, reject) => (client.once('open', () => resolve()), client.once('error', reject)));

    // Once the slow ones are gone, requests are served again.
    for (const s of slow) s.socket.destroy();
    await Promise.all(slow.map((s) => s.closed));
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/health`)).status === 200, '/health to answer 200 again');
    const accepted = await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', body: '{"event_type":"Accepted"}' });
    expect(accepted.status).toBe(202);
  }, 60_000);

  it('refuses a bad --http-timeout or --max-http-connections as a usage error', async () => {
    for (const args of [['--http-timeout', 'soon'], ['--http-timeout', '10ms'], ['--max-http-connections', '0']]) {
      const serve = startCli(['serve', '--port', '0', '--no-demo', ...args], { stdin: 'ignore' });
      const { code } = await serve.exited;
      expect(code, args.join(' ')).toBe(2);
      expect(serve.stderr(), args.join(' ')).toMatch(new RegExp(`^hangar-events: invalid ${args[0]}`));
    }
  }, 60_000);
});
