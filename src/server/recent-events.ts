import type { LiveEvent } from './live-event.js';

/**
 * The newest live events as the hub offered them (the shared LiveEvent
 * records), in a fixed ring: what a parked subscriber may still need when it
 * catches up (see Subscriber.catchUp). Pushing allocates nothing.
 */
export class RecentEvents {
  private readonly entries: (LiveEvent | undefined)[];
  /** Slot of the next push. */
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.entries = new Array(capacity);
  }

  /** Events kept (at most the capacity). */
  get length(): number {
    return this.size;
  }

  push(live: LiveEvent): void {
    const slot = this.next;
    this.entries[slot] = live;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    if (this.size < this.capacity) this.size++;
  }

  /** The event `back` places before the newest (0 = the newest; only below length). */
  at(back: number): LiveEvent {
    const slot = this.next - 1 - back;
    return this.entries[slot < 0 ? slot + this.capacity : slot]!;
  }
}
