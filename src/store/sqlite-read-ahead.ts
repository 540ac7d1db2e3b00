import { Worker } from 'node:worker_threads';
import type { SqliteLines } from './sqlite-lines.js';
import { HELPER, MAIN, UNCLAIMED, type HelperMessage, type HelperStart, type Region } from './sqlite-read-ahead-messages.js';

/**
 * A long read of an SQLite store's lines on two threads. The rows between
 * two positions (a region) are cut into batches of `limit` positions; the
 * main thread reads them from the first on, a helper thread (a worker with
 * its own read-only connection) from the last back, and they meet: each
 * batch is claimed by exactly one of them (a compare-and-swap on a shared
 * array), so nothing is read twice and nothing waits but at the meeting
 * point, however unevenly the two threads run. The main thread prints in
 * commit order: its own batches as it reads them, the helper's as they come
 * (the helper's lines are moved, not copied). A helper that cannot start or
 * dies leaves its batches to the main thread, which reads them as before.
 *
 * Worth it only for many rows: the helper's start costs ~50 ms of CPU
 * (bench/README.md, issue 24, round six). Memory: the helper holds at most
 * CAP_BYTES of lines per region ahead of the main thread; with its isolate
 * and the driver's buffers, a long read takes ~50-70 MB more (maximum RSS of a
 * 200,000-event backfill ~110 -> 165-180 MB).
 */

/** How long a read waits for a writer's lock before the store counts as locked, unless told. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** The helper starts for a read of this many positions or more (then any region of MIN_BATCHES is shared). */
export const MIN_POSITIONS = 50_000;
/**
 * A region is at most this many batches: the helper holds its half of a region until the main
 * thread gets there (~9 MB of lines for rows of ~270 bytes), and at most CAP_BYTES.
 */
const REGION_BATCHES = 64;
/** Once the helper runs, a region needs only this many batches (the rest of a long read after its last full region). */
const MIN_BATCHES = 2;
/** The helper stops claiming batches once it has read this many bytes of lines in a region. */
const CAP_BYTES = 16 * 1024 * 1024;

/** Other sizes, and hooks, for tests (SqliteStoreOptions.readAhead). */
export interface ReadAheadTuning {
  readonly minPositions?: number;
  readonly regionBatches?: number;
  readonly capBytes?: number;
  /** The main thread claims nothing: it takes every batch from the helper (unless the helper stops). */
  readonly helperOnly?: boolean;
  /** The helper, once a reader has it. */
  readonly onHelper?: (helper: Worker) => void;
  /** Who read each batch printed as lines. */
  readonly onBatch?: (by: 'main' | 'helper', after: number, through: number) => void;
}

export interface ReadAheadOptions {
  /** The database file, as the main thread opened it. */
  readonly path: string;
  /** The events table, quoted for SQL. */
  readonly events: string;
  readonly busyTimeoutMs: number;
  /** The main thread's own read of the rows in (after, through] (its errors mapped as the reader maps them). */
  readonly readOwn: (after: number, through: number, inline: number, sinceSeconds: number | undefined) => SqliteLines | undefined;
  /** The store's last position now (where a window without an end is cut). */
  readonly head: () => number;
  readonly tuning?: ReadAheadTuning | undefined;
}

interface RegionState extends Region {
  readonly limit: number;
  /** The helper's batches read and not yet printed, by index. */
  readonly results: Map<number, HelperMessage>;
  /** Who waits for the helper's batch, by index. */
  readonly waiting: Map<number, () => void>;
  /** The helper claims no more of the region's batches. */
  helperDone: boolean;
  /** Every batch before this one is taken or passed (forgetBefore). */
  taken: number;
}

export class SqliteReadAhead {
  /** null: the helper could not start or has stopped (the main thread reads everything). */
  private helper: Worker | undefined | null;
  private region: RegionState | undefined;
  private nextRegion = 1;
  private readonly tuning: ReadAheadTuning;

  constructor(private readonly options: ReadAheadOptions) {
    this.tuning = options.tuning ?? {};
  }

