import { describe, expect, test, vi } from 'vitest';
import { createColorScheme } from '../../src/io/color.js';
import { SHOW_CURSOR, SYNC_END, SYNC_START } from '../../src/io/live-region.js';
import { createTopSink, type TopSinkOptions } from '../../src/top/top-sink.js';
import { createTestIO, type TestIO } from '../helpers/test-io.js';
import { STORY } from './aggregate-fixture.js';
import { SOURCE } from './table-fixture.js';

const plain = createColorScheme(0);
const start = { sources: [SOURCE], filterDescription: 'all events' };

function options(overrides: Partial<TopSinkOptions> = {}): TopSinkOptions {
  return { by: 'tool', sort: undefined, output: 'table', maxRows: undefined, colors: plain, live: false, refreshMs: 1000, onceAfterMs: undefined, follow: false, onQuit: () => undefined, ...overrides };
}

/** The lines of the last frame drawn, without the live region's control sequences. */
function lastFrame(io: TestIO): string[] {
  const frame = io.stdout.chunks.filter((c) => c.startsWith(SYNC_START)).at(-1)!;
  // eslint-disable-next-line no-control-regex
  return frame.slice(SYNC_START.length, frame.indexOf(SYNC_END)).replace(/\x1b\[[0-9;?]*[A-Za-z]|\r/g, '').split('\n');
}

describe('top sink', () => {
  test('off a terminal: nothing until the end, then the table once (rates over the history, as of its last event)', async () => {
    const io = createTestIO({ stdoutTTY: false, nowMs: Date.UTC(2026, 10, 26, 12, 0, 10) });
    const sink = createTopSink(io, options());
    sink.start(start);
    for (const event of STORY) sink.event(event, '', SOURCE);
    expect(io.stdout.text()).toBe('');
    await sink.close();
    expect(io.stdout.text()).toBe(
      [
        'SERVER  TOOL          CALLS  CALLS/S  FAIL   ERR%    P50    P95  LAST ERROR',
        'github  create_issue      3      0.4     2  66.7%  100ms  300ms  RateLimited',
        'math    add               1      0.1     0   0.0%  5.0ms  5.0ms  -',
        'math    divide            1      0.1     1   100%  2.0ms  2.0ms  ZeroDivisionError',
        '',
      ].join('\n'),
    );
    await sink.close();
    expect(io.stdout.text().split('SERVER').length).toBe(2);
  });

  test('following off a terminal: ends the session after the interval; -o ndjson and -n shape what is printed', async () => {
    const io = createTestIO({ stdoutTTY: false });
    const onQuit = vi.fn();
    const sink = createTopSink(io, options({ output: 'ndjson', maxRows: 1, follow: true, onceAfterMs: 5000, onQuit }));
    sink.start(start);
    for (const event of STORY) sink.event(event, '', SOURCE);
    io.advance(4999);
    expect(onQuit).not.toHaveBeenCalled();
    io.advance(1);
    expect(onQuit).toHaveBeenCalledTimes(1);
    await sink.close();
    const rows = io.stdout.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ server: 'github', tool: 'create_issue', calls: 3, failed: 2 });
  });

  test('on a terminal: redraws every refresh, s moves the sort, r reverses, q quits, the last frame stays', async () => {
    // The refresh a second after the events arrived draws the table as of 12:00:10.
    const io = createTestIO({ stdoutTTY: true, stdinTTY: true, columns: 100, rows: 10, nowMs: Date.UTC(2026, 10, 26, 12, 0, 9) });
    const onQuit = vi.fn();
    const sink = createTopSink(io, options({ live: true, follow: true, onQuit }));
    sink.start(start);
    for (const event of STORY) sink.event(event, '', SOURCE);
    io.advance(1000);
    expect(lastFrame(io)).toEqual([
      'hangar-events top  by tool  3 rows  8 events  all events  12:00:10',
      'q quit  s sort column  r reverse',
      'SERVER  TOOL          CALLS↓  CALLS/S  FAIL   ERR%    P50    P95  LAST ERROR',
      // Live, as of now: the last 10 s hold two of github's three calls.
      'github  create_issue       3      0.2     2  66.7%  100ms  300ms  RateLimited',
      'math    add                1      0.1     0   0.0%  5.0ms  5.0ms  -',
      'math    divide             1      0.1     1   100%  2.0ms  2.0ms  ZeroDivisionError',
    ]);
    io.stdin.write('s');
    expect(lastFrame(io)[2]).toBe('SERVER  TOOL          CALLS  CALLS/S↓  FAIL   ERR%    P50    P95  LAST ERROR');
    io.stdin.write('r');
    expect(lastFrame(io)[2]).toBe('SERVER  TOOL          CALLS  CALLS/S↑  FAIL   ERR%    P50    P95  LAST ERROR');
    io.stdin.write('q');
    expect(onQuit).toHaveBeenCalledTimes(1);
    await sink.close();
    expect(io.stdout.chunks.at(-1)).toBe(`\n${SHOW_CURSOR}`);
  });

  test('a short terminal keeps the title and as many rows as fit', () => {
    const io = createTestIO({ stdoutTTY: true, columns: 40, rows: 3 });
    const sink = createTopSink(io, options({ live: true, follow: true }));
    sink.start(start);
    for (const event of STORY) sink.event(event, '', SOURCE);
    io.advance(1000);
    const frame = lastFrame(io);
    expect(frame).toHaveLength(3);
    for (const line of frame) expect([...line].length, line).toBeLessThanOrEqual(40);
    void sink.close();
  });
});
