import { afterEach, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server/server.js';
import { createRng, deeplyNested, hostileSeed, INVALID_UTF8, prototypePolluted, randomBytes, seedNote, type Rng } from '../helpers/hostile-fuzz.js';
import {
  closeHostile,
  connectClient,
  health,
  recordFigures,
  scaled,
  startHostileServer,
  subscribedClient,
  type RecordingClient,
} from '../helpers/hostile-net.js';

/**
 * Promise: thousands of hostile client frames at one serve connection, while
 * healthy clients stream beside it, never take the server down nor touch the
 * other clients. Each bad frame is answered with an error frame; a frame
 * that cannot be answered (over 64 KiB, invalid UTF-8) closes only that
 * connection, with 1009 or 1007. Subscribe floods are rate-limited. Healthy
 * clients get every matching event in order; memory stays bounded; nothing
 * pollutes Object.prototype. In process (the server's own prototype is the
 * one checked). Seeded: the seed is in every failure message.
 */

const SEED = hostileSeed();
const NOTE = seedNote(SEED);
const MAX_FRAME = 64 * 1024;
const ALLOWED_CLOSE = new Set([1003, 1007, 1008, 1009]);

afterEach(closeHostile);

type Expect = 'error' | 'subscribe' | 'silent' | 'close';
interface HostileFrame {
  readonly kind: string;
  readonly data: string | Buffer;
  readonly binary?: boolean;
  readonly expect: Expect;
  /** For `close`: the codes that are right for this frame. */
  readonly closeCodes?: readonly number[];
}

const TYPES = ['ToolInvocationCompleted', 'ToolInvocationFailed', 'HealthCheckFailed', 'McpServerStateChanged'];
const SERVERS = ['math', 'fetch', 'github'];

/** One hostile frame from the menu. */
function hostileFrame(rng: Rng): HostileFrame {
  switch (rng.int(0, 19)) {
    case 0:
      return { kind: 'binary', data: randomBytes(rng, rng.int(1, 2000)), binary: true, expect: 'error' };
    case 1:
      return { kind: 'binary-json', data: Buffer.from('{"type":"subscribe"}'), binary: true, expect: 'error' };
    case 2:
      return { kind: 'non-object', data: rng.pick(['[]', '[{"type":"subscribe"}]', '1', '"subscribe"', 'null', 'true', '-0', '1e999']), expect: 'error' };
    case 3:
      return { kind: 'not-json', data: rng.pick(['', ' ', '{', '{"type":', "{'type':'subscribe'}", 'subscribe', '\u0000', '{"type":"subscribe"}garbage']), expect: 'error' };
    case 4:
      return { kind: 'nested-array', data: deeplyNested(rng.int(1_000, 30_000), 'array'), expect: 'error' };
    case 5:
      return { kind: 'nested-object', data: deeplyNested(rng.int(1_000, 10_000), 'object'), expect: 'error' };
    case 6: {
      const bad = rng.pick<unknown>(['x', 5, [1, 2], { a: 1 }, [['x']], true, [null], Array(300).fill('x')]);
      const key = rng.pick(['event_types', 'mcp_server_ids']);
      return { kind: 'wrong-types', data: JSON.stringify({ type: 'subscribe', [key]: bad }), expect: 'error' };
    }
    case 7: {
      const replay = rng.pick<unknown>([5, 'last', [], { last: -1 }, { last: 1.5 }, { since: 'yesterday' }, { after: 7 }, { after: 'x'.repeat(300) }, { last: 1, since: 2 }, {}, { bogus: 1 }]);
      return { kind: 'bad-replay', data: JSON.stringify({ type: 'subscribe', replay }), expect: 'error' };
    }
    case 8:
      return { kind: 'unknown-type', data: JSON.stringify({ type: rng.pick(['unsubscribe', 'publish', 'PING', 'constructor', '__proto__', 'toString', 42, null, {}]) }), expect: 'error' };
    case 9:
      return { kind: 'proto-bad', data: rng.pick(['{"__proto__":{"type":"subscribe"}}', '{"constructor":{"prototype":{"type":"subscribe"}}}', '{"__proto__":{"polluted":"yes"},"hostile":1}']), expect: 'error' };
    case 10:
      return {
        kind: 'proto-subscribe',
        data: rng.pick([
          '{"type":"subscribe","__proto__":{"polluted":"yes"}}',
          '{"type":"subscribe","constructor":{"prototype":{"polluted":"yes"}}}',
          '{"event_types":["__proto__","constructor"],"__proto__":{"isAdmin":true}}',
          '{"type":"subscribe","mcp_server_ids":["__proto__"],"replay":{"after":"__proto__"}}',
        ]),
        expect: 'subscribe',
      };
    case 11: {
      const sub: Record<string, unknown> = { type: 'subscribe' };
      if (rng.chance(0.5)) sub.event_types = [rng.pick([...TYPES, '*', 'tools/*', 'Health*', '', 'x'.repeat(500)])];
      if (rng.chance(0.5)) sub.mcp_server_ids = rng.chance(0.1) ? [] : [rng.pick(SERVERS)];
      if (rng.chance(0.2)) sub.replay = rng.pick([{ last: rng.int(0, 50) }, { since: 1e308 }, { since: -1e308 }, { last: 1e15 }, { after: 'no-such-id' }]);
      return { kind: 'subscribe', data: JSON.stringify(sub), expect: 'subscribe' };
    }
    case 12:
      return { kind: 'pong', data: '{"type":"pong"}', expect: 'silent' };
    case 13: {
      // Just under the limit: a valid subscribe carrying a huge pattern.
      const size = MAX_FRAME - rng.int(0, 200);
      const head = '{"type":"subscribe","event_types":["';
      const tail = '"]}';
      return { kind: 'huge-under', data: head + 'A'.repeat(size - head.length - tail.length) + tail, expect: 'subscribe' };
    }
    case 14: {
      const size = MAX_FRAME - rng.int(0, 200);
      return { kind: 'huge-under-garbage', data: '"' + 'x'.repeat(size - 2) + '"', expect: 'error' };
    }
    case 15:
      return { kind: 'huge-over', data: 'x'.repeat(MAX_FRAME + rng.int(1, 200_000)), expect: 'close', closeCodes: [1009] };
    case 16:
      return {
        kind: 'invalid-utf8',
        data: Buffer.concat([Buffer.from('{"type":"subscribe","event_types":["'), rng.pick(INVALID_UTF8), Buffer.from('"]}')]),
        expect: 'close',
        closeCodes: [1007],
      };
    case 17:
      return { kind: 'control-chars', data: JSON.stringify({ type: `\x1b[2J\x00${'\u202e'}` }), expect: 'error' };
    case 18:
      return { kind: 'legacy-wrong', data: JSON.stringify({ event_types: 'HealthCheckFailed' }), expect: 'error' };
    default:
      return { kind: 'long-list', data: JSON.stringify({ type: 'subscribe', event_types: Array(257).fill('X') }), expect: 'error' };
  }
}

interface Healthy {
  readonly client: RecordingClient;
  readonly matches: (e: { event_type: string; mcp_server_id: string }) => boolean;
}

async function startHealthy(server: RunningServer): Promise<Healthy[]> {
  return [
    { client: await subscribedClient(server.url, {}), matches: () => true },
    { client: await subscribedClient(server.url, { event_types: ['ToolInvocationFailed'] }), matches: (e) => e.event_type === 'ToolInvocationFailed' },
    { client: await subscribedClient(server.url, { mcp_server_ids: ['math'] }), matches: (e) => e.mcp_server_id === 'math' },
    {
      client: await subscribedClient(server.url, { event_types: ['HealthCheckFailed', 'McpServerStateChanged'], mcp_server_ids: ['fetch', 'github'] }),
      matches: (e) => (e.event_type === 'HealthCheckFailed' || e.event_type === 'McpServerStateChanged') && e.mcp_server_id !== 'math',
    },
  ];
}

/** Publishes numbered events in the background until stopped; returns everything it published. */
function startPublisher(server: RunningServer, rng: Rng): { stop: () => Array<{ event_type: string; mcp_server_id: string; seq: number }> } {
  const published: Array<{ event_type: string; mcp_server_id: string; seq: number }> = [];
  const timer = setInterval(() => {
    for (let i = 0; i < 2; i++) {
      const event = { event_type: rng.pick(TYPES), mcp_server_id: rng.pick(SERVERS), seq: published.length };
      published.push(event);
      server.hub.publish({ ...event });
    }
  }, 10);
  return {
    stop: () => {
      clearInterval(timer);
      return published;
    },
  };
}

async function checkHealthy(healthy: Healthy[], published: Array<{ event_type: string; mcp_server_id: string; seq: number }>): Promise<void> {
  for (const [i, h] of healthy.entries()) {
    const expected = published.filter(h.matches).map((e) => e.seq);
    await h.client.waitUntil(() => h.client.events.length >= expected.length || h.client.closeCode !== undefined, `healthy client ${i}: ${expected.length} events ${NOTE}`, 60_000);
    expect(h.client.closeCode, `healthy client ${i} stays connected ${NOTE}`).toBeUndefined();
    expect(h.client.controls('warning'), `healthy client ${i} had no drops ${NOTE}`).toEqual([]);
    expect(h.client.events.map((e) => e.seq), `healthy client ${i} got every matching event, in order ${NOTE}`).toEqual(expected);
    expect(h.client.oddFrames, NOTE).toEqual([]);
  }
}

describe('hostile client frames at serve', () => {
  test(`thousands of hostile frames on one connection, healthy clients beside it ${NOTE}`, async () => {
    const rng = createRng(SEED);
    const total = scaled(3_000, 100_000);
    const server = await startHostileServer();
    const healthy = await startHealthy(server);
    const publisher = startPublisher(server, createRng(SEED ^ 0x9e3779b9));
    const rssBefore = process.memoryUsage().rss;
    let maxRssGrowth = 0;

    let hostile = await connectClient(server.url, {}, true);
    const byKind = new Map<string, number>();
    const closes = new Map<number, number>();
    let sent = 0;
    let sentinel = 0;
    let errorsSeen = 0;
    let acksSeen = 0;
    let rateLimitedSeen = 0;
    let subscribesSent = 0;
    let reconnects = 0;

    while (sent < total) {
      const batch: HostileFrame[] = [];
      const size = rng.int(1, 40);
      for (let i = 0; i < size && sent + batch.length < total; i++) {
        const frame = hostileFrame(rng);
        batch.push(frame);
        if (frame.expect === 'close') break; // nothing after it would arrive
      }
      sent += batch.length;
      for (const frame of batch) byKind.set(frame.kind, (byKind.get(frame.kind) ?? 0) + 1);
      const last = batch[batch.length - 1]!;
      const mark = hostile.frames.length;
      for (const frame of batch) hostile.send(frame.data, { binary: frame.binary === true });

      if (last.expect === 'close') {
        const code = await Promise.race([hostile.closed, new Promise<'open'>((r) => setTimeout(() => r('open'), 20_000))]);
        expect(code, `a ${last.kind} frame closes the connection ${NOTE}`).not.toBe('open');
        expect(last.closeCodes, `${last.kind} closes with the right code ${NOTE}`).toContain(code);
        expect(ALLOWED_CLOSE.has(code as number), NOTE).toBe(true);
        closes.set(code as number, (closes.get(code as number) ?? 0) + 1);
        hostile = await connectClient(server.url, {}, true);
        reconnects++;
      } else {
        // A sentinel with a known answer: every reply to the batch arrives before it (one ordered channel).
        sentinel++;
        const tag = `sentinel-${sentinel}`;
        hostile.send({ type: tag });
        await hostile.waitUntil(
          () => { const f = hostile.frames[hostile.frames.length - 1]; return f !== undefined && f.type === 'error' && String(f.message).includes(tag); },
          `the answer to ${tag} after a batch of ${batch.map((f) => f.kind).join(',')} ${NOTE}`,
        );
        const replies = hostile.frames.slice(mark);
        const end = replies.findIndex((f) => f.type === 'error' && String(f.message).includes(tag));
        const answered = replies.slice(0, end);
        const bad = answered.filter((f) => f.type === 'error' && f.code === 'bad_message').length;
        const limited = answered.filter((f) => f.type === 'error' && f.code === 'rate_limited').length;
        const acks = answered.filter((f) => f.type === 'subscribed').length;
        const wantBad = batch.filter((f) => f.expect === 'error').length;
        const subs = batch.filter((f) => f.expect === 'subscribe').length;
        expect(bad, `one bad_message error per bad frame in ${batch.map((f) => f.kind).join(',')} ${NOTE}`).toBe(wantBad);
        expect(acks, `at most one ack per subscribe ${NOTE}`).toBeLessThanOrEqual(subs);
        expect(limited, `rate-limit errors only for subscribes ${NOTE}`).toBeLessThanOrEqual(subs);
        if (subs > 0) expect(acks + limited, `a subscribe is acked or (the first of a flood) refused ${NOTE}`).toBeGreaterThan(0);
        expect(hostile.closeCode, `no close for answerable frames ${NOTE}`).toBeUndefined();
        errorsSeen += bad;
        acksSeen += acks;
        rateLimitedSeen += limited;
        subscribesSent += subs;
        // Drop what we no longer need so the test itself stays small.
        hostile.frames.length = 0;
      }
      if (sentinel % 20 === 0) {
        const h = await health(server.port);
        expect(h.status, NOTE).toBe('ok');
        for (const c of server.connections()) expect(c.queuedEvents, `queues stay bounded ${NOTE}`).toBeLessThanOrEqual(1024);
        maxRssGrowth = Math.max(maxRssGrowth, process.memoryUsage().rss - rssBefore);
      }
    }

    const published = publisher.stop();
    await checkHealthy(healthy, published);
    const h = await health(server.port);
    expect(h.status).toBe('ok');
    expect(h.clients, `only the healthy clients and the current hostile one remain ${NOTE}`).toBe(healthy.length + 1);
    expect(prototypePolluted(), NOTE).toBeUndefined();
    // Generous: the test's own clients live in this process too.
    expect(maxRssGrowth, `memory stays bounded ${NOTE}`).toBeLessThan(400 * 1024 * 1024);
    recordFigures('serve hostile frames', {
      seed: SEED,
      frames_sent: sent,
      bad_frames_answered: errorsSeen,
      subscribes_sent: subscribesSent,
      subscribes_acked: acksSeen,
      rate_limited_errors: rateLimitedSeen,
      closes_1009: closes.get(1009) ?? 0,
      closes_1007: closes.get(1007) ?? 0,
      reconnects,
      healthy_events_published: published.length,
      healthy_events_lost: 0,
      max_rss_growth_mib: Math.round(maxRssGrowth / 1048576),
      kinds: [...byKind.keys()].length,
    });
  }, scaled(120_000, 900_000));

  test('a first subscribe with replay joins history and live in order, once each, while events keep arriving', async () => {
    const server = await startHostileServer();
    const witness = await subscribedClient(server.url, {});
    for (let seq = 0; seq < 100; seq++) server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq });
    await witness.waitUntil(() => witness.events.length === 100, 'the first 100 events');
    const after = witness.events[49]!.event_id as string;
    const late = await connectClient(server.url);
    // Events published after the connection opened but before its subscribe arrives.
    for (let seq = 100; seq < 150; seq++) server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq });
    await new Promise((r) => setImmediate(r));
    late.send({ type: 'subscribe', replay: { after } });
    for (let seq = 150; seq < 200; seq++) server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq });
    await late.waitUntil(() => late.events.some((e) => e.seq === 199), 'the last event');
    expect(late.events.map((e) => e.seq)).toEqual(Array.from({ length: 150 }, (_, i) => i + 50));
    expect(late.controls('replayed')[0]).toMatchObject({ complete: true });
  });

  test(`a subscribe flood is rate-limited, answered once, and does not disturb other clients ${NOTE}`, async () => {
    const server = await startHostileServer();
    const [watcher] = await startHealthy(server);
    const flooder = await subscribedClient(server.url, {});
    const floodSize = scaled(2_000, 50_000);
    for (let i = 0; i < floodSize; i++) flooder.send({ type: 'subscribe', event_types: [`T${i}`] });
    flooder.send({ type: 'flood-done' });
    await flooder.waitUntil(() => flooder.frames.some((f) => f.type === 'error' && String(f.message).includes('flood-done')), 'the end of the flood', 60_000);
    const acks = flooder.controls('subscribed').length - 1; // minus the first, before the flood
    const limited = flooder.controls('error', 'rate_limited');
    expect(acks, `most of the flood is refused ${NOTE}`).toBeLessThan(floodSize / 4);
    expect(acks, 'the burst allowance is honoured').toBeGreaterThan(0);
    expect(limited.length, 'the client is told (once per flood episode)').toBeGreaterThanOrEqual(1);
    expect(limited.length).toBeLessThanOrEqual(Math.max(1, acks));
    expect(flooder.closeCode).toBeUndefined();
    // The flooder's filter is one of its accepted subscribes; the watcher is untouched.
    server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq: 1 });
    await watcher!.client.waitUntil(() => watcher!.client.events.length === 1, 'the watcher gets the event');
    expect((await health(server.port)).clients).toBe(5); // four healthy clients and the flooder
    recordFigures('serve subscribe flood', { subscribes_sent: floodSize, acked: acks, rate_limited_errors: limited.length });
  }, scaled(60_000, 300_000));

  test(`many hostile connections at once: each closed or answered alone, the server stays up ${NOTE}`, async () => {
    const rng = createRng(SEED ^ 0x51ed);
    const server = await startHostileServer();
    const healthy = await startHealthy(server);
    const publisher = startPublisher(server, createRng(SEED ^ 0x1234));
    const n = scaled(30, 300);
    const hostiles = await Promise.all(Array.from({ length: n }, () => connectClient(server.url)));
    let framesSent = 0;
    for (const client of hostiles) {
      for (let i = 0; i < 30; i++) {
        const frame = hostileFrame(rng);
        client.send(frame.data, { binary: frame.binary === true });
        framesSent++;
      }
    }
    // Every hostile connection either got an answer to its last frame or was closed with an allowed code.
    for (const client of hostiles) {
      client.send({ type: 'last-word' });
      await client.waitUntil(() => client.closeCode !== undefined || client.frames.some((f) => f.type === 'error' && String(f.message).includes('last-word')), 'an answer or a close', 60_000);
      if (client.closeCode !== undefined) expect(ALLOWED_CLOSE.has(client.closeCode), `close code ${client.closeCode} ${NOTE}`).toBe(true);
    }
    const published = publisher.stop();
    await checkHealthy(healthy, published);
    for (const client of hostiles) client.ws.terminate();
    await Promise.all(hostiles.map((c) => c.closed));
    await expect.poll(async () => (await health(server.port)).clients, { timeout: 30_000 }).toBe(healthy.length);
    expect(prototypePolluted()).toBeUndefined();
    recordFigures('serve many hostile connections', { connections: n, frames_sent: framesSent, healthy_events_published: published.length, healthy_events_lost: 0 });
  }, scaled(120_000, 600_000));
});

