import type { HangarEvent, ReplayFilter } from '../protocol/types.js';
import { compileAboutFilter } from './about-filter.js';
import { compileTypeFilter, type TypeFilter } from './type-filter.js';
import { compileWhere } from './where.js';

/** Which events a tail wants: what the server is asked for, and the exact filter applied locally. */
export interface EventFilter {
  /** `event_types` for the subscribe message; undefined = every type (see TypeFilter.serverPatterns). */
  readonly eventTypes: readonly string[] | undefined;
  /**
   * `mcp_server_ids` for a replay only (serve matches every identity field);
   * live events are never narrowed by server on the wire: a gateway matches
   * mcp_server_id only and would hide discovery, withdrawal, pre-rename and
   * group events, so the local filter does it. Undefined with `groups` too.
   */
  readonly replayServerIds: readonly string[] | undefined;
  /** The whole filter for serve to apply to a replay (`replay_filter`); undefined when every event passes. */
  readonly replayFilter: ReplayFilter | undefined;
  /** The exact filter; undefined when every event passes (the hot path skips it). */
  readonly matches: ((event: HangarEvent) => boolean) | undefined;
  /** Exact type names that are not in the catalog, for a warning with suggestions. */
  readonly unknownTypes: readonly string[];
  /** Exact type names a current gateway never emits, for a warning. */
  readonly neverEmitted: TypeFilter['neverEmitted'];
}

/** What to filter on: type names or globs, server and group ids, `--where`-style predicates. */
export interface EventFilterSpec {
  readonly types: readonly string[];
  readonly excludeTypes: readonly string[];
  readonly servers: readonly string[];
  readonly groups: readonly string[];
  readonly where: readonly string[];
  /** How errors name the predicates' origin (the flag, e.g. `--where`). */
  readonly whereLabel?: string;
}

/** Compiles a filter; throws a UsageError for a predicate that does not parse. */
export function compileEventFilter(spec: EventFilterSpec): EventFilter {
  const typeFilter = compileTypeFilter(spec.types, spec.excludeTypes);
  const where = spec.where.length > 0 ? compileWhere(spec.where, spec.whereLabel) : undefined;
  const about = compileAboutFilter(spec.servers, spec.groups);
  const unfiltered = typeFilter.all && about === undefined && where === undefined;
  const matches = unfiltered
    ? undefined
    : (event: HangarEvent): boolean =>
        typeFilter.matches(event.event_type) && (about === undefined || about(event)) && (where === undefined || where(event));
  return {
    eventTypes: typeFilter.serverPatterns,
    replayServerIds: spec.servers.length > 0 && spec.groups.length === 0 ? spec.servers : undefined,
    replayFilter: unfiltered ? undefined : toReplayFilter(spec),
    matches,
    unknownTypes: typeFilter.unknown,
    neverEmitted: typeFilter.neverEmitted,
  };
}

/** The spec as serve's `replay_filter` (PROTOCOL.md Part 2), empty lists left out. */
function toReplayFilter(spec: EventFilterSpec): ReplayFilter {
  const filter: ReplayFilter = {};
  if (spec.types.length > 0) filter.types = [...spec.types];
  if (spec.excludeTypes.length > 0) filter.exclude_types = [...spec.excludeTypes];
  if (spec.servers.length > 0) filter.servers = [...spec.servers];
  if (spec.groups.length > 0) filter.groups = [...spec.groups];
  if (spec.where.length > 0) filter.where = [...spec.where];
  return filter;
}
