import { afterEach, describe, expect, it } from 'vitest';
import { ApprovalGate, type ApprovalDecision, type HoldRequest } from '../../src/server/approvals/approval-gate.js';
import { silentLog } from '../../src/server/log.js';
import { DEFAULT_SERVER_OPTIONS, startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { createTestIO } from '../helpers/test-io.js';
import { httpRequest, realClockIO } from './serve-support.js';

/**
 * The approvals REST of serve over real HTTP on loopback: every status a
 * gateway answers (mcp-hangar approvals/api/routes.py), in its shapes. The
 * gate runs on a clock the test sets, so expiry needs no waiting.
 */

let nowMs = Date.UTC(2026, 11, 7, 1, 0, 0);
const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A server whose gate runs on `nowMs` (timers never fire: expiry is exercised through a late decision). */
async function serverWithGate(overrides: Partial<ServerOptions> = {}): Promise<{ server: RunningServer; gate: ApprovalGate; decisions: [string, ApprovalDecision][]; hold: (id: string, provider?: string) => void }> {
  const never = { cancel() {}, unref: () => never };
  const gate = new ApprovalGate({ timeoutMs: 300_000, clock: { now: () => nowMs, setTimeout: () => never } });
  const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, port: 0, ...overrides }, realClockIO(), silentLog, gate);
  servers.push(server);
  const decisions: [string, ApprovalDecision][] = [];
  const hold = (id: string, provider = 'github') => {
    const request: HoldRequest = { approvalId: id, providerId: provider, toolName: 'create_issue', arguments: { repo: 'api', token: '[REDACTED]' }, channel: 'slack', correlationId: `c-${id}`, requestedBy: null, tenantId: null };
    gate.hold(request, (d) => decisions.push([id, d]));
  };
  return { server, gate, decisions, hold };
}

