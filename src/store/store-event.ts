import { isUtf8 } from 'node:buffer';
import { isPlainObject } from '../protocol/decode.js';
import { scanPlainEvent, type PlainEventScan } from '../protocol/plain-event.js';
import type { HangarEvent } from '../protocol/types.js';
import type { StoreCursor } from './store-cursor.js';

/**
 * One event read from the store, ready for the tail pipeline. `event` is
 * what the socket sends: `event_type` first, then the stored fields without
 * `_version`. It is built on first read only: `raw`, `id` and `occurredAt`
 * come without it, so an NDJSON backfill without filters never parses a row.
 */
export interface StoredEvent {
  readonly event: HangarEvent;
  /** The event as JSON text (what -o ndjson and --record write). */
  readonly raw: string;
  /** `raw` as UTF-8 bytes: one line (no line break in it), what -o ndjson writes. */
  readonly bytes: Buffer;
  /** `event_id` when it is a non-empty string. */
  readonly id: string | undefined;
  /** `occurred_at` when it is a number (Unix seconds). */
  readonly occurredAt: number | undefined;
  /** Covers this row and everything before it: resuming there reads what comes after. */
  readonly cursor: StoreCursor;
}

export type StoredRowResult = { ok: true; value: StoredEvent } | { ok: false; error: string };

/**
 * Total decoding of one stored row into the event the gateway put on its
 * socket: `event_type` comes from the column (the data's own, if any, is
 * dropped: the column is the truth, one key), `_version` (the store's schema
 * version) is dropped, every other field is kept in order. `data` is JSON
 * text, or a BLOB holding UTF-8 JSON text. A row whose data is not a JSON
 * object is reported, never thrown.
 *
 * The line is the same whichever way it is made. When the data is in the
 * gateway's shape (`{"_version": N, ...}`) it is the stored text with
 * `event_type` put in front, written straight into `lines` and accepted only
 * when the byte scanner (scanPlainEvent) finds it one valid JSON object with
 * a single literal `event_type` and no escaped top-level key; nothing is
 * parsed. Anything else is parsed and serialised again.
 */
export function toStoredEvent(eventType: unknown, data: unknown, cursor: StoreCursor, lines: LineArena = sharedLines()): StoredRowResult {
  if (typeof eventType !== 'string' || eventType === '') return { ok: false, error: `row ${describePosition(cursor)}: no event_type` };
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof Uint8Array) {
    // A BLOB: its bytes are the JSON text, when they are UTF-8 (never the Buffer object itself).
    if (!isUtf8(data)) return { ok: false, error: `row ${describePosition(cursor)} (${eventType.slice(0, 60)}): data is a BLOB of ${data.length} bytes that is not UTF-8 text` };
    text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  } else return { ok: false, error: `row ${describePosition(cursor)} (${eventType.slice(0, 60)}): data is not JSON text (${data === null ? 'NULL' : typeof data})` };
  const spliced = spliceLine(eventType, text, lines);
  if (spliced !== undefined) return { ok: true, value: new StoredLine(spliced, scan.idStart, scan.idEnd, scan.atStart!, scan.atEnd!, cursor) };
  let fields: unknown;
  try {
    fields = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `row ${describePosition(cursor)} (${eventType.slice(0, 60)}): data is not valid JSON (${(error as Error).message})` };
  }
  if (!isPlainObject(fields)) return { ok: false, error: `row ${describePosition(cursor)} (${eventType.slice(0, 60)}): data is not a JSON object` };
  const event = eventFrom(eventType, fields);
  const raw = JSON.stringify(event);
  const id = event.event_id;
  const occurred = event.occurred_at;
  return {
    ok: true,
    value: {
      event,
      raw,
      get bytes() {
        return Buffer.from(raw);
      },
      id: typeof id === 'string' && id !== '' ? id : undefined,
      occurredAt: typeof occurred === 'number' ? occurred : undefined,
      cursor,
    },
  };
}

/**
 * A row whose line the scanner accepted: nothing parsed unless a field is
 * read (a filter, a pretty line), so an NDJSON backfill writes the stored
 * bytes as they are. The id and the time come from where the scanner found
 * them (a JSON number's text is a JavaScript number's: Number reads it as
 * JSON.parse does).
 */
class StoredLine implements StoredEvent {
  private parsed: HangarEvent | undefined;
  private idText: string | undefined;

  constructor(
    readonly bytes: Buffer,
    private readonly idStart: number,
    private readonly idEnd: number,
    private readonly atStart: number,
    private readonly atEnd: number,
    readonly cursor: StoreCursor,
  ) {}

  get event(): HangarEvent {
    return (this.parsed ??= JSON.parse(this.raw) as HangarEvent);
  }

  get raw(): string {
    return this.bytes.toString('utf8');
  }

  get id(): string | undefined {
    if (this.idText === undefined && this.idEnd > this.idStart) this.idText = this.bytes.toString('utf8', this.idStart, this.idEnd);
    return this.idText;
  }

