import { EventEmitter } from 'node:events';
import type { Clock, Timer } from '../io/clock.js';
import type { StreamMessage } from './messages.js';
import type { StreamClient } from '../client/stream-client.js';
import type { HangarEvent } from '../protocol/types.js';
import { SeenIds } from '../protocol/seen-ids.js';
import type { SourceRef } from './messages.js';
import { toEventMessage } from './stored-event-message.js';
import { type StoredEvent } from '../store/store-event.js';
import type { StoreCursor } from '../store/store-cursor.js';
import type { StoreReader } from '../store/store-reader.js';
import { DEFAULT_BATCH, describeCompaction, describeWindowCount, readWindow, yieldToIo, type StoreWindow } from '../store/store-window.js';

export interface JoinedSourceOptions {
  readonly reader: StoreReader;
  /** The live sockets (not started yet), each with its source for labels. */
  readonly links: readonly { readonly client: StreamClient; readonly source: SourceRef }[];
  /** Labels the events and notices that come from the store. */
  readonly storeSource: SourceRef;
  readonly window: StoreWindow;
  /** How often the store is looked at while live, to keep the resume point close. */
  readonly intervalMs: number;
  readonly matches?: ((event: HangarEvent) => boolean) | undefined;
  readonly serverIds?: readonly string[] | undefined;
  readonly untilSeconds?: number | undefined;
  readonly batchSize?: number;
  /** Event ids remembered to drop what both the store and a socket delivered. */
  readonly seenCapacity?: number;
  /** A stored, matching event that no socket delivered for this long is printed from the store. */
  readonly undeliveredAfterMs?: number;
  /**
   * Live events held per socket while the store is read. Beyond it the held
   * events are let go of (memory stays flat) and the store is read again up to
   * its head afterwards, so only events it does not keep can be lost (said on stderr).
   */
  readonly maxHeld?: number;
  /** The tracking poll and the undelivered deadline (tail passes io.clock). */
  readonly clock: Pick<Clock, 'monotonicMs' | 'setTimeout'>;
}

type Phase = 'joining' | 'live' | 'filling';

interface Link {
  readonly client: StreamClient;
  readonly source: SourceRef;
  phase: Phase;
  /** Live events held while the store is read (the join, or an outage being filled). */
  held: Extract<StreamMessage, { kind: 'event' }>[];
  /** The client's gap report, held until the store has filled what it can. */
  heldGap: Extract<StreamMessage, { kind: 'gap' }> | undefined;
  /** Waiting for this connection's subscription to be in place before filling. */
  awaitingAck: boolean;
  /** Reopened while the join was still reading: fill once it is done. */
  refill: boolean;
  /**
   * What the last fill did, until the client's gap report for that outage
   * arrives (a client that did not know yet that the server is a gateway
   * reports the gap only seconds after the connection opened).
   */
  filledOutage: { filled: number; failure: string | undefined } | undefined;
  opens: number;
  /** Live events let go of because more than maxHeld arrived while the store was read. */
  overflowed: number;
}

const STORE_KEEPS = 'the store keeps only events that name a server, a group or a session';

/**
 * The store joined to the live sockets without a gap or a duplicate. The
 * sockets open and subscribe first and their events are held; the store is
 * read up to its head (the --since/--history window); then the held events
 * are released, dropping every event_id already printed. After an outage the
 * same happens again from the resume point: the outage window comes from the
 * store, and the gap report keeps only what the store cannot hold. While
 * live, the resume point follows the store over events the sockets have
 * delivered, so it stays close without printing anything twice.
 *
 * Emits `(source, message)` pairs for the tail pipeline; store events carry
 * `fromStore`. `finished` rejects with a StoreError when the first read fails.
 */
