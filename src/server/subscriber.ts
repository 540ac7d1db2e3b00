import type { SubscriptionFilter, SubscriptionMatcher } from '../protocol/filter.js';
import type { HangarEvent, ServerControlMessage, WarningMessage } from '../protocol/types.js';
import type { Transport } from '../wire/ws-transport.js';
import { BURST_BYTES, BurstWrites } from './burst-writes.js';
import { EventDeque } from './event-deque.js';
import { LiveEvent, type DeliveryStats } from './live-event.js';
import type { RecentEvents } from './recent-events.js';

/**
 * The one per-connection piece that owns a queue. The hub calls `offer` for
 * every matching event; `offer` never blocks and never throws. Frames are
 * handed to the transport only while its buffered amount is under a small
 * high-water mark; the rest waits in a bounded queue that drops its oldest
 * event when full, and the drop is announced to the client with a warning
 * frame before the next event (PROTOCOL.md Part 2).
 */

/** Placeholder of a control whose frame is built when it is sent. */
const EMPTY_FRAME = Buffer.alloc(0);

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

export interface SubscriberHooks {
  /** A drop episode began (the first drop since the client last caught up). */
  onDropEpisode?(subscriber: Subscriber): void;
  /** Too many control frames are waiting: the client sends but does not read. */
  onControlOverflow?(subscriber: Subscriber): void;
}

interface QueuedControl {
  /** Events pushed to the queue before this control (it goes out before the event with this ordinal). */
  eventsBefore: number;
  /** A single control frame, or a replay batch (history frames, let go of once history evicts them). */
  frames: (Buffer | undefined)[];
  index: number;
  /** Whether these frames are replayed events (counted apart from live deliveries). */
  replay: boolean;
  /** Builds the frame when it is sent (see sendControlLater). */
  build?: () => Buffer;
  /** Replay only: each frame's position in history, and history's oldest kept position now. */
  positions?: readonly number[];
  floor?: () => number;
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
  /** Most bytes per write (and of memory a write's pre-framed events lie in), asked at each flush (default: BURST_BYTES; a server: burstBytesFor its connections). */
  readonly burstBytes?: () => number;
}

/** One connection's view of the stream: its filter, its queue and its exact drop accounting. */
export class Subscriber {
  /** The connection's current filter; replaced by each subscribe. Omitted keys match everything. */
  filter: SubscriptionFilter = {};
  /** `filter` compiled once per subscribe (see compileSubscription); undefined while it matches everything. */
  matches: SubscriptionMatcher | undefined;
  /** Live events handed to the transport. */
  delivered = 0;
  /** Replayed history events handed to the transport. */
  replayedDelivered = 0;
  /** Replayed history events dropped because the client read them slower than history turned over. */
  replayDropped = 0;
  /** Monotonic time of the last frame handed to the transport. */
  lastSendMs: number;
  /** Monotonic time the transport last made progress (a send completed), or the pipe went from idle to busy. */
  lastProgressMs: number;

  private matchedCount = 0;
  private droppedCount = 0;
  /** Set while the hub has parked this subscriber (see park): brings it up to date. */
  private wake: (() => void) | undefined;
  private readonly events = new EventDeque();
  private readonly controls: QueuedControl[] = [];
  /** The replay batch still being sent, if any (one at a time per connection). */
  private replaying: QueuedControl | undefined;
  private queuedBytes = 0;
  private pendingDropped = 0;
  private inFlight = 0;
  /** The OS did not take the last burst at once: its completion is the peer reading (see onSent). */
  private backedUp = false;
  private flushing = false;
  private flushScheduled = false;
  private closed = false;
  private held = false;
  /** Live events held behind a store replay (see holdForReplay). */
  private replayHeld = false;
  private readonly schedule: (flush: () => void) => void;
  /** writeBurst's writes held back until the next frame is known. */
  private readonly writes = new BurstWrites();

  constructor(private readonly options: SubscriberOptions) {
    const now = options.monotonicMs();
    this.lastSendMs = now;
    this.lastProgressMs = now;
    // setImmediate, not the injected clock: a yield to the end of the current burst of offers, not a
    // wait on time, on the delivery hot path (one per socket per burst).
    this.schedule = options.schedule ?? ((flush) => setImmediate(flush));
  }

  /** Live events that matched the filter (= delivered + totalDropped once the queue is empty). */
  get matched(): number {
    this.settle();
    return this.matchedCount;
  }

  /** Live events dropped for this connection, announced or not yet announced. */
  get totalDropped(): number {
    this.settle();
    return this.droppedCount;
  }

  /** Events waiting in the queue (not yet handed to the transport). */
  get queuedEvents(): number {
    this.settle();
    return this.events.length;
  }

