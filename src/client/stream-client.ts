import { isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { WebSocket, type RawData } from '../wire/ws.js';
import { AuthError, ConnectionError, PermanentConnectionError } from '../errors.js';
import { formatDuration } from '../format/duration.js';
import { displayUrl } from '../format/url.js';
import { PlainEventFrame, type EventMessage, type ServerKind, type StreamMessage } from '../feed/messages.js';
import { describeSocketError } from './close-reasons.js';
import { describePermanentFailure } from './connect-failure.js';
import { DEFAULT_CLIENT_HINTS, type ClientHints } from './hints.js';
import { decodeServerFrame } from '../protocol/decode.js';
import { scanPlainEvent, type PlainEventScan } from '../protocol/plain-event.js';
import { stripControl } from '../protocol/sanitize.js';
import { readTextFramesInPlace } from '../wire/frame-reader.js';
import {
  EVENTS_PATH,
  GATEWAY_PING_INTERVAL_MS,
  GATEWAY_PONG_TIMEOUT_MS,
  type HangarEvent,
  type ReplayFilter,
  type ReplayRequest,
  type SubscribeMessage,
  type WarningMessage,
} from '../protocol/types.js';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { hasCredentials } from '../credentials.js';

/**
 * A resilient subscription to one `/api/ws/events` endpoint: connects,
 * subscribes at once on every (re)connect, answers the gateway's application
 * pings, detects a dead server, reconnects with backoff, resumes from the last
 * event on `serve`, and reports gaps instead of hiding them. What the server
 * sends comes out as `message` events (`StreamMessage`).
 */

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
  /** Monotonic clock (ms), for how long the stream was down. */
  readonly monotonicMs: () => number;
  /** Wall clock (ms since epoch), for `replay.since`. */
  readonly nowMs: () => number;
  readonly random?: () => number;
}

export const DEFAULT_LIVENESS_MARGIN_MS = GATEWAY_PONG_TIMEOUT_MS + 5_000;
/** Fallback only: serve and a gateway are told apart at the first ack; this is for a server that never acks. */
export const DEFAULT_SERVER_DETECT_MS = 10_000;
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
/** How many times per liveness limit the silence is checked (see armLiveness). */
const LIVENESS_CHECKS = 4;
/** How long stop() waits for the server's close reply before dropping the socket. */
const CLOSE_TIMEOUT_MS = 1000;
/** Bound on events held back before the first ack (see Connection.held). */
const MAX_HELD_EVENTS = 10_000;
/** The freeze detector ticks this often; a tick this late means the process stood still (see StreamClient.freeze). */
const TICK_MS = 1_000;
const FREEZE_MS = 3_000;

interface Connection {
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

export class StreamClient extends EventEmitter<{ message: [StreamMessage] }> {
  readonly displayUrl: string;
  private readonly hints: ClientHints;
  /** Resolves when stopped; rejects with AuthError or ConnectionError when the client gives up. */
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private rejectFinished!: (error: Error) => void;
  private connection: Connection | undefined;
  private stopped = false;
  private paused = false;
  private attempts = 0;
  private retry = 0;
  private everOpened = false;
  private serverKind: ServerKind = 'unknown';
  /** The last event shown that has an event_id (its id is what a reconnect resumes after). */
  private lastIdEvent: EventMessage | undefined;
  /** The serve run the last acknowledged connection talked to. */
  private serverInstance: string | undefined;
  /**
   * The last time this process itself stood still (SIGSTOP, a suspended
   * laptop, a debugger): found by a ticking timer that fired far too late.
   * Frames read right after such a stop are a backlog, not signs of life.
   */
  private freeze: { startMs: number; endMs: number } | undefined;
  private tickMs = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  private previousOpenWallMs: number | undefined;
  private downSinceMs: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly pingIntervalMs: number;
  private readonly livenessMarginMs: number;
  private readonly serverDetectMs: number;
  private readonly maxFrameBytes: number;
  /** Where scanPlainEvent found the last frame's event_id (reused). */
  private readonly scan: PlainEventScan = { idStart: -1, idEnd: -1 };

