import { formatAgo } from '../format/duration.js';
import { eventTimeMs, parseIsoMs } from '../protocol/event-time.js';

/**
 * Event times for display: where an event's time comes from, and the five
 * `--time` modes.
 */

/** `--time` values: local clock, UTC clock, full ISO 8601 (UTC), age relative to now, or no time column. */
export type TimeMode = 'local' | 'utc' | 'iso' | 'relative' | 'none';

export const TIME_MODES: readonly TimeMode[] = ['local', 'utc', 'iso', 'relative', 'none'];

/** Width of the time column per mode, so lines without a time stay aligned. */
export const TIME_WIDTH: Readonly<Record<TimeMode, number>> = {
  local: 12, // 10:15:30.123
  utc: 13, // 10:15:30.123Z
  iso: 24, // 2026-03-23T10:15:30.123Z
  relative: 7, // 59s ago
  none: 0,
};

/** The clock part of the last second formatted by `formatTime`. */
/** The largest time a JavaScript Date represents, in ms from the epoch either way. */
const MAX_DATE_MS = 8.64e15;

const clockCache: { second: number; mode: TimeMode | undefined; prefix: string } = { second: Number.NaN, mode: undefined, prefix: '' };

/**
 * Formats an event time for a mode: `local` HH:MM:SS.mmm in the local time
 * zone, `utc` HH:MM:SS.mmmZ, `iso` the full ISO 8601 in UTC, `relative` the
 * age against `nowMs` (`3s ago`, `2m ago`, `5h ago`, `2d ago`, `in 3s`).
 * `undefined` time renders `-` padded to the mode's width; `none` renders ''.
 */
export function formatTime(timeMs: number | undefined, mode: TimeMode, nowMs: number): string {
  if (mode === 'none') return '';
  if (timeMs === undefined || !Number.isFinite(timeMs)) return '-'.padEnd(TIME_WIDTH[mode]);
  // Beyond what a Date can hold (about ±275 000 years), a clock would read NaN:NaN:NaN: show the number as sent (Unix seconds).
  if (Math.abs(timeMs) > MAX_DATE_MS) return String(Number((timeMs / 1000).toPrecision(15))).padEnd(TIME_WIDTH[mode]);
  switch (mode) {
    case 'local':
    case 'utc': {
      // Events come many to a second: the HH:MM:SS part is computed once per second (and mode).
      const ms = Math.trunc(timeMs);
      const second = Math.floor(ms / 1000);
      if (second !== clockCache.second || mode !== clockCache.mode) {
        const d = new Date(second * 1000);
        clockCache.prefix =
          mode === 'local'
            ? `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.`
            : `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.`;
        clockCache.second = second;
        clockCache.mode = mode;
      }
      const millis = pad3(ms - second * 1000);
      return mode === 'utc' ? `${clockCache.prefix}${millis}Z` : clockCache.prefix + millis;
    }
    case 'iso': {
      const d = new Date(timeMs);
      return Number.isNaN(d.getTime()) ? '-'.padEnd(TIME_WIDTH.iso) : d.toISOString();
    }
    case 'relative':
      return formatAge(nowMs - timeMs).padEnd(TIME_WIDTH.relative);
  }
}

/** `0s ago`, `42s ago`, `3m ago`, `5h ago`, `2d ago`; negative ages (clock skew) as `in 3s`. */
export function formatAge(ageMs: number): string {
  const text = formatAgo(Math.abs(ageMs));
  if (ageMs < 0) return text === '0s' ? '0s ago' : `in ${text}`;
  return `${text} ago`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`;
}
