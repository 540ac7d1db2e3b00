import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { AlreadyDecidedError, AuthError, RuntimeError, UsageError } from '../../src/errors.js';
import { exitCodeFor } from '../../src/cli/main.js';
import { approvalsBaseUrl, approvalsUrl } from '../../src/client/approvals-client.js';
import { registerApprovals, registerApprove, registerDeny, type ApprovalsRunners } from '../../src/commands/approvals/register.js';
import type { ListOptions, ResolveOptions, ShowOptions } from '../../src/commands/approvals/options.js';
import { describePermission, refusalError, type RefusalContext } from '../../src/client/approval-refusal.js';
import { createColorScheme } from '../../src/io/color.js';
import { decodeApproval, decodeErrorBody, type Approval } from '../../src/protocol/approval.js';
import { formatApprovalDetails, formatApprovalTable, formatCountdown, formatDecided } from '../../src/render/approvals/format-approvals.js';
import { createTestIO } from '../helpers/test-io.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const plain = createColorScheme(0);
const colored = createColorScheme(1);

type Received = { list?: ListOptions; show?: ShowOptions; resolve?: ResolveOptions };

/** Parses a command line with runners that only record the options. */
async function parse(args: string[], env: Record<string, string> = {}, stdoutTTY = false): Promise<Received> {
  const received: Received = {};
  const runners: ApprovalsRunners = {
    list: async (o) => void (received.list = o),
    show: async (o) => void (received.show = o),
    resolve: async (o) => void (received.resolve = o),
  };
  const io = createTestIO({ env: { HANGAR_CONFIG: '/nonexistent/hangar-events-tests/config.json', ...env }, stdoutTTY });
  const program = new Command('hangar-events').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerApprovals(program, io, runners);
  registerApprove(program, io, runners);
  registerDeny(program, io, runners);
  const quiet = (c: Command) => {
    c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    c.commands.forEach(quiet);
  };
  program.commands.forEach(quiet);
  await program.parseAsync(args, { from: 'user' });
  return received;
}

const approval = (fields: Record<string, unknown> = {}): Approval => {
  const decoded = decodeApproval({
    approval_id: '3f9c0a1d-22e4-4c1b-9d0e-5a1b2c3d4e5f',
    provider_id: 'github',
    tool_name: 'create_issue',
    arguments: { repo: 'acme/site', title: 'Fix login' },
    state: 'pending',
    channel: 'event_stream',
    requested_at: '2026-11-26T11:58:00+00:00',
    expires_at: '2026-11-26T12:03:00+00:00',
    expires_in_seconds: 180,
    decided_by: null,
    decided_at: null,
    reason: null,
    requested_by: 'agent:ci',
    tenant_id: null,
    ...fields,
  });
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.value;
};

describe('approvals flags -> options', () => {
  it('list: the URL from --url, $HANGAR_URL or localhost, ws:// mapped to http:// of the same host, a prefix kept', async () => {
    expect((await parse(['approvals'])).list!.endpoint.baseUrl).toBe('http://localhost:8000');
    expect((await parse(['approvals'], { HANGAR_URL: 'wss://hangar.example.com/api/ws/events' })).list!.endpoint.baseUrl).toBe('https://hangar.example.com');
    expect((await parse(['approvals', '--url', 'gateway:9000'])).list!.endpoint.baseUrl).toBe('http://gateway:9000');
    expect((await parse(['approvals', '--url', 'https://h.example/hangar/api/ws/events'])).list!.endpoint.baseUrl).toBe('https://h.example/hangar');
    expect(approvalsUrl('https://h.example/hangar', '/a%2Fb/resolve').href).toBe('https://h.example/hangar/api/approvals/a%2Fb/resolve');
    expect(approvalsUrl(approvalsBaseUrl('ws://h:1/api/ws/events?token=mcp_x&other=1'), '', { state: 'pending' }).href).toBe('http://h:1/api/approvals?token=mcp_x&state=pending');
  });
  it('list: a table on a terminal, ndjson in a pipe, json on request; --state checked before any request', async () => {
    expect((await parse(['approvals'], {}, true)).list!.output).toBe('table');
    expect((await parse(['approvals'])).list!.output).toBe('ndjson');
    const list = (await parse(['approvals', '-o', 'json', '--state', 'Denied', '-s', 'github'])).list!;
    expect([list.output, list.state, list.server]).toEqual(['json', 'denied', 'github']);
    await expect(parse(['approvals', '--state', 'done'])).rejects.toThrow(new UsageError("invalid --state 'done': expected one of pending, approved, denied, expired"));
    await expect(parse(['approvals', '-o', 'yaml'])).rejects.toThrow(UsageError);
  });
  it('credentials as tail takes them: key, bearer, header, -H', async () => {
    const list = (await parse(['approvals', '-k', 'mcp_k', '--api-key-header', 'X-Hangar-Key', '-H', 'X-Trace: 1'])).list!;
    expect(list.endpoint.requestHeaders).toEqual({ 'X-Hangar-Key': 'mcp_k', 'X-Trace': '1' });
    expect((await parse(['approvals'], { HANGAR_API_KEY: 'mcp_env' })).list!.endpoint.requestHeaders).toEqual({ 'X-API-Key': 'mcp_env' });
    await expect(parse(['approvals', '--bearer'])).rejects.toThrow(/--bearer .* no key/);
  });
  it('show takes one ID, and the connection flags before or after it', async () => {
    const show = (await parse(['approvals', 'show', 'abc-1', '-o', 'json', '--url', 'h:1', '-k', 'mcp_k'])).show!;
    expect([show.id, show.output, show.endpoint.baseUrl, show.endpoint.requestHeaders['X-API-Key']]).toEqual(['abc-1', 'json', 'http://h:1', 'mcp_k']);
    expect((await parse(['approvals', '--url', 'h:2', 'show', 'abc-2'])).show!.endpoint.baseUrl).toBe('http://h:2');
    await expect(parse(['approvals', 'show', 'a/b'])).rejects.toThrow(/invalid approval ID 'a\/b'/);
  });
  it('approve/deny: several IDs, each once, in order; --reason TEXT or - (stdin)', async () => {
    const approve = (await parse(['approve', 'a', 'b', 'a', '--reason', ' ticket OPS-12 '])).resolve!;
    expect([approve.decision, approve.ids, approve.reason, approve.reasonFromStdin]).toEqual(['approve', ['a', 'b'], 'ticket OPS-12', false]);
    const deny = (await parse(['deny', 'c', '--reason', '-'])).resolve!;
    expect([deny.decision, deny.ids, deny.reason, deny.reasonFromStdin]).toEqual(['deny', ['c'], undefined, true]);
    await expect(parse(['deny', 'c', '--reason', ' '])).rejects.toThrow(/empty --reason/);
    await expect(parse(['approve', 'c', '--reason', 'x'.repeat(2001)])).rejects.toThrow(/at most 2000/);
  });
});

