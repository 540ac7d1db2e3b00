import type { HangarEvent } from '../../protocol/types.js';

/**
 * The seam between tail's connection pipeline and its output modes (pretty
 * lines, NDJSON, the live table). The pipeline connects, filters and
 * de-duplicates; a sink only renders. Sinks write through the injected IO.
 */

/** One endpoint tail is connected to; `index` picks its stable label color. */
export interface StreamSource {
  readonly url: string;
  /** Short label shown before lines when several URLs are merged (`host:port`). */
  readonly label: string;
  readonly index: number;
}

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
  | { kind: 'replayed'; source: StreamSource; count: number; complete: boolean };

/** Context a sink gets once before the first event. */
export interface SinkStart {
  readonly sources: readonly StreamSource[];
  /** Human description of the filters in effect, e.g. `type=HealthCheck* server=math`. */
  readonly filterDescription: string;
}

export interface TailSink {
  start(context: SinkStart): void;
  /**
   * One event that passed every filter. `raw` is the frame exactly as the
   * server sent it (the NDJSON sink writes it unchanged).
   */
  event(event: HangarEvent, raw: string, source: StreamSource): void;
  notice(notice: TailNotice): void;
  /** Whether the output can take more now (false while stdout is full). */
  canWrite(): boolean;
  /**
   * Resolves once the output can take more (stdout drained). The pipeline
   * stops reading the sockets while this is pending, so memory stays flat
   * behind a slow consumer.
   */
  whenWritable(): Promise<void>;
  /** Final flush and terminal restore; called on every exit path. */
  close(): Promise<void>;
}
