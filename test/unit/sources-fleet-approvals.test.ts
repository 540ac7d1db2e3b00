import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import type { HangarEvent } from '../../src/protocol/types.js';
import { hashArguments, redactArguments } from '../../src/protocol/approval-arguments.js';
import type { ApprovalMode, FleetSimulator } from '../../src/sources/fleet/model.js';
import { createFleetSimulator, createSimulatorSource, type ApprovalHolder } from '../../src/sources/fleet/simulator.js';
import { APPROVAL_TTL_MS } from '../../src/sources/fleet/agents.js';

const START_MS = Date.UTC(2026, 11, 7, 1, 0, 0);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function sim(approvals: ApprovalMode, seed = 5): FleetSimulator {
  return createFleetSimulator({ servers: 5, seed, startMs: START_MS, approvals, callRate: 4 });
}

/** Runs `s` until an event matches, returning the events up to and including it. */
function until(s: FleetSimulator, match: (e: HangarEvent) => boolean, limit = 200_000): HangarEvent[] {
  const seen: HangarEvent[] = [];
  for (let i = 0; i < limit; i++) {
    const e = s.next();
    seen.push(e);
    if (match(e)) return seen;
  }
  throw new Error(`no matching event in ${limit}`);
}

const isType = (type: string) => (e: HangarEvent) => e.event_type === type;

describe('the simulated fleet with a real approval gate (held)', () => {
  it('asks as a gateway asks: a UUID, the SHA-256 of the raw arguments, and no ToolInvocationRequested before a decision', () => {
    const s = sim('held');
    const seen = until(s, isType('ToolApprovalRequested'));
    const requested = seen.at(-1)!;
    expect(requested.approval_id).toMatch(UUID);
    const held = s.heldApproval(requested.approval_id as string)!;
    expect(held).toMatchObject({ serverId: requested.mcp_server_id, toolName: requested.tool_name, correlationId: requested.correlation_id, channel: requested.channel });
    expect(requested.arguments_hash).toBe(hashArguments(held.arguments));
    expect(seen.filter((e) => e.correlation_id === requested.correlation_id)).toEqual([requested]);
    // Nobody decides: the call stays held however long the fleet runs.
    const later = until(s, (e) => e.occurred_at! * 1000 > requested.occurred_at! * 1000 + 2 * APPROVAL_TTL_MS);
    expect(later.filter((e) => e.correlation_id === requested.correlation_id || e.approval_id === requested.approval_id)).toEqual([]);
    expect(s.heldApproval(requested.approval_id as string)).toBeDefined();
  });

  it('granted: ToolApprovalGranted, then the call is invoked with the same correlation_id and ends', () => {
    const s = sim('held');
    const requested = until(s, isType('ToolApprovalRequested')).at(-1)!;
    const id = requested.approval_id as string;
    const rawArguments = s.heldApproval(id)!.arguments;
    const now = s.decideApproval(id, { state: 'approved', decidedBy: 'api-key-1', decidedAtMs: START_MS + 5_000 });
    expect(now.map((e) => e.event_type).slice(0, 2)).toEqual(['ToolApprovalGranted', 'ToolInvocationRequested']);
    expect(now[0]).toMatchObject({ approval_id: id, mcp_server_id: requested.mcp_server_id, tool_name: requested.tool_name, decided_by: 'api-key-1', decided_at: '2026-12-07T01:00:05+00:00' });
    expect(Object.keys(now[0]!).sort()).toEqual(['approval_id', 'decided_at', 'decided_by', 'event_id', 'event_type', 'mcp_server_id', 'occurred_at', 'produced_by', 'tool_name'].sort());
    expect(now[1]).toMatchObject({ correlation_id: requested.correlation_id, tool_name: requested.tool_name, arguments: rawArguments });
    expect(s.heldApproval(id)).toBeUndefined();
    const end = until(s, (e) => e.correlation_id === requested.correlation_id).at(-1)!;
    expect(['ToolInvocationCompleted', 'ToolInvocationFailed']).toContain(end.event_type);
    // Decided once: a second decision does nothing.
    expect(s.decideApproval(id, { state: 'denied', decidedBy: 'x', decidedAtMs: 0, reason: null })).toEqual([]);
  });

  it('denied: ToolApprovalDenied with the reason, and no invocation event ever follows (the executor refuses it before invoking)', () => {
    const s = sim('held');
    const requested = until(s, isType('ToolApprovalRequested')).at(-1)!;
    const now = s.decideApproval(requested.approval_id as string, { state: 'denied', decidedBy: 'system', decidedAtMs: START_MS + 1, reason: 'not during the freeze' });
    expect(now).toHaveLength(1);
    expect(now[0]).toMatchObject({ event_type: 'ToolApprovalDenied', decided_by: 'system', decided_at: '2026-12-07T01:00:00.001000+00:00', reason: 'not during the freeze' });
    const later = until(s, (e) => e.occurred_at! * 1000 > requested.occurred_at! * 1000 + 600_000);
    expect(later.filter((e) => e.correlation_id === requested.correlation_id)).toEqual([]);
  });

  it('expired: ToolApprovalExpired with expired_at, and no invocation event follows', () => {
    const s = sim('held');
    const requested = until(s, isType('ToolApprovalRequested')).at(-1)!;
    const now = s.decideApproval(requested.approval_id as string, { state: 'expired', expiredAtMs: START_MS + 300_000 });
    expect(now.map(({ event_id: _i, occurred_at: _o, ...rest }) => rest)).toEqual([
      { event_type: 'ToolApprovalExpired', produced_by: now[0]!.produced_by, approval_id: requested.approval_id, mcp_server_id: requested.mcp_server_id, tool_name: requested.tool_name, expired_at: '2026-12-07T01:05:00+00:00' },
    ]);
    const later = until(s, (e) => e.occurred_at! * 1000 > requested.occurred_at! * 1000 + 600_000);
    expect(later.filter((e) => e.correlation_id === requested.correlation_id)).toEqual([]);
  });
});

