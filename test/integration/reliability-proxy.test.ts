import { afterEach, describe, expect, test } from 'vitest';
import type { TailDeps } from '../../src/tail/run.js';
import { gatewayEvent, startFakeGateway, type FakeGateway } from '../helpers/fake-gateway.js';
import { closeHostile, eventually, startHostileServer } from '../helpers/hostile-net.js';
import { startNetProxy, type NetProxy } from '../helpers/net-proxy.js';
import { killAll, startCli } from '../helpers/spawn.js';
import { parseDownFor, startTranscriptTail, useTranscriptTails, type TranscriptTail } from '../helpers/tail-transcript.js';

/**
 * "Every event once, or an honest gap", through a real network-conditions
 * proxy (test/helpers/net-proxy.ts) in front of serve and of the gateway
 * double. Every event carries a sequence number; the assertions are on those
 * numbers: each shown once, in order, and every missing one inside a
 * reported gap. Waits are for lines and counts; the only durations asserted
 * are lower bounds (a busy machine can only make them longer).
 */

useTranscriptTails();
const proxies: NetProxy[] = [];
const gateways: FakeGateway[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  await killAll();
  for (const t of timers.splice(0)) clearInterval(t);
  for (const p of proxies.splice(0)) await p.close();
  for (const g of gateways.splice(0)) await g.close();
  await closeHostile();
});

/** Quick backoff; serve and gateway told apart as main did before (a 2 s timer), the liveness bound short. */
const DEPS: TailDeps = {
  client: { backoff: { initialDelayMs: 50, maxDelayMs: 200, factor: 2, jitter: 0.5 }, serverDetectMs: 2_000, handshakeTimeoutMs: 3_000 },
};

async function proxyTo(port: number, conditions: Parameters<typeof startNetProxy>[1] = {}): Promise<NetProxy> {
  const proxy = await startNetProxy(port, conditions);
  proxies.push(proxy);
  return proxy;
}

/** Publishes `{seq}` events every `everyMs` until stopped; returns the next seq to publish. */
function publishEvery(everyMs: number, publish: (seq: number) => void, perTick = 1): { next: () => number; stop: () => void } {
  let seq = 1;
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) publish(seq++);
  }, everyMs);
  timers.push(timer);
  return { next: () => seq, stop: () => clearInterval(timer) };
}

/** The checks of the promise: once each, in order, every missing seq inside a reported gap (up to the last seq shown). */
function expectOnceInOrderGapsHonest(t: TranscriptTail): { shown: number; missing: number; gaps: number } {
  const seqs = t.seqs();
  // Events published before the first connection are not part of the stream.
  const firstSeq = seqs[0] ?? 1;
  const context = () => t.transcript.map((e) => e.text).join('').slice(-3000);
  expect(new Set(seqs).size, `no duplicates\n${context()}`).toBe(seqs.length);
  const inversion = seqs.findIndex((s, i) => i > 0 && s <= seqs[i - 1]!);
  expect(inversion, `in order; around ${JSON.stringify(seqs.slice(Math.max(0, inversion - 3), inversion + 3))}`).toBe(-1);
  const gaps = t.gaps();
  const shown = new Set(seqs);
  const last = Math.max(...seqs);
  const missing: number[] = [];
  for (let s = firstSeq; s <= last; s++) if (!shown.has(s)) missing.push(s);
  // A gap line covers the seqs between the last event before it and the first event after it.
  const windows = gaps.map((g) => {
    const after = seqs.find((s) => s > g.afterSeq);
    return { from: g.afterSeq, to: after ?? Number.POSITIVE_INFINITY };
  });
  const unreported = missing.filter((m) => !windows.some((w) => m > w.from && m < w.to));
  expect(unreported.slice(0, 20), `missing seqs outside every reported gap (${unreported.length} of ${missing.length})\n${context()}`).toEqual([]);
  return { shown: seqs.length, missing: missing.length, gaps: gaps.length };
}

function connectedCount(t: TranscriptTail): number {
  return (t.io.stderr.text().match(/connected to /g) ?? []).length;
}

