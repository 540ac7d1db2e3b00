/**
 * A discrete-event scheduler: actions ordered by simulated time, ties broken
 * by insertion order, so a simulation driven by a seeded generator replays
 * identically.
 */

interface Scheduled {
  atMs: number;
  seq: number;
  run: () => void;
}

export class Scheduler {
  private readonly heap: Scheduled[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `run` at simulated time `atMs`. */
  at(atMs: number, run: () => void): void {
    const item = { atMs, seq: this.seq++, run };
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = item;
  }

  /** Time of the earliest action, or Infinity when empty. */
  peekAtMs(): number {
    return this.heap[0]?.atMs ?? Infinity;
  }

  /** Removes and returns the earliest action. */
  pop(): Scheduled | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
