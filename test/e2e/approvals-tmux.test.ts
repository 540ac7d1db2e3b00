import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, test } from 'vitest';
import { gatewayApproval, gatewayEvent, startFakeGateway, type FakeGateway } from '../helpers/fake-gateway.js';
import { BIN, e2eEnv, killAll } from '../helpers/spawn.js';
import { requireProgram } from '../helpers/require-program.js';
import { eventually, pollFor } from '../helpers/eventually.js';

/**
 * The live table's approvals view in a real terminal: tmux runs
 * `tail -o table` against the gateway double, keys are typed with
 * send-keys, and `capture-pane` shows what a person sees. Every wait polls
 * (bounded); nothing sleeps a fixed time.
 */

const run = promisify(execFile);
let tmux: { socket: string; dir: string } | undefined;
let gateway: FakeGateway | undefined;

function tmuxEnv(): NodeJS.ProcessEnv {
  const env = e2eEnv();
  delete env.TMUX;
  delete env.TERM;
  return env;
}

async function tmuxCmd(...args: string[]): Promise<string> {
  if (!tmux) throw new Error('no tmux');
  const { stdout } = await run('tmux', ['-L', tmux.socket, '-f', join(tmux.dir, 'tmux.conf'), ...args], { env: tmuxEnv() });
  return stdout;
}

async function startInTmux(argv: string[], columns = 140, rows = 30): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-approvals-'));
  tmux = { socket: `hangar-approvals-${process.pid}-${Date.now()}`, dir };
  writeFileSync(join(dir, 'tmux.conf'), 'set -g status off\n');
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  await tmuxCmd('new-session', '-d', '-s', 'view', '-x', String(columns), '-y', String(rows), `env NO_COLOR=1 TZ=UTC ${quoted}; echo "exit=$?"; exec sleep 600`);
}

const capture = () => tmuxCmd('capture-pane', '-p', '-t', 'view');
const keys = (...typed: string[]) => tmuxCmd('send-keys', '-t', 'view', ...typed);
async function waitForPane(predicate: (screen: string) => boolean, what: string): Promise<string> {
  return pollFor(capture, predicate, { what, timeoutMs: 15_000, everyMs: 100, show: (screen) => screen });
}

afterEach(async () => {
  if (tmux) {
    await run('tmux', ['-L', tmux.socket, 'kill-server'], { env: tmuxEnv() }).catch(() => {});
    rmSync(tmux.dir, { recursive: true, force: true });
    tmux = undefined;
  }
  await gateway?.close();
  gateway = undefined;
  await killAll();
});

const GITHUB = 'a2000000-0000-4000-8000-000000000001';
const FILESYSTEM = 'a2000000-0000-4000-8000-000000000002';

