import type { SubscriptionFilter } from '../protocol/filter.js';
import type { HangarEvent, ServerControlMessage, WarningMessage } from '../protocol/types.js';
import type { Transport } from '../wire/ws-transport.js';

export type { Transport } from '../wire/ws-transport.js';

/**
 * The one per-connection piece that owns a queue. The hub calls `offer` for
 * every matching event; `offer` never blocks and never throws. Frames are
 * handed to the transport only while its buffered amount is under a small
 * high-water mark; the rest waits in a bounded queue that drops its oldest
 * event when full, and the drop is announced to the client with a warning
 * frame before the next event (PROTOCOL.md Part 2).
 */

export interface SubscriberLimits {
  /** Most events queued (not yet handed to the transport); the oldest is dropped beyond it. */
  readonly queueSize: number;
  /** Most event bytes queued; the oldest events are dropped beyond it. */
  readonly queueBytes: number;
  /** Frames are handed to the transport only while its buffered amount is below this. */
  readonly highWaterMarkBytes: number;
  /** Most control frames (acks, errors) waiting; beyond it the client is not reading and `onControlOverflow` fires. */
  readonly maxPendingControls: number;
}

/** Counters shared by every subscriber of one server (for /health). */
export interface DeliveryStats {
  delivered: number;
  dropped: number;
}

export interface SubscriberHooks {
  /** A drop episode began (the first drop since the client last caught up). */
  onDropEpisode?(subscriber: Subscriber): void;
  /** Too many control frames are waiting: the client sends but does not read. */
  onControlOverflow?(subscriber: Subscriber): void;
}

interface QueuedControl {
  seq: number;
  /** A single control frame, or a replay batch (non-droppable history frames). */
  frames: Buffer[];
  index: number;
  /** Whether these frames are replayed events (counted apart from live deliveries). */
  replay: boolean;
}

/**
 * A FIFO of events with O(1) push and shift: a growable ring kept as parallel
 * arrays (sequence number, event, payload, pre-framed wire), so queueing an
 * event allocates nothing.
 */
class EventDeque {
  private seqs: number[] = new Array(16).fill(0);
  private events: (HangarEvent | undefined)[] = new Array(16);
  private frames: (Buffer | undefined)[] = new Array(16);
  private wires: (Buffer | undefined)[] = new Array(16);
  private head = 0;
  private mask = 15;
  length = 0;

  push(seq: number, event: HangarEvent, frame: Buffer, wire: Buffer | undefined): void {
    if (this.length === this.mask + 1) this.grow();
    const slot = (this.head + this.length) & this.mask;
    this.seqs[slot] = seq;
    this.events[slot] = event;
    this.frames[slot] = frame;
    this.wires[slot] = wire;
    this.length++;
  }

  /** Sequence number, event, payload and wire of the oldest entry (only while length > 0). */
  get headSeq(): number {
    return this.seqs[this.head]!;
  }

  get headEvent(): HangarEvent {
    return this.events[this.head]!;
  }

  get headFrame(): Buffer {
    return this.frames[this.head]!;
  }

  get headWire(): Buffer | undefined {
    return this.wires[this.head];
  }

  /** Removes the oldest entry (only while length > 0). */
  shift(): void {
    const head = this.head;
    this.events[head] = undefined;
    this.frames[head] = undefined;
    this.wires[head] = undefined;
    this.head = (head + 1) & this.mask;
    this.length--;
  }

  clear(): void {
    this.seqs = new Array(16).fill(0);
    this.events = new Array(16);
    this.frames = new Array(16);
    this.wires = new Array(16);
    this.head = 0;
    this.mask = 15;
    this.length = 0;
  }

  private grow(): void {
    const size = (this.mask + 1) * 2;
    const seqs: number[] = new Array(size).fill(0);
    const events: (HangarEvent | undefined)[] = new Array(size);
    const frames: (Buffer | undefined)[] = new Array(size);
    const wires: (Buffer | undefined)[] = new Array(size);
    for (let i = 0; i < this.length; i++) {
      const from = (this.head + i) & this.mask;
      seqs[i] = this.seqs[from]!;
      events[i] = this.events[from];
      frames[i] = this.frames[from];
      wires[i] = this.wires[from];
    }
    this.seqs = seqs;
    this.events = events;
    this.frames = frames;
    this.wires = wires;
    this.head = 0;
    this.mask = size - 1;
  }
}

