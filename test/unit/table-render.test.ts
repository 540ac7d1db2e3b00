import { describe, expect, test } from 'vitest';
import type { SourceRef } from '../../src/feed/messages.js';
import { createColorScheme } from '../../src/io/color.js';
import { emptyTableState, reduceTable, reduceTableNotice, reduceTableSnapshot, type TableState } from '../../src/render/table/reduce-table.js';
import {
  BANNER_RECENT_MS,
  formatCount,
  renderTable,
  sortRows,
  type TableRenderContext,
} from '../../src/render/table/render-table.js';
import { nextSort, TABLE_SORTS, type TableSort } from '../../src/render/table/sorts.js';
import { fleetState, SOURCE, T0 } from './table-fixture.js';

const plain = createColorScheme(0);
const colored = createColorScheme(1);
const NOW = T0 + 10_000;

function ctx(overrides: Partial<TableRenderContext> = {}): TableRenderContext {
  return {
    colors: plain,
    width: 120,
    height: 40,
    nowMs: NOW,
    sort: 'problems',
    header: { sources: [SOURCE], filterDescription: '', keys: true },
    ...overrides,
  };
}

function withDrop(state: TableState, atMs: number): TableState {
  return reduceTableNotice(state, { kind: 'dropped', source: SOURCE, dropped: 17, totalDropped: 42, message: 'client is reading slower than events arrive' }, atMs);
}

const ESC = '\x1b[';
const bold = (t: string) => `${ESC}1m${t}${ESC}22m`;
const dim = (t: string) => `${ESC}2m${t}${ESC}22m`;
const red = (t: string) => `${ESC}31m${t}${ESC}39m`;
const green = (t: string) => `${ESC}32m${t}${ESC}39m`;
const yellow = (t: string) => `${ESC}33m${t}${ESC}39m`;
const cyan = (t: string) => `${ESC}36m${t}${ESC}39m`;
const alert = (t: string) => `${ESC}41m${ESC}97m${ESC}1m${t}${ESC}22m${ESC}39m${ESC}49m`;
const stripAnsi = (t: string) => t.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

