import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from '../wire/ws.js';
import { RuntimeError, UsageError } from '../errors.js';
import { formatDuration } from '../format/duration.js';
import type { IO } from '../io/io.js';
import type { Clock, Timer } from '../io/clock.js';
import { MAX_CLIENT_FRAME_BYTES } from '../protocol/types.js';
import { createKeyChecker, createKeyIdentifier } from './auth.js';
import { ApprovalGate } from './approvals/approval-gate.js';
import { Connection, type ConnectionSettings } from './connection.js';
import { Hub } from './hub.js';
import { createRequestHandler, pathOf } from './http-routes.js';
import { silentLog, type ServerLog } from './log.js';
import { plural } from '../format/plural.js';
import { DEFAULT_SERVER_HINTS, type ServerOptions } from './options.js';
import {
  formatRefusalResponse,
  guardRequest,
  isLoopbackHost,
  normalizeOrigin,
  type GuardConfig,
  type Refusal,
} from './request-guard.js';

// The options and their defaults live in a module without dependencies, so that parsing serve's
// flags (loaded on every CLI start, even `--version`) does not load ws and the server.
export { DEFAULT_SERVER_OPTIONS, type ServerOptions } from './options.js';

/** A snapshot of one connection, for tests, benchmarks and the log. */
export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  readonly matched: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly queuedEvents: number;
  readonly queuedEventBytes: number;
  readonly bufferedAmount: number;
}

/** The body of GET /health. */
export interface HealthReport {
  status: 'ok' | 'stopping';
  uptime_s: number;
  clients: number;
  events_published: number;
  events_delivered: number;
  events_dropped: number;
  /** serve --upstream: outages of the upstream connection, each announced to every client. */
  upstream_gaps?: number;
  /** serve --upstream: events the upstream said it dropped for the relay, announced to every client. */
  upstream_dropped?: number;
}

export interface RunningServer {
  /** `ws://HOST:PORT/PATH` with the real port. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Publish here (it is the EventSink for sources). */
  readonly hub: Hub;
  /** The approval gate the REST answers from; undefined with `approvals: false`. */
  readonly approvals: ApprovalGate | undefined;
  connections(): ConnectionInfo[];
  health(): HealthReport;
  /** Stops accepting, closes every client with 1001 and resolves when the server is closed. */
  close(): Promise<void>;
}

/** The URL of the stream for a bound host and port (`[::1]` for IPv6). */
export function formatStreamUrl(host: string, port: number, path: string): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `ws://${h}:${port}${path}`;
}


/** What the parts of one running server share. */
interface ServerState {
  readonly options: ServerOptions;
  readonly log: ServerLog;
  /** The IO's clock: keep-alive sweeps, chaos and the first-message hold run on it (tests step a fake one). */
  readonly clock: Clock;
  readonly monotonicMs: () => number;
  readonly hub: Hub;
  readonly guard: GuardConfig;
  readonly settings: ConnectionSettings;
  readonly connections: Set<Connection>;
  /** Sockets between the accepted upgrade request and the open WebSocket. */
  readonly handshaking: Set<Duplex>;
  nextId: number;
  stopping: boolean;
}

/**
 * Starts the HTTP + WebSocket server and resolves once it listens. Refuses
 * (UsageError) a non-loopback bind without API keys unless `insecureNoAuth`.
 */
