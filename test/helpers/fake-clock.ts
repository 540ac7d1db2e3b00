import type { Clock, Timer } from '../../src/io/clock.js';

interface Scheduled {
  readonly id: number;
  due: number;
  readonly every: number | undefined;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when the test steps it. `advance(ms)` fires every
 * timer that falls due on the way, in due order (ties in the order they were
 * set), with the clock reading each timer's due time while it runs; timers
 * set by a callback fire too if they fall due before the end of the step.
 * `advanceAsync` does the same but lets promises settle after each timer, for
 * code that awaits between timers.
 */
export class FakeClock implements Clock {
  private wall: number;
  private mono: number;
  private nextId = 1;
  private timers: Scheduled[] = [];

  constructor(options: { nowMs?: number; monotonicMs?: number } = {}) {
    this.wall = options.nowMs ?? Date.UTC(2026, 10, 26, 12, 0, 0);
    this.mono = options.monotonicMs ?? 1000;
  }

  now(): number {
    return this.wall;
  }

  monotonicMs(): number {
    return this.mono;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    return this.schedule(callback, ms, undefined);
  }

  setInterval(callback: () => void, ms: number): Timer {
    return this.schedule(callback, ms, Math.max(1, ms));
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Milliseconds until the next timer fires; undefined when none waits. */
  nextDueIn(): number | undefined {
    const next = this.nextTimer();
    return next === undefined ? undefined : next.due - this.mono;
  }

  /** Moves both clocks `ms` forward, firing the timers that fall due. */
  advance(ms: number): void {
    const end = this.mono + ms;
    for (let timer = this.nextTimer(); timer !== undefined && timer.due <= end; timer = this.nextTimer()) this.fire(timer);
    this.moveTo(end);
  }

  /** Like advance, letting promises settle after each timer and at the end. */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.mono + ms;
    await settle();
    for (let timer = this.nextTimer(); timer !== undefined && timer.due <= end; timer = this.nextTimer()) {
      this.fire(timer);
      await settle();
    }
    this.moveTo(end);
    await settle();
  }

  /**
   * Fires the timers one at a time, each at exactly its due time, until `done`
   * settles; between two it lets the code under test run (promises, real I/O
   * such as reading a file) until it has set its next timer or finished. For
   * code that paces itself on the clock: the test sees the schedule, never
   * the machine's speed. Returns `done`.
   */
  async runUntil<T>(done: Promise<T>): Promise<T> {
    let settled = false;
    done.then(
      () => (settled = true),
      () => (settled = true),
    );
    await this.runWhile(() => !settled);
    return done;
  }

  /** As runUntil, while `condition` holds (it is asked after the code under test has run on). */
  async runWhile(condition: () => boolean): Promise<void> {
    for (;;) {
      await settle();
      if (!condition()) return;
      this.runNext();
    }
  }

  /** Fires the next timer, moving the clocks to its due time; false when none waits. */
  runNext(): boolean {
    const timer = this.nextTimer();
    if (timer === undefined) return false;
    this.fire(timer);
    return true;
  }

  private schedule(callback: () => void, ms: number, every: number | undefined): Timer {
    const entry: Scheduled = { id: this.nextId++, due: this.mono + Math.max(0, ms), every, callback, cancelled: false };
    this.timers.push(entry);
    const timer: Timer = {
      cancel: () => {
        entry.cancelled = true;
        this.timers = this.timers.filter((t) => t !== entry);
      },
      unref: () => timer,
    };
    return timer;
  }

  private nextTimer(): Scheduled | undefined {
    let best: Scheduled | undefined;
    for (const t of this.timers) if (!t.cancelled && (best === undefined || t.due < best.due || (t.due === best.due && t.id < best.id))) best = t;
    return best;
  }

  private fire(timer: Scheduled): void {
    this.moveTo(timer.due);
    if (timer.every === undefined) this.timers = this.timers.filter((t) => t !== timer);
    else timer.due += timer.every;
    timer.callback();
  }

  private moveTo(mono: number): void {
    if (mono <= this.mono) return;
    this.wall += mono - this.mono;
    this.mono = mono;
  }
}

/** Lets pending promise callbacks run (a few turns of the microtask queue and one of the event loop). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
