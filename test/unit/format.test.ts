import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/format/bytes.js';
import { formatAgo, formatDuration, formatDurationCompact } from '../../src/format/duration.js';
import { trimFixed } from '../../src/format/number.js';
import { displayUrl } from '../../src/format/url.js';

describe('format: one rule per unit', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0ms');
    expect(formatDuration(0.4)).toBe('0.4ms');
    expect(formatDuration(3.256)).toBe('3.26ms');
    expect(formatDuration(12.5)).toBe('12.5ms');
    expect(formatDuration(999)).toBe('999ms');
    expect(formatDuration(1234)).toBe('1.2s');
    expect(formatDuration(2000)).toBe('2s');
    expect(formatDuration(59_940)).toBe('59.9s');
    expect(formatDuration(125_000)).toBe('2m05s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
    expect(formatDuration(90_000_000)).toBe('1d01h');
    expect(formatDuration(-5)).toBe('-5ms');
    // The table's cells: at most six characters.
    expect([0.44, 9.96, 12.4, 999, 1500, 90_000].map(formatDurationCompact)).toEqual(['0.4ms', '10.0ms', '12ms', '999ms', '1.5s', '1.5m']);
  });
  it('formats the coarse age of the table and of --time relative', () => {
    expect([0, 999, 59_999, 60_000, 3_599_999, 3_600_000, 86_400_000, -5].map(formatAgo)).toEqual(['0s', '0s', '59s', '1m', '59m', '1h', '1d', '0s']);
  });
  it('formats sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0B');
    expect(formatBytes(42)).toBe('42B');
    expect(formatBytes(1023)).toBe('1023B');
    expect(formatBytes(1331)).toBe('1.3KiB');
    expect(formatBytes(10 * 1024)).toBe('10KiB');
    expect(formatBytes(5 * 1024 * 1024 + 1)).toBe('5MiB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5GiB');
  });
  it('prints URLs without user:password or query, for tail and publish alike', () => {
    expect(displayUrl('ws://user:secret@host:1/api/ws/events?token=s3cr3t')).toBe('ws://host:1/api/ws/events');
    expect(displayUrl(new URL('http://user:secret@h:1/api/events?key=k'))).toBe('http://h:1/api/events');
    expect(displayUrl('ws://user:pw@[bad/x?token=1')).toBe('ws://***@[bad/x');
  });
});

describe('trimFixed', () => {
  /** The rule it stands for: toFixed, trailing zeros and a bare point cut. */
  const reference = (value: number, digits: number) => value.toFixed(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');

  it('is toFixed with the zeros cut, on ties, near-ties, decimals of every length and the edges of its fast path', () => {
    let seed = 24;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const values = [0, -0, 0.5, 1.5, 2.5, 0.05, 0.15, 0.25, 0.005, 1.005, 1.0005, 8.345, 8.335, 0.285, 1.255, 2.675, 9.995, 9.9995, 99.95, 12.5, 3, 10, 999.95, 0.0001, 1e-7,
      214748.3647, 214748.3648, 2147483.647, 2147483.648, 21474836.47, 21474836.48, 1e9, 1e21, 1e22, -1.5, -0.004, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE];
    for (let k = 0; k < 20000; k++) {
      values.push(random() * 10, random() * 1000, random() * 1e7, Math.round(random() * 1e6) / 1000, Math.round(random() * 1e5) / 100 + 0.005, Math.round(random() * 1e4) / 1e4, (Math.floor(random() * 1e6) + 0.5) / 1000);
    }
    const wrong: string[] = [];
    for (const value of values) for (const digits of [0, 1, 2, 3, 4]) {
      const got = trimFixed(value, digits);
      if (got !== reference(value, digits)) wrong.push(`${value} ${digits}: ${got} (toFixed: ${reference(value, digits)})`);
    }
    expect(wrong).toEqual([]);
    expect([trimFixed(12.5, 2), trimFixed(3, 1), trimFixed(2.82, 2), trimFixed(1.05, 2), trimFixed(0.005, 2), trimFixed(1.2345, 3)]).toEqual(['12.5', '3', '2.82', '1.05', '0.01', '1.234']);
  });
});
