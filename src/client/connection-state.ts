import type WebSocket from 'ws';
import type { EventMessage, ServerKind } from '../feed/messages.js';

/** What the StreamClient knows about one connection attempt, from the upgrade to the close. */
export interface Connection {
  readonly ws: WebSocket;
  opened: boolean;
  frames: number;
  acks: number;
  server: ServerKind;
  handshakeStatus: number | undefined;
  /** The Location header of a refused upgrade (a redirect). */
  handshakeLocation: string | undefined;
  lastError: Error | undefined;
  deadReason: string | undefined;
  livenessTimer: NodeJS.Timeout | undefined;
  detectTimer: NodeJS.Timeout | undefined;
  /** After a reconnect: resolved (reported or not) once we know whether the server filled the gap. */
  gapPending: { downSinceMs: number } | undefined;
  /** The server run named by this connection's first ack (serve only). */
  instanceId: string | undefined;
  /** The first ack named another run than the previous connection's: serve restarted in between. */
  restarted: boolean;
  /** serve's `replayed` arrived: history is over, what follows is live. */
  replayed: boolean;
  /** Ids of replayed events, kept only while held events wait for the join (see joinHeld). */
  replayIds: Set<string> | undefined;
  /** Ids emitted before the first ack because `held` was full: the replay must not repeat them. */
  earlyIds: Set<string> | undefined;
  /** Monotonic time of the last frame read (any frame: events, pings, acks). */
  lastFrameMs: number;
  /** Whether this connection asked for the user's initial history. */
  askedHistory: boolean;
  /**
   * Events that arrived before the first ack. serve delivers live events from
   * the moment a socket opens, so these can overtake the replay we asked for;
   * they are released after `replayed` (or once the server is known to be a
   * gateway, which sends none before the ack) to keep the stream in order.
   */
  held: EventMessage[];
  openedWallMs: number;
  /** A pong was handed to ws and has not been written to the socket yet (see answerPing). */
  pongInFlight: boolean;
}
