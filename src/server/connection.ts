import type { WebSocket, RawData } from 'ws';
import type { Clock, Timer } from '../io/clock.js';
import { formatDuration } from '../format/duration.js';
import { decodeClientMessage } from '../protocol/decode.js';
import type { Hub } from './hub.js';
import type { ServerLog } from './log.js';
import { wsTransport } from '../wire/ws-transport.js';
import type { DeliveryStats } from './live-event.js';
import { burstBytesFor } from './burst-writes.js';
import { Subscriber, type SubscriberLimits } from './subscriber.js';

/** How long a closing connection may take to complete the close handshake before it is dropped. */
const CLOSE_GRACE_MS = 1000;

/** Keep-alive, stall and flood settings of one connection. */
export interface ConnectionSettings {
  readonly limits: SubscriberLimits;
  /** Idle time (nothing sent) before an application `{"type":"ping"}`. */
  readonly pingIntervalMs: number;
  /** How long to wait for `{"type":"pong"}` before closing with 1000. */
  readonly pongTimeoutMs: number;
  /** A socket with unwritten data and no progress for this long is closed. */
  readonly stallTimeoutMs: number;
  /** Subscribe messages allowed in a burst, refilled at `subscribesPerSecond`. */
  readonly subscribeBurst: number;
  readonly subscribesPerSecond: number;
  readonly chaosDrop?: number;
  readonly random?: () => number;
}

/** Longest time live events wait for a client's first message (see Subscriber.hold). */
export const FIRST_MESSAGE_HOLD_MS = 250;

/**
 * One accepted WebSocket: reads client messages (subscribe, pong), answers
 * bad ones with error frames, keeps the connection alive with application
 * pings and closes it when the client stops answering or stops reading.
 * Everything it sends goes through its Subscriber, in order.
 */
export class Connection {
  readonly subscriber: Subscriber;
  readonly openedAtMs: number;
  /** Resolves once the socket has closed (any side, any reason). */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private awaitingPongSinceMs: number | undefined;
  private subscribeTokens: number;
  private tokensUpdatedMs: number;
  private rateLimitAnnounced = false;
  private holdTimer: Timer | undefined;
  private readonly monotonicMs: () => number;
  private closing = false;

