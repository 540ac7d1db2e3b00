import type { HangarEvent } from '../protocol/types.js';
import type { StoredEvent } from './store-event.js';
import type { StoreCursor } from './store-cursor.js';
import type { CompactedStream, StoreLines, StoreReader } from './store-reader.js';

/** Which stored events to print first: `--since`, `--history N`, or none (only what comes next). */
export type StoreWindow = { readonly kind: 'since'; readonly seconds: number } | { readonly kind: 'last'; readonly count: number } | { readonly kind: 'none' };

export interface WindowReadOptions {
  readonly reader: StoreReader;
  readonly window: StoreWindow;
  /** The tail's filters: only matching events are emitted and counted. */
  readonly matches?: ((event: HangarEvent) => boolean) | undefined;
  /** Events with a numeric occurred_at after this are left out (--until). */
  readonly untilSeconds?: number | undefined;
  readonly batchSize?: number;
  /** Called with each event of the window, in commit order. */
  readonly emit: (stored: StoredEvent) => void;
  /**
   * Where a consumer that writes each event's bytes as an NDJSON line takes a batch of them at
   * once (a window without filters or --until: see StoreReader.readLinesAfter); the events it
   * takes are not given to `emit`. A --history window's first event always comes by `emit`
   * (its time is the window's start for the compaction report).
   */
  readonly lines?: StoreLinesLane | undefined;
  /** Called with each row that could not be decoded. */
  readonly bad: (reason: string) => void;
  /** Resolves when the consumer can take more (stdout drained); called between batches. */
  readonly ready?: () => Promise<void>;
  /** True once the reading should stop early (the tail is ending). */
  readonly stopped?: () => boolean;
}

export interface WindowResult {
  /** Events handed to `emit`. */
  readonly count: number;
  /** Where following resumes: nothing at or before it is read again. */
  readonly cursor: StoreCursor;
  /** The window's start in Unix seconds (for the coverage report); undefined when it reaches the log's start. */
  readonly startSeconds: number | undefined;
  /** Rows of the window that could not be read (each given to `bad`, none emitted). */
  readonly skipped: number;
  /** A --history window that reached the store's first row before it had its N events. */
  readonly reachedStart: boolean;
}

export const DEFAULT_BATCH = 1000;

/** A consumer of a batch of stored events as their NDJSON lines (WindowReadOptions.lines). */
export interface StoreLinesLane {
  /** How many events it takes as lines now; fewer than a batch: they come by `emit`. */
  room(): number;
  /** `lines`: `count` lines, each an event's bytes and a line feed, in commit order. */
  take(lines: Buffer, count: number): void;
}

/**
 * Reads the window of the store up to its head and hands every event to
 * `emit` in commit order. The returned cursor is the head as of the last
 * read, so a follower resumes exactly there.
 */