describe('renderTable: exact output without color', () => {
  test('a wide terminal shows every column', () => {
    expect(renderTable(fleetState(), ctx({ width: 120 }))).toEqual([
      'hangar-events  ws://127.0.0.1:8000/api/ws/events connected  all events',
      '46 events  2.0/s  last 0s ago  5 servers  sort: problems first',
      'SERVER      STATE         BREAKER  HEALTH   OK  FAIL   ERR%    P50    P95  TOOLS  LAST EVENT             AGO',
      'postgres    dead          -        fail x5   0     0      -      -      -      -  HealthCheckFailed       4s',
      'github      degraded      open     -         1     2  66.7%  29.0s  30.0s     31  McpServerStateChanged   4s',
      'math        ready         -        ok       20     1   4.8%  7.0ms   12ms      4  HealthCheckPassed       0s',
      'fetch       ready         -        ok        9     0   0.0%  220ms  260ms      2  HealthCheckPassed       5s',
      'filesystem  initializing  -        -         0     0      -      -      -      -  McpServerStateChanged   9s',
      'no server: DiscoveryCycleCompleted 2, AuthKeyRotated 1',
      'q quit  s sort (problems -> server)  p pause',
    ]);
  });

  test('100 columns: the last event type is cut', () => {
    expect(renderTable(fleetState(), ctx({ width: 100 })).slice(2, 5)).toEqual([
      'SERVER      STATE         BREAKER  HEALTH   OK  FAIL   ERR%    P50    P95  TOOLS  LAST EVENT     AGO',
      'postgres    dead          -        fail x5   0     0      -      -      -      -  HealthCheckF…   4s',
      'github      degraded      open     -         1     2  66.7%  29.0s  30.0s     31  McpServerSta…   4s',
    ]);
  });

  test('80 columns: TOOLS, P50 and LAST EVENT give way, the rest stays', () => {
    expect(renderTable(fleetState(), ctx({ width: 80 }))).toEqual([
      'hangar-events  ws://127.0.0.1:8000/api/ws/events connected  all events',
      '46 events  2.0/s  last 0s ago  5 servers  sort: problems first',
      'SERVER      STATE         BREAKER  HEALTH   OK  FAIL   ERR%    P95  AGO',
      'postgres    dead          -        fail x5   0     0      -      -   4s',
      'github      degraded      open     -         1     2  66.7%  30.0s   4s',
      'math        ready         -        ok       20     1   4.8%   12ms   0s',
      'fetch       ready         -        ok        9     0   0.0%  260ms   5s',
      'filesystem  initializing  -        -         0     0      -      -   9s',
      'no server: DiscoveryCycleCompleted 2, AuthKeyRotated 1',
      'q quit  s sort (problems -> server)  p pause',
    ]);
  });

  test('60 columns: the endpoint is shown by its label and fewer figures remain', () => {
    expect(renderTable(fleetState(), ctx({ width: 60 }))).toEqual([
      'hangar-events  127.0.0.1:8000 connected  all events',
      '46 events  2.0/s  last 0s ago  5 servers  sort: problems fi…',
      'SERVER      STATE         BREAKER  HEALTH   FAIL   ERR%',
      'postgres    dead          -        fail x5     0      -',
      'github      degraded      open     -           2  66.7%',
      'math        ready         -        ok          1   4.8%',
      'fetch       ready         -        ok          0   0.0%',
      'filesystem  initializing  -        -           0      -',
      'no server: DiscoveryCycleCompleted 2, AuthKeyRotated 1',
      'q quit  s sort (problems -> server)  p pause',
    ]);
  });

  test('40 and 16 columns: server and state always stay, cut when they must', () => {
    expect(renderTable(fleetState(), ctx({ width: 40 }))).toEqual([
      'hangar-events  127.0.0.1:8000 connected',
      '46 events  2.0/s  last 0s ago  5 servers',
      'SERVER      STATE         BREAKER   ERR%',
      'postgres    dead          -            -',
      'github      degraded      open     66.7%',
      'math        ready         -         4.8%',
      'fetch       ready         -         0.0%',
      'filesystem  initializing  -            -',
      'no server: DiscoveryCycleCompleted 2, A…',
      'q quit  s sort (problems -> server)  p …',
    ]);
    expect(renderTable(fleetState(), ctx({ width: 16 }))).toEqual([
      'hangar-events  …',
      '46 events  2.0/s',
      'SERVER  STATE',
      'postg…  dead',
      'github  degraded',
      'math    ready',
      'fetch   ready',
      'files…  initial…',
      'no server: Disc…',
      'q quit  s sort …',
    ]);
  });

  test('no line is ever wider than the terminal nor are there more lines than rows', () => {
    const state = withDrop(fleetState(), NOW - 1000);
    for (let width = 1; width <= 130; width += 3) {
      for (let height = 1; height <= 14; height++) {
        for (const colors of [plain, colored]) {
          const lines = renderTable(state, ctx({ width, height, colors }));
          expect(lines.length).toBeLessThanOrEqual(height);
          for (const line of lines) expect([...stripAnsi(line)].length).toBeLessThanOrEqual(width);
        }
      }
    }
  });
});

describe('renderTable: rows seeded from the fleet snapshot', () => {
  test('show - in AGO until their first event, then how long ago it was', () => {
    const seeded = reduceTableSnapshot(
      reduceTableNotice(emptyTableState(), { kind: 'connected', source: SOURCE }, T0),
      [{ mcp_server_id: 'math', state: 'ready', mode: 'subprocess', alive: true, tools_count: 6, health_status: 'healthy', tools_predefined: false }],
      T0,
    );
    const row = (state: TableState) => renderTable(state, ctx({ width: 120 })).find((l) => l.startsWith('math'))!;
    expect(row(seeded)).toMatch(/ -$/);
    expect(row(seeded)).not.toMatch(/\d+d$/);
    const after = reduceTable(seeded, { event_type: 'HealthCheckPassed', mcp_server_id: 'math', duration_ms: 3 }, NOW - 4000);
    expect(row(after)).toMatch(/HealthCheckPassed +4s$/);
  });
});

