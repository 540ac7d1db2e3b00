import { systemClock, type Clock, type Timer } from '../io/clock.js';

/**
 * Telling a silent server from a process that stood still. A frozen process
 * (SIGSTOP, a suspended laptop, a debugger) reads a backlog when it wakes up:
 * those frames are not signs of life, and the outage it reports must start
 * when it stopped. Both pieces read only the monotonic clock they are given.
 */

/** The detector ticks this often; a tick this late means the process stood still. */
export const TICK_MS = 1_000;
export const FREEZE_MS = 3_000;

export class StandStillDetector {
  /** The last stand-still: from the last punctual tick to the moment it was noticed. */
  private freeze: { startMs: number; endMs: number } | undefined;
  private tickMs = 0;
  private timer: Timer | undefined;

  /** `freezeMs`: a tick later than this means a stand-still; `timers` runs the ticks (the real clock's by default). */
  constructor(
    private readonly monotonicMs: () => number,
    private readonly freezeMs = FREEZE_MS,
    private readonly timers: Pick<Clock, 'setInterval'> = systemClock(),
  ) {}

  /** Starts ticking (an unref'd timer: it never keeps the process alive). */
  start(): void {
    this.tickMs = this.monotonicMs();
    this.timer = this.timers
      .setInterval(() => {
        const now = this.monotonicMs();
        this.note(now);
        this.tickMs = now;
      }, TICK_MS)
      .unref();
  }

  stop(): void {
    this.timer?.cancel();
  }

  /**
   * Records a stand-still when the ticker is overdue. Also called for frames
   * and closes: after SIGCONT the backlog of socket reads and the close are
   * handled before the late tick fires, so the tick alone would notice too late.
   */
  note(now: number): void {
    if (this.timer !== undefined && now - this.tickMs > this.freezeMs) this.freeze = { startMs: this.tickMs, endMs: now };
  }

  /**
   * When the stream last showed signs of life, as the start of an outage:
   * `lastFrameMs` (now when no frame came); or, when this process stood still
   * within `windowMs` before now, the moment it stopped (what it read after
   * waking up was a backlog).
   */
  lastSeenMs(lastFrameMs: number | undefined, windowMs: number): number {
    const now = this.monotonicMs();
    this.note(now);
    let seen = lastFrameMs ?? now;
    const freeze = this.freeze;
    if (freeze && now - freeze.endMs <= windowMs) seen = Math.min(seen, freeze.startMs);
    return seen;
  }
}

/**
 * The monotonic clock for frames, read once per run of frames handled
 * together (ws hands over every frame of a socket read in one go): the frames
 * of one read arrived at the same moment, and reading the clock per frame
 * cost 5% of the NDJSON path.
 */
export class FrameClock {
  private ms = 0;
  private fresh = false;
  private readonly expire = (): void => {
    this.fresh = false;
  };

  constructor(private readonly monotonicMs: () => number) {}

  now(): number {
    if (!this.fresh) {
      this.ms = this.monotonicMs();
      this.fresh = true;
      queueMicrotask(this.expire);
    }
    return this.ms;
  }
}
