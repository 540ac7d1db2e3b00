import { EventEmitter } from 'node:events';
import type { Clock } from '../io/clock.js';
import type { StreamClient } from '../client/stream-client.js';
import type { StreamClientOptions } from '../client/stream-options.js';
import { sourceLabels } from '../client/url.js';
import { displayUrl } from '../format/url.js';
import type { FleetServer } from '../protocol/fleet-snapshot.js';
import type { MemberSpans } from '../protocol/plain-event.js';
import { SeenIds } from '../protocol/seen-ids.js';
import type { HangarEvent } from '../protocol/types.js';
import type { StoreReader } from '../store/store-reader.js';
import type { StoreLinesLane, StoreWindow } from '../store/store-window.js';
import type { PlainFrameLane, PlainRunLane, SourceRef, StreamMessage } from './messages.js';

/**
 * The one place that opens what `tail` and `serve --upstream` read: sockets
 * (one StreamClient per URL), the event store alone, or both joined
 * (feed/joined.ts). Whatever is open, the consumer gets one stream of
 * `(source, message)` pairs: each event once (the only de-duplication by
 * event_id), bad frames counted with the first few marked for reporting (the
 * only throttle), the fleet snapshot of an endpoint as a message, and every
 * gap and drop as the connection reported it, so a gap is worded the same
 * way whichever consumes the feed.
 */

/** What a feed says: a connection's message, or what the feed adds (the fleet snapshot, a refused credential). */
/** A PlainRunLane (feed/messages.ts) that is told the source (see Feed.setPlainLane). */
export interface FeedRunLane {
  room(): number;
  take(source: SourceRef, lines: Uint8Array, frames: number): void;
}

export type FeedMessage =
  | Exclude<StreamMessage, { kind: 'bad-frame' }>
  /** A bad frame; `report`: `each` (say it), `last` (say it, and that the rest are only counted), `none` (count it). */
  | { kind: 'bad-frame'; reason: string; report: 'each' | 'last' | 'none' }
  /** The endpoint's fleet snapshot (GET /api/mcp_servers), asked for at `requestedAtMs` once a connection's subscription was acknowledged. */
  | { kind: 'fleet'; servers: readonly FleetServer[]; requestedAtMs: number }
  | { kind: 'fleet-failed'; message: string }
  /** The endpoint refused the credential; `finished` rejects with the AuthError next. */
  | { kind: 'auth-failed'; message: string };

/** Bad frames reported per source; the last of them says the rest are only counted. */
export const MAX_BAD_FRAME_REPORTS = 20;

export interface FeedStoreOptions {
  readonly reader: StoreReader;
  /** The window read first (--since/--history, serve --history). */
  readonly window: StoreWindow;
  /** How often the store is read (following it, or keeping the resume point while live). */
  readonly intervalMs: number;
  /** The store alone: keep following it (false: read the window and end with `history-done`). Joined to sockets it always follows. */
  readonly follow: boolean;
  readonly matches?: ((event: HangarEvent) => boolean) | undefined;
  readonly serverIds?: readonly string[] | undefined;
  readonly untilSeconds?: number | undefined;
  /** The store's timers: following it alone (its poll, a locked store's backoff), or joined (the tracking poll). */
  readonly clock: Pick<Clock, 'monotonicMs' | 'setTimeout'>;
}

export interface FeedOptions {
  /** Normalised ws:// or wss:// URLs (several replicas: each event once). May be empty with a store. */
  readonly urls: readonly string[];
  /** How every socket is opened besides its URL: credentials, subscription, replay, reconnects, clocks, knobs. */
  readonly client: Omit<StreamClientOptions, 'url'>;
  /** The gateway's event store: the only source without URLs, else joined to the sockets. */
  readonly store?: FeedStoreOptions | undefined;
  /** Fetches an endpoint's fleet snapshot (by its URL); given, it arrives as a `fleet` message after each connection's first ack. */
  readonly fleetSnapshot?: ((url: string) => Promise<readonly FleetServer[]>) | undefined;
  /** Event ids remembered to drop what several sockets delivered. */
  readonly dedupeCapacity?: number;
  readonly monotonicMs: () => number;
  readonly nowMs: () => number;
}

