/**
 * A bounded set of recently seen event ids: the oldest id is forgotten once
 * `capacity` is reached, so memory stays flat on an endless stream while
 * duplicates from replicas (which arrive close together) are still caught.
 */
export class SeenIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  /** Records `id`; returns false when it was already seen. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
