import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PlainEventFrame, type SourceRef } from '../../src/feed/messages.js';
import type { FeedMessage, FeedRunLane } from '../../src/feed/open-feed.js';
import { TailPipeline, type PipelineEnd, type PipelineInput, type PipelineOptions } from '../../src/tail/pipeline.js';
import type { TailSink } from '../../src/tail/sinks/sink.js';
import { TailStats } from '../../src/tail/stats.js';
import { createMemberSpans, scanPlainEvent, type MemberSpans } from '../../src/protocol/plain-event.js';

/**
 * The plain-frame lane (issue 24): a feed hands a plain event frame (a view
 * into the socket read) to the pipeline with no message and no emit. The
 * pipeline takes it only when that changes nothing: nothing that reads an
 * event's fields is on, and nothing waits before it; otherwise the frame
 * comes as an ordinary message, in order.
 */

const source: SourceRef = { url: 'ws://x/api/ws/events', label: 'x', index: 0 };

/** A feed that keeps the lane it is given and emits what the test says. */
class FakeFeed extends EventEmitter<{ message: [SourceRef, FeedMessage] }> {
  readonly sources = [source];
  lane: ((source: SourceRef, frame: Buffer, members?: MemberSpans) => boolean) | undefined;
  run: FeedRunLane | undefined;
  pauses = 0;
  resumes = 0;
  setPlainLane(lane: (source: SourceRef, frame: Buffer, members: MemberSpans | undefined) => boolean, run?: FeedRunLane): void {
    this.lane = lane;
    this.run = run;
  }
  pause(): void {
    this.pauses++;
  }
  resume(): void {
    this.resumes++;
  }
  event(frame: string): void {
    this.emit('message', source, new PlainEventFrame(Buffer.from(frame), -1, -1));
  }
}

/** A sink that records what it was given and can be made to refuse writes. */
class BaseSink implements TailSink {
  readonly lines: string[] = [];
  writable = true;
  private release: (() => void) | undefined;
  start(): void {}
  event(_event: unknown, raw: string): void {
    this.lines.push(`event ${raw}`);
  }
  notice(): void {}
  canWrite(): boolean {
    return this.writable;
  }
  whenWritable(): Promise<void> {
    return this.writable ? Promise.resolve() : new Promise((resolve) => (this.release = resolve));
  }
  drain(): void {
    this.writable = true;
    this.release?.();
  }
  async close(): Promise<void> {}
}

/** Like ndjson's: a plain frame is written as its bytes. */
class RecordingSink extends BaseSink {
  frame(bytes: Buffer, from: SourceRef): void {
    this.lines.push(`frame ${from.label} ${bytes.toString()}`);
  }
  frameLines(lines: Uint8Array, from: SourceRef): void {
    for (const line of Buffer.from(lines).toString().split('\n').slice(0, -1)) this.lines.push(`frame ${from.label} ${line}`);
  }
}

/** A sink like pretty's: the line of a plain frame is read from its bytes and members. */
class LineFromBytesSink extends BaseSink {
  plainFrame(bytes: Buffer, members: MemberSpans | undefined, from: SourceRef): void {
    this.lines.push(`line ${from.label} ${bytes.toString()} ${members?.bytes === bytes ? members.count : -1} member`);
  }
}

function pipeline(options: Partial<PipelineOptions> = {}, sink: BaseSink = new RecordingSink()) {
  const ends: PipelineEnd[] = [];
  const stats = options.stats ?? new TailStats(0, false);
  const p = new TailPipeline({ sink, stats, follow: true, nowMs: () => 0, end: (end) => ends.push(end), ...options });
  const feed = new FakeFeed();
  // `on` returns the feed itself in Feed's type; this one speaks the same.
  p.attach(feed as unknown as PipelineInput);
  return { p, feed, sink, stats, ends };
}

/** Two frames of one socket read, as views into it. */
const read = Buffer.concat([Buffer.from([0x81, 18]), Buffer.from('{"event_type":"A"}'), Buffer.from([0x81, 18]), Buffer.from('{"event_type":"B"}')]);
const A = read.subarray(2, 20);
const B = read.subarray(22, 40);