describe('the simulated fleet without a gate, and with simulated approvers', () => {
  it('off: a gateway without a gate runs gated tools at once, with no approval events', () => {
    const s = sim('off');
    const seen = until(s, (e) => e.event_type === 'ToolInvocationRequested' && (e.tool_name === 'create_issue' || e.tool_name === 'write_file'));
    expect(seen.filter((e) => e.event_type.startsWith('ToolApproval'))).toEqual([]);
  });

  it('simulated: a gated call is invoked only after its grant; denied and expired ones never are', () => {
    const s = sim('simulated', 11);
    const events = Array.from({ length: 60_000 }, () => s.next());
    const requestedAt = new Map<string, number>();
    const outcomes = new Map<string, string>();
    const byApproval = new Map<string, string>();
    events.forEach((e, i) => {
      if (e.event_type === 'ToolApprovalRequested') byApproval.set(e.approval_id as string, e.correlation_id as string);
      if (e.event_type.startsWith('ToolApproval') && e.event_type !== 'ToolApprovalRequested') outcomes.set(byApproval.get(e.approval_id as string)!, `${e.event_type}@${i}`);
      if (e.event_type === 'ToolInvocationRequested') requestedAt.set(e.correlation_id as string, i);
    });
    const kinds = new Set<string>();
    for (const [correlation, outcome] of outcomes) {
      const [type, at] = outcome.split('@') as [string, string];
      kinds.add(type);
      if (type === 'ToolApprovalGranted') expect(requestedAt.get(correlation)).toBeGreaterThan(Number(at));
      else expect(requestedAt.has(correlation)).toBe(false);
    }
    expect([...kinds].sort()).toEqual(['ToolApprovalDenied', 'ToolApprovalExpired', 'ToolApprovalGranted']);
  });
});

describe('createSimulatorSource with a gate', () => {
  it('hands the gate each held call as its ToolApprovalRequested goes out, with redacted arguments and the gate\'s expiry in the event; decisions are published at once', async () => {
    const holds: { request: Parameters<ApprovalHolder['hold']>[0]; decide: Parameters<ApprovalHolder['hold']>[1] }[] = [];
    const expiresAtMs = Date.UTC(2026, 11, 7, 2, 0, 0);
    const gate: ApprovalHolder = {
      hold(request, onDecided) {
        holds.push({ request, decide: onDecided });
        return { expiresAtMs };
      },
    };
    const published: HangarEvent[] = [];
    const clock = new FakeClock();
    const source = createSimulatorSource({ servers: 5, ratePerSec: 2_000, seed: 3, clock, approvals: gate });
    const done = source.run({ publish: (e) => void published.push(e), publishSerialized: () => {} }, { info() {}, warn() {} });
    await clock.runWhile(() => holds.length === 0);
    const requested = published.find((e) => e.event_type === 'ToolApprovalRequested')!;
    const { request, decide } = holds[0]!;
    expect(request.approvalId).toBe(requested.approval_id);
    expect(requested.expires_at).toBe('2026-12-07T02:00:00+00:00');
    expect(request.arguments).toEqual(redactArguments(request.arguments));
    expect(request).toMatchObject({ providerId: requested.mcp_server_id, toolName: requested.tool_name, channel: requested.channel, correlationId: requested.correlation_id, tenantId: null });
    const before = published.length;
    decide({ state: 'approved', decidedBy: 'system', decidedAtMs: Date.now() });
    expect(published.slice(before, before + 2).map((e) => [e.event_type, e.approval_id ?? e.correlation_id])).toEqual([
      ['ToolApprovalGranted', request.approvalId],
      ['ToolInvocationRequested', request.correlationId],
    ]);
    source.stop();
    await done;
  });
});