describe('refusals: one line each, with their exit code', () => {
  const ctx = (overrides: Partial<RefusalContext> = {}): RefusalContext => ({ action: 'approve', id: 'ap-1', displayUrl: 'http://h:1/', credentialSent: true, ...overrides });
  it('403 names the missing permission and the built-in roles that hold it: exit 4', () => {
    const body = decodeErrorBody({ error: { code: 'AccessDeniedError', message: 'Access denied: key:ro cannot resolve on approval:* (no_matching_permission)' } });
    const error = refusalError({ status: 403, ...body }, ctx());
    expect(error).toBeInstanceOf(AuthError);
    expect(exitCodeFor(error)).toBe(4);
    expect(error.message).toBe(
      'cannot approve ap-1: http://h:1/ answered HTTP 403: Access denied: key:ro cannot resolve on approval:* (no_matching_permission): the key lacks approval:resolve, which the built-in roles admin and provider-admin hold (or a custom role that grants it)',
    );
    expect(refusalError({ status: 403, message: undefined, state: undefined, authorization: true }, ctx({ action: 'list', id: undefined })).message).toContain(
      'the key lacks approval:read, which the built-in roles admin, provider-admin and auditor hold',
    );
    // A 403 that is not the authorization layer's (serve, a proxy refusing the key): both causes.
    expect(refusalError({ ...decodeErrorBody({ error: 'access_denied', message: 'Invalid API key' }), status: 403 }, ctx()).message).toBe(
      'cannot approve ap-1: http://h:1/ answered HTTP 403: access_denied: the credential was refused, or it lacks approval:resolve, which the built-in roles admin and provider-admin hold; check the key given with -k/--api-key, --api-key-file or HANGAR_API_KEY',
    );
    expect(describePermission('audit:read')).toBe('audit:read, which the built-in roles admin and auditor hold');
    expect(refusalError({ status: 401, message: 'authentication_failed', state: undefined }, ctx({ credentialSent: false })).message).toContain('no credential was sent');
  });
  it('409 says the state and, when known, by whom: exit 7', () => {
    const decided = refusalError({ status: 409, message: 'Approval already resolved', state: 'approved' }, ctx({ current: approval({ state: 'approved', decided_by: 'user:ada', decided_at: '2026-11-26T12:00:03+00:00' }) }));
    expect(exitCodeFor(decided)).toBe(7);
    expect(decided.message).toBe('cannot approve ap-1: it was already approved by user:ada at 2026-11-26T12:00:03+00:00 (HTTP 409: Approval already resolved); nothing changed');
    const expired = refusalError({ status: 409, message: 'Approval expired', state: 'expired' }, ctx({ action: 'deny' }));
    expect(expired).toBeInstanceOf(AlreadyDecidedError);
    expect(expired.message).toBe('cannot deny ap-1: it expired before anyone decided, so the call was denied (HTTP 409: Approval expired); nothing changed');
    expect(refusalError({ status: 409, message: 'Failed to resolve approval', state: undefined }, ctx()).message).toContain('see hangar-events approvals show ap-1');
  });
  it('404 says another tenant looks the same; 503 says there is no gate: exit 1', () => {
    const missing = refusalError({ status: 404, message: 'Approval not found', state: undefined }, ctx({ action: 'show' }));
    expect(missing).toBeInstanceOf(RuntimeError);
    expect(exitCodeFor(missing)).toBe(1);
    expect(missing.message).toBe(
      'cannot show approval ap-1: no such approval on http://h:1/ (HTTP 404: Approval not found): it does not exist, or it belongs to another tenant (a gateway answers both the same way); hangar-events approvals lists the pending ones',
    );
    expect(refusalError({ status: 404, message: undefined, state: undefined }, ctx({ action: 'list', id: undefined })).message).toContain('has no /api/approvals');
    const gate = refusalError({ status: 503, message: 'approval gate is not configured on this gateway', state: undefined }, ctx({ action: 'list', id: undefined }));
    expect(exitCodeFor(gate)).toBe(1);
    expect(gate.message).toBe('cannot list approvals: http://h:1/ has no approval gate (HTTP 503: approval gate is not configured on this gateway): nothing is held for approval there; the gateway\'s approval gate must be configured first');
  });
  it('peer text in a refusal is sanitized', () => {
    const error = refusalError({ status: 409, message: 'Approval \u001b]52;c;aGk=\u0007already resolved\n', state: 'denied' }, ctx({ current: approval({ state: 'denied', decided_by: 'user:\u001b[31mmallory\u202e' }) }));
    expect(error.message).toBe('cannot approve ap-1: it was already denied by user:mallory (HTTP 409: Approval already resolved\\n); nothing changed');
  });
});

