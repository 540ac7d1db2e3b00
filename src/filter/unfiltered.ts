import type { EventFilter } from './event-filter.js';

/**
 * What compileEventFilter makes of a spec with no type, server, group or
 * predicate (every event passes), without loading the filters and the event
 * catalog: tail's options use it when no filter flag is given
 * (test/unit/event-filter.test.ts checks that the two are equal).
 */
export function unfilteredEventFilter(): EventFilter {
  return { eventTypes: undefined, replayServerIds: undefined, replayFilter: undefined, matches: undefined, unknownTypes: [], neverEmitted: [] };
}
