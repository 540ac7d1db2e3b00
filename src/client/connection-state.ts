import type WebSocket from 'ws';
import type { Timer } from '../io/clock.js';

/**
 * What the StreamClient knows about one connection attempt's socket, from the
 * upgrade to the close. What its stream means (acks, replay, held events,
 * gaps) is the HistoryJoin's (history-join.ts).
 */
export interface Connection {
  readonly ws: WebSocket;
  opened: boolean;
  frames: number;
  handshakeStatus: number | undefined;
  /** The Location header of a refused upgrade (a redirect). */
  handshakeLocation: string | undefined;
  lastError: Error | undefined;
  deadReason: string | undefined;
  livenessTimer: Timer | undefined;
  /** Monotonic time of the last frame read (any frame: events, pings, acks). */
  lastFrameMs: number;
  /** A pong was handed to ws and has not been written to the socket yet (see answerPing). */
  pongInFlight: boolean;
}