describe('the plain-frame lane', () => {
  it('is offered by the pipeline only when an event needs nothing but its bytes written', () => {
    expect(pipeline().feed.lane).toBeDefined();
    expect(pipeline({ matches: () => true }).feed.lane).toBeUndefined();
    expect(pipeline({ untilEpochMs: 1 }).feed.lane).toBeUndefined();
    expect(pipeline({ record: () => {} }).feed.lane).toBeUndefined();
    expect(pipeline({ onShown: () => {} }).feed.lane).toBeUndefined();
    // --stats counts per type: it reads every event's fields.
    expect(pipeline({ stats: new TailStats(0, true) }).feed.lane).toBeUndefined();
    // A sink that renders events from their fields (pretty, table) has no `frame`.
    const fields = new RecordingSink() as TailSink;
    (fields as { frame?: unknown }).frame = undefined;
    expect(pipeline({}, fields as RecordingSink).feed.lane).toBeUndefined();
    // One that reads its line from the bytes (pretty) takes the lane.
    expect(pipeline({}, new LineFromBytesSink()).feed.lane).toBeDefined();
    expect(pipeline({ matches: () => true }, new LineFromBytesSink()).feed.lane).toBeUndefined();
  });

  it('hands a sink that reads its line from the bytes the frame and where its members lie', () => {
    const sink = new LineFromBytesSink();
    const { feed, stats } = pipeline({}, sink);
    const members = createMemberSpans();
    expect(scanPlainEvent(A, { idStart: -1, idEnd: -1, members })).toBe(true);
    expect(feed.lane!(source, A, members)).toBe(true);
    expect(sink.lines).toEqual(['line x {"event_type":"A"} 1 member']);
    expect(stats.shown).toBe(1);
  });

  it('writes a frame as its bytes and counts it as shown', () => {
    const { feed, sink, stats } = pipeline();
    expect(feed.lane!(source, A)).toBe(true);
    expect(feed.lane!(source, B)).toBe(true);
    expect(sink.lines).toEqual(['frame x {"event_type":"A"}', 'frame x {"event_type":"B"}']);
    expect(stats.received).toBe(2);
    expect(stats.shown).toBe(2);
  });

  it('refuses while stdout is full or messages wait, so frames stay in order behind them', async () => {
    const { feed, sink } = pipeline({ highWater: 2 });
    sink.writable = false;
    expect(feed.lane!(source, A)).toBe(false);
    // The client then sends it as a message: it waits in the queue, and the lane refuses behind it.
    feed.event('{"event_type":"A"}');
    sink.writable = true;
    expect(feed.lane!(source, B)).toBe(false);
    feed.event('{"event_type":"B"}');
    sink.writable = false;
    sink.drain();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.lines).toEqual(['frame x {"event_type":"A"}', 'frame x {"event_type":"B"}']);
    // The queue is empty again: the lane takes the next frame.
    expect(feed.lane!(source, A)).toBe(true);
    expect(sink.lines.at(-1)).toBe('frame x {"event_type":"A"}');
    expect(feed.pauses).toBe(1);
    expect(feed.resumes).toBe(1);
  });

  it('ends at -n exactly and drops what comes after', () => {
    const { feed, sink, ends } = pipeline({ count: 2 });
    expect(feed.lane!(source, A)).toBe(true);
    expect(ends).toEqual([]);
    expect(feed.lane!(source, B)).toBe(true);
    expect(ends).toEqual([{ kind: 'done' }]);
    expect(feed.lane!(source, A)).toBe(true);
    feed.event('{"event_type":"C"}');
    expect(sink.lines).toHaveLength(2);
    expect(ends).toHaveLength(1);
  });
});

describe('runs of plain frames (tail -o ndjson)', () => {
  const lines = (...frames: string[]) => Buffer.from(frames.map((f) => `${f}\n`).join(''));

  it('are offered with the lane only to a sink that writes frames as lines', () => {
    expect(pipeline().feed.run).toBeDefined();
    const framesOnly = new RecordingSink() as TailSink;
    (framesOnly as { frameLines?: unknown }).frameLines = undefined;
    const { feed } = pipeline({}, framesOnly as RecordingSink);
    expect(feed.lane).toBeDefined();
    expect(feed.run).toBeUndefined();
  });

  it('are written as their lines and counted, each frame as shown', () => {
    const { feed, sink, stats } = pipeline();
    expect(feed.run!.room()).toBe(Number.MAX_SAFE_INTEGER);
    feed.run!.take(source, lines('{"event_type":"A"}', '{"event_type":"B"}'), 2);
    expect(feed.lane!(source, A)).toBe(true);
    expect(sink.lines).toEqual(['frame x {"event_type":"A"}', 'frame x {"event_type":"B"}', 'frame x {"event_type":"A"}']);
    expect(stats.received).toBe(3);
    expect(stats.shown).toBe(3);
  });

  it('have no room while stdout is full or messages wait, so their frames come one by one, in order', () => {
    const { feed, sink } = pipeline({ highWater: 10 });
    sink.writable = false;
    expect(feed.run!.room()).toBe(0);
    feed.event('{"event_type":"A"}');
    sink.writable = true;
    // A message waits in the queue: runs wait behind it, as the lane does.
    expect(feed.run!.room()).toBe(0);
  });

  it('take no more than -n leaves, and none after the end', () => {
    const { feed, sink, ends } = pipeline({ count: 3 });
    expect(feed.run!.room()).toBe(3);
    expect(feed.lane!(source, A)).toBe(true);
    expect(feed.run!.room()).toBe(2);
    feed.run!.take(source, lines('{"event_type":"B"}', '{"event_type":"C"}'), 2);
    expect(ends).toEqual([{ kind: 'done' }]);
    expect(feed.run!.room()).toBe(0);
    expect(sink.lines).toHaveLength(3);
  });
});