  constructor(private readonly options: StreamClientOptions) {
    super();
    this.displayUrl = displayUrl(options.url);
    this.hints = options.hints ?? DEFAULT_CLIENT_HINTS;
    this.pingIntervalMs = options.pingIntervalMs ?? GATEWAY_PING_INTERVAL_MS;
    this.livenessMarginMs = options.livenessMarginMs ?? DEFAULT_LIVENESS_MARGIN_MS;
    this.serverDetectMs = options.serverDetectMs ?? DEFAULT_SERVER_DETECT_MS;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.finished = new Promise<void>((resolve, reject) => {
      this.resolveFinished = resolve;
      this.rejectFinished = reject;
    });
    // The owner observes `finished`; never let it surface as an unhandled rejection.
    this.finished.catch(() => {});
    this.finished.then(
      () => clearInterval(this.tickTimer),
      () => clearInterval(this.tickTimer),
    );
  }

  /** What the server turned out to be (known after the first connection settles). */
  get server(): ServerKind {
    return this.serverKind;
  }

  /** Opens the first connection. Messages start flowing on the next tick. */
  start(): void {
    this.startTicks();
    this.connect();
  }

  /** Stops reading the socket (backpressure); the server's queue fills instead of our memory. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    const conn = this.connection;
    if (!conn) return;
    if (conn.opened) conn.ws.pause();
    this.clearTimers(conn);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const conn = this.connection;
    if (!conn || !conn.opened) return;
    conn.ws.resume();
    this.armLiveness(conn);
    if (conn.server === 'unknown') this.armDetection(conn);
  }

  /**
   * Closes the connection for good; resolves once the socket is closed: true
   * when the close handshake completed, false when the socket was dropped
   * (not open yet, or no close reply within CLOSE_TIMEOUT_MS).
   */
  stop(): Promise<boolean> {
    if (this.stopped) return this.finished.then(() => false, () => false);
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const conn = this.connection;
    this.resolveFinished();
    if (!conn || conn.ws.readyState === WebSocket.CLOSED) return Promise.resolve(false);
    this.clearTimers(conn);
    return new Promise<boolean>((resolve) => {
      const force = setTimeout(() => {
        conn.ws.terminate();
        resolve(false);
      }, CLOSE_TIMEOUT_MS);
      force.unref();
      // 1006: the socket closed without a close frame from the server.
      conn.ws.once('close', (code) => {
        clearTimeout(force);
        resolve(code !== 1006);
      });
      if (conn.ws.readyState !== WebSocket.OPEN) {
        conn.ws.terminate();
        return;
      }
      conn.ws.close(1000, 'client done');
      // A socket paused for backpressure would never read the close reply (it waits behind
      // unread events): read on, discarding frames (onFrame ignores them once stopped).
      if (this.paused) conn.ws.resume();
    });
  }

  private emitMessage(message: StreamMessage): void {
    if (this.stopped) return;
    this.emit('message', message);
  }

  private connect(): void {
    if (this.stopped) return;
    this.attempts++;
    this.emitMessage({ kind: 'connecting', attempt: this.attempts });
    const ws = new WebSocket(this.options.url, {
      headers: { ...(this.options.headers ?? {}) },
      ...(this.options.ca !== undefined ? { ca: this.options.ca } : {}),
      rejectUnauthorized: !this.options.insecure,
      perMessageDeflate: false,
      followRedirects: false,
      handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000,
      // Oversized frames are reported and skipped by us, not fatal in ws.
      maxPayload: Math.max(this.maxFrameBytes * 16, 64 * 1024 * 1024),
      // Invalid UTF-8 in a text frame is reported and skipped by us (onFrame), instead of ws closing with 1007.
      skipUTF8Validation: true,
    });
    const conn: Connection = {
      ws,
      opened: false,
      frames: 0,
      acks: 0,
      server: 'unknown',
      handshakeStatus: undefined,
      handshakeLocation: undefined,
      lastError: undefined,
      deadReason: undefined,
      livenessTimer: undefined,
      detectTimer: undefined,
      gapPending: undefined,
      instanceId: undefined,
      restarted: false,
      replayed: false,
      replayIds: undefined,
      earlyIds: undefined,
      lastFrameMs: 0,
      askedHistory: false,
      held: [],
      openedWallMs: 0,
      pongInFlight: false,
    };
    this.connection = conn;
    ws.on('unexpected-response', (_req, res) => {
      conn.handshakeStatus = res.statusCode;
      const location = res.headers.location;
      conn.handshakeLocation = typeof location === 'string' ? location : undefined;
      res.resume();
      ws.terminate();
    });
    ws.on('error', (error) => {
      conn.lastError = error;
    });
    ws.on('open', () => this.onOpen(conn));
    ws.on('message', (data, isBinary) => this.onFrame(conn, data, isBinary));
    // The close reason is the peer's text: sanitised once here, so no message built from it can carry escapes.
    ws.on('close', (code, reason) => this.onClose(conn, code, closeReasonText(reason)));
  }

