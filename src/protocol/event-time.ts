/**
 * Where an event's time comes from (`occurred_at`, else `timestamp`) and the
 * ISO 8601 reading the gateway's timestamps need: shared by the pipeline
 * (`--since`/`--until`), the aggregates, the console and the renderers.
 */

/**
 * The time of an event in ms since the epoch: `occurred_at` (Unix seconds as
 * a float), else `timestamp` (ISO 8601; without a zone it is UTC, as the
 * gateway writes it), else undefined.
 */
export function eventTimeMs(event: Readonly<Record<string, unknown>>): number | undefined {
  const occurredAt = event.occurred_at;
  if (typeof occurredAt === 'number' && Number.isFinite(occurredAt)) return occurredAt * 1000;
  const timestamp = event.timestamp;
  if (typeof timestamp === 'string' && timestamp.length >= 10) return parseIsoMs(timestamp);
  if (typeof timestamp === 'number' && Number.isFinite(timestamp)) return timestamp > 1e11 ? timestamp : timestamp * 1000;
  return undefined;
}

/** Parses ISO 8601; a string without a zone designator is taken as UTC. Undefined when unparsable. */
export function parseIsoMs(text: string): number | undefined {
  const ms = Date.parse(hasTimePart(text) && !hasZone(text) ? `${text}Z` : text);
  return Number.isNaN(ms) ? undefined : ms;
}

function hasTimePart(text: string): boolean {
  return text.length > 10 && (text[10] === 'T' || text[10] === 't' || text[10] === ' ');
}

function hasZone(text: string): boolean {
  const last = text.charCodeAt(text.length - 1);
  if (last === 0x5a || last === 0x7a) return true; // Z z
  // +hh:mm, +hhmm or +hh after the time part (the date part's '-' comes before 'T').
  for (let i = text.length - 1; i > 10; i--) {
    const c = text.charCodeAt(i);
    if (c === 0x2b || c === 0x2d) return true; // + -
  }
  return false;
}
