import { isPlainObject } from '../protocol/decode.js';
import type { HangarEvent } from '../protocol/types.js';
import type { StoreCursor } from './store-reader.js';

/** One event read from the store, ready for the tail pipeline. */
export interface StoredEvent {
  /** As the socket sends it: `event_type` first, then the stored fields without `_version`. */
  readonly event: HangarEvent;
  /** The event as JSON text (what -o ndjson and --record write). */
  readonly raw: string;
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
export function toStoredEvent(eventType: unknown, data: unknown, streamId: unknown, cursor: StoreCursor): StoredRowResult {
  const position = cursor.engine === 'sqlite' ? cursor.position : `${cursor.xid}:${cursor.position}`;
  if (typeof eventType !== 'string' || eventType === '') return { ok: false, error: `row ${position}: no event_type` };
  let fields: unknown = data;
  if (typeof data === 'string') {
    try {
      fields = JSON.parse(data);
    } catch (error) {
      return { ok: false, error: `row ${position} (${eventType.slice(0, 60)}): data is not valid JSON (${(error as Error).message})` };
    }
  }
  if (!isPlainObject(fields)) return { ok: false, error: `row ${position} (${eventType.slice(0, 60)}): data is not a JSON object` };
  const event: HangarEvent = { event_type: eventType };
  for (const key of Object.keys(fields)) {
    if (key === '_version' || key === 'event_type') continue;
    // defineProperty, not assignment: a stored `__proto__` key stays a plain field (as JSON.parse keeps it).
    Object.defineProperty(event, key, { value: fields[key], enumerable: true, writable: true, configurable: true });
  }
  return { ok: true, value: { event, raw: JSON.stringify(event), streamId: typeof streamId === 'string' ? streamId : '', cursor } };
}

/** The event's `event_id` when it is a non-empty string (what de-duplication goes by). */
export function eventIdOf(event: HangarEvent): string | undefined {
  const id = event.event_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