  private subscribeMessage(replay: ReplayRequest | undefined): SubscribeMessage {
    const message: SubscribeMessage = { type: 'subscribe' };
    const { eventTypes, serverIds } = this.options.subscription;
    // An empty list would match nothing on a gateway: callers pass undefined to omit a key.
    if (eventTypes !== undefined) message.event_types = [...eventTypes];
    if (serverIds !== undefined) message.mcp_server_ids = [...serverIds];
    const replayServerIds = this.options.subscription.replayServerIds;
    const realReplay = replay !== undefined && !('last' in replay && replay.last === 0);
    if (serverIds === undefined && replayServerIds !== undefined && realReplay && this.serverKind !== 'gateway') {
      message.mcp_server_ids = [...replayServerIds];
    }
    const replayFilter = this.options.subscription.replayFilter;
    if (replayFilter !== undefined && realReplay && this.serverKind !== 'gateway') message.replay_filter = replayFilter;
    if (replay) message.replay = replay;
    return message;
  }

  private replayForThisConnection(conn: Connection): ReplayRequest {
    if (!this.everOpened) {
      if (this.options.initialReplay) {
        conn.askedHistory = true;
        return this.options.initialReplay;
      }
      // Harmless everywhere: serve answers `replayed` (which tells us it is serve), a gateway ignores it.
      return { last: 0 };
    }
    // Naming the run the id was seen on lets a restarted serve tell that the id is from an earlier run.
    const lastEventId = this.lastIdEvent?.id;
    if (lastEventId !== undefined) return this.serverInstance !== undefined ? { after: lastEventId, instance_id: this.serverInstance } : { after: lastEventId };
    return { since: (this.previousOpenWallMs ?? this.options.nowMs()) / 1000 };
  }

  private onOpen(conn: Connection): void {
    if (this.stopped) {
      conn.ws.close(1000, 'client done');
      return;
    }
    conn.opened = true;
    // Text frames are read from the socket's chunks in place (wire/frame-reader.ts); ws still handles everything else.
    readTextFramesInPlace(conn.ws, (payload) => this.onFrame(conn, payload, false));
    conn.openedWallMs = this.options.nowMs();
    const reconnected = this.everOpened;
    const replay = this.replayForThisConnection(conn);
    // Subscribe at once: a gateway does not attach the connection to its bus
    // for 5 s otherwise. The second, identical subscribe is a probe: serve
    // acknowledges it, a gateway (which acks only the first) does not.
    this.send(conn, JSON.stringify(this.subscribeMessage(replay)));
    this.send(conn, JSON.stringify(this.subscribeMessage(undefined)));
    if (reconnected && this.downSinceMs !== undefined) {
      conn.gapPending = { downSinceMs: this.downSinceMs };
      this.downSinceMs = undefined;
    }
    this.everOpened = true;
    this.previousOpenWallMs = conn.openedWallMs;
    if (this.paused) conn.ws.pause();
    this.emitMessage({ kind: 'open', attempt: this.attempts, server: this.serverKind });
    if (!this.paused) {
      this.armLiveness(conn);
      this.armDetection(conn);
    }
    // A server already known as a gateway cannot fill the gap: say so at once.
    if (conn.gapPending && this.serverKind === 'gateway') this.settleGapAsGateway(conn);
  }

  /**
   * At most one pong is outstanding: a server that pings nonstop and never
   * reads would otherwise grow our send buffer without bound (one queued pong
   * per ping). While a pong has not left the process, further pings are
   * answered by it; one pong tells the server we are alive as well as ten.
   */
  private answerPing(conn: Connection): void {
    if (conn.pongInFlight || conn.ws.readyState !== WebSocket.OPEN) return;
    conn.pongInFlight = true;
    conn.ws.send('{"type":"pong"}', (error) => {
      conn.pongInFlight = false;
      if (error) conn.lastError = error;
    });
  }

