import type { HangarEvent } from '../protocol/types.js';

/**
 * The newest live events as the hub offered them (event, payload, whole
 * frame), in a fixed ring: what a parked subscriber may still need when it
 * catches up (see Subscriber.catchUp). Pushing allocates nothing.
 */
export class RecentEvents {
  private readonly events: (HangarEvent | undefined)[];
  private readonly frames: (Buffer | undefined)[];
  private readonly wires: (Buffer | undefined)[];
  /** Slot of the next push. */
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.events = new Array(capacity);
    this.frames = new Array(capacity);
    this.wires = new Array(capacity);
  }

  /** Events kept (at most the capacity). */
  get length(): number {
    return this.size;
  }

  push(event: HangarEvent, frame: Buffer, wire: Buffer): void {
    const slot = this.next;
    this.events[slot] = event;
    this.frames[slot] = frame;
    this.wires[slot] = wire;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    if (this.size < this.capacity) this.size++;
  }

  /** The event `back` places before the newest (0 = the newest; only below length). */
  eventAt(back: number): HangarEvent {
    return this.events[this.slotOf(back)]!;
  }

  frameAt(back: number): Buffer {
    return this.frames[this.slotOf(back)]!;
  }

  wireAt(back: number): Buffer {
    return this.wires[this.slotOf(back)]!;
  }

  private slotOf(back: number): number {
    const slot = this.next - 1 - back;
    return slot < 0 ? slot + this.capacity : slot;
  }
}
