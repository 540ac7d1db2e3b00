import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { killAll, runCli, startCli, type RunningCli } from '../helpers/spawn.js';

/**
 * serve's approval gate from the real binary: the simulated fleet's gated
 * calls wait for POST /api/approvals/{id}/resolve, and the stream shows what
 * a gateway's would (Requested, then Granted and the call, Denied, or Expired).
 */

afterEach(killAll);

type Frame = Record<string, any>;
const listening = /listening on ws:\/\/127\.0\.0\.1:(\d+)\/api\/ws\/events/;

/** A stream client that keeps every event and lets the test wait for one. */
class Watcher {
  readonly events: Frame[] = [];
  private waiters: (() => void)[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if ('event_type' in frame) this.events.push(frame);
      for (const w of [...this.waiters]) w();
    });
  }

  static async open(port: string, headers: Record<string, string> = {}): Promise<Watcher> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws/events`, { headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const watcher = new Watcher(ws);
    ws.send(JSON.stringify({ type: 'subscribe' }));
    return watcher;
  }

  /** The first event (from index `from`) that matches, once it has arrived. */
  next(match: (e: Frame) => boolean, what: string, from = 0, timeoutMs = 20_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.slice(from).find(match);
        if (found) {
          cleanup();
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; ${this.events.length} events, the last: ${JSON.stringify(this.events.slice(-2))}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

async function api(port: string, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'Content-Type': 'application/json', ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}

async function startServe(args: string[], env: Record<string, string> = {}): Promise<{ cli: RunningCli; port: string }> {
  const cli = startCli(['serve', '--port', '0', '--servers', '5', '--rate', '300', ...args], { env });
  const port = (await cli.waitFor('stderr', listening))[1]!;
  return { cli, port };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('serve: the simulated fleet waits for real decisions (spawned binary)', () => {
  it('granted: Granted by the system principal, then the call is invoked and ends with the same correlation_id; denied: Denied with the reason and no invocation', async () => {
    const { port } = await startServe(['--seed', '4']);
    const watcher = await Watcher.open(port);
    const first = await watcher.next((e) => e.event_type === 'ToolApprovalRequested', 'a ToolApprovalRequested');
    expect(first.approval_id).toMatch(UUID);
    // The call waits: nothing of it runs before the decision.
    const listed = await api(port, '/api/approvals');
    expect(listed.status).toBe(200);
    expect(listed.json.map((a: Frame) => a.approval_id)).toContain(first.approval_id);
    const record = (await api(port, `/api/approvals/${first.approval_id}`)).json;
    expect(record).toMatchObject({ state: 'pending', provider_id: first.mcp_server_id, tool_name: first.tool_name, channel: first.channel, expires_at: first.expires_at, tenant_id: null });
    expect(Date.parse(record.expires_at) - Date.parse(record.requested_at)).toBe(300_000);
    expect(watcher.events.filter((e) => e.correlation_id === first.correlation_id)).toEqual([first]);

    expect(await api(port, `/api/approvals/${first.approval_id}/resolve`, { method: 'POST', body: { decision: 'approve' } })).toEqual({ status: 200, json: { approval_id: first.approval_id, state: 'approved' } });
    const granted = await watcher.next((e) => e.event_type === 'ToolApprovalGranted' && e.approval_id === first.approval_id, 'its ToolApprovalGranted');
    expect(granted).toMatchObject({ decided_by: 'system', mcp_server_id: first.mcp_server_id, tool_name: first.tool_name });
    const at = watcher.events.indexOf(granted);
    const invoked = await watcher.next((e) => e.event_type === 'ToolInvocationRequested' && e.correlation_id === first.correlation_id, 'the invocation', at);
    await watcher.next((e) => /^ToolInvocation(Completed|Failed)$/.test(e.event_type) && e.correlation_id === first.correlation_id, 'the end of the call', watcher.events.indexOf(invoked));
    expect((await api(port, `/api/approvals/${first.approval_id}`)).json).toMatchObject({ state: 'approved', decided_by: 'system', decided_at: granted.decided_at });

    const second = await watcher.next((e) => e.event_type === 'ToolApprovalRequested' && e.approval_id !== first.approval_id, 'a second ToolApprovalRequested');
    expect(await api(port, `/api/approvals/${second.approval_id}/resolve`, { method: 'POST', body: { decision: 'deny', reason: 'not during the freeze' } })).toEqual({ status: 200, json: { approval_id: second.approval_id, state: 'denied' } });
    const denied = await watcher.next((e) => e.event_type === 'ToolApprovalDenied' && e.approval_id === second.approval_id, 'its ToolApprovalDenied');
    expect(denied).toMatchObject({ decided_by: 'system', reason: 'not during the freeze' });
    // The executor refuses a denied call before invoking it: no ToolInvocation event of it, however long the stream runs on.
    const after = watcher.events.indexOf(denied);
    await watcher.next((_e) => watcher.events.length > after + 300, '300 more events');
    expect(watcher.events.filter((e) => e.correlation_id === second.correlation_id)).toEqual([second]);
    expect(await api(port, `/api/approvals/${second.approval_id}/resolve`, { method: 'POST', body: { decision: 'approve' } })).toEqual({ status: 409, json: { error: 'Approval already resolved', state: 'denied' } });
    watcher.close();
  });

  it('expired: with --approval-timeout 1s a call nobody decides expires, and its approval says so', async () => {
    const { port } = await startServe(['--seed', '8', '--approval-timeout', '1s']);
    const watcher = await Watcher.open(port);
    const requested = await watcher.next((e) => e.event_type === 'ToolApprovalRequested', 'a ToolApprovalRequested');
    const expired = await watcher.next((e) => e.event_type === 'ToolApprovalExpired' && e.approval_id === requested.approval_id, 'its ToolApprovalExpired');
    expect(Date.parse(expired.expired_at)).toBeGreaterThanOrEqual(Date.parse(requested.expires_at));
    const record = (await api(port, `/api/approvals/${requested.approval_id}`)).json;
    expect(record).toMatchObject({ state: 'expired', decided_by: null, decided_at: expired.expired_at, expires_in_seconds: 0 });
    expect(await api(port, `/api/approvals/${requested.approval_id}/resolve`, { method: 'POST', body: { decision: 'approve' } })).toEqual({ status: 409, json: { error: 'Approval already resolved', state: 'expired' } });
    expect((await api(port, '/api/approvals?state=expired')).json.map((a: Frame) => a.approval_id)).toContain(requested.approval_id);
    expect(watcher.events.filter((e) => e.correlation_id === requested.correlation_id)).toEqual([requested]);
    watcher.close();
  });

  it('with a key: the decision is recorded as the key\'s name, and the key shows nowhere (REST, stream, log)', async () => {
    const key = 'mcp_s3cret_for_approvals';
    const { cli, port } = await startServe(['--seed', '4', '--log-format', 'json'], { HANGAR_API_KEY: key });
    const watcher = await Watcher.open(port, { 'X-API-Key': key });
    const requested = await watcher.next((e) => e.event_type === 'ToolApprovalRequested', 'a ToolApprovalRequested');
    expect((await api(port, '/api/approvals')).status).toBe(401);
    expect((await api(port, '/api/approvals', { headers: { 'X-API-Key': 'mcp_wrong' } })).status).toBe(403);
    expect((await api(port, `/api/approvals/${requested.approval_id}/resolve`, { method: 'POST', headers: { Authorization: `Bearer ${key}` }, body: { decision: 'deny', reason: 'reason-only-for-the-record' } })).status).toBe(200);
    const denied = await watcher.next((e) => e.event_type === 'ToolApprovalDenied' && e.approval_id === requested.approval_id, 'its ToolApprovalDenied');
    expect(denied.decided_by).toBe('api-key-1');
    const record = await api(port, `/api/approvals/${requested.approval_id}`, { headers: { 'X-API-Key': key } });
    expect(record.json.decided_by).toBe('api-key-1');
    expect(JSON.stringify(record.json)).not.toContain(key);
    expect(JSON.stringify(watcher.events)).not.toContain(key);
    watcher.close();
    // The operator's log says who decided which call, and nothing of the key, the arguments or the reason.
    const logged = cli.stderr().split('\n').filter((line) => line.includes('approval_decided')).map((line) => JSON.parse(line) as Frame);
    expect(logged).toEqual([
      expect.objectContaining({ level: 'info', msg: `approval ${requested.approval_id} denied by api-key-1 (${requested.mcp_server_id} ${requested.tool_name})`, approval_id: requested.approval_id, state: 'denied', decided_by: 'api-key-1' }),
    ]);
    expect(cli.stderr()).not.toContain(key);
    expect(cli.stderr()).not.toContain('s3cret');
    expect(cli.stderr()).not.toContain('reason-only-for-the-record');
    expect(cli.stderr()).not.toContain('"arguments"');
  });

  it('--no-approvals: the approvals REST answers 503 and gated tools run at once, with no approval events', async () => {
    const { port } = await startServe(['--seed', '4', '--no-approvals']);
    expect(await api(port, '/api/approvals')).toEqual({ status: 503, json: { error: 'approval gate is not configured on this gateway' } });
    expect(await api(port, '/api/approvals/x/resolve', { method: 'POST', body: { decision: 'approve' } })).toEqual({ status: 503, json: { error: 'approval gate is not configured on this gateway' } });
    const watcher = await Watcher.open(port);
    await watcher.next((e) => e.event_type === 'ToolInvocationRequested' && (e.tool_name === 'create_issue' || e.tool_name === 'write_file'), 'a call of a gated tool');
    expect(watcher.events.filter((e) => e.event_type.startsWith('ToolApproval'))).toEqual([]);
    watcher.close();
  });

  it('a replayed recording full of approval events creates no approval', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-approvals-'));
    const file = join(dir, 'approvals.ndjson');
    const requested = { event_type: 'ToolApprovalRequested', approval_id: '3f9c0a1d-1111-4111-8111-111111111111', mcp_server_id: 'github', tool_name: 'create_issue', arguments_hash: 'h', channel: 'slack', expires_at: '2099-01-01T00:00:00+00:00', correlation_id: 'c-1' };
    writeFileSync(file, `${JSON.stringify(requested)}\n`);
    const cli = startCli(['serve', '--port', '0', '--replay', file, '--speed', 'max']);
    const port = (await cli.waitFor('stderr', listening))[1]!;
    await cli.waitFor('stderr', /ended: 1 event published/);
    expect(await api(port, '/api/approvals')).toEqual({ status: 200, json: [] });
    expect(await api(port, `/api/approvals/${requested.approval_id}/resolve`, { method: 'POST', body: { decision: 'approve' } })).toEqual({ status: 404, json: { error: 'Approval not found' } });
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bad --approval-timeout, and --approval-timeout with --no-approvals, as usage errors', async () => {
    const bad = await runCli(['serve', '--port', '0', '--approval-timeout', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid --approval-timeout 'soon': expected a duration/);
    const both = await runCli(['serve', '--port', '0', '--no-approvals', '--approval-timeout', '10s']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--no-approvals turns the gate off/);
  });
});
