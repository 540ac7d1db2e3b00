import type { EventSink } from '../server/event-sink.js';

/** Something the source wants the operator to know (goes to serve's stderr log). */
export interface SourceLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface EventSource {
  /** Short name for logs: `demo`, `stdin`, `replay recorded.ndjson`. */
  readonly name: string;
  /**
   * Starts producing into `sink`. Resolves when the source has ended on its
   * own (stdin closed, replay finished without --loop); a simulator never
   * ends until stopped.
   */
  run(sink: EventSink, log: SourceLog): Promise<void>;
  /** Stops producing; idempotent. */
  stop(): void;
}
