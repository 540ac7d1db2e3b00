import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/server/hub.js';
import { Subscriber } from '../../src/server/subscriber.js';
import type { Transport } from '../../src/wire/ws-transport.js';
import { createFleetSimulator } from '../../src/sources/fleet/simulator.js';
import { createMaxRateGenerator, MAX_RATE_POOL_SIZE } from '../../src/sources/fleet/max-rate.js';
import type { HangarEvent } from '../../src/protocol/types.js';

function recordingSubscriber(hub: Hub) {
  const frames: Buffer[] = [];
  const transport: Transport = { send: (frame, done) => (frames.push(frame), done?.()), bufferedAmount: 0, cork() {}, uncork() {} };
  const subscriber = new Subscriber({
    transport,
    limits: { queueSize: 100, queueBytes: 1 << 20, highWaterMarkBytes: 1 << 20, maxPendingControls: 100 },
    stats: hub.stats,
    monotonicMs: () => 0,
    schedule: (flush) => flush(),
  });
  hub.attach(subscriber);
  return { subscriber, frames };
}

describe('Hub', () => {
  it('assigns event_id and occurred_at when missing, and serializes each event once for every subscriber', () => {
    let n = 0;
    const hub = new Hub({ historySize: 10, historyBytes: 1 << 20, now: () => 1_795_727_378_500, newEventId: () => `id-${++n}` });
    const a = recordingSubscriber(hub);
    const b = recordingSubscriber(hub);
    const input = { event_type: 'HealthCheckPassed', mcp_server_id: 'math' };
    expect(hub.publish(input)).toBe(true);
    expect(input).toEqual({ event_type: 'HealthCheckPassed', mcp_server_id: 'math' }); // the caller's object is not changed
    expect(a.frames).toHaveLength(1);
    expect(a.frames[0]).toBe(b.frames[0]); // the same Buffer
    expect(JSON.parse(a.frames[0]!.toString())).toEqual({ ...input, event_id: 'id-1', occurred_at: 1_795_727_378.5 });
    expect(hub.stats).toEqual({ published: 1, delivered: 2, dropped: 0 });
  });

  it('does not publish what cannot be serialized', () => {
    const hub = new Hub({ historySize: 10, historyBytes: 1 << 20, now: () => 0 });
    expect(hub.publish({ event_type: 'X', big: 1n })).toBe(false);
    expect(hub.stats.published).toBe(0);
  });

  it('offers each event to the subscribers attached at its publish: one attached later gets the next, one detached nothing more', () => {
    // deliver() walks an array made from the subscriber set: every change to the set must be seen by the next publish.
    const hub = new Hub({ historySize: 10, historyBytes: 1 << 20, now: () => 1_795_727_378_500 });
    const a = recordingSubscriber(hub);
    const b = recordingSubscriber(hub);
    hub.publish({ event_type: 'E', n: 1 });
    hub.detach(b.subscriber); // not closed: only the hub's set tells it apart
    const c = recordingSubscriber(hub);
    hub.publish({ event_type: 'E', n: 2 });
    hub.attach(b.subscriber);
    hub.publish({ event_type: 'E', n: 3 });
    const ns = (frames: Buffer[]) => frames.map((frame) => (JSON.parse(frame.toString()) as { n: number }).n);
    expect(ns(a.frames)).toEqual([1, 2, 3]);
    expect(ns(b.frames)).toEqual([1, 3]);
    expect(ns(c.frames)).toEqual([2, 3]);
    expect(hub.stats).toEqual({ published: 3, delivered: 7, dropped: 0 });
  });

  it('whenSubscribed resolves once someone listens', async () => {
    const hub = new Hub({ historySize: 10, historyBytes: 1 << 20, now: () => 0 });
    let resolved = false;
    const waiting = hub.whenSubscribed().then(() => (resolved = true));
    await Promise.resolve();
    expect(resolved).toBe(false);
    recordingSubscriber(hub);
    await waiting;
    expect(resolved).toBe(true);
    await hub.whenSubscribed();
  });
});