  /** Slots the queue's ring has now: it starts small, grows by doubling as events wait, is let go of when emptied by drops or close. */
  get queueSlots(): number {
    return this.events.capacity;
  }

  /** Bytes of events waiting in the queue. */
  get queuedEventBytes(): number {
    this.settle();
    return this.queuedBytes;
  }

  /** Whether bursts handed to the transport are still waiting to be written. */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  /**
   * Offers one live event (already matched against `filter`). Never blocks,
   * never throws. Returns true when the queue was full, so the offer pushed
   * out an older event (the hub then asks whether it may park us).
   */
  offer(event: HangarEvent, frame: Buffer, wire?: Buffer): boolean {
    return this.offerLive(LiveEvent.of(event, frame, wire));
  }

  /** `offer` of a record the hub built once for every subscriber (see LiveEvent). */
  offerLive(live: LiveEvent): boolean {
    if (this.closed) return false;
    if (this.replaying !== undefined) this.pruneReplay();
    this.matchedCount++;
    const chaos = this.options.chaosDrop ?? 0;
    if (chaos > 0 && (this.options.random ?? Math.random)() < chaos) {
      this.recordDrop(1);
      this.requestFlush();
      return false;
    }
    const dropped = this.enqueue(live);
    if (dropped > 0) this.recordDrop(dropped);
    this.requestFlush();
    return dropped > 0;
  }

  /** Queues one live event, dropping the oldest beyond the queue's bounds; returns how many were dropped. */
  private enqueue(live: LiveEvent): number {
    const events = this.events;
    const { queueSize, queueBytes } = this.options.limits;
    let dropped = 0;
    // The oldest goes before the newest comes, so the ring never grows past the queue size.
    while (events.length >= queueSize && events.length > 0) {
      this.queuedBytes -= events.first.frameLength;
      events.shift();
      dropped++;
    }
    events.push(live);
    this.queuedBytes += live.frameLength;
    while (this.queuedBytes > queueBytes && events.length > 1) {
      this.queuedBytes -= events.first.frameLength;
      events.shift();
      dropped++;
    }
    return dropped;
  }

  /**
   * Whether the hub may stop offering for now (asked after an offer pushed an
   * older event out): nothing can be sent before a write in flight completes
   * (nothing is written while the transport has unsent bytes), and nothing per event
   * (chaos drops, a hold) needs the offers themselves.
   */
  get parkable(): boolean {
    return (
      this.wake === undefined &&
      !this.closed &&
      !this.held &&
      !this.replayHeld &&
      (this.options.chaosDrop ?? 0) === 0 &&
      this.inFlight > 0 &&
      this.options.transport.bufferedAmount > 0
    );
  }

  /**
   * The hub stops offering events (see Hub): `wake` is called as soon as the
   * subscriber needs to be up to date: its transport made progress, a control
   * frame is queued, its counts are read, or it closes. The hub then applies
   * the missed events with `catchUp`.
   */
  park(wake: () => void): void {
    this.wake = wake;
  }

  /**
   * Applies `missed` live events offered while parked, exactly as that many
   * offers would have (matched, queue contents, drops): only the newest of
   * them can still be in the queue afterwards, so only those are queued
   * (`recent` holds at least the queue size of the newest events); the older
   * ones and the queued events they push out are counted as drops in one step.
   */
  catchUp(missed: number, recent: RecentEvents): void {
    if (this.closed || missed <= 0) return;
    if (this.replaying !== undefined) this.pruneReplay();
    this.matchedCount += missed;
    const queued = Math.min(missed, this.options.limits.queueSize, recent.length);
    let dropped = missed - queued;
    for (let back = queued - 1; back >= 0; back--) dropped += this.enqueue(recent.at(back));
    if (dropped > 0) this.recordDrop(dropped);
    this.requestFlush();
  }

  /**
   * While parked, once more than a queue's worth of events was missed: every
   * queued event would have been pushed out by now, so they are dropped in one
   * step (and their memory released); `missed` of the missed events are
   * counted now (matched and dropped), the newest queue's worth stays for catchUp.
   */
  dropQueued(missed: number): void {
    if (this.closed) return;
    // Parked, a stalled client gets no offers: the sweeps that call this let go of its stale replay too.
    if (this.replaying !== undefined) this.pruneReplay();
    const dropped = this.events.length + missed;
    this.matchedCount += missed;
    this.events.clear();
    this.queuedBytes = 0;
    if (dropped > 0) this.recordDrop(dropped);
  }

