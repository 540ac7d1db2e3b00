import type { StoreCursor } from './store-cursor.js';
import type { StoredEvent } from './store-event.js';

/** One read: the decoded events in commit order, rows that could not be decoded, and where to read on. */
export interface StoreBatch {
  readonly events: readonly StoredEvent[];
  readonly bad: readonly string[];
  /** Resume after this; also when `events` is empty (the head may have moved). */
  readonly cursor: StoreCursor;
  /** Fewer rows than asked for: the reader is at the head. */
  readonly atHead: boolean;
}

/** Rows as their NDJSON lines at once (StoreReader.readLinesAfter). */
export interface StoreLines {
  /** Each row's line (what StoredEvent.bytes holds) and a line feed, in commit order; valid until the reader's next read. */
  readonly lines: Buffer;
  readonly count: number;
  /** Resume after this. */
  readonly cursor: StoreCursor;
  /** Fewer rows than asked for: nothing more (up to `through`). */
  readonly atHead: boolean;
}

/** A stream whose oldest events were deleted after a snapshot (compaction). */
export interface CompactedStream {
  readonly streamId: string;
  /** The first version the store still holds (versions start at 0). */
  readonly firstVersion: number;
  /** occurred_at (Unix seconds) of that first kept event, when it has one. */
  readonly firstOccurredAt: number | undefined;
}

/**
 * Read-only access to a gateway's event store. Never creates, locks for
 * writing, migrates or vacuums anything. Every method throws StoreError with
 * what was tried and what to check.
 */
export interface StoreReader {
  /** `sqlite:data/events.db` or the URL without its password. */
  readonly display: string;
  /** Everything committed so far is before this cursor. */
  head(): Promise<StoreCursor>;
  /** The cursor before the first event (the whole log). */
  start(): StoreCursor;
  /**
   * Up to `limit` events after `cursor`, in commit order (fewer when their bytes reach the
   * batch's bound: then `atHead` is false and the cursor resumes where it stopped).
   */
  readAfter(cursor: StoreCursor, limit: number): Promise<StoreBatch>;
  /**
   * Up to `limit` of the events `cursor` covers (at or before it), newest
   * first, for --history; the returned cursor covers the rest, older ones.
   * `atHead` then means the start of the log was reached.
   */
  readBefore(cursor: StoreCursor, limit: number): Promise<StoreBatch>;
  /**
   * Optional: up to `limit` rows after `cursor` (and at or before `through`, when given) as
   * their lines at once, when every one of them is a row that readAfter would give as an
   * event whose bytes are that line (no row reported, none re-serialised) and, with
   * `sinceSeconds`, none whose occurred_at is before it; undefined when the batch is not so
   * (then readAfter reads it). Nothing is parsed or validated in SQL's place: the lines are
   * checked by the byte scanner.
   */
  readLinesAfter?(cursor: StoreCursor, limit: number, through: StoreCursor | undefined, sinceSeconds?: number): Promise<StoreLines | undefined>;
  /** The cursor of the `n`-th newest row at or before `cursor` (n >= 1), without decoding any; undefined when there are fewer. */
  nthBefore(cursor: StoreCursor, n: number): Promise<StoreCursor | undefined>;
  /** The cursor just before the first event whose occurred_at is at or after `seconds`; the head when there is none. */
  cursorAtTime(seconds: number): Promise<StoreCursor>;
  /** The cursor of the newest row whose event_id is `eventId` (reading after it gives what came next); undefined when the store has none. */
  findEvent(eventId: string): Promise<StoreCursor | undefined>;
  /** Streams whose history was compacted, with their first kept event. */
  compactedStreams(): Promise<CompactedStream[]>;
  close(): Promise<void>;
}