describe('Hub: a client that asked for replay and stopped reading', () => {
  it('lets go of replay frames history evicted, counts them as dropped and announces them like live drops', () => {
    const hub = new Hub({ historySize: 100, historyBytes: 1 << 30, now: () => 1_795_727_378_500 });
    for (let seq = 0; seq < 100; seq++) hub.publish({ event_type: 'E', seq });
    const received: Record<string, unknown>[] = [];
    let stalled = true;
    const transport: Transport = {
      send: (frame, done) => (received.push(JSON.parse(frame.toString()) as Record<string, unknown>), done?.()),
      get bufferedAmount() {
        return stalled ? 1 << 30 : 0;
      },
      cork() {},
      uncork() {},
    };
    const subscriber = new Subscriber({
      transport,
      limits: { queueSize: 20, queueBytes: 1 << 30, highWaterMarkBytes: 1 << 20, maxPendingControls: 100 },
      stats: hub.stats,
      monotonicMs: () => 0,
      schedule: (flush) => flush(),
    });
    hub.attach(subscriber);
    hub.subscribe(subscriber, { type: 'subscribe', replay: { last: 100 } });
    // The client reads nothing while history turns over once (and some): 150 more events.
    for (let seq = 100; seq < 250; seq++) hub.publish({ event_type: 'E', seq });
    expect(received).toHaveLength(0);
    // Every replay frame history has evicted is let go of (a stalled replay pins nothing history does not keep)...
    expect(subscriber.replayDropped).toBe(100);
    // ...and the live queue kept its bound as always.
    expect(subscriber.queuedEvents).toBe(20);
    stalled = false;
    hub.publish({ event_type: 'E', seq: 250 });
    const types = received.map((f) => f.type ?? `event ${String(f.seq)}`);
    expect(types.slice(0, 3)).toEqual(['warning', 'subscribed', 'replayed']);
    const warning = received[0]!;
    expect(warning).toMatchObject({ code: 'events_dropped', dropped: 100 + 131, total_dropped: 100 + 131 });
    expect(received[2]).toMatchObject({ type: 'replayed', count: 100, complete: true });
    // Then the newest live events, in order, none of them twice.
    const seqs = received.filter((f) => f.event_type === 'E').map((f) => f.seq as number);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => 231 + i));
    // Accounting: live matched = delivered + live drops; replay drops apart.
    expect(subscriber.matched).toBe(subscriber.delivered + subscriber.totalDropped);
  });
});

describe('Hub: a client subscribing with 256 long segment patterns', () => {
  it('costs a publish no string splitting per event (patterns compiled once per subscribe, verdicts per type remembered)', () => {
    const hub = new Hub({ historySize: 10, historyBytes: 1 << 20, now: () => 0 });
    const { subscriber, frames } = recordingSubscriber(hub);
    // The CPU amplification of issue 7: patterns like a/a/.../x0. The work is counted, not timed.
    const patterns = Array.from({ length: 256 }, (_, i) => `${'a/'.repeat(200)}x${i}`);
    hub.subscribe(subscriber, { type: 'subscribe', event_types: patterns });
    const split = String.prototype.split;
    let splits = 0;
    String.prototype.split = function (this: string, ...args: Parameters<typeof split>) {
      splits++;
      return split.apply(this, args);
    } as typeof split;
    try {
      for (let i = 0; i < 500; i++) {
        hub.publish({ event_type: 'tools/call/request', event_id: `e${i}`, occurred_at: 1 });
        hub.publish({ event_type: `${'a/'.repeat(200)}x7`, event_id: `m${i}`, occurred_at: 1 });
      }
    } finally {
      String.prototype.split = split;
    }
    expect(splits, 'string splits for 1000 publishes').toBeLessThanOrEqual(4);
    const types = frames.map((f) => JSON.parse(f.toString()) as { type?: string; event_type?: string }).filter((f) => f.event_type !== undefined);
    expect(types).toHaveLength(500);
  });
});

