import { describe, expect, it } from 'vitest';
import { topView } from '../../src/aggregate/top-view.js';
import { createColorScheme } from '../../src/io/color.js';
import { rowAsJson } from '../../src/render/top/cells.js';
import { renderTopColumns, renderTopTable } from '../../src/render/top/render-top.js';
import { A0, storyAggregates } from './aggregate-fixture.js';

const plain = createColorScheme(0);
const colored = createColorScheme(1);
const AS_OF = A0 + 9500;

describe('top renders', () => {
  it('one-shot table: borderless, figures right-aligned, no trailing spaces (color off)', () => {
    const view = topView(storyAggregates(), 'tool', { asOfMs: AS_OF });
    expect(renderTopTable(view, { colors: plain, asOfMs: AS_OF, maxRows: Infinity }).split('\n')).toEqual([
      'SERVER  TOOL          CALLS  CALLS/S  FAIL   ERR%    P50    P95  LAST ERROR',
      'github  create_issue      3      0.3     2  66.7%  100ms  300ms  RateLimited',
      'math    add               1      0.1     0   0.0%  5.0ms  5.0ms  -',
      'math    divide            1      0.1     1   100%  2.0ms  2.0ms  ZeroDivisionError',
    ]);
  });

  it('one-shot table: errors with ages and shares, -n cuts with a count of the rest', () => {
    const view = topView(storyAggregates(), 'error_type', { asOfMs: AS_OF });
    expect(renderTopTable(view, { colors: plain, asOfMs: AS_OF, maxRows: 2 }).split('\n')).toEqual([
      'ERROR TYPE         SERVER  COUNT  SHARE  LAST MESSAGE                      FIRST    LAST',
      'RateLimited        github      2  50.0%  HTTP 429 again                   8s ago  2s ago',
      'HealthCheckFailed  github      1  25.0%  health check timed out after 5s  5s ago  5s ago',
      '(1 more row; -n 3 shows all)',
    ]);
  });

  it('one-shot table with color: bold header, failures red, missing values dim', () => {
    const view = topView(storyAggregates(), 'tool', { asOfMs: AS_OF });
    const lines = renderTopTable(view, { colors: colored, asOfMs: AS_OF, maxRows: Infinity }).split('\n');
    expect(lines[0]).toBe('\x1b[1mSERVER  TOOL          CALLS  CALLS/S  FAIL   ERR%    P50    P95  LAST ERROR\x1b[22m');
    expect(lines[1]).toBe('github  create_issue      3      0.3     \x1b[31m2\x1b[39m  \x1b[31m66.7%\x1b[39m  100ms  300ms  \x1b[31mRateLimited\x1b[39m');
    expect(lines[2]).toBe('math    add               1      0.1     0   0.0%  5.0ms  5.0ms  \x1b[2m-\x1b[22m');
  });

  it('no rows yet says so', () => {
    const view = topView(storyAggregates(), 'tool', { asOfMs: AS_OF });
    expect(renderTopTable({ ...view, rows: [] }, { colors: plain, asOfMs: AS_OF, maxRows: 5 }).split('\n')).toEqual([
      'SERVER  TOOL  CALLS  CALLS/S  FAIL  ERR%  P50  P95  LAST ERROR',
      '(no rows yet)',
    ]);
  });

  it('screen columns: the sort column marked, fitted to the width (text columns shrink first), height bounds the rows', () => {
    const view = topView(storyAggregates(), 'caller', { asOfMs: AS_OF });
    expect(renderTopColumns(view, { colors: plain, asOfMs: AS_OF, width: 200, height: 10 })).toEqual([
      'CALLER          AGENT           TYPE       TENANT  CALLS↓  FAIL   ERR%  SERVERS  LAST DENIED/FAILED                     SEEN',
      'user:ada        claude-desktop  user       acme         3     2  66.7%  github   RateLimited: HTTP 429 again          2s ago',
      'anonymous       -               anonymous  -            1     0   0.0%  math     -                                    7s ago',
      'service:ci-bot  -               service    globex       1     1   100%  math     ZeroDivisionError: division by zero  6s ago',
      'user:ada        -               user       -            0     0      -  -        no role grants this permission       4s ago',
    ]);
    const narrow = renderTopColumns(view, { colors: plain, asOfMs: AS_OF, width: 60, height: 3 });
    expect(narrow).toEqual([
      'CALLER  AGENT   TYPE    TENANT  CALLS↓  FAIL   ERR%  SERVE…',
      'user:…  claud…  user    acme         3     2  66.7%  github',
      'anony…  -       anony…  -            1     0   0.0%  math',
    ]);
    for (const line of narrow) expect([...line].length).toBeLessThanOrEqual(60);
    expect(renderTopColumns(view, { colors: plain, asOfMs: AS_OF, width: 0, height: 10 })).toEqual([]);
  });

  it('screen columns: the selection is marked with > (and inverse with color)', () => {
    const view = topView(storyAggregates(), 'tool', { asOfMs: AS_OF });
    expect(renderTopColumns(view, { colors: plain, asOfMs: AS_OF, width: 90, height: 4, selected: 1 })).toEqual([
      '  SERVER  TOOL          CALLS↓  CALLS/S  FAIL   ERR%    P50    P95  LAST ERROR',
      '  github  create_issue       3      0.3     2  66.7%  100ms  300ms  RateLimited',
      '> math    add                1      0.1     0   0.0%  5.0ms  5.0ms  -                     ',
      '  math    divide             1      0.1     1   100%  2.0ms  2.0ms  ZeroDivisionError',
    ]);
    const lines = renderTopColumns(view, { colors: colored, asOfMs: AS_OF, width: 90, height: 3, selected: 1 });
    expect(lines[2]).toBe(`\x1b[7m> math    add                1      0.1     0   0.0%  5.0ms  5.0ms  -${' '.repeat(21)}\x1b[27m`);
  });

  it('rows as data: ids as keys, times in ISO 8601, ratios and durations rounded, names as arrays', () => {
    const state = storyAggregates();
    const callers = topView(state, 'caller', { asOfMs: AS_OF });
    expect(rowAsJson(callers, callers.rows[0]!)).toEqual({
      caller: 'user:ada', agent: 'claude-desktop', principal_type: 'user', tenant: 'acme', calls: 3, failed: 2, error_rate: 0.6667,
      servers: ['github'], last_problem: 'RateLimited: HTTP 429 again', last_seen: '2026-11-26T12:00:07.000Z',
    });
  });
});
