/**
 * Time bounds as people write them on a command line (`--since`, `--until`,
 * store backfill): a duration (`90s`, `10m`, `1h30m`, `2d`, a bare number of
 * seconds) or an absolute time in RFC 3339 / ISO 8601, with a zone (`Z`,
 * `+02:00`) or without one (local time), or a clock time today (`17:30`).
 *
 * Parsing is pure and needs no clock: a duration stays relative until
 * `resolveTimeBound` places it against "now" (before it for --since, after it
 * for --until). Nothing here knows flag names; callers wrap the error text in
 * their own usage error.
 */

export type TimeBound =
  /** `ms` before or after now, decided when resolved. */
  | { readonly kind: 'duration'; readonly ms: number }
  /** A moment, in ms since the epoch. */
  | { readonly kind: 'instant'; readonly epochMs: number }
  /** A clock time on the day it is resolved (local time zone). */
  | { readonly kind: 'clock'; readonly hours: number; readonly minutes: number; readonly seconds: number; readonly ms: number };

export type TimeBoundResult = { readonly ok: true; readonly bound: TimeBound } | { readonly ok: false; readonly error: string };

/** The one duration grammar, as errors name it (every duration flag, and the duration form of --since/--until). */
export const DURATION_EXAMPLES = '500ms, 90s, 10m, 1h30m, 2d';

/** What an error says is accepted. */
export const TIME_BOUND_EXAMPLES = `a duration (${DURATION_EXAMPLES}), an RFC 3339 time (2026-11-26T12:00:00Z, 2026-11-26T13:00:00+01:00, or without a zone for local time), a date (2026-11-26) or a clock time today (17:30)`;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
const SECONDS = /^\d+(?:\.\d+)?$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?$/;

/**
 * The one duration grammar: units ms, s, m, h, d, w, combined (`1h30m`,
 * `2d12h`, `1.5s`), or a bare number of seconds. Milliseconds (rounded), or
 * undefined when the text is not a duration. Never throws.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (SECONDS.test(value)) return Math.round(Number(value) * 1000);
  if (!DURATION.test(value)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of value.matchAll(DURATION_PART)) ms += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(ms);
}

/** Parses a time bound; never throws. */
export function parseTimeBound(text: string): TimeBoundResult {
  const value = text.trim();
  if (value === '') return { ok: false, error: `empty; expected ${TIME_BOUND_EXAMPLES}` };
  const ms = parseDuration(value);
  if (ms !== undefined) return duration(ms);
  const dateTime = DATE_TIME.exec(value);
  if (dateTime) return instant(dateTime, value);
  const clock = CLOCK.exec(value);
  if (clock) {
    const [hours, minutes, seconds] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)];
    if (hours > 23 || minutes > 59 || seconds > 59) return { ok: false, error: `'${value}' is not a clock time (hours 0-23, minutes and seconds 0-59); expected ${TIME_BOUND_EXAMPLES}` };
    return { ok: true, bound: { kind: 'clock', hours, minutes, seconds, ms: fractionMs(clock[4]) } };
  }
  return { ok: false, error: `'${value}' is not a time; expected ${TIME_BOUND_EXAMPLES}` };
}

/**
 * The bound as ms since the epoch: a duration counts back from `nowMs`
 * (`direction: 'past'`, as --since means) or forward (`'future'`, as --until
 * means); a clock time is today's, in the local time zone.
 */
export function resolveTimeBound(bound: TimeBound, nowMs: number, direction: 'past' | 'future'): number {
  switch (bound.kind) {
    case 'duration':
      return direction === 'past' ? nowMs - bound.ms : nowMs + bound.ms;
    case 'instant':
      return bound.epochMs;
    case 'clock': {
      const today = new Date(nowMs);
      today.setHours(bound.hours, bound.minutes, bound.seconds, bound.ms);
      return today.getTime();
    }
  }
}

function duration(ms: number): TimeBoundResult {
  if (!Number.isFinite(ms) || ms <= 0) return { ok: false, error: `a duration must be longer than 0; expected ${TIME_BOUND_EXAMPLES}` };
  return { ok: true, bound: { kind: 'duration', ms: Math.round(ms) } };
}

function instant(match: RegExpExecArray, text: string): TimeBoundResult {
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const [hours, minutes, seconds] = [Number(match[4] ?? 0), Number(match[5] ?? 0), Number(match[6] ?? 0)];
  const ms = fractionMs(match[7]);
  const zone = match[8];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hours > 23 || minutes > 59 || seconds > 60) {
    return { ok: false, error: `'${text}' is not a valid date and time; expected ${TIME_BOUND_EXAMPLES}` };
  }
  let epochMs: number;
  if (zone === undefined) {
    const local = new Date(year, month - 1, day, hours, minutes, Math.min(seconds, 59), ms);
    if (local.getDate() !== day || local.getMonth() !== month - 1) return { ok: false, error: `'${text}' is not a valid date; expected ${TIME_BOUND_EXAMPLES}` };
    epochMs = local.getTime();
  } else {
    const utc = Date.UTC(year, month - 1, day, hours, minutes, Math.min(seconds, 59), ms);
    if (new Date(utc).getUTCDate() !== day) return { ok: false, error: `'${text}' is not a valid date; expected ${TIME_BOUND_EXAMPLES}` };
    epochMs = utc - zoneOffsetMs(zone);
  }
  return { ok: true, bound: { kind: 'instant', epochMs } };
}

/** `Z` is 0; `+02:00`, `+0200` and `+02` are east of UTC. */
function zoneOffsetMs(zone: string): number {
  if (zone === 'Z' || zone === 'z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes) * 60_000;
}

function fractionMs(fraction: string | undefined): number {
  return fraction === undefined ? 0 : Math.round(Number(`0.${fraction}`) * 1000);
}
