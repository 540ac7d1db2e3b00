import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, test } from 'vitest';
import type { TailDeps } from '../../src/tail/run.js';
import type { RunningServer } from '../../src/server/server.js';
import type { EventSource } from '../../src/sources/event-source.js';
import { createUpstreamSource } from '../../src/sources/upstream-source.js';
import { gatewayEvent, startFakeGateway, type FakeGateway } from '../helpers/fake-gateway.js';
import { closeHostile, eventually, health, startHostileServer } from '../helpers/hostile-net.js';
import { startNetProxy, type NetProxy } from '../helpers/net-proxy.js';
import { startTranscriptTail, useTranscriptTails, type TranscriptTail } from '../helpers/tail-transcript.js';
import { systemClock } from '../../src/io/clock.js';

/**
 * A relay (serve --upstream) tells its clients every gap and drop it learns
 * upstream (issue 22 #1): warning frames `upstream_gap` and
 * `upstream_dropped`, which tail shows and counts exactly as its own gaps
 * and drops, and /health counts. Real sockets: the gateway double or a serve
 * upstream, the network-conditions proxy between it and the relay, and an
 * in-process tail reading the relay. Assertions are on sequence numbers.
 */

useTranscriptTails();
const proxies: NetProxy[] = [];
const gateways: FakeGateway[] = [];
const relays: EventSource[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const r of relays.splice(0)) r.stop();
  for (const p of proxies.splice(0)) await p.close();
  for (const g of gateways.splice(0)) await g.close();
  await closeHostile();
});

const DEPS: TailDeps = {
  client: { backoff: { initialDelayMs: 50, maxDelayMs: 200, factor: 2, jitter: 0.5 }, serverDetectMs: 2_000, handshakeTimeoutMs: 3_000 },
};

/** serve in this process relaying `upstreamUrl`, with its source's log lines. */
async function startRelay(upstreamUrl: string): Promise<{ server: RunningServer; log: string[] }> {
  const server = await startHostileServer();
  const log: string[] = [];
  const source = createUpstreamSource({
    urls: [upstreamUrl],
    headers: {},
    ca: undefined,
    insecure: false,
    clock: systemClock(),
    client: { backoff: { initialDelayMs: 50, maxDelayMs: 200, factor: 2, jitter: 0.5 }, serverDetectMs: 2_000, handshakeTimeoutMs: 3_000 },
  });
  relays.push(source);
  void source.run(server.hub, { info: (m) => log.push(m), warn: (m) => log.push(m) }).catch(() => {});
  return { server, log };
}

function publishEvery(everyMs: number, publish: (seq: number) => void): { next: () => number; stop: () => void } {
  let seq = 1;
  const timer = setInterval(() => publish(seq++), everyMs);
  timers.push(timer);
  return { next: () => seq, stop: () => clearInterval(timer) };
}

/** Once each, in order; the seqs missing between the first and last shown, and those outside every reported gap. */
function missingOf(t: TranscriptTail): { seqs: number[]; missing: number[]; unreported: number[] } {
  const seqs = t.seqs();
  expect(new Set(seqs).size, 'no duplicates').toBe(seqs.length);
  expect(seqs.findIndex((s, i) => i > 0 && s <= seqs[i - 1]!), 'in order').toBe(-1);
  const shown = new Set(seqs);
  const missing: number[] = [];
  for (let s = seqs[0] ?? 1; s <= Math.max(...seqs); s++) if (!shown.has(s)) missing.push(s);
  const windows = t.gaps().map((g) => ({ from: g.afterSeq, to: seqs.find((s) => s > g.afterSeq) ?? Number.POSITIVE_INFINITY }));
  const unreported = missing.filter((m) => !windows.some((w) => m > w.from && m < w.to));
  return { seqs, missing, unreported };
}