  constructor(
    readonly id: number,
    readonly remote: string,
    private readonly ws: WebSocket,
    private readonly hub: Hub,
    stats: DeliveryStats,
    private readonly settings: ConnectionSettings,
    private readonly log: ServerLog,
    clock: Pick<Clock, 'monotonicMs' | 'setTimeout'>,
    onClosed: (connection: Connection, code: number, reason: string) => void,
  ) {
    const monotonicMs = () => clock.monotonicMs();
    this.monotonicMs = monotonicMs;
    this.openedAtMs = monotonicMs();
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.subscribeTokens = settings.subscribeBurst;
    this.tokensUpdatedMs = this.openedAtMs;
    this.subscriber = new Subscriber({
      transport: wsTransport(ws),
      limits: settings.limits,
      stats,
      monotonicMs,
      chaosDrop: settings.chaosDrop,
      random: settings.random,
      burstBytes: () => burstBytesFor(hub.subscriberCount),
      hooks: {
        onDropEpisode: (s) =>
          log.warn(`client #${id} is reading slower than events arrive: dropping its oldest queued events (queue ${settings.limits.queueSize}, ${s.totalDropped} dropped so far)`, {
            event: 'drop',
            client: id,
            total_dropped: s.totalDropped,
          }),
        onControlOverflow: () => this.close(1008, 'client sends but does not read its replies'),
      },
    });
    ws.on('error', () => {
      // ws closes the connection itself (1002/1007/1009); the close handler logs it.
    });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', (code, reason) => {
      this.closing = true;
      this.holdTimer?.cancel();
      this.subscriber.close();
      hub.detach(this.subscriber);
      onClosed(this, code, reason.toString('utf8'));
      this.resolveClosed();
    });
    // Events flow from the moment the connection opens, unfiltered until the first subscribe.
    // They are held (queued, not sent) until the client's first message or FIRST_MESSAGE_HOLD_MS,
    // so a first subscribe with replay joins history and live in order (found by hostile fuzz).
    this.subscriber.hold();
    this.holdTimer = clock.setTimeout(() => this.subscriber.release(), FIRST_MESSAGE_HOLD_MS);
    hub.attach(this.subscriber);
  }

  /** Bytes handed to the socket but not yet written to the OS. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Closes the connection with a WebSocket close frame (idempotent). */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.subscriber.close();
    this.hub.detach(this.subscriber);
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
      return;
    }
    // A peer that does not read never completes the close handshake; do not wait ws's 30 s for it.
    // Real time, not the injected clock: a deadline on a real socket, like ws's own, that a test's
    // stepped clock must never leave pending (unref: it does not keep a stopping process alive).
    const timer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    void this.closed.then(() => clearTimeout(timer));
  }

  /** Drops the connection without a close handshake (the peer is not reading). */
  terminate(): void {
    this.closing = true;
    this.subscriber.close();
    this.hub.detach(this.subscriber);
    this.ws.terminate();
  }

  /** Periodic check: stalled socket, unanswered ping, idle time for the next ping. */
  tick(nowMs: number): void {
    if (this.closing) return;
    if (this.subscriber.isStalled(nowMs, this.settings.stallTimeoutMs)) {
      this.log.warn(`client #${this.id} made no progress reading for ${Math.round(this.settings.stallTimeoutMs / 1000)} s: closing it`, { event: 'stalled', client: this.id });
      this.terminate();
      return;
    }
    if (this.awaitingPongSinceMs !== undefined) {
      if (nowMs - this.awaitingPongSinceMs >= this.settings.pongTimeoutMs) {
        this.log.info(`client #${this.id} did not answer ping within ${formatDuration(this.settings.pongTimeoutMs)}: closing it`, { event: 'pong_timeout', client: this.id });
        this.close(1000, 'pong timeout');
      }
      return;
    }
    if (nowMs - this.subscriber.lastSendMs >= this.settings.pingIntervalMs) {
      this.awaitingPongSinceMs = nowMs;
      this.subscriber.sendControl({ type: 'ping' });
    }
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closing) return;
    this.handleMessage(data, isBinary);
    // The first message ends the hold (a subscribe has already ended it, keeping what it wants).
    if (this.subscriber.holding) {
      this.holdTimer?.cancel();
      this.subscriber.release();
    }
  }

  private handleMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.sendError('bad_message', 'binary frames are not supported; send JSON text frames');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8');
    const decoded = decodeClientMessage(text);
    if (!decoded.ok) {
      this.sendError('bad_message', decoded.error);
      return;
    }
    const message = decoded.value;
    switch (message.type) {
      case 'pong':
        this.awaitingPongSinceMs = undefined;
        return;
      case 'subscribe': {
        if (!this.takeSubscribeToken()) {
          if (!this.rateLimitAnnounced) {
            this.rateLimitAnnounced = true;
            this.sendError('rate_limited', `too many subscribe messages: at most ${this.settings.subscribesPerSecond} per second; extra ones are ignored`);
          }
          return;
        }
        this.rateLimitAnnounced = false;
        this.hub.subscribe(this.subscriber, message);
        return;
      }
      default: {
        const unreachable: never = message;
        void unreachable;
      }
    }
  }

  private takeSubscribeToken(): boolean {
    const now = this.monotonicMs();
    const refill = ((now - this.tokensUpdatedMs) / 1000) * this.settings.subscribesPerSecond;
    this.subscribeTokens = Math.min(this.settings.subscribeBurst, this.subscribeTokens + refill);
    this.tokensUpdatedMs = now;
    if (this.subscribeTokens < 1) return false;
    this.subscribeTokens -= 1;
    return true;
  }

  private sendError(code: string, message: string): void {
    this.subscriber.sendControl({ type: 'error', code, message });
  }
}
