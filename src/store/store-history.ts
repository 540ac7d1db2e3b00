import type { HangarEvent } from '../protocol/types.js';
import type { StoreHistory, StoreHistoryRequest, StoreHistoryResult } from '../server/store-history.js';
import type { StoredEvent } from './store-event.js';
import type { StoreCursor } from './store-cursor.js';
import type { StoreReader } from './store-reader.js';
import { before, compareCursors, DEFAULT_BATCH, describeCompaction, yieldToIo } from './store-window.js';

/** Most store events one replay holds in memory; beyond it the oldest are left out and the replay is incomplete. */
export const MAX_STORE_REPLAY = 100_000;

/** How many of the ring's oldest events are looked up in the store to find where the ring begins. */
const SEAM_LOOKUPS = 20;

/**
 * serve --store: a replay that reaches past the ring is completed from the
 * gateway's store (read-only). The store's part ends where the ring begins:
 * at the store row of the ring's oldest stored event (or, when the store has
 * none of the ring's events, at the store's head, leaving out every event the
 * ring holds).
 */
export function createStoreHistory(reader: StoreReader, options: { readonly maxEvents?: number; readonly batchSize?: number } = {}): StoreHistory {
  const maxEvents = options.maxEvents ?? MAX_STORE_REPLAY;
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  return {
    async read(ask: StoreHistoryRequest): Promise<StoreHistoryResult> {
      const seam = await findSeam(reader, ask.ringOldestIds);
      const wanted = (stored: StoredEvent): boolean => (stored.id === undefined || !ask.ringIds.has(stored.id)) && ask.matches(stored.event);
      const request = ask.request;
      if ('last' in request) {
        const need = Math.min(ask.need ?? request.last, maxEvents);
        const found: HangarEvent[] = [];
        let cursor = seam.inclusive ? before(seam.cursor) : seam.cursor;
        let reachedStart = false;
        while (found.length < need) {
          const batch = await reader.readBefore(cursor, batchSize);
          for (const stored of batch.events) {
            if (!wanted(stored)) continue;
            found.push(stored.event);
            if (found.length === need) break;
          }
          cursor = batch.cursor;
          if (batch.atHead) {
            reachedStart = true;
            break;
          }
          await yieldToIo();
        }
        found.reverse();
        if (found.length === (ask.need ?? request.last)) return { events: found, complete: true };
        if (!reachedStart) return { events: found, complete: false, reason: `a replay from the store is limited to ${maxEvents} events` };
        const compacted = describeCompaction(await reader.compactedStreams(), undefined, ask.serverIds);
        return compacted === undefined ? { events: found, complete: true } : { events: found, complete: false, reason: compacted.replace('the whole window', 'the whole replay') };
      }
      let start: StoreCursor;
      let sinceSeconds: number | undefined;
      if ('since' in request) {
        sinceSeconds = request.since;
        start = await reader.cursorAtTime(request.since);
      } else {
        const at = await reader.findEvent(request.after);
        if (at === undefined) return { events: [], complete: false, reason: `the event ${request.after.slice(0, 80)} is neither in the ring nor in the store` };
        start = at;
      }
      const kept: HangarEvent[] = [];
      let overflow = false;
      let cursor = start;
      for (;;) {
        const batch = await reader.readAfter(cursor, batchSize);
        let atSeam = false;
        for (const stored of batch.events) {
          const past = compareCursors(stored.cursor, seam.cursor);
          if (past > 0 || (past === 0 && seam.inclusive)) {
            atSeam = true;
            break;
          }
          if (sinceSeconds !== undefined && stored.occurredAt !== undefined && stored.occurredAt < sinceSeconds) continue;
          if (!wanted(stored)) continue;
          kept.push(stored.event);
        }
        // The newest maxEvents stay (they join the ring without a gap); older ones make the replay incomplete.
        if (kept.length > maxEvents) {
          kept.splice(0, kept.length - maxEvents);
          overflow = true;
        }
        cursor = batch.cursor;
        if (atSeam || batch.atHead) break;
        await yieldToIo();
      }
      if (overflow) return { events: kept, complete: false, reason: `a replay from the store is limited to ${maxEvents} events; older ones were left out` };
      if (sinceSeconds !== undefined) {
        const compacted = describeCompaction(await reader.compactedStreams(), sinceSeconds, ask.serverIds);
        if (compacted !== undefined) return { events: kept, complete: false, reason: compacted.replace('the whole window', 'the whole replay') };
      }
      return { events: kept, complete: true };
    },
  };
}

/** Where the ring begins in the store: the row of its oldest event the store has (inclusive), else the head. */
async function findSeam(reader: StoreReader, oldestIds: readonly string[]): Promise<{ cursor: StoreCursor; inclusive: boolean }> {
  for (const id of oldestIds.slice(0, SEAM_LOOKUPS)) {
    const cursor = await reader.findEvent(id);
    if (cursor !== undefined) return { cursor, inclusive: true };
  }
  return { cursor: await reader.head(), inclusive: false };
}