export async function readWindow(options: WindowReadOptions): Promise<WindowResult> {
  const { reader, window } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const timed = window.kind === 'since' || options.untilSeconds !== undefined;
  const keep = (stored: StoredEvent): boolean => {
    if (!timed) return true;
    const at = stored.occurredAt;
    if (at === undefined) return true;
    if (window.kind === 'since' && at < window.seconds) return false;
    return options.untilSeconds === undefined || at <= options.untilSeconds;
  };
  if (window.kind === 'none') return { count: 0, cursor: await reader.head(), startSeconds: undefined, skipped: 0, reachedStart: false };
  // Nothing to filter (a --since window's time is checked on the lines): batches of lines where the reader and the consumer take them.
  const lane = options.matches === undefined && options.untilSeconds === undefined && reader.readLinesAfter !== undefined ? options.lines : undefined;
  if (window.kind === 'since') {
    let cursor = await reader.cursorAtTime(window.seconds);
    let count = 0;
    let skipped = 0;
    for (;;) {
      if (options.stopped?.()) break;
      const lines = lane !== undefined && lane.room() >= batchSize ? await intoLane(lane, reader.readLinesAfter!(cursor, batchSize, undefined, window.seconds)) : undefined;
      let atHead: boolean;
      if (lines !== undefined) {
        count += lines.count;
        cursor = lines.cursor;
        atHead = lines.atHead;
      } else {
        const batch = await reader.readAfter(cursor, batchSize);
        batch.bad.forEach(options.bad);
        skipped += batch.bad.length;
        for (const stored of batch.events) {
          if (!keep(stored) || (options.matches !== undefined && !options.matches(stored.event))) continue;
          options.emit(stored);
          count++;
        }
        cursor = batch.cursor;
        atHead = batch.atHead;
      }
      if (atHead) break;
      await yieldToIo();
      await options.ready?.();
    }
    return { count, cursor, startSeconds: window.seconds, skipped, reachedStart: false };
  }
  // --history N, in two passes so that memory stays flat however large N is: walk back from
  // the head to the N-th newest matching event (keeping only where it is), then read forward
  // from there to the head, emitting the matching events in commit order.
  const head = await reader.head();
  let found = 0;
  let start: StoreCursor | undefined;
  let oldestSeconds: number | undefined;
  let reachedStart = false;
  if (options.matches === undefined && options.untilSeconds === undefined) {
    // Nothing to filter: the N-th newest row is where the window starts, no row decoded.
    start = await reader.nthBefore(head, window.count);
    if (start === undefined) {
      start = reader.start().engine === 'sqlite' ? { engine: 'sqlite', position: 1 } : { engine: 'postgres', xid: '0', position: 1 };
      reachedStart = true;
    } else found = window.count;
  } else {
    // Back through as many batches as it takes: the window is the last N matching events, not
    // the matching events among the last few batches.
    let cursor = head;
    while (found < window.count && !options.stopped?.()) {
      const batch = await reader.readBefore(cursor, batchSize);
      for (const stored of batch.events) {
        if (!keep(stored) || (options.matches !== undefined && !options.matches(stored.event))) continue;
        found++;
        start = stored.cursor;
        oldestSeconds = stored.occurredAt;
        if (found === window.count) break;
      }
      cursor = batch.cursor;
      if (batch.atHead) {
        reachedStart = found < window.count;
        break;
      }
      await yieldToIo();
    }
  }
  let count = 0;
  let skipped = 0;
  let firstSeconds: number | undefined;
  if (start !== undefined) {
    let cursor = before(start);
    for (;;) {
      if (options.stopped?.()) break;
      const lines = lane !== undefined && count > 0 && lane.room() >= batchSize ? await intoLane(lane, reader.readLinesAfter!(cursor, batchSize, head)) : undefined;
      let atHead: boolean;
      if (lines !== undefined) {
        count += lines.count;
        cursor = lines.cursor;
        atHead = lines.atHead;
      } else {
        // The window's first event comes by `emit` (its time is the window's start): read alone when
        // the lane takes the rest, so the start does not decode a whole batch of rows in JavaScript.
        const batch = await reader.readAfter(cursor, count === 0 && lane !== undefined ? 1 : batchSize);
        batch.bad.forEach(options.bad);
        skipped += batch.bad.length;
        let pastHead = false;
        for (const stored of batch.events) {
          if (compareCursors(stored.cursor, head) > 0) {
            pastHead = true;
            break;
          }
          if (!keep(stored) || (options.matches !== undefined && !options.matches(stored.event))) continue;
          if (count === 0) firstSeconds = stored.occurredAt;
          options.emit(stored);
          count++;
        }
        cursor = batch.cursor;
        atHead = batch.atHead || pastHead;
      }
      if (atHead) break;
      await yieldToIo();
      await options.ready?.();
    }
  }
  // The window's start in time, for the compaction report: the oldest event printed.
  if (found === window.count && oldestSeconds === undefined) oldestSeconds = firstSeconds;
  const atStart = reachedStart || found < window.count;
  return { count, cursor: head, startSeconds: atStart ? undefined : oldestSeconds, skipped, reachedStart: atStart };
}

/**
 * A batch of lines handed to the lane when it takes all of them (its room is
 * asked again once the batch is read); the batch, or undefined when its rows
 * are the row path's to read.
 */