export async function startServer(
  options: ServerOptions,
  io: IO,
  log: ServerLog = silentLog,
  approvals: ApprovalGate | undefined = options.approvals ? createApprovalGate(options, io, log) : undefined,
): Promise<RunningServer> {
  const loopbackBind = isLoopbackHost(options.host);
  refuseUnsafeBind(options, loopbackBind);
  const monotonicMs = () => io.monotonicMs();
  const startedAtMs = monotonicMs();
  const state: ServerState = {
    options,
    log,
    clock: io.clock,
    monotonicMs,
    hub: new Hub({ historySize: options.historySize, historyBytes: options.historyBytes, now: () => io.now(), queueSize: options.queueSize }),
    guard: {
      loopbackBind,
      allowOrigins: options.allowOrigins.map((o) => (o === '*' ? o : normalizeOrigin(o))),
      allowOriginHint: (options.hints ?? DEFAULT_SERVER_HINTS).allowOrigin,
      checkAuth: createKeyChecker(options.apiKeys, options.apiKeyHeader),
      apiKeyHeader: options.apiKeyHeader,
    },
    settings: connectionSettingsOf(options),
    connections: new Set(),
    handshaking: new Set(),
    nextId: 1,
    stopping: false,
  };
  const { hub, connections } = state;

  const health = (): HealthReport => {
    hub.settle();
    return {
      status: state.stopping ? 'stopping' : 'ok',
      uptime_s: Math.round((monotonicMs() - startedAtMs) / 100) / 10,
      clients: connections.size,
      events_published: hub.stats.published,
      events_delivered: hub.stats.delivered,
      events_dropped: hub.stats.dropped,
      ...(hub.upstreamStats !== undefined ? { upstream_gaps: hub.upstreamStats.gaps, upstream_dropped: hub.upstreamStats.dropped } : {}),
    };
  };

  const identifyKey = createKeyIdentifier(options.apiKeys, options.apiKeyHeader);
  const principalOf = (req: IncomingMessage): string => {
    const key = identifyKey(req.headers, req.url);
    // Named by its place among the keys, never by anything derived from the key itself.
    return typeof key === 'number' ? `api-key-${key + 1}` : SYSTEM_PRINCIPAL;
  };
  const handleRequest = limitHttpConnections(createRequestHandler({ guard: state.guard, hub, health, streamPath: options.path, approvals: { gate: approvals, principalOf, log } }), state);
  const server = createServer(
    {
      // A body still trickling in after httpTimeoutMs is cut (408). Node reads these only when given here,
      // and checks them only every connectionsCheckingInterval (30 s by default): a second at most here.
      requestTimeout: options.httpTimeoutMs,
      headersTimeout: Math.min(options.httpTimeoutMs, 10_000),
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(options.httpTimeoutMs / 4))),
    },
    handleRequest,
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      const body = JSON.stringify({ error: 'request_timeout', message: `the request did not arrive whole within ${formatDuration(options.httpTimeoutMs)}; send the body at once` });
      socket.end(`HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    } else socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    socket.once('finish', () => socket.destroy());
  });
  server.on('upgrade', createUpgradeHandler(state));
  await listen(server, options);
  server.on('error', (error) => log.warn(`server error: ${error.message}`));

  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const stopTimers = startTimers(state);

  let closePromise: Promise<void> | undefined;
  return {
    url: formatStreamUrl(options.host, port, options.path),
    host: options.host,
    port,
    hub,
    approvals,
    connections: () => {
      hub.settle();
      return [...connections].map((c) => ({
        id: c.id,
        remote: c.remote,
        matched: c.subscriber.matched,
        delivered: c.subscriber.delivered,
        dropped: c.subscriber.totalDropped,
        queuedEvents: c.subscriber.queuedEvents,
        queuedEventBytes: c.subscriber.queuedEventBytes,
        bufferedAmount: c.bufferedAmount,
      }));
    },
    health,
    close: () => {
      approvals?.close();
      return (closePromise ??= closeServer(state, server, stopTimers));
    },
  };
}

/** Who decides an approval on a serve without keys: a gateway with authentication off records its system principal. */
export const SYSTEM_PRINCIPAL = 'system';

/** The gate of a server: time and timers from the IO's clock; says so in the log when it is full. */
export function createApprovalGate(options: Pick<ServerOptions, 'approvalTimeoutMs'>, io: IO, log: ServerLog): ApprovalGate {
  let warned = false;
  return new ApprovalGate({
    timeoutMs: options.approvalTimeoutMs,
    clock: {
      now: () => io.clock.now(),
      // A held call must not keep a stopping process alive.
      setTimeout: (callback, ms) => io.clock.setTimeout(callback, ms).unref(),
    },
    onFull: (pending) => {
      if (warned) return;
      warned = true;
      log.warn(`approval gate full: ${pending} approvals pending; the oldest expire early to make room (decide them with POST /api/approvals/{id}/resolve)`, { event: 'approvals_full', pending });
    },
  });
}

/**
 * Caps the connections that carry plain HTTP requests (ingest, /health) at
 * `maxHttpConnections`, as `maxClients` caps WebSocket clients: a request on
 * a connection beyond the cap gets 503 and the connection is closed, so slow
 * bodies (each cut after httpTimeoutMs) cannot pile up without bound. A
 * connection counts from its first plain request until it closes; WebSocket
 * upgrades never count.
 */
function limitHttpConnections(handle: (req: IncomingMessage, res: ServerResponse) => void, state: ServerState): (req: IncomingMessage, res: ServerResponse) => void {
  const { options } = state;
  const open = new Set<Socket>();
  const logRefusal = createRefusalLog(state.log, state.monotonicMs);
  return (req, res) => {
    const socket = req.socket;
    if (!open.has(socket)) {
      if (open.size >= options.maxHttpConnections) {
        const hint = (options.hints ?? DEFAULT_SERVER_HINTS).maxHttpConnections;
        logRefusal(`refused an HTTP request from ${socket.remoteAddress ?? '?'}: ${options.maxHttpConnections} HTTP connections already open (${hint})`, {
          event: 'refused',
          status: 503,
          reason: 'max_http_connections',
        });
        res.on('error', () => {});
        res.on('finish', () => socket.destroy());
        const body = JSON.stringify({ error: 'too_many_connections', message: `this server serves at most ${options.maxHttpConnections} HTTP connections at once; try again later` });
        res.writeHead(503, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Retry-After': '5', Connection: 'close' });
        res.end(body);
        return;
      }
      open.add(socket);
      socket.once('close', () => open.delete(socket));
    }
    handle(req, res);
  };
}

/** A non-loopback bind without API keys would publish the stream to the network: refused unless asked for. */
function refuseUnsafeBind(options: ServerOptions, loopbackBind: boolean): void {
  if (!loopbackBind && options.apiKeys.length === 0 && !options.insecureNoAuth) {
    const hints = options.hints ?? DEFAULT_SERVER_HINTS;
    throw new UsageError(
      `refusing to listen on ${options.host} without an API key: anyone who can reach this address could read your event stream and publish events into it. ` +
        `${hints.giveKeys}, or ${hints.allowNoAuth} if the network is trusted.`,
    );
  }
}

/** Keep-alive, stall and flood settings of every connection. */
function connectionSettingsOf(options: ServerOptions): ConnectionSettings {
  return {
    limits: {
      queueSize: options.queueSize,
      queueBytes: options.queueBytes,
      highWaterMarkBytes: options.highWaterMarkBytes,
      maxPendingControls: 1024,
    },
    pingIntervalMs: options.pingIntervalMs,
    pongTimeoutMs: options.pongTimeoutMs,
    stallTimeoutMs: options.stallTimeoutMs,
    subscribeBurst: 20,
    subscribesPerSecond: 10,
    chaosDrop: options.chaosDrop,
    random: options.random,
  };
}

/**
 * The `upgrade` listener: path, upgrade header, host/origin/credentials
 * (guardRequest), shutdown and the client limit are checked before
 * `handleUpgrade`; an accepted socket becomes a Connection.
 */
function createUpgradeHandler(state: ServerState): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { options, connections, handshaking } = state;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
  wss.on('error', () => {});
  const logRefusal = createRefusalLog(state.log, state.monotonicMs);
  return (req, socket, head) => {
    socket.on('error', () => {});
    if (pathOf(req.url) !== options.path) {
      return refuseUpgrade(socket, { status: 404, code: 'not_found', message: `no WebSocket endpoint here; the event stream is at ${options.path}` });
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      return refuseUpgrade(socket, { status: 400, code: 'bad_upgrade', message: 'only WebSocket upgrades are supported' });
    }
    const refusal = guardRequest(req, state.guard);
    if (refusal) {
      logRefusal(`refused a connection from ${req.socket.remoteAddress ?? '?'}: ${refusal.code} (${refusal.status})`, { event: 'refused', status: refusal.status, reason: refusal.code });
      return refuseUpgrade(socket, refusal);
    }
    if (state.stopping) return refuseUpgrade(socket, { status: 503, code: 'stopping', message: 'the server is shutting down' });
    if (options.maxClients !== undefined && connections.size + handshaking.size >= options.maxClients) {
      logRefusal(`refused a connection: ${options.maxClients} clients already connected (${(options.hints ?? DEFAULT_SERVER_HINTS).maxClients})`, { event: 'refused', status: 503, reason: 'max_clients' });
      return refuseUpgrade(socket, { status: 503, code: 'too_many_clients', message: `this server accepts at most ${options.maxClients} clients; try again later` }, { 'Retry-After': '5' });
    }
    handshaking.add(socket);
    socket.once('close', () => handshaking.delete(socket));
    wss.handleUpgrade(req, socket, head, (ws) => {
      handshaking.delete(socket);
      if (state.stopping) {
        ws.on('error', () => {});
        ws.close(1001, 'server shutting down');
        return;
      }
      accept(state, ws, req);
    });
  };
}

function refuseUpgrade(socket: Duplex, refusal: Refusal, headers: Record<string, string> = {}): void {
  socket.once('finish', () => socket.destroy());
  socket.end(formatRefusalResponse(refusal, headers));
}

/** An open WebSocket becomes a Connection (subscribed to the hub), logged when it comes and goes. */
function accept(state: ServerState, ws: WebSocket, req: IncomingMessage): void {
  const { hub, connections, log, monotonicMs, clock } = state;
  const id = state.nextId++;
  const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
  const connection = new Connection(id, remote, ws, hub, hub.stats, state.settings, log, clock, (closed, code, reason) => {
    connections.delete(closed);
    const s = closed.subscriber;
    log.info(
      `client #${id} disconnected (${code}${reason ? ` ${reason}` : ''}) after ${formatDuration(monotonicMs() - closed.openedAtMs)}: ${plural(s.delivered, 'event')} delivered, ${s.totalDropped} dropped (${connections.size} connected)`,
      { event: 'disconnect', client: id, code, delivered: s.delivered, dropped: s.totalDropped, clients: connections.size },
    );
  });
  connections.add(connection);
  log.info(`client #${id} connected from ${remote} (${connections.size} connected)`, { event: 'connect', client: id, remote, clients: connections.size });
}