describe('renderTable: rows that do not fit', () => {
  test('"+N more servers" on short terminals; the keys line gives way first, then the footer', () => {
    const state = withDrop(fleetState(), NOW - 2000);
    const header = { sources: [SOURCE], filterDescription: 'type=Tool* server=math', keys: true };
    expect(renderTable(state, ctx({ width: 90, height: 9, header }))).toEqual([
      'hangar-events  ws://127.0.0.1:8000/api/ws/events connected  filter: type=Tool* server=math',
      '46 events  2.0/s  last 0s ago  5 servers  sort: problems first',
      '! 42 events dropped by 127.0.0.1:8000, last 17 of them 2s ago: client is reading slower t…',
      // Only the rows on screen decide the column widths.
      'SERVER    STATE     BREAKER  HEALTH   OK  FAIL   ERR%    P50    P95  LAST EVENT        AGO',
      'postgres  dead      -        fail x5   0     0      -      -      -  HealthCheckFail…   4s',
      'github    degraded  open     -         1     2  66.7%  29.0s  30.0s  McpServerStateC…   4s',
      '+3 more servers',
      'no server: DiscoveryCycleCompleted 2, AuthKeyRotated 1',
      'q quit  s sort (problems -> server)  p pause',
    ]);
    expect(renderTable(state, ctx({ width: 90, height: 7, header })).slice(4)).toEqual([
      'postgres  dead   -        fail x5   0     0     -    -    -      -  HealthCheckFailed   4s',
      '+4 more servers',
      'no server: DiscoveryCycleCompleted 2, AuthKeyRotated 1',
    ]);
    expect(renderTable(state, ctx({ width: 90, height: 5, header })).slice(3)).toEqual([
      'SERVER  STATE  BREAKER  HEALTH  OK  FAIL  ERR%  P50  P95  TOOLS  LAST EVENT  AGO',
      '+5 more servers',
    ]);
  });

  test('an empty table says it is waiting', () => {
    const state = reduceTableNotice(emptyTableState(), { kind: 'connecting', source: SOURCE, attempt: 1 }, T0);
    expect(renderTable(state, ctx({ nowMs: T0, header: { sources: [SOURCE], filterDescription: '' } }))).toEqual([
      'hangar-events  ws://127.0.0.1:8000/api/ws/events connecting  all events',
      '0 events  0.0/s  no events yet  0 servers  sort: problems first',
      'SERVER  STATE  BREAKER  HEALTH  OK  FAIL  ERR%  P50  P95  TOOLS  LAST EVENT  AGO',
      'no servers yet: waiting for events',
    ]);
  });
});