describe('approvals rendered', () => {
  it('the list: oldest first, the clock columns, every peer string sanitized', () => {
    const list = [
      approval({ approval_id: 'b', requested_at: '2026-11-26T11:59:30+00:00', expires_at: '2026-11-26T12:00:40+00:00', requested_by: 'agent:\u001b[2Jx', channel: 'slack' }),
      approval({ approval_id: 'a' }),
    ];
    expect(formatApprovalTable(list, { colors: plain, nowMs: NOW }).split('\n')).toEqual([
      'SERVER  TOOL          REQUESTED BY  WAITING  EXPIRES IN  CHANNEL       ID',
      'github  create_issue  agent:ci      2m       3m00s       event_stream  a',
      'github  create_issue  agent:x       30s      40s         slack         b',
    ]);
    const lines = formatApprovalTable(list, { colors: colored, nowMs: NOW }).split('\n');
    expect(lines[2]).toBe(`${colored.warning('github')}  ${colored.warning('create_issue')}  agent:x       30s      ${colored.warning(colored.bold('40s'))}${' '.repeat(9)}slack         ${colored.dim('b')}`);
  });
  it('decided ones: state, who and when', () => {
    const list = [approval({ approval_id: 'a', state: 'denied', decided_by: 'user:ada', decided_at: '2026-11-26T11:59:00Z' })];
    expect(formatApprovalTable(list, { colors: plain, nowMs: NOW }).split('\n')).toEqual([
      'SERVER  TOOL          REQUESTED BY  STATE   DECIDED BY  DECIDED  CHANNEL       ID',
      'github  create_issue  agent:ci      denied  user:ada    1m ago   event_stream  a',
    ]);
  });
  it('one in full, arguments as indented JSON, sanitized', () => {
    const lines = formatApprovalDetails(approval({ arguments: { title: 'a\u202eb\u0085', body: 'x\u2028y' } }), { colors: plain, nowMs: NOW });
    expect(lines).toEqual([
      'id:           3f9c0a1d-22e4-4c1b-9d0e-5a1b2c3d4e5f',
      'state:        pending',
      'server:       github',
      'tool:         create_issue',
      'requested by: agent:ci',
      'channel:      event_stream',
      'requested at: 2026-11-26T11:58:00+00:00  (2m ago)',
      'expires at:   2026-11-26T12:03:00+00:00  (in 3m00s)',
      'arguments:',
      '  {',
      '    "title": "ab",',
      '    "body": "x\\ny"',
      '  }',
    ]);
  });
  it('outcome lines and countdowns', () => {
    expect(formatDecided('approve', 'ap-1', approval(), plain)).toBe('approved ap-1 (github create_issue)');
    expect(formatDecided('deny', 'ap-1', undefined, plain)).toBe('denied ap-1');
    expect(formatDecided('deny', 'ap-1', approval(), colored)).toBe(`${colored.failure('denied')} ap-1 (github create_issue)`);
    expect([formatCountdown(42_100), formatCountdown(252_000), formatCountdown(0), formatCountdown(-5)]).toEqual(['43s', '4m12s', 'expired', 'expired']);
  });
});