requireProgram('tmux').describe('the approvals view of tail -o table in a real terminal (tmux)', () => {
  test('A opens it; select, a, y, a reason, Enter: approved on the gateway, and the row leaves only when its event arrives; a 409 is a status line; Esc goes back', async () => {
    const now = Date.now();
    const records = [
      // Decided by someone else already: its event has not reached the stream yet.
      gatewayApproval({ approval_id: GITHUB, requested_by: 'agent:release-bot', state: 'approved', decided_by: 'user:ada', decided_at: new Date(now).toISOString() }, 300, now - 20_000),
      gatewayApproval({ approval_id: FILESYSTEM, provider_id: 'filesystem', tool_name: 'write_file', requested_by: 'agent:\u001b[31mci', arguments: { path: '/srv/app/motd', content: 'hello\u001b]0;pwned\u0007' } }, 240, now - 10_000),
    ];
    gateway = await startFakeGateway({ apiKey: 'mcp_ops', approvals: { records, publishDecisions: false } });
    await startInTmux([process.execPath, BIN, 'tail', '-o', 'table', gateway.url, '-k', 'mcp_ops']);
    await gateway.waitForAttached(1);
    for (const record of records) {
      gateway.publish(
        gatewayEvent('ToolApprovalRequested', {
          approval_id: record.approval_id,
          mcp_server_id: record.provider_id,
          tool_name: record.tool_name,
          arguments_hash: 'sha256:ab',
          channel: 'event_stream',
          expires_at: record.expires_at,
          correlation_id: `c-${String(record.approval_id)}`,
          occurred_at: Date.parse(String(record.requested_at)) / 1000,
        }),
      );
    }
    const fleet = await waitForPane((s) => s.includes('approvals pending: 2'), 'the approvals line');
    expect(fleet).toMatch(/approvals pending: 2 {2}oldest waiting \d+s {2}A to approve or deny/);

    await keys('A');
    const view = await waitForPane((s) => /approvals pending: 2 {2}refreshed \d+s ago/.test(s), 'the view, refreshed from GET /api/approvals');
    // The gateway no longer lists the github one as pending (decided, its event still to come): the stream's view of it stays.
    expect(view).toMatch(/^> github {6}create_issue {2}- +\d+s +4m\d\ds {2}event_stream {2}a2000000-0000-4000-8000-000000000001$/m);
    expect(view).toMatch(/^ {2}filesystem {2}write_file {4}agent:ci +\d+s +3m\d\ds/m);
    expect(view).toContain('↑/↓ select  Enter arguments  a approve  d deny  r refresh  Esc back  q quit');

    // The arguments of the selected one, fetched, sanitized.
    await keys('Down');
    await keys('Enter');
    const args = await waitForPane((s) => s.includes('"path": "/srv/app/motd"'), 'the arguments');
    expect(args).toContain(`arguments of ${FILESYSTEM}, requested by agent:ci (Enter hides them):`);
    expect(args).toContain('"content": "hello\\u001b]0;pwned\\u0007"');

    // a, then the question; nothing is sent before y and the reason's Enter.
    await keys('a');
    await waitForPane((s) => s.includes('approve filesystem write_file? [y/N]'), 'the confirmation');
    await keys('y');
    await waitForPane((s) => s.includes('reason (optional), Enter sends, Esc cancels:'), 'the reason prompt');
    await keys('-l', 'motd only');
    await waitForPane((s) => s.includes('Esc cancels: motd only_'), 'the typed reason');
    expect(gateway.approvalRequests.filter((r) => r.method === 'POST')).toEqual([]);
    await keys('Enter');
    await eventually(() => gateway!.approvalRequests.some((r) => r.method === 'POST'), 'the resolve request');
    expect(gateway.approvalRequests.find((r) => r.method === 'POST')).toMatchObject({ url: `/api/approvals/${FILESYSTEM}/resolve`, body: { decision: 'approve', reason: 'motd only' } });
    const waiting = await waitForPane((s) => s.includes('approved, event pending'), 'the decision, waiting for its event');
    expect(waiting).toContain(`approved filesystem write_file (${FILESYSTEM}); it leaves the list when its event arrives`);
    expect(waiting).toContain('approvals pending: 2');

    // The event is the truth: only now does it leave.
    gateway.publish(gatewayEvent('ToolApprovalGranted', { approval_id: FILESYSTEM, decided_by: 'key:admin', decided_at: new Date().toISOString(), occurred_at: Date.now() / 1000 }));
    const left = await waitForPane((s) => s.includes('approvals pending: 1'), 'the approval to leave with its event');
    expect(left).not.toMatch(/^. filesystem/m);
    expect(left).not.toContain('"path"');
    expect(left).toMatch(/^> github +create_issue/m);

    // Deny the other: the gateway answers 409 (approved by someone else): a status line, the row stays.
    await keys('d');
    await waitForPane((s) => s.includes('deny github create_issue? [y/N]'), 'the deny confirmation');
    await keys('y');
    await waitForPane((s) => s.includes('reason for denying, Enter sends, Esc cancels:'), 'the deny reason prompt');
    await keys('Enter');
    const refused = await waitForPane((s) => s.includes('not denied: github create_issue: it was already approved by user:ada'), 'the 409 as a status line');
    expect(refused).toContain('approvals pending: 1');
    expect(refused).toMatch(/^> github +create_issue/m);

    // Esc back to the fleet, q quits cleanly.
    await keys('Escape');
    await waitForPane((s) => /^SERVER +STATE /m.test(s) && s.includes('approvals pending: 1'), 'the fleet table again');
    await keys('q');
    const after = await waitForPane((s) => /^exit=\d+$/m.test(s), 'tail to exit after q');
    expect(after).toMatch(/^exit=0$/m);
  }, 60_000);
});