describe('renderTable: header and banners', () => {
  test('connection states of several endpoints, by label', () => {
    const second: SourceRef = { url: 'wss://gw.example:443/api/ws/events', label: 'gw.example:443', index: 1 };
    const third: SourceRef = { url: 'ws://10.0.0.3:8000/api/ws/events', label: '10.0.0.3:8000', index: 2 };
    let state = reduceTableNotice(emptyTableState(), { kind: 'connected', source: SOURCE }, T0);
    state = reduceTableNotice(state, { kind: 'reconnecting', source: second, attempt: 3, delayMs: 2500, reason: 'closed' }, NOW);
    state = reduceTableNotice(state, { kind: 'auth-failed', source: third, message: 'forbidden' }, NOW);
    const header = { sources: [SOURCE, second, third], filterDescription: 'server=math' };
    expect(renderTable(state, ctx({ header, width: 130 }))[0]).toBe(
      'hangar-events  127.0.0.1:8000 connected, gw.example:443 reconnecting in 3s, 10.0.0.3:8000 auth failed  filter: server=math',
    );
    expect(renderTable(state, ctx({ header, width: 130, colors: colored }))[0]).toBe(
      `${bold('hangar-events')}  ${cyan('127.0.0.1:8000')} ${green('connected')}, ${ESC}35mgw.example:443${ESC}39m ${yellow('reconnecting in 3s')}, ${ESC}34m10.0.0.3:8000${ESC}39m ${red('auth failed')}  ${dim('filter: server=math')}`,
    );
  });

  test('one endpoint that cannot connect: the header counts down and says why', () => {
    let state = reduceTableNotice(emptyTableState(), { kind: 'reconnecting', source: SOURCE, attempt: 2, delayMs: 3500, reason: 'connection refused (is the server running?)' }, NOW);
    expect(renderTable(state, ctx({ width: 160 }))[0]).toBe(
      'hangar-events  ws://127.0.0.1:8000/api/ws/events reconnecting in 4s (connection refused (is the server running?))  all events',
    );
    expect(renderTable(state, ctx({ nowMs: NOW + 1000 }))[0]).toContain('reconnecting in 3s (connection refused');
    expect(renderTable(state, ctx({ nowMs: NOW + 3000 }))[0]).toContain('reconnecting in 1s (connection refused');
    expect(renderTable(state, ctx())[1]).toBe('0 events  0.0/s  no events yet  0 servers  sort: problems first');
    state = reduceTable(state, { event_type: 'HealthCheckPassed', mcp_server_id: 'math' }, NOW);
    expect(renderTable(state, ctx())[1]).toMatch(/^1 event {2}1\.0\/s {2}last 0s ago {2}1 server {2}/);
  });

  test('the drop banner is highlighted while recent, then dim, and its counter stays', () => {
    const recent = renderTable(withDrop(fleetState(), NOW - 3000), ctx({ width: 110, colors: colored }));
    const text = '! 42 events dropped by 127.0.0.1:8000, last 17 of them 3s ago: client is reading slower than events arrive';
    expect(recent[2]).toBe(alert(text.padEnd(110)));
    const old = renderTable(withDrop(fleetState(), NOW - BANNER_RECENT_MS - 1000), ctx({ width: 110, colors: colored }));
    expect(old[2]).toBe(dim('! 42 events dropped by 127.0.0.1:8000, last 17 of them 31s ago: client is reading slower than events arrive'));
    const off = renderTable(withDrop(fleetState(), NOW - 3000), ctx({ width: 110 }));
    expect(off[2]).toBe(text);
  });

  test('drops from several endpoints are summed and name the latest one', () => {
    const second: SourceRef = { url: 'ws://b:1/api/ws/events', label: 'b:1', index: 1 };
    let state = withDrop(fleetState(), NOW - 5000);
    state = reduceTableNotice(state, { kind: 'dropped', source: second, dropped: 8, totalDropped: 8, message: 'slow' }, NOW);
    expect(renderTable(state, ctx())[2]).toBe('! 50 events dropped, last 8 of them 0s ago by b:1: slow');
  });

  test('gaps get their own banner', () => {
    let state = reduceTableNotice(fleetState(), { kind: 'gap', source: SOURCE, downForMs: 3200, reason: 'reconnected; the gateway keeps no history' }, NOW - 1000);
    expect(renderTable(state, ctx())[2]).toBe('! events may have been missed 1s ago on 127.0.0.1:8000 (stream down 3.2s): reconnected; the gateway keeps no history');
    state = reduceTableNotice(state, { kind: 'gap', source: SOURCE, downForMs: undefined, reason: 'replay incomplete' }, NOW);
    expect(renderTable(state, ctx())[2]).toBe('! events may have been missed 0s ago on 127.0.0.1:8000 (2 gaps): replay incomplete');
  });

  test('paused display and the keys line', () => {
    const lines = renderTable(fleetState(), ctx({ sort: 'latency', header: { sources: [SOURCE], filterDescription: '', keys: true, paused: true } }));
    expect(lines[1]).toBe('46 events  2.0/s  last 0s ago  5 servers  sort: latency  PAUSED');
    expect(lines[lines.length - 1]).toBe('q quit  s sort (latency -> last)  p resume');
  });

  test('plain snapshots: no width or height limit, a time stamp in the title', () => {
    const lines = renderTable(withDrop(fleetState(), NOW), ctx({ width: Number.POSITIVE_INFINITY, height: Number.POSITIVE_INFINITY, header: { sources: [SOURCE], filterDescription: '', clock: '2026-11-26T12:00:10.000Z' } }));
    expect(lines[0]).toBe('hangar-events  2026-11-26T12:00:10.000Z  ws://127.0.0.1:8000/api/ws/events connected  all events');
    expect(lines[2]).toBe('! 42 events dropped by 127.0.0.1:8000, last 17 of them 0s ago: client is reading slower than events arrive');
    expect(lines).toHaveLength(10);
  });

  test('footer: events beyond the table, unreadable frames', () => {
    let state = reduceTableNotice(emptyTableState(), { kind: 'bad-frame', source: SOURCE }, T0);
    state = { ...state, untrackedEvents: 3 };
    expect(renderTable(state, ctx({ header: { sources: [SOURCE], filterDescription: '' } })).at(-1)).toBe(
      '3 events for servers beyond the table\'s limit  1 unreadable frame',
    );
  });
});

