import { EventEmitter } from 'node:events';
import type { StreamMessage } from './messages.js';
import type { HangarEvent } from '../protocol/types.js';
import { StoreError } from '../errors.js';
import { formatDuration } from '../format/duration.js';
import type { Clock } from '../io/clock.js';
import { toEventMessage } from './stored-event-message.js';
import { type StoredEvent } from '../store/store-event.js';
import type { StoreCursor } from '../store/store-cursor.js';
import type { StoreReader } from '../store/store-reader.js';
import { DEFAULT_BATCH, describeCompaction, describeWindowCount, readWindow, type StoreLinesLane, type StoreWindow } from '../store/store-window.js';

export interface StoreSourceOptions {
  readonly reader: StoreReader;
  readonly window: StoreWindow;
  /** Keep reading what the gateway appends (poll every `intervalMs`); false: print the window and end. */
  readonly follow: boolean;
  readonly intervalMs: number;
  readonly matches?: ((event: HangarEvent) => boolean) | undefined;
  /** -s ids, to narrow the compaction report to those servers' streams. */
  readonly serverIds?: readonly string[] | undefined;
  readonly untilSeconds?: number | undefined;
  readonly batchSize?: number;
  /** The timers of following (the poll, a locked store's backoff) and how long a lock lasted. */
  readonly clock: Pick<Clock, 'monotonicMs' | 'setTimeout'>;
  /** Waits between reads of a locked store while following: the first, doubling up to the last. */
  readonly lockedRetry?: { readonly firstMs: number; readonly maxMs: number };
}

/**
 * The store on its own as a tail source (no gateway URL): prints the window,
 * then either ends (`history-done`) or follows the log from the engine's
 * cursor (position on SQLite, transaction watermark on PostgreSQL), polling
 * every `intervalMs`. Speaks the same messages as a StreamClient, so the one
 * tail pipeline filters and renders it. `finished` rejects with the
 * StoreError when the store fails.
 */
export class StoreSource extends EventEmitter<{ message: [StreamMessage] }> {
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private rejectFinished!: (error: Error) => void;
  private stopped = false;
  private paused = false;
  private resumeWaiters: (() => void)[] = [];
  private timer: { cancel(): void } | undefined;
  private wake: (() => void) | undefined;
  private readonly retry: { readonly firstMs: number; readonly maxMs: number };
  private lines: StoreLinesLane | undefined;

  constructor(private readonly options: StoreSourceOptions) {
    super();
    this.retry = options.lockedRetry ?? { firstMs: 1000, maxMs: 30_000 };
    this.finished = new Promise<void>((resolve, reject) => {
      this.resolveFinished = resolve;
      this.rejectFinished = reject;
    });
    this.finished.catch(() => {});
  }

  start(): void {
    void this.run().then(
      () => this.resolveFinished(),
      (error: Error) => {
        if (this.stopped) this.resolveFinished();
        else this.rejectFinished(error);
      },
    );
  }

  /**
   * Takes the window's events as batches of NDJSON lines where it can (readWindow's `lines`),
   * for a consumer that writes each event's bytes as its line; call before start().
   */
  setLinesLane(lane: StoreLinesLane): void {
    this.lines = { room: () => (this.stopped ? 0 : lane.room()), take: (lines, count) => lane.take(lines, count) };
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const waiter of this.resumeWaiters.splice(0)) waiter();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.wake?.();
    this.resume();
    await this.finished.catch(() => {});
  }

  private emitMessage(message: StreamMessage): void {
    if (!this.stopped) this.emit('message', message);
  }

  private emitStored = (stored: StoredEvent): void => {
    this.emitMessage(toEventMessage(stored));
  };

  private ready = (): Promise<void> => (this.paused && !this.stopped ? new Promise<void>((resolve) => this.resumeWaiters.push(resolve)) : Promise.resolve());

  private async run(): Promise<void> {
    const { reader, window, follow } = this.options;
    const result = await readWindow({
      reader,
      window,
      matches: this.options.matches,
      untilSeconds: this.options.untilSeconds,
      batchSize: this.options.batchSize,
      emit: this.emitStored,
      lines: this.lines,
      bad: (reason) => this.emitMessage({ kind: 'bad-frame', reason: `stored row skipped: ${reason}` }),
      ready: this.ready,
      stopped: () => this.stopped,
    });
    // "Connected" once the starting point is read: what is appended from now on will be printed.
    this.emitMessage({ kind: 'open', attempt: 1, server: 'unknown' });
    if (window.kind !== 'none') {
      this.emitMessage({ kind: 'store', level: 'info', text: describeWindowCount(window, result, this.options.matches !== undefined || this.options.untilSeconds !== undefined) });
      const compaction = describeCompaction(await reader.compactedStreams(), result.startSeconds, this.options.serverIds);
      if (compaction !== undefined) this.emitMessage({ kind: 'store', level: 'warning', text: compaction });
    }
    if (!follow) {
      this.emitMessage({ kind: 'history-done' });
      return;
    }
    await this.followFrom(result.cursor);
  }

  private async followFrom(start: StoreCursor): Promise<void> {
    const { reader } = this.options;
    const batchSize = this.options.batchSize ?? DEFAULT_BATCH;
    let cursor = start;
    /** While the store is locked: how long the next wait is, and since when (for the message once it is readable). */
    let locked: { retryMs: number; since: number } | undefined;
    while (!this.stopped) {
      await this.ready();
      if (this.stopped) return;
      let batch;
      try {
        batch = await reader.readAfter(cursor, batchSize);
      } catch (error) {
        // A writer holding SQLite's lock (a checkpoint, a rollback-journal writer) lets go sooner or later: wait, do not end.
        if (!(error instanceof StoreError) || error.condition !== 'locked') throw error;
        const retryMs = locked === undefined ? this.retry.firstMs : Math.min(locked.retryMs * 2, this.retry.maxMs);
        if (locked === undefined) {
          this.emitMessage({
            kind: 'store',
            level: 'warning',
            text: `${error.message.replace(/; try again, or /, '; ')}; still following: reading again in ${formatDuration(retryMs)}, then less often (every ${formatDuration(this.retry.maxMs)} at most) until it is readable`,
          });
        }
        locked = { retryMs, since: locked !== undefined ? locked.since : this.options.clock.monotonicMs() };
        await this.sleep(retryMs);
        continue;
      }
      if (locked !== undefined) {
        const now = this.options.clock.monotonicMs();
        const lasted = ` (it was locked for about ${formatDuration(now - locked.since)})`;
        this.emitMessage({ kind: 'store', level: 'warning', text: `the store can be read again${lasted}; following on from where it stopped, nothing skipped` });
        locked = undefined;
      }
      for (const reason of batch.bad) this.emitMessage({ kind: 'bad-frame', reason: `stored row skipped: ${reason}` });
      const until = this.options.untilSeconds;
      for (const stored of batch.events) {
        if (until !== undefined && stored.occurredAt !== undefined && stored.occurredAt > until) continue;
        this.emitStored(stored);
      }
      cursor = batch.cursor;
      if (batch.atHead) await this.sleep(this.options.intervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = this.options.clock.setTimeout(resolve, ms);
    });
  }
}
