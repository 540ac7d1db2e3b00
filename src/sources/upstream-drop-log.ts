import type { Clock, Timer } from '../io/clock.js';
import type { SourceLog } from './event-source.js';

/** Upstream drop warnings of one upstream are logged at most this often (after the first, at once). */
export const DROP_LOG_INTERVAL_MS = 1000;

interface Tally {
  pending: number;
  pendingWarnings: number;
  total: number;
  message: string;
  lastLineMs: number;
  timer: Timer | undefined;
}

/**
 * serve --upstream's log of the upstream's drop warnings, coalesced as tail
 * does its own DROPPED lines: the first of a burst is logged at once, the
 * ones that follow within a second are added up into one line when the
 * second is over, with the running total. 50 000 warnings are a few dozen
 * lines, not 50 000.
 */
export class UpstreamDropLog {
  private readonly tallies = new Map<string, Tally>();

  constructor(
    private readonly log: SourceLog,
    private readonly clock: Pick<Clock, 'monotonicMs' | 'setTimeout'>,
  ) {}

  /** The upstream at `url` announced `dropped` events dropped for this relay, saying `message`. */
  add(url: string, dropped: number, message: string): void {
    let tally = this.tallies.get(url);
    if (tally === undefined) {
      tally = { pending: 0, pendingWarnings: 0, total: 0, message: '', lastLineMs: Number.NEGATIVE_INFINITY, timer: undefined };
      this.tallies.set(url, tally);
    }
    tally.pending += dropped;
    tally.pendingWarnings++;
    tally.total += dropped;
    tally.message = message;
    if (tally.timer !== undefined) return;
    const waitMs = tally.lastLineMs + DROP_LOG_INTERVAL_MS - this.clock.monotonicMs();
    if (waitMs <= 0) return this.print(url, tally);
    const current = tally;
    tally.timer = this.clock
      .setTimeout(() => {
        current.timer = undefined;
        if (current.pending > 0) this.print(url, current);
      }, waitMs)
      .unref();
  }

  /** Logs what is still pending (when the relay stops). */
  close(): void {
    for (const [url, tally] of this.tallies) {
      tally.timer?.cancel();
      tally.timer = undefined;
      if (tally.pending > 0) this.print(url, tally);
    }
  }

  private print(url: string, tally: Tally): void {
    const n = tally.pending;
    const folded = tally.pendingWarnings > 1 ? ` in ${tally.pendingWarnings} warnings` : '';
    this.log.warn(
      `upstream ${url} dropped ${n} ${n === 1 ? 'event' : 'events'} for this relay${folded} (${tally.total} in total; every client was told): ${tally.message}`,
    );
    tally.pending = 0;
    tally.pendingWarnings = 0;
    tally.lastLineMs = this.clock.monotonicMs();
  }
}
