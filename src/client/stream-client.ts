import { EventEmitter } from 'node:events';
import { WebSocket, type RawData } from '../wire/ws.js';
import { AuthError, ConnectionError, PermanentConnectionError } from '../errors.js';
import { formatDuration } from '../format/duration.js';
import { displayUrl } from '../format/url.js';
import { PlainEventFrame, type PlainFrameLane, type PlainRunLane, type ServerKind, type StreamMessage } from '../feed/messages.js';
import { systemClock, type Clock, type Timer } from '../io/clock.js';
import { closeReasonText, describeAuthFailure, describeClose, isPermanentStatus } from './close-reasons.js';
import type { Connection } from './connection-state.js';
import { decodeFrame } from './frame-decoder.js';
import { HistoryJoin } from './history-join.js';
import { FREEZE_MS, FrameClock, StandStillDetector } from './liveness.js';
import { describePermanentFailure } from './connect-failure.js';
import { DEFAULT_CLIENT_HINTS, type ClientHints } from './hints.js';
import { createMemberSpans, scanPlainEvent, type PlainEventScan } from '../protocol/plain-event.js';
import { readTextFramesInPlace } from '../wire/frame-reader.js';
import { DEFAULT_MAX_FRAME_BYTES, EVENTS_PATH, GATEWAY_PING_INTERVAL_MS } from '../protocol/types.js';
import { backoffDelayMs, DEFAULT_BACKOFF } from './backoff.js';
import { DEFAULT_LIVENESS_MARGIN_MS, DEFAULT_SERVER_DETECT_MS, type StreamClientOptions } from './stream-options.js';
import { hasCredentials } from '../credentials.js';


/**
 * A resilient subscription to one `/api/ws/events` endpoint: connects,
 * subscribes at once on every (re)connect, answers the gateway's application
 * pings, detects a dead server, reconnects with backoff. What the stream
 * means (serve or a gateway, the history/live join, resuming after the last
 * event, gaps) is the HistoryJoin's (history-join.ts): this class feeds it the
 * socket's frames and closes. What the server sends comes out as `message`
 * events (`StreamMessage`).
 */

