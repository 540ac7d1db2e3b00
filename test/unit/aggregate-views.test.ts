import { describe, expect, it } from 'vitest';
import { emptyAggregates, MAX_TOOLS, reduceAggregates, RECENT_SECURITY } from '../../src/aggregate/aggregates.js';
import { addCall, callsPerSecond, EMPTY_CALL_STATS, LATENCY_SAMPLES, percentileMs } from '../../src/aggregate/call-stats.js';
import { callerOf } from '../../src/aggregate/caller.js';
import { resolveSortColumn, topView } from '../../src/aggregate/top-view.js';
import { UsageError } from '../../src/errors.js';
import { A0, ADA, storyAggregates } from './aggregate-fixture.js';

const AS_OF = A0 + 9500;

/** The cells of rows, without the group key each row carries for the console's selection. */
const cells = (rows: readonly Readonly<Record<string, unknown>>[]) => rows.map(({ _key, ...row }) => row);

describe('the aggregations behind top and the console', () => {
  it('tools: per server and tool, calls, calls/s, FAIL, ERR%, P50, P95 and the last error type', () => {
    const view = topView(storyAggregates(), 'tool', { asOfMs: AS_OF });
    expect(view.sort).toBe('calls');
    expect(view.descending).toBe(true);
    expect(cells(view.rows)).toEqual([
      // 3 calls in the 9.5 s since the first event; the last failure gave no duration, so two samples.
      { server: 'github', tool: 'create_issue', calls: 3, calls_per_s: 0.32, failed: 2, error_rate: 2 / 3, p50_ms: 100, p95_ms: 300, last_error_type: 'RateLimited' },
      { server: 'math', tool: 'add', calls: 1, calls_per_s: 0.11, failed: 0, error_rate: 0, p50_ms: 5, p95_ms: 5, last_error_type: null },
      { server: 'math', tool: 'divide', calls: 1, calls_per_s: 0.11, failed: 1, error_rate: 1, p50_ms: 2, p95_ms: 2, last_error_type: 'ZeroDivisionError' },
    ]);
  });

  it('servers: state from the events, calls summed over tools, the last event', () => {
    const view = topView(storyAggregates(), 'server', { asOfMs: AS_OF, sort: 'server' });
    expect(view.descending).toBe(false);
    expect(cells(view.rows)).toEqual([
      {
        server: 'github', state: 'degraded', calls: 3, calls_per_s: 0.32, failed: 2, error_rate: 2 / 3, p50_ms: 100, p95_ms: 300,
        last_error_type: 'RateLimited', last_event: 'ToolInvocationFailed', last_seen: A0 + 7000,
      },
      { server: 'math', state: null, calls: 2, calls_per_s: 0.21, failed: 1, error_rate: 0.5, p50_ms: 2, p95_ms: 5, last_error_type: 'ZeroDivisionError', last_event: 'ToolInvocationFailed', last_seen: A0 + 3000 },
    ]);
  });

  it('callers: one row per user and agent from identity_context, anonymous for none, denials counted against the principal', () => {
    const view = topView(storyAggregates(), 'caller', { asOfMs: AS_OF });
    expect(cells(view.rows)).toEqual([
      {
        caller: 'user:ada', agent: 'claude-desktop', principal_type: 'user', tenant: 'acme', calls: 3, failed: 2, error_rate: 2 / 3,
        servers: ['github'], last_problem: 'RateLimited: HTTP 429 again', last_seen: A0 + 7000,
      },
      { caller: 'anonymous', agent: null, principal_type: 'anonymous', tenant: null, calls: 1, failed: 0, error_rate: 0, servers: ['math'], last_problem: null, last_seen: A0 + 2000 },
      {
        caller: 'service:ci-bot', agent: null, principal_type: 'service', tenant: 'globex', calls: 1, failed: 1, error_rate: 1,
        servers: ['math'], last_problem: 'ZeroDivisionError: division by zero', last_seen: A0 + 3000,
      },
      // AuthorizationDenied names the principal but no agent: a row of its own, with the denial's reason.
      { caller: 'user:ada', agent: null, principal_type: 'user', tenant: null, calls: 0, failed: 0, error_rate: null, servers: [], last_problem: 'no role grants this permission', last_seen: A0 + 5000 },
    ]);
  });

  it('tenants: from identity_context (or the event), calls without one under (none)', () => {
    const view = topView(storyAggregates(), 'tenant', { asOfMs: AS_OF, sort: 'tenant' });
    expect(cells(view.rows)).toEqual([
      { tenant: '(none)', calls: 1, calls_per_s: 0.11, failed: 0, error_rate: 0, callers: 1, servers: 1, events: 1, last_problem: null },
      { tenant: 'acme', calls: 3, calls_per_s: 0.32, failed: 2, error_rate: 2 / 3, callers: 1, servers: 1, events: 3, last_problem: 'RateLimited: HTTP 429 again' },
      { tenant: 'globex', calls: 1, calls_per_s: 0.11, failed: 1, error_rate: 1, callers: 1, servers: 1, events: 1, last_problem: 'ZeroDivisionError: division by zero' },
    ]);
  });

  it('errors: per error type and server, count, share of all errors, last message, first and last seen', () => {
    const state = storyAggregates();
    expect(state.errorTotal).toBe(4);
    const view = topView(state, 'error_type', { asOfMs: AS_OF });
    expect(cells(view.rows)).toEqual([
      { error_type: 'RateLimited', server: 'github', count: 2, share: 0.5, last_message: 'HTTP 429 again', first_seen: A0 + 1000, last_seen: A0 + 7000 },
      { error_type: 'HealthCheckFailed', server: 'github', count: 1, share: 0.25, last_message: 'health check timed out after 5s', first_seen: A0 + 4000, last_seen: A0 + 4000 },
      { error_type: 'ZeroDivisionError', server: 'math', count: 1, share: 0.25, last_message: 'division by zero', first_seen: A0 + 3000, last_seen: A0 + 3000 },
    ]);
  });

  it('security: the latest security and enforcement events with what and who, bounded, all counted', () => {
    const state = storyAggregates();
    expect(state.securityTotal).toBe(1);
    expect(state.security).toEqual([{ type: 'AuthorizationDenied', what: 'github:create_issue', who: 'user:ada', detail: 'no role grants this permission', atMs: A0 + 5000 }]);
    let flood = emptyAggregates();
    for (let i = 0; i < RECENT_SECURITY + 5; i++) {
      flood = reduceAggregates(flood, { event_type: 'EgressBlocked', occurred_at: (A0 + i) / 1000, mcp_server_id: `s${i}`, destination_host: 'evil.example' }, A0 + i);
    }
    expect(flood.securityTotal).toBe(RECENT_SECURITY + 5);
    expect(flood.security).toHaveLength(RECENT_SECURITY);
    expect(flood.security[0]!.what).toBe('s5');
    expect(flood.security.at(-1)!.what).toBe(`s${RECENT_SECURITY + 4}`);
  });

  it('reverse and other sort columns; a missing value sorts last either way', () => {
    const state = storyAggregates();
    const byP95 = topView(state, 'tool', { asOfMs: AS_OF, sort: 'p95_ms' });
    expect(byP95.rows.map((r) => r.tool)).toEqual(['create_issue', 'add', 'divide']);
    const reversed = topView(state, 'tool', { asOfMs: AS_OF, sort: 'p95_ms', reverse: true });
    expect(reversed.rows.map((r) => r.tool)).toEqual(['divide', 'add', 'create_issue']);
    const byRate = topView(state, 'caller', { asOfMs: AS_OF, sort: 'error_rate', reverse: true });
    expect(byRate.rows.map((r) => [r.caller, r.error_rate])).toEqual([
      ['anonymous', 0],
      ['user:ada', 2 / 3],
      ['service:ci-bot', 1],
      ['user:ada', null],
    ]);
  });

  it('--sort takes a column id or its header, any case; anything else is a usage error naming the choices', () => {
    expect(resolveSortColumn('tool', 'ERR%')).toBe('error_rate');
    expect(resolveSortColumn('tool', 'calls/s')).toBe('calls_per_s');
    expect(resolveSortColumn('error_type', 'Count')).toBe('count');
    expect(() => resolveSortColumn('tool', 'state')).toThrow(UsageError);
    expect(() => resolveSortColumn('tool', 'state')).toThrow("invalid --sort 'state' for --by tool: expected one of server, tool, calls, calls_per_s, failed, error_rate, p50_ms, p95_ms, last_error_type");
  });

  it('peer strings are stripped of control characters (line breaks shown as \\n) before they are kept', () => {
    const state = reduceAggregates(
      emptyAggregates(),
      { event_type: 'ToolInvocationFailed', mcp_server_id: 'gi\x1b[31mthub', tool_name: 'x\x07y', error_type: 'Bad\x1b]0;title\x07', error_message: 'm\r\nessage', identity_context: { user_id: 'u\x1b[2Jser' } },
      A0,
    );
    const tool = topView(state, 'tool', { asOfMs: A0 }).rows[0]!;
    expect([tool.server, tool.tool, tool.last_error_type]).toEqual(['github', 'xy', 'Bad']);
    expect(topView(state, 'caller', { asOfMs: A0 }).rows[0]!.caller).toBe('user');
    expect(topView(state, 'error_type', { asOfMs: A0 }).rows[0]!.last_message).toBe('m\\r\\nessage');
  });

  it('memory is bounded: keys beyond the capacity are counted in overflow, not kept', () => {
    let state = emptyAggregates();
    for (let i = 0; i < MAX_TOOLS + 3; i++) {
      state = reduceAggregates(state, { event_type: 'ToolInvocationCompleted', mcp_server_id: 'big', tool_name: `t${i}`, duration_ms: 1 }, A0);
    }
    expect(state.tools.rows).toHaveLength(MAX_TOOLS);
    expect(state.tools.overflow).toBe(3);
    expect(topView(state, 'tool', { asOfMs: A0 }).overflow).toBe(3);
    // The server's own row still counts every call.
    expect(state.servers.rows[0]!.stats.calls).toBe(MAX_TOOLS + 3);
  });
});

