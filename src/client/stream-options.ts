import type { Clock } from '../io/clock.js';
import type { ClientHints } from './hints.js';
import type { BackoffPolicy } from './backoff.js';
import type { PlainFrameScanner } from '../protocol/plain-scan-wasm.js';
import { GATEWAY_PONG_TIMEOUT_MS, type ReplayFilter, type ReplayRequest } from '../protocol/types.js';

/** What a StreamClient is opened with: the endpoint, credentials, the subscription, and the knobs of its lifecycle. */

export interface Subscription {
  /** Patterns for `event_types`; undefined = omit the key (everything). */
  readonly eventTypes?: readonly string[] | undefined;
  /** Exact ids for `mcp_server_ids`; undefined = omit the key. */
  readonly serverIds?: readonly string[] | undefined;
  /**
   * Server ids that narrow a history request only: sent as `mcp_server_ids`
   * with a real replay (serve matches them on every server-identity field),
   * never to a known gateway, and not in the probe that follows (which sets
   * the live filter), so live events are not narrowed to `mcp_server_id`.
   */
  readonly replayServerIds?: readonly string[] | undefined;
  /**
   * The client's whole filter for a replay (serve's `replay_filter`), so a
   * `last: N` replay counts the events the client will show; sent with a real
   * replay, never to a known gateway (which replays nothing).
   */
  readonly replayFilter?: ReplayFilter | undefined;
}

export interface StreamClientOptions {
  /** A normalised ws:// or wss:// URL. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The header the API key travels in, when not X-API-Key (for the wording of auth errors). */
  readonly apiKeyHeader?: string | undefined;
  /** Extra CA certificate(s), PEM. */
  readonly ca?: string | Buffer | undefined;
  /** Accept any TLS certificate. */
  readonly insecure?: boolean;
  /** The advice in error messages (commands/ passes its flag names); default DEFAULT_CLIENT_HINTS. */
  readonly hints?: ClientHints;
  readonly subscription: Subscription;
  /** History asked for on the first connection (honoured by serve only). */
  readonly initialReplay?: ReplayRequest | undefined;
  /** Reconnect after a lost or failed connection (default true). */
  readonly reconnect?: boolean;
  /** Consecutive failed reconnect attempts before giving up (default unlimited). */
  readonly maxRetries?: number;
  readonly backoff?: BackoffPolicy;
  /** The server's idle time before it pings (the gateway's is 55 s). */
  readonly pingIntervalMs?: number;
  /** Extra silence tolerated on top of the ping interval before the connection counts as dead. */
  readonly livenessMarginMs?: number;
  /** How long to wait for serve's answers before concluding the server is a gateway. */
  readonly serverDetectMs?: number;
  /** Frames larger than this are reported and skipped. */
  readonly maxFrameBytes?: number;
  /** Time allowed for the opening handshake. */
  readonly handshakeTimeoutMs?: number;
  /**
   * A tick of the stand-still detector this much overdue means this process
   * stood still (default 3 s; see StreamClient.freeze). `false` turns it off:
   * tests that move an injected clock by hand would look like a SIGSTOP.
   */
  readonly standStillMs?: number | false;
  /**
   * Pass plain event frames on as bytes, unparsed (`EventMessage.bytes`; see
   * protocol/plain-event.ts): for a consumer that writes frames as they are
   * and needs no field (tail's NDJSON output without client-side filters).
   * Anything else still takes the full path (decoded, or reported).
   */
  readonly passPlainEvents?: boolean;
  /**
   * With passPlainEvents: also say where each top-level member of a plain
   * event frame lies (`EventMessage.members`), for a consumer that reads a
   * few fields from the bytes (tail's pretty lines, render/plain-line.ts).
   */
  readonly recordMembers?: boolean;
  /**
   * With passPlainEvents: what scans the frames read in place (the same
   * answers as scanPlainEvent, which is used when none is given):
   * protocol/plain-scan-wasm.ts, loaded by tail -o ndjson only.
   */
  readonly plainScanner?: PlainFrameScanner | undefined;
  /** Monotonic clock (ms), for how long the stream was down. */
  readonly monotonicMs: () => number;
  /** Wall clock (ms since epoch), for `replay.since`. */
  readonly nowMs: () => number;
  /**
   * Timers (liveness checks, server detection, reconnect backoff, the
   * stand-still ticks, stop's wait); Node's own when not given. Tests that
   * step a fake clock pass it here as well as its monotonicMs/nowMs.
   */
  readonly clock?: Pick<Clock, 'setTimeout' | 'setInterval'> | undefined;
  readonly random?: () => number;
}

export const DEFAULT_LIVENESS_MARGIN_MS = GATEWAY_PONG_TIMEOUT_MS + 5_000;
/** Fallback only: serve and a gateway are told apart at the first ack; this is for a server that never acks. */
export const DEFAULT_SERVER_DETECT_MS = 10_000;
