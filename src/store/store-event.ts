import { isPlainObject } from '../protocol/decode.js';
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
  /** `event_id` when it is a non-empty string. */
  readonly id: string | undefined;
  /** `occurred_at` when it is a number (Unix seconds). */
  readonly occurredAt: number | undefined;
  readonly streamId: string;
  /** Covers this row and everything before it: resuming there reads what comes after. */
  readonly cursor: StoreCursor;
}

export type StoredRowResult = { ok: true; value: StoredEvent } | { ok: false; error: string };

/**
 * Total decoding of one stored row into the event the gateway put on its
 * socket: `event_type` comes from the column (the data has none), `_version`
 * (the store's schema version) is dropped, every other field is kept in
 * order. A row whose data is not a JSON object is reported, never thrown.
 */
export function toStoredEvent(eventType: unknown, data: unknown, streamId: unknown, cursor: StoreCursor, checkedObject = false): StoredRowResult {
  const position = describePosition(cursor);
  if (typeof eventType !== 'string' || eventType === '') return { ok: false, error: `row ${position}: no event_type` };
  if (checkedObject && typeof data === 'string' && data.startsWith('{')) {
    const spliced = spliceRaw(eventType, data);
    if (spliced !== undefined) return { ok: true, value: new LazyStoredEvent(eventType, data, spliced, streamId, cursor) };
  }
  let fields: unknown = data;
  if (typeof data === 'string') {
    try {
      fields = JSON.parse(data);
    } catch (error) {
      return { ok: false, error: `row ${position} (${eventType.slice(0, 60)}): data is not valid JSON (${(error as Error).message})` };
    }
  }
  if (!isPlainObject(fields)) return { ok: false, error: `row ${position} (${eventType.slice(0, 60)}): data is not a JSON object` };
  const parsed = fields;
  let built: HangarEvent | undefined;
  const event = (): HangarEvent => (built ??= eventFrom(eventType, parsed).event);
  // The event object is built only when read (filters, pretty lines); the line is the stored text.
  const raw = (typeof data === 'string' && '_version' in parsed && spliceRaw(eventType, data)) || JSON.stringify(event());
  const id = parsed.event_id;
  const occurred = parsed.occurred_at;
  return {
    ok: true,
    value: {
      get event() {
        return event();
      },
      raw,
      id: typeof id === 'string' && id !== '' ? id : undefined,
      occurredAt: typeof occurred === 'number' ? occurred : undefined,
      streamId: typeof streamId === 'string' ? streamId : '',
      cursor,
    },
  };
}

/**
 * A row the database has checked is a JSON object (SQLite's json_valid): not
 * parsed at all unless a field is read, so an NDJSON backfill without filters
 * writes the stored text as it is. Should JavaScript disagree with the check,
 * the event keeps only its type rather than throw.
 */
class LazyStoredEvent implements StoredEvent {
  private fields: Record<string, unknown> | undefined;
  private built: HangarEvent | undefined;
  readonly streamId: string;

  constructor(
    private readonly eventType: string,
    private readonly data: string,
    readonly raw: string,
    streamId: unknown,
    readonly cursor: StoreCursor,
  ) {
    this.streamId = typeof streamId === 'string' ? streamId : '';
  }

  get event(): HangarEvent {
    return (this.built ??= eventFrom(this.eventType, this.parse()).event);
  }

  get id(): string | undefined {
    const id = this.parse().event_id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  }

  get occurredAt(): number | undefined {
    const at = this.parse().occurred_at;
    return typeof at === 'number' ? at : undefined;
  }

  private parse(): Record<string, unknown> {
    if (this.fields === undefined) {
      try {
        const value = JSON.parse(this.data) as unknown;
        this.fields = isPlainObject(value) ? value : {};
      } catch {
        this.fields = {};
      }
    }
    return this.fields;
  }
}

/** `42` on SQLite, `751:42` on PostgreSQL, for messages about a row. */
export function describePosition(cursor: StoreCursor): string {
  return cursor.engine === 'sqlite' ? String(cursor.position) : `${cursor.xid}:${cursor.position}`;
}

function eventFrom(eventType: string, fields: Record<string, unknown>): { event: HangarEvent; versioned: boolean } {
  const event: HangarEvent = { event_type: eventType };
  let versioned = false;
  for (const key in fields) {
    if (key === '_version') {
      versioned = true;
      continue;
    }
    if (key === 'event_type') continue;
    // A stored `__proto__` key stays a plain field (as JSON.parse keeps it), never the prototype.
    if (key === '__proto__') Object.defineProperty(event, key, { value: fields[key], enumerable: true, writable: true, configurable: true });
    else event[key] = fields[key];
  }
  return { event, versioned };
}

/** `{"_version": 1, ` as the gateway's serializer writes it (Python's separators, `_version` first). */
const VERSION_PREFIX = /^\{"_version": *-?\d+, */;

/**
 * The socket's line for a stored row without re-serialising it: the gateway
 * writes `data` as `{"_version": N, ...fields}`, so the event is `event_type`
 * followed by the rest of that text, formatted as the gateway formats it.
 * Undefined when the data is not in that shape (then the caller serialises).
 */
function spliceRaw(eventType: string, data: string): string | undefined {
  const match = VERSION_PREFIX.exec(data);
  if (match === null) return undefined;
  const rest = data.slice(match[0].length);
  // `{"_version": 1}` alone, or an event_type inside the data: not this shape.
  if (rest.startsWith('}') || rest.includes('"event_type"') || rest.includes('"_version"')) return undefined;
  return `{"event_type": ${JSON.stringify(eventType)}, ${rest}`;
}

/** The event's `event_id` when it is a non-empty string (what de-duplication goes by). */
export function eventIdOf(event: HangarEvent): string | undefined {
  const id = event.event_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
