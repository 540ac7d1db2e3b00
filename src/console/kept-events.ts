import type { HangarEvent } from '../protocol/types.js';

/**
 * The events the console keeps to recompute its views under a filter and
 * to show a server's last events: a ring bounded both in count and in bytes
 * (the size of each event's frame), oldest let go of first. The aggregates
 * themselves are exact since the start and need none of this.
 */

/** At most this many events are kept... */
export const KEPT_EVENTS_MAX = 20_000;
/** ...and at most this many bytes of their frames. */
export const KEPT_BYTES_MAX = 16 * 1024 * 1024;

export interface KeptEvent {
  readonly event: HangarEvent;
  /** Arrival time, ms since the epoch (the injected clock). */
  readonly arrivalMs: number;
  readonly bytes: number;
}

export class KeptEvents {
  private readonly ring: (KeptEvent | undefined)[];
  private start = 0;
  private size = 0;
  private totalBytes = 0;
  /** Events let go of since the start (the views under a filter cover only what is kept). */
  evicted = 0;

  constructor(
    readonly maxEvents = KEPT_EVENTS_MAX,
    readonly maxBytes = KEPT_BYTES_MAX,
  ) {
    this.ring = new Array<KeptEvent | undefined>(maxEvents);
  }

  get length(): number {
    return this.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Keeps one more event; `bytes` is its frame's length (raw), or an estimate. */
  push(event: HangarEvent, arrivalMs: number, bytes: number): void {
    const size = Math.max(1, bytes);
    while (this.size > 0 && (this.size >= this.maxEvents || this.totalBytes + size > this.maxBytes)) this.dropOldest();
    if (size > this.maxBytes) {
      this.evicted++;
      return;
    }
    this.ring[(this.start + this.size) % this.maxEvents] = { event, arrivalMs, bytes: size };
    this.size++;
    this.totalBytes += size;
  }

  private dropOldest(): void {
    const oldest = this.ring[this.start]!;
    this.ring[this.start] = undefined;
    this.start = (this.start + 1) % this.maxEvents;
    this.size--;
    this.totalBytes -= oldest.bytes;
    this.evicted++;
  }

  /** Oldest first. */
  *values(): IterableIterator<KeptEvent> {
    for (let i = 0; i < this.size; i++) yield this.ring[(this.start + i) % this.maxEvents]!;
  }

  /** The last `count` events that `matches` accepts, oldest first. */
  last(count: number, matches: (event: HangarEvent) => boolean): KeptEvent[] {
    const out: KeptEvent[] = [];
    for (let i = this.size - 1; i >= 0 && out.length < count; i--) {
      const kept = this.ring[(this.start + i) % this.maxEvents]!;
      if (matches(kept.event)) out.push(kept);
    }
    return out.reverse();
  }
}
