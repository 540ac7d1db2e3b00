import { describe, expect, it } from 'vitest';
import { INITIAL_QUEUE_SLOTS, KEPT_QUEUE_SLOTS } from '../../src/server/event-deque.js';
import { Subscriber } from '../../src/server/subscriber.js';
import type { Transport } from '../../src/wire/ws-transport.js';

/** A transport that buffers until the test says the peer read it. */
class FakeTransport implements Transport {
  sent: string[] = [];
  pending: Array<{ frame: Buffer; done?: (error?: Error) => void }> = [];
  corks = 0;
  uncorks = 0;
  get bufferedAmount(): number {
    return this.pending.reduce((n, p) => n + p.frame.length, 0);
  }
  send(frame: Buffer, done?: (error?: Error) => void): void {
    this.sent.push(frame.toString());
    this.pending.push({ frame, done });
  }
  cork(): void {
    this.corks++;
  }
  uncork(): void {
    this.uncorks++;
  }
  /** The peer reads everything written so far. */
  drain(): void {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.done?.();
  }
}

function setup(limits: Partial<{ queueSize: number; queueBytes: number; highWaterMarkBytes: number; maxPendingControls: number }> = {}, chaosDrop = 0) {
  const transport = new FakeTransport();
  const flushes: Array<() => void> = [];
  const stats = { delivered: 0, dropped: 0 };
  let episodes = 0;
  let overflow = 0;
  let now = 0;
  const randoms = [0.05, 0.5, 0.05, 0.9];
  let r = 0;
  const subscriber = new Subscriber({
    transport,
    limits: { queueSize: 4, queueBytes: 1 << 20, highWaterMarkBytes: 10, maxPendingControls: 8, ...limits },
    stats,
    monotonicMs: () => now,
    schedule: (flush) => flushes.push(flush),
    hooks: { onDropEpisode: () => episodes++, onControlOverflow: () => overflow++ },
    chaosDrop,
    random: () => randoms[r++ % randoms.length]!,
  });
  const flush = () => {
    while (flushes.length > 0) flushes.shift()!();
  };
  return { transport, subscriber, stats, flush, episodes: () => episodes, overflow: () => overflow, setNow: (t: number) => (now = t) };
}

const frame = (n: number) => Buffer.from(JSON.stringify({ event_type: 'E', n }));
const offer = (s: Subscriber, n: number) => s.offer({ event_type: 'E' }, frame(n));
const parsed = (t: FakeTransport) => t.sent.map((s) => JSON.parse(s) as Record<string, unknown>);

