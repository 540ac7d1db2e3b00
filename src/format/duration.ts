import { pad2, trimFixed } from './number.js';

/**
 * Durations for people, one rule everywhere (event fields, status lines,
 * errors, the table): `0.4ms`, `12.5ms`, `999ms`, `1.2s`, `59.9s`, `2m05s`,
 * `1h02m`, `1d01h`. Negative or non-finite: the number as is.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return `${ms}ms`;
  if (ms < 1000) return `${trimFixed(ms, ms < 10 ? 2 : 1)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${trimFixed(seconds, 1)}s`;
  const totalSeconds = Math.round(seconds);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)}m${pad2(totalSeconds % 60)}s`;
  const totalMinutes = Math.round(totalSeconds / 60);
  if (totalMinutes < 24 * 60) return `${Math.floor(totalMinutes / 60)}h${pad2(totalMinutes % 60)}m`;
  const totalHours = Math.round(totalMinutes / 60);
  return `${Math.floor(totalHours / 24)}d${pad2(totalHours % 24)}h`;
}

/** How long ago, coarsely (whole units, rounded down): `0s`, `42s`, `5m`, `3h`, `2d`; negative = `0s`. */
export function formatAgo(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/**
 * A duration in at most six characters, for table cells whose width must not
 * jump: `0.4ms`, `12ms`, `1.5s`, `2.0m`. Elsewhere use formatDuration.
 */
export function formatDurationCompact(ms: number): string {
  if (ms < 10) return `${(Math.round(ms * 10) / 10).toFixed(1)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${(ms / 60_000).toFixed(1)}m`;
}
