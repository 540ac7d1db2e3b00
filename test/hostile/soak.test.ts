import { afterEach, describe, expect, test } from 'vitest';
import { createPrng } from '../../src/sources/fleet/prng.js';
import { gatewayEvent, startFakeGateway, type FakeGateway } from '../helpers/fake-gateway.js';
import { closeHostile, recordFigures, STRESS, startHostileServer } from '../helpers/hostile-net.js';
import { hostileSeed } from '../helpers/hostile-fuzz.js';
import { startNetProxy, type NetProxy } from '../helpers/net-proxy.js';
import { startTranscriptTail, useTranscriptTails, type TranscriptTail } from '../helpers/tail-transcript.js';
import { createUpstreamSource } from '../../src/sources/upstream-source.js';
import type { EventSource } from '../../src/sources/event-source.js';
import { systemClock } from '../../src/io/clock.js';

/**
 * The soak run of "every event once, or an honest gap" (npm run stress only:
 * it runs for minutes, so CI runs the short proxy tests in
 * test/integration/reliability-proxy.test.ts instead). tail runs through the
 * network-conditions proxy while the conditions change at random every few
 * seconds: latency 0-300 ms, connections reset after 0.3-3 s, bandwidth caps,
 * pauses. Every event carries a sequence number. At the end each published
 * event is classified: shown, announced as dropped (between the events around
 * a DROPPED line), inside a reported gap (between the events around a gap
 * line), or lost without a word. The target: lost = 0 and duplicates = 0.
 */

useTranscriptTails();
const proxies: NetProxy[] = [];
const gateways: FakeGateway[] = [];
const relays: EventSource[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) r.stop();
  for (const p of proxies.splice(0)) await p.close();
  for (const g of gateways.splice(0)) await g.close();
  await closeHostile();
});

const SOAK_MS = Number(process.env.SOAK_SECONDS ?? 150) * 1000;

interface Classified {
  published: number;
  shown: number;
  announcedDropped: number;
  inReportedGaps: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  reconnects: number;
  gapLines: number;
  dropLines: number;
  /** Drops announced in total (--stats), whether or not the events came back in a replay. */
  announcedTotal: number;
}

/** Windows (exclusive) between the last event before a notice line and the first after it. */
function windowsOf(t: TranscriptTail, pattern: RegExp): { from: number; to: number; count: number }[] {
  const windows: { from: number; to: number; count: number }[] = [];
  let last = -1;
  const open: { from: number; count: number }[] = [];
  for (const entry of t.transcript) {
    for (const line of entry.text.split('\n')) {
      if (line.length === 0) continue;
      if (entry.stream === 'stdout') {
        const seq = (JSON.parse(line) as { seq: number }).seq;
        for (const w of open.splice(0)) windows.push({ from: w.from, to: seq, count: w.count });
        last = seq;
      } else {
        const m = pattern.exec(line);
        if (m) open.push({ from: last, count: m[1] ? Number(m[1]) : 0 });
      }
    }
  }
  for (const w of open) windows.push({ from: w.from, to: Number.POSITIVE_INFINITY, count: w.count });
  return windows;
}

/**
 * Missing events inside a gap window are "in reported gaps". Drop lines are
 * coalesced (at most one per second, added up), so they are not placed
 * against the events around them: the other missing events are covered by
 * the announced total (--stats: dropped by the server), and only what exceeds
 * it is lost without a word.
 */
function classify(t: TranscriptTail, firstSeq: number, lastSeq: number): Classified {
  const seqs = t.seqs();
  const shown = new Set(seqs);
  const gaps = windowsOf(t, /gap: ()/);
  const inside = (windows: { from: number; to: number }[], s: number) => windows.some((w) => s > w.from && s < w.to);
  let inReportedGaps = 0;
  let outsideGaps = 0;
  for (let s = firstSeq; s <= lastSeq; s++) {
    if (shown.has(s)) continue;
    if (inside(gaps, s)) inReportedGaps++;
    else outsideGaps++;
  }
  const stderr = t.io.stderr.text();
  const announced = Number(/dropped by the server: (\d+)/.exec(stderr)?.[1] ?? 0);
  const announcedDropped = Math.min(outsideGaps, announced);
  const lost = outsideGaps - announcedDropped;
  return {
    published: lastSeq - firstSeq + 1,
    shown: seqs.filter((s) => s >= firstSeq && s <= lastSeq).length - (seqs.length - shown.size),
    announcedDropped,
    inReportedGaps,
    lost,
    duplicates: seqs.length - shown.size,
    outOfOrder: seqs.filter((s, i) => i > 0 && s <= seqs[i - 1]!).length,
    reconnects: Math.max(0, (stderr.match(/connected to /g) ?? []).length - 1),
    gapLines: (stderr.match(/gap: /g) ?? []).length,
    dropLines: (stderr.match(/the server dropped/g) ?? []).length,
    announcedTotal: announced,
  };
}