  private send(conn: Connection, text: string): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    conn.ws.send(text, (error) => {
      if (error) conn.lastError = error;
    });
  }

  /**
   * Declares the connection dead after limitMs without a frame. Frames only
   * bump a counter (no timer work per frame); a timer looks at the counter
   * every quarter of the limit, so silence is caught after 1 to 1.25 limits.
   */
  private armLiveness(conn: Connection): void {
    if (conn.livenessTimer) clearInterval(conn.livenessTimer);
    const limitMs = this.pingIntervalMs + this.livenessMarginMs;
    let seenFrames = conn.frames;
    let silentChecks = 0;
    conn.livenessTimer = setInterval(() => {
      if (conn.frames !== seenFrames) {
        seenFrames = conn.frames;
        silentChecks = 0;
        return;
      }
      if (++silentChecks < LIVENESS_CHECKS) return;
      clearInterval(conn.livenessTimer);
      conn.livenessTimer = undefined;
      conn.deadReason = `no message or ping from the server for ${formatDuration(limitMs)}`;
      conn.ws.terminate();
    }, limitMs / LIVENESS_CHECKS);
  }

  private armDetection(conn: Connection): void {
    if (conn.server !== 'unknown') return;
    if (conn.detectTimer) clearTimeout(conn.detectTimer);
    conn.detectTimer = setTimeout(() => {
      conn.detectTimer = undefined;
      this.markServer(conn, 'gateway');
    }, this.serverDetectMs);
  }

  private clearTimers(conn: Connection): void {
    if (conn.livenessTimer) clearInterval(conn.livenessTimer);
    if (conn.detectTimer) clearTimeout(conn.detectTimer);
    conn.livenessTimer = undefined;
    conn.detectTimer = undefined;
  }

  private markServer(conn: Connection, server: 'serve' | 'gateway'): void {
    if (conn.server !== 'unknown') return;
    conn.server = server;
    if (conn.detectTimer) clearTimeout(conn.detectTimer);
    conn.detectTimer = undefined;
    const changed = this.serverKind !== server;
    this.serverKind = server;
    if (changed) this.emitMessage({ kind: 'server-kind', server });
    if (server === 'gateway') {
      this.releaseHeld(conn);
      if (conn.askedHistory) this.emitMessage({ kind: 'no-history' });
      if (conn.gapPending) this.settleGapAsGateway(conn);
    }
  }

  private settleGapAsGateway(conn: Connection): void {
    this.settleGap(conn, 'the server keeps no history, so events published while the stream was down are lost');
  }

  /**
   * Reports the pending gap of `conn` (once): from the last event or frame seen
   * before the outage to now, just before the first event after it.
   */
  private settleGap(conn: Connection, reason: string): void {
    const pending = conn.gapPending;
    if (!pending) return;
    conn.gapPending = undefined;
    this.emitMessage({ kind: 'gap', downForMs: Math.max(0, this.options.monotonicMs() - pending.downSinceMs), reason });
  }

  /**
   * The first ack tells what the server is: serve names its run
   * (`instance_id`), a gateway does not. Knowing at once (not after a timer)
   * is what lets a connection that lives only a second still settle its gap.
   */
  private onFirstAck(conn: Connection, instanceId: string | undefined): void {
    if (instanceId === undefined) {
      this.markServer(conn, 'gateway');
      return;
    }
    conn.instanceId = instanceId;
    conn.restarted = this.serverInstance !== undefined && instanceId !== this.serverInstance;
    this.serverInstance = instanceId;
    this.markServer(conn, 'serve');
    // A new run's history is not the one we resumed from: whatever the old run published after our last event is gone.
    if (conn.restarted) this.settleGap(conn, 'the server restarted (a new run, with a new history): events published before the restart may have been missed');
  }

  /** Starts the ticking that notices when this process stood still (see `freeze`). */
  private startTicks(): void {
    if (this.options.standStillMs === false) return;
    this.tickMs = this.options.monotonicMs();
    this.tickTimer = setInterval(() => {
      const now = this.options.monotonicMs();
      this.noteFreeze(now);
      this.tickMs = now;
    }, TICK_MS);
    this.tickTimer.unref();
  }

