import { describe, expect, it } from 'vitest';
import { createColorScheme } from '../../src/io/color.js';
import { decodeKeys, type Key } from '../../src/io/keys.js';
import { decodeApproval, type Approval } from '../../src/protocol/approval.js';
import { mergeApprovalSnapshot } from '../../src/render/approvals/approval-snapshot.js';
import { INITIAL_APPROVALS_VIEW, reduceApprovalsView, type ApprovalsViewState, type ViewAction, type ViewEffect } from '../../src/render/approvals/approvals-view.js';
import { renderApprovalsView } from '../../src/render/approvals/render-approvals-view.js';
import { emptyTableState, reduceTable, type PendingApproval, type TableState } from '../../src/render/table/reduce-table.js';
import { moveSelection, NO_SELECTION, scrollTop, settleSelection } from '../../src/render/view/selection.js';
import { renderStatusLine, statusMessage, STATUS_FRESH_MS } from '../../src/render/view/status-line.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const plain = createColorScheme(0);
const colored = createColorScheme(1);

const requested = (id: string, server: string, tool: string, agoS: number, expiresInS: number) => ({
  event_type: 'ToolApprovalRequested',
  approval_id: id,
  mcp_server_id: server,
  tool_name: tool,
  arguments_hash: 'sha256:ab',
  channel: 'event_stream',
  expires_at: new Date(NOW + expiresInS * 1000).toISOString().replace('Z', '+00:00'),
  correlation_id: `c-${id}`,
  occurred_at: (NOW - agoS * 1000) / 1000,
});

function table(): TableState {
  let state = emptyTableState();
  for (const event of [requested('ap-1', 'github', 'create_issue', 90, 210), requested('ap-2', 'filesystem', 'write_file', 30, 45), requested('ap-3', 'github', 'merge_pr', 5, 295)]) {
    state = reduceTable(state, event, NOW);
  }
  return state;
}

function pendingOf(state: TableState): PendingApproval[] {
  return [...state.approvals.values()];
}

