import { describe, expect, it } from 'vitest';
import { BURST_BUDGET_BYTES, BURST_BYTES, burstBytesFor, MAX_BURST_BYTES } from '../../src/server/burst-writes.js';
import { Subscriber } from '../../src/server/subscriber.js';
import type { Transport } from '../../src/wire/ws-transport.js';
import { textFrameHeaderLength, textFrameHeaderLengthOf, writeTextFrameHeader } from '../../src/wire/text-frame.js';

/**
 * The production send path: the hub frames each event once and the
 * subscriber hands those pre-framed bytes to `sendFramed` (wsTransport writes
 * them to the socket). This transport records both paths and decodes what
 * `sendFramed` got as the client would, frame by frame.
 */
class FramedTransport implements Transport {
  /** In order: ['framed', payloads of one write] or ['text', payload]. */
  writes: Array<{ path: 'framed' | 'text'; payloads: string[]; corked: boolean; callback: boolean }> = [];
  corked = false;
  corks = 0;
  private pending: Array<{ bytes: number; done?: (error?: Error) => void }> = [];
  get bufferedAmount(): number {
    return this.pending.reduce((n, p) => n + p.bytes, 0);
  }
  send(frame: Buffer, done?: (error?: Error) => void): void {
    this.writes.push({ path: 'text', payloads: [frame.toString()], corked: this.corked, callback: done !== undefined });
    this.pending.push({ bytes: frame.length, done });
  }
  sendFramed(wire: Buffer, done?: (error?: Error) => void): void {
    this.writes.push({ path: 'framed', payloads: decodeFrames(wire), corked: this.corked, callback: done !== undefined });
    this.pending.push({ bytes: wire.length, done });
  }
  cork(): void {
    this.corked = true;
    this.corks++;
  }
  uncork(): void {
    this.corked = false;
  }
  drain(): void {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.done?.();
  }
}

/** Splits a buffer of unmasked text frames into their payloads, checking each header. */
function decodeFrames(wire: Buffer): string[] {
  const payloads: string[] = [];
  let at = 0;
  while (at < wire.length) {
    const frame = wire.subarray(at);
    expect(frame[0]).toBe(0x81); // FIN + text, as RFC 6455 section 5.2 has it
    const headerLength = textFrameHeaderLengthOf(frame);
    const marker = frame[1]! & 0x7f;
    const length = marker < 126 ? marker : marker === 126 ? frame.readUInt16BE(2) : Number(frame.readBigUInt64BE(2));
    payloads.push(frame.subarray(headerLength, headerLength + length).toString());
    at += headerLength + length;
  }
  return payloads;
}

/** `json` as a whole text frame in memory of its own (never back to back with another frame: see the run test). */
function framed(json: string): { frame: Buffer; wire: Buffer } {
  const length = Buffer.byteLength(json);
  const wire = Buffer.allocUnsafeSlow(textFrameHeaderLength(length) + length);
  writeTextFrameHeader(wire, length);
  wire.write(json, textFrameHeaderLength(length));
  return { frame: wire.subarray(textFrameHeaderLength(length)), wire };
}

function setup(highWaterMarkBytes = 1 << 20, burstBytes?: () => number) {
  const transport = new FramedTransport();
  const flushes: Array<() => void> = [];
  const subscriber = new Subscriber({
    transport,
    limits: { queueSize: 1000, queueBytes: 1 << 20, highWaterMarkBytes, maxPendingControls: 8 },
    stats: { delivered: 0, dropped: 0 },
    monotonicMs: () => 0,
    schedule: (flush) => flushes.push(flush),
    ...(burstBytes !== undefined ? { burstBytes } : {}),
    hooks: { onDropEpisode: () => {}, onControlOverflow: () => {} },
  });
  const flush = () => {
    while (flushes.length > 0) flushes.shift()!();
  };
  const offer = (n: number, pad = '') => {
    const { frame, wire } = framed(JSON.stringify({ event_type: 'E', n, pad }));
    subscriber.offer({ event_type: 'E' }, frame, wire);
  };
  return { transport, subscriber, flush, offer };
}

/** Frames written one after the other into one memory, as the max-rate source writes its slabs; `gap` skips bytes first. */
function slabWriter(bytes = 8 * 1024) {
  const slab = Buffer.alloc(bytes);
  let used = 0;
  return (json: string, gap = 0): { frame: Buffer; wire: Buffer } => {
    const own = framed(json);
    used += gap;
    own.wire.copy(slab, used);
    const wire = slab.subarray(used, used + own.wire.length);
    used += own.wire.length;
    return { frame: wire.subarray(own.wire.length - own.frame.length), wire };
  };
}

