import { beforeEach, describe, expect, it } from 'vitest';
import { createColorScheme } from '../../src/io/color.js';
import type { SourceRef } from '../../src/feed/messages.js';
import { DROP_LINE_INTERVAL_MS, StatusReporter } from '../../src/tail/status.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { CapturedStream } from '../helpers/test-io.js';

/** Drop warnings: the first of a flood at once, then at most one line a second with running totals, and a summary at exit. */

const SOURCE: SourceRef = { url: 'ws://127.0.0.1:9/api/ws/events', label: '127.0.0.1:9', index: 0 };
let clock = new FakeClock();

beforeEach(() => {
  clock = new FakeClock();
});

function reporter(stderr: CapturedStream): StatusReporter {
  return new StatusReporter({ stderr, colors: createColorScheme(0), quiet: false, multiSource: false, clock });
}

function advance(ms: number): void {
  clock.advance(ms);
}

function drop(status: StatusReporter, dropped: number, totalDropped: number): void {
  status.notice({ kind: 'dropped', source: SOURCE, dropped, totalDropped, message: 'client is reading slower than events arrive', atMs: clock.monotonicMs() });
}

describe('StatusReporter: drop warnings', () => {
  it('a flood of 2000 warnings in 5 s is a handful of lines whose counts add up, and a summary at exit', () => {
    const stderr = new CapturedStream(false, undefined, undefined);
    const status = reporter(stderr);
    let total = 0;
    for (let i = 0; i < 2000; i++) {
      total += 3;
      drop(status, 3, total);
      advance(2.5);
    }
    status.close();
    const lines = stderr.lines();
    expect(lines[0]).toBe(
      'hangar-events:  DROPPED  ws://127.0.0.1:9/api/ws/events: the server dropped 3 events (3 in total on this connection): client is reading slower than events arrive',
    );
    expect(lines.length).toBeLessThanOrEqual(5000 / DROP_LINE_INTERVAL_MS + 3);
    const reported = lines.map((line) => /the server dropped (\d+) event/.exec(line)).filter((m) => m !== null);
    expect(reported.reduce((n, m) => n + Number(m![1]), 0)).toBe(6000);
    expect(lines[1]).toMatch(/the server dropped \d+ events in \d+ warnings \(\d+ in total on this connection\)/);
    expect(lines.at(-1)).toBe('hangar-events:  DROPPED  ws://127.0.0.1:9/api/ws/events: in total 6000 events were dropped by the server (2000 warnings)');
  });

  it('a lone warning is printed at once and needs no summary', () => {
    const stderr = new CapturedStream(false, undefined, undefined);
    const status = reporter(stderr);
    drop(status, 1, 1);
    expect(stderr.lines()).toEqual(['hangar-events:  DROPPED  ws://127.0.0.1:9/api/ws/events: the server dropped 1 event (1 in total on this connection): client is reading slower than events arrive']);
    status.close();
    expect(stderr.lines()).toHaveLength(1);
  });

  it('drops held back for the next line are printed when the second is over, not only at exit', () => {
    const stderr = new CapturedStream(false, undefined, undefined);
    const status = reporter(stderr);
    drop(status, 5, 5);
    advance(100);
    drop(status, 7, 12);
    expect(stderr.lines()).toHaveLength(1);
    advance(DROP_LINE_INTERVAL_MS);
    expect(stderr.lines()[1]).toBe(
      'hangar-events:  DROPPED  ws://127.0.0.1:9/api/ws/events: the server dropped 7 events (12 in total on this connection): client is reading slower than events arrive',
    );
  });
});

describe('StatusReporter: reconnect countdown', () => {
  function fakeSpinner() {
    return {
      text: '',
      isSpinning: false,
      start(text?: string) {
        this.isSpinning = true;
        if (text !== undefined) this.text = text;
      },
      stop() {
        this.isSpinning = false;
      },
      clear() {},
      render() {},
      succeed(text?: string) {
        this.isSpinning = false;
        if (text !== undefined) this.text = text;
      },
    };
  }

  it('on a terminal the spinner counts down to the next attempt, and stops counting once connected', () => {
    const spinner = fakeSpinner();
    const stderr = new CapturedStream(true, 80, 24);
    const status = new StatusReporter({ stderr, colors: createColorScheme(0), quiet: false, multiSource: false, spinner, clock });
    status.notice({ kind: 'reconnecting', source: SOURCE, attempt: 2, delayMs: 3500, reason: 'connection refused (is the server running?)' });
    expect(spinner.text).toBe('ws://127.0.0.1:9/api/ws/events: connection refused (is the server running?); reconnecting in 3.5s (retry 2)');
    advance(1000);
    expect(spinner.text).toBe('ws://127.0.0.1:9/api/ws/events: connection refused (is the server running?); reconnecting in 2.5s (retry 2)');
    advance(2000);
    expect(spinner.text).toContain('reconnecting in 500ms');
    status.notice({ kind: 'connected', source: SOURCE, server: 'serve' });
    expect(spinner.text).toBe('connected to ws://127.0.0.1:9/api/ws/events (hangar-events serve)');
    advance(2000);
    expect(spinner.text).toBe('connected to ws://127.0.0.1:9/api/ws/events (hangar-events serve)');
    // Connected: the countdown's timer is gone, not left ticking.
    expect(clock.pending).toBe(0);
    status.close();
  });
});