describe('through a network-conditions proxy', () => {
  test('#1 the gateway double behind a balancer that resets every connection after 700 ms: every disconnect is one gap line, --stats counts them', async () => {
    const gateway = await startFakeGateway({ blindWindowMs: 60_000 });
    gateways.push(gateway);
    const proxy = await proxyTo(gateway.port, { resetAfterMs: 700 });
    const t = startTranscriptTail([proxy.url(), '-o', 'ndjson', '--stats'], DEPS);
    const publisher = publishEvery(10, (seq) => gateway.publish(gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', seq })));
    await eventually(() => proxy.stats.resets >= 6, 'six resets', 60_000);
    // Calm the network; a last event after the last reconnect proves the stream settled.
    proxy.set({ resetAfterMs: undefined });
    await eventually(() => proxy.connectionCount === 1 && gateway.open.length === 1 && gateway.open[0]!.attached, 'a settled connection', 30_000);
    const marker = publisher.next() + 5;
    await eventually(() => t.seqs().includes(marker), 'an event after the last reconnect', 30_000);
    publisher.stop();
    await t.interrupt();
    const opens = connectedCount(t);
    const result = expectOnceInOrderGapsHonest(t);
    expect(opens, 'reconnects happened').toBeGreaterThanOrEqual(7);
    expect(result.gaps, `one gap line per reconnect\n${t.io.stderr.text().slice(-2000)}`).toBe(opens - 1);
    expect(t.io.stderr.text()).toMatch(new RegExp(`reconnects: ${opens - 1}, gaps: ${opens - 1},`));
    expect(result.missing, 'events were lost (the gateway keeps no history), so the gap lines were needed').toBeGreaterThan(0);
  }, 120_000);

  test('#1/#2 serve behind the same balancer with 60 ms one-way latency: every resume is gap-free, every event shown exactly once, in order', async () => {
    const server = await startHostileServer();
    const proxy = await proxyTo(server.port, { resetAfterMs: 700, latencyMs: 60 });
    const t = startTranscriptTail([proxy.url(), '-o', 'ndjson', '--stats'], DEPS);
    await t.waitFor('stderr', /connected to/, 20_000);
    const publisher = publishEvery(10, (seq) => server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq }));
    await eventually(() => proxy.stats.resets >= 6, 'six resets', 60_000);
    proxy.set({ resetAfterMs: undefined });
    const marker = publisher.next() + 5;
    await eventually(() => t.seqs().includes(marker), 'an event after the last reconnect', 30_000);
    publisher.stop();
    await t.interrupt();
    const result = expectOnceInOrderGapsHonest(t);
    expect(result.missing, `serve's history fills every outage\n${t.io.stderr.text().slice(-2000)}`).toBe(0);
    expect(result.gaps).toBe(0);
    expect(t.io.stderr.text()).toMatch(/duplicates: 0/);
  }, 120_000);

  test('#2 --history 30 at 300 ms one-way latency (serve\'s first-message hold runs out): the 30 events once, then live, in order', async () => {
    const server = await startHostileServer();
    for (let seq = 1; seq <= 100; seq++) server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq });
    const proxy = await proxyTo(server.port, { latencyMs: 300 });
    let seq = 101;
    const timer = setInterval(() => server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq: seq++ }), 10);
    timers.push(timer);
    const t = startTranscriptTail([proxy.url(), '-o', 'ndjson', '--history', '30'], { client: { ...DEPS.client, serverDetectMs: 10_000 } });
    const marker = 101 + 150;
    await eventually(() => t.seqs().includes(marker), 'live events after the history', 30_000);
    await t.interrupt();
    const seqs = t.seqs();
    expect(t.io.stderr.text()).toMatch(/30 events replayed/);
    expect(new Set(seqs).size, 'no duplicates').toBe(seqs.length);
    // The 30 newest events at the moment serve read the subscribe, then live ones: in order, without a hole.
    expect(seqs, `${t.io.stderr.text()}`).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
    expect(seqs.length).toBeGreaterThan(30);
    expect(t.gaps()).toEqual([]);
  }, 60_000);

  test('#2 resumes at 140 ms one-way latency under chaos disconnects: no event twice, none missing', async () => {
    const server = await startHostileServer({ chaosDisconnectMs: 800 });
    const proxy = await proxyTo(server.port, { latencyMs: 140 });
    const t = startTranscriptTail([proxy.url(), '-o', 'ndjson', '--stats'], { client: { ...DEPS.client, serverDetectMs: 10_000 } });
    await t.waitFor('stderr', /connected to/, 20_000);
    const publisher = publishEvery(10, (seq) => server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq }));
    await eventually(() => connectedCount(t) >= 6, 'five reconnects', 60_000);
    const marker = publisher.next() + 5;
    await eventually(() => t.seqs().includes(marker), 'the stream after the last reconnect', 30_000);
    publisher.stop();
    await t.interrupt();
    const result = expectOnceInOrderGapsHonest(t);
    expect(result.missing).toBe(0);
  }, 120_000);

  test('#3 serve restarted on the same port with the same event ids (seeded or --stdin input): tail reports the restart as a gap', async () => {
    const first = await startHostileServer();
    const port = first.port;
    const proxy = await proxyTo(port);
    const t = startTranscriptTail([proxy.url(), '-o', 'ndjson'], { client: { ...DEPS.client, serverDetectMs: 10_000 } });
    await t.waitFor('stderr', /connected to/, 20_000);
    for (let seq = 1; seq <= 50; seq++) first.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', event_id: `id-${seq}`, seq });
    await eventually(() => t.seqs().includes(50), 'the first run', 20_000);
    await first.close();
    await t.waitFor('stderr', /reconnecting in/, 20_000);
    // The new run publishes the same ids again (a seeded fleet of an older build, or the same --stdin input) before tail is back.
    const second = await startHostileServer({ port });
    for (let seq = 1; seq <= 80; seq++) second.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', event_id: `id-${seq}`, seq: 1000 + seq });
    await t.waitFor('stderr', /gap: events from .* may have been missed \(the stream was down for [^)]+\): the server restarted/, 30_000);
    second.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', event_id: 'id-after', seq: 2000 });
    await eventually(() => t.seqs().includes(2000), 'live events of the new run', 20_000);
    await t.interrupt();
    // Everything the new run kept is new to this client, and shown once, in order.
    expect(t.seqs().filter((s) => s > 1000)).toEqual([...Array.from({ length: 80 }, (_, i) => 1001 + i), 2000]);
  }, 60_000);

  test('#4 a server silent behind a paused route: the gap reported covers the silence, not just the reconnect', async () => {
    const gateway = await startFakeGateway({ blindWindowMs: 60_000 });
    gateways.push(gateway);
    const proxy = await proxyTo(gateway.port);
    const t = startTranscriptTail([proxy.url(), '-o', 'ndjson'], {
      client: { ...DEPS.client, serverDetectMs: 10_000, pingIntervalMs: 1_000, livenessMarginMs: 1_000 },
    });
    const publisher = publishEvery(20, (seq) => gateway.publish(gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', seq })));
    await eventually(() => t.seqs().length >= 10, 'events flow', 20_000);
    proxy.pause();
    // tail declares the connection dead after its liveness bound (1 s + 1 s) of silence.
    await t.waitFor('stderr', /no message or ping from the server for 2(\.0)?s/, 30_000);
    proxy.resume();
    await t.waitFor('stderr', /gap: /, 30_000);
    const marker = publisher.next() + 5;
    await eventually(() => t.seqs().includes(marker), 'events after the outage', 30_000);
    publisher.stop();
    await t.interrupt();
    const gaps = t.gaps();
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.downForMs, gaps[0]!.line).toBeGreaterThanOrEqual(2_000);
    expectOnceInOrderGapsHonest(t);
  }, 60_000);

  test('#4 tail itself SIGSTOPped while the gateway gives up on it: the gap covers the whole stop, not just the reconnect', async () => {
    // The gateway pings after 300 ms of silence and closes after 700 ms without a pong.
    const gateway = await startFakeGateway({ blindWindowMs: 60_000, pingIntervalMs: 300, pongTimeoutMs: 700 });
    gateways.push(gateway);
    const publisher = publishEvery(20, (seq) => gateway.publish(gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', seq })));
    const tail = startCli(['tail', gateway.url, '-o', 'ndjson']);
    await eventually(() => tail.stdout().split('\n').length > 10, 'events flow', 30_000);
    const stoppedAt = performance.now();
    tail.child.kill('SIGSTOP');
    // A quiet stream, so the gateway pings the stopped client (it pings only when idle), gets no pong and closes.
    publisher.stop();
    try {
      // The scenario: a stop of at least 4.5 s, during which the gateway gives up on the connection.
      // (ws completes the close only once the peer reads again; the ping is what starts the gateway's 700 ms.)
      await eventually(() => gateway.connections[0]!.pings >= 1 && performance.now() - stoppedAt >= 4_500, 'the gateway pinged the stopped client', 30_000);
    } finally {
      tail.child.kill('SIGCONT');
    }
    const after = publishEvery(20, (seq) => gateway.publish(gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', seq: 100_000 + seq })));
    const gap = await tail.waitFor('stderr', /gap: events from .* may have been missed \(the stream was down for ([^)]+)\)/, 30_000);
    after.stop();
    const downForMs = parseDownFor(gap[1]!);
    expect(downForMs, gap[0]).toBeGreaterThanOrEqual(4_000);
  }, 60_000);
});
