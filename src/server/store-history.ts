import type { HangarEvent, ReplayRequest } from '../protocol/types.js';

/**
 * What a replay asks of an event store when it reaches past the ring (serve
 * --store). The store supplies the events older than the ring: `ring` says
 * which events the ring holds, so the store's part ends where the ring's
 * begins and no event is sent twice.
 */
export interface StoreHistoryRequest {
  readonly request: ReplayRequest;
  /** The subscriber's filter, compiled. */
  readonly matches: (event: HangarEvent) => boolean;
  /** The subscriber's server filter (for which compacted streams matter). */
  readonly serverIds: readonly string[] | undefined;
  /** `last` only: how many matching events the store must add (the ring had the rest). */
  readonly need: number | undefined;
  /** event_id of every event in the ring, and the oldest ones first (to find where the ring starts in the store). */
  readonly ringIds: ReadonlySet<string>;
  readonly ringOldestIds: readonly string[];
}

export interface StoreHistoryResult {
  /** The store's events for the request, oldest first, none of them in the ring. */
  readonly events: readonly HangarEvent[];
  /** Whether the store covered the request (false: compacted streams, an unknown `after` id, a store error, too many events). */
  readonly complete: boolean;
  /** Why not complete, for the `replayed` message. */
  readonly reason?: string | undefined;
}

/** Read-only history behind the ring (see Hub.useStoreHistory). */
export interface StoreHistory {
  read(request: StoreHistoryRequest): Promise<StoreHistoryResult>;
}

/** Said in every `replayed` that consulted the store: what it can never supply. */
export const STORE_KEEPS_NOTE = 'the store keeps only events that name a server, group or session; older events without one cannot be replayed';