  /**
   * Records a stand-still when the ticker is overdue. Also called for frames
   * and closes: after SIGCONT the backlog of socket reads and the close are
   * handled before the late tick fires, so the tick alone would notice too late.
   */
  private noteFreeze(now: number): void {
    if (this.tickTimer !== undefined && now - this.tickMs > (this.options.standStillMs || FREEZE_MS)) this.freeze = { startMs: this.tickMs, endMs: now };
  }

  /**
   * When the stream last showed signs of life, as the start of an outage: the
   * last frame read; or, when this process stood still shortly before the
   * connection ended, the moment it stopped (what it read after waking up was
   * a backlog). So the outage reported covers every moment in which events
   * could have been missed, not only the reconnect.
   */
  private lastSeenMs(conn: Connection): number {
    const now = this.options.monotonicMs();
    this.noteFreeze(now);
    let seen = conn.frames > 0 ? conn.lastFrameMs : now;
    const freeze = this.freeze;
    if (freeze && now - freeze.endMs <= this.pingIntervalMs + this.livenessMarginMs) seen = Math.min(seen, freeze.startMs);
    return seen;
  }

  /**
   * The monotonic clock for frames, read once per run of frames handled
   * together (ws hands over every frame of a socket read in one go): the
   * frames of one read arrived at the same moment, and reading the clock per
   * frame cost 5% of the NDJSON path.
   */
  private frameClock(): number {
    if (!this.frameClockFresh) {
      this.frameClockMs = this.options.monotonicMs();
      this.frameClockFresh = true;
      queueMicrotask(this.expireFrameClock);
    }
    return this.frameClockMs;
  }

  private frameClockMs = 0;
  private frameClockFresh = false;
  private readonly expireFrameClock = (): void => {
    this.frameClockFresh = false;
  };

  private onFrame(conn: Connection, data: RawData, isBinary: boolean): void {
    if (this.stopped) return;
    conn.frames++;
    conn.lastFrameMs = this.frameClock();
    this.noteFreeze(conn.lastFrameMs);
    if (conn.frames === 1) this.retry = 0;
    const size = rawSize(data);
    if (isBinary) {
      this.emitMessage({ kind: 'bad-frame', reason: `binary frame of ${size} bytes (expected JSON text)` });
      return;
    }
    if (size > this.maxFrameBytes) {
      this.emitMessage({ kind: 'bad-frame', reason: `frame of ${size} bytes is larger than the ${this.maxFrameBytes}-byte limit` });
      return;
    }
    // The fast path: a plain event frame goes on as bytes, validated by a byte scan instead of JSON.parse.
    if (this.options.passPlainEvents === true && Buffer.isBuffer(data) && isUtf8(data) && scanPlainEvent(data, this.scan)) {
      this.onEvent(conn, new PlainEventFrame(data, this.scan.idStart, this.scan.idEnd));
      return;
    }
    if (!isUtf8Raw(data)) {
      this.emitMessage({ kind: 'bad-frame', reason: `text frame of ${size} bytes is not valid UTF-8` });
      return;
    }
    const text = rawText(data);
    const decoded = decodeServerFrame(text);
    if (!decoded.ok) {
      this.emitMessage({ kind: 'bad-frame', reason: `${decoded.error}: ${preview(text)}` });
      return;
    }
    const frame = decoded.value;
    if (frame.kind === 'event') {
      const event = frame.event;
      const id = typeof event.event_id === 'string' && event.event_id.length > 0 ? event.event_id : undefined;
      this.onEvent(conn, { kind: 'event', event, raw: text, id });
      return;
    }
    if (frame.kind === 'unknown-control') {
      this.emitMessage({ kind: 'bad-frame', reason: `unknown message type '${stripControl(frame.type).slice(0, 40)}' ignored` });
      return;
    }
    const message = frame.message;
    switch (message.type) {
      case 'ping':
        this.answerPing(conn);
        return;
      case 'subscribed':
        conn.acks++;
        if (conn.acks === 1) this.onFirstAck(conn, message.instance_id);
        if (conn.acks >= 2) {
          this.markServer(conn, 'serve');
          // serve answers the replay before the second ack; a server that acks twice without
          // it must not keep held events forever (found by hostile fuzz: they were never shown).
          if (!conn.replayed) this.joinHeld(conn);
        }
        this.emitMessage({ kind: 'subscribed', eventTypes: message.event_types, serverIds: message.mcp_server_ids });
        return;
      case 'warning':
        this.emitMessage({ kind: 'warning', warning: message });
        return;
      case 'replayed': {
        this.markServer(conn, 'serve');
        if (conn.replayed) return; // one replay per connection; a second marker is a confused server
        conn.replayed = true;
        const resumed = conn.gapPending !== undefined || conn.restarted;
        this.emitMessage({ kind: 'replayed', count: message.count, complete: message.complete, resumed, requested: conn.askedHistory, kept: message.kept });
        this.joinHeld(conn);
        if (!message.complete) this.settleGap(conn, "the server's history no longer reaches back to the last event seen (it may have restarted)");
        conn.gapPending = undefined;
        return;
      }
      case 'error':
        this.emitMessage({ kind: 'server-error', code: message.code, message: message.message });
        return;
      default: {
        const exhaustive: never = message;
        return exhaustive;
      }
    }
  }