export interface SubscriberOptions {
  readonly transport: Transport;
  readonly limits: SubscriberLimits;
  readonly stats: DeliveryStats;
  /** Monotonic clock in milliseconds. */
  readonly monotonicMs: () => number;
  readonly hooks?: SubscriberHooks;
  /** Fraction of matching events to drop on purpose (`--chaos-drop`), announced like real drops. */
  readonly chaosDrop?: number;
  /** Random source in [0, 1) for chaos drops. */
  readonly random?: () => number;
  /** Schedules a flush after the current burst of offers (default: setImmediate). */
  readonly schedule?: (flush: () => void) => void;
}

/** One connection's view of the stream: its filter, its queue and its exact drop accounting. */
export class Subscriber {
  /** The connection's current filter; replaced by each subscribe. Omitted keys match everything. */
  filter: SubscriptionFilter = {};
  /** Live events that matched the filter (= delivered + totalDropped once the queue is empty). */
  matched = 0;
  /** Live events handed to the transport. */
  delivered = 0;
  /** Live events dropped for this connection, announced or not yet announced. */
  totalDropped = 0;
  /** Replayed history events handed to the transport. */
  replayedDelivered = 0;
  /** Monotonic time of the last frame handed to the transport. */
  lastSendMs: number;
  /** Monotonic time the transport last made progress (a send completed), or the pipe went from idle to busy. */
  lastProgressMs: number;

  private readonly events = new EventDeque();
  /** Pre-framed events gathered by one flush (reused). */
  private readonly batch: Buffer[] = [];
  private readonly controls: QueuedControl[] = [];
  private queuedBytes = 0;
  private seq = 0;
  private pendingDropped = 0;
  private inFlight = 0;
  private flushScheduled = false;
  private closed = false;
  private held = false;
  private readonly schedule: (flush: () => void) => void;

  constructor(private readonly options: SubscriberOptions) {
    const now = options.monotonicMs();
    this.lastSendMs = now;
    this.lastProgressMs = now;
    this.schedule = options.schedule ?? ((flush) => setImmediate(flush));
  }

  /** Events waiting in the queue (not yet handed to the transport). */
  get queuedEvents(): number {
    return this.events.length;
  }

  /** Bytes of events waiting in the queue. */
  get queuedEventBytes(): number {
    return this.queuedBytes;
  }

  /** Whether bursts handed to the transport are still waiting to be written. */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Offers one live event (already matched against `filter`). Never blocks, never throws. */
  offer(event: HangarEvent, frame: Buffer, wire?: Buffer): void {
    if (this.closed) return;
    this.matched++;
    const chaos = this.options.chaosDrop ?? 0;
    if (chaos > 0 && (this.options.random ?? Math.random)() < chaos) {
      this.recordDrop(1);
      this.requestFlush();
      return;
    }
    const events = this.events;
    events.push(this.seq++, event, frame, wire);
    this.queuedBytes += frame.length;
    const { queueSize, queueBytes } = this.options.limits;
    let dropped = 0;
    while (events.length > queueSize || (this.queuedBytes > queueBytes && events.length > 1)) {
      this.queuedBytes -= events.headFrame.length;
      events.shift();
      dropped++;
    }
    if (dropped > 0) this.recordDrop(dropped);
    this.requestFlush();
  }

  /**
   * Holds live events in the queue (not sent) until `release()`: the connection
   * does this until the client's first message, so a first subscribe that
   * asks for replay joins history and live in order, without duplicates.
   */
  hold(): void {
    this.held = true;
  }

  /** Whether live events are being held (see `hold`). */
  get holding(): boolean {
    return this.held;
  }

  /**
   * Ends the hold. With `keep`, held events it rejects (not matching the first
   * subscribe's filter, or covered by the replay about to be queued) are taken
   * out and no longer count as matched; the rest go out first, in order.
   */
  release(keep?: (event: HangarEvent, frame: Buffer) => boolean): void {
    if (!this.held) return;
    this.held = false;
    if (keep) {
      const events = this.events;
      const held: { seq: number; event: HangarEvent; frame: Buffer; wire: Buffer | undefined }[] = [];
      while (events.length > 0) {
        held.push({ seq: events.headSeq, event: events.headEvent, frame: events.headFrame, wire: events.headWire });
        events.shift();
      }
      for (const item of held) {
        if (keep(item.event, item.frame)) events.push(item.seq, item.event, item.frame, item.wire);
        else {
          this.queuedBytes -= item.frame.length;
          this.matched--;
        }
      }
    }
    this.requestFlush();
  }

  /** Queues a control message (ack, error, ping, replayed); it keeps its place among queued events. */
  sendControl(message: ServerControlMessage): void {
    this.enqueueControl([Buffer.from(JSON.stringify(message))], false);
  }