describe('call stats', () => {
  it('keeps the last LATENCY_SAMPLES durations for percentiles, exact counts since the start', () => {
    let stats = EMPTY_CALL_STATS;
    for (let i = 1; i <= LATENCY_SAMPLES + 10; i++) stats = addCall(stats, { failed: i % 10 === 0, durationMs: i, errorType: 'E', atMs: A0 + i });
    expect(stats.calls).toBe(LATENCY_SAMPLES + 10);
    expect(stats.failed).toBe(13);
    expect(stats.latenciesMs).toHaveLength(LATENCY_SAMPLES);
    expect(stats.latenciesMs[0]).toBe(11);
    expect(percentileMs(stats, 0.5)).toBe(74);
    expect(percentileMs(stats, 0.95)).toBe(132);
  });

  it('calls/s counts the last 10 s of event time, or the stream\'s age when younger, and forgets older buckets', () => {
    let stats = EMPTY_CALL_STATS;
    for (let s = 0; s < 30; s++) stats = addCall(stats, { failed: false, durationMs: undefined, errorType: '', atMs: A0 + s * 1000 });
    expect(stats.rateBuckets.length).toBeLessThanOrEqual(11);
    expect(callsPerSecond(stats, A0 + 29_500, A0)).toBe(1);
    // Two calls in a stream 2 s old.
    const young = addCall(addCall(EMPTY_CALL_STATS, { failed: false, durationMs: 1, errorType: '', atMs: A0 }), { failed: false, durationMs: 1, errorType: '', atMs: A0 + 1000 });
    expect(callsPerSecond(young, A0 + 2000, A0)).toBe(1);
    // A late event still counts in its own bucket.
    const late = addCall(young, { failed: false, durationMs: 1, errorType: '', atMs: A0 + 500 });
    expect(late.rateBuckets).toEqual([
      { startMs: A0, count: 2 },
      { startMs: A0 + 1000, count: 1 },
    ]);
  });

  it('callerOf reads the gateway shape, an older principal_id, and null as anonymous', () => {
    expect(callerOf({ event_type: 'ToolInvocationCompleted', identity_context: ADA })).toEqual({ key: 'user:ada\u0000claude-desktop', id: 'user:ada', agent: 'claude-desktop', principalType: 'user', tenant: 'acme' });
    expect(callerOf({ event_type: 'ToolInvocationCompleted', identity_context: { principal_id: 'user:bob', principal_type: 'user', tenant_id: 't' } }).id).toBe('user:bob');
    expect(callerOf({ event_type: 'ToolInvocationCompleted', identity_context: { agent_id: 'bot-1', principal_type: 'service' } })).toMatchObject({ id: 'bot-1', agent: '', principalType: 'service' });
    expect(callerOf({ event_type: 'ToolInvocationCompleted', identity_context: null }).id).toBe('anonymous');
    expect(callerOf({ event_type: 'ToolInvocationCompleted' }).id).toBe('anonymous');
  });
});
