import { DEFAULT_MAX_FRAME_BYTES } from '../protocol/types.js';
import { formatBytes } from '../format/bytes.js';

/**
 * How much of a store a read may hold. A row is bounded like a socket frame
 * (its event_type, stream_id and data together): a larger one is reported and
 * skipped without its data ever leaving the database. A batch is bounded by
 * bytes as well as rows: rows larger than `inlineBytes` come one at a time,
 * and the batch ends before the one that would take it past `batchBytes`.
 */
export interface RowLimits {
  readonly maxRowBytes: number;
  readonly batchBytes: number;
}

export const DEFAULT_ROW_LIMITS: RowLimits = { maxRowBytes: DEFAULT_MAX_FRAME_BYTES, batchBytes: 16 * 1024 * 1024 };

/** Rows up to this size come with the batch; larger ones are read one at a time, within the batch's bytes. */
export function inlineBytes(limits: RowLimits, batchRows: number): number {
  return Math.max(1024, Math.floor(limits.batchBytes / Math.max(1, batchRows)));
}

/** The report for a row over the limit (the event type cut short: it may be the large part). */
export function oversizedRow(position: string, eventType: unknown, size: number, limits: RowLimits): string {
  const type = typeof eventType === 'string' && eventType !== '' ? ` (${eventType.slice(0, 60)})` : '';
  return `row ${position}${type}: ${formatBytes(size)} (${size} bytes) is larger than the ${limits.maxRowBytes}-byte limit for one event; skipped without reading it`;
}