describe('Subscriber over a transport with sendFramed (the production path)', () => {
  it('hands a burst of pre-framed events to sendFramed as whole frames, in order, under one cork, one callback for the burst', () => {
    const { transport, subscriber, flush, offer } = setup();
    for (let n = 1; n <= 5; n++) offer(n);
    flush();
    expect(transport.writes.every((w) => w.path === 'framed' && w.corked)).toBe(true);
    expect(transport.corks).toBe(1);
    expect(transport.writes.flatMap((w) => w.payloads).map((p) => (JSON.parse(p) as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);
    // Writes complete in order: only the last one needs to say when the burst has left.
    expect(transport.writes.map((w) => w.callback)).toEqual([false, false, false, false, true]);
    transport.drain();
    expect(subscriber.delivered).toBe(5);
  });

  it('keeps controls in their place between pre-framed events, framed by the transport', () => {
    const { transport, subscriber, flush, offer } = setup();
    offer(1);
    subscriber.sendControl({ type: 'error', code: 'bad_message', message: 'x' });
    offer(2);
    flush();
    const order = transport.writes.flatMap((w) => w.payloads.map((p) => [w.path, (JSON.parse(p) as { n?: number; type?: string }).n ?? (JSON.parse(p) as { type: string }).type]));
    expect(order).toEqual([
      ['framed', 1],
      ['text', 'error'],
      ['framed', 2],
    ]);
  });

  it('frames payloads of every header size correctly (7-bit, 16-bit and 64-bit lengths)', () => {
    const { transport, flush, offer } = setup();
    offer(1);
    offer(2, 'x'.repeat(200));
    offer(3, 'y'.repeat(70_000));
    flush();
    // The big one lies in 70 KB of its own: a burst of its own, once the first was taken.
    transport.drain();
    flush();
    const payloads = transport.writes.flatMap((w) => w.payloads);
    expect(payloads.map((p) => (JSON.parse(p) as { n: number; pad: string }).pad.length)).toEqual([0, 200, 70_000]);
  });

  it('stops handing frames over at the high-water mark and resumes once the socket drained', () => {
    const { transport, subscriber, flush, offer } = setup(64);
    for (let n = 1; n <= 6; n++) offer(n);
    flush();
    const first = transport.writes.flatMap((w) => w.payloads).length;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(6);
    while (subscriber.queuedEvents > 0) {
      transport.drain();
      flush();
    }
    transport.drain();
    expect(transport.writes.flatMap((w) => w.payloads).map((p) => (JSON.parse(p) as { n: number }).n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(subscriber.delivered).toBe(6);
  });

  it('writes a run of events that lie back to back in one memory as one write, split where the memory or a control splits it', () => {
    const { transport, subscriber, flush } = setup();
    const put = slabWriter();
    const offer = (n: number, gap = 0) => {
      const { frame, wire } = put(JSON.stringify({ event_type: 'E', n }), gap);
      subscriber.offer({ event_type: 'E' }, frame, wire);
    };
    offer(1);
    offer(2);
    offer(3);
    offer(4, 5); // five bytes after 3: not back to back
    offer(5);
    subscriber.sendControl({ type: 'error', code: 'bad_message', message: 'x' });
    offer(6); // back to back with 5, but the control goes between them
    const { frame, wire } = framed(JSON.stringify({ event_type: 'E', n: 7 }));
    subscriber.offer({ event_type: 'E' }, frame, wire); // memory of its own
    flush();
    const label = (p: string) => (JSON.parse(p) as { n?: number; type?: string }).n ?? (JSON.parse(p) as { type: string }).type;
    expect(transport.writes.map((w) => [w.path, w.payloads.map(label), w.callback])).toEqual([
      ['framed', [1, 2, 3], false],
      ['framed', [4, 5], false],
      ['text', ['error'], false],
      ['framed', [6], false],
      ['framed', [7], true],
    ]);
    expect(transport.writes.every((w) => w.corked)).toBe(true);
    transport.drain();
    expect(subscriber.delivered).toBe(7);
    expect(subscriber.busy).toBe(false);
  });

  it('ends a burst where its frames would keep more than a burst of memory alive, and writes nothing more while a write waits', () => {
    // Two slabs of the max-rate source's size: a write the peer does not read keeps every memory its frames lie in alive.
    const { transport, subscriber, flush } = setup();
    const slabs = [slabWriter(BURST_BYTES), slabWriter(BURST_BYTES)];
    const offer = (n: number, slab: number) => {
      const { frame, wire } = slabs[slab]!(JSON.stringify({ event_type: 'E', n }));
      subscriber.offer({ event_type: 'E' }, frame, wire);
    };
    for (let n = 1; n <= 3; n++) offer(n, 0);
    for (let n = 4; n <= 6; n++) offer(n, 1);
    flush();
    const label = (p: string) => (JSON.parse(p) as { n: number }).n;
    // The first slab's events, then nothing while that write waits for the peer (the socket took it only in part).
    expect(transport.writes.map((w) => [w.payloads.map(label), w.callback])).toEqual([[[1, 2, 3], true]]);
    flush();
    expect(transport.writes).toHaveLength(1);
    expect(subscriber.queuedEvents).toBe(3);
    transport.drain();
    flush();
    expect(transport.writes.map((w) => w.payloads.map(label))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    transport.drain();
    expect(subscriber.delivered).toBe(6);
    expect(subscriber.totalDropped).toBe(0);
  });

  it('shares the burst memory out among a server\'s connections: a few get up to 64 KiB per write, from 16 on each 16 KiB as before', () => {
    expect(burstBytesFor(0)).toBe(MAX_BURST_BYTES);
    expect(burstBytesFor(1)).toBe(64 * 1024);
    expect(burstBytesFor(4)).toBe(64 * 1024);
    expect(burstBytesFor(8)).toBe(32 * 1024);
    expect(burstBytesFor(16)).toBe(BURST_BYTES);
    expect(burstBytesFor(1000)).toBe(BURST_BYTES);
    // What writes the peers do not read can keep alive: within the budget, or one BURST_BYTES each.
    for (const n of [1, 2, 3, 5, 7, 9, 15, 16, 17, 100]) expect(n * burstBytesFor(n)).toBeLessThanOrEqual(Math.max(BURST_BUDGET_BYTES, n * BURST_BYTES));
  });

  it('with a larger burst size, writes the frames of several slabs under one cork and one callback, byte for byte, and ends the burst at that much memory', () => {
    const burst = 4 * BURST_BYTES;
    const { transport, subscriber, flush } = setup(1 << 20, () => burst);
    const slabs = Array.from({ length: 6 }, () => slabWriter(BURST_BYTES));
    const sent: string[] = [];
    let n = 0;
    // Six slabs of the max-rate source's size, filled with frames of ~1.3 KiB (every header size below 64 KiB).
    for (const put of slabs) {
      for (let i = 0; i < 12; i++) {
        const json = JSON.stringify({ event_type: 'E', n: ++n, pad: 'x'.repeat(1200 + i) });
        const { frame, wire } = put(json);
        sent.push(json);
        subscriber.offer({ event_type: 'E' }, frame, wire);
      }
    }
    flush();
    // The first four slabs' frames in one burst: one write per slab (a run each), one callback at its end.
    expect(transport.writes).toHaveLength(4);
    expect(transport.writes.every((w) => w.corked && w.path === 'framed')).toBe(true);
    expect(transport.writes.map((w) => w.callback)).toEqual([false, false, false, true]);
    expect(transport.corks).toBe(1);
    expect(transport.writes.flatMap((w) => w.payloads)).toEqual(sent.slice(0, 48));
    // Nothing more while that write waits for the peer; the rest once it drained.
    flush();
    expect(transport.writes).toHaveLength(4);
    transport.drain();
    flush();
    transport.drain();
    expect(transport.writes.flatMap((w) => w.payloads)).toEqual(sent);
    expect(subscriber.delivered).toBe(72);
    expect(subscriber.totalDropped).toBe(0);
  });

  it('writes events that each lie in a little memory of their own in one burst (what they keep alive is small)', () => {
    const { transport, flush, offer } = setup();
    for (let n = 1; n <= 40; n++) offer(n);
    flush();
    expect(transport.writes.filter((w) => w.callback)).toHaveLength(1);
    expect(transport.writes.flatMap((w) => w.payloads)).toHaveLength(40);
  });
});