  /**
   * The batch after `after`, when it lies in a region read on two threads: its lines (the
   * batch ends at `last` whether or not a row is there), or undefined when it is the row
   * path's. null when this read is not for two threads (the caller reads as before).
   */
  read(after: number, through: number, limit: number, inline: number, sinceSeconds: number | undefined): Promise<SqliteLines | undefined> | null {
    let region = this.region;
    if (region !== undefined && !(region.limit === limit && region.inline === inline && region.since === sinceSeconds && after >= region.from && after < region.to)) {
      this.endRegion();
      region = undefined;
    }
    if (region === undefined) {
      region = this.startRegion(after, through, limit, inline, sinceSeconds);
      if (region === undefined) return null;
    }
    const index = Math.floor((after - region.from) / region.batch);
    const end = Math.min(region.from + (index + 1) * region.batch, region.to);
    // After a batch the row path read, the cursor may be inside a batch: read from it to the batch's end here.
    const boundary = after === region.from + index * region.batch;
    forgetBefore(region, boundary ? index : index + 1);
    if (boundary && this.tuning.helperOnly === true) return this.fromHelper(region, index, end);
    const claim = Atomics.compareExchange(region.claims, index, UNCLAIMED, MAIN);
    if (claim === HELPER && boundary) return this.fromHelper(region, index, end);
    return Promise.resolve(this.readOwn(after, end, inline, sinceSeconds));
  }

  /** Stops the helper (the reader is closing). */
  async close(): Promise<void> {
    this.endRegion();
    const helper = this.helper;
    this.helper = null;
    if (helper) await helper.terminate();
  }

  private startRegion(after: number, through: number, limit: number, inline: number, sinceSeconds: number | undefined): RegionState | undefined {
    if (this.helper === null) return undefined;
    // The helper's start is worth it for a long read; once it runs, any read of a few batches is shared.
    const { minPositions: minToStart = MIN_POSITIONS, regionBatches = REGION_BATCHES, capBytes = CAP_BYTES } = this.tuning;
    const minPositions = this.helper === undefined ? minToStart : MIN_BATCHES * limit;
    // The cheap test first: a window without an end asks for the head only when it may be long.
    const bound = Math.min(through, after + regionBatches * limit);
    if (bound - after < minPositions) return undefined;
    const to = Math.min(bound, through === Number.MAX_SAFE_INTEGER ? this.options.head() : through);
    if (to - after < minPositions) return undefined;
    const helper = this.startHelper();
    if (helper === undefined) return undefined;
    const count = Math.ceil((to - after) / limit);
    const region: RegionState = {
      events: this.options.events,
      id: this.nextRegion++,
      from: after,
      to,
      batch: limit,
      count,
      inline,
      since: sinceSeconds,
      capBytes,
      claims: new Int32Array(new SharedArrayBuffer(count * Int32Array.BYTES_PER_ELEMENT)),
      limit,
      results: new Map(),
      waiting: new Map(),
      helperDone: false,
      taken: 0,
    };
    const message: Region = { events: region.events, id: region.id, from: region.from, to, batch: limit, count, inline, since: sinceSeconds, capBytes, claims: region.claims };
    helper.postMessage(message);
    this.region = region;
    return region;
  }

  /** The main thread takes every batch not yet claimed (the helper stops at the first it finds taken); its lines are let go. */
  private endRegion(): void {
    const region = this.region;
    if (region === undefined) return;
    this.region = undefined;
    for (let k = 0; k < region.count; k++) Atomics.compareExchange(region.claims, k, UNCLAIMED, MAIN);
    region.results.clear();
    for (const wake of region.waiting.values()) wake();
    region.waiting.clear();
    this.helper?.unref();
  }

  /** The helper's batch `index` once it comes; read here when the helper failed it or is gone. */
  private async fromHelper(region: RegionState, index: number, end: number): Promise<SqliteLines | undefined> {
    const after = region.from + index * region.batch;
    if (!region.results.has(index) && this.helper && !region.helperDone) {
      // A waiting main thread keeps the process alive for the helper's answer.
      this.helper.ref();
      await new Promise<void>((resolve) => region.waiting.set(index, resolve));
      if (region.waiting.size === 0) this.helper?.unref();
    }
    const result = region.results.get(index);
    region.results.delete(index);
    if (result === undefined || result.kind !== 'lines') {
      // Not read by the helper (it failed, stopped, or is gone): here, as any batch.
      Atomics.compareExchange(region.claims, index, UNCLAIMED, MAIN);
      return this.readOwn(after, end, region.inline, region.since);
    }
    if (result.lines === null) return undefined;
    this.tuning.onBatch?.('helper', after, end);
    return { lines: Buffer.from(result.lines.buffer, result.lines.byteOffset, result.lines.byteLength), count: result.count, last: end };
  }

