import { describe, expect, it } from 'vitest';
import { formatIsoUtc } from '../../src/format/iso-utc.js';
import { hashArguments, pythonJsonDumps, redactArguments } from '../../src/protocol/approval-arguments.js';
import { ApprovalGate, type ApprovalClock, type ApprovalDecision, type HoldRequest } from '../../src/server/approvals/approval-gate.js';
import { FakeClock } from '../helpers/fake-clock.js';

const START_MS = Date.UTC(2026, 11, 7, 1, 0, 0);

/** A clock that never fires its timers, for a decision that comes after expires_at but before the expiry ran. */
const stoppedClock = (read: () => number): ApprovalClock => ({
  now: read,
  setTimeout: () => {
    const timer = { cancel() {}, unref: () => timer };
    return timer;
  },
});

const request = (approvalId: string, providerId = 'github', toolName = 'create_issue'): HoldRequest => ({
  approvalId,
  providerId,
  toolName,
  arguments: { owner: 'acme', repo: 'api' },
  channel: 'slack',
  correlationId: `c-${approvalId}`,
  requestedBy: 'user:ada',
  tenantId: null,
});

function gateWith(clock = new FakeClock({ nowMs: START_MS }), settings: { maxDecided?: number; maxPending?: number } = {}) {
  const decisions: [string, ApprovalDecision][] = [];
  const gate = new ApprovalGate({ timeoutMs: 300_000, clock, ...settings });
  const hold = (id: string, providerId?: string) => gate.hold(request(id, providerId), (d) => decisions.push([id, d]));
  return { gate, clock, decisions, hold };
}

/** A clock whose timers run `earlyMs` before their time (but not sooner than 1 ms), as Node's can by a millisecond (the loop's cached time). */
function earlyClock(earlyMs: number) {
  const clock = new FakeClock({ nowMs: START_MS });
  const early: ApprovalClock = { now: () => clock.now(), setTimeout: (callback, ms) => clock.setTimeout(callback, Math.max(1, ms - earlyMs)) };
  return { clock, early };
}

