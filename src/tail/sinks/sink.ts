import type { HangarEvent } from '../../protocol/types.js';
import type { EventMessage, SourceRef, FeedNotice } from '../../feed/messages.js';
import type { MemberSpans } from '../../protocol/plain-event.js';

/**
 * The seam between tail's connection pipeline and its output modes (pretty
 * lines, NDJSON, the live table). The pipeline connects, filters and
 * de-duplicates; a sink only renders. Sinks write through the injected IO.
 */

/** Context a sink gets once before the first event. */
export interface SinkStart {
  readonly sources: readonly SourceRef[];
  /** Human description of the filters in effect, e.g. `type=HealthCheck* server=math`. */
  readonly filterDescription: string;
}

export interface TailSink {
  start(context: SinkStart): void;
  /**
   * One event that passed every filter. `raw` is the frame exactly as the
   * server sent it (the NDJSON sink writes it unchanged).
   */
  event(event: HangarEvent, raw: string, source: SourceRef): void;
  /**
   * Optional: one event that passed every filter, as the bytes of its frame,
   * never parsed: a plain event frame (see protocol/plain-event.ts), which is
   * its own NDJSON line. A sink that has this gets such events here instead
   * of `event`.
   */
  frame?(bytes: Buffer, source: SourceRef): void;
  /**
   * Optional, with `frame`, for a sink whose `frame` writes the bytes and a
   * line feed: plain event frames as those lines, several at once (`lines`:
   * each frame's bytes and a line feed; only valid during the call).
   */
  frameLines?(lines: Uint8Array, source: SourceRef): void;
  /**
   * Optional: one event that passed every filter, a plain event frame whose
   * members the client recorded (`message.members`; see
   * StreamClientOptions.recordMembers). A sink that has this gets such events
   * here instead of `event`, and reads `message.event` only if it must.
   */
  plain?(message: EventMessage, source: SourceRef): void;
  /**
   * Optional: what `plain` does, for a plain event frame the feed hands over
   * by its lane (no message object; see PlainFrameLane): the frame's bytes,
   * and its members when the client recorded them (valid during the call).
   * With this (or `frame`) the pipeline takes the lane when nothing else
   * reads the event.
   */
  plainFrame?(bytes: Buffer, members: MemberSpans | undefined, source: SourceRef): void;
  notice(notice: FeedNotice): void;
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
