import { describe, expect, it } from 'vitest';
import { compilePath, getPath } from '../../src/protocol/field-path.js';
import { formatPairValue, formatValue } from '../../src/render/fields.js';
import { formatAge, formatTime } from '../../src/render/time-format.js';
import { eventTimeMs, parseIsoMs } from '../../src/protocol/event-time.js';


describe('values and paths', () => {
  it('walks dotted paths, prefers a literal dotted key, and ignores prototype keys', () => {
    const event = { a: { b: { c: 1 } }, 'x.y': 2, x: { y: 3 }, list: [{ id: 'first' }] };
    expect(getPath(event, compilePath('a.b.c'))).toBe(1);
    expect(getPath(event, compilePath('x.y'))).toBe(2);
    expect(getPath(event, compilePath('list.0.id'))).toBe('first');
    expect(getPath(event, compilePath('a.nope.c'))).toBeUndefined();
    expect(getPath(event, compilePath('constructor'))).toBeUndefined();
    expect(getPath(event, compilePath('a.toString'))).toBeUndefined();
  });
  it('formats values compactly and quotes pair values that need it', () => {
    expect(formatValue('x')).toBe('x');
    expect(formatValue(1.5)).toBe('1.5');
    expect(formatValue(null)).toBe('null');
    expect(formatValue({ a: [1, 'b'] })).toBe('{"a":[1,"b"]}');
    expect(formatPairValue('two words')).toBe('"two words"');
    expect(formatPairValue('')).toBe('""');
    expect(formatPairValue('a="b"')).toBe('"a=\\"b\\""');
    expect(formatPairValue('plain')).toBe('plain');
  });
});

describe('event times', () => {
  it('reads occurred_at, else an ISO timestamp (no zone = UTC), else nothing', () => {
    expect(eventTimeMs({ occurred_at: 1795727378.5 })).toBe(1795727378500);
    expect(eventTimeMs({ timestamp: '2026-03-23T10:15:30.123456' })).toBe(Date.UTC(2026, 2, 23, 10, 15, 30, 123));
    expect(eventTimeMs({ timestamp: '2026-03-23T10:15:30Z' })).toBe(Date.UTC(2026, 2, 23, 10, 15, 30));
    expect(eventTimeMs({ timestamp: '2026-03-23T10:15:30-01:00' })).toBe(Date.UTC(2026, 2, 23, 11, 15, 30));
    expect(eventTimeMs({ timestamp: '2026-03-23' })).toBe(Date.UTC(2026, 2, 23));
    expect(eventTimeMs({ timestamp: 'yesterday-ish' })).toBeUndefined();
    expect(eventTimeMs({ occurred_at: 'soon' })).toBeUndefined();
    expect(eventTimeMs({})).toBeUndefined();
    expect(parseIsoMs('2026-03-23 10:15:30.5')).toBe(Date.UTC(2026, 2, 23, 10, 15, 30, 500));
  });
  it('formats ages', () => {
    expect(formatAge(0)).toBe('0s ago');
    expect(formatAge(-400)).toBe('0s ago');
    expect(formatAge(59_999)).toBe('59s ago');
    expect(formatAge(60_000)).toBe('1m ago');
    expect(formatAge(-120_000)).toBe('in 2m');
  });
  it('formats clock times right across seconds, modes and the epoch (the clock part is reused within a second)', () => {
    const base = Date.UTC(2026, 10, 26, 23, 59, 59);
    const local = (ms: number) => {
      const d = new Date(ms);
      const two = (n: number) => String(n).padStart(2, '0');
      return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
    };
    expect(formatTime(base + 7.9, 'utc', 0)).toBe('23:59:59.007Z');
    expect(formatTime(base + 999, 'utc', 0)).toBe('23:59:59.999Z');
    expect(formatTime(base + 999, 'local', 0)).toBe(local(base + 999));
    expect(formatTime(base + 1000, 'utc', 0)).toBe('00:00:00.000Z');
    expect(formatTime(base + 1000, 'local', 0)).toBe(local(base + 1000));
    expect(formatTime(base + 12, 'utc', 0)).toBe('23:59:59.012Z');
    expect(formatTime(-1, 'utc', 0)).toBe('23:59:59.999Z');
    expect(formatTime(1, 'utc', 0)).toBe('00:00:00.001Z');
  });
  it('renders a missing time as - padded to the column width', () => {
    expect(formatTime(undefined, 'utc', 0)).toBe('-            ');
    expect(formatTime(undefined, 'relative', 0)).toBe('-      ');
    expect(formatTime(undefined, 'none', 0)).toBe('');
  });
});
