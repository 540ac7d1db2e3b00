import { describe, expect, it } from 'vitest';
import { createColorScheme } from '../../src/io/color.js';
import { emptyTableState, reduceTable, type TableState } from '../../src/render/table/reduce-table.js';
import { renderTable, SECURITY_RECENT_MS, type TableRenderContext } from '../../src/render/table/render-table.js';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const plain = createColorScheme(0);

function ctx(nowMs: number, overrides: Partial<TableRenderContext> = {}): TableRenderContext {
  return { colors: plain, width: 120, height: 40, nowMs, sort: 'server', header: { sources: [], filterDescription: '' }, ...overrides };
}

function feed(events: Array<Record<string, unknown> & { event_type: string }>, state: TableState = emptyTableState()): TableState {
  for (const event of events) state = reduceTable(state, event, ((event.occurred_at as number) ?? T0 / 1000) * 1000);
  return state;
}

const requested = (id: string, server: string, tool: string, atS: number) => ({
  event_type: 'ToolApprovalRequested',
  approval_id: id,
  mcp_server_id: server,
  tool_name: tool,
  arguments_hash: 'sha256:ab',
  channel: 'slack',
  expires_at: '2026-11-26T12:02:00+00:00',
  correlation_id: `c-${id}`,
  occurred_at: atS,
});

describe('the table: pending tool approvals', () => {
  it('appear when requested, with their age, and clear when granted, denied or expired', () => {
    const s0 = T0 / 1000;
    let state = feed([requested('apr_1', 'github', 'create_issue', s0), requested('apr_2', 'filesystem', 'write_file', s0 + 10), requested('apr_3', 'github', 'create_issue', s0 + 20)]);
    let lines = renderTable(state, ctx(T0 + 65_000));
    const at = lines.findIndex((l) => l.startsWith('approvals pending'));
    expect(lines.slice(at, at + 4)).toEqual([
      'approvals pending: 3  oldest waiting 1m  (hangar-events approve|deny ID)',
      '  github create_issue  waiting 1m  via slack  apr_1',
      '  filesystem write_file  waiting 55s  via slack  apr_2',
      '  github create_issue  waiting 45s  via slack  apr_3',
    ]);
    state = feed(
      [
        { event_type: 'ToolApprovalGranted', approval_id: 'apr_1', mcp_server_id: 'github', tool_name: 'create_issue', decided_by: 'user:ada', decided_at: 'x', occurred_at: s0 + 30 },
        { event_type: 'ToolApprovalDenied', approval_id: 'apr_2', mcp_server_id: 'filesystem', tool_name: 'write_file', decided_by: 'user:ada', decided_at: 'x', reason: null, occurred_at: s0 + 31 },
      ],
      state,
    );
    lines = renderTable(state, ctx(T0 + 65_000));
    expect(lines.filter((l) => l.includes('apr_'))).toEqual(['  github create_issue  waiting 45s  via slack  apr_3']);
    expect(lines).toContain('approvals pending: 1  oldest waiting 45s  (hangar-events approve|deny ID)');
    state = feed([{ event_type: 'ToolApprovalExpired', approval_id: 'apr_3', mcp_server_id: 'github', tool_name: 'create_issue', expired_at: 'x', occurred_at: s0 + 140 }], state);
    lines = renderTable(state, ctx(T0 + 150_000));
    expect(lines.some((l) => l.includes('approvals pending') || l.includes('apr_'))).toBe(false);
  });
  it('list the oldest few and count the rest, and give way to server rows on a short terminal', () => {
    const s0 = T0 / 1000;
    const state = feed(Array.from({ length: 6 }, (_, i) => requested(`apr_${i}`, 'github', 'create_issue', s0 + i)));
    const lines = renderTable(state, ctx(T0 + 10_000));
    const at = lines.findIndex((l) => l.startsWith('approvals pending: 6'));
    // Three listed, as the README says, and the rest counted on a line of its own.
    expect(lines.slice(at + 1, at + 5)).toEqual([
      '  github create_issue  waiting 10s  via slack  apr_0',
      '  github create_issue  waiting 9s  via slack  apr_1',
      '  github create_issue  waiting 8s  via slack  apr_2',
      '  +3 more',
    ]);
    const short = renderTable(state, ctx(T0 + 10_000, { height: 5 }));
    expect(short).toHaveLength(5);
    expect(short.some((l) => l.startsWith('github'))).toBe(true);
    expect(short.some((l) => l.startsWith('approvals pending: 6'))).toBe(true);
  });
});

