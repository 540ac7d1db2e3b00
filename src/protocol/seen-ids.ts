/**
 * A bounded set of recently seen event ids: the oldest id is forgotten once
 * `capacity` is reached, so memory stays flat on an endless stream while
 * duplicates from replicas (which arrive close together) are still caught.
 * The insertion order lives in a ring, so forgetting the oldest costs O(1)
 * (iterating a Set from its start skips every deleted entry still in its table).
 */
export class SeenIds {
  private readonly ids = new Set<string>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(private readonly capacity = 10_000) {
    this.ring = new Array(capacity);
  }

  /** Records `id`; returns false when it was already seen. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    const oldest = this.ring[this.next];
    if (oldest !== undefined) this.ids.delete(oldest);
    this.ring[this.next] = id;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    this.ids.add(id);
    return true;
  }

  /** Whether `id` is still remembered (without recording it). */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  get size(): number {
    return this.ids.size;
  }
}