describe('ApprovalGate', () => {
  it('never expires an approval before its expires_at, though its timer runs early', () => {
    const { clock, early } = earlyClock(1);
    const decisions: ApprovalDecision[] = [];
    const gate = new ApprovalGate({ timeoutMs: 1_000, clock: early });
    const { expiresAtMs } = gate.hold(request('a1'), (d) => decisions.push(d));
    clock.advance(999);
    expect(decisions).toEqual([]);
    expect(gate.get('a1')!.state).toBe('pending');
    clock.advance(1);
    expect(decisions).toEqual([{ state: 'expired', expiredAtMs: expiresAtMs }]);
    expect(gate.get('a1')!.decided_at).toBe(formatIsoUtc(expiresAtMs));
  });

  it('holds a call as a pending approval in the gateway shape, expiring after the timeout', () => {
    const { gate, clock, hold } = gateWith();
    const start = clock.now();
    expect(hold('a1')).toEqual({ expiresAtMs: start + 300_000 });
    clock.advance(1_500);
    expect(gate.get('a1')).toEqual({
      approval_id: 'a1',
      provider_id: 'github',
      tool_name: 'create_issue',
      arguments: { owner: 'acme', repo: 'api' },
      state: 'pending',
      channel: 'slack',
      requested_at: '2026-12-07T01:00:00+00:00',
      expires_at: '2026-12-07T01:05:00+00:00',
      expires_in_seconds: 298,
      decided_by: null,
      decided_at: null,
      reason: null,
      requested_by: 'user:ada',
      tenant_id: null,
    });
    expect(gate.get('nope')).toBeUndefined();
  });

  it('lists by state, newest first, optionally for one server (an empty provider_id does not filter)', () => {
    const { gate, clock, hold } = gateWith();
    hold('a1', 'github');
    clock.advance(10);
    hold('a2', 'filesystem');
    clock.advance(10);
    hold('a3', 'github');
    expect(gate.list('pending').map((a) => a.approval_id)).toEqual(['a3', 'a2', 'a1']);
    expect(gate.list('pending', 'github').map((a) => a.approval_id)).toEqual(['a3', 'a1']);
    expect(gate.list('pending', '').map((a) => a.approval_id)).toEqual(['a3', 'a2', 'a1']);
    gate.resolve('a2', true, 'system', null);
    expect(gate.list('pending').map((a) => a.approval_id)).toEqual(['a3', 'a1']);
    expect(gate.list('approved').map((a) => a.approval_id)).toEqual(['a2']);
    expect(gate.list('denied')).toEqual([]);
  });

  it('approves and denies once, tells the holder once, and answers a second decision with the state it has', () => {
    const { gate, clock, decisions, hold } = gateWith();
    hold('a1');
    hold('a2');
    clock.advance(2_000);
    const at = clock.now();
    expect(gate.resolve('a1', true, 'api-key-2', 'ignored on approve')).toEqual({ outcome: 'resolved', state: 'approved' });
    expect(gate.resolve('a2', false, 'system', 'not during the freeze')).toEqual({ outcome: 'resolved', state: 'denied' });
    expect(decisions).toEqual([
      ['a1', { state: 'approved', decidedBy: 'api-key-2', decidedAtMs: at }],
      ['a2', { state: 'denied', decidedBy: 'system', decidedAtMs: at, reason: 'not during the freeze' }],
    ]);
    expect(gate.resolve('a1', false, 'system', null)).toEqual({ outcome: 'already_resolved', state: 'approved' });
    expect(gate.resolve('a2', true, 'system', null)).toEqual({ outcome: 'already_resolved', state: 'denied' });
    expect(gate.resolve('zz', true, 'system', null)).toEqual({ outcome: 'not_found' });
    expect(gate.get('a1')).toMatchObject({ state: 'approved', decided_by: 'api-key-2', decided_at: formatIsoUtc(at), reason: null });
    expect(gate.get('a2')).toMatchObject({ state: 'denied', decided_by: 'system', reason: 'not during the freeze' });
    expect(decisions).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });

  it('expires a hold when its time runs out: the holder hears it once, the approval records when', () => {
    const { gate, clock, decisions, hold } = gateWith();
    const { expiresAtMs } = hold('a1');
    clock.advance(299_999);
    expect(decisions).toEqual([]);
    clock.advance(1);
    expect(decisions).toEqual([['a1', { state: 'expired', expiredAtMs: expiresAtMs }]]);
    expect(gate.get('a1')).toMatchObject({ state: 'expired', decided_by: null, decided_at: formatIsoUtc(expiresAtMs), reason: null, expires_in_seconds: 0 });
    expect(gate.resolve('a1', true, 'system', null)).toEqual({ outcome: 'already_resolved', state: 'expired' });
    expect(gate.list('expired').map((a) => a.approval_id)).toEqual(['a1']);
  });

  it('answers "expired" to a decision that comes after expires_at but before its timer ran, and expires it then', () => {
    let nowMs = 1_000_000;
    const gate = new ApprovalGate({ timeoutMs: 5_000, clock: stoppedClock(() => nowMs) });
    const decisions: ApprovalDecision[] = [];
    gate.hold(request('late'), (d) => decisions.push(d));
    nowMs += 5_000;
    expect(gate.resolve('late', true, 'system', null)).toEqual({ outcome: 'expired', state: 'expired' });
    expect(decisions).toEqual([{ state: 'expired', expiredAtMs: nowMs }]);
    expect(gate.resolve('late', true, 'system', null)).toEqual({ outcome: 'already_resolved', state: 'expired' });
  });

  it('keeps decided approvals up to its cap, forgetting the oldest decided first, never a pending one', () => {
    const { gate, hold } = gateWith(new FakeClock({ nowMs: START_MS }), { maxDecided: 2 });
    for (const id of ['p', 'd1', 'd2', 'd3']) hold(id);
    for (const id of ['d1', 'd2', 'd3']) gate.resolve(id, true, 'system', null);
    expect(gate.get('d1')).toBeUndefined();
    expect(gate.resolve('d1', true, 'system', null)).toEqual({ outcome: 'not_found' });
    expect(gate.list('approved').map((a) => a.approval_id)).toEqual(['d3', 'd2']);
    expect(gate.get('p')?.state).toBe('pending');
    expect(gate.size).toBe(3);
  });

  it('when full, expires the oldest pending hold early to make room, and says so', () => {
    const clock = new FakeClock({ nowMs: START_MS });
    const full: number[] = [];
    const decisions: [string, ApprovalDecision][] = [];
    const gate = new ApprovalGate({ timeoutMs: 300_000, clock, maxPending: 2, onFull: (n) => full.push(n) });
    for (const id of ['a', 'b', 'c']) gate.hold(request(id), (d) => decisions.push([id, d]));
    expect(decisions).toEqual([['a', { state: 'expired', expiredAtMs: clock.now() }]]);
    expect(gate.pendingCount).toBe(2);
    expect(full).toEqual([2]);
  });

  it('close stops every timer and tells nobody', () => {
    const { gate, clock, decisions, hold } = gateWith();
    hold('a1');
    gate.close();
    clock.advance(600_000);
    expect(decisions).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('refuses to hold the same id twice', () => {
    const { hold } = gateWith();
    hold('a1');
    expect(() => hold('a1')).toThrow(/already held/);
  });
});

describe('approval arguments', () => {
  it('hashes the raw arguments as the gateway does: SHA-256 of json.dumps(sort_keys=True)', () => {
    const args = { title: 'Fix café', owner: 'acme', n: 3, nested: { z: [1, 2.5, null, true], a: 'x' } };
    // Both values computed with Python 3: json.dumps(args, sort_keys=True) and its SHA-256.
    expect(pythonJsonDumps(args)).toBe('{"n": 3, "nested": {"a": "x", "z": [1, 2.5, null, true]}, "owner": "acme", "title": "Fix caf\\u00e9"}');
    expect(hashArguments(args)).toBe('8dab61510d6d339691b40eaabfa990c95b654ba12acf7ae9acf7ed784c04ae11');
  });

  it('redacts secret-looking keys (at any depth) and token-shaped values, keeps the rest', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLXZhbHVl';
    expect(
      redactArguments({
        path: '/workspace/notes.md',
        api_token: 'mcp_live_1234',
        Password: 'hunter2',
        headers: { Authorization: 'Bearer abcdefghijklmnopqrstuvwxyz', 'x-trace': 'ok' },
        body: `Authorization: Bearer ${'a'.repeat(24)} and ${jwt}`,
        dsn: 'postgres://hangar:s3cret@db:5432/hangar',
        keys: ['ghp_' + 'A'.repeat(36), 'AKIA' + 'B'.repeat(16)],
        count: 3,
      }),
    ).toEqual({
      path: '/workspace/notes.md',
      api_token: '[REDACTED]',
      Password: '[REDACTED]',
      headers: { Authorization: '[REDACTED]', 'x-trace': 'ok' },
      body: 'Authorization: Bearer [REDACTED] and [REDACTED:jwt_token]',
      dsn: '[REDACTED:connection_string]db:5432/hangar',
      keys: '[REDACTED]',
      count: 3,
    });
  });

  it('writes times as Python isoformat of an aware UTC datetime', () => {
    // Computed with Python 3: datetime.fromtimestamp(t, UTC).isoformat().
    expect(formatIsoUtc(1796000000123)).toBe('2026-11-30T00:53:20.123000+00:00');
    expect(formatIsoUtc(1796000000000)).toBe('2026-11-30T00:53:20+00:00');
  });
});