/** How many times per liveness limit the silence is checked (see armLiveness). */
const LIVENESS_CHECKS = 4;
/** How long stop() waits for the server's close reply before dropping the socket. */
const CLOSE_TIMEOUT_MS = 1000;

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
  /** What the stream means: serve or gateway, the join of history and live, resume points, gaps. */
  private readonly join: HistoryJoin;
  /** Timers (liveness, reconnect, stop): the injected clock's, Node's by default. */
  private readonly clock: Pick<Clock, 'setTimeout' | 'setInterval'>;
  /** Notices when this process itself stood still: frames read right after are a backlog, not signs of life. */
  private readonly standStill: StandStillDetector | undefined;
  private readonly frameClock: FrameClock;
  private retryTimer: Timer | undefined;
  private readonly pingIntervalMs: number;
  private readonly livenessMarginMs: number;
  private readonly maxFrameBytes: number;
  /** Where scanPlainEvent found the last frame's event_id (reused). */
  private readonly scan: PlainEventScan;
  private lane: PlainFrameLane | undefined;
  /** Where runs of plain frames go as NDJSON lines (with the lane; only where the lane writes frames as lines). */
  private laneRun: PlainRunLane | undefined;

  constructor(private readonly options: StreamClientOptions) {
    super();
    this.displayUrl = displayUrl(options.url);
    this.hints = options.hints ?? DEFAULT_CLIENT_HINTS;
    this.pingIntervalMs = options.pingIntervalMs ?? GATEWAY_PING_INTERVAL_MS;
    this.livenessMarginMs = options.livenessMarginMs ?? DEFAULT_LIVENESS_MARGIN_MS;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    // The scanner's own record when it has one (the WebAssembly scanner records the spans in its memory, read in place).
    this.scan =
      options.recordMembers === true
        ? { idStart: -1, idEnd: -1, members: options.plainScanner?.createMemberSpans() ?? createMemberSpans() }
        : { idStart: -1, idEnd: -1 };
    this.finished = new Promise<void>((resolve, reject) => {
      this.resolveFinished = resolve;
      this.rejectFinished = reject;
    });
    // The owner observes `finished`; never let it surface as an unhandled rejection.
    this.finished.catch(() => {});
    this.clock = options.clock ?? systemClock();
    this.join = new HistoryJoin({
      subscription: options.subscription,
      initialReplay: options.initialReplay,
      serverDetectMs: options.serverDetectMs ?? DEFAULT_SERVER_DETECT_MS,
      clock: { now: options.nowMs, monotonicMs: options.monotonicMs, setTimeout: (callback, ms) => this.clock.setTimeout(callback, ms) },
      emit: (message) => this.emitMessage(message),
    });
    this.standStill = options.standStillMs === false ? undefined : new StandStillDetector(options.monotonicMs, options.standStillMs || FREEZE_MS, this.clock);
    this.frameClock = new FrameClock(options.monotonicMs);
    this.finished.then(
      () => this.standStill?.stop(),
      () => this.standStill?.stop(),
    );
  }

  /** What the server turned out to be (known after the first connection settles). */
  get server(): ServerKind {
    return this.join.server;
  }

  /**
   * Hands the plain event frames that are shown at once to `lane` instead of
   * emitting a message for each (with passPlainEvents; a frame the lane
   * refuses, or one held for the history join, is a message as before).
   */
  setPlainLane(lane: PlainFrameLane | undefined, run?: PlainRunLane): void {
    this.lane = lane;
    this.laneRun = lane !== undefined ? run : undefined;
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
    this.join.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const conn = this.connection;
    if (!conn || !conn.opened) return;
    conn.ws.resume();
    this.armLiveness(conn);
    this.join.resume();
  }

  /**
   * Closes the connection for good; resolves once the socket is closed: true
   * when the close handshake completed, false when the socket was dropped
   * (not open yet, or no close reply within CLOSE_TIMEOUT_MS).
   */
  stop(): Promise<boolean> {
    if (this.stopped) return this.finished.then(() => false, () => false);
    this.stopped = true;
    this.retryTimer?.cancel();
    const conn = this.connection;
    this.resolveFinished();
    if (!conn || conn.ws.readyState === WebSocket.CLOSED) return Promise.resolve(false);
    this.clearTimers(conn);
    this.join.pause();
    return new Promise<boolean>((resolve) => {
      const force = this.clock
        .setTimeout(() => {
          conn.ws.terminate();
          resolve(false);
        }, CLOSE_TIMEOUT_MS)
        .unref();
      // 1006: the socket closed without a close frame from the server.
      conn.ws.once('close', (code) => {
        force.cancel();
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
      handshakeStatus: undefined,
      handshakeLocation: undefined,
      lastError: undefined,
      deadReason: undefined,
      livenessTimer: undefined,
      lastFrameMs: 0,
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

  private onOpen(conn: Connection): void {
    if (this.stopped) {
      conn.ws.close(1000, 'client done');
      return;
    }
    conn.opened = true;
    // Text frames are read from the socket's chunks in place (wire/frame-reader.ts); ws still handles everything else.
    // Runs of plain frames go to the lane's run in one piece, where the scanner and the lane take runs (tail -o ndjson).
    const runs = this.options.passPlainEvents === true && this.options.plainScanner?.run !== undefined;
    readTextFramesInPlace(
      conn.ws,
      (payload, read) => this.onText(conn, payload, read),
      runs ? (data, at, maxPayload) => this.onRun(conn, data, at, maxPayload) : undefined,
    );
    if (this.paused) conn.ws.pause();
    // The join announces the connection and says what to send at once (the subscribe with its history request, the probe).
    for (const subscribe of this.join.open(this.attempts, this.paused)) this.send(conn, JSON.stringify(subscribe));
    if (!this.paused) this.armLiveness(conn);
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
    conn.livenessTimer?.cancel();
    const limitMs = this.pingIntervalMs + this.livenessMarginMs;
    let seenFrames = conn.frames;
    let silentChecks = 0;
    conn.livenessTimer = this.clock.setInterval(() => {
      if (conn.frames !== seenFrames) {
        seenFrames = conn.frames;
        silentChecks = 0;
        return;
      }
      if (++silentChecks < LIVENESS_CHECKS) return;
      conn.livenessTimer?.cancel();
      conn.livenessTimer = undefined;
      conn.deadReason = `no message or ping from the server for ${formatDuration(limitMs)}`;
      conn.ws.terminate();
    }, limitMs / LIVENESS_CHECKS);
  }

  private clearTimers(conn: Connection): void {
    conn.livenessTimer?.cancel();
    conn.livenessTimer = undefined;
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

  /**
   * A text frame read in place: a plain event frame is scanned once and,
   * when shown at once, goes to the lane (no message, no emit), else on as a
   * PlainEventFrame; anything else is decoded as a frame from ws would be.
   */
  private onText(conn: Connection, payload: Buffer, read: Buffer): void {
    if (this.stopped) return;
    const scan = this.scan;
    const scanner = this.options.plainScanner;
    if (
      this.options.passPlainEvents !== true ||
      payload.length > this.maxFrameBytes ||
      // The reader made `payload` as a view of `read` (wire/frame-reader.ts).
      !(scanner !== undefined ? scanner.scanView(payload, read, scan) : scanPlainEvent(payload, scan))
    ) {
      this.onFrame(conn, payload, false, false);
      return;
    }
    this.noteFrame(conn);
    if (this.lane !== undefined && this.join.live && this.lane(payload, scan.members)) this.join.shownFrame(payload, scan.idStart, scan.idEnd);
    else this.join.event(new PlainEventFrame(payload, scan.idStart, scan.idEnd, scan.members));
  }

  /**
   * A run of frames read in place, offered before each frame: when the lane
   * takes runs now, the scanner takes the plain event frames from `at` on
   * (wasm: the scan and the lines in one call, no Buffer per frame) and the
   * lane writes their lines at once. Returns where the run ended; the frame it
   * stopped at is read as before.
   */
  private onRun(conn: Connection, data: Buffer, at: number, maxPayload: number): number {
    const laneRun = this.laneRun;
    if (this.stopped || laneRun === undefined || !this.join.live) return at;
    const room = laneRun.room();
    if (room <= 0) return at;
    const run = this.options.plainScanner!.run!(data, at, Math.min(maxPayload, this.maxFrameBytes), room);
    if (run.frames === 0) return at;
    this.noteFrame(conn, run.frames);
    laneRun.take(run.lines, run.frames);
    if (run.idStart >= 0) this.join.shownFrame(data, run.idStart, run.idEnd);
    return run.end;
  }

  private noteFrame(conn: Connection, frames = 1): void {
    const first = conn.frames === 0;
    conn.frames += frames;
    conn.lastFrameMs = this.frameClock.now();
    this.standStill?.note(conn.lastFrameMs);
    if (first) this.retry = 0;
  }

  /** `mayBePlain`: false for a frame onText found not plain (it is not scanned again). */
  private onFrame(conn: Connection, data: RawData, isBinary: boolean, mayBePlain = true): void {
    if (this.stopped) return;
    this.noteFrame(conn);
    const passPlainEvents = mayBePlain && this.options.passPlainEvents === true;
    const frame = decodeFrame(data, isBinary, { maxFrameBytes: this.maxFrameBytes, passPlainEvents, scan: this.scan });
    if (frame.kind === 'bad') {
      this.emitMessage({ kind: 'bad-frame', reason: frame.reason });
      return;
    }
    if (frame.kind === 'event') {
      this.join.event(frame.message);
      return;
    }
    const message = frame.message;
    switch (message.type) {
      case 'ping':
        this.answerPing(conn);
        return;
      case 'subscribed':
        this.join.ack(message);
        return;
      case 'warning':
        this.emitMessage({ kind: 'warning', warning: message });
        return;
      case 'replayed':
        this.join.replayed(message);
        return;
      case 'error':
        this.emitMessage({ kind: 'server-error', code: message.code, message: message.message });
        return;
      default: {
        const exhaustive: never = message;
        return exhaustive;
      }
    }
  }

  private onClose(conn: Connection, code: number, reason: string): void {
    this.clearTimers(conn);
    // The join lets go of the connection: what it held, and where the outage (if one starts) began.
    if (conn.opened) this.join.close(() => this.lastSeenMs(conn));
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
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delayMs);
  }
}
