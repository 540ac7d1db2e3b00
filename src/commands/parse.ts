import { UsageError } from '../errors.js';
import { DURATION_EXAMPLES, parseDuration } from '../format/time-window.js';

/**
 * Pure parsers for flag values. Each throws a UsageError that names the flag
 * and says what would have been accepted.
 */

/**
 * A duration flag (`--timeout`, `--interval`, `--ping-interval`, ...) in the
 * one grammar of format/time-window.ts: `500ms`, `10s`, `1h30m`, `2d`, or a
 * bare number of seconds; in milliseconds.
 */
export function parseDurationMs(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || !Number.isFinite(ms)) {
    throw new UsageError(`invalid ${flag} '${value}': expected a duration (${DURATION_EXAMPLES}) or a number of seconds`);
  }
  return ms;
}

/** Parses a whole number >= min (default 0). */
export function parseInteger(flag: string, value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const trimmed = value.trim();
  if (!/^-?\d+$/.test(trimmed)) {
    throw new UsageError(`invalid ${flag} '${value}': expected a whole number`);
  }
  const n = Number(trimmed);
  if (n < min) throw new UsageError(`invalid ${flag} '${value}': must be at least ${min}`);
  if (n > max) throw new UsageError(`invalid ${flag} '${value}': must be at most ${max}`);
  return n;
}

/** Parses a positive number (fractions allowed). */
export function parsePositiveNumber(flag: string, value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`invalid ${flag} '${value}': expected a positive number`);
  }
  return n;
}

/** Parses one of a fixed set of choices. */
export function parseChoice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`invalid ${flag} '${value}': expected one of ${choices.join(', ')}`);
}

/** Splits repeatable, comma-separated flag values into a flat list without empty entries. */
export function splitList(values: readonly string[] | undefined): string[] {
  if (!values) return [];
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

/**
 * splitList for a filter flag: a value with no entry in it (`-t ''`, `-s ','`,
 * usually an unset variable in a script) is a usage error, as `--where ''`
 * is, rather than quietly meaning "no filter".
 */
export function splitFilterList(flag: string, values: readonly string[] | undefined): string[] {
  for (const value of values ?? []) {
    if (value.split(',').every((part) => part.trim() === '')) {
      throw new UsageError(`${flag} ${JSON.stringify(value)} names nothing: give a value (is a variable in your script unset?), or leave ${flag} out to not filter on it`);
    }
  }
  return splitList(values);
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const tokenPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Parses one `-H 'Name: value'` flag into a header pair. Header values are
 * often credentials, so an error never echoes one: it names at most the
 * leading header-name part of what was given.
 */
export function parseHeaderFlag(text: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) {
    throw new UsageError(`invalid -H/--header ${describeHeaderStart(text)}: expected 'Name: value' (with a colon; the value is not shown)`);
  }
  const name = text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  if (!tokenPattern.test(name)) throw new UsageError(`invalid -H/--header name ${describeHeaderStart(name)}: not a valid HTTP header name (letters, digits and !#$%&'*+.^_\`|~-)`);
  if (/[\r\n\0]/.test(value)) throw new UsageError(`invalid -H/--header '${name}': the value contains a line break`);
  return [name, value];
}

/** `'X-API-Key' ...`: the leading header-name characters of `text` (at most 40), never what follows them, nor a lone word. */
function describeHeaderStart(text: string): string {
  const start = /^[!#$%&'*+.^_`|~0-9A-Za-z-]*/.exec(text.trimStart())![0].slice(0, 40);
  // Only a name that something follows is shown: a lone word may be the secret itself (-H mcp_...).
  if (start.length === 0 || start.length >= text.trim().length) return '(not shown)';
  return `'${start}' ...`;
}