export class JoinedSource extends EventEmitter<{ message: [SourceRef, StreamMessage] }> {
  readonly finished: Promise<void>;
  /** Live events dropped because the store (or another socket) delivered them first. */
  duplicates = 0;
  private resolveFinished!: () => void;
  private rejectFinished!: (error: Error) => void;
  private readonly links: Link[];
  private readonly maxHeld: number;
  private readonly seen: SeenIds;
  private cursor: StoreCursor | undefined;
  private backfillStarted = false;
  private joined = false;
  private stopped = false;
  private paused = false;
  private resumeWaiters: (() => void)[] = [];
  /** One store operation at a time (join, fills, tracking). */
  private storeQueue: Promise<void> = Promise.resolve();
  private storeBusy = false;
  private trackTimer: Timer | undefined;
  private undelivered: { key: string; sinceMs: number } | undefined;
  private trackWarned = false;

  constructor(private readonly options: JoinedSourceOptions) {
    super();
    this.seen = new SeenIds(options.seenCapacity ?? 100_000);
    this.maxHeld = options.maxHeld ?? 50_000;
    this.links = options.links.map(({ client, source }) => ({
      client,
      source,
      phase: 'joining',
      held: [],
      heldGap: undefined,
      awaitingAck: false,
      refill: false,
      filledOutage: undefined,
      opens: 0,
      overflowed: 0,
    }));
    this.finished = new Promise<void>((resolve, reject) => {
      this.resolveFinished = resolve;
      this.rejectFinished = reject;
    });
    this.finished.catch(() => {});
  }

  /** Starts the sockets; the store is read once one is subscribed (or once connecting failed). */
  start(): void {
    for (const link of this.links) {
      link.client.on('message', (message) => this.onClientMessage(link, message));
      link.client.start();
    }
  }