describe('renderTable: color', () => {
  test('exact colored output: states, breaker, health, error rates', () => {
    const lines = renderTable(fleetState(), ctx({ width: 80, colors: colored }));
    expect(lines).toEqual([
      `${bold('hangar-events')}  ws://127.0.0.1:8000/api/ws/events ${green('connected')}  ${dim('all events')}`,
      `46 events  2.0/s  last 0s ago  5 servers  ${dim('sort: problems first')}`,
      bold('SERVER      STATE         BREAKER  HEALTH   OK  FAIL   ERR%    P95  AGO'),
      `postgres    ${red('dead')}          ${dim('-')}        ${red('fail x5')}   0     0      ${dim('-')}      ${dim('-')}   ${dim('4s')}`,
      `github      ${yellow('degraded')}      ${red('open')}     ${dim('-')}         1     ${red('2')}  ${red('66.7%')}  30.0s   ${dim('4s')}`,
      `math        ${green('ready')}         ${dim('-')}        ${green('ok')}       20     ${red('1')}   ${yellow('4.8%')}   12ms   ${dim('0s')}`,
      `fetch       ${green('ready')}         ${dim('-')}        ${green('ok')}        9     0   0.0%  260ms   ${dim('5s')}`,
      `filesystem  ${cyan('initializing')}  ${dim('-')}        ${dim('-')}         0     0      ${dim('-')}      ${dim('-')}   ${dim('9s')}`,
      dim('no server: DiscoveryCycleCompleted 2, AuthKeyRotated 1'),
      `${bold('q')}${dim(' quit  ')}${bold('s')}${dim(' sort (problems -> server)  ')}${bold('p')}${dim(' pause')}`,
    ]);
  });

  test('cold is dim, half_open yellow, unknown states plain', () => {
    let state = emptyTableState();
    state = reduceTable(state, { event_type: 'McpServerStopped', mcp_server_id: 'a' }, NOW);
    state = reduceTable(state, { event_type: 'CircuitBreakerStateChanged', mcp_server_id: 'b', new_state: 'half_open' }, NOW);
    state = reduceTable(state, { event_type: 'McpServerStateChanged', mcp_server_id: 'c', new_state: 'quarantined' }, NOW);
    const lines = renderTable(state, ctx({ width: 30, colors: colored, sort: 'server', header: { sources: [], filterDescription: '' } }));
    expect(lines.slice(3)).toEqual([
      `a       ${dim('cold')}         ${dim('-')}`,
      `b       ${dim('-')}            ${yellow('half_open')}`,
      `c       quarantined  ${dim('-')}`,
    ]);
  });

  test('removing the color codes gives the plain output', () => {
    const state = withDrop(fleetState(), NOW - 1000);
    expect(renderTable(state, ctx({ colors: colored, width: 130 })).map(stripAnsi).map((l) => l.trimEnd())).toEqual(renderTable(state, ctx({ width: 130 })));
  });
});

describe('sorting', () => {
  const order = (sort: (typeof TABLE_SORTS)[number]) => sortRows(fleetState(), sort).map((r) => r.id);
  test('each sort', () => {
    expect(order('problems')).toEqual(['postgres', 'github', 'math', 'fetch', 'filesystem']);
    expect(order('server')).toEqual(['fetch', 'filesystem', 'github', 'math', 'postgres']);
    expect(order('state')).toEqual(['postgres', 'github', 'filesystem', 'fetch', 'math']);
    expect(order('errors')).toEqual(['github', 'math', 'fetch', 'filesystem', 'postgres']);
    expect(order('calls')).toEqual(['math', 'fetch', 'github', 'filesystem', 'postgres']);
    expect(order('latency')).toEqual(['github', 'fetch', 'math', 'filesystem', 'postgres']);
    expect(order('last')).toEqual(['math', 'postgres', 'github', 'fetch', 'filesystem']);
  });
  test('s cycles through every sort and back', () => {
    let sort: TableSort = TABLE_SORTS[0];
    const seen: string[] = [];
    for (let i = 0; i < TABLE_SORTS.length; i++) {
      seen.push(sort);
      sort = nextSort(sort);
    }
    expect(seen).toEqual([...TABLE_SORTS]);
    expect(sort).toBe('problems');
  });
});

describe('figures', () => {
  test('formatCount (durations and ages: test/unit/format.test.ts)', () => {
    expect([0, 999_999, 1_250_000, 3_000_000_000].map(formatCount)).toEqual(['0', '999999', '1.3M', '3.0G']);
  });
});

describe('renderTable: invisible characters from the peer', () => {
  test('default-ignorable and format characters in a server name, state or event type are marked, never passed (issue 22)', () => {
    const hidden = ['\u00ad', '\u034f', '\u206a', '\u206f', '\ufff9', '\ufffb', '\u17b4', '\u{1D173}', '\u{1D17A}'];
    for (const char of hidden) {
      let state = reduceTableNotice(emptyTableState(), { kind: 'connected', source: SOURCE }, T0);
      state = reduceTable(state, { event_type: 'McpServerStateChanged', mcp_server_id: `ma${char}th`, old_state: 'cold', new_state: `re${char}ady` }, T0 + 10);
      state = reduceTable(state, { event_type: `Tool${char}Odd`, mcp_server_id: `ma${char}th` }, T0 + 20);
      const text = renderTable(state, ctx({ width: 160 })).join('\n');
      expect(text.includes(char), `U+${char.codePointAt(0)!.toString(16)}`).toBe(false);
      expect(text).toContain('ma\\u');
    }
  });
});
