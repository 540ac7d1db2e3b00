import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeGateway, gatewayEvent, pythonJson, startFakeGateway } from '../helpers/fake-gateway.js';
import { BIN, e2eEnv, killAll, runCli, startCli } from '../helpers/spawn.js';
import { requireProgram } from '../helpers/require-program.js';

const gateways: FakeGateway[] = [];
const children: ChildProcess[] = [];
const timers: NodeJS.Timeout[] = [];

async function gateway(options: ConstructorParameters<typeof FakeGateway>[0] = {}): Promise<FakeGateway> {
  const g = await startFakeGateway({ blindWindowMs: 60_000, ...options });
  gateways.push(g);
  return g;
}

afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGKILL');
      await closed;
    }
  }
  await killAll();
  for (const g of gateways.splice(0)) await g.close();
});

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

describe('hangar-events tail (spawned binary)', () => {
  requireProgram('bash').it('in a pipe to `head -n 3`: exits 0 quietly, no EPIPE trace', async () => {
    const g = await gateway();
    const script = `set -o pipefail; "${process.execPath}" "${BIN}" tail "${g.url}" -o ndjson | head -n 3`;
    const child = spawn('bash', ['-c', script], { env: e2eEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await g.waitForAttached(1);
    // Keep publishing: tail notices the closed pipe on its next write after head exits.
    let n = 0;
    timers.push(setInterval(() => g.publish(gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', seq: ++n })), 20));
    const { code } = await exitOf(child);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(3);
    expect(stderr).not.toMatch(/EPIPE|Error|at .*\.js/);
  });

  it('the wait-for pattern: exit 0 when the event arrives, 124 when it does not', async () => {
    const g = await gateway();
    const waiter = startCli(['tail', g.url, '--type', 'McpServerStarted', '--server', 'math', '-n', '1', '--timeout', '30s']);
    await g.waitForAttached(1);
    g.publish(gatewayEvent('McpServerStarted', { mcp_server_id: 'db' }));
    const started = gatewayEvent('McpServerStarted', { mcp_server_id: 'math', mode: 'docker', tools_count: 4 });
    g.publish(started);
    const result = await waiter.exited;
    expect(result.code).toBe(0);
    expect(waiter.stdout()).toBe(`${pythonJson(started)}\n`);

    const timedOut = await runCli(['tail', g.url, '--type', 'McpServerStarted', '-n', '1', '--timeout', '2s']);
    expect(timedOut.code).toBe(124);
    expect(timedOut.stdout).toBe('');
    expect(timedOut.stderr).toContain('timed out after 2s: 0 of 1 matching event arrived');
  });

  it('a bare word no host answers to (the stern habit: tail github) fails at once with exit 2 and the -s hint', async () => {
    const result = await runCli(['tail', 'hangar-no-such-server-z7', '-n', '1']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^hangar-events: 'hangar-no-such-server-z7' is not a URL, not host:port, and no host of that name resolves: did you mean -s hangar-no-such-server-z7\?/);
    expect(result.stderr).not.toMatch(/reconnecting/);
  });

  it('the wait-for pattern against a server that is down: exit 3, not 124', async () => {
    const g = await gateway();
    const url = g.url;
    await g.close();
    const result = await runCli(['tail', url, '--type', 'McpServerStarted', '-n', '1', '--timeout', '1s']);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^hangar-events: timed out after 1s without connecting to ws:\/\/127\.0\.0\.1:\d+\/api\/ws\/events \(.*\): is the server running and the URL right\?$/m);
  });

  it('authentication failure: exit 4, a message that names the flags and never the key', async () => {
    const g = await gateway({ apiKey: 'the-right-one' });
    const result = await runCli(['tail', g.url, '-k', 'hunter2-wrong']);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/authentication failed: .* answered HTTP 403 Forbidden/);
    expect(result.stderr).toMatch(/-k\/--api-key/);
    expect(result.stderr).toMatch(/HANGAR_API_KEY/);
    expect(result.stderr).not.toContain('hunter2');
    expect(g.authRefusals).toBe(1);

    const none = await runCli(['tail', g.url]);
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('no credential was sent');
  });

  it('a bad --where is a usage error (exit 2) that points at the problem, before any connection', async () => {
    const g = await gateway();
    const result = await runCli(['tail', g.url, '--where', 'duration_ms>>5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("invalid --where 'duration_ms>>5'");
    expect(result.stderr).toMatch(/\n\s+\^/);
    expect(g.connections).toHaveLength(0);
  });

  it('Ctrl-C is a normal end (exit 0)', async () => {
    const g = await gateway();
    const cli = startCli(['tail', g.url, '-o', 'ndjson']);
    await cli.waitFor('stderr', /connected to/);
    cli.child.kill('SIGINT');
    const { code } = await cli.exited;
    expect(code).toBe(0);
  });

  it('a slow stdout: tail stops reading the socket, so the gateway drops and tail memory stays bounded', async () => {
    // Big events, paced so that a reader that keeps up would receive them all.
    const g = await gateway({ queueLimit: 1024 });
    const child = spawn(process.execPath, [BIN, 'tail', g.url, '-o', 'ndjson', '-q'], { env: e2eEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // Nobody reads stdout for now: the pipe fills and tail's writes start returning false.
    child.stdout!.pause();
    const conn = await g.waitForAttached(1);
    const padding = 'x'.repeat(2000);
    const total = 40_000;
    for (let i = 0; i < total; i++) {
      g.publishRaw(pythonJson({ event_type: 'ToolInvocationCompleted', event_id: `e-${i}`, mcp_server_id: 'math', seq: i, padding }), {
        event_type: 'ToolInvocationCompleted',
      });
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const peakRssKb = Number(/VmHWM:\s+(\d+)/.exec(status)![1]);
    // ~80 MB were published. A tail that kept reading would have had to hold most of them.
    expect(conn.dropped).toBeGreaterThan(total / 2);
    expect(peakRssKb).toBeLessThan(150 * 1024);
    // Now read: everything the gateway managed to deliver comes out, nothing more, nothing less.
    let lines = 0;
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      const text = partial + d;
      const parts = text.split('\n');
      partial = parts.pop()!;
      lines += parts.length;
    });
    child.stdout!.resume();
    await g.waitUntil(() => lines === conn.delivered && (conn as unknown as { queue: string[] }).queue.length === 0, 60_000, 'all delivered lines');
    expect(conn.delivered + conn.dropped).toBe(total);
    expect(stderr).toBe('');
  }, 120_000);
});
