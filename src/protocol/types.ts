/**
 * The wire contract of /api/ws/events (../shared/PROTOCOL.md), shared by
 * `serve` and `tail`. Client and server messages are discriminated unions on
 * `type`; events are objects with a string `event_type`.
 */

/** Default path of the event stream on a gateway. */
export const EVENTS_PATH = '/api/ws/events';
/** Default port of a gateway (and of `serve`). */
export const DEFAULT_PORT = 8000;

/**
 * One domain event as it travels on the wire: `event_type` plus the event's own
 * fields. Identity fields are optional on input; `serve` assigns `event_id`
 * and `occurred_at` at ingest.
 */
export interface HangarEvent {
  event_type: string;
  event_id?: string;
  /** Unix time in seconds, as a float. */
  occurred_at?: number;
  /** ISO 8601 without zone, as the gateway's documentation shows it. */
  timestamp?: string;
  produced_by?: string;
  mcp_server_id?: string;
  [field: string]: unknown;
}

/**
 * A replay request (serve's extension): at most one of the three forms.
 * `after` may name the server instance the id was seen on (`instance_id` of
 * that connection's ack): a restarted server then knows the id belongs to an
 * earlier run, even when the new run happens to carry the same ids.
 */
export type ReplayRequest = { last: number } | { since: number } | { after: string; instance_id?: string };

export interface SubscribeMessage {
  type: 'subscribe';
  /** Patterns; omitted = all. An empty list matches nothing. */
  event_types?: string[];
  /** Exact server ids; omitted = all. An empty list matches nothing. */
  mcp_server_ids?: string[];
  replay?: ReplayRequest;
  /**
   * serve's extension: the client's whole filter, for the replay only (the
   * live filter stays `event_types`/`mcp_server_ids`), so `last: N` means the
   * last N events the client will show. A gateway and an older serve ignore it.
   */
  replay_filter?: ReplayFilter;
}

/** A tail's filter as serve evaluates it for a replay: the same globs, server/group ids and `--where` predicates. */
export interface ReplayFilter {
  types?: string[];
  exclude_types?: string[];
  servers?: string[];
  groups?: string[];
  where?: string[];
}

export interface PongMessage {
  type: 'pong';
}

/** Messages a client sends. */
export type ClientMessage = SubscribeMessage | PongMessage;

export interface SubscribedMessage {
  type: 'subscribed';
  event_types: string[];
  mcp_server_ids: string[];
  /**
   * serve only: a random id of this server run (new on every start, whatever
   * the --seed). A gateway's ack has none, which is how a client tells the
   * two apart at the first ack, and a changed id tells it the server restarted.
   */
  instance_id?: string;
}

export interface PingMessage {
  type: 'ping';
}

/**
 * A warning frame (serve only, PROTOCOL.md Part 2). Codes:
 * - `events_dropped`: serve dropped `dropped` events for this connection.
 * - `upstream_dropped` (a relay, serve --upstream): the relay's upstream
 *   dropped `dropped` events before they reached the relay, so no client of
 *   the relay got them; `total_dropped` is the running total announced so.
 * - `upstream_gap` (a relay): the relay's connection upstream was down and
 *   events published meanwhile may be missing (`down_ms` long, when known).
 */
export interface WarningMessage {
  type: 'warning';
  code: 'events_dropped' | 'upstream_dropped' | 'upstream_gap' | (string & {});
  dropped: number;
  total_dropped: number;
  queue_limit?: number;
  /** upstream_gap: how long the relay's upstream was down, in milliseconds. */
  down_ms?: number;
  message: string;
}

/** The warning codes a relay sends about its upstream. */
export const UPSTREAM_DROPPED = 'upstream_dropped';
export const UPSTREAM_GAP = 'upstream_gap';

export interface ReplayedMessage {
  type: 'replayed';
  count: number;
  complete: boolean;
  /** serve --store: how many of `count` came from the event store (present only when the store was read). */
  from_store?: number;
  /** serve --store: what the store could not supply (why `complete` is false, and events it never keeps). */
  message?: string;
  /** serve, with `replay_filter`: how many events its history held when the replay was read. */
  kept?: number;
}

export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
}

/** Control messages a server sends (anything with `type`). */
export type ServerControlMessage = SubscribedMessage | PingMessage | WarningMessage | ReplayedMessage | ErrorMessage;

/** Limits shared by both sides. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;
export const MAX_SUBSCRIBE_ENTRIES = 256;
/** The gateway's per-connection queue (drop-oldest beyond it). */
export const GATEWAY_QUEUE_SIZE = 1024;
/** The gateway's idle time before an application ping. */
export const GATEWAY_PING_INTERVAL_MS = 55_000;
/** How long the gateway waits for a pong. */
export const GATEWAY_PONG_TIMEOUT_MS = 10_000;

/** The largest frame a client reads by default; the store's rows are bounded by the same figure (one limit on every path). */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
