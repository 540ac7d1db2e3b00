import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseInteger, splitList } from '../../src/commands/parse.js';
import { UsageError } from '../../src/errors.js';
import { resolveColorLevel } from '../../src/io/color-level.js';

describe('flag parsers', () => {
  it('parses durations with units and bare seconds', () => {
    expect(parseDurationMs('--timeout', '500ms')).toBe(500);
    expect(parseDurationMs('--timeout', '10s')).toBe(10_000);
    expect(parseDurationMs('--timeout', '5m')).toBe(300_000);
    expect(parseDurationMs('--timeout', '2')).toBe(2000);
    expect(parseDurationMs('--timeout', '1.5')).toBe(1500);
    // One grammar with --since/--until: combined units and days.
    expect(parseDurationMs('--timeout', '1h30m')).toBe(5_400_000);
    expect(parseDurationMs('--timeout', '2d')).toBe(172_800_000);
    expect(parseDurationMs('--ping-interval', '1m30s')).toBe(90_000);
  });
  it('names the flag in a usage error', () => {
    expect(() => parseDurationMs('--timeout', 'soon')).toThrow(UsageError);
    expect(() => parseDurationMs('--timeout', 'soon')).toThrow(/--timeout 'soon'/);
    expect(() => parseInteger('--count', '-3', 1)).toThrow(/--count '-3': must be at least 1/);
  });
  it('splits repeatable comma-separated values', () => {
    expect(splitList(['a,b', ' c ', ','])).toEqual(['a', 'b', 'c']);
  });
});

describe('color decision', () => {
  it('honours --color, NO_COLOR, FORCE_COLOR and TTY-ness', () => {
    expect(resolveColorLevel({ env: {} }, true)).toBeGreaterThan(0);
    expect(resolveColorLevel({ env: {} }, false)).toBe(0);
    expect(resolveColorLevel({ env: { NO_COLOR: '1' } }, true)).toBe(0);
    expect(resolveColorLevel({ env: { FORCE_COLOR: '1' } }, false)).toBe(1);
    expect(resolveColorLevel({ env: { TERM: 'dumb' } }, true)).toBe(0);
    expect(resolveColorLevel({ env: { NO_COLOR: '1' } }, false, 'always')).toBe(1);
    expect(resolveColorLevel({ env: { FORCE_COLOR: '3' } }, true, 'never')).toBe(0);
  });
});
