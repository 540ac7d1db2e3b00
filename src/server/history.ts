import type { ReplayRequest } from '../protocol/types.js';
import { compileSubscription, type SubscriptionFilter } from '../protocol/filter.js';
import type { HangarEvent } from '../protocol/types.js';
import type { LiveEvent } from './live-event.js';

/** What a replay request found: the matching frames, oldest first, and whether the ring reached back far enough. */
export interface ReplayResult {
  readonly frames: Buffer[];
  /** Position of each frame in the stream of everything pushed (see History.oldestPosition). */
  readonly positions: number[];
  readonly complete: boolean;
}

export interface HistoryLimits {
  /** Most events kept; 0 disables history. */
  readonly capacity: number;
  /** Most serialized bytes kept; the oldest events are evicted beyond it. */
  readonly maxBytes: number;
}

/**
 * The bounded ring of recent events behind `replay` (PROTOCOL.md Part 2). It
 * remembers enough about what it evicted to answer `complete` honestly.
 *
 * Every publish goes through `push`, so it allocates nothing per event:
 * parallel rings (the hub's record, occurred_at, length) and no index by id;
 * a record's payload Buffer is made only when a replay sends it. `replay.after`
 * is rare and scans the ring from the newest entry for the id instead (a
 * duplicate id therefore resolves to its newest occurrence).
 */
export class History {
  private readonly records: (LiveEvent | undefined)[];
  private readonly occurred: number[];
  /** Frame lengths, so eviction does not touch the (long cold) frame itself. */
  private readonly lengths: number[];
  private head = 0;
  private size = 0;
  private bytes = 0;
  private evicted = 0;
  /** Events ever pushed: the position the next one gets. */
  private pushed = 0;
  private maxEvictedOccurredAtS = Number.NEGATIVE_INFINITY;

  constructor(private readonly limits: HistoryLimits) {
    const capacity = Math.max(0, limits.capacity);
    this.records = new Array(capacity);
    this.occurred = new Array(capacity);
    this.lengths = new Array(capacity);
  }

  /** Number of events currently kept. */
  get length(): number {
    return this.size;
  }

  /** Serialized bytes currently kept. */
  get byteLength(): number {
    return this.bytes;
  }

  /**
   * Position (in the stream of everything pushed) of the oldest event still
   * kept; frames at lower positions have been evicted. A slow replay uses it
   * to let go of frames history no longer keeps (see Subscriber.enqueueReplay).
   */
  get oldestPosition(): number {
    return this.pushed - this.size;
  }

  /** Position the next event pushed gets (one past the newest kept). */
  get nextPosition(): number {
    return this.pushed;
  }

  /**
   * Appends the hub's record of an event with `occurred_at` in Unix seconds
   * (the ingest time when the event's own value is not a number), evicting the
   * oldest ones beyond the count or byte bound (payload bytes).
   */
  push(live: LiveEvent, occurredAtS: number): void {
    const capacity = this.limits.capacity;
    this.pushed++;
    if (capacity === 0) {
      this.noteEvicted(occurredAtS);
      return;
    }
    if (this.size === capacity) this.evictOldest();
    let slot = this.head + this.size;
    if (slot >= capacity) slot -= capacity;
    const length = live.frameLength;
    this.records[slot] = live;
    this.occurred[slot] = occurredAtS;
    this.lengths[slot] = length;
    this.size++;
    this.bytes += length;
    while (this.bytes > this.limits.maxBytes && this.size > 1) this.evictOldest();
  }

  /** occurred_at (Unix seconds) of the oldest event kept; undefined when empty. */
  get oldestOccurredAtS(): number | undefined {
    return this.size === 0 ? undefined : this.occurred[this.head];
  }

  /** The events kept, oldest first, with all their fields (for the fleet snapshot and logs; not on the hot path). */
  *kept(): IterableIterator<HangarEvent> {
    for (let i = 0; i < this.size; i++) yield this.records[this.slot(i)]!.fields();
  }

  /**
   * The frames a replay request asks for, among events matching `filter`.
   * `complete` is false when events that would have matched may have been evicted.
   */
  replay(request: ReplayRequest, filter: SubscriptionFilter, also?: (event: HangarEvent) => boolean): ReplayResult {
    const base = this.oldestPosition;
    const subscribed = compileSubscription(filter);
    // A replay_filter may read any field (`where`): it gets them all (see LiveEvent.fields).
    const matches = also === undefined ? (live: LiveEvent) => subscribed(live.event) : (live: LiveEvent) => subscribed(live.event) && also(live.fields());
    if ('last' in request) {
      if (request.last === 0) return { frames: [], positions: [], complete: true };
      const frames: Buffer[] = [];
      const positions: number[] = [];
      for (let i = this.size - 1; i >= 0 && frames.length < request.last; i--) {
        const slot = this.slot(i);
        if (matches(this.records[slot]!)) {
          frames.push(this.records[slot]!.frame);
          positions.push(base + i);
        }
      }
      frames.reverse();
      positions.reverse();
      return { frames, positions, complete: frames.length === request.last || this.evicted === 0 };
    }
    if ('since' in request) {
      const frames: Buffer[] = [];
      const positions: number[] = [];
      for (let i = 0; i < this.size; i++) {
        const slot = this.slot(i);
        if (this.occurred[slot]! >= request.since && matches(this.records[slot]!)) {
          frames.push(this.records[slot]!.frame);
          positions.push(base + i);
        }
      }
      return { frames, positions, complete: this.evicted === 0 || this.maxEvictedOccurredAtS < request.since };
    }
    const offset = this.newestOffsetOf(request.after);
    const found = offset >= 0;
    const frames: Buffer[] = [];
    const positions: number[] = [];
    for (let i = found ? offset + 1 : 0; i < this.size; i++) {
      const slot = this.slot(i);
      if (matches(this.records[slot]!)) {
        frames.push(this.records[slot]!.frame);
        positions.push(base + i);
      }
    }
    return { frames, positions, complete: found };
  }

  /** Position of the newest kept event with this id; undefined when none is kept. */
  positionOf(eventId: string): number | undefined {
    const offset = this.newestOffsetOf(eventId);
    return offset < 0 ? undefined : this.oldestPosition + offset;
  }

  /** Offset (0 = oldest kept) of the newest kept event with this id, or -1. */
  private newestOffsetOf(eventId: string): number {
    for (let i = this.size - 1; i >= 0; i--) {
      if (this.records[this.slot(i)]!.event.event_id === eventId) return i;
    }
    return -1;
  }

  private slot(offset: number): number {
    const slot = this.head + offset;
    return slot >= this.limits.capacity ? slot - this.limits.capacity : slot;
  }

  private evictOldest(): void {
    const head = this.head;
    this.bytes -= this.lengths[head]!;
    this.noteEvicted(this.occurred[head]!);
    this.records[head] = undefined;
    this.head = head + 1 === this.limits.capacity ? 0 : head + 1;
    this.size--;
  }

  private noteEvicted(occurredAtS: number): void {
    this.evicted++;
    if (occurredAtS > this.maxEvictedOccurredAtS) this.maxEvictedOccurredAtS = occurredAtS;
  }
}
