import type { ReplayRequest } from '../protocol/types.js';
import { matchesSubscription, type SubscriptionFilter } from '../protocol/filter.js';
import type { HangarEvent } from '../protocol/types.js';

/** One published event as the hub keeps it: the event, its serialized frame and when it happened. */
export interface HistoryEntry {
  readonly event: HangarEvent;
  readonly frame: Buffer;
  /** `occurred_at` in Unix seconds (the ingest time when the event's own value is not a number). */
  readonly occurredAtS: number;
}

/** What a replay request found: the matching frames, oldest first, and whether the ring reached back far enough. */
export interface ReplayResult {
  readonly frames: Buffer[];
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
 */
export class History {
  private readonly slots: ({ entry: HistoryEntry; position: number } | undefined)[];
  private head = 0;
  private size = 0;
  private bytes = 0;
  /** Position (monotonic, across evictions) of the next entry to be pushed. */
  private nextPosition = 0;
  private readonly positionById = new Map<string, number>();
  private evicted = 0;
  private maxEvictedOccurredAtS = Number.NEGATIVE_INFINITY;

  constructor(private readonly limits: HistoryLimits) {
    this.slots = new Array(Math.max(0, limits.capacity));
  }

  /** Number of events currently kept. */
  get length(): number {
    return this.size;
  }

  /** Serialized bytes currently kept. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Appends an entry, evicting the oldest ones beyond the count or byte bound. */
  push(entry: HistoryEntry): void {
    const position = this.nextPosition++;
    if (this.limits.capacity === 0) {
      this.noteEvicted(entry);
      return;
    }
    if (this.size === this.limits.capacity) this.evictOldest();
    this.slots[(this.head + this.size) % this.limits.capacity] = { entry, position };
    this.size++;
    this.bytes += entry.frame.length;
    if (typeof entry.event.event_id === 'string') this.positionById.set(entry.event.event_id, position);
    while (this.bytes > this.limits.maxBytes && this.size > 1) this.evictOldest();
  }

  /**
   * The frames a replay request asks for, among events matching `filter`.
   * `complete` is false when events that would have matched may have been evicted.
   */
  replay(request: ReplayRequest, filter: SubscriptionFilter): ReplayResult {
    if ('last' in request) {
      if (request.last === 0) return { frames: [], complete: true };
      const frames: Buffer[] = [];
      for (let i = this.size - 1; i >= 0 && frames.length < request.last; i--) {
        const { entry } = this.at(i);
        if (matchesSubscription(filter, entry.event)) frames.push(entry.frame);
      }
      frames.reverse();
      return { frames, complete: frames.length === request.last || this.evicted === 0 };
    }
    if ('since' in request) {
      const frames: Buffer[] = [];
      for (let i = 0; i < this.size; i++) {
        const { entry } = this.at(i);
        if (entry.occurredAtS >= request.since && matchesSubscription(filter, entry.event)) frames.push(entry.frame);
      }
      return { frames, complete: this.evicted === 0 || this.maxEvictedOccurredAtS < request.since };
    }
    const position = this.positionById.get(request.after);
    const found = position !== undefined;
    const start = found ? position - this.at(0).position + 1 : 0;
    const frames: Buffer[] = [];
    for (let i = Math.max(0, start); i < this.size; i++) {
      const { entry } = this.at(i);
      if (matchesSubscription(filter, entry.event)) frames.push(entry.frame);
    }
    return { frames, complete: found };
  }

  private at(offset: number): { entry: HistoryEntry; position: number } {
    return this.slots[(this.head + offset) % this.limits.capacity]!;
  }

  private evictOldest(): void {
    const slot = this.slots[this.head]!;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.limits.capacity;
    this.size--;
    this.bytes -= slot.entry.frame.length;
    this.noteEvicted(slot.entry);
    // Forget the id only if it still points at this entry, not at a newer duplicate.
    const id = slot.entry.event.event_id;
    if (typeof id === 'string' && this.positionById.get(id) === slot.position) this.positionById.delete(id);
  }

  private noteEvicted(entry: HistoryEntry): void {
    this.evicted++;
    if (entry.occurredAtS > this.maxEvictedOccurredAtS) this.maxEvictedOccurredAtS = entry.occurredAtS;
  }
}