  pause(): void {
    this.paused = true;
    for (const link of this.links) link.client.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const link of this.links) link.client.resume();
    for (const waiter of this.resumeWaiters.splice(0)) waiter();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.trackTimer?.cancel();
    for (const waiter of this.resumeWaiters.splice(0)) waiter();
    await this.storeQueue.catch(() => {});
    this.resolveFinished();
  }

  private send(source: SourceRef, message: StreamMessage): void {
    if (!this.stopped) this.emit('message', source, message);
  }

  private storeNotice(level: 'info' | 'warning', text: string): void {
    this.send(this.options.storeSource, { kind: 'store', level, text });
  }

  private onClientMessage(link: Link, message: StreamMessage): void {
    if (this.stopped) return;
    switch (message.kind) {
      case 'event':
        if (link.phase === 'live') this.emitLive(link, message);
        else if (link.overflowed > 0 || link.held.length >= this.maxHeld) {
          // Too many to hold: let them all go; the store is read again before this socket goes live.
          link.overflowed += link.held.length + 1;
          link.held = [];
        } else link.held.push(message);
        return;
      case 'gap':
        if (link.phase === 'filling' || link.phase === 'joining') {
          link.heldGap = message;
          return;
        }
        if (link.filledOutage !== undefined) {
          const outage = link.filledOutage;
          link.filledOutage = undefined;
          this.sendGap(link, message, outage);
          return;
        }
        this.send(link.source, message);
        return;
      case 'open':
        link.opens++;
        link.filledOutage = undefined;
        this.send(link.source, message);
        if (this.joined) {
          link.phase = 'filling';
          link.awaitingAck = true;
        } else if (link.opens > 1) {
          link.refill = true;
        }
        return;
      case 'subscribed':
      case 'server-kind':
        this.send(link.source, message);
        this.onSubscribed(link);
        return;
      case 'reconnecting':
        this.send(link.source, message);
        // The socket could not be had: the store is the only source for now.
        if (!this.backfillStarted) this.startBackfill();
        return;
      default:
        this.send(link.source, message);
    }
  }

  private onSubscribed(link: Link): void {
    if (!this.backfillStarted) {
      this.startBackfill();
      return;
    }
    if (link.phase === 'filling' && link.awaitingAck) {
      link.awaitingAck = false;
      this.enqueue(() => this.fill(link));
    }
  }

  private emitLive(link: Link, message: Extract<StreamMessage, { kind: 'event' }>): void {
    // `id`, not `event.event_id`: a frame passed on as bytes is then never parsed here.
    const id = message.id;
    if (id !== undefined) {
      if (!this.seen.add(id)) {
        this.duplicates++;
        return;
      }
    }
    this.send(link.source, message);
  }

  private emitStored = (stored: StoredEvent): void => {
    const id = stored.id;
    if (id !== undefined && !this.seen.add(id)) return;
    this.send(this.options.storeSource, toEventMessage(stored));
  };

  private ready = (): Promise<void> => (this.paused && !this.stopped ? new Promise<void>((resolve) => this.resumeWaiters.push(resolve)) : Promise.resolve());

  private enqueue(work: () => Promise<void>): void {
    this.storeQueue = this.storeQueue.then(async () => {
      if (this.stopped) return;
      this.storeBusy = true;
      try {
        await work();
      } finally {
        this.storeBusy = false;
      }
    });
  }

  private startBackfill(): void {
    this.backfillStarted = true;
    this.enqueue(async () => {
      const { reader, window } = this.options;
      let result;
      try {
        result = await readWindow({
          reader,
          window,
          matches: this.options.matches,
          untilSeconds: this.options.untilSeconds,
          batchSize: this.options.batchSize,
          emit: this.emitStored,
          bad: (reason) => this.send(this.options.storeSource, { kind: 'bad-frame', reason: `stored row skipped: ${reason}` }),
          ready: this.ready,
          stopped: () => this.stopped,
        });
      } catch (error) {
        this.rejectFinished(error as Error);
        return;
      }
      this.cursor = result.cursor;
      if (window.kind !== 'none') {
        this.storeNotice('info', describeWindowCount(window, result, this.options.matches !== undefined || this.options.untilSeconds !== undefined, ', then live'));
        try {
          const compaction = describeCompaction(await reader.compactedStreams(), result.startSeconds, this.options.serverIds);
          if (compaction !== undefined) this.storeNotice('warning', compaction);
        } catch {
          // The report is a courtesy; the join itself is done.
        }
        if (this.options.serverIds === undefined) {
          this.storeNotice('warning', `${STORE_KEEPS}: events without one from before the live stream opened are not in this backfill`);
        }
      }
      this.joined = true;
      for (const link of this.links) {
        if (link.phase !== 'joining') continue;
        if (link.refill || link.heldGap !== undefined || link.overflowed > 0) {
          // It reconnected while the join was reading: fill its outage like any other.
          link.phase = 'filling';
          link.refill = false;
          this.enqueue(() => this.fill(link));
        } else {
          this.release(link);
        }
      }
      this.scheduleTracking();
    });
  }

  /** Releases a link's held events (dropping what was printed) and makes it live. */
  private release(link: Link): void {
    const held = link.held;
    link.held = [];
    link.phase = 'live';
    for (const message of held) this.emitLive(link, message);
  }

  /** After an outage: what the store holds from the resume point to its head, then the held live events. */
  private async fill(link: Link): Promise<void> {
    if (link.phase !== 'filling') return;
    const { reader } = this.options;
    const batchSize = this.options.batchSize ?? DEFAULT_BATCH;
    let filled = 0;
    let failure: string | undefined;
    let cursor = this.cursor ?? (await reader.head().catch(() => undefined));
    let overflowed = 0;
    try {
      while (cursor !== undefined && !this.stopped) {
        if (link.overflowed > 0) {
          // Live events were let go of while reading: read on to the (new) head before going live.
          overflowed += link.overflowed;
          link.overflowed = 0;
        }
        const batch = await reader.readAfter(cursor, batchSize);
        for (const stored of batch.events) {
          const id = stored.id;
          if (id !== undefined && this.seen.has(id)) continue;
          if (this.options.matches !== undefined && !this.options.matches(stored.event)) continue;
          this.emitStored(stored);
          filled++;
        }
        cursor = batch.cursor;
        this.cursor = cursor;
        if (batch.atHead && link.overflowed === 0) break;
        await yieldToIo();
        await this.ready();
      }
    } catch (error) {
      failure = (error as Error).message;
    }
    overflowed += link.overflowed;
    link.overflowed = 0;
    if (overflowed > 0) {
      this.storeNotice(
        'warning',
        `${overflowed} live ${overflowed === 1 ? 'event' : 'events'} from ${link.source.url} arrived while the store was read (more than ${this.maxHeld} to hold) and were let go of; the store was read again up to its head, so only events it does not keep (without a server, group or session) can be missing`,
      );
    }
    const gap = link.heldGap;
    link.heldGap = undefined;
    this.release(link);
    if (failure !== undefined) this.storeNotice('warning', `cannot fill the outage from the store: ${failure}`);
    if (gap) {
      this.sendGap(link, gap, { filled, failure });
    } else if (link.client.server === 'serve') {
      // serve resumes by itself and reports no gap: say what the store added, if anything.
      if (filled > 0) this.storeNotice('info', `${filled} ${filled === 1 ? 'event' : 'events'} the stream missed came from the store`);
    } else {
      // A gateway's gap report may still come: it will say what the store filled.
      link.filledOutage = { filled, failure };
    }
  }

  /** The client's gap report, narrowed to what the store could not fill. */
  private sendGap(link: Link, gap: Extract<StreamMessage, { kind: 'gap' }>, outage: { filled: number; failure: string | undefined }): void {
    if (outage.failure !== undefined) {
      this.send(link.source, gap);
      return;
    }
    const { filled } = outage;
    this.send(link.source, {
      ...gap,
      reason: `${filled} ${filled === 1 ? 'event' : 'events'} of the outage came from the store; ${STORE_KEEPS}, so events without one published while the stream was down are lost`,
    });
  }

  private scheduleTracking(): void {
    if (this.stopped) return;
    this.trackTimer = this.options.clock.setTimeout(() => {
      this.trackTimer = undefined;
      if (!this.storeBusy && this.links.some((l) => l.phase === 'live') && this.links.every((l) => l.phase !== 'filling')) {
        this.enqueue(() => this.track());
      }
      void this.storeQueue.then(() => this.scheduleTracking());
    }, this.options.intervalMs);
  }

  /**
   * Moves the resume point over stored events the sockets delivered (or that
   * no filter shows). It stops at the first matching event not delivered yet;
   * one that stays undelivered for `undeliveredAfterMs` while the sockets are
   * up was dropped by the gateway without a word: it is printed from the store.
   */
  private async track(): Promise<void> {
    if (this.cursor === undefined || this.paused) return;
    const { reader } = this.options;
    const batchSize = this.options.batchSize ?? DEFAULT_BATCH;
    const limitMs = this.options.undeliveredAfterMs ?? 60_000;
    try {
      for (;;) {
        const batch = await reader.readAfter(this.cursor, batchSize);
        let stuck = false;
        for (const stored of batch.events) {
          const id = stored.id;
          const shown = this.options.matches === undefined || this.options.matches(stored.event);
          if (!shown || id === undefined || this.seen.has(id)) {
            this.cursor = stored.cursor;
            continue;
          }
          const key = `${id}`;
          const now = this.options.clock.monotonicMs();
          if (this.undelivered?.key !== key) this.undelivered = { key, sinceMs: now };
          if (now - this.undelivered.sinceMs < limitMs) {
            stuck = true;
            break;
          }
          this.undelivered = undefined;
          this.storeNotice('warning', `the gateway never delivered a stored ${stored.event.event_type} (it drops events silently when a client's queue is full): printed from the store`);
          this.emitStored(stored);
          this.cursor = stored.cursor;
        }
        if (stuck) return;
        this.cursor = batch.cursor;
        if (batch.atHead) return;
      }
    } catch (error) {
      if (!this.trackWarned) {
        this.trackWarned = true;
        this.storeNotice('warning', `cannot read the store while live (outages will not be filled until it can): ${(error as Error).message}`);
      }
    }
  }
}
