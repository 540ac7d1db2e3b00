import type { HangarEvent } from '../protocol/types.js';
import type { LiveEvent } from './live-event.js';

/**
 * Where `serve` gets events: the simulated fleet, NDJSON on stdin, a replayed
 * recording. HTTP ingest publishes into the same sink. Every source feeds one
 * pipeline (the hub), so there is one place that assigns ids, keeps history
 * and fans out.
 */
export interface EventSink {
  /** Publishes one event. Never throws; the hub assigns `event_id`/`occurred_at` when missing. */
  publish(event: HangarEvent): void;
  /**
   * Optional fast path for a source that serializes its own events (the
   * simulator's max rate): the record's memory holds the whole event as JSON
   * (UTF-8) in one unmasked WebSocket text frame, header included (see
   * text-frame.ts), which the sink may keep (the source must not reuse it);
   * its `event` carries at least the `event_type`, `event_id`, `occurred_at`
   * and `mcp_server_id` with the same values (what the hub filters and
   * indexes on), and its `fields()` all of them.
   */
  publishSerialized?(live: LiveEvent): void;
  /**
   * A relay's source (serve --upstream) tells the sink's clients what its
   * upstream lost through the returned notices; a sink without clients to
   * tell has none. Asking marks the sink as relaying (its /health counts them).
   */
  upstreamNotices?(): UpstreamNotices;
}

/** What a relay learned its upstream lost, to be announced to every client where it happened in the stream. */
export interface UpstreamNotices {
  /** The connection upstream was down: events published meanwhile may be missing. */
  gap(downForMs: number | undefined, reason: string): void;
  /** The upstream announced it dropped `count` events for the relay. */
  dropped(count: number, reason: string): void;
}
