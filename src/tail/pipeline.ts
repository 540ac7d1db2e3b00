import { RuntimeError } from '../errors.js';
import type { EventMessage, SourceRef } from '../feed/messages.js';
import type { Feed, FeedMessage } from '../feed/open-feed.js';
import { UPSTREAM_GAP, type HangarEvent } from '../protocol/types.js';
import type { TailSink } from './sinks/sink.js';
import type { MemberSpans } from '../protocol/plain-event.js';
import type { TailStats } from './stats.js';
import { eventTimeMs } from '../protocol/event-time.js';

/** Why the pipeline asks the tail to end. */
export type PipelineEnd = { kind: 'done' } | { kind: 'error'; error: Error };

/** How the user names what the pipeline's messages are about; commands/ passes its flag names (commands/tail/flag-hints.ts). */
export interface PipelineHints {
  /** The history request, e.g. `--history/--since`. */
  readonly history: string;
  /** Printing the history only, e.g. `--no-follow`. */
  readonly noFollow: string;
  /** The summary at the end, e.g. `--stats`. */
  readonly stats: string;
}

export const DEFAULT_PIPELINE_HINTS: PipelineHints = { history: 'the history request', noFollow: 'printing the history only', stats: 'the summary at the end' };

export interface PipelineOptions {
  /** The advice in messages; default DEFAULT_PIPELINE_HINTS. */
  readonly hints?: PipelineHints;
  readonly sink: TailSink;
  readonly stats: TailStats;
  /** Every client-side filter (types, servers, --where) in one predicate; undefined when there is none. */
  readonly matches?: ((event: HangarEvent) => boolean) | undefined;
  /** -n: end after this many shown events. */
  readonly count?: number | undefined;
  /** --until: an event whose time (occurred_at, timestamp, else its arrival) is later ends the tail (done) unshown. */
  readonly untilEpochMs?: number | undefined;
  /** --no-follow: end once every source finished its replay. */
  readonly follow: boolean;
  /** Called with the raw frame of every shown event (--record). */
  readonly record?: ((raw: string) => void) | undefined;
  /** Called for every shown event after it was written (--exec, --bell); must not block. */
  readonly onShown?: ((event: HangarEvent, raw: string) => void) | undefined;
  /** Wall clock, for notice timestamps. */
  readonly nowMs: () => number;
  /** Asks the tail to end (count reached, history printed, a fatal condition). */
  readonly end: (reason: PipelineEnd) => void;
  /** Messages queued behind a full stdout before the sockets are paused. */
  readonly highWater?: number;
}

interface Item {
  readonly source: SourceRef;
  readonly message: FeedMessage;
}

/** What the pipeline reads: a feed (feed/open-feed.ts), or anything that speaks like one. */
export type PipelineInput = Pick<Feed, 'on' | 'pause' | 'resume' | 'sources'> & Partial<Pick<Feed, 'setPlainLane'>>;

/**
 * One pipeline for every source: the feed's messages (each event once) are
 * queued in arrival order, filtered, and handed to the sink.
 * While the sink cannot take more (slow stdout) or the queue is full, every
 * socket is paused, so memory stays flat and the server sees the backpressure.
 */
export class TailPipeline {
  private readonly queue: Item[] = [];
  private readonly inputs: PipelineInput[] = [];
  private readonly opens = new Map<number, number>();
  private readonly historyPending = new Set<number>();
  /** Waiting for stdout to drain; messages queue meanwhile. */
  private waiting = false;
  private paused = false;
  private ended = false;
  private readonly highWater: number;
  private readonly hints: PipelineHints;

  constructor(private readonly options: PipelineOptions) {
    this.hints = options.hints ?? DEFAULT_PIPELINE_HINTS;
    this.highWater = options.highWater ?? 1000;
  }

  /** Wires a feed's messages into the pipeline. */
  attach(feed: PipelineInput): void {
    this.inputs.push(feed);
    if (!this.options.follow) for (const source of feed.sources) this.historyPending.add(source.index);
    feed.on('message', (source, message) => this.offer(source, message));
    // An event that needs nothing but its bytes (no filter, --until, --record, --exec, per-type counts)
    // can skip the message, the emits and the queue: the plain-frame lane (bench/README.md, issue 24),
    // for a sink that writes a frame as it is (ndjson) or reads its line from the bytes (pretty).
    const { sink, stats, matches, untilEpochMs, record, onShown } = this.options;
    if ((sink.frame !== undefined || sink.plainFrame !== undefined) && matches === undefined && untilEpochMs === undefined && record === undefined && onShown === undefined && !stats.detailed) {
      // A sink that writes frames as NDJSON lines also takes runs of them as lines, at once.
      feed.setPlainLane?.(this.takePlain, sink.frameLines !== undefined ? { room: this.plainRoom, take: this.takePlainRun } : undefined);
    }
  }

