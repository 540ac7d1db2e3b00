import { EVENTS_PATH, GATEWAY_PING_INTERVAL_MS, GATEWAY_PONG_TIMEOUT_MS, GATEWAY_QUEUE_SIZE } from '../protocol/types.js';

/**
 * How the server's messages name its settings. The server knows no flags:
 * `serve` passes its flag names (commands/serve/flag-hints.ts); an embedder
 * gets these neutral defaults.
 */
export interface ServerHints {
  /** How to give API keys, e.g. `Set HANGAR_API_KEY or --api-key-file (or --api-key)`. */
  readonly giveKeys: string;
  /** How to allow a bind without keys, e.g. `pass --insecure-no-auth`. */
  readonly allowNoAuth: string;
  readonly maxClients: string;
  /** How to allow more HTTP connections, e.g. `--max-http-connections`. */
  readonly maxHttpConnections: string;
  readonly port: string;
  readonly host: string;
  /** How to allow a web origin, e.g. `start serve with --allow-origin <origin>`. */
  readonly allowOrigin: string;
}

export const DEFAULT_SERVER_HINTS: ServerHints = {
  giveKeys: 'Give the server API keys',
  allowNoAuth: 'set insecureNoAuth',
  maxClients: 'the client limit',
  maxHttpConnections: 'the HTTP connection limit',
  port: 'port',
  host: 'host',
  allowOrigin: 'add it to the allowed origins of the server (allowOrigins)',
};

/** Everything the embedded server needs to know; `DEFAULT_SERVER_OPTIONS` holds the documented defaults. */
export interface ServerOptions {
  readonly host: string;
  /** 0 = any free port (read the real one from the result). */
  readonly port: number;
  /** WebSocket path. */
  readonly path: string;
  /** Accepted API keys; empty = no authentication. */
  readonly apiKeys: readonly string[];
  /** The header API keys are read from (besides `Authorization: Bearer` and `?token=`), as a gateway can be configured. */
  readonly apiKeyHeader: string;
  /** Allowed Origin values for browser clients; `*` allows any. */
  readonly allowOrigins: readonly string[];
  /** Allow a non-loopback bind without API keys. */
  readonly insecureNoAuth: boolean;
  /** Per-connection queue of events (drop-oldest beyond it). */
  readonly queueSize: number;
  /** Per-connection bound on queued event bytes. */
  readonly queueBytes: number;
  /** Events kept for replay (0 disables). */
  readonly historySize: number;
  /** Bytes kept for replay. */
  readonly historyBytes: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly stallTimeoutMs: number;
  /** Concurrent WebSocket clients; beyond it the handshake gets 503. Undefined = no limit. */
  readonly maxClients: number | undefined;
  /**
   * A plain HTTP request (an ingest POST) must have arrived whole within this
   * (headers within the smaller of this and 10 s); beyond it the connection
   * gets 408 and is closed. WebSocket connections are not affected once open.
   */
  readonly httpTimeoutMs: number;
  /** Concurrent connections carrying plain HTTP requests; beyond it a request gets 503 and its connection is closed. */
  readonly maxHttpConnections: number;
  /** Frames are handed to a socket only while its buffered amount is below this. */
  readonly highWaterMarkBytes: number;
  /** Close a random client with 1012 at about this interval (`--chaos-disconnect`). */
  readonly chaosDisconnectMs: number | undefined;
  /** Fraction of each connection's events to drop and announce (`--chaos-drop`). */
  readonly chaosDrop: number;
  /** How messages name the settings (default DEFAULT_SERVER_HINTS). */
  readonly hints?: ServerHints;
  /** Answer the approvals REST from a gate that holds the simulated fleet's gated calls (false: 503, and gated calls run at once). */
  readonly approvals: boolean;
  /** How long a held call waits for a decision before it expires, ms. */
  readonly approvalTimeoutMs: number;
  /** Random source for chaos (default Math.random). */
  readonly random?: () => number;
}

/** The documented defaults of `serve` (see the README); kept free of heavy imports (ws, node:http). */
export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  port: 8000,
  path: EVENTS_PATH,
  apiKeys: [],
  apiKeyHeader: 'X-API-Key',
  allowOrigins: [],
  insecureNoAuth: false,
  queueSize: GATEWAY_QUEUE_SIZE,
  queueBytes: 8 * 1024 * 1024,
  historySize: 10_000,
  historyBytes: 64 * 1024 * 1024,
  pingIntervalMs: GATEWAY_PING_INTERVAL_MS,
  pongTimeoutMs: GATEWAY_PONG_TIMEOUT_MS,
  stallTimeoutMs: 60_000,
  maxClients: undefined,
  httpTimeoutMs: 60_000,
  maxHttpConnections: 64,
  highWaterMarkBytes: 128 * 1024,
  chaosDisconnectMs: undefined,
  chaosDrop: 0,
  approvals: true,
  approvalTimeoutMs: 300_000,
};