const resolve = (server: RunningServer, id: string, body: unknown, headers: Record<string, string> = {}) =>
  httpRequest(server, `/api/approvals/${id}/resolve`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('serve: GET/POST /api/approvals (real HTTP)', () => {
  it('GET lists pending approvals newest first (200), filters by state and provider_id, and refuses an unknown state (400)', async () => {
    const { server, hold } = await serverWithGate();
    const empty = await httpRequest(server, '/api/approvals');
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual([]);
    hold('a1', 'github');
    nowMs += 1_000;
    hold('a2', 'filesystem');
    const list = await httpRequest(server, '/api/approvals');
    expect(list.status).toBe(200);
    expect(list.headers['content-type']).toBe('application/json');
    const approvals = list.json as unknown as Record<string, unknown>[];
    expect(approvals.map((a) => a.approval_id)).toEqual(['a2', 'a1']);
    expect(Object.keys(approvals[0]!)).toEqual(['approval_id', 'provider_id', 'tool_name', 'arguments', 'state', 'channel', 'requested_at', 'expires_at', 'expires_in_seconds', 'decided_by', 'decided_at', 'reason', 'requested_by', 'tenant_id']);
    expect(approvals[1]).toMatchObject({ state: 'pending', arguments: { repo: 'api', token: '[REDACTED]' }, requested_at: '2026-12-07T01:00:00+00:00', expires_at: '2026-12-07T01:05:00+00:00', expires_in_seconds: 299 });
    expect(((await httpRequest(server, '/api/approvals?state=pending&provider_id=filesystem')).json as unknown as unknown[]).length).toBe(1);
    expect((await httpRequest(server, '/api/approvals?state=approved')).json).toEqual([]);
    expect(await httpRequest(server, '/api/approvals?state=open')).toMatchObject({ status: 400, json: { error: 'Invalid state: open' } });
    expect(await httpRequest(server, '/api/approvals?state=')).toMatchObject({ status: 400, json: { error: 'Invalid state: ' } });
  });

  it('GET one approval (200) or 404 {"error": "Approval not found"}', async () => {
    const { server, hold } = await serverWithGate();
    hold('3f9c0a1d-0000-4000-8000-000000000001');
    const one = await httpRequest(server, '/api/approvals/3f9c0a1d-0000-4000-8000-000000000001');
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ approval_id: '3f9c0a1d-0000-4000-8000-000000000001', state: 'pending', provider_id: 'github', tool_name: 'create_issue' });
    expect(await httpRequest(server, '/api/approvals/nope')).toMatchObject({ status: 404, json: { error: 'Approval not found' } });
  });

  it('POST resolve: 200 approve and deny (the system principal decides without keys), 409 already resolved with its state, 404, 400 for a bad decision', async () => {
    const { server, hold, decisions } = await serverWithGate();
    hold('a1');
    hold('a2');
    expect(await resolve(server, 'a1', { decision: 'approve' })).toMatchObject({ status: 200, json: { approval_id: 'a1', state: 'approved' } });
    expect(await resolve(server, 'a2', { decision: 'deny', reason: 'not during the freeze' })).toMatchObject({ status: 200, json: { approval_id: 'a2', state: 'denied' } });
    expect(decisions).toEqual([
      ['a1', { state: 'approved', decidedBy: 'system', decidedAtMs: nowMs }],
      ['a2', { state: 'denied', decidedBy: 'system', decidedAtMs: nowMs, reason: 'not during the freeze' }],
    ]);
    expect((await httpRequest(server, '/api/approvals/a2')).json).toMatchObject({ state: 'denied', decided_by: 'system', reason: 'not during the freeze' });
    expect(await resolve(server, 'a1', { decision: 'deny' })).toMatchObject({ status: 409, json: { error: 'Approval already resolved', state: 'approved' } });
    expect(await resolve(server, 'a2', { decision: 'approve' })).toMatchObject({ status: 409, json: { error: 'Approval already resolved', state: 'denied' } });
    expect(await resolve(server, 'zz', { decision: 'approve' })).toMatchObject({ status: 404, json: { error: 'Approval not found' } });
    for (const body of [{ decision: 'maybe' }, {}, { decision: 'APPROVE' }]) {
      expect(await resolve(server, 'zz', body)).toMatchObject({ status: 400, json: { error: "decision must be 'approve' or 'deny'" } });
    }
    expect(await resolve(server, 'a1', 'not json')).toMatchObject({ status: 400, json: { error: expect.stringMatching(/^the body is not JSON: send a JSON object such as/) } });
    expect(await resolve(server, 'a1', '[1]')).toMatchObject({ status: 400, json: { error: expect.stringMatching(/not a JSON object/) } });
    expect(await resolve(server, 'a1', { decision: 'deny', reason: 7 })).toMatchObject({ status: 400, json: { error: 'reason must be a string' } });
    expect(decisions).toHaveLength(2);
  });

  it('POST resolve after expires_at: 409 {"error": "Approval expired", "state": "expired"}, and the call expires then', async () => {
    const { server, hold, decisions } = await serverWithGate();
    hold('late');
    nowMs += 300_000;
    expect(await resolve(server, 'late', { decision: 'approve' })).toMatchObject({ status: 409, json: { error: 'Approval expired', state: 'expired' } });
    expect(decisions).toEqual([['late', { state: 'expired', expiredAtMs: nowMs }]]);
    expect(await resolve(server, 'late', { decision: 'approve' })).toMatchObject({ status: 409, json: { error: 'Approval already resolved', state: 'expired' } });
    expect((await httpRequest(server, '/api/approvals?state=expired')).json).toMatchObject([{ approval_id: 'late', expires_in_seconds: 0, decided_by: null }]);
  });

  it("serve's own gate runs on the injected clock: stepped past --approval-timeout, the held call expires and says when", async () => {
    const io = createTestIO({ nowMs: Date.UTC(2026, 11, 7, 2, 0, 0) });
    const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, port: 0, approvalTimeoutMs: 30_000 }, io);
    servers.push(server);
    const decisions: ApprovalDecision[] = [];
    server.approvals!.hold({ approvalId: 'held', providerId: 'github', toolName: 'create_issue', arguments: {}, channel: 'slack', correlationId: 'c', requestedBy: null, tenantId: null }, (d) => decisions.push(d));
    expect((await httpRequest(server, '/api/approvals/held')).json).toMatchObject({ state: 'pending', expires_at: '2026-12-07T02:00:30+00:00', expires_in_seconds: 30 });
    io.clock.advance(29_999);
    expect(decisions).toEqual([]);
    io.clock.advance(1);
    expect(decisions).toEqual([{ state: 'expired', expiredAtMs: Date.UTC(2026, 11, 7, 2, 0, 30) }]);
    expect((await httpRequest(server, '/api/approvals?state=expired')).json).toMatchObject([{ approval_id: 'held', decided_at: '2026-12-07T02:00:30+00:00', expires_in_seconds: 0 }]);
  });

  it('with keys: 401 authentication_failed without one, 403 access_denied with a wrong one, and decided_by names the key that decided, never the key', async () => {
    const { server, hold } = await serverWithGate({ apiKeys: ['mcp_first_k3y', 'mcp_second_k3y'] });
    hold('a1');
    for (const [path, method] of [['/api/approvals', 'GET'], ['/api/approvals/a1', 'GET'], ['/api/approvals/a1/resolve', 'POST']] as const) {
      const missing = await httpRequest(server, path, { method, body: bodyFor(method) });
      expect(missing.status).toBe(401);
      expect(missing.json).toMatchObject({ error: 'authentication_failed', message: expect.stringMatching(/API key is required/), details: { expected_methods: ['api_key', 'bearer'] } });
      expect(missing.headers['www-authenticate']).toBe('Bearer, ApiKey');
      const wrong = await httpRequest(server, path, { method, headers: { 'X-API-Key': 'mcp_wrong' }, body: bodyFor(method) });
      expect(wrong.status).toBe(403);
      expect(wrong.json).toMatchObject({ error: 'access_denied', message: 'the API key is not valid for this server', resource: 'approval:*', action: method === 'POST' ? 'resolve' : 'read' });
      expect(JSON.stringify(wrong.json)).not.toContain('mcp_wrong');
    }
    expect(await resolve(server, 'a1', { decision: 'approve' }, { Authorization: 'Bearer mcp_second_k3y' })).toMatchObject({ status: 200 });
    const decided = await httpRequest(server, '/api/approvals/a1', { headers: { 'X-API-Key': 'mcp_first_k3y' } });
    expect(decided).toMatchObject({ status: 200, json: { state: 'approved', decided_by: 'api-key-2' } });
    expect(JSON.stringify(decided.json)).not.toContain('k3y');
  });

  it('--no-approvals: every approvals route answers 503 {"error": "approval gate is not configured on this gateway"} (after authentication, as a gateway)', async () => {
    const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, port: 0, approvals: false, apiKeys: ['mcp_k'] }, realClockIO());
    servers.push(server);
    expect(server.approvals).toBeUndefined();
    for (const [path, method] of [['/api/approvals', 'GET'], ['/api/approvals/x', 'GET'], ['/api/approvals/x/resolve', 'POST']] as const) {
      expect(await httpRequest(server, path, { method, headers: { 'X-API-Key': 'mcp_k' }, body: bodyFor(method) })).toMatchObject({ status: 503, json: { error: 'approval gate is not configured on this gateway' } });
      expect((await httpRequest(server, path, { method })).status).toBe(401);
    }
  });

  it('answers a wrong method with 405 and an unknown approvals path with 404, and refuses a body over 64 KiB with 413', async () => {
    const { server, hold } = await serverWithGate();
    hold('a1');
    expect(await httpRequest(server, '/api/approvals', { method: 'POST' })).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
    expect(await httpRequest(server, '/api/approvals/a1/resolve')).toMatchObject({ status: 405, headers: { allow: 'POST' } });
    expect(await httpRequest(server, '/api/approvals/a1/other')).toMatchObject({ status: 404, json: { error: 'not_found' } });
    expect(await resolve(server, 'a1', { decision: 'deny', reason: 'x'.repeat(70_000) })).toMatchObject({ status: 413 });
    expect((await httpRequest(server, '/api/approvals/a1')).json).toMatchObject({ state: 'pending' });
  });

  it('published events change nothing in the gate: an ingested ToolApprovalRequested is not an approval', async () => {
    const { server } = await serverWithGate();
    const event = { event_type: 'ToolApprovalRequested', approval_id: 'from-outside', mcp_server_id: 'github', tool_name: 'create_issue', arguments_hash: 'x', channel: 'slack', expires_at: '2026-12-07T01:05:00+00:00', correlation_id: 'c-1' };
    expect((await httpRequest(server, '/api/events', { method: 'POST', body: JSON.stringify(event) })).status).toBe(202);
    expect((await httpRequest(server, '/api/approvals')).json).toEqual([]);
    expect(await resolve(server, 'from-outside', { decision: 'approve' })).toMatchObject({ status: 404 });
  });
});

/**
 * A body only where the method has one: node:http sends a GET's body without
 * Content-Length or chunking, so on a kept-alive socket the server would read
 * it as the start of the next request (HPE_INVALID_METHOD, a 400 or a reset).
 */
function bodyFor(method: string): string | undefined {
  return method === 'POST' ? '{"decision":"approve"}' : undefined;
}
