import { UPSTREAM_DROPPED, UPSTREAM_GAP, type WarningMessage } from '../protocol/types.js';
import type { Subscriber } from './subscriber.js';

/** What a relay announced about its upstream, for /health. */
export interface UpstreamStats {
  /** Outages of the relay's upstream connection (each announced to every client as `upstream_gap`). */
  gaps: number;
  /** Events the upstream said it dropped for the relay (announced as `upstream_dropped`). */
  dropped: number;
}

/** One connection's upstream drop accounting: the running total, and the warning still waiting to be sent. */
interface Tally {
  total: number;
  pending: { dropped: number; message: string } | undefined;
}

/**
 * A relay (serve --upstream) tells every client what its upstream lost, in
 * the Part 2 vocabulary (PROTOCOL.md): a warning frame at the place in the
 * stream where it happened, before any event that came after it. A gap is one
 * `upstream_gap` warning per outage; drops are `upstream_dropped` warnings,
 * and while one is still waiting in a connection's queue later drops are
 * added to it, so a flood of upstream warnings costs a slow client one frame
 * per flush, never a queue of frames. Upstream losses are of any type: every
 * client is told, whatever its filter.
 */
export class UpstreamAnnouncer {
  readonly stats: UpstreamStats = { gaps: 0, dropped: 0 };
  private readonly tallies = new WeakMap<Subscriber, Tally>();

  /** Announces an outage of the upstream connection to `subscribers`. */
  gap(subscribers: readonly Subscriber[], downForMs: number | undefined, reason: string): void {
    this.stats.gaps++;
    for (const subscriber of subscribers) subscriber.sendControl(this.gapMessage(downForMs, reason, this.tallyOf(subscriber).total));
  }

  /** The `upstream_gap` warning (`totalDropped`: upstream drops told to the connection so far). */
  gapMessage(downForMs: number | undefined, reason: string, totalDropped = 0): WarningMessage {
    return {
      type: 'warning',
      code: UPSTREAM_GAP,
      dropped: 0,
      total_dropped: totalDropped,
      ...(downForMs !== undefined ? { down_ms: Math.max(0, Math.round(downForMs)) } : {}),
      message: reason,
    };
  }

  /** Announces `count` events the upstream dropped to `subscribers`. */
  dropped(subscribers: readonly Subscriber[], count: number, reason: string): void {
    if (!(count > 0)) return;
    this.stats.dropped += count;
    for (const subscriber of subscribers) {
      const tally = this.tallyOf(subscriber);
      tally.total += count;
      if (tally.pending !== undefined) {
        tally.pending.dropped += count;
        tally.pending.message = reason;
        continue;
      }
      const pending = { dropped: count, message: reason };
      tally.pending = pending;
      subscriber.sendControlLater(() => {
        if (tally.pending === pending) tally.pending = undefined;
        const message: WarningMessage = { type: 'warning', code: UPSTREAM_DROPPED, dropped: pending.dropped, total_dropped: tally.total, message: pending.message };
        return Buffer.from(JSON.stringify(message));
      });
    }
  }

  /** Upstream drops announced to `subscriber` so far. */
  droppedFor(subscriber: Subscriber): number {
    return this.tallies.get(subscriber)?.total ?? 0;
  }

  private tallyOf(subscriber: Subscriber): Tally {
    let tally = this.tallies.get(subscriber);
    if (tally === undefined) this.tallies.set(subscriber, (tally = { total: 0, pending: undefined }));
    return tally;
  }
}