describe('Subscriber', () => {
  it('hands frames over only below the high-water mark, corked per flush, and refills when the transport drains', () => {
    const { transport, subscriber, flush } = setup({ highWaterMarkBytes: 30 });
    for (let n = 1; n <= 3; n++) offer(subscriber, n);
    flush();
    // Each frame is 21 bytes: two go out (0 and then 21 bytes buffered, under 30), the third waits (42 >= 30).
    expect(parsed(transport).map((f) => f.n)).toEqual([1, 2]);
    expect(transport.corks).toBe(1);
    expect(transport.uncorks).toBe(1);
    expect(subscriber.queuedEvents).toBe(1);
    transport.drain();
    flush();
    expect(parsed(transport).map((f) => f.n)).toEqual([1, 2, 3]);
    expect(subscriber.delivered).toBe(3);
  });

  it('drops the oldest beyond the queue size and announces the drop exactly, before the next event', () => {
    const { transport, subscriber, stats, flush, episodes } = setup({ queueSize: 4, highWaterMarkBytes: 1 });
    offer(subscriber, 1);
    flush(); // 1 goes out; the transport is now above the high-water mark
    for (let n = 2; n <= 10; n++) offer(subscriber, n);
    expect(subscriber.queuedEvents).toBe(4);
    expect(episodes()).toBe(1);
    transport.drain();
    flush();
    expect(parsed(transport)[1]).toEqual({
      type: 'warning',
      code: 'events_dropped',
      dropped: 5,
      total_dropped: 5,
      queue_limit: 4,
      message: '5 events dropped: client is reading slower than events arrive',
    });
    while (transport.pending.length > 0) {
      transport.drain();
      flush();
    }
    expect(parsed(transport).filter((f) => 'n' in f).map((f) => f.n)).toEqual([1, 7, 8, 9, 10]);
    expect(subscriber.matched).toBe(10);
    expect(subscriber.matched).toBe(subscriber.delivered + subscriber.totalDropped);
    expect(stats).toEqual({ delivered: 5, dropped: 5 });
    // A second episode is announced with the running total.
    for (let n = 11; n <= 16; n++) offer(subscriber, n);
    flush();
    while (transport.pending.length > 0) {
      transport.drain();
      flush();
    }
    const warnings = parsed(transport).filter((f) => f.type === 'warning');
    expect(warnings.map((w) => [w.dropped, w.total_dropped])).toEqual([
      [5, 5],
      [2, 7],
    ]);
    expect(subscriber.matched).toBe(subscriber.delivered + subscriber.totalDropped);
    expect(episodes()).toBe(2);
  });

  it('bounds queued bytes too', () => {
    const { subscriber } = setup({ queueSize: 100, queueBytes: 50, highWaterMarkBytes: 0 });
    for (let n = 1; n <= 10; n++) offer(subscriber, n);
    expect(subscriber.queuedEventBytes).toBeLessThanOrEqual(50);
    expect(subscriber.totalDropped).toBe(10 - subscriber.queuedEvents);
  });

  it('keeps controls and replay batches in order with events, never dropping them', () => {
    const { transport, subscriber, flush } = setup({ queueSize: 2, highWaterMarkBytes: 1 << 20 });
    offer(subscriber, 1);
    subscriber.sendControl({ type: 'subscribed', event_types: [], mcp_server_ids: [] });
    subscriber.enqueueReplay([frame(100), frame(101), frame(102)]);
    subscriber.sendControl({ type: 'replayed', count: 3, complete: true });
    offer(subscriber, 2);
    flush();
    expect(parsed(transport).map((f) => f.n ?? f.type)).toEqual([1, 'subscribed', 100, 101, 102, 'replayed', 2]);
    expect(subscriber.replayedDelivered).toBe(3);
    expect(subscriber.delivered).toBe(2);
  });

  it('reports a stall only while data is unwritten and no progress is made', () => {
    const { transport, subscriber, flush, setNow } = setup({ highWaterMarkBytes: 1 });
    setNow(1000);
    expect(subscriber.isStalled(100_000, 60_000)).toBe(false); // idle is not stalled
    offer(subscriber, 1);
    flush();
    expect(subscriber.isStalled(1000 + 59_000, 60_000)).toBe(false);
    expect(subscriber.isStalled(1000 + 61_000, 60_000)).toBe(true);
    setNow(50_000);
    transport.drain();
    expect(subscriber.isStalled(200_000, 60_000)).toBe(false);
  });

  it('signals control overflow when a client sends but never reads', () => {
    const { subscriber, overflow } = setup({ highWaterMarkBytes: 0, maxPendingControls: 3 });
    for (let i = 0; i < 5; i++) subscriber.sendControl({ type: 'error', code: 'bad_message', message: 'x' });
    expect(overflow()).toBeGreaterThan(0);
  });

  it('chaos drop removes that fraction and announces it like a real drop', () => {
    const { transport, subscriber, flush } = setup({ queueSize: 100, highWaterMarkBytes: 1 << 20 }, 0.1);
    for (let n = 1; n <= 4; n++) offer(subscriber, n); // randoms 0.05, 0.5, 0.05, 0.9: drops 1 and 3
    flush();
    expect(parsed(transport).map((f) => f.n ?? `${f.type}:${f.dropped}/${f.total_dropped}`)).toEqual(['warning:2/2', 2, 4]);
    expect(subscriber.matched).toBe(subscriber.delivered + subscriber.totalDropped);
  });

  it('keeps order and exact counts while its queue grows, wraps around and drops, with controls interleaved', () => {
    const { transport, subscriber, stats, flush } = setup({ queueSize: 100, highWaterMarkBytes: 1 });
    // Nothing fits past the first frame of a burst until the peer reads: the queue fills, grows and wraps.
    let n = 0;
    for (let round = 0; round < 12; round++) {
      for (let i = 0; i < 37; i++) offer(subscriber, ++n);
      if (round % 4 === 1) subscriber.sendControl({ type: 'ping' });
      flush();
      transport.drain();
      flush();
    }
    for (let i = 0; i < 500 && (subscriber.queuedEvents > 0 || transport.pending.length > 0); i++) {
      transport.drain();
      flush();
    }
    expect(subscriber.queuedEvents).toBe(0);
    const frames = parsed(transport);
    const events = frames.filter((f) => f.event_type === 'E').map((f) => f.n as number);
    const warnings = frames.filter((f) => f.type === 'warning');
    const dropped = warnings.reduce((sum, w) => sum + (w.dropped as number), 0);
    // In order, none twice, and every offered event either delivered or announced as dropped.
    for (let i = 1; i < events.length; i++) expect(events[i]!).toBeGreaterThan(events[i - 1]!);
    expect(events.length + dropped).toBe(n);
    expect(subscriber.matched).toBe(n);
    expect(subscriber.delivered + subscriber.totalDropped).toBe(n);
    expect(stats.delivered).toBe(events.length);
    expect(subscriber.totalDropped).toBeGreaterThan(0);
    expect(frames.filter((f) => f.type === 'ping')).toHaveLength(3);
  });

  it('grows its queue from a small ring as events wait, in order across the wrap, with exact drops and controls in place', () => {
    const { transport, subscriber, stats, flush } = setup({ queueSize: 40, highWaterMarkBytes: 1 });
    const label = (f: Record<string, unknown>) => (f.type === 'warning' ? `warning:${String(f.dropped)}/${String(f.total_dropped)}` : (f.n ?? f.type));
    const readOne = () => {
      transport.drain();
      flush();
    };
    expect(subscriber.queueSlots).toBe(INITIAL_QUEUE_SLOTS);
    offer(subscriber, 1);
    flush(); // 1 goes out; one frame at a time from now on, as the peer reads
    for (let n = 2; n <= 11; n++) offer(subscriber, n);
    for (let i = 0; i < 5; i++) readOne(); // 2..6 go out: the ring's head is now mid-ring
    expect(subscriber.queuedEvents).toBe(5);
    expect(subscriber.queueSlots).toBe(INITIAL_QUEUE_SLOTS);
    for (let n = 12; n <= 30; n++) offer(subscriber, n); // 24 waiting: the wrapped ring grows
    expect(subscriber.queueSlots).toBe(32);
    subscriber.sendControl({ type: 'ping' });
    for (let n = 31; n <= 50; n++) offer(subscriber, n); // 44 offered into 40: 7..10 dropped
    expect(subscriber.queuedEvents).toBe(40);
    expect(subscriber.queueSlots).toBe(64); // never past the queue size's power of two
    expect(subscriber.totalDropped).toBe(4);
    for (let i = 0; i < 100 && (subscriber.queuedEvents > 0 || transport.pending.length > 0); i++) readOne();
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    expect(parsed(transport).map(label)).toEqual([...range(1, 6), 'warning:4/4', ...range(11, 30), 'ping', ...range(31, 50)]);
    expect(subscriber.delivered).toBe(46);
    expect(stats.delivered).toBe(46);
    expect(subscriber.matched).toBe(subscriber.delivered + subscriber.totalDropped);
    // A queue emptied by drops lets go of its grown ring, and the accounting stays exact.
    for (let n = 51; n <= 90; n++) offer(subscriber, n);
    subscriber.dropQueued(0);
    expect(subscriber.queueSlots).toBe(INITIAL_QUEUE_SLOTS);
    expect(subscriber.totalDropped).toBe(4 + 40); // 51..90 were all waiting
    expect(subscriber.matched).toBe(subscriber.delivered + subscriber.totalDropped);
  });

  it('lets go of a ring grown past KEPT_QUEUE_SLOTS once it is sent empty, keeps a smaller one, and the order and counts stay exact', () => {
    const { transport, subscriber, stats, flush } = setup({ queueSize: 4 * KEPT_QUEUE_SLOTS, highWaterMarkBytes: 1 << 20 });
    subscriber.hold(); // events wait, as during a first subscribe
    for (let n = 1; n <= 2 * KEPT_QUEUE_SLOTS; n++) offer(subscriber, n);
    expect(subscriber.queueSlots).toBe(2 * KEPT_QUEUE_SLOTS);
    subscriber.release();
    flush();
    expect(subscriber.queuedEvents).toBe(0);
    expect(subscriber.queueSlots).toBe(INITIAL_QUEUE_SLOTS);
    // A ring of KEPT_QUEUE_SLOTS is kept when it empties (a fast client taking batches of that size).
    for (let n = 2 * KEPT_QUEUE_SLOTS + 1; n <= 3 * KEPT_QUEUE_SLOTS; n++) offer(subscriber, n);
    expect(subscriber.queueSlots).toBe(KEPT_QUEUE_SLOTS);
    transport.drain();
    flush();
    expect(subscriber.queuedEvents).toBe(0);
    expect(subscriber.queueSlots).toBe(KEPT_QUEUE_SLOTS);
    // Shrunk and grown again across the wrap: every event once, in order.
    offer(subscriber, 3 * KEPT_QUEUE_SLOTS + 1);
    transport.drain();
    flush();
    expect(parsed(transport).map((f) => f.n)).toEqual(Array.from({ length: 3 * KEPT_QUEUE_SLOTS + 1 }, (_, i) => i + 1));
    expect(subscriber.delivered).toBe(3 * KEPT_QUEUE_SLOTS + 1);
    expect(stats.delivered).toBe(subscriber.delivered);
    expect(subscriber.matched).toBe(subscriber.delivered);
    expect(subscriber.totalDropped).toBe(0);
  });

  it('keeps a control still waiting at the end of the hold in its place among the held events it keeps', () => {
    const { transport, subscriber, flush } = setup({ queueSize: 100, highWaterMarkBytes: 1 });
    subscriber.hold();
    subscriber.sendControl({ type: 'ping' });
    flush(); // the first ping goes out; the peer has not read it yet, so the next frames wait
    for (let n = 1; n <= 20; n++) offer(subscriber, n);
    subscriber.sendControl({ type: 'ping' }); // after 20 held events
    for (let n = 21; n <= 30; n++) offer(subscriber, n);
    // Keep the odd ones: the ping goes out after 19 (the last kept event before it), before 21.
    subscriber.release((_event, frame) => (JSON.parse(frame.toString()) as { n: number }).n % 2 === 1);
    for (let i = 0; i < 50 && (subscriber.queuedEvents > 0 || transport.pending.length > 0); i++) {
      transport.drain();
      flush();
    }
    expect(parsed(transport).map((f) => f.n ?? f.type)).toEqual(['ping', 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 'ping', 21, 23, 25, 27, 29]);
    expect(subscriber.matched).toBe(15);
    expect(subscriber.delivered).toBe(15);
  });

  it('never sends after close', () => {
    const { transport, subscriber, flush } = setup();
    offer(subscriber, 1);
    subscriber.close();
    flush();
    offer(subscriber, 2);
    flush();
    expect(transport.sent).toEqual([]);
  });
});
