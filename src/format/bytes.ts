import { trimFixed } from './number.js';

/** Sizes for people, one rule everywhere: `42B`, `1.3KiB`, `12MiB`, `1.5GiB` (binary units, one decimal below 10). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return `${bytes}B`;
  if (bytes < 1024) return `${Math.round(bytes)}B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? trimFixed(value, 1) : Math.round(value)}${units[unit]}`;
}