  /**
   * What handleEvent does for a plain frame the feed passes by its lane, when
   * nothing waits before it (else false: it comes as a message, in order).
   */
  private readonly takePlain = (source: SourceRef, frame: Buffer, members: MemberSpans | undefined): boolean => {
    // Like offer: after the end, frames are dropped.
    if (this.ended) return true;
    const { sink, stats } = this.options;
    if (this.queue.length !== 0 || this.waiting || !sink.canWrite()) return false;
    stats.received++;
    if (sink.frame !== undefined) sink.frame(frame, source);
    else sink.plainFrame!(frame, members, source);
    stats.shown++;
    if (this.options.count !== undefined && stats.shown >= this.options.count) {
      this.ended = true;
      this.options.end({ kind: 'done' });
    } else if (this.paused) this.resumeAll();
    return true;
  };

  /** How many plain frames the lane takes now as a run (see takePlainRun): none when takePlain would refuse one, at most what -n leaves. */
  private readonly plainRoom = (): number => {
    if (this.ended || this.queue.length !== 0 || this.waiting || !this.options.sink.canWrite()) return 0;
    const count = this.options.count;
    return count !== undefined ? count - this.options.stats.shown : Number.MAX_SAFE_INTEGER;
  };

  /** What takePlain does for each of `frames` plain frames (at most plainRoom()), given as their NDJSON lines. */
  private readonly takePlainRun = (source: SourceRef, lines: Uint8Array, frames: number): void => {
    const { sink, stats } = this.options;
    stats.received += frames;
    sink.frameLines!(lines, source);
    stats.shown += frames;
    if (this.options.count !== undefined && stats.shown >= this.options.count) {
      this.ended = true;
      this.options.end({ kind: 'done' });
    } else if (this.paused) this.resumeAll();
  };

  /** Stops handling messages (the tail is ending). */
  stop(): void {
    this.ended = true;
    this.queue.length = 0;
  }

  private offer(source: SourceRef, message: FeedMessage): void {
    if (this.ended) return;
    // Nothing waiting and stdout can take more: handled at once, nothing queued (the common case).
    if (this.queue.length === 0 && !this.waiting && this.options.sink.canWrite()) {
      this.handle(source, message);
      if (this.paused && !this.ended) this.resumeAll();
      return;
    }
    this.queue.push({ source, message });
    if (this.queue.length >= this.highWater) this.pauseAll();
    if (!this.waiting) this.drain();
  }

  /**
   * Handles queued messages synchronously while the sink can take more; when
   * stdout is full, pauses every socket and carries on once it drained. No
   * promise per event: awaiting only happens behind a slow stdout.
   */
  private drain(): void {
    const { sink } = this.options;
    const queue = this.queue;
    while (queue.length > 0 && !this.ended) {
      if (!sink.canWrite()) {
        this.pauseAll();
        this.waiting = true;
        void sink.whenWritable().then(() => {
          this.waiting = false;
          this.drain();
        });
        return;
      }
      const { source, message } = queue.shift()!;
      this.handle(source, message);
    }
    if (this.paused && !this.ended) this.resumeAll();
  }

  private pauseAll(): void {
    if (this.paused) return;
    this.paused = true;
    for (const input of this.inputs) input.pause();
  }

