import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayApproval, startFakeGateway, type FakeGateway, type FakeGatewayOptions } from '../helpers/fake-gateway.js';
import { killAll, runCli, startCli } from '../helpers/spawn.js';
import { pollFor } from '../helpers/eventually.js';

/**
 * `approvals`, `approvals show`, `approve` and `deny` from the real binary,
 * against the suite's gateway double (every refusal a gateway can give) and
 * against `serve`.
 */

const gateways: FakeGateway[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await killAll();
  for (const gateway of gateways.splice(0)) await gateway.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function gateway(options: FakeGatewayOptions): Promise<FakeGateway> {
  const started = await startFakeGateway(options);
  gateways.push(started);
  return started;
}

const NOW = Date.now();
/** Three pending approvals (requested 90 s, 60 s and 30 s ago), one already approved by someone else, one of another tenant. */
function records() {
  return [
    gatewayApproval({ approval_id: 'a1000000-0000-4000-8000-000000000001', requested_at: iso(NOW - 90_000), requested_by: 'agent:ci' }, 300, NOW - 90_000),
    gatewayApproval({ approval_id: 'a1000000-0000-4000-8000-000000000002', provider_id: 'filesystem', tool_name: 'write_file', arguments: { path: '/etc/motd', content: 'hi\u001b]0;pwned\u0007\u202e' } }, 100, NOW - 60_000),
    gatewayApproval({ approval_id: 'a1000000-0000-4000-8000-000000000003', requested_by: 'agent:\u001b[31mred' }, 300, NOW - 30_000),
    gatewayApproval({ approval_id: 'a1000000-0000-4000-8000-000000000004', state: 'approved', decided_by: 'user:ada', decided_at: iso(NOW - 5000) }, 300, NOW - 20_000),
    gatewayApproval({ approval_id: 'a1000000-0000-4000-8000-000000000005', tenant_id: 'tenant-b' }, 300, NOW - 10_000),
  ];
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

const KEYS = {
  'mcp_admin': { id: 'key:admin', permissions: ['approval:read', 'approval:resolve'] },
  'mcp_auditor': { id: 'key:auditor', permissions: ['approval:read'] },
};

describe('approvals against the gateway double', () => {
  it('lists pending approvals: ndjson in a pipe (newest first, as received), a table with -o table (oldest first), the array with -o json', async () => {
    const gw = await gateway({ approvals: { records: records(), principals: KEYS } });
    const url = `http://127.0.0.1:${gw.port}`;
    const ndjson = await runCli(['approvals', '--url', url, '-k', 'mcp_auditor']);
    expect(ndjson.stderr).toBe('');
    expect(ndjson.code).toBe(0);
    const ids = ndjson.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { approval_id: string }).approval_id);
    // The other tenant's approval and the decided one are not listed.
    expect(ids).toEqual(['a1000000-0000-4000-8000-000000000003', 'a1000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001']);
    expect(gw.approvalRequests[0]).toMatchObject({ method: 'GET', url: '/api/approvals?state=pending' });

    const table = await runCli(['approvals', '--url', gw.url, '-o', 'table'], { env: { HANGAR_API_KEY: 'mcp_auditor' } });
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('SERVER      TOOL          REQUESTED BY  WAITING  EXPIRES IN  CHANNEL       ID');
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[0])).toEqual(['github', 'filesystem', 'github']);
    expect(lines[1]).toMatch(/^github\s+create_issue\s+agent:ci\s+1m\s+3m\d\ds\s+event_stream\s+a1000000-0000-4000-8000-000000000001$/);
    expect(lines[3]).toContain('agent:red');
    expect(table.stdout).not.toContain('\u001b');

    const json = await runCli(['approvals', '--url', url, '-k', 'mcp_admin', '-o', 'json', '--state', 'approved']);
    expect(JSON.parse(json.stdout)).toMatchObject([{ approval_id: 'a1000000-0000-4000-8000-000000000004', decided_by: 'user:ada' }]);
    const server = await runCli(['approvals', '--url', url, '-k', 'mcp_admin', '-s', 'filesystem']);
    expect(server.stdout.trim().split('\n')).toHaveLength(1);
    expect(gw.approvalRequests.at(-1)!.url).toBe('/api/approvals?state=pending&provider_id=filesystem');
  });

  it('shows one approval with its arguments as indented JSON, sanitized; another tenant\'s is "not found" (exit 1)', async () => {
    const gw = await gateway({ approvals: { records: records(), principals: KEYS } });
    const url = `ws://127.0.0.1:${gw.port}/api/ws/events`;
    const shown = await runCli(['approvals', 'show', 'a1000000-0000-4000-8000-000000000002', '--url', url, '-k', 'mcp_auditor']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('tool:         write_file\n');
    // JSON escapes C0 controls; the sanitizer takes what JSON leaves raw (a bidi override).
    expect(shown.stdout).toContain('arguments:\n  {\n    "path": "/etc/motd",\n    "content": "hi\\u001b]0;pwned\\u0007"\n  }\n');
    expect(shown.stdout).not.toMatch(/[\u001b\u0007\u202e]/);
    const other = await runCli(['approvals', 'show', 'a1000000-0000-4000-8000-000000000005', '--url', url, '-k', 'mcp_auditor']);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(
      `hangar-events: cannot show approval a1000000-0000-4000-8000-000000000005: no such approval on http://127.0.0.1:${gw.port} (HTTP 404: Approval not found): it does not exist, or it belongs to another tenant (a gateway answers both the same way); hangar-events approvals lists the pending ones\n`,
    );
  });

  it('approves and denies, one line per ID, with the reason sent (from stdin with --reason -)', async () => {
    const gw = await gateway({ approvals: { records: records(), principals: KEYS } });
    const url = `http://127.0.0.1:${gw.port}`;
    const approved = await runCli(['approve', 'a1000000-0000-4000-8000-000000000001', '--url', url, '-k', 'mcp_admin', '--reason', 'ticket OPS-12']);
    expect([approved.code, approved.stdout, approved.stderr]).toEqual([0, 'approved a1000000-0000-4000-8000-000000000001 (github create_issue)\n', '']);
    expect(gw.approvalRequests.find((r) => r.method === 'POST')).toMatchObject({
      url: '/api/approvals/a1000000-0000-4000-8000-000000000001/resolve',
      body: { decision: 'approve', reason: 'ticket OPS-12' },
    });
    const denied = await runCli(['deny', 'a1000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000003', '--url', url, '-k', 'mcp_admin', '--reason', '-'], {
      input: 'writes to /etc need a change ticket\n',
    });
    expect(denied.code).toBe(0);
    expect(denied.stdout).toBe('denied a1000000-0000-4000-8000-000000000002 (filesystem write_file)\ndenied a1000000-0000-4000-8000-000000000003 (github create_issue)\n');
    expect(gw.approvalRequests.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([
      { decision: 'approve', reason: 'ticket OPS-12' },
      { decision: 'deny', reason: 'writes to /etc need a change ticket' },
      { decision: 'deny', reason: 'writes to /etc need a change ticket' },
    ]);
    const record = gw.options.approvals!.records.find((r) => r.approval_id === 'a1000000-0000-4000-8000-000000000002')!;
    expect([record.state, record.decided_by]).toEqual(['denied', 'key:admin']);
  });

  it('409: already decided (by whom) or expired, exit 7', async () => {
    const gw = await gateway({ approvals: { records: [...records(), gatewayApproval({ approval_id: 'e0000000-0000-4000-8000-00000000000e' }, -5)], principals: KEYS } });
    const url = `http://127.0.0.1:${gw.port}`;
    const decided = await runCli(['deny', 'a1000000-0000-4000-8000-000000000004', '--url', url, '-k', 'mcp_admin']);
    expect(decided.code).toBe(7);
    expect(decided.stderr).toMatch(/^hangar-events: cannot deny a1000000-0000-4000-8000-000000000004: it was already approved by user:ada at \S+ \(HTTP 409: Approval already resolved\); nothing changed\n$/);
    const expired = await runCli(['approve', 'e0000000-0000-4000-8000-00000000000e', '--url', url, '-k', 'mcp_admin']);
    expect(expired.code).toBe(7);
    expect(expired.stderr).toContain('it expired at ');
    expect(expired.stderr).toContain('before anyone decided, so the call was denied (HTTP 409: Approval expired)');
  });

  it('403 names the missing permission and the roles that hold it (exit 4); 401 says the key was refused', async () => {
    const gw = await gateway({ approvals: { records: records(), principals: KEYS } });
    const url = `http://127.0.0.1:${gw.port}`;
    const refused = await runCli(['approve', 'a1000000-0000-4000-8000-000000000001', '--url', url, '-k', 'mcp_auditor']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toBe(
      `hangar-events: cannot approve a1000000-0000-4000-8000-000000000001: http://127.0.0.1:${gw.port} answered HTTP 403: Access denied: key:auditor cannot resolve on approval:* (no_matching_permission): the key lacks approval:resolve, which the built-in roles admin and provider-admin hold (or a custom role that grants it)\n`,
    );
    expect(gw.options.approvals!.records[0]!.state).toBe('pending');
    const wrong = await runCli(['approvals', '--url', url, '-k', 'mcp_wrong']);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('answered HTTP 401: authentication_failed: the credential was refused');
    expect(wrong.stderr).not.toContain('mcp_wrong');
  });

  it('several IDs: every one tried, each reported, the most serious exit code (4 over 1 over 7)', async () => {
    const gw = await gateway({ approvals: { records: records(), principals: KEYS } });
    const url = `http://127.0.0.1:${gw.port}`;
    const mixed = await runCli(['approve', 'a1000000-0000-4000-8000-000000000004', 'nope', 'a1000000-0000-4000-8000-000000000001', '--url', url, '-k', 'mcp_admin']);
    expect(mixed.code).toBe(1);
    expect(mixed.stdout).toBe('approved a1000000-0000-4000-8000-000000000001 (github create_issue)\n');
    const errors = mixed.stderr.trimEnd().split('\n');
    expect(errors).toHaveLength(3);
    expect(errors[0]).toContain('cannot approve a1000000-0000-4000-8000-000000000004: it was already approved by user:ada');
    expect(errors[1]).toContain('cannot approve nope: no such approval');
    expect(errors[2]).toBe('hangar-events: 2 of 3 approvals not approved (see above)');
    const decidedOnly = await runCli(['deny', 'a1000000-0000-4000-8000-000000000004', 'a1000000-0000-4000-8000-000000000001', '--url', url, '-k', 'mcp_admin']);
    expect(decidedOnly.code).toBe(7);
  });

  it('503 from a gateway without an approval gate, and a bad state, are one clear line each', async () => {
    const gw = await gateway({ approvals: { records: [], gate: false } });
    const url = `http://127.0.0.1:${gw.port}`;
    const noGate = await runCli(['approvals', '--url', url]);
    expect(noGate.code).toBe(1);
    expect(noGate.stderr).toBe(
      `hangar-events: cannot list approvals: http://127.0.0.1:${gw.port} has no approval gate (HTTP 503: approval gate is not configured on this gateway): nothing is held for approval there; the gateway's approval gate must be configured first\n`,
    );
    expect((await runCli(['deny', 'x', '--url', url])).code).toBe(1);
    const badState = await runCli(['approvals', '--url', url, '--state', 'open']);
    expect(badState.code).toBe(2);
    expect(badState.stderr).toBe("hangar-events: invalid --state 'open': expected one of pending, approved, denied, expired\n");
    expect(gw.approvalRequests).toHaveLength(2);
    // A gateway without the approvals API at all (before 2.13): 404 without an approval's error.
    const old = await gateway({});
    const missing = await runCli(['approvals', '--url', `http://127.0.0.1:${old.port}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('has no /api/approvals (HTTP 404)');
  });

  it('reads URL and key from a context, as tail does', async () => {
    const gw = await gateway({ approvals: { records: records(), principals: KEYS } });
    const dir = mkdtempSync(join(tmpdir(), 'hangar-approvals-'));
    dirs.push(dir);
    const env = { HANGAR_CONFIG: join(dir, 'config.json'), GW_KEY: 'mcp_auditor' };
    expect((await runCli(['context', 'add', 'gw', '--url', gw.url, '--api-key-env', 'GW_KEY', '--use'], { env })).code).toBe(0);
    const listed = await runCli(['approvals'], { env });
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('cannot reach the gateway: exit 1 with what to check', async () => {
    const gw = await gateway({});
    const port = gw.port;
    await gw.close();
    gateways.splice(0);
    const down = await runCli(['approvals', '--url', `127.0.0.1:${port}`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^hangar-events: cannot list approvals: http:\/\/127\.0\.0\.1:\d+: .*refused/);
  });
});

describe('approvals against serve', () => {
  async function serve(args: string[]): Promise<string> {
    const cli = startCli(['serve', '--port', '0', '--seed', '3', '--rate', '200', ...args]);
    const [, url] = await cli.waitFor('stderr', /listening on (ws:\/\/\S+)/, 15_000);
    return url!;
  }

  it('lists the simulated fleet\'s held calls, approves one (decided_by names the key), and says who when it is decided again', async () => {
    const url = await serve(['--api-key', 'mcp_serve_key']);
    const env = { HANGAR_API_KEY: 'mcp_serve_key' };
    const listed = await pollFor(
      () => runCli(['approvals', '--url', url], { env }),
      (r) => r.code === 0 && r.stdout.trim() !== '',
      { what: 'a pending approval on serve', timeoutMs: 20_000, everyMs: 200, show: (r) => r.stderr },
    );
    const first = JSON.parse(listed.stdout.trim().split('\n')[0]!) as { approval_id: string; provider_id: string; tool_name: string; state: string };
    expect(first.state).toBe('pending');
    expect(first.approval_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const table = await runCli(['approvals', '--url', url, '-o', 'table'], { env });
    expect(table.stdout.split('\n')[0]).toBe(table.stdout.split('\n')[0]!.replace(/\s+$/, ''));
    expect(table.stdout).toMatch(/^SERVER +TOOL +REQUESTED BY +WAITING +EXPIRES IN +CHANNEL +ID$/m);
    const shown = await runCli(['approvals', 'show', first.approval_id, '--url', url], { env });
    expect(shown.stdout).toContain(`tool:         ${first.tool_name}\n`);

    const approved = await runCli(['approve', first.approval_id, '--url', url, '--reason', 'looks fine'], { env });
    expect([approved.code, approved.stdout, approved.stderr]).toEqual([0, `approved ${first.approval_id} (${first.provider_id} ${first.tool_name})\n`, '']);
    const again = await runCli(['deny', first.approval_id, '--url', url], { env });
    expect(again.code).toBe(7);
    expect(again.stderr).toContain(`cannot deny ${first.approval_id}: it was already approved by api-key-1 at `);
    const decided = await runCli(['approvals', '--url', url, '--state', 'approved', '-o', 'json'], { env });
    expect(JSON.parse(decided.stdout)).toContainEqual(expect.objectContaining({ approval_id: first.approval_id, state: 'approved', decided_by: 'api-key-1' }));

    const wrong = await runCli(['approvals', '--url', url, '-k', 'mcp_wrong']);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('the credential was refused, or it lacks approval:read');
    expect((await runCli(['approvals', '--url', url])).code).toBe(4);
    expect((await runCli(['approvals', 'show', '00000000-0000-4000-8000-000000000000', '--url', url], { env })).code).toBe(1);
  }, 40_000);

  it('serve --no-approvals: 503, exit 1 with what it means', async () => {
    const url = await serve(['--no-approvals']);
    const noGate = await runCli(['approve', 'x', '--url', url]);
    expect(noGate.code).toBe(1);
    expect(noGate.stderr).toContain('has no approval gate (HTTP 503: approval gate is not configured on this gateway)');
  });
});