describe('a relay tells its clients what it missed upstream', () => {
  test('gaps: a gateway behind a balancer resetting every 700 ms; the relay client sees one gap line per upstream outage, every missing event inside one', async () => {
    const gateway = await startFakeGateway({ blindWindowMs: 60_000 });
    gateways.push(gateway);
    const proxy = await startNetProxy(gateway.port, { resetAfterMs: 700 });
    proxies.push(proxy);
    const { server, log } = await startRelay(proxy.url());
    const t = startTranscriptTail([server.url, '-o', 'ndjson', '--stats'], DEPS);
    await t.waitFor('stderr', /connected to/, 20_000);
    const publisher = publishEvery(10, (seq) => gateway.publish(gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', seq })));
    await eventually(() => proxy.stats.resets >= 6, 'six upstream resets', 60_000);
    proxy.set({ resetAfterMs: undefined });
    await eventually(() => proxy.connectionCount === 1 && gateway.open.length === 1 && gateway.open[0]!.attached, 'a settled upstream', 30_000);
    const marker = publisher.next() + 5;
    await eventually(() => t.seqs().includes(marker), 'an event after the last upstream reconnect', 30_000);
    publisher.stop();
    const relayGaps = log.filter((line) => line.startsWith('gap: ')).length;
    const report = await health(server.port);
    await t.interrupt();

    const { missing, unreported } = missingOf(t);
    const stderr = t.io.stderr.text();
    expect(missing.length, 'the gateway keeps no history: events were lost upstream').toBeGreaterThan(0);
    expect(unreported.slice(0, 20), `missing events outside every reported gap (${unreported.length} of ${missing.length})\n${stderr.slice(-2000)}`).toEqual([]);
    // Was: "gaps: 0" with hundreds of events missing.
    expect(relayGaps).toBeGreaterThanOrEqual(6);
    expect(t.gaps()).toHaveLength(relayGaps);
    expect(stderr).toMatch(new RegExp(`reconnects: 0, gaps: ${relayGaps},`));
    expect(t.gaps()[0]!.line).toMatch(/^(?:hangar-events: )?gap: events from .* may have been missed \(the stream was down for [^)]+\): the relay's upstream ws:\/\/127\.0\.0\.1:\d+\/api\/ws\/events was down: /);
    expect(report).toMatchObject({ upstream_gaps: relayGaps, upstream_dropped: 0 });
  }, 120_000);

  test('drops: an upstream serve dropping 20% (announced); the relay client counts every one, shown + dropped = published, and serve logs them coalesced', async () => {
    const upstream = await startHostileServer({ chaosDrop: 0.2 });
    const { server, log } = await startRelay(upstream.url);
    const t = startTranscriptTail([server.url, '-o', 'ndjson', '--stats'], DEPS);
    await t.waitFor('stderr', /connected to/, 20_000);
    await eventually(() => upstream.connections().length === 1, 'the relay connected upstream', 20_000);
    const startedMs = performance.now();
    const total = 2_000;
    for (let seq = 1; seq <= total; seq++) {
      upstream.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq });
      if (seq % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // Markers (the chaos may drop them too) until tail has one and has been told of every drop so far:
    // each upstream warning goes out before the next event, and DROPPED lines carry the running total.
    let last = total;
    const lastTotal = () => Number([...t.io.stderr.text().matchAll(/\((\d+) in total on this connection\)/g)].at(-1)?.[1] ?? -1);
    const droppedUpstream = () => upstream.connections()[0]!.dropped;
    for (;;) {
      // One marker at a time, until one is shown with every drop before it announced (nothing left in flight).
      const before = droppedUpstream();
      upstream.hub.publish({ event_type: 'Marker', mcp_server_id: 'math', seq: ++last });
      await eventually(
        () => t.seqs().includes(last) || (droppedUpstream() > before && lastTotal() === droppedUpstream()),
        'the marker shown or announced as dropped',
        30_000,
      );
      if (t.seqs().includes(last) && lastTotal() === droppedUpstream()) break;
    }
    const upstreamDropped = upstream.connections()[0]!.dropped;
    const report = await health(server.port);
    const elapsedS = (performance.now() - startedMs) / 1000;
    await t.interrupt();

    const stderr = t.io.stderr.text();
    const announced = Number(/dropped by the server: (\d+)/.exec(stderr)?.[1]);
    const seqs = t.seqs();
    expect(new Set(seqs).size, 'no duplicates').toBe(seqs.length);
    expect(seqs.findIndex((s, i) => i > 0 && s <= seqs[i - 1]!), 'in order').toBe(-1);
    expect(upstreamDropped, 'the upstream dropped some').toBeGreaterThan(100);
    // Was: "dropped by the server: 0" with 400 events missing.
    expect(announced).toBe(upstreamDropped);
    expect(seqs.length + announced, 'shown + announced dropped = published').toBe(last);
    expect(stderr).toMatch(/DROPPED .*the server dropped \d+ events?/);
    expect(report).toMatchObject({ upstream_gaps: 0, upstream_dropped: upstreamDropped });
    // Coalesced: the first at once, then at most one line a second (was one line per warning).
    const dropLines = log.filter((line) => /dropped \d+ events? for this relay/.test(line));
    expect(dropLines.length).toBeGreaterThan(0);
    expect(dropLines.length).toBeLessThanOrEqual(Math.ceil(elapsedS) + 2);
  }, 120_000);
});