/** Refusals are logged at most once a second, so a burst of bad handshakes cannot flood the log. */
function createRefusalLog(log: ServerLog, monotonicMs: () => number): (message: string, fields: Record<string, unknown>) => void {
  let lastRefusalLogMs = Number.NEGATIVE_INFINITY;
  let suppressedRefusals = 0;
  return (message, fields) => {
    const now = monotonicMs();
    if (now - lastRefusalLogMs < 1000) {
      suppressedRefusals++;
      return;
    }
    const suppressed = suppressedRefusals > 0 ? ` (and ${suppressedRefusals} more refusals in the last seconds)` : '';
    log.info(`${message}${suppressed}`, { ...fields, suppressed: suppressedRefusals });
    lastRefusalLogMs = now;
    suppressedRefusals = 0;
  };
}

/** Binds the port; a failure says what to do about it. */
function listen(server: Server, options: ServerOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const { port, host } = options.hints ?? DEFAULT_SERVER_HINTS;
      const hint =
        error.code === 'EADDRINUSE'
          ? `the port is in use; stop the other server or pick another ${port} (0 = any free port)`
          : error.code === 'EACCES'
            ? 'permission denied; use a port above 1023'
            : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
              ? `this machine has no such address; check ${host}`
              : `check ${host} and ${port}`;
      reject(new RuntimeError(`cannot listen on ${options.host}:${options.port}: ${hint}`, { cause: error }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port, options.host);
  });
}

