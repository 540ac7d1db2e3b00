/**
 * What tail's engine tells its outputs besides events: the endpoints it reads
 * and what happens to their connections. Sinks (sinks/sink.ts) receive these.
 */

import type { TableSource } from '../render/table/reduce-table.js';

/**
 * One endpoint tail is connected to: its display URL, its short label
 * (`host:port`, shown before lines when several URLs are merged) and the
 * `index` that picks its stable label color. The renderers' own shape.
 */
export type StreamSource = TableSource;

/** What happens to the connections, for status lines, banners and the table header. */
export type TailNotice =
  | { kind: 'connecting'; source: StreamSource; attempt: number }
  | { kind: 'connected'; source: StreamSource; server: 'serve' | 'gateway' | 'unknown' }
  | { kind: 'reconnecting'; source: StreamSource; attempt: number; delayMs: number; reason: string }
  | { kind: 'auth-failed'; source: StreamSource; status: number | undefined; message: string }
  /** The server announced dropped events (warning frame). */
  | { kind: 'dropped'; source: StreamSource; dropped: number; totalDropped: number; message: string; atMs: number }
  /**
   * Events may have been missed: after a reconnect (with how long the stream
   * was down), an incomplete replay, or a server without history.
   */
  | { kind: 'gap'; source: StreamSource; downForMs: number | undefined; reason: string; atMs: number }
  /** A frame that was not an event nor a known control message; counted and reported. */
  | { kind: 'bad-frame'; source: StreamSource; reason: string }
  | { kind: 'server-error'; source: StreamSource; code: string; message: string }
  /** `kept`: serve applied the whole filter to a history of that many events. */
  | { kind: 'replayed'; source: StreamSource; count: number; complete: boolean; kept?: number | undefined }
  /** From the event store (--store): what it read (info) or cannot cover (warning). */
  | { kind: 'store'; source: StreamSource; level: 'info' | 'warning'; text: string }
  /** The server acknowledged a subscribe: from here on the connection receives events. */
  | { kind: 'subscribed'; source: StreamSource };