/** Changes the proxy's conditions at random every 1-4 s until `untilMs`. */
async function weather(proxy: NetProxy, seed: number, untilMs: number): Promise<number> {
  const rng = createPrng(seed);
  let changes = 0;
  while (performance.now() < untilMs) {
    const roll = rng.next();
    proxy.set({
      latencyMs: Math.floor(rng.next() * 300),
      resetAfterMs: roll < 0.5 ? 300 + Math.floor(rng.next() * 2700) : undefined,
      bytesPerSecond: roll > 0.75 ? 30_000 + Math.floor(rng.next() * 150_000) : undefined,
      paused: roll > 0.9,
    });
    changes++;
    await new Promise((r) => setTimeout(r, 1000 + rng.next() * 3000));
  }
  proxy.set({ latencyMs: 0, resetAfterMs: undefined, bytesPerSecond: undefined, paused: false });
  return changes;
}

/** Publishes `{seq}` events in small bursts until `untilMs`; resolves with the last seq. */
async function publishUntil(untilMs: number, publish: (seq: number) => void): Promise<number> {
  let seq = 0;
  while (performance.now() < untilMs) {
    for (let i = 0; i < 4; i++) publish(++seq);
    await new Promise((r) => setTimeout(r, 10));
  }
  return seq;
}

function report(name: string, c: Classified, changes: number): void {
  recordFigures(name, { minutes: Math.round(SOAK_MS / 6000) / 10, weather_changes: changes, ...c, events_lost_unannounced: c.lost });
  process.stderr.write(
    `${name}: published ${c.published}, shown ${c.shown}, announced dropped ${c.announcedDropped}, inside reported gaps ${c.inReportedGaps}, ` +
      `lost ${c.lost}, duplicates ${c.duplicates}, out of order ${c.outOfOrder}; ${c.reconnects} reconnects, ${c.gapLines} gap lines, ${c.dropLines} drop lines, ${changes} weather changes\n`,
  );
}

const DEPS = {
  client: {
    backoff: { initialDelayMs: 50, maxDelayMs: 500, factor: 2, jitter: 0.5 },
    pingIntervalMs: 2_000,
    livenessMarginMs: 2_000,
    handshakeTimeoutMs: 3_000,
  },
};