describe('the table: security and enforcement events', () => {
  it('get an alert line with the count and the latest, highlighted while recent, and visible without color', () => {
    const s0 = T0 / 1000;
    const state = feed([
      { event_type: 'AuthenticationFailed', auth_method: 'api_key', source_ip: '203.0.113.9', reason: 'Invalid credentials', attempted_principal_id: null, occurred_at: s0 },
      { event_type: 'HealthCheckPassed', mcp_server_id: 'math', duration_ms: 3, occurred_at: s0 + 1 },
      { event_type: 'EgressPolicyViolationObserved', mcp_server_id: 'fetch', tool_name: 'fetch', would_be_action: 'deny', reasons: ['destination not in allow list: pastebin.com'], correlation_id: null, identity_context: null, schema_version: 1, occurred_at: s0 + 2 },
    ]);
    const lines = renderTable(state, ctx(T0 + 12_000, { width: 160 }));
    expect(lines[2]).toBe('[SECURITY] 2 security/enforcement events, last 10s ago: EgressPolicyViolationObserved fetch (destination not in allow list: pastebin.com)');
    const colored = renderTable(state, ctx(T0 + 12_000, { colors: createColorScheme(1) }));
    expect(colored[2]).toContain('\x1b[45m'); // the security style, across the whole line
    const later = renderTable(state, ctx(T0 + 2_000 + SECURITY_RECENT_MS + 1, { colors: createColorScheme(1) }));
    expect(later[2]).toContain('\x1b[2m[SECURITY] 2 security/enforcement events');
    expect(later[2]).not.toContain('\x1b[45m');
  });
  it('has no alert line while none arrived', () => {
    const state = feed([{ event_type: 'HealthCheckPassed', mcp_server_id: 'math', duration_ms: 3, occurred_at: T0 / 1000 }]);
    expect(renderTable(state, ctx(T0 + 1000)).some((l) => l.includes('[SECURITY]'))).toBe(false);
  });
});

describe('the table: severity of the last event', () => {
  it('colors the LAST EVENT column like the type of a pretty line', () => {
    const s0 = T0 / 1000;
    const state = feed([
      { event_type: 'ToolInvocationFailed', mcp_server_id: 'a', tool_name: 't', duration_ms: 3, error_type: 'tool_error', error_message: 'x', occurred_at: s0 },
      { event_type: 'EgressPolicyViolationObserved', mcp_server_id: 'b', tool_name: 'fetch', would_be_action: 'deny', reasons: [], occurred_at: s0 },
      { event_type: 'ToolInvocationRequested', mcp_server_id: 'c', tool_name: 't', arguments: {}, occurred_at: s0 },
      { event_type: 'BatchCallCompleted', mcp_server_id: 'd', success: false, occurred_at: s0 },
    ]);
    const lines = renderTable(state, ctx(T0 + 1000, { colors: createColorScheme(1) }));
    const row = (id: string) => lines.find((l) => l.startsWith(`${id} `))!;
    expect(row('a')).toContain('\x1b[31mToolInvocationFailed\x1b[39m');
    expect(row('b')).toContain('\x1b[45m\x1b[97m\x1b[1mEgressPolicyViolationObserved');
    expect(row('c')).toMatch(/ ToolInvocationRequested +/);
    expect(row('c')).not.toMatch(/\x1b\[\d+mToolInvocationRequested/);
    expect(row('d')).toContain('\x1b[31mBatchCallCompleted\x1b[39m');
  });
});
