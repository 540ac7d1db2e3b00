import { describe, expect, it } from 'vitest';
import { parseTimeBound, resolveTimeBound, type TimeBound } from '../../src/format/time-window.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

function bound(text: string): TimeBound {
  const result = parseTimeBound(text);
  if (!result.ok) throw new Error(result.error);
  return result.bound;
}

describe('parseTimeBound / resolveTimeBound', () => {
  it('durations count back for --since and forward for --until', () => {
    expect(resolveTimeBound(bound('10m'), NOW, 'past')).toBe(NOW - 600_000);
    expect(resolveTimeBound(bound('10m'), NOW, 'future')).toBe(NOW + 600_000);
    expect(bound('1h30m')).toEqual({ kind: 'duration', ms: 5_400_000 });
    expect(bound('2d')).toEqual({ kind: 'duration', ms: 172_800_000 });
    expect(bound('500ms')).toEqual({ kind: 'duration', ms: 500 });
    expect(bound('90')).toEqual({ kind: 'duration', ms: 90_000 });
    expect(bound('1.5s')).toEqual({ kind: 'duration', ms: 1500 });
  });

  it('RFC 3339 with a zone is that instant', () => {
    expect(resolveTimeBound(bound('2026-11-26T11:00:00Z'), NOW, 'past')).toBe(NOW - 3_600_000);
    expect(resolveTimeBound(bound('2026-11-26T13:00:00+02:00'), NOW, 'past')).toBe(NOW - 3_600_000);
    expect(resolveTimeBound(bound('2026-11-26t06:30:00.250-05:30'), NOW, 'past')).toBe(NOW + 250);
    expect(resolveTimeBound(bound('2026-11-26 12:00:00+0000'), NOW, 'past')).toBe(NOW);
  });

  it('without a zone, a date or time is local', () => {
    expect(resolveTimeBound(bound('2026-11-26T09:15:00'), NOW, 'past')).toBe(new Date(2026, 10, 26, 9, 15, 0).getTime());
    expect(resolveTimeBound(bound('2026-11-26'), NOW, 'past')).toBe(new Date(2026, 10, 26).getTime());
    const today = new Date(NOW);
    today.setHours(17, 30, 0, 0);
    expect(resolveTimeBound(bound('17:30'), NOW, 'future')).toBe(today.getTime());
  });

  it('refuses what it cannot read, saying what it accepts', () => {
    for (const text of ['', 'soon', '10 minutes', '2026-13-01', '2026-02-30T10:00:00Z', '25:00', '0s', '-5m', '10mins']) {
      const result = parseTimeBound(text);
      expect(result.ok, text).toBe(false);
      // Every refusal lists the forms that are accepted.
      expect(result.ok ? '' : result.error, text).toContain('expected a duration (500ms, 90s, 10m, 1h30m, 2d), an RFC 3339 time');
    }
    expect(parseTimeBound('25:00')).toEqual({ ok: false, error: expect.stringMatching(/^'25:00' is not a clock time \(hours 0-23, minutes and seconds 0-59\); expected /) });
    const result = parseTimeBound('yesterday');
    expect(result).toEqual({ ok: false, error: expect.stringContaining("'yesterday' is not a time; expected a duration (500ms, 90s, 10m, 1h30m, 2d), an RFC 3339 time") });
  });
});