  /** Queues replayed history frames; they are never dropped and go out before any later event. */
  enqueueReplay(frames: Buffer[]): void {
    if (frames.length > 0) this.enqueueControl(frames, true);
  }

  /** Whether replayed history frames are still waiting to be handed to the transport. */
  get replayPending(): boolean {
    return this.controls.some((control) => control.replay);
  }

  /** Stops all sending and releases the queue. */
  close(): void {
    this.closed = true;
    this.events.clear();
    this.controls.length = 0;
    this.queuedBytes = 0;
  }

  /** Whether the transport has had unwritten data without any progress for longer than `stallMs`. */
  isStalled(nowMs: number, stallMs: number): boolean {
    return this.inFlight > 0 && nowMs - this.lastProgressMs > stallMs;
  }

  private enqueueControl(frames: Buffer[], replay: boolean): void {
    if (this.closed) return;
    this.controls.push({ seq: this.seq++, frames, index: 0, replay });
    if (this.controls.length > this.options.limits.maxPendingControls) {
      this.options.hooks?.onControlOverflow?.(this);
      return;
    }
    this.requestFlush();
  }

  private recordDrop(count: number): void {
    const startsEpisode = this.pendingDropped === 0;
    this.pendingDropped += count;
    this.totalDropped += count;
    this.options.stats.dropped += count;
    if (startsEpisode) this.options.hooks?.onDropEpisode?.(this);
  }

  private requestFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    this.schedule(this.flush);
  }

  /** The warning frame that announces drops since the last one (exact counts). */
  private warningFrame(): Buffer {
    const dropped = this.pendingDropped;
    this.pendingDropped = 0;
    const message: WarningMessage = {
      type: 'warning',
      code: 'events_dropped',
      dropped,
      total_dropped: this.totalDropped,
      queue_limit: this.options.limits.queueSize,
      message: `${dropped} event${dropped === 1 ? '' : 's'} dropped: client is reading slower than events arrive`,
    };
    return Buffer.from(JSON.stringify(message));
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.closed) return;
    const { transport, limits, stats } = this.options;
    const events = this.events;
    const framed = transport.sendFramed !== undefined;
    let corked = false;
    // Pre-framed events of the burst go to the socket together, as one buffer (one write instead of
    // one per frame); anything else (controls, replay, warnings) is framed by the transport, in order.
    // Only the last write of a burst carries a completion callback: writes complete in order,
    // so its callback means the whole burst has left the process.
    const batch = this.batch;
    let batchBytes = 0;
    let held: Buffer | undefined;
    const writeBatch = (done?: (error?: Error) => void) => {
      const wire = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes);
      batch.length = 0;
      batchBytes = 0;
      transport.sendFramed!(wire, done);
    };
    try {
      while (transport.bufferedAmount + batchBytes < limits.highWaterMarkBytes) {
        // The next frame in order: a pending warning first, then whichever of control/event was queued first.
        let frame: Buffer;
        let wire: Buffer | undefined;
        if (this.pendingDropped > 0) {
          frame = this.warningFrame();
        } else {
          const control = this.controls[0];
          const hasEvent = !this.held && events.length > 0;
          if (control && (!hasEvent || control.seq < events.headSeq)) {
            frame = control.frames[control.index++]!;
            if (control.index >= control.frames.length) this.controls.shift();
            if (control.replay) this.replayedDelivered++;
          } else if (hasEvent) {
            frame = events.headFrame;
            wire = framed ? events.headWire : undefined;
            events.shift();
            this.queuedBytes -= frame.length;
            this.delivered++;
            stats.delivered++;
          } else {
            break;
          }
        }
        if (!corked) {
          transport.cork();
          corked = true;
        }
        if (held) transport.send(held);
        held = undefined;
        if (wire !== undefined) {
          batch.push(wire);
          batchBytes += wire.length;
        } else {
          if (batch.length > 0) writeBatch();
          held = frame;
        }
      }
      if (held || batch.length > 0) {
        const now = this.options.monotonicMs();
        if (this.inFlight === 0) this.lastProgressMs = now;
        this.lastSendMs = now;
        this.inFlight++;
        if (held) transport.send(held, this.onSent);
        else writeBatch(this.onSent);
      }
    } catch {
      // A transport that throws is closing; the connection's close handler releases us.
      batch.length = 0;
    } finally {
      if (corked) transport.uncork();
    }
  };

  private readonly onSent = (error?: Error): void => {
    this.inFlight--;
    this.lastProgressMs = this.options.monotonicMs();
    if (error || this.closed) return;
    if (this.pendingDropped > 0 || this.controls.length > 0 || this.events.length > 0) this.requestFlush();
  };
}
