import { EVENTS_PATH, GATEWAY_PING_INTERVAL_MS, GATEWAY_PONG_TIMEOUT_MS, GATEWAY_QUEUE_SIZE } from '../protocol/types.js';
import type { ServerOptions } from './server.js';

/** The documented defaults of `serve` (see the README); kept free of heavy imports (ws, node:http). */
export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  port: 8000,
  path: EVENTS_PATH,
  apiKeys: [],
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
  highWaterMarkBytes: 128 * 1024,
  chaosDisconnectMs: undefined,
  chaosDrop: 0,
};
