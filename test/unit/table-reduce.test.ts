import { describe, expect, test } from 'vitest';
import type { SourceRef } from '../../src/feed/messages.js';
import type { HangarEvent } from '../../src/protocol/types.js';
import {
  emptyTableState,
  errorRate,
  eventRate,
  LATENCY_WINDOW,
  latencyPercentile,
  MAX_FOOTER_TYPES,
  MAX_SERVERS,
  reduceTable,
  reduceTableNotice,
  serverRow,
  type TableState,
} from '../../src/render/table/reduce-table.js';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const source: SourceRef = { url: 'ws://127.0.0.1:8000/api/ws/events', label: '127.0.0.1:8000', index: 0 };
const other: SourceRef = { url: 'ws://127.0.0.1:9000/api/ws/events', label: '127.0.0.1:9000', index: 1 };

function fold(events: HangarEvent[], start: TableState = emptyTableState(), atMs = T0): TableState {
  return events.reduce((state, event) => reduceTable(state, event, atMs), start);
}

function row(state: TableState, id: string) {
  const found = serverRow(state, id);
  if (!found) throw new Error(`no row for ${id}; rows: ${state.rows.map((r) => r.id).join(', ')}`);
  return found;
}

describe('reduceTable: server rows', () => {
  test('starts empty', () => {
    const state = emptyTableState();
    expect(state.rows).toHaveLength(0);
    expect(state.totalEvents).toBe(0);
    expect(eventRate(state, T0)).toBe(0);
  });

  test('McpServerStateChanged sets the state from new_state', () => {
    const state = fold([
      { event_type: 'McpServerStateChanged', mcp_server_id: 'math', old_state: 'cold', new_state: 'initializing' },
      { event_type: 'McpServerStateChanged', mcp_server_id: 'math', old_state: 'initializing', new_state: 'dead' },
    ]);
    expect(row(state, 'math').state).toBe('dead');
  });

  test('McpServerStateChanged without new_state keeps the known state', () => {
    const state = fold([
      { event_type: 'McpServerStateChanged', mcp_server_id: 'math', new_state: 'ready' },
      { event_type: 'McpServerStateChanged', mcp_server_id: 'math' },
    ]);
    expect(row(state, 'math').state).toBe('ready');
    expect(row(state, 'math').lastEventType).toBe('McpServerStateChanged');
  });

  test('McpServerStarted means ready and carries tools_count', () => {
    const state = fold([{ event_type: 'McpServerStarted', mcp_server_id: 'fetch', mode: 'subprocess', tools_count: 7, startup_duration_ms: 120 }]);
    expect(row(state, 'fetch')).toMatchObject({ state: 'ready', toolsCount: 7, lastEventType: 'McpServerStarted' });
  });

  test('McpServerStopped means cold, McpServerDegraded means degraded', () => {
    const stopped = fold([
      { event_type: 'McpServerStarted', mcp_server_id: 'a' },
      { event_type: 'McpServerStopped', mcp_server_id: 'a', reason: 'idle' },
    ]);
    expect(row(stopped, 'a').state).toBe('cold');
    const degraded = fold([{ event_type: 'McpServerDegraded', mcp_server_id: 'a', consecutive_failures: 3, total_failures: 9, reason: 'x' }]);
    expect(row(degraded, 'a').state).toBe('degraded');
  });

  test('McpServerRegistered adds a cold row without overriding a known state; McpServerDeregistered removes it', () => {
    let state = fold([{ event_type: 'McpServerRegistered', mcp_server_id: 'a', source: 'config', mode: 'subprocess' }]);
    expect(row(state, 'a').state).toBe('cold');
    state = fold(
      [
        { event_type: 'McpServerStarted', mcp_server_id: 'a' },
        { event_type: 'McpServerRegistered', mcp_server_id: 'a', source: 'api' },
      ],
      state,
    );
    expect(row(state, 'a').state).toBe('ready');
    state = fold([{ event_type: 'McpServerDeregistered', mcp_server_id: 'a', source: 'api' }], state);
    expect(serverRow(state, 'a')).toBeUndefined();
    expect(state.rows).toHaveLength(0);
    expect(state.totalEvents).toBe(4);
  });

  test('rows stay addressable after a server in the middle is deregistered', () => {
    let state = fold(['a', 'b', 'c'].map((id) => ({ event_type: 'McpServerRegistered', mcp_server_id: id })));
    state = fold([{ event_type: 'McpServerDeregistered', mcp_server_id: 'b' }, { event_type: 'McpServerDeregistered', mcp_server_id: 'zzz' }], state);
    state = fold([{ event_type: 'McpServerStarted', mcp_server_id: 'c' }, { event_type: 'McpServerStarted', mcp_server_id: 'b' }], state);
    expect(state.rows.map((r) => [r.id, r.state])).toEqual([
      ['a', 'cold'],
      ['c', 'ready'],
      ['b', 'ready'],
    ]);
  });

  test('health: last result and consecutive failures (from the event, else counted), reset by a pass', () => {
    let state = fold([{ event_type: 'HealthCheckFailed', mcp_server_id: 'pg', consecutive_failures: 3, error_message: 'timeout' }]);
    expect(row(state, 'pg')).toMatchObject({ health: 'failed', healthFailures: 3 });
    state = fold([{ event_type: 'HealthCheckFailed', mcp_server_id: 'pg' }], state);
    expect(row(state, 'pg')).toMatchObject({ health: 'failed', healthFailures: 4 });
    state = fold([{ event_type: 'HealthCheckPassed', mcp_server_id: 'pg', duration_ms: 3 }], state);
    expect(row(state, 'pg')).toMatchObject({ health: 'passed', healthFailures: 0 });
  });

  test('tool calls: completed and failed counts, error rate, latency from duration_ms', () => {
    const state = fold([
      { event_type: 'ToolInvocationRequested', mcp_server_id: 'math', tool_name: 'add' },
      { event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', tool_name: 'add', duration_ms: 10 },
      { event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', tool_name: 'add', duration_ms: 20 },
      { event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', tool_name: 'add', duration_ms: 30 },
      { event_type: 'ToolInvocationFailed', mcp_server_id: 'math', tool_name: 'div', duration_ms: 400, error_type: 'ZeroDivisionError' },
      { event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', tool_name: 'add' },
    ]);
    const math = row(state, 'math');
    expect(math).toMatchObject({ callsOk: 4, callsFailed: 1, latenciesMs: [10, 20, 30, 400] });
    expect(errorRate(math)).toBeCloseTo(0.2);
    expect(latencyPercentile(math, 0.5)).toBe(20);
    expect(latencyPercentile(math, 0.95)).toBe(400);
  });

  test('a server with no calls has no error rate and no latency', () => {
    const state = fold([{ event_type: 'McpServerStarted', mcp_server_id: 'a' }]);
    expect(errorRate(row(state, 'a'))).toBeUndefined();
    expect(latencyPercentile(row(state, 'a'), 0.5)).toBeUndefined();
  });

  test('latencies are a bounded ring of the most recent calls', () => {
    const events: HangarEvent[] = [];
    for (let i = 1; i <= LATENCY_WINDOW + 50; i++) events.push({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'm', duration_ms: i });
    const m = row(fold(events), 'm');
    expect(m.latenciesMs).toHaveLength(LATENCY_WINDOW);
    expect(m.latenciesMs[0]).toBe(51);
    expect(m.latenciesMs[LATENCY_WINDOW - 1]).toBe(LATENCY_WINDOW + 50);
    expect(m.callsOk).toBe(LATENCY_WINDOW + 50);
  });

  test('CircuitBreakerStateChanged sets the breaker', () => {
    const state = fold([
      { event_type: 'CircuitBreakerStateChanged', mcp_server_id: 'gh', old_state: 'closed', new_state: 'open' },
      { event_type: 'CircuitBreakerStateChanged', mcp_server_id: 'gh', old_state: 'open', new_state: 'half_open' },
    ]);
    expect(row(state, 'gh').breaker).toBe('half_open');
  });

  test('deprecated Provider* types and provider_id count like McpServer* ones', () => {
    const state = fold([
      { event_type: 'ProviderStarted', provider_id: 'legacy', tools_count: 2 },
      { event_type: 'ProviderStateChanged', provider_id: 'legacy', new_state: 'degraded' },
    ]);
    expect(row(state, 'legacy')).toMatchObject({ state: 'degraded', toolsCount: 2, lastEventType: 'ProviderStateChanged' });
  });

  test('server identity falls back to mcp_server_name (discovery events)', () => {
    const state = fold([{ event_type: 'McpServerDiscovered', mcp_server_name: 'found', source_type: 'docker' }]);
    expect(row(state, 'found')).toMatchObject({ state: undefined, lastEventType: 'McpServerDiscovered' });
  });

  test('mid-stream start: a row appears with what is known and fills in as events arrive', () => {
    let state = fold([{ event_type: 'ToolInvocationFailed', mcp_server_id: 'gh', duration_ms: 5 }]);
    expect(row(state, 'gh')).toMatchObject({ state: undefined, breaker: undefined, health: undefined, toolsCount: undefined, callsFailed: 1 });
    state = fold(
      [
        { event_type: 'McpServerStateChanged', mcp_server_id: 'gh', old_state: 'ready', new_state: 'degraded' },
        { event_type: 'HealthCheckPassed', mcp_server_id: 'gh' },
      ],
      state,
    );
    expect(row(state, 'gh')).toMatchObject({ state: 'degraded', health: 'passed', callsFailed: 1 });
  });

  test('unknown types with a server only move the last event; without one they are counted for the footer', () => {
    const state = fold([
      { event_type: 'McpServerStarted', mcp_server_id: 'a', tools_count: 1 },
      { event_type: 'SomethingNew', mcp_server_id: 'a', weird: true },
      { event_type: 'DiscoveryCycleCompleted', discovered_count: 1 },
      { event_type: 'DiscoveryCycleCompleted' },
      { event_type: 'ConfigReloaded' },
    ]);
    expect(row(state, 'a')).toMatchObject({ state: 'ready', toolsCount: 1, lastEventType: 'SomethingNew' });
    expect([...state.serverlessByType]).toEqual([
      ['DiscoveryCycleCompleted', 2],
      ['ConfigReloaded', 1],
    ]);
    expect(state.totalEvents).toBe(5);
  });

  test('footer type counts are bounded', () => {
    const events: HangarEvent[] = [];
    for (let i = 0; i < MAX_FOOTER_TYPES + 10; i++) events.push({ event_type: `Type${i}` });
    events.push({ event_type: 'Type0' });
    const state = fold(events);
    expect(state.serverlessByType.size).toBe(MAX_FOOTER_TYPES);
    expect(state.serverlessByType.get('Type0')).toBe(2);
    expect(state.otherServerless).toBe(10);
  });

  test('rows are bounded; events for more servers are counted', () => {
    let state = emptyTableState();
    for (let i = 0; i < MAX_SERVERS + 3; i++) state = reduceTable(state, { event_type: 'HealthCheckPassed', mcp_server_id: `s${i}` }, T0);
    expect(state.rows).toHaveLength(MAX_SERVERS);
    expect(state.untrackedEvents).toBe(3);
    state = reduceTable(state, { event_type: 'HealthCheckFailed', mcp_server_id: 's0' }, T0);
    expect(row(state, 's0').health).toBe('failed');
  });

  test('control characters in peer strings never reach the state', () => {
    let state = fold([{ event_type: 'McpServerStateChanged', mcp_server_id: 'ev\x1b[31mil\x07', new_state: 'rea\x1b]0;x\x07dy' }]);
    expect(state.rows.map((r) => r.id)).toEqual(['evil']);
    expect(row(state, 'evil')).toMatchObject({ state: 'ready', lastEventType: 'McpServerStateChanged' });
    state = fold([{ event_type: 'Odd\x1b[2J\r\nType', mcp_server_id: 'evil' }, { event_type: '\x9b2JBare\x00' }], state);
    expect(row(state, 'evil').lastEventType).toBe('Odd\\r\\nType');
    expect([...state.serverlessByType.keys()]).toEqual(['Bare']);
  });

  test('last event time is the event time of the line renderer: timestamp when there is no occurred_at', () => {
    // The gateway's own JSON carries an ISO `timestamp` (UTC without a zone), no `occurred_at`.
    const iso = new Date(T0 - 7000).toISOString().replace('Z', '');
    const state = reduceTable(emptyTableState(), { event_type: 'HealthCheckPassed', mcp_server_id: 'a', timestamp: iso }, T0);
    expect(row(state, 'a').lastEventAtMs).toBe(T0 - 7000);
    // The header's "last event" is when one last arrived.
    expect(state.lastEventAtMs).toBe(T0);
  });

  test('last event time is occurred_at when present (never in the future), else timestamp, else the arrival', () => {
    let state = reduceTable(emptyTableState(), { event_type: 'HealthCheckPassed', mcp_server_id: 'a', occurred_at: (T0 - 5000) / 1000 }, T0);
    expect(row(state, 'a').lastEventAtMs).toBe(T0 - 5000);
    state = reduceTable(state, { event_type: 'HealthCheckPassed', mcp_server_id: 'a', occurred_at: (T0 + 60_000) / 1000 }, T0 + 1000);
    expect(row(state, 'a').lastEventAtMs).toBe(T0 + 1000);
    state = reduceTable(state, { event_type: 'HealthCheckPassed', mcp_server_id: 'a', timestamp: '2026-03-23T10:15:30' }, T0 + 2000);
    expect(row(state, 'a').lastEventAtMs).toBe(Date.UTC(2026, 2, 23, 10, 15, 30));
    state = reduceTable(state, { event_type: 'HealthCheckPassed', mcp_server_id: 'a', timestamp: 'not a time' }, T0 + 2000);
    expect(row(state, 'a').lastEventAtMs).toBe(T0 + 2000);
    expect(state.lastEventAtMs).toBe(T0 + 2000);
    expect(state.firstEventAtMs).toBe(T0);
  });

  test('never mutates the previous state', () => {
    const before = fold([{ event_type: 'ToolInvocationCompleted', mcp_server_id: 'a', duration_ms: 1 }]);
    const snapshot = JSON.stringify(before.rows);
    const after = fold([{ event_type: 'ToolInvocationFailed', mcp_server_id: 'a', duration_ms: 2 }, { event_type: 'X' }], before);
    expect(JSON.stringify(before.rows)).toBe(snapshot);
    expect(before.totalEvents).toBe(1);
    expect(before.serverlessByType.size).toBe(0);
    expect(after.totalEvents).toBe(3);
  });
});

describe('reduceTable: stream counters', () => {
  test('events per second over the recent window', () => {
    let state = emptyTableState();
    // 10 events per second for 10 seconds.
    for (let i = 0; i < 100; i++) state = reduceTable(state, { event_type: 'X' }, T0 + i * 100);
    expect(eventRate(state, T0 + 9_999)).toBeCloseTo(10, 0);
    // Quiet afterwards: the rate falls to zero once the window has passed.
    expect(eventRate(state, T0 + 20_000)).toBe(0);
    expect(state.rateBuckets.length).toBeLessThanOrEqual(30);
  });

  test('a replayed history counts in the totals, not in the rate', () => {
    let state = emptyTableState();
    // 400 events of history in one burst, then 5 live events a second for 2 seconds.
    for (let i = 0; i < 400; i++) state = reduceTable(state, { event_type: 'X', mcp_server_id: 'a' }, T0);
    state = reduceTableNotice(state, { kind: 'replayed', source }, T0);
    for (let i = 1; i <= 10; i++) state = reduceTable(state, { event_type: 'X', mcp_server_id: 'a' }, T0 + i * 200);
    expect(state.totalEvents).toBe(410);
    expect(eventRate(state, T0 + 2000)).toBe(5);
  });

  test('a young stream is averaged over its own age', () => {
    let state = emptyTableState();
    for (let i = 0; i < 4; i++) state = reduceTable(state, { event_type: 'X' }, T0 + i * 500);
    expect(eventRate(state, T0 + 2000)).toBe(2);
  });
});

describe('reduceTableNotice', () => {
  test('connection states', () => {
    let state = reduceTableNotice(emptyTableState(), { kind: 'connecting', source, attempt: 1 }, T0);
    expect(state.connections.get(0)).toMatchObject({ state: 'connecting', attempt: 1, label: '127.0.0.1:8000' });
    state = reduceTableNotice(state, { kind: 'connected', source }, T0);
    expect(state.connections.get(0)?.state).toBe('connected');
    state = reduceTableNotice(state, { kind: 'reconnecting', source, attempt: 2, delayMs: 4000, reason: 'closed' }, T0 + 1000);
    expect(state.connections.get(0)).toMatchObject({ state: 'reconnecting', retryAtMs: T0 + 5000, reason: 'closed' });
    state = reduceTableNotice(state, { kind: 'auth-failed', source: other, message: 'forbidden' }, T0);
    expect(state.connections.get(1)?.state).toBe('auth-failed');
    expect(state.connections.get(0)?.state).toBe('reconnecting');
  });

  test('drops: totals per endpoint summed, the latest drop remembered, a reconnect does not lose the count', () => {
    let state = reduceTableNotice(emptyTableState(), { kind: 'dropped', source, dropped: 17, totalDropped: 17, message: 'slow' }, T0);
    state = reduceTableNotice(state, { kind: 'dropped', source, dropped: 8, totalDropped: 25, message: 'slow\x1b[2J' }, T0 + 1000);
    expect(state.drops).toMatchObject({ totalDropped: 25, lastDropped: 8, lastAtMs: T0 + 1000, lastMessage: 'slow', lastSource: '127.0.0.1:8000' });
    state = reduceTableNotice(state, { kind: 'dropped', source: other, dropped: 5, totalDropped: 5, message: 'slow' }, T0 + 2000);
    expect(state.drops).toMatchObject({ totalDropped: 30, lastDropped: 5, lastSource: '127.0.0.1:9000' });
    // A new connection to the first endpoint counts from zero again.
    state = reduceTableNotice(state, { kind: 'dropped', source, dropped: 3, totalDropped: 3, message: 'slow' }, T0 + 3000);
    expect(state.drops?.totalDropped).toBe(33);
  });

  test('gaps are counted with the latest reason', () => {
    let state = reduceTableNotice(emptyTableState(), { kind: 'gap', source, downForMs: 3200, reason: 'reconnected' }, T0);
    state = reduceTableNotice(state, { kind: 'gap', source, downForMs: undefined, reason: 'replay incomplete' }, T0 + 10);
    expect(state.gaps).toMatchObject({ count: 2, lastReason: 'replay incomplete', lastDownForMs: undefined, lastAtMs: T0 + 10 });
  });

  test('bad frames are counted; replayed restarts only the rate; server errors change nothing', () => {
    let state = reduceTableNotice(emptyTableState(), { kind: 'bad-frame', source }, T0);
    expect(state.badFrames).toBe(1);
    const replayed = reduceTableNotice(state, { kind: 'replayed', source }, T0);
    expect({ ...replayed, rateBuckets: state.rateBuckets, rateFromMs: state.rateFromMs }).toEqual(state);
    expect(replayed.rateFromMs).toBe(T0);
    expect(reduceTableNotice(state, { kind: 'server-error', source }, T0)).toBe(state);
  });
});