  private resumeAll(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const input of this.inputs) input.resume();
  }

  private handle(source: SourceRef, message: FeedMessage): void {
    const { sink, stats } = this.options;
    switch (message.kind) {
      case 'event':
        this.handleEvent(source, message);
        return;
      case 'store':
        sink.notice({ kind: 'store', source, level: message.level, text: message.text });
        return;
      case 'history-done':
        this.historyDone(source);
        return;
      case 'connecting':
        if (message.attempt === 1) sink.notice({ kind: 'connecting', source, attempt: message.attempt });
        return;
      case 'open': {
        const opens = (this.opens.get(source.index) ?? 0) + 1;
        this.opens.set(source.index, opens);
        if (opens > 1) stats.reconnects++;
        stats.connections++;
        sink.notice({ kind: 'connected', source, server: message.server });
        return;
      }
      case 'server-kind':
        return;
      case 'subscribed':
        sink.notice({ kind: 'subscribed', source });
        return;
      case 'reconnecting':
        stats.lastConnectError = message.reason;
        sink.notice({ kind: 'reconnecting', source, attempt: message.attempt, delayMs: message.delayMs, reason: message.reason });
        return;
      case 'warning': {
        const { warning } = message;
        if (warning.code === UPSTREAM_GAP) {
          // A relay's upstream was down: a gap like our own, where the relay learned it.
          stats.gaps++;
          sink.notice({ kind: 'gap', source, downForMs: warning.down_ms, reason: warning.message, atMs: this.options.nowMs() });
          return;
        }
        stats.dropWarnings++;
        stats.droppedByServer += warning.dropped;
        if (warning.code === 'events_dropped' || warning.dropped > 0) {
          sink.notice({ kind: 'dropped', source, dropped: warning.dropped, totalDropped: warning.total_dropped, message: warning.message, atMs: this.options.nowMs() });
        } else {
          sink.notice({ kind: 'server-error', source, code: `warning ${warning.code}`, message: warning.message });
        }
        return;
      }
      case 'replayed':
        // Without --history/--since the first replay is only our probe ({last: 0}): nothing to say.
        if (message.requested || message.resumed) sink.notice({ kind: 'replayed', source, count: message.count, complete: message.complete, kept: message.kept });
        if (!message.resumed) {
          if (message.requested && !message.complete) {
            stats.gaps++;
            sink.notice({
              kind: 'gap',
              source,
              downForMs: undefined,
              reason: `the server's history does not reach back as far as ${this.hints.history} asked`,
              atMs: this.options.nowMs(),
            });
          }
          this.historyDone(source);
        }
        return;
      case 'no-history':
        sink.notice({
          kind: 'gap',
          source,
          downForMs: undefined,
          reason: `this server is a gateway, which keeps no history: ${this.hints.history} cannot be honoured; showing live events only`,
          atMs: this.options.nowMs(),
        });
        if (!this.options.follow) {
          this.options.end({
            kind: 'error',
            error: new RuntimeError(`${source.url} is a gateway, which keeps no history: ${this.hints.noFollow} has nothing to print (use hangar-events serve, or drop ${this.hints.noFollow})`),
          });
        }
        return;
      case 'gap':
        stats.gaps++;
        sink.notice({ kind: 'gap', source, downForMs: message.downForMs, reason: message.reason, atMs: this.options.nowMs() });
        return;
      case 'bad-frame':
        stats.badFrames++;
        // The feed marks the first few for reporting; the rest are only counted.
        if (message.report === 'each') sink.notice({ kind: 'bad-frame', source, reason: message.reason });
        else if (message.report === 'last') {
          sink.notice({ kind: 'bad-frame', source, reason: `${message.reason} (further bad frames from this source are counted, not shown; see ${this.hints.stats})` });
        }
        return;
      case 'fleet':
        sink.notice({ kind: 'fleet', source, servers: message.servers, requestedAtMs: message.requestedAtMs });
        return;
      case 'fleet-failed':
        sink.notice({ kind: 'fleet-failed', source, message: message.message });
        return;
      case 'auth-failed':
        sink.notice({ kind: 'auth-failed', source, status: undefined, message: message.message });
        return;
      case 'server-error':
        sink.notice({ kind: 'server-error', source, code: message.code, message: message.message });
        return;
      default: {
        const exhaustive: never = message;
        return exhaustive;
      }
    }
  }

  /** An event's fields (`message.event`) are read only by what needs them: filters, --record, --stats, a rendering sink. */
  private handleEvent(source: SourceRef, message: EventMessage): void {
    const { stats, sink } = this.options;
    stats.received++;
    if (this.options.untilEpochMs !== undefined && (eventTimeMs(message.event) ?? this.options.nowMs()) > this.options.untilEpochMs) {
      this.ended = true;
      this.options.end({ kind: 'done' });
      return;
    }
    if (this.options.matches !== undefined && !this.options.matches(message.event)) return;
    this.options.record?.(message.raw);
    // `frame` first: a stored event's bytes are made only for a sink that writes them.
    const bytes = sink.frame !== undefined ? message.bytes : undefined;
    if (bytes !== undefined && sink.frame !== undefined) sink.frame(bytes, source);
    else if (sink.plain !== undefined && message.members !== undefined) sink.plain(message, source);
    else sink.event(message.event, message.raw, source);
    this.options.onShown?.(message.event, message.raw);
    stats.countShown(message);
    if (message.fromStore === true) stats.fromStore++;
    if (this.options.count !== undefined && stats.shown >= this.options.count) {
      this.ended = true;
      this.options.end({ kind: 'done' });
    }
  }

  private historyDone(source: SourceRef): void {
    if (this.options.follow) return;
    this.historyPending.delete(source.index);
    if (this.historyPending.size === 0) {
      this.ended = true;
      this.options.end({ kind: 'done' });
    }
  }
}