describe('Hub.publishAll', () => {
  it('publishes a batch all or nothing: an event that cannot be serialized publishes none of it and is named by index', () => {
    const hub = new Hub({ historySize: 10, historyBytes: 1 << 20, now: () => 0 });
    const { frames } = recordingSubscriber(hub);
    const cyclic: Record<string, unknown> = { event_type: 'Cyclic' };
    cyclic.self = cyclic;
    expect(hub.publishAll([{ event_type: 'A' }, cyclic as never, { event_type: 'C' }])).toBe(1);
    expect(frames).toHaveLength(0);
    expect(hub.stats.published).toBe(0);
    expect(hub.historyLength).toBe(0);
    expect(hub.publishAll([{ event_type: 'A' }, { event_type: 'B' }])).toBe(-1);
    expect(frames.map((f) => JSON.parse(f.toString()).event_type)).toEqual(['A', 'B']);
  });
});

describe('Hub.upstreamNotices (serve --upstream)', () => {
  it('announces an upstream gap to every client where it happened, and adds up a flood of upstream drops into one waiting warning', () => {
    const hub = new Hub({ historySize: 10, historyBytes: 1 << 20, now: () => 0 });
    const frames: Buffer[] = [];
    let flush: (() => void) | undefined;
    const transport: Transport = { send: (frame, done) => (frames.push(frame), done?.()), bufferedAmount: 0, cork() {}, uncork() {} };
    const subscriber = new Subscriber({
      transport,
      limits: { queueSize: 100, queueBytes: 1 << 20, highWaterMarkBytes: 1 << 20, maxPendingControls: 100 },
      stats: hub.stats,
      monotonicMs: () => 0,
      // Flushed only when the test says: the client is not reading meanwhile.
      schedule: (f) => (flush = f),
    });
    hub.attach(subscriber);
    const filtered = recordingSubscriber(hub);
    hub.subscribe(filtered.subscriber, { type: 'subscribe', event_types: ['Other'] });
    expect(hub.upstreamStats).toBeUndefined();
    const notices = hub.upstreamNotices();
    hub.publish({ event_type: 'A', event_id: 'a', occurred_at: 1 });
    notices.gap(1234.4, "the relay's upstream ws://gw was down: the server keeps no history");
    hub.publish({ event_type: 'B', event_id: 'b', occurred_at: 1 });
    // 50 000 upstream warnings while the client is not reading: one frame waits, never 50 000 (maxPendingControls is 100).
    for (let i = 0; i < 50_000; i++) notices.dropped(1, 'upstream dropped events');
    hub.publish({ event_type: 'C', event_id: 'c', occurred_at: 1 });
    notices.dropped(5, 'upstream dropped more');
    flush!();
    const sent = frames.map((f) => JSON.parse(f.toString()) as Record<string, unknown>);
    expect(sent.map((f) => f.event_type ?? `${f.type}:${f.code}`)).toEqual(['A', 'warning:upstream_gap', 'B', 'warning:upstream_dropped', 'C']);
    expect(sent[1]).toEqual({ type: 'warning', code: 'upstream_gap', dropped: 0, total_dropped: 0, down_ms: 1234, message: "the relay's upstream ws://gw was down: the server keeps no history" });
    expect(sent[3]).toEqual({ type: 'warning', code: 'upstream_dropped', dropped: 50_005, total_dropped: 50_005, message: 'upstream dropped more' });
    // A filtered client is told too: what the upstream lost may have matched its filter.
    const told = filtered.frames.map((f) => JSON.parse(f.toString()) as { code?: string; dropped?: number }).filter((f) => f.code !== undefined);
    expect(told[0]!.code).toBe('upstream_gap');
    expect(told.slice(1).reduce((sum, f) => sum + f.dropped!, 0)).toBe(50_005);
    expect(hub.upstreamStats).toEqual({ gaps: 1, dropped: 50_005 });
    // The next drop after the warning went out is a new warning with the running total.
    notices.dropped(2, 'again');
    flush!();
    expect(JSON.parse(frames.at(-1)!.toString())).toMatchObject({ code: 'upstream_dropped', dropped: 2, total_dropped: 50_007 });
  });
});

