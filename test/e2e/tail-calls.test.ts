import { afterEach, describe, expect, it } from 'vitest';
import { killAll, runCli, startCli } from '../helpers/spawn.js';

/** `tail --calls`: one line per tool call, joined by correlation_id, from the real binary against serve. */

afterEach(killAll);

const T = 1_795_000_000;
const events = [
  { event_type: 'ToolInvocationRequested', mcp_server_id: 'math', tool_name: 'add', correlation_id: 'c-1', arguments: { a: 1, b: 2 }, occurred_at: T },
  { event_type: 'HealthCheckPassed', mcp_server_id: 'math', duration_ms: 3, occurred_at: T + 0.001 },
  { event_type: 'ToolInvocationRequested', mcp_server_id: 'fetch', tool_name: 'get', correlation_id: 'c-2', arguments: { url: 'https://example.com' }, occurred_at: T + 0.002 },
  { event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', tool_name: 'add', correlation_id: 'c-1', duration_ms: 12.5, result_size_bytes: 42, occurred_at: T + 0.0125 },
  { event_type: 'ToolInvocationFailed', mcp_server_id: 'math', tool_name: 'div', correlation_id: 'c-3', duration_ms: 20, error_type: 'ZeroDivisionError', error_message: 'division by zero', occurred_at: T + 0.02 },
];

async function serveWith(): Promise<string> {
  const serve = startCli(['serve', '--port', '0', '--no-demo']);
  const [, url, port] = await serve.waitFor('stderr', /listening on (ws:\/\/127\.0\.0\.1:(\d+)\/api\/ws\/events)/);
  const response = await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', body: events.map((e) => JSON.stringify(e)).join('\n') });
  expect(response.status).toBeLessThan(300);
  return url!;
}

describe('tail --calls', () => {
  it('joins Requested with Completed/Failed: one line per call with outcome and duration; calls still open are listed at exit', async () => {
    const url = await serveWith();
    const result = await runCli(['tail', url, '--history', '10', '--no-follow', '--calls', '-o', 'pretty', '--time', 'none'], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('math add ok 12.5ms 42B args={"a":1,"b":2} c-1');
    expect(lines[1]).toBe('math div FAILED 20ms ZeroDivisionError: division by zero (requested before tail started) c-3');
    expect(lines[2]).toMatch(/^fetch get open \d+(\.\d+)?(ms|s|m\d\ds|h\d\dm|d\d\dh)\+ args=\{"url":"https:\/\/example\.com"\} c-2$/);
    expect(lines).toHaveLength(3);
  });

  it('-o ndjson --calls: one JSON object per call', async () => {
    const url = await serveWith();
    const result = await runCli(['tail', url, '--history', '10', '--no-follow', '--calls', '-o', 'ndjson'], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    const calls = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(calls.map((call) => [call.correlation_id, call.outcome])).toEqual([
      ['c-1', 'completed'],
      ['c-3', 'failed'],
      ['c-2', 'open'],
    ]);
    expect(calls[0]).toMatchObject({ mcp_server_id: 'math', tool_name: 'add', duration_ms: 12.5, arguments: { a: 1, b: 2 }, request_seen: true, requested_at: new Date(T * 1000).toISOString() });
  });

  it('-n counts calls, not events', async () => {
    const url = await serveWith();
    const result = await runCli(['tail', url, '--history', '10', '--calls', '-n', '2', '-o', 'ndjson'], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { correlation_id: string }).correlation_id)).toEqual(['c-1', 'c-3']);
    // Two calls ended; a third never does: --timeout counts calls too.
    const short = await runCli(['tail', url, '--history', '10', '--calls', '-n', '3', '--timeout', '3s', '-o', 'ndjson'], { timeoutMs: 30_000 });
    expect(short.code).toBe(124);
    expect(short.stderr).toContain('timed out after 3s: fewer than 3 tool calls ended');
  });

  it('refuses combinations that cannot mean anything', async () => {
    for (const [args, message] of [
      [['--calls', '-o', 'table'], /--calls shows one line per tool call/],
      [['--calls', '-t', 'HealthCheckPassed'], /--calls picks the tool-call events itself/],
      [['--calls', '--format', '{tool_name}'], /--calls has its own line layout/],
    ] as const) {
      const result = await runCli(['tail', 'ws://127.0.0.1:9', ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});