/** Feeds keys (typed as a terminal sends them) through the reducer; returns the state and every effect. */
function press(state: ApprovalsViewState, typed: string, pending: readonly PendingApproval[], cannotDecide?: string): { state: ApprovalsViewState; effects: ViewEffect[] } {
  const effects: ViewEffect[] = [];
  for (const key of decodeKeys(typed)) {
    const next = reduceApprovalsView(state, { type: 'key', key }, { pending, nowMs: NOW, cannotDecide });
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}

function act(state: ApprovalsViewState, action: ViewAction, pending: readonly PendingApproval[]) {
  return reduceApprovalsView(state, action, { pending, nowMs: NOW }).state;
}

const ctx = { colors: plain, width: 110, height: 14, nowMs: NOW, source: 'http://gw:8000' };

describe('keys from a raw terminal', () => {
  it('decodes arrows (normal and application mode), Enter, Esc, Backspace, Ctrl-C and characters, several per chunk', () => {
    const names = (chunk: string) => decodeKeys(chunk).map((k: Key) => (k.name === 'char' ? k.char : k.name));
    expect(names('\u001b[A\u001b[B\u001bOA\u001bOB')).toEqual(['up', 'down', 'up', 'down']);
    expect(names('jk\r\u001b\u007f\u0003')).toEqual(['j', 'k', 'enter', 'escape', 'backspace', 'ctrl-c']);
    expect(names('\r\n')).toEqual(['enter']);
    expect(names('\u001b[1;5A\u001b[5~\u001bOP\u001b[15~')).toEqual(['up', 'page-up', 'other', 'other']);
    expect(names('é😀')).toEqual(['é', '😀']);
  });
});

describe('selection in a changing list', () => {
  it('follows its item, takes the one at its place when its item leaves, stops at the ends', () => {
    let s = settleSelection(NO_SELECTION, ['a', 'b', 'c']);
    expect(s).toEqual({ id: 'a', index: 0 });
    s = moveSelection(s, ['a', 'b', 'c'], 1);
    expect(s).toEqual({ id: 'b', index: 1 });
    expect(settleSelection(s, ['x', 'a', 'b', 'c'])).toEqual({ id: 'b', index: 2 });
    expect(settleSelection(s, ['a', 'c'])).toEqual({ id: 'c', index: 1 });
    expect(settleSelection({ id: 'c', index: 2 }, ['a', 'b'])).toEqual({ id: 'b', index: 1 });
    expect(moveSelection(s, ['a', 'b', 'c'], 5)).toEqual({ id: 'c', index: 2 });
    expect(moveSelection(s, ['a', 'b', 'c'], -5)).toEqual({ id: 'a', index: 0 });
    expect(settleSelection(s, [])).toEqual(NO_SELECTION);
    expect([scrollTop(0, 10, 4), scrollTop(5, 10, 4), scrollTop(5, 10, 4, 3), scrollTop(1, 10, 4, 3)]).toEqual([0, 2, 3, 1]);
  });
});

describe('the status line', () => {
  it('is in its tone while fresh, dimmed after, and cut to the width', () => {
    const status = statusMessage('approved github create_issue', 'success', NOW);
    expect(renderStatusLine(status, { colors: colored, width: 80, nowMs: NOW })).toBe(colored.success('approved github create_issue'));
    expect(renderStatusLine(status, { colors: colored, width: 80, nowMs: NOW + STATUS_FRESH_MS })).toBe(colored.dim('approved github create_issue'));
    expect(renderStatusLine(status, { colors: plain, width: 10, nowMs: NOW })).toBe('approved …');
    expect(renderStatusLine(undefined, { colors: plain, width: 10, nowMs: NOW })).toBeUndefined();
  });
});

describe('the approvals view', () => {
  it('lists pending approvals oldest first with countdowns; the selection marked; keys at the bottom', () => {
    const pending = pendingOf(table());
    const { state } = press(INITIAL_APPROVALS_VIEW, 'j', pending);
    expect(renderApprovalsView(state, pending, ctx)).toEqual([
      'approvals pending: 3  from the stream  http://gw:8000',
      '  SERVER      TOOL          REQUESTED BY  WAITING  EXPIRES IN  CHANNEL       ID',
      '  github      create_issue  -                  1m       3m30s  event_stream  ap-1',
      '> filesystem  write_file    -                 30s         45s  event_stream  ap-2',
      '  github      merge_pr      -                  5s       4m55s  event_stream  ap-3',
      '↑/↓ select  Enter arguments  a approve  d deny  r refresh  Esc back  q quit',
    ]);
    const lines = renderApprovalsView(state, pending, { ...ctx, colors: colored });
    // Expiring within a minute: the countdown in the warning color; the selected row bold.
    expect(lines[3]).toBe(colored.bold(`> filesystem  write_file    -                 30s  ${colored.warning('       45s')}  event_stream  ${colored.dim('ap-2')}`));
  });

  it('a: asks, then takes an optional reason; nothing is sent before Enter; the answer goes to the status line; the row stays until its event', () => {
    const pending = pendingOf(table());
    let { state, effects } = press(INITIAL_APPROVALS_VIEW, 'a', pending);
    expect(effects).toEqual([]);
    expect(renderApprovalsView(state, pending, ctx).at(-2)).toBe('approve github create_issue? [y/N] ');
    ({ state, effects } = press(state, 'y', pending));
    expect(effects).toEqual([]);
    ({ state, effects } = press(state, 'ok, OPS-12x\u007f', pending));
    expect(effects).toEqual([]);
    expect(renderApprovalsView(state, pending, ctx).at(-2)).toBe('reason (optional), Enter sends, Esc cancels: ok, OPS-12_');
    ({ state, effects } = press(state, '\r', pending));
    expect(effects).toEqual([{ type: 'resolve', id: 'ap-1', decision: 'approve', reason: 'ok, OPS-12', call: 'github create_issue' }]);
    expect(renderApprovalsView(state, pending, ctx)[2]).toBe('> github      create_issue  -                  1m       3m30s  event_stream  ap-1  approving...');
    state = act(state, { type: 'resolved', id: 'ap-1', decision: 'approve', call: 'github create_issue', result: { ok: true } }, pending);
    const lines = renderApprovalsView(state, pending, { ...ctx, width: 120 });
    expect(lines[2]).toBe('> github      create_issue  -                  1m       3m30s  event_stream  ap-1  approved, event pending');
    expect(lines.at(-2)).toBe('approved github create_issue (ap-1); it leaves the list when its event arrives');
    // Asking again is answered locally.
    expect(press(state, 'd', pending).state.status?.text).toBe('github create_issue was already approved here: waiting for its event');
    // The event: the approval leaves, the selection moves to the one at its place.
    const after = pendingOf(reduceTable(table(), { event_type: 'ToolApprovalGranted', approval_id: 'ap-1', decided_by: 'user:ada', decided_at: 'x' }, NOW));
    state = press(state, 'x', after).state;
    expect(renderApprovalsView(state, after, ctx).slice(0, 4)).toEqual([
      'approvals pending: 2  from the stream  http://gw:8000',
      '  SERVER      TOOL        REQUESTED BY  WAITING  EXPIRES IN  CHANNEL       ID',
      '> filesystem  write_file  -                 30s         45s  event_stream  ap-2',
      '  github      merge_pr    -                  5s       4m55s  event_stream  ap-3',
    ]);
    expect(state.decided.size).toBe(0);
  });

  it('d then anything but y, or Esc while typing the reason: nothing sent', () => {
    const pending = pendingOf(table());
    let { state, effects } = press(INITIAL_APPROVALS_VIEW, 'jdn', pending);
    expect(effects).toEqual([]);
    expect(state.status?.text).toBe('not denied: filesystem write_file (nothing was sent)');
    ({ state, effects } = press(state, 'dyno\u001b', pending));
    expect(effects).toEqual([]);
    expect(state.mode).toEqual({ kind: 'list' });
    expect(renderApprovalsView(state, pending, ctx).at(-2)).toBe('not denied: filesystem write_file (nothing was sent)');
  });

  it('a refusal is a status line, never an exception', () => {
    const pending = pendingOf(table());
    let { state } = press(INITIAL_APPROVALS_VIEW, 'ay\r', pending);
    state = act(state, { type: 'resolved', id: 'ap-1', decision: 'approve', call: 'github create_issue', result: { ok: false, message: 'http://gw:8000 answered HTTP 403: the key lacks approval:resolve', tone: 'failure' } }, pending);
    expect(renderApprovalsView(state, pending, { ...ctx, colors: colored }).at(-2)).toBe(colored.failure('not approved: github create_issue: http://gw:8000 answered HTTP 403: the key lacks approval:resolve'));
    expect(state.sending.size).toBe(0);
    // Without a gateway (--store alone) a decision is refused locally.
    expect(press(INITIAL_APPROVALS_VIEW, 'a', pending, 'no gateway to send it to').state.status?.text).toBe('cannot approve github create_issue: no gateway to send it to');
  });

  it('Enter shows the arguments (fetched), sanitized; Esc hides them, Esc again goes back; q quits', () => {
    const pending = pendingOf(table());
    let { state, effects } = press(INITIAL_APPROVALS_VIEW, '\r', pending);
    expect(effects).toEqual([{ type: 'fetch-details', id: 'ap-1' }]);
    expect(renderApprovalsView(state, pending, ctx)).toContain('arguments of ap-1: asking the gateway...');
    const approval = decodeApproval({ approval_id: 'ap-1', arguments: { title: 'x\u001b[2J\u202ey' }, requested_by: 'agent:\u001b]0;t\u0007ci' });
    state = act(state, { type: 'details', id: 'ap-1', result: { ok: true, approval: (approval as { value: Approval }).value } }, pending);
    const lines = renderApprovalsView(state, pending, ctx);
    expect(lines.slice(5, 9)).toEqual(['arguments of ap-1, requested by agent:ci (Enter hides them):', '  {', '    "title": "x\\u001b[2Jy"', '  }']);
    ({ state, effects } = press(state, '\u001b', pending));
    expect([state.details, effects]).toEqual([undefined, []]);
    expect(press(state, '\u001b', pending).effects).toEqual([{ type: 'close' }]);
    expect(press(state, 'q', pending).effects).toEqual([{ type: 'quit' }]);
    expect(press(state, '\u0003', pending).effects).toEqual([{ type: 'quit' }]);
  });

  it('fits a short, narrow terminal: rows scroll to the selection, lines are cut', () => {
    const pending = pendingOf(table());
    const { state } = press(INITIAL_APPROVALS_VIEW, 'jj', pending);
    const lines = renderApprovalsView(state, pending, { ...ctx, width: 40, height: 5 });
    // Column widths come from the rows on screen; CHANNEL, REQUESTED BY and WAITING give way to keep the ID whole.
    expect(lines).toEqual(['approvals pending: 3  from the stream  …', '  SERVER  TOOL      EXPIRES IN  ID', '> github  merge_pr       4m55s  ap-3', '  2 above', '↑/↓ select  Enter arguments  a approve …']);
  });
});

describe('the list from GET /api/approvals', () => {
  it('adds the countdown and who asked, brings in approvals the stream never announced, and never brings back a settled one', () => {
    const approval = (fields: Record<string, unknown>) => (decodeApproval({ state: 'pending', ...fields }) as { value: Approval }).value;
    const state = mergeApprovalSnapshot(
      table(),
      [
        approval({ approval_id: 'ap-1', requested_by: 'agent:ci', expires_at: '2026-11-26T12:05:00+00:00' }),
        approval({ approval_id: 'ap-0', provider_id: 'postgres', tool_name: 'drop_table', requested_at: '2026-11-26T11:50:00+00:00', expires_at: '2026-11-26T12:00:30+00:00' }),
        approval({ approval_id: 'ap-gone', provider_id: 'x', tool_name: 'y', requested_at: '2026-11-26T11:59:00+00:00' }),
      ],
      new Set(['ap-gone']),
    );
    const pending = pendingOf(state);
    expect(pending.map((a) => a.id)).toEqual(['ap-0', 'ap-1', 'ap-2', 'ap-3']);
    expect(pending[1]).toMatchObject({ requestedBy: 'agent:ci', expiresAtMs: Date.UTC(2026, 10, 26, 12, 5, 0) });
    expect(renderApprovalsView(INITIAL_APPROVALS_VIEW, pending, ctx)[2]).toBe('> postgres    drop_table    -                 10m         30s  -             ap-0');
  });
});