  /** Brings a parked subscriber up to date (see park). */
  private settle(): void {
    const wake = this.wake;
    if (wake === undefined) return;
    this.wake = undefined;
    wake();
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
      const first = events.firstOrdinal;
      const held = events.takeAll();
      // keptBefore[i]: how many of the first i held events stay (controls queued among them keep their place).
      const keptBefore = [0];
      for (const item of held) {
        if (keep(item.event, item.frame)) events.push(item);
        else {
          this.queuedBytes -= item.frameLength;
          this.matchedCount--;
        }
        keptBefore.push(events.length);
      }
      for (const control of this.controls) {
        if (control.eventsBefore > first) control.eventsBefore = first + keptBefore[control.eventsBefore - first]!;
      }
    }
    this.requestFlush();
  }

  /**
   * Holds live events behind a replay that is being read from the store
   * (serve --store): queued as usual (same bounds, same drop accounting), not
   * sent until `releaseReplayHold`. Apart from the connection's own hold, so
   * the client's next message does not end it.
   */
  holdForReplay(): void {
    this.replayHeld = true;
  }

  /**
   * Ends the replay hold: the held events go out after everything queued so
   * far (the store's frames, the ring's and `replayed`), without those `keep`
   * rejects (already sent from the store; they no longer count as matched).
   */
  releaseReplayHold(keep: (event: HangarEvent) => boolean): void {
    if (!this.replayHeld) return;
    this.replayHeld = false;
    const events = this.events;
    const held = events.takeAll();
    // Every control still waiting (the store's frames, the ring's, `replayed`) goes before the held events.
    const from = events.pushed;
    for (const control of this.controls) if (control.eventsBefore > from) control.eventsBefore = from;
    for (const item of held) {
      if (keep(item.event)) events.push(item);
      else {
        this.queuedBytes -= item.frameLength;
        this.matchedCount--;
      }
    }
    this.requestFlush();
  }

  /** Queues a control message (ack, error, ping, replayed); it keeps its place among queued events. */
  sendControl(message: ServerControlMessage): void {
    this.enqueueControl([Buffer.from(JSON.stringify(message))], false);
  }

  /** Queues a control whose frame is built when it is sent, so it can add up what happens until then; it keeps its place like any control. */
  sendControlLater(build: () => Buffer): void {
    this.enqueueControl([EMPTY_FRAME], false, build);
  }

  /**
   * Queues replayed history frames; they go out before any later event.
   * A replay holds on to frames that history also keeps, nothing more: with
   * `positions` and `floor`, frames that history has evicted before this
   * client read them are let go of and counted as dropped, announced with a
   * warning like live drops. So a client that asks for replay and stops
   * reading pins no more memory than history itself.
   */
  enqueueReplay(frames: Buffer[], positions?: readonly number[], floor?: () => number): void {
    if (frames.length === 0 || this.closed) return;
    const control = this.enqueueControl(frames, true);
    if (control !== undefined && positions !== undefined && floor !== undefined) {
      control.positions = positions;
      control.floor = floor;
      this.replaying = control;
    }
  }

  /** Lets go of replay frames that history no longer keeps (see enqueueReplay). */
  private pruneReplay(): void {
    const control = this.replaying!;
    const floor = control.floor!();
    const positions = control.positions!;
    let dropped = 0;
    while (control.index < control.frames.length && positions[control.index]! < floor) {
      control.frames[control.index++] = undefined;
      dropped++;
    }
    if (dropped === 0) return;
    this.replayDropped += dropped;
    this.recordDrop(dropped, true);
    if (control.index >= control.frames.length) {
      this.replaying = undefined;
      const at = this.controls.indexOf(control);
      if (at >= 0) this.controls.splice(at, 1);
    }
    this.requestFlush();
  }

  /** Whether replayed history frames are still waiting to be handed to the transport. */
  get replayPending(): boolean {
    return this.controls.some((control) => control.replay);
  }

  /** Stops all sending and releases the queue. */
  close(): void {
    // The counts stay exact for the disconnect log.
    this.settle();
    this.closed = true;
    this.events.clear();
    this.controls.length = 0;
    this.replaying = undefined;
    this.queuedBytes = 0;
  }

  /** Whether the transport has had unwritten data without any progress for longer than `stallMs`. */
  isStalled(nowMs: number, stallMs: number): boolean {
    return this.inFlight > 0 && nowMs - this.lastProgressMs > stallMs;
  }

  private enqueueControl(frames: Buffer[], replay: boolean, build?: () => Buffer): QueuedControl | undefined {
    if (this.closed) return undefined;
    // Events missed while parked were published before this control: they keep their place.
    this.settle();
    const control: QueuedControl = { eventsBefore: this.events.pushed, frames, index: 0, replay, ...(build !== undefined ? { build } : {}) };
    this.controls.push(control);
    if (this.controls.length > this.options.limits.maxPendingControls) {
      this.options.hooks?.onControlOverflow?.(this);
      return control;
    }
    this.requestFlush();
    return control;
  }

  /** `replay`: replayed frames, counted in replayDropped (droppedCount is about live events). */
  private recordDrop(count: number, replay = false): void {
    const startsEpisode = this.pendingDropped === 0;
    this.pendingDropped += count;
    if (!replay) this.droppedCount += count;
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
      total_dropped: this.droppedCount + this.replayDropped,
      queue_limit: this.options.limits.queueSize,
      message: `${dropped} event${dropped === 1 ? '' : 's'} dropped: client is reading slower than events arrive`,
    };
    return Buffer.from(JSON.stringify(message));
  }

  /**
   * Hands queued frames to the transport: bursts of at most BURST_BYTES, each
   * corked into one write, and one only while the OS took everything handed
   * over before at once, up to the high-water mark's worth per flush.
   */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.closed) return;
    if (this.replaying !== undefined) this.pruneReplay();
    const { transport, limits } = this.options;
    const burstBytes = this.options.burstBytes?.() ?? BURST_BYTES;
    const unsentLimit = Math.min(limits.highWaterMarkBytes, burstBytes);
    let budget = limits.highWaterMarkBytes;
    this.flushing = true;
    try {
      while (budget > 0) {
        // Nothing more while a write waits for the peer: it keeps the memory of its frames alive.
        if (transport.bufferedAmount > 0) break;
        const room = Math.min(unsentLimit, budget);
        const written = this.writeBurst(room, burstBytes);
        if (written === 0) break;
        budget -= written;
      }
      this.backedUp = transport.bufferedAmount > 0;
    } catch {
      // A transport that throws is closing; the connection's close handler releases us.
    } finally {
      this.flushing = false;
    }
  };

  /**
   * Writes frames in order until `roomBytes` are handed over (the last frame
   * may go past it), under one cork; returns the bytes handed over. Pre-framed
   * events are written as they are, shared with every other subscriber (no
   * copy per connection; runs of them back to back in memory as one write, see
   * BurstWrites); anything else (controls, replay, warnings) is framed by the
   * transport. Only the last write carries a completion callback: writes
   * complete in order, so it means the whole burst has left the process.
   */
  private writeBurst(roomBytes: number, memoryBytes: number): number {
    const { transport, stats } = this.options;
    const events = this.events;
    const framed = transport.sendFramed !== undefined;
    const writes = this.writes;
    let corked = false;
    let taken = 0;
    try {
      while (taken < roomBytes) {
        // The next frame in order: a pending warning first, then whichever of control/event was queued first.
        let frame: Buffer;
        if (this.pendingDropped > 0) {
          frame = this.warningFrame();
        } else {
          const control = this.controls[0];
          const hasEvent = !this.held && !this.replayHeld && events.length > 0;
          if (control && (!hasEvent || control.eventsBefore <= events.firstOrdinal)) {
            frame = control.build !== undefined ? control.build() : control.frames[control.index]!;
            if (control.replay) {
              control.frames[control.index] = undefined;
              this.replayedDelivered++;
            }
            control.index++;
            if (control.index >= control.frames.length) {
              this.controls.shift();
              if (control === this.replaying) this.replaying = undefined;
            }
          } else if (hasEvent) {
            const live = events.first;
            if (framed && live.headerLength > 0 && writes.wouldKeepMore(live.memory, memoryBytes)) break;
            events.shift();
            this.queuedBytes -= live.frameLength;
            this.delivered++;
            stats.delivered++;
            if (!corked) {
              transport.cork();
              corked = true;
            }
            if (framed && live.headerLength > 0) {
              taken += live.wireLength;
              writes.framed(transport, live.memory, live.wireAt, live.wireLength);
              continue;
            }
            frame = live.frame;
          } else {
            break;
          }
        }
        if (!corked) {
          transport.cork();
          corked = true;
        }
        taken += frame.length;
        writes.unframed(transport, frame);
      }
      if (writes.holding) {
        const now = this.options.monotonicMs();
        if (this.inFlight === 0) this.lastProgressMs = now;
        this.lastSendMs = now;
        this.inFlight++;
        writes.write(transport, this.onSent);
      }
    } finally {
      // A transport that threw is closing: what was not written is let go of.
      writes.clear();
      if (corked) transport.uncork();
    }
    return taken;
  }

  private readonly onSent = (error?: Error): void => {
    this.inFlight--;
    this.lastProgressMs = this.options.monotonicMs();
    if (error || this.closed) return;
    this.settle();
    if (this.pendingDropped > 0 || this.controls.length > 0 || this.events.length > 0) {
      // A backed-up socket just took its last burst because the peer read: refill it now, not a
      // turn later, so a peer slightly slower than the stream still gets all it can read. (Only
      // here: a burst the OS took at once completes on nextTick, and refilling from there
      // would chain nextTicks and starve the event loop.)
      if (this.backedUp && this.inFlight === 0 && !this.flushing) {
        this.backedUp = false;
        this.flush();
      } else this.requestFlush();
    }
  };
}
