import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/server/hub.js';
import { Subscriber } from '../../src/server/subscriber.js';
import type { Transport } from '../../src/wire/ws-transport.js';

/** A transport whose peer reads only when the test says so (a slow consumer). */
class SlowTransport implements Transport {
  readonly sent: string[] = [];
  private pending: Array<{ bytes: number; done?: (error?: Error) => void }> = [];
  get bufferedAmount(): number {
    return this.pending.reduce((n, p) => n + p.bytes, 0);
  }
  send(frame: Buffer, done?: (error?: Error) => void): void {
    this.sent.push(frame.toString());
    this.pending.push({ bytes: frame.length, done });
  }
  cork(): void {}
  uncork(): void {}
  /** The peer reads everything written so far. */
  drain(): void {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.done?.();
  }
}

function setup(limits: { queueSize: number; queueBytes: number }) {
  const hub = new Hub({ historySize: 0, historyBytes: 0, now: () => 1_795_727_378_000, queueSize: limits.queueSize });
  const flushes: Array<() => void> = [];
  const make = () => {
    const transport = new SlowTransport();
    const subscriber = new Subscriber({
      transport,
      limits: { ...limits, highWaterMarkBytes: 200, maxPendingControls: 1000 },
      stats: { delivered: 0, dropped: 0 },
      monotonicMs: () => 0,
      schedule: (flush) => flushes.push(flush),
    });
    let offers = 0;
    // The hub offers each event as one shared record (offerLive).
    const offer = subscriber.offerLive.bind(subscriber);
    subscriber.offerLive = (...args) => (offers++, offer(...args));
    hub.attach(subscriber);
    return { transport, subscriber, offers: () => offers };
  };
  const runFlushes = () => {
    while (flushes.length > 0) flushes.shift()!();
  };
  return { hub, make, runFlushes };
}

/** Events of varying size, so the byte bound of the queue matters too. */
const event = (seq: number) => ({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', event_id: `e-${seq}`, occurred_at: 1, seq, pad: 'x'.repeat((seq * 37) % 90) });

describe('Hub: subscribers that cannot keep up', () => {
  for (const [name, limits] of [
    ['queue bounded by count', { queueSize: 8, queueBytes: 1 << 20 }],
    ['queue bounded by bytes', { queueSize: 8, queueBytes: 700 }],
  ] as const) {
    it(`skips a backed-up subscriber with a full queue per batch, with exactly the frames and counts of offering every event (${name})`, () => {
      const { hub, make, runFlushes } = setup(limits);
      // Parked when it falls behind (no filter), against one offered every event (a filter that matches everything).
      const parked = make();
      const reference = make();
      hub.subscribe(reference.subscriber, { type: 'subscribe', event_types: ['*'] });
      hub.subscribe(parked.subscriber, { type: 'subscribe' });
      let seq = 0;
      // Batches of every size around the queue size, the peers reading now and then, counts read in between.
      const batches = [3, 1, 20, 7, 8, 9, 40, 2, 0, 16, 33, 5, 64, 1, 1, 12];
      for (let round = 0; round < 6; round++) {
        for (const [i, size] of batches.entries()) {
          for (let k = 0; k < size; k++) hub.publish(event(++seq));
          runFlushes();
          if ((i + round) % 3 === 0) {
            parked.transport.drain();
            reference.transport.drain();
            runFlushes();
          }
          if ((i + round) % 5 === 0) expect(parked.subscriber.totalDropped).toBe(reference.subscriber.totalDropped);
        }
      }
      for (let i = 0; i < 1000 && (reference.subscriber.queuedEvents > 0 || parked.subscriber.queuedEvents > 0); i++) {
        parked.transport.drain();
        reference.transport.drain();
        runFlushes();
      }
      // It was skipped: offered far fewer events than were published.
      expect(reference.offers()).toBe(seq);
      expect(parked.offers()).toBeLessThan(seq / 2);
      // ...and nobody can tell: the same frames (events and drop warnings), the same counts.
      const notAck = (frame: string) => !frame.startsWith('{"type":"subscribed"');
      expect(parked.transport.sent.filter(notAck)).toEqual(reference.transport.sent.filter(notAck));
      for (const { subscriber } of [parked, reference]) {
        expect(subscriber.matched).toBe(seq);
        expect(subscriber.delivered + subscriber.totalDropped).toBe(seq);
        expect(subscriber.totalDropped).toBeGreaterThan(0);
      }
      const warnings = parked.transport.sent.map((f) => JSON.parse(f) as Record<string, number | string>).filter((f) => f.type === 'warning');
      expect(warnings.reduce((n, w) => n + (w.dropped as number), 0)).toBe(parked.subscriber.totalDropped);
      expect(warnings.at(-1)!.total_dropped).toBe(parked.subscriber.totalDropped);
    });
  }

  it('brings a parked subscriber up to date before a control frame, a new filter and on close', () => {
    const { hub, make, runFlushes } = setup({ queueSize: 4, queueBytes: 1 << 20 });
    const slow = make();
    hub.subscribe(slow.subscriber, { type: 'subscribe' });
    let seq = 0;
    // The first events go out and fill the transport; then the queue fills and the hub stops offering.
    for (let k = 0; k < 5; k++) hub.publish(event(++seq));
    runFlushes();
    for (let k = 0; k < 25; k++) hub.publish(event(++seq));
    runFlushes();
    expect(slow.offers()).toBeLessThan(30);
    // A control queued now goes after every event published before it.
    slow.subscriber.sendControl({ type: 'ping' });
    for (let i = 0; i < 100 && (slow.subscriber.queuedEvents > 0 || slow.transport.bufferedAmount > 0); i++) {
      slow.transport.drain();
      runFlushes();
    }
    const frames = slow.transport.sent.map((f) => JSON.parse(f) as Record<string, unknown>);
    const ping = frames.findIndex((f) => f.type === 'ping');
    expect(frames.slice(ping + 1).filter((f) => f.seq !== undefined)).toEqual([]);
    expect(frames.filter((f) => f.seq !== undefined).at(-1)!.seq).toBe(30);
    // A new filter applies from the next event on; what was missed before matched the old one.
    for (let k = 0; k < 30; k++) hub.publish(event(++seq));
    runFlushes();
    hub.subscribe(slow.subscriber, { type: 'subscribe', event_types: ['HealthCheckPassed'] });
    for (let k = 0; k < 10; k++) hub.publish(event(++seq));
    const s = slow.subscriber;
    expect(s.matched).toBe(60);
    expect(s.matched).toBe(s.delivered + s.totalDropped + s.queuedEvents);
    // Closing while parked: the disconnect log's counts include what was missed.
    hub.subscribe(s, { type: 'subscribe' });
    for (let k = 0; k < 30; k++) hub.publish(event(++seq));
    const offersBefore = slow.offers();
    for (let k = 0; k < 30; k++) hub.publish(event(++seq));
    expect(slow.offers()).toBe(offersBefore);
    const deliveredBefore = s.delivered;
    s.close();
    hub.detach(s);
    expect(s.matched).toBe(120);
    expect(s.delivered).toBe(deliveredBefore);
    expect(s.totalDropped).toBeGreaterThanOrEqual(120 - s.delivered - 4);
  });
});