describe('Hub: a relay\'s replay across an upstream gap', () => {
  it('carries the gap where it happened, so a client resuming across it is told as one connected throughout was', () => {
    const hub = new Hub({ historySize: 10, historyBytes: 1 << 20, now: () => 0 });
    const notices = hub.upstreamNotices();
    for (const id of ['e1', 'e2']) hub.publish({ event_type: 'A', event_id: id, occurred_at: 1 });
    notices.gap(500, 'upstream down');
    hub.publish({ event_type: 'A', event_id: 'e3', occurred_at: 1 });
    notices.gap(undefined, 'upstream down again');
    const replayOf = (replay: Record<string, unknown>, filter: string[] | undefined = undefined) => {
      const { subscriber, frames } = recordingSubscriber(hub);
      hub.subscribe(subscriber, { type: 'subscribe', replay: replay as never, ...(filter ? { event_types: filter } : {}) });
      hub.detach(subscriber);
      return frames.map((f) => JSON.parse(f.toString()) as Record<string, unknown>).map((f) => (f.event_id as string) ?? (f.code === 'upstream_gap' ? `gap:${f.message}` : `${f.type}:${f.count ?? ''}`));
    };
    expect(replayOf({ after: 'e1' })).toEqual(['subscribed:', 'e2', 'gap:upstream down', 'e3', 'gap:upstream down again', 'replayed:2']);
    expect(replayOf({ after: 'e2' })).toEqual(['subscribed:', 'gap:upstream down', 'e3', 'gap:upstream down again', 'replayed:1']);
    expect(replayOf({ after: 'e3' })).toEqual(['subscribed:', 'gap:upstream down again', 'replayed:0']);
    expect(replayOf({ last: 3 })).toEqual(['subscribed:', 'e1', 'e2', 'gap:upstream down', 'e3', 'gap:upstream down again', 'replayed:3']);
    // A gap before the first replayed event is outside what was asked for.
    expect(replayOf({ last: 1 })).toEqual(['subscribed:', 'e3', 'gap:upstream down again', 'replayed:1']);
    // Whatever the filter: what the upstream lost may have matched it.
    expect(replayOf({ after: 'e2' }, ['B'])).toEqual(['subscribed:', 'gap:upstream down', 'gap:upstream down again', 'replayed:0']);
  });
});

describe('Hub with the max-rate source (one record per copy)', () => {
  it('gives the readers of every field (kept events, a replay_filter `where`) all of a copy\'s fields, read from its frame', () => {
    const make = () => createMaxRateGenerator(createFleetSimulator({ servers: 4, seed: 5, startMs: 1_795_727_378_000 }), 5);
    const objects = make();
    const serialized = make();
    const hub = new Hub({ historySize: 500, historyBytes: 1 << 24, now: () => 1_795_727_378_000 });
    const expected: HangarEvent[] = [];
    for (let i = 0; i < MAX_RATE_POOL_SIZE + 500; i++) {
      expected.push(objects.next(1795727378.5));
      serialized.publishNext(hub, 1795727378.5);
    }
    // History keeps the last 500: copies (records that index only type, server, id and time).
    const last = expected.slice(-500);
    expect([...hub.keptEvents()]).toEqual(last);
    const tool = last.find((e) => typeof e.tool_name === 'string')!.tool_name as string;
    const wanted = last.filter((e) => e.tool_name === tool).map((e) => e.event_id);
    expect(wanted.length).toBeGreaterThan(0);
    const { subscriber, frames } = recordingSubscriber(hub);
    hub.subscribe(subscriber, { type: 'subscribe', replay: { last: 500 }, replay_filter: { where: [`tool_name=${tool}`] } });
    const replayed = frames.map((f) => JSON.parse(f.toString()) as HangarEvent).filter((m) => m.event_type !== undefined);
    expect(replayed.map((e) => e.event_id)).toEqual(wanted);
  });
});
