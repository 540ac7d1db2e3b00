import type { LiveEvent } from './live-event.js';

/** Slots of a new or emptied queue ring; it doubles as needed up to the queue size. */
export const INITIAL_QUEUE_SLOTS = 16;

/**
 * A ring grown past this many slots is let go of when the queue empties,
 * whatever emptied it: a thousand clients whose queues once filled during
 * their first subscribe (events are held until it arrives) kept 8 KiB each
 * for as long as they stayed connected (bench scenario 8). Up to it the ring
 * is kept, so a fast client taking the max-rate source's batches of 256
 * events does not regrow it every turn.
 */
export const KEPT_QUEUE_SLOTS = 256;

/**
 * A FIFO of live events with O(1) push and shift: a growable ring of shared
 * LiveEvent records (one array slot per queued event, so a full queue of 1024
 * costs 8 KiB; nothing allocated per push). Each event pushed gets the next
 * ordinal (`pushed` counts them); a queued control records how many events
 * were pushed before it, which orders it against the events (see writeBurst).
 */
export class EventDeque {
  private slots: (LiveEvent | undefined)[] = new Array(INITIAL_QUEUE_SLOTS);
  private head = 0;
  private mask = INITIAL_QUEUE_SLOTS - 1;
  length = 0;
  /** Events ever pushed: the ordinal of the next push. */
  pushed = 0;

  /** Slots allocated now (what the ring costs, not what it holds). */
  get capacity(): number {
    return this.mask + 1;
  }

  push(entry: LiveEvent): void {
    if (this.length === this.mask + 1) this.grow();
    this.slots[(this.head + this.length) & this.mask] = entry;
    this.length++;
    this.pushed++;
  }

  /** The oldest entry (only while length > 0). */
  get first(): LiveEvent {
    return this.slots[this.head]!;
  }

  /** Ordinal of the oldest entry (= `pushed` while empty). */
  get firstOrdinal(): number {
    return this.pushed - this.length;
  }

  /** Removes the oldest entry (only while length > 0); the last one out lets go of a ring grown past KEPT_QUEUE_SLOTS. */
  shift(): void {
    const head = this.head;
    this.slots[head] = undefined;
    this.head = (head + 1) & this.mask;
    if (--this.length === 0 && this.mask >= KEPT_QUEUE_SLOTS) this.clear();
  }

  /** Removes every entry and lets go of a grown ring; ordinals go on from where they were. */
  clear(): void {
    this.slots = new Array(INITIAL_QUEUE_SLOTS);
    this.head = 0;
    this.mask = INITIAL_QUEUE_SLOTS - 1;
    this.length = 0;
  }

  /** Removes and returns every entry, oldest first; the next push takes the first one's ordinal. */
  takeAll(): LiveEvent[] {
    const all: LiveEvent[] = [];
    while (this.length > 0) {
      all.push(this.first);
      this.shift();
    }
    this.pushed -= all.length;
    return all;
  }

  private grow(): void {
    const size = (this.mask + 1) * 2;
    const slots: (LiveEvent | undefined)[] = new Array(size);
    for (let i = 0; i < this.length; i++) slots[i] = this.slots[(this.head + i) & this.mask];
    this.slots = slots;
    this.head = 0;
    this.mask = size - 1;
  }
}