  /** An event frame, parsed or not: held, dropped at the join, or shown. */
  private onEvent(conn: Connection, message: EventMessage): void {
    if (conn.server !== 'gateway' && !conn.replayed) {
      const id = message.id;
      if (conn.acks === 0) {
        // Before the first ack: held until the replay we asked for has been joined (see joinHeld).
        if (conn.held.length < MAX_HELD_EVENTS) {
          conn.held.push(message);
          return;
        }
        if (id !== undefined) (conn.earlyIds ??= new Set()).add(id);
      } else if (id !== undefined) {
        // Between the ack and `replayed`: history. Never show an id twice at the join.
        if (conn.earlyIds?.has(id)) return;
        if (conn.held.length > 0) (conn.replayIds ??= new Set()).add(id);
      }
    }
    this.emitEvent(message);
  }

  private emitEvent(message: EventMessage): void {
    if (message instanceof PlainEventFrame ? message.hasId : message.id !== undefined) this.lastIdEvent = message;
    this.emitMessage(message);
  }

  private releaseHeld(conn: Connection): void {
    const held = conn.held;
    if (held.length === 0) return;
    conn.held = [];
    for (const message of held) this.emitEvent(message);
  }

  /**
   * The join of history and live, whatever the latency: events that arrived
   * before the first ack were sent live before serve saw our subscribe (its
   * first-message hold had run out), so the replay that followed covers them.
   * Held events the replay repeated, and every held event older than the
   * newest one it repeated, are dropped; the rest (newer, or outside the
   * replay's filter) follow the replay in order. Each id is shown once.
   */
  private joinHeld(conn: Connection): void {
    const held = conn.held;
    const ids = conn.replayIds;
    conn.replayIds = undefined;
    if (held.length === 0) return;
    conn.held = [];
    let start = 0;
    if (ids !== undefined) {
      for (let i = held.length - 1; i >= 0; i--) {
        const id = held[i]!.id;
        if (id !== undefined && ids.has(id)) {
          start = i + 1;
          break;
        }
      }
    }
    for (let i = start; i < held.length; i++) {
      const message = held[i]!;
      const id = message.id;
      if (ids !== undefined && id !== undefined && ids.has(id)) continue;
      this.emitEvent(message);
    }
  }

