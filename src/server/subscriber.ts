import type { SubscriptionFilter } from '../protocol/filter.js';
import type { HangarEvent, ServerControlMessage, WarningMessage } from '../protocol/types.js';

/**
 * The one per-connection piece that owns a queue. The hub calls `offer` for
 * every matching event; `offer` never blocks and never throws. Frames are
 * handed to the transport only while its buffered amount is under a small
 * high-water mark; the rest waits in a bounded queue that drops its oldest
 * event when full, and the drop is announced to the client with a warning
 * frame before the next event (PROTOCOL.md Part 2).
 */

/** What a subscriber writes to: a WebSocket in production, a fake in unit tests. */
export interface Transport {
  /** Sends one text frame; `done` (when given) runs once the bytes have left the process (or failed). */
  send(frame: Buffer, done?: (error?: Error) => void): void;
  /** Optional: writes an already framed WebSocket frame (built once by the Hub) straight to the socket. */
  sendFramed?(wire: Buffer, done?: (error?: Error) => void): void;
  /** Bytes handed to `send` but not yet written to the OS. */
  readonly bufferedAmount: number;
  /** Batches the next writes into one system call... */
  cork(): void;
  /** ...and flushes them. */
  uncork(): void;
}

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

interface QueuedEvent {
  seq: number;
  frame: Buffer;
  event: HangarEvent;
  /** The same event already framed for the wire, when the transport can write frames as they are. */
  wire: Buffer | undefined;
}

interface QueuedControl {
  seq: number;
  /** A single control frame, or a replay batch (non-droppable history frames). */
  frames: Buffer[];
  index: number;
  /** Whether these frames are replayed events (counted apart from live deliveries). */
  replay: boolean;
}

/** A FIFO of events with O(1) push and shift (a growable ring). */
class EventDeque {
  private items: (QueuedEvent | undefined)[] = new Array(16);
  private head = 0;
  length = 0;

  push(item: QueuedEvent): void {
    if (this.length === this.items.length) {
      const grown: (QueuedEvent | undefined)[] = new Array(this.items.length * 2);
      for (let i = 0; i < this.length; i++) grown[i] = this.items[(this.head + i) % this.items.length];
      this.items = grown;
      this.head = 0;
    }
    this.items[(this.head + this.length) % this.items.length] = item;
    this.length++;
  }

  peek(): QueuedEvent | undefined {
    return this.length === 0 ? undefined : this.items[this.head];
  }

  shift(): QueuedEvent | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.length--;
    return item;
  }

  clear(): void {
    this.items = new Array(16);
    this.head = 0;
    this.length = 0;
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
    this.events.push({ seq: this.seq++, frame, event, wire });
    this.queuedBytes += frame.length;
    const { queueSize, queueBytes } = this.options.limits;
    let dropped = 0;
    while (this.events.length > queueSize || (this.queuedBytes > queueBytes && this.events.length > 1)) {
      const oldest = this.events.shift()!;
      this.queuedBytes -= oldest.frame.length;
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
      const held: QueuedEvent[] = [];
      for (let item = this.events.shift(); item; item = this.events.shift()) held.push(item);
      for (const item of held) {
        if (keep(item.event, item.frame)) this.events.push(item);
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

  /** Takes the next frame in order: a pending warning first, then whichever of control/event was queued first. */
  private nextFrame(): { frame: Buffer; kind: 'event' | 'control' | 'replay'; wire?: Buffer | undefined } | undefined {
    if (this.pendingDropped > 0) return { frame: this.warningFrame(), kind: 'control' };
    const control = this.controls[0];
    const event = this.held ? undefined : this.events.peek();
    if (control && (!event || control.seq < event.seq)) {
      const frame = control.frames[control.index++]!;
      if (control.index >= control.frames.length) this.controls.shift();
      return { frame, kind: control.replay ? 'replay' : 'control' };
    }
    if (event) {
      this.events.shift();
      this.queuedBytes -= event.frame.length;
      return { frame: event.frame, kind: 'event', wire: event.wire };
    }
    return undefined;
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.closed) return;
    const { transport, limits } = this.options;
    let corked = false;
    // Only the last frame of a burst carries a completion callback: writes complete in order,
    // so its callback means the whole burst has left the process.
    let held: Buffer | undefined;
    let heldWire: Buffer | undefined;
    // A pre-framed event goes to the socket as is; anything else is framed by the transport.
    const send = (frame: Buffer, wire: Buffer | undefined, done?: (error?: Error) => void) => {
      if (wire !== undefined && transport.sendFramed) transport.sendFramed(wire, done);
      else transport.send(frame, done);
    };
    try {
      while (transport.bufferedAmount < limits.highWaterMarkBytes) {
        const next = this.nextFrame();
        if (!next) break;
        if (!corked) {
          transport.cork();
          corked = true;
        }
        if (next.kind === 'event') {
          this.delivered++;
          this.options.stats.delivered++;
        } else if (next.kind === 'replay') {
          this.replayedDelivered++;
        }
        if (held) send(held, heldWire);
        held = next.frame;
        heldWire = next.wire;
      }
      if (held) {
        const now = this.options.monotonicMs();
        if (this.inFlight === 0) this.lastProgressMs = now;
        this.lastSendMs = now;
        this.inFlight++;
        send(held, heldWire, this.onSent);
      }
    } catch {
      // A transport that throws is closing; the connection's close handler releases us.
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
