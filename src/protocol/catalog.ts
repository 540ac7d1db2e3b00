/**
 * The catalog of a current Hangar gateway's event types, built from the facts
 * in `catalog-data.ts` (generated from the shared facts file): every domain
 * event class with its category, fields (Python annotations and defaults),
 * whether a current gateway emits it, and the pre-rename `Provider*` aliases
 * that only older gateways write. Used by `hangar-events types`, the
 * did-you-mean for `--type`, shell completion and the simulator. Clients
 * render any type, known or not.
 */
import { CATALOG_FACTS, type CatalogField } from './catalog-data.js';

export type EventField = CatalogField;

/** The gateway's own grouping of its event classes. */
export type EventCategory =
  | 'lifecycle'
  | 'health'
  | 'invocation'
  | 'discovery'
  | 'approvals'
  | 'enforcement'
  | 'auth'
  | 'administration'
  | 'operations'
  | 'tasks'
  | 'groups'
  | 'analysis'
  | 'interceptors';

/** Categories in display order: what an operator of a fleet meets first comes first. */
export const EVENT_CATEGORIES: readonly EventCategory[] = [
  'lifecycle', 'health', 'invocation', 'discovery', 'approvals', 'enforcement', 'auth',
  'administration', 'operations', 'tasks', 'groups', 'analysis', 'interceptors',
];

export interface EventTypeInfo {
  readonly name: string;
  readonly category: EventCategory;
  /** The event's own fields, in the class's order (the identity fields every event carries are not repeated). */
  readonly fields: readonly EventField[];
  /** Whether a current gateway publishes it (false: defined but never emitted, or a deprecated alias). */
  readonly emitted: boolean;
  /** Why a defined type is never emitted (`reserved (consumed, no producer yet)`, ...). */
  readonly notEmittedBecause?: string;
  /** For a pre-rename alias (`ProviderStarted`...): the current name. A current gateway never writes the alias. */
  readonly aliasOf?: string;
  /** Whether the payload may carry `provider_id` instead of `mcp_server_id` (pre-rename producers). */
  readonly acceptsLegacyProviderId: boolean;
}

/** Fields every event carries, with their types. */
export const IDENTITY_FIELDS: readonly EventField[] = [
  { name: 'event_type', type: 'str (class name)' },
  ...CATALOG_FACTS.identity_fields_on_every_event,
];

/** Where the facts were read from (the gateway's version). */
export const CATALOG_SOURCE = CATALOG_FACTS.source;

function toCategory(name: string): EventCategory {
  if ((EVENT_CATEGORIES as readonly string[]).includes(name)) return name as EventCategory;
  throw new Error(`catalog-data.ts has an unknown category '${name}': add it to EVENT_CATEGORIES`);
}

const current: EventTypeInfo[] = CATALOG_FACTS.events.map((event) => ({
  name: event.event_type,
  category: toCategory(event.category),
  fields: event.fields,
  emitted: event.emitted,
  ...(event.not_emitted_because !== undefined ? { notEmittedBecause: event.not_emitted_because } : {}),
  acceptsLegacyProviderId: event.accepts_legacy_provider_id,
}));

const currentByName = new Map(current.map((info) => [info.name, info]));

/** A pre-rename payload names the server `provider_id` / `provider_name`. */
function legacyField(field: EventField): EventField {
  if (field.name === 'mcp_server_id') return { ...field, name: 'provider_id' };
  if (field.name === 'mcp_server_name') return { ...field, name: 'provider_name' };
  return field;
}

const aliases: EventTypeInfo[] = Object.entries(CATALOG_FACTS.deprecated_aliases_never_on_the_wire_of_a_current_gateway).map(([alias, target]) => {
  const info = currentByName.get(target);
  if (info === undefined) throw new Error(`catalog-data.ts: alias ${alias} names an unknown type ${target}`);
  return { name: alias, category: info.category, fields: info.fields.map(legacyField), emitted: false, aliasOf: target, acceptsLegacyProviderId: true };
});

/** Every known type: the gateway's classes in category order (emitted first, then never-emitted), then the deprecated aliases. */
export const EVENT_CATALOG: readonly EventTypeInfo[] = [
  ...EVENT_CATEGORIES.flatMap((category) => {
    const inCategory = current.filter((info) => info.category === category);
    return [...inCategory.filter((info) => info.emitted), ...inCategory.filter((info) => !info.emitted)];
  }),
  ...aliases,
];

/** The types a current gateway emits. */
export const EMITTED_TYPES: readonly EventTypeInfo[] = EVENT_CATALOG.filter((info) => info.emitted);

/** Pre-rename alias -> current name. */
export const DEPRECATED_ALIASES: ReadonlyMap<string, string> = new Map(aliases.map((info) => [info.name, info.aliasOf!]));

const byName = new Map(EVENT_CATALOG.map((info) => [info.name, info]));

/** The catalog entry of a type, if known; a pre-rename `Provider*` name of any `McpServer*` type is a deprecated alias. */
export function lookupEventType(name: string): EventTypeInfo | undefined {
  return byName.get(name) ?? preRenameAlias(name);
}

/**
 * Gateways from before the 2026-04 rename wrote `Provider*` for every
 * `McpServer*` class (`ProviderStarted`, `ProviderStateChanged`, ... as
 * `serve --profile legacy` does); the shared facts list only some of them.
 * The others are known here as deprecated aliases too, outside EVENT_CATALOG
 * (which mirrors the facts).
 */
function preRenameAlias(name: string): EventTypeInfo | undefined {
  if (!name.startsWith('Provider')) return undefined;
  const target = currentByName.get(`McpServer${name.slice('Provider'.length)}`);
  if (target === undefined) return undefined;
  return { name, category: target.category, fields: target.fields.map(legacyField), emitted: false, aliasOf: target.name, acceptsLegacyProviderId: true };
}

/** Levenshtein distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/**
 * Suggestions for a name that is not in `candidates`: a case-insensitive exact
 * match first, else the closest names within a distance that grows with length.
 */
export function suggest(name: string, candidates: readonly string[], limit = 3): string[] {
  const lower = name.toLowerCase();
  const caseMatch = candidates.find((c) => c.toLowerCase() === lower);
  if (caseMatch) return [caseMatch];
  const maxDistance = Math.max(2, Math.floor(name.length / 4));
  return candidates
    .map((c) => ({ c, d: editDistance(lower, c.toLowerCase()) }))
    .filter(({ d }) => d <= maxDistance)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, limit)
    .map(({ c }) => c);
}
