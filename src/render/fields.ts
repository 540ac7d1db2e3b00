import { stripControl } from '../protocol/sanitize.js';

/**
 * Value formatting shared by the line renderer, templates and the calls sink:
 * compact and sanitized values (field paths are in protocol/field-path.ts).
 */

/** Longest rendered value (strings and compact JSON) before it is cut with `…`. */
export const MAX_VALUE_CHARS = 200;

/** Cuts text longer than `max` characters, marking the cut with `…`. */
export function truncate(text: string, max = MAX_VALUE_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A value as display text, sanitized: strings as they are, numbers and
 * booleans as JSON writes them, null as `null`, objects and arrays as compact
 * JSON; cut at MAX_VALUE_CHARS.
 */
export function formatValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return truncate(stripControl(value));
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return '';
    default:
      if (value === null) return 'null';
      return truncate(stripControl(compactJson(value)));
  }
}

/**
 * A value for `key=value` output: like formatValue, but a string that is
 * empty or contains a space, `=` or `"` is quoted (`"two words"`, inner
 * quotes as `\"`), so the pair stays one token for the eye and `awk`.
 */
export function formatPairValue(value: unknown): string {
  if (typeof value !== 'string') return formatValue(value);
  return formatCleanPairString(stripControl(value));
}

/** formatPairValue of a string that stripControl leaves as it is (the caller knows: no control, bidi or invisible character in it). */
export function formatCleanPairString(value: string): string {
  const text = truncate(value);
  return needsQuotes(text) ? `"${text.replaceAll('"', '\\"')}"` : text;
}

function needsQuotes(text: string): boolean {
  if (text.length === 0) return true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x3d || c === 0x22) return true;
  }
  return false;
}

function compactJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // Too deeply nested to serialise: String() would recurse as deep and throw too.
    return Array.isArray(value) ? '[…]' : '{…}';
  }
}