  private readOwn(after: number, through: number, inline: number, sinceSeconds: number | undefined): SqliteLines | undefined {
    const lines = this.options.readOwn(after, through, inline, sinceSeconds);
    if (lines !== undefined) this.tuning.onBatch?.('main', after, through);
    return lines;
  }

  private startHelper(): Worker | undefined {
    if (this.helper !== undefined) return this.helper ?? undefined;
    const helper = adoptPrestarted(this.options.path) ?? newHelper(this.options.path, this.options.busyTimeoutMs);
    if (helper === undefined) {
      this.helper = null;
      return undefined;
    }
    helper.on('message', (message: HelperMessage) => this.received(message));
    // Gone (could not load the driver, open the file, or crashed): its batches are the main thread's.
    const gone = (): void => {
      if (this.helper === helper) this.helper = null;
      const region = this.region;
      if (region === undefined) return;
      for (const wake of region.waiting.values()) wake();
      region.waiting.clear();
    };
    helper.on('error', gone);
    helper.on('exit', gone);
    this.helper = helper;
    this.tuning.onHelper?.(helper);
    // A prestarted helper may have ended already (no driver, no file).
    if (helper.threadId < 0) {
      gone();
      return undefined;
    }
    return helper;
  }

  private received(message: HelperMessage): void {
    const region = this.region;
    if (region === undefined || message.region !== region.id) return;
    if (message.kind === 'done') {
      // Whoever waits for a batch the helper did not claim reads it.
      region.helperDone = true;
      for (const wake of region.waiting.values()) wake();
      region.waiting.clear();
      return;
    }
    region.results.set(message.index, message);
    const wake = region.waiting.get(message.index);
    if (wake !== undefined) {
      region.waiting.delete(message.index);
      wake();
    }
  }
}

/** Lets go of the helper's lines for batches before `index` (the row path read past them): batches are taken in order, so only those since the last taken. */
function forgetBefore(region: RegionState, index: number): void {
  for (let k = region.taken; k < index; k++) region.results.delete(k);
  if (index > region.taken) region.taken = index;
}

/** A helper started before the store was opened (prestartReadAhead), for that file. */
let prestarted: { readonly path: string; readonly helper: Worker } | undefined;

/**
 * Starts the helper for a long read of the SQLite file at `path` now, while the rest of the tail
 * loads and the store opens (its own start, ~50-100 ms, then overlaps theirs): the reader opened on
 * that file takes it. A helper nobody takes never keeps the process alive.
 */
export function prestartReadAhead(path: string, busyTimeoutMs: number): void {
  if (prestarted !== undefined) return;
  const helper = newHelper(path, busyTimeoutMs);
  if (helper !== undefined) prestarted = { path, helper };
}

function adoptPrestarted(path: string): Worker | undefined {
  const taken = prestarted;
  if (taken === undefined || taken.path !== path) return undefined;
  prestarted = undefined;
  return taken.helper;
}

/**
 * The helper's module: beside this one once built; when this one runs as TypeScript (the tests
 * run the sources), the built one, as a worker cannot load TypeScript (`npm test` builds first).
 */
const HELPER_URL = import.meta.url.endsWith('.ts') ? new URL('../../dist/store/sqlite-read-ahead-worker.js', import.meta.url) : new URL('./sqlite-read-ahead-worker.js', import.meta.url);

/** A new helper, not keeping the process alive (fromHelper refs it while it waits); undefined when no thread can start. */
function newHelper(path: string, busyTimeoutMs: number): Worker | undefined {
  const start: HelperStart = { path, busyTimeoutMs };
  try {
    // A small young generation: the driver's Buffers (external memory) are let go of at each scavenge, sooner.
    const helper = new Worker(HELPER_URL, { workerData: start, stdout: false, stderr: false, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
    helper.unref();
    // Until a reader takes it: a helper that fails (no driver, no file) is simply not used.
    helper.on('error', () => {});
    return helper;
  } catch {
    return undefined;
  }
}