  private onClose(conn: Connection, code: number, reason: string): void {
    this.clearTimers(conn);
    // Events held for a join that never came are not shown: serve replays them on the next connection
    // (we resume after the last event shown). Showing them now would move that point past a hole.
    if (conn.server === 'gateway' || conn.replayed) this.releaseHeld(conn);
    else conn.held = [];
    if (this.connection === conn) this.connection = undefined;
    if (this.stopped) return;
    const auth = this.authFailure(conn, code, reason);
    if (auth) {
      this.stopped = true;
      this.rejectFinished(auth);
      return;
    }
    const permanent = conn.opened
      ? undefined
      : describePermanentFailure({
          url: this.displayUrl,
          error: conn.lastError,
          status: conn.handshakeStatus,
          location: conn.handshakeLocation,
          caGiven: this.options.ca !== undefined,
          hints: this.hints,
        });
    if (permanent) {
      // TLS and redirects fail the same way every time: say what to do instead of retrying.
      this.stopped = true;
      this.rejectFinished(new PermanentConnectionError(`cannot connect: ${permanent}`));
      return;
    }
    const why = this.describeClose(conn, code, reason);
    // An outage lasts from the last sign of life before the first lost connection until a
    // connection that settled the gap (connections in between that settled nothing are part of it).
    if (conn.gapPending) this.downSinceMs = conn.gapPending.downSinceMs;
    else if (conn.opened && this.downSinceMs === undefined) this.downSinceMs = this.lastSeenMs(conn);
    if (conn.opened && conn.frames > 0) {
      // The stream worked; a later reconnect starts the backoff afresh.
      this.retry = 0;
    }
    if (conn.handshakeStatus !== undefined && isPermanentStatus(conn.handshakeStatus)) {
      this.stopped = true;
      const advice =
        conn.handshakeStatus === 404
          ? `either the path is wrong (the event stream is at ${EVENTS_PATH}) or the gateway has no WebSocket support installed: a gateway without a WebSocket library answers the upgrade with 404 (its log then says "No supported WebSocket library detected"). Check the URL, that GET /health answers on the same host and port, and install a WebSocket library where the gateway runs (pip install websockets, or uvicorn[standard])`
          : `check the URL (the event stream is at ${EVENTS_PATH})`;
      this.rejectFinished(new ConnectionError(`cannot connect to ${this.displayUrl}: ${why}; ${advice}`));
      return;
    }
    if (this.options.reconnect === false) {
      this.stopped = true;
      const what = conn.opened ? `lost the connection to ${this.displayUrl}` : `cannot connect to ${this.displayUrl}`;
      this.rejectFinished(new ConnectionError(`${what}: ${why} (${this.hints.noReconnect})`));
      return;
    }
    this.retry++;
    const maxRetries = this.options.maxRetries ?? Number.POSITIVE_INFINITY;
    if (this.retry > maxRetries) {
      this.stopped = true;
      this.rejectFinished(
        new ConnectionError(`cannot connect to ${this.displayUrl}: ${why}; gave up after ${maxRetries} ${maxRetries === 1 ? 'retry' : 'retries'} (${this.hints.maxRetries})`),
      );
      return;
    }
    const delayMs = backoffDelayMs(this.retry, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
    this.emitMessage({ kind: 'reconnecting', attempt: this.retry, delayMs, reason: why });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delayMs);
  }

  /** 401/403 on the upgrade, or a policy close (1008) before the server said anything. */
  private authFailure(conn: Connection, code: number, reason: string): AuthError | undefined {
    const credentials = hasCredentials(this.options.headers ?? {}, this.options.apiKeyHeader);
    const advice = credentials
      ? `the credential was refused: ${this.hints.checkKey} (and ${this.hints.bearer} if the server expects Authorization: Bearer)`
      : `no credential was sent: ${this.hints.giveKey} (add ${this.hints.bearer} for Authorization: Bearer)`;
    if (conn.handshakeStatus === 401 || conn.handshakeStatus === 403) {
      const text = conn.handshakeStatus === 401 ? 'Unauthorized' : 'Forbidden';
      return new AuthError(`authentication failed: ${this.displayUrl} answered HTTP ${conn.handshakeStatus} ${text}; ${advice}`);
    }
    if (code === 1008 && conn.frames === 0) {
      const why = reason ? ` (${reason})` : '';
      return new AuthError(
        `authentication failed: ${this.displayUrl} closed the connection with code 1008 (policy violation)${why} during the handshake; ${advice}`,
      );
    }
    return undefined;
  }

  private describeClose(conn: Connection, code: number, reason: string): string {
    if (conn.deadReason) return conn.deadReason;
    if (conn.handshakeStatus !== undefined) return `the server answered HTTP ${conn.handshakeStatus} instead of a WebSocket upgrade`;
    if (!conn.opened) return conn.lastError ? describeSocketError(conn.lastError) : 'the connection failed';
    if (code === 1006) return 'the connection dropped';
    return `the server closed the connection (code ${code}${reason ? `: ${reason}` : ''})`;
  }
}

function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

function rawSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function isUtf8Raw(data: RawData): boolean {
  if (Array.isArray(data)) return isUtf8(Buffer.concat(data));
  return isUtf8(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : data.toString('utf8');
}

/** The peer's close reason (at most 123 bytes on the wire) as safe, printable text. */
function closeReasonText(reason: Buffer): string {
  return stripControl(reason.toString('utf8')).slice(0, 120);
}

function preview(text: string): string {
  const flat = stripControl(text);
  return flat.length > 60 ? `${flat.slice(0, 60)}...` : flat;
}