/**
 * The periodic work: a sweep that lets every connection check its ping,
 * pong and stall deadlines, and the chaos disconnects when asked for.
 * Returns the function that stops both.
 */
function startTimers(state: ServerState): () => void {
  const { options, connections, log, monotonicMs, clock } = state;
  const sweepMs = Math.max(20, Math.min(1000, Math.floor(Math.min(options.pingIntervalMs, options.pongTimeoutMs, options.stallTimeoutMs) / 4)));
  const sweep = clock.setInterval(() => {
    const now = monotonicMs();
    for (const connection of [...connections]) connection.tick(now);
  }, sweepMs);

  let chaosTimer: Timer | undefined;
  const random = options.random ?? Math.random;
  const scheduleChaos = () => {
    if (options.chaosDisconnectMs === undefined || state.stopping) return;
    const delay = Math.max(10, Math.round(options.chaosDisconnectMs * (0.5 + random())));
    chaosTimer = clock.setTimeout(() => {
      const list = [...connections];
      if (list.length > 0) {
        const victim = list[Math.floor(random() * list.length)]!;
        log.info(`chaos: closing client #${victim.id} with 1012`, { event: 'chaos_disconnect', client: victim.id });
        victim.close(1012, 'chaos: service restart');
      }
      scheduleChaos();
    }, delay);
  };
  scheduleChaos();
  return () => {
    sweep.cancel();
    chaosTimer?.cancel();
  };
}

/** Stops accepting, closes every client with 1001 (terminating those that do not finish within 1.5 s) and closes the HTTP server. */
async function closeServer(state: ServerState, server: Server, stopTimers: () => void): Promise<void> {
  state.stopping = true;
  stopTimers();
  const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  const open = [...state.connections];
  const allClosed = Promise.all(open.map((connection) => connection.closed));
  for (const connection of open) connection.close(1001, 'server shutting down');
  // Real time, not the injected clock: how long real sockets get to finish their close handshakes
  // (stepping a test's clock must never be what lets a server stop).
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allClosed, new Promise<void>((resolve) => (timer = setTimeout(resolve, 1500)))]);
  if (timer) clearTimeout(timer);
  for (const connection of [...state.connections]) connection.terminate();
  for (const socket of state.handshaking) socket.destroy();
  server.closeAllConnections();
  await serverClosed;
}