  get occurredAt(): number | undefined {
    return this.atEnd > this.atStart ? Number(this.bytes.toString('latin1', this.atStart, this.atEnd)) : undefined;
  }
}

/** `42` on SQLite, `751:42` on PostgreSQL, for messages about a row. */
export function describePosition(cursor: StoreCursor): string {
  return cursor.engine === 'sqlite' ? String(cursor.position) : `${cursor.xid}:${cursor.position}`;
}

function eventFrom(eventType: string, fields: Record<string, unknown>): HangarEvent {
  const event: HangarEvent = { event_type: eventType };
  for (const key in fields) {
    if (key === '_version' || key === 'event_type') continue;
    // A stored `__proto__` key stays a plain field (as JSON.parse keeps it), never the prototype.
    if (key === '__proto__') Object.defineProperty(event, key, { value: fields[key], enumerable: true, writable: true, configurable: true });
    else event[key] = fields[key];
  }
  return event;
}

/** Where the scanner found the last spliced line's event_id and occurred_at, and whether it still has a `_version` (the decoding is synchronous). */
const scan: PlainEventScan = { idStart: -1, idEnd: -1, atStart: -1, atEnd: -1, versioned: false };

/** `{"event_type": "T", ` as UTF-8, per event type (a store has a few dozen). */
const heads = new Map<string, Buffer>();
const MAX_HEADS = 1024;
let lastType = '';
let lastHead: Buffer | undefined;

function headOf(eventType: string): Buffer {
  if (eventType === lastType && lastHead !== undefined) return lastHead;
  let head = heads.get(eventType);
  if (head === undefined) {
    head = Buffer.from(`{"event_type": ${JSON.stringify(eventType)}, `);
    if (heads.size >= MAX_HEADS) heads.clear();
    heads.set(eventType, head);
  }
  lastType = eventType;
  lastHead = head;
  return head;
}

const VERSION_KEY = '{"_version":';

/**
 * The length of `{"_version": N, ` at the start of `data`, as the gateway's
 * serializer writes it (Python's separators, `_version` first); -1 when the
 * data does not start so, or has nothing after it (`{"_version": 1}`).
 */
function versionPrefixLength(data: string): number {
  if (!data.startsWith(VERSION_KEY)) return -1;
  let i = VERSION_KEY.length;
  while (data.charCodeAt(i) === 0x20) i++;
  if (data.charCodeAt(i) === 0x2d) i++;
  const digits = i;
  for (let c = data.charCodeAt(i); c >= 0x30 && c <= 0x39; c = data.charCodeAt(++i));
  if (i === digits || data.charCodeAt(i) !== 0x2c) return -1;
  i++;
  while (data.charCodeAt(i) === 0x20) i++;
  return data.charCodeAt(i) === 0x7d ? -1 : i;
}

/**
 * The socket's line for a row in the gateway's shape, without parsing it:
 * `{"event_type": "T", ` followed by the stored text after `{"_version": N, `,
 * written into `lines`. Undefined (the caller parses) when the data is not in
 * that shape, or when the line is not one plain event: invalid JSON, a second
 * or escaped `event_type` (`"event\u005ftype"`), any escaped top-level key, a
 * line break, deep nesting, or another top-level `_version` (the parsed event
 * drops every one).
 */
function spliceLine(eventType: string, data: string, lines: LineArena): Buffer | undefined {
  const skip = versionPrefixLength(data);
  if (skip < 0) return undefined;
  const line = lines.place(headOf(eventType), data, skip);
  return scanPlainEvent(line, scan) && !scan.versioned ? line : undefined;
}

/**
 * Where stored lines are written: one buffer after another, each line a view
 * of it, so a batch of rows costs a few allocations instead of one per row.
 * A buffer is let go of once no line of it is held any more.
 */
export class LineArena {
  private chunk: Buffer = Buffer.alloc(0);
  private used = 0;

  constructor(private readonly chunkBytes = 256 * 1024) {}

  /** `head` and then `text` from its `skip`-th character (ASCII before it), as one line. */
  place(head: Buffer, text: string, skip: number): Buffer {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    const most = head.length + (text.length - skip) * 3;
    if (this.used + most > this.chunk.length) {
      this.chunk = Buffer.allocUnsafe(Math.max(this.chunkBytes, most));
      this.used = 0;
    }
    const start = this.used;
    // The text is written whole, its ASCII prefix where the head then goes over it: no slice of the text.
    const textAt = start + head.length - skip;
    const written = this.chunk.write(text, textAt, 'utf8');
    this.chunk.set(head, start);
    this.used = textAt + written;
    return this.chunk.subarray(start, this.used);
  }
}

let shared: LineArena | undefined;
function sharedLines(): LineArena {
  return (shared ??= new LineArena());
}

/** The event's `event_id` when it is a non-empty string (what de-duplication goes by). */
export function eventIdOf(event: HangarEvent): string | undefined {
  const id = event.event_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
