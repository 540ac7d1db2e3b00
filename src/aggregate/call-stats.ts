/**
 * Counts of tool calls for one group (a server, a tool, a caller, a tenant):
 * exact totals since the start, recent durations for percentiles, and a
 * short per-second history for the rate. Immutable: every add returns a new
 * record, so the aggregates built from it stay pure reducers.
 */

/** How many recent call durations a group keeps for P50/P95. */
export const LATENCY_SAMPLES = 128;
/** The calls/s figure counts calls over this much recent event time. */
export const CALLS_RATE_WINDOW_MS = 10_000;
const RATE_BUCKET_MS = 1000;

export interface RateBucket {
  readonly startMs: number;
  readonly count: number;
}

export interface CallStats {
  /** Tool calls that ended (ToolInvocationCompleted + ToolInvocationFailed). */
  readonly calls: number;
  readonly failed: number;
  /** Durations (ms) of the most recent ended calls, oldest first, at most LATENCY_SAMPLES. */
  readonly latenciesMs: readonly number[];
  /** Ended calls per second of event time, for the last CALLS_RATE_WINDOW_MS. */
  readonly rateBuckets: readonly RateBucket[];
  /** error_type of the last failed call ('' when it gave none). */
  readonly lastErrorType: string | undefined;
  /** Event time of the last call, ms since the epoch. */
  readonly lastCallAtMs: number | undefined;
}

export const EMPTY_CALL_STATS: CallStats = {
  calls: 0,
  failed: 0,
  latenciesMs: [],
  rateBuckets: [],
  lastErrorType: undefined,
  lastCallAtMs: undefined,
};

/** One ended call as the stats take it. */
export interface EndedCall {
  readonly failed: boolean;
  readonly durationMs: number | undefined;
  /** The failure's error_type ('' when none given); ignored for completed calls. */
  readonly errorType: string;
  /** Event time, ms since the epoch. */
  readonly atMs: number;
}

/** The stats with one more ended call. */
export function addCall(stats: CallStats, call: EndedCall): CallStats {
  let latenciesMs = stats.latenciesMs;
  if (call.durationMs !== undefined) {
    const kept = latenciesMs.length >= LATENCY_SAMPLES ? latenciesMs.slice(latenciesMs.length - LATENCY_SAMPLES + 1) : latenciesMs.slice();
    kept.push(call.durationMs);
    latenciesMs = kept;
  }
  return {
    calls: stats.calls + 1,
    failed: stats.failed + (call.failed ? 1 : 0),
    latenciesMs,
    rateBuckets: countInBucket(stats.rateBuckets, call.atMs),
    lastErrorType: call.failed ? call.errorType : stats.lastErrorType,
    lastCallAtMs: Math.max(stats.lastCallAtMs ?? call.atMs, call.atMs),
  };
}

/** Buckets of RATE_BUCKET_MS; a late event (out of order) counts in its own bucket when still kept. */
function countInBucket(buckets: readonly RateBucket[], atMs: number): readonly RateBucket[] {
  const startMs = atMs - (atMs % RATE_BUCKET_MS);
  const newest = buckets.length > 0 ? buckets[buckets.length - 1]!.startMs : startMs;
  const horizon = Math.max(newest, startMs) - CALLS_RATE_WINDOW_MS;
  const next: RateBucket[] = [];
  let placed = false;
  for (const bucket of buckets) {
    if (bucket.startMs < horizon) continue;
    if (bucket.startMs === startMs) {
      next.push({ startMs, count: bucket.count + 1 });
      placed = true;
    } else {
      if (!placed && bucket.startMs > startMs) {
        if (startMs >= horizon) next.push({ startMs, count: 1 });
        placed = true;
      }
      next.push(bucket);
    }
  }
  if (!placed && startMs >= horizon) next.push({ startMs, count: 1 });
  return next;
}

/**
 * Ended calls per second as of `asOfMs`: the calls of the last
 * CALLS_RATE_WINDOW_MS, over the window (or over `sinceMs`..asOfMs when the
 * stream is younger than the window, at least a second).
 */
export function callsPerSecond(stats: CallStats, asOfMs: number, sinceMs: number): number {
  const from = asOfMs - CALLS_RATE_WINDOW_MS;
  let count = 0;
  for (const bucket of stats.rateBuckets) if (bucket.startMs > from && bucket.startMs <= asOfMs) count += bucket.count;
  const spanMs = Math.min(CALLS_RATE_WINDOW_MS, Math.max(RATE_BUCKET_MS, asOfMs - sinceMs));
  return (count * 1000) / spanMs;
}

/** Failed / ended calls, or undefined with no calls. */
export function failureRatio(stats: CallStats): number | undefined {
  return stats.calls === 0 ? undefined : stats.failed / stats.calls;
}

/** Nearest-rank percentile (0 < p <= 1) of the recent durations, or undefined with none. */
export function percentileMs(stats: CallStats, p: number): number | undefined {
  const n = stats.latenciesMs.length;
  if (n === 0) return undefined;
  const sorted = Float64Array.from(stats.latenciesMs).sort();
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))];
}
