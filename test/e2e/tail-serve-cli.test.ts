import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, e2eEnv, killAll, runCli, startCli } from '../helpers/spawn.js';
import { requireProgram } from '../helpers/require-program.js';
import { pollFor } from '../helpers/eventually.js';

const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGKILL');
      await closed;
    }
  }
  await killAll();
});

async function startServe(args: string[] = []) {
  const cli = startCli(['serve', '--port', '0', ...args]);
  const match = await cli.waitFor('stderr', /listening on (ws:\/\/127\.0\.0\.1:(\d+)\/api\/ws\/events)/);
  return { cli, url: match[1]!, port: Number(match[2]) };
}

async function ingest(port: number, events: object[]): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', body: events.map((e) => JSON.stringify(e)).join('\n') });
  expect(response.status).toBeLessThan(300);
}

describe('tail against the real serve binary', () => {
  requireProgram('bash', 'jq').it('--history n --no-follow prints the kept events and exits 0', async () => {
    const { port, url } = await startServe(['--no-demo']);
    await ingest(port, [1, 2, 3, 4, 5].map((seq) => ({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', tool_name: 'add', duration_ms: seq * 300, seq })));
    const result = await runCli(['tail', url, '--history', '3', '--no-follow']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([3, 4, 5]);

    // The README's jq recipe, end to end.
    const jq = spawn('bash', ['-c', `"${process.execPath}" "${BIN}" tail "${url}" -t ToolInvocationCompleted --history 5 --no-follow | jq -r 'select(.duration_ms > 500) | "\\(.mcp_server_id) \\(.tool_name) \\(.duration_ms)"'`], {
      env: e2eEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(jq);
    let out = '';
    jq.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise<number | null>((resolve) => jq.on('close', resolve));
    expect(code).toBe(0);
    expect(out).toBe('math add 600\nmath add 900\nmath add 1200\nmath add 1500\n');
  });

  it('--since/--until with RFC 3339 times print a window of the history and exit 0; --until as a duration ends a live tail', async () => {
    const { port, url } = await startServe(['--no-demo']);
    const hourAgo = (hours: number) => Date.now() / 1000 - hours * 3600;
    await ingest(port, [3, 2, 1].map((hours) => ({ event_type: 'HealthCheckPassed', mcp_server_id: 'math', occurred_at: hourAgo(hours), seq: hours })));
    const iso = (hours: number) => new Date(hourAgo(hours) * 1000).toISOString();
    const window = await runCli(['tail', url, '--since', iso(2.5), '--until', iso(1.5)], { timeoutMs: 30_000 });
    expect(window.code).toBe(0);
    expect(window.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([2]);
    // The same window with a zone offset instead of Z.
    const offset = (hours: number) => iso(hours).replace('Z', '+00:00');
    const again = await runCli(['tail', url, '--since', offset(3.5), '--until', offset(1.5)], { timeoutMs: 30_000 });
    expect(again.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([3, 2]);
    const live = await runCli(['tail', url, '--tail', '1', '--until', '1s'], { timeoutMs: 30_000 });
    expect(live.code).toBe(0);
    expect((JSON.parse(live.stdout) as { seq: number }).seq).toBe(1);
  });

  it('a wrong path is not retried: exit 1 with a hint', async () => {
    const { port } = await startServe(['--no-demo']);
    const result = await runCli(['tail', `ws://127.0.0.1:${port}/wrong/path`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/HTTP 404 .*either the path is wrong \(the event stream is at \/api\/ws\/events\) or the gateway has no WebSocket support installed.*Check the URL/);
  });

  it('behind a slow stdout, serve drops and tail shows the highlighted warnings and counts them', async () => {
    const { port, url } = await startServe(['--rate', '3000', '--seed', '7', '--queue-size', '64']);
    const child = spawn(process.execPath, [BIN, 'tail', url, '-o', 'ndjson', '--stats'], { env: e2eEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout!.pause();
    // Wait (on the server's own counters) until it had to drop for us.
    await pollFor(
      async () => (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { events_dropped: number; clients: number },
      (health) => health.clients > 0 && health.events_dropped > 0,
      { what: 'serve to drop events for the paused tail', everyMs: 50, show: (health) => JSON.stringify(health) },
    );
    child.stdout!.on('data', () => {});
    child.stdout!.resume();
    const seen = new Promise<void>((resolve) => {
      const check = () => {
        if (/DROPPED/.test(stderr)) {
          child.stderr!.off('data', check);
          resolve();
        }
      };
      child.stderr!.on('data', check);
      check();
    });
    await seen;
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stderr).toMatch(/ DROPPED .*the server dropped \d+ events? \(\d+ in total on this connection\)/);
    const warned = [...stderr.matchAll(/the server dropped (\d+) event/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(warned).toBeGreaterThan(0);
    expect(stderr).toContain(`dropped by the server: ${warned} (`);
  }, 60_000);
});