async function intoLane(lane: StoreLinesLane, read: Promise<StoreLines | undefined>): Promise<StoreLines | undefined> {
  const lines = await read;
  if (lines === undefined || lane.room() < lines.count) return undefined;
  if (lines.count > 0) lane.take(lines.lines, lines.count);
  return lines;
}

/**
 * What the window printed, for stderr: `120 events from the store`, and for
 * `--history N` that found fewer, why: the store holds no more (matching)
 * ones, or rows of the window could not be read (without a filter the window
 * is the last N rows, and such a row is reported and skipped, not replaced
 * by an older one: the rows after it were already printed).
 */
export function describeWindowCount(window: StoreWindow, result: Pick<WindowResult, 'count' | 'skipped' | 'reachedStart'>, filtered: boolean, then = ''): string {
  const { count, skipped } = result;
  const printed = `${count} ${count === 1 ? 'event' : 'events'} from the store${then}`;
  if (window.kind !== 'last' || count >= window.count) return printed;
  const unread = `${skipped} stored ${skipped === 1 ? 'row' : 'rows'} of the window could not be read (reported above) and ${skipped === 1 ? 'was' : 'were'} skipped`;
  if (skipped > 0 && !result.reachedStart) return `${printed} (fewer than the ${window.count} asked for: ${unread})`;
  const noMore = `the store holds no more${filtered ? ' that match' : ''}`;
  return `${printed} (fewer than the ${window.count} asked for: ${noMore}${skipped > 0 ? `, and ${unread}` : ''})`;
}

/**
 * Lets the event loop run between two batches: the SQLite driver is
 * synchronous, so without this a long backfill would never let stdout flush
 * (every line would wait in memory until the end) nor a signal be handled.
 * A yield, not a wait on time: Node's setImmediate, not the injected clock.
 */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The cursor that covers everything before `cursor`'s own row (so reading after it starts at that row). */
export function before(cursor: StoreCursor): StoreCursor {
  return cursor.engine === 'sqlite' ? { engine: 'sqlite', position: cursor.position - 1 } : { engine: 'postgres', xid: cursor.xid, position: cursor.position - 1 };
}

/** Orders two cursors of the same engine: negative, zero or positive. */
export function compareCursors(a: StoreCursor, b: StoreCursor): number {
  if (a.engine === 'sqlite' || b.engine === 'sqlite') return (a as { position: number }).position - (b as { position: number }).position;
  const ax = BigInt(a.xid);
  const bx = BigInt(b.xid);
  if (ax !== bx) return ax < bx ? -1 : 1;
  return a.position - b.position;
}

/**
 * What the store cannot show of a window, in words for stderr: streams whose
 * history was compacted after the window's start. Server filters narrow it to
 * the streams of those servers. Empty when the store covers the window.
 */
export function describeCompaction(streams: readonly CompactedStream[], startSeconds: number | undefined, serverIds: readonly string[] | undefined): string | undefined {
  const relevant = streams.filter((stream) => {
    if (serverIds !== undefined && !serverIds.some((id) => stream.streamId === `mcp_server:${id}`)) return false;
    if (startSeconds === undefined) return true;
    return stream.firstOccurredAt === undefined || stream.firstOccurredAt > startSeconds;
  });
  if (relevant.length === 0) return undefined;
  const shown = relevant.slice(0, 5).map((s) => `${s.streamId} from version ${s.firstVersion}${s.firstOccurredAt !== undefined ? ` (${isoSeconds(s.firstOccurredAt)})` : ''}`);
  const more = relevant.length > 5 ? ` and ${relevant.length - 5} more` : '';
  const streamsWord = relevant.length === 1 ? 'stream was' : 'streams were';
  return `the store cannot cover the whole window: ${relevant.length} ${streamsWord} compacted (older events deleted after a snapshot), so their history starts later: ${shown.join(', ')}${more}`;
}

/** `2026-12-01T08:00:00.000Z` for Unix seconds. */
export function isoSeconds(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}
