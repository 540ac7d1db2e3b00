import type { FleetServer } from '../protocol/fleet-snapshot.js';
import type { MemberSpans } from '../protocol/plain-event.js';
import type { HangarEvent, WarningMessage } from '../protocol/types.js';

/**
 * The vocabulary of every feed: what one connection (a socket, the store)
 * reports (StreamMessage, events as EventMessage), the endpoint each message
 * is about (SourceRef), and what a feed tells its consumer besides events
 * (FeedNotice): tail's sinks and serve's relay read the same notices.
 */

/** One endpoint a feed reads: its display URL, short label (`host:port`, or `store`) and the index that keys its state and picks its color. */
export interface SourceRef {
  readonly url: string;
  /** Short label (`host:port`). */
  readonly label: string;
  readonly index: number;
}

/** What is on the other end: `serve` (acks every subscribe, answers replay) or a gateway (neither). */
export type ServerKind = 'serve' | 'gateway' | 'unknown';

/**
 * An event. `raw` is the frame as text, exactly as the server sent it. When
 * the client passed it on unparsed (`passPlainEvents`), `bytes` holds the
 * frame and `event`/`raw` are only worked out if someone reads them.
 */
export interface EventMessage {
  readonly kind: 'event';
  readonly event: HangarEvent;
  readonly raw: string;
  /** The event's `event_id`, when it is a non-empty string. */
  readonly id: string | undefined;
  readonly bytes?: Buffer | undefined;
  /**
   * Where the members of `bytes` lie, when the client recorded them
   * (StreamClientOptions.recordMembers). Shared by the connection's frames:
   * valid while `members.bytes` is `bytes` (until the next frame is scanned).
   */
  readonly members?: MemberSpans | undefined;
  /** Read from the gateway's event store (--store), not from a socket. */
  readonly fromStore?: boolean;
}

/** A plain event frame passed on as bytes (see StreamClientOptions.passPlainEvents). */
export class PlainEventFrame implements EventMessage {
  readonly kind = 'event' as const;
  private parsed: HangarEvent | undefined;
  private idText: string | undefined;

  /** `idStart`/`idEnd`: where scanPlainEvent found the event_id's content (idEnd <= idStart: none). */
  constructor(
    readonly bytes: Buffer,
    private readonly idStart: number,
    private readonly idEnd: number,
    readonly members?: MemberSpans,
  ) {}

  /** Whether the event has a (non-empty) event_id, without decoding it. */
  get hasId(): boolean {
    return this.idEnd > this.idStart;
  }

  /** Decoded on first read: most events are never asked (resume needs only the last one's). */
  get id(): string | undefined {
    if (this.idText === undefined && this.idEnd > this.idStart) this.idText = this.bytes.toString('utf8', this.idStart, this.idEnd);
    return this.idText;
  }

  get raw(): string {
    return this.bytes.toString('utf8');
  }

  /** Parsed on first read: the frame is valid JSON with a string event_type (scanPlainEvent said so). */
  get event(): HangarEvent {
    return (this.parsed ??= JSON.parse(this.raw) as HangarEvent);
  }
}

/**
 * Where a consumer takes the plain event frames (protocol/plain-event.ts) of
 * one socket that are shown at once, without a message object and an emit
 * each: the frame's bytes (a view into the socket read), already checked, in
 * order with every other message; and where its top-level members lie when
 * the client records them (StreamClientOptions.recordMembers; valid during
 * the call only). Returns false when it cannot take the frame now (earlier
 * messages wait in its queue, stdout is full): the frame then comes as an
 * `event` message, as every frame did before.
 */
export type PlainFrameLane = (frame: Buffer, members: MemberSpans | undefined) => boolean;

/**
 * Where a consumer whose lane writes each frame as its NDJSON line takes a
 * run of such frames at once, as their lines (each frame's bytes and a line
 * feed), in order with everything else: `room` says how many frames it takes
 * now (0 when the lane would refuse a frame), `take` writes them (`lines`
 * is only valid during the call).
 */
export interface PlainRunLane {
  room(): number;
  take(lines: Uint8Array, frames: number): void;
}

/** Everything the client reports, in the order it happens. */
export type StreamMessage =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open'; attempt: number; server: ServerKind }
  | { kind: 'server-kind'; server: 'serve' | 'gateway' }
  | EventMessage
  | { kind: 'subscribed'; eventTypes: string[]; serverIds: string[] }
  | { kind: 'warning'; warning: WarningMessage }
  /** serve finished a replay; `resumed` when it answered a resume after a reconnect. */
  | { kind: 'replayed'; count: number; complete: boolean; resumed: boolean; requested: boolean; kept?: number | undefined }
  /** History was asked for but the server is a gateway, which keeps none. */
  | { kind: 'no-history' }
  | { kind: 'server-error'; code: string; message: string }
  | { kind: 'bad-frame'; reason: string }
  /** Events may have been missed while the stream was down. */
  | { kind: 'gap'; downForMs: number; reason: string }
  | { kind: 'reconnecting'; attempt: number; delayMs: number; reason: string }
  /** What the event store source has to say (how much it read, what it cannot cover). */
  | { kind: 'store'; level: 'info' | 'warning'; text: string }
  /** A source that reads history (the store with --no-follow) has printed it all. */
  | { kind: 'history-done' };

/** What happens to the connections, for status lines, banners and the table header. */
export type FeedNotice =
  | { kind: 'connecting'; source: SourceRef; attempt: number }
  | { kind: 'connected'; source: SourceRef; server: 'serve' | 'gateway' | 'unknown' }
  | { kind: 'reconnecting'; source: SourceRef; attempt: number; delayMs: number; reason: string }
  | { kind: 'auth-failed'; source: SourceRef; status: number | undefined; message: string }
  /** The server announced dropped events (warning frame). */
  | { kind: 'dropped'; source: SourceRef; dropped: number; totalDropped: number; message: string; atMs: number }
  /**
   * Events may have been missed: after a reconnect (with how long the stream
   * was down), an incomplete replay, or a server without history.
   */
  | { kind: 'gap'; source: SourceRef; downForMs: number | undefined; reason: string; atMs: number }
  /** A frame that was not an event nor a known control message; counted and reported. */
  | { kind: 'bad-frame'; source: SourceRef; reason: string }
  | { kind: 'server-error'; source: SourceRef; code: string; message: string }
  /** `kept`: serve applied the whole filter to a history of that many events. */
  | { kind: 'replayed'; source: SourceRef; count: number; complete: boolean; kept?: number | undefined }
  /** From the event store (--store): what it read (info) or cannot cover (warning). */
  | { kind: 'store'; source: SourceRef; level: 'info' | 'warning'; text: string }
  /** The server acknowledged a subscribe: from here on the connection receives events. */
  | { kind: 'subscribed'; source: SourceRef }
  /** The endpoint's fleet snapshot (GET /api/mcp_servers), asked for at `requestedAtMs`. */
  | { kind: 'fleet'; source: SourceRef; servers: readonly FleetServer[]; requestedAtMs: number }
  /** Why the fleet snapshot could not be had. */
  | { kind: 'fleet-failed'; source: SourceRef; message: string };