/** Something that emits one source's messages, or tagged messages of several (the join). */
interface Runner {
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export class Feed extends EventEmitter<{ message: [SourceRef, FeedMessage] }> {
  /** The sockets, in URL order, then the store when there is one: every source that speaks. */
  readonly sources: readonly SourceRef[];
  /** The endpoints a consumer names (banners, the table header): the sockets, or the store when it is the only source. */
  readonly shownSources: readonly SourceRef[];
  /** Resolves when the feed was stopped or ended on its own (a store read to its end without follow); rejects with the first fatal error (AuthError, ConnectionError, StoreError). */
  readonly finished: Promise<void>;
  /** Made in start(): a feed of the store alone never loads the stream client (nor `ws`). */
  private clients: StreamClient[] = [];
  private plainLane: PlainFrameLane | undefined;
  private plainRun: PlainRunLane | undefined;
  private storeLines: StoreLinesLane | undefined;
  private paused = false;
  private readonly storeSource: SourceRef | undefined;
  private readonly seen: SeenIds | undefined;
  private readonly badFrames = new Map<number, number>();
  private readonly awaitingAck = new Set<number>();
  private runner: Runner | undefined;
  private failed!: (error: Error) => void;
  private ended!: () => void;
  private stopped = false;
  private storeDuplicates = () => 0;
  private ownDuplicates = 0;

  constructor(private readonly options: FeedOptions) {
    super();
    const labels = sourceLabels(options.urls);
    const sockets: SourceRef[] = options.urls.map((url, index) => ({ url: displayUrl(url), label: labels[index]!, index }));
    this.storeSource = options.store ? { url: options.store.reader.display, label: 'store', index: sockets.length } : undefined;
    this.sources = this.storeSource ? [...sockets, this.storeSource] : sockets;
    this.shownSources = sockets.length === 0 && this.storeSource ? [this.storeSource] : sockets;
    // Replicas put the same event on every socket; the join de-duplicates its own (store and sockets).
    this.seen = options.urls.length > 1 && !options.store ? new SeenIds(options.dedupeCapacity ?? 100_000) : undefined;
    this.finished = new Promise<void>((resolve, reject) => {
      this.ended = resolve;
      this.failed = reject;
    });
    this.finished.catch(() => {});
  }

  /** Events dropped because another source delivered them first (replicas, or the store and a socket). */
  get duplicates(): number {
    return this.ownDuplicates + this.storeDuplicates();
  }

  /** Opens every source. */
  async start(): Promise<void> {
    const { store, urls } = this.options;
    if (urls.length > 0) {
      const { StreamClient } = await import('../client/stream-client.js');
      this.clients = urls.map((url) => new StreamClient({ ...this.options.client, url }));
      if (this.plainLane) this.clients[0]!.setPlainLane(this.plainLane, this.plainRun);
      if (this.paused) for (const client of this.clients) client.pause();
    }
    const sockets = this.sources.slice(0, this.clients.length);
    this.clients.forEach((client, index) =>
      client.finished.catch((error: Error) => {
        if (error.name === 'AuthError') this.emitMessage(sockets[index]!, { kind: 'auth-failed', message: error.message });
        this.failed(error);
      }),
    );
    if (store && this.clients.length === 0) {
      const { StoreSource } = await import('./store-feed.js');
      const source = new StoreSource({ ...store, follow: store.follow });
      if (this.storeLines !== undefined) source.setLinesLane(this.storeLines);
      this.runner = source;
      source.on('message', (message) => this.onMessage(this.storeSource!, message));
      source.finished.then(() => this.ended(), (error: Error) => this.failed(error));
      if (!this.stopped) source.start();
    } else if (store) {
      const { JoinedSource } = await import('./joined.js');
      const joined = new JoinedSource({
        ...store,
        links: this.clients.map((client, index) => ({ client, source: sockets[index]! })),
        storeSource: this.storeSource!,
      });
      this.runner = joined;
      this.storeDuplicates = () => joined.duplicates;
      joined.on('message', (source, message) => this.onMessage(source, message));
      joined.finished.catch((error: Error) => this.failed(error));
      if (!this.stopped) joined.start();
    } else {
      this.clients.forEach((client, index) => client.on('message', (message) => this.onMessage(sockets[index]!, message)));
      if (!this.stopped) for (const client of this.clients) client.start();
    }
  }

  /**
   * Takes plain event frames by `lane` where the feed adds nothing to an
   * event (one socket, no store: no de-duplication, no join); call before
   * `start()`. Elsewhere events come as messages, as before. The store
   * alone uses `run` only: its window's batches of lines.
   */
  setPlainLane(lane: (source: SourceRef, frame: Buffer, members: MemberSpans | undefined) => boolean, run?: FeedRunLane): void {
    if (this.options.urls.length === 0 && this.storeSource !== undefined && run !== undefined) {
      // The store alone: its window's events as batches of lines (store/store-window.ts, readWindow's `lines`).
      const source = this.storeSource;
      this.storeLines = { room: () => (this.stopped ? 0 : run.room()), take: (lines, count) => run.take(source, lines, count) };
      return;
    }
    if (this.options.urls.length !== 1 || this.options.store !== undefined) return;
    const source = this.sources[0]!;
    // After stop() a frame is dropped, as onMessage drops every message (and no run is taken: its frames come one by one).
    this.plainLane = (frame, members) => this.stopped || lane(source, frame, members);
    this.plainRun = run !== undefined ? { room: () => (this.stopped ? 0 : run.room()), take: (lines, frames) => run.take(source, lines, frames) } : undefined;
  }

  pause(): void {
    this.paused = true;
    if (this.runner) this.runner.pause();
    else for (const client of this.clients) client.pause();
  }

  resume(): void {
    this.paused = false;
    if (this.runner) this.runner.resume();
    else for (const client of this.clients) client.resume();
  }

  /** Closes every source (the store reader stays open: its owner closes it); `finished` then resolves. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.runner?.stop();
    await Promise.all(this.clients.map((client) => client.stop()));
    this.ended();
  }

  private onMessage(source: SourceRef, message: StreamMessage): void {
    if (this.stopped) return;
    switch (message.kind) {
      case 'event':
        if (this.seen !== undefined) {
          const id = message.id;
          if (id !== undefined && !this.seen.add(id)) {
            this.ownDuplicates++;
            return;
          }
        }
        this.emit('message', source, message);
        return;
      case 'bad-frame': {
        // A server spewing garbage must not bury a terminal or a log: the first few are said, all are counted.
        const n = (this.badFrames.get(source.index) ?? 0) + 1;
        this.badFrames.set(source.index, n);
        const report = n < MAX_BAD_FRAME_REPORTS ? 'each' : n === MAX_BAD_FRAME_REPORTS ? 'last' : 'none';
        this.emit('message', source, { kind: 'bad-frame', reason: message.reason, report });
        return;
      }
      case 'open':
        this.awaitingAck.add(source.index);
        this.emit('message', source, message);
        return;
      case 'subscribed':
        this.emit('message', source, message);
        // The snapshot is asked for once the subscription is in place (the first ack after each
        // connect), so nothing between the snapshot and the stream is missed.
        if (this.awaitingAck.delete(source.index)) this.fetchFleet(source);
        return;
      default:
        this.emit('message', source, message);
    }
  }

  private fetchFleet(source: SourceRef): void {
    const fetch = this.options.fleetSnapshot;
    const url = this.options.urls[source.index];
    if (fetch === undefined || url === undefined) return;
    const requestedAtMs = this.options.nowMs();
    fetch(url).then(
      (servers) => this.emitMessage(source, { kind: 'fleet', servers, requestedAtMs }),
      (error: Error) => this.emitMessage(source, { kind: 'fleet-failed', message: error.message }),
    );
  }

  private emitMessage(source: SourceRef, message: FeedMessage): void {
    if (!this.stopped) this.emit('message', source, message);
  }
}

/** Opens a feed on the URLs and/or the store; call `start()` once listening to `message`. */
export function openFeed(options: FeedOptions): Feed {
  return new Feed(options);
}
