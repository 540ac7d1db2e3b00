/** What the main thread and the read-ahead helper (sqlite-read-ahead.ts) tell each other. */

/** A batch's claim (Region.claims): nobody's yet, the main thread's, the helper's. */
export const UNCLAIMED = 0;
export const MAIN = 1;
export const HELPER = 2;

/** The helper's start (its workerData): the store as the main thread opened it. */
export interface HelperStart {
  readonly path: string;
  readonly busyTimeoutMs: number;
}

/**
 * Positions (from, to] cut into `count` batches of `batch` positions (the last may be shorter):
 * batch k is (from + k * batch, min(from + (k + 1) * batch, to)]. The helper claims from the last
 * one back and stops at the first it finds claimed, or once it has read `capBytes` of lines.
 */
export interface Region {
  /** The events table, quoted for SQL. */
  readonly events: string;
  readonly id: number;
  readonly from: number;
  readonly to: number;
  readonly batch: number;
  readonly count: number;
  /** The largest row a batch takes inline (SqliteLineBatches). */
  readonly inline: number;
  /** A --since window's time (SqliteLineBatches). */
  readonly since: number | undefined;
  readonly capBytes: number;
  /** One claim per batch, in shared memory. */
  readonly claims: Int32Array;
}

/**
 * The helper's batch: its lines (moved, not copied; null when the batch is the row path's), or
 * what went wrong (the main thread reads it again and reports); `done` once it stops claiming.
 */
export type HelperMessage =
  | { readonly kind: 'lines'; readonly region: number; readonly index: number; readonly count: number; readonly lines: Uint8Array | null }
  | { readonly kind: 'error'; readonly region: number; readonly index: number }
  | { readonly kind: 'done'; readonly region: number };