describe.skipIf(!STRESS)('soak (npm run stress only: minutes long)', () => {
  test(`serve with a small queue, through random network weather for ${SOAK_MS / 1000} s: shown + dropped + in gaps = published, no duplicate`, async () => {
    const seed = hostileSeed();
    const server = await startHostileServer({ queueSize: 256, pingIntervalMs: 1_000, pongTimeoutMs: 2_000 });
    const proxy = await startNetProxy(server.port);
    proxies.push(proxy);
    const t = startTranscriptTail([proxy.url(), '-o', 'ndjson', '--stats'], DEPS);
    await t.waitFor('stderr', /connected to/, 20_000);
    const until = performance.now() + SOAK_MS;
    const [changes, last] = await Promise.all([
      weather(proxy, seed, until),
      // 2 KB events at ~400/s (~0.9 MB/s): under a bandwidth cap the queue (256) overflows and serve drops and says so.
      publishUntil(until, (seq) => server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq, pad: 'x'.repeat(2_000) })),
    ]);
    // Calm weather; a marker published afterwards shows the stream settled.
    server.hub.publish({ event_type: 'Marker', mcp_server_id: 'math', seq: last + 1 });
    await t.waitFor('stdout', new RegExp(`"seq":${last + 1}\\b`), 60_000);
    await t.interrupt();
    const c = classify(t, t.seqs()[0] ?? 1, last);
    report('soak: serve through random weather', c, changes);
    expect(c.duplicates).toBe(0);
    expect(c.outOfOrder).toBe(0);
    expect(c.lost, 'events lost without a drop or gap line').toBe(0);
    expect(c.shown + c.announcedDropped + c.inReportedGaps).toBe(c.published);
  }, SOAK_MS + 180_000);

  test(`the gateway double, through random network weather for ${SOAK_MS / 1000} s: every missing event inside a reported gap, no duplicate`, async () => {
    const seed = hostileSeed() + 1;
    const gateway = await startFakeGateway({ blindWindowMs: 60_000, pingIntervalMs: 1_000, pongTimeoutMs: 2_000 });
    gateways.push(gateway);
    const proxy = await startNetProxy(gateway.port);
    proxies.push(proxy);
    const t = startTranscriptTail([proxy.url(), '-o', 'ndjson', '--stats'], DEPS);
    await t.waitFor('stderr', /connected to/, 20_000);
    const until = performance.now() + SOAK_MS;
    const [changes, last] = await Promise.all([
      weather(proxy, seed, until),
      publishUntil(until, (seq) => gateway.publish(gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', seq }))),
    ]);
    // The gateway attaches a connection only after its subscribe: publish markers until one arrives.
    let marker = last;
    const timer = setInterval(() => gateway.publish(gatewayEvent('Marker', { mcp_server_id: 'math', seq: ++marker })), 50);
    try {
      await t.waitFor('stdout', /"Marker"/, 60_000);
    } finally {
      clearInterval(timer);
    }
    await t.interrupt();
    const c = classify(t, t.seqs()[0] ?? 1, last);
    report('soak: gateway double through random weather', c, changes);
    expect(c.duplicates).toBe(0);
    expect(c.outOfOrder).toBe(0);
    expect(c.lost, 'events lost without a gap line').toBe(0);
  }, SOAK_MS + 180_000);
  test(`a relay (serve --upstream) in front of the gateway double, the weather between them, for ${SOAK_MS / 1000} s: its client sees every upstream gap and drop, shown + dropped + in gaps = published`, async () => {
    const seed = hostileSeed() + 2;
    const gateway = await startFakeGateway({ blindWindowMs: 60_000, pingIntervalMs: 1_000, pongTimeoutMs: 2_000 });
    gateways.push(gateway);
    const proxy = await startNetProxy(gateway.port);
    proxies.push(proxy);
    // The relay: serve with a small queue, fed by an upstream source through the proxy (as serve --upstream builds it).
    const relay = await startHostileServer({ queueSize: 256, pingIntervalMs: 1_000, pongTimeoutMs: 2_000 });
    const relayLog: string[] = [];
    const source = createUpstreamSource({
      urls: [proxy.url()],
      headers: {},
      ca: undefined,
      insecure: false,
      clock: systemClock(),
      client: DEPS.client,
    });
    relays.push(source);
    void source.run(relay.hub, { info: (m) => relayLog.push(m), warn: (m) => relayLog.push(m) }).catch(() => {});
    const t = startTranscriptTail([relay.url, '-o', 'ndjson', '--stats'], DEPS);
    await t.waitFor('stderr', /connected to/, 20_000);
    const until = performance.now() + SOAK_MS;
    const [changes, last] = await Promise.all([
      weather(proxy, seed, until),
      publishUntil(until, (seq) => gateway.publish(gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', seq }))),
    ]);
    let marker = last;
    const timer = setInterval(() => gateway.publish(gatewayEvent('Marker', { mcp_server_id: 'math', seq: ++marker })), 50);
    try {
      await t.waitFor('stdout', /"Marker"/, 60_000);
    } finally {
      clearInterval(timer);
    }
    const relayHealth = relay.health();
    await t.interrupt();
    const c = classify(t, t.seqs()[0] ?? 1, last);
    report('soak: a relay client, the relay behind random weather', c, changes);
    recordFigures('soak: relay upstream counts', { upstream_gaps: relayHealth.upstream_gaps ?? -1, upstream_dropped: relayHealth.upstream_dropped ?? -1, relay_gap_log_lines: relayLog.filter((l) => l.startsWith('gap: ')).length });
    process.stderr.write(`soak: relay /health upstream_gaps ${relayHealth.upstream_gaps}, upstream_dropped ${relayHealth.upstream_dropped}\n`);
    expect(c.duplicates).toBe(0);
    expect(c.outOfOrder).toBe(0);
    expect(c.lost, 'events lost behind the relay without a drop or gap line').toBe(0);
    expect(c.shown + c.announcedDropped + c.inReportedGaps).toBe(c.published);
    expect(c.gapLines, 'every upstream gap the relay logged reached its client').toBe(relayHealth.upstream_gaps);
  }, SOAK_MS + 180_000);
});
