import { EventEmitter } from 'node:events';
import { WebSocket, type RawData } from '../wire/ws.js';
import { AuthError, ConnectionError, PermanentConnectionError } from '../errors.js';
import { formatDuration } from '../format/duration.js';
import { displayUrl } from '../format/url.js';
import { PlainEventFrame, type EventMessage, type ServerKind, type StreamMessage } from '../feed/messages.js';
import { closeReasonText, describeAuthFailure, describeClose, isPermanentStatus } from './close-reasons.js';
import type { Connection } from './connection-state.js';
import { decodeFrame } from './frame-decoder.js';
import { joinHeldEvents } from './history-join.js';
import { FREEZE_MS, FrameClock, StandStillDetector } from './liveness.js';
import { describePermanentFailure } from './connect-failure.js';
import { DEFAULT_CLIENT_HINTS, type ClientHints } from './hints.js';
import type { PlainEventScan } from '../protocol/plain-event.js';
import { readTextFramesInPlace } from '../wire/frame-reader.js';
import { EVENTS_PATH, GATEWAY_PING_INTERVAL_MS, type ReplayRequest, type SubscribeMessage } from '../protocol/types.js';
import { backoffDelayMs, DEFAULT_BACKOFF } from './backoff.js';
import { DEFAULT_LIVENESS_MARGIN_MS, DEFAULT_MAX_FRAME_BYTES, DEFAULT_SERVER_DETECT_MS, type StreamClientOptions } from './stream-options.js';
import { hasCredentials } from '../credentials.js';

export { DEFAULT_LIVENESS_MARGIN_MS, DEFAULT_MAX_FRAME_BYTES, DEFAULT_SERVER_DETECT_MS, type StreamClientOptions, type Subscription } from './stream-options.js';

/**
 * A resilient subscription to one `/api/ws/events` endpoint: connects,
 * subscribes at once on every (re)connect, answers the gateway's application
 * pings, detects a dead server, reconnects with backoff, resumes from the last
 * event on `serve`, and reports gaps instead of hiding them. What the server
 * sends comes out as `message` events (`StreamMessage`).
 */

/** How many times per liveness limit the silence is checked (see armLiveness). */
const LIVENESS_CHECKS = 4;
/** How long stop() waits for the server's close reply before dropping the socket. */
const CLOSE_TIMEOUT_MS = 1000;
/** Bound on events held back before the first ack (see Connection.held). */
const MAX_HELD_EVENTS = 10_000;

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
  /** Notices when this process itself stood still: frames read right after are a backlog, not signs of life. */
  private readonly standStill: StandStillDetector | undefined;
  private readonly frameClock: FrameClock;
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
    this.standStill = options.standStillMs === false ? undefined : new StandStillDetector(options.monotonicMs, options.standStillMs || FREEZE_MS);
    this.frameClock = new FrameClock(options.monotonicMs);
    this.finished.then(
      () => this.standStill?.stop(),
      () => this.standStill?.stop(),
    );
  }

  /** What the server turned out to be (known after the first connection settles). */
  get server(): ServerKind {
    return this.serverKind;
  }

  /** Opens the first connection. Messages start flowing on the next tick. */
  start(): void {
    this.standStill?.start();
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

  /**
   * When the stream last showed signs of life, as the start of an outage: the
   * last frame read; or, when this process stood still shortly before the
   * connection ended, the moment it stopped (what it read after waking up was
   * a backlog). So the outage reported covers every moment in which events
   * could have been missed, not only the reconnect.
   */
  private lastSeenMs(conn: Connection): number {
    const lastFrameMs = conn.frames > 0 ? conn.lastFrameMs : undefined;
    return this.standStill ? this.standStill.lastSeenMs(lastFrameMs, this.pingIntervalMs + this.livenessMarginMs) : (lastFrameMs ?? this.options.monotonicMs());
  }

  private onFrame(conn: Connection, data: RawData, isBinary: boolean): void {
    if (this.stopped) return;
    conn.frames++;
    conn.lastFrameMs = this.frameClock.now();
    this.standStill?.note(conn.lastFrameMs);
    if (conn.frames === 1) this.retry = 0;
    const frame = decodeFrame(data, isBinary, { maxFrameBytes: this.maxFrameBytes, passPlainEvents: this.options.passPlainEvents === true, scan: this.scan });
    if (frame.kind === 'bad') {
      this.emitMessage({ kind: 'bad-frame', reason: frame.reason });
      return;
    }
    if (frame.kind === 'event') {
      this.onEvent(conn, frame.message);
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

  /** The join of history and live (client/history-join.ts): held events the replay did not cover follow it. */
  private joinHeld(conn: Connection): void {
    const held = conn.held;
    const ids = conn.replayIds;
    conn.replayIds = undefined;
    if (held.length === 0) return;
    conn.held = [];
    for (const message of joinHeldEvents(held, ids)) this.emitEvent(message);
  }

  private onClose(conn: Connection, code: number, reason: string): void {
    this.clearTimers(conn);
    // Events held for a join that never came are not shown: serve replays them on the next connection
    // (we resume after the last event shown). Showing them now would move that point past a hole.
    if (conn.server === 'gateway' || conn.replayed) this.releaseHeld(conn);
    else conn.held = [];
    if (this.connection === conn) this.connection = undefined;
    if (this.stopped) return;
    const auth = describeAuthFailure(conn, code, reason, {
      url: this.displayUrl,
      credentialsSent: hasCredentials(this.options.headers ?? {}, this.options.apiKeyHeader),
      hints: this.hints,
    });
    if (auth !== undefined) {
      this.stopped = true;
      this.rejectFinished(new AuthError(auth));
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
    const why = describeClose(conn, code, reason);
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
}
