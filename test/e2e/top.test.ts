import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HangarEvent } from '../../src/protocol/types.js';
import { SqliteGatewayStore } from '../helpers/event-store.js';
import { requireProgram } from '../helpers/require-program.js';
import { killAll, runCli, startCli } from '../helpers/spawn.js';
import { STORY } from '../unit/aggregate-fixture.js';

/**
 * `hangar-events top` from the real binary: rows as JSON against serve (a
 * fixed story published into it, and its simulated fleet), one table in a
 * pipe, and a window of a real SQLite store written as the gateway writes it.
 */

/** Each test runs the binary several times in turn: on a loaded machine that takes longer than the default 20 s. */
const SPAWNS_TIMEOUT_MS = 90_000;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-top-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await killAll();
});

async function startServe(args: string[]) {
  const cli = startCli(['serve', '--port', '0', ...args]);
  const match = await cli.waitFor('stderr', /listening on (ws:\/\/127\.0\.0\.1:(\d+)\/api\/ws\/events)/);
  return { cli, url: match[1]!, port: Number(match[2]) };
}

async function publish(port: number, events: readonly HangarEvent[]): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', body: events.map((e) => JSON.stringify(e)).join('\n') });
  expect(response.status).toBeLessThan(300);
}

describe('top against serve', () => {
  it('-o json over a history with --no-follow: the rows of the grouping, exactly, as data', async () => {
    const { url, port } = await startServe(['--no-demo']);
    await publish(port, STORY);
    const result = await runCli(['top', url, '--by', 'caller', '--history', '100', '--no-follow', '-o', 'json', '-q'], { timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        caller: 'user:ada', agent: 'claude-desktop', principal_type: 'user', tenant: 'acme', calls: 3, failed: 2, error_rate: 0.6667,
        servers: ['github'], last_problem: 'RateLimited: HTTP 429 again', last_seen: '2026-11-26T12:00:07.000Z',
      },
      { caller: 'anonymous', agent: null, principal_type: 'anonymous', tenant: null, calls: 1, failed: 0, error_rate: 0, servers: ['math'], last_problem: null, last_seen: '2026-11-26T12:00:02.000Z' },
      {
        caller: 'service:ci-bot', agent: null, principal_type: 'service', tenant: 'globex', calls: 1, failed: 1, error_rate: 1,
        servers: ['math'], last_problem: 'ZeroDivisionError: division by zero', last_seen: '2026-11-26T12:00:03.000Z',
      },
      { caller: 'user:ada', agent: null, principal_type: 'user', tenant: null, calls: 0, failed: 0, error_rate: null, servers: [], last_problem: 'no role grants this permission', last_seen: '2026-11-26T12:00:05.000Z' },
    ]);

    // -o ndjson: the same rows, one a line; filters as tail has them narrow the events first (math's two calls span 1 s).
    const ndjson = await runCli(['top', url, '--by', 'tool', '--history', '100', '--no-follow', '-o', 'ndjson', '-s', 'math', '-q'], { timeoutMs: 60_000 });
    expect(ndjson.code).toBe(0);
    expect(ndjson.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      { server: 'math', tool: 'add', calls: 1, calls_per_s: 1, failed: 0, error_rate: 0, p50_ms: 5, p95_ms: 5, last_error_type: null },
      { server: 'math', tool: 'divide', calls: 1, calls_per_s: 1, failed: 1, error_rate: 1, p50_ms: 2, p95_ms: 2, last_error_type: 'ZeroDivisionError' },
    ]);
  }, SPAWNS_TIMEOUT_MS);

  it('-o json following the simulated fleet: one array after --interval, with callers from identity_context, then exit 0', async () => {
    const { url } = await startServe(['--seed', '11', '--rate', '200']);
    const result = await runCli(['top', url, '--by', 'caller', '--interval', '1500ms', '-o', 'json'], { timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) expect(Object.keys(row)).toEqual(['caller', 'agent', 'principal_type', 'tenant', 'calls', 'failed', 'error_rate', 'servers', 'last_problem', 'last_seen']);
    const anonymous = rows.find((row) => row.caller === 'anonymous');
    expect(anonymous?.principal_type).toBe('anonymous');
    expect(rows.some((row) => typeof row.caller === 'string' && row.caller.startsWith('user:') && row.principal_type === 'user')).toBe(true);
    // Sorted by calls, largest first.
    const calls = rows.map((row) => row.calls as number);
    expect(calls).toEqual([...calls].sort((a, b) => b - a));
    expect(result.stderr).toMatch(/connected to ws:\/\/127\.0\.0\.1/);
  }, SPAWNS_TIMEOUT_MS);

  it('in a pipe without --once: one table after --interval, only the table on stdout, exit 0', async () => {
    const { url } = await startServe(['--seed', '4', '--rate', '100']);
    const result = await runCli(['top', url, '--by', 'server', '--interval', '1s', '-n', '3'], { timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SERVER\s+STATE\s+CALLS\s+CALLS\/S\s+FAIL\s+ERR%\s+P50\s+P95\s+LAST ERROR\s+LAST EVENT\s+SEEN$/);
    // The simulated servers start one after another: after a second some may have no event yet. -n 3 caps the rows.
    const rows = lines.slice(1).filter((line) => !line.startsWith('('));
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.length).toBeLessThanOrEqual(3);
    if (lines.some((line) => line.startsWith('('))) expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatch(/^\S+\s+(ready|cold|initializing|degraded|dead|-)\s+\d+\s+\d+\.\d\s+\d+\s/);
    expect(result.stdout).not.toMatch(/\x1b/);
  }, SPAWNS_TIMEOUT_MS);

  it('bad flags are usage errors (exit 2) that say what to do', async () => {
    const by = await runCli(['top', '--by', 'colour']);
    expect(by.code).toBe(2);
    expect(by.stderr).toMatch(/--by.*colour.*server, tool, caller, tenant, error_type/);
    const sort = await runCli(['top', '--by', 'tool', '--sort', 'state']);
    expect(sort.code).toBe(2);
    expect(sort.stderr).toMatch(/invalid --sort 'state' for --by tool: expected one of server, tool, calls/);
    const noHistory = await runCli(['top', '--no-follow']);
    expect(noHistory.code).toBe(2);
    expect(noHistory.stderr).toMatch(/--no-follow prints history and exits: add --history <n>/);
  }, SPAWNS_TIMEOUT_MS);
});

requireProgram('better-sqlite3').describe('top --store with SQLite (spawned binary)', () => {
  it('--once --since 10m --store FILE --no-follow: one table over the window, older events left out', async () => {
    const path = join(dir, 'events.db');
    const store = new SqliteGatewayStore(path);
    const base = Math.floor((Date.now() - 300_000) / 1000) * 1000;
    const at = (seconds: number) => (base + seconds * 1000) / 1000;
    store.append([
      { event_type: 'ToolInvocationCompleted', event_id: 'e0', occurred_at: at(-3600), mcp_server_id: 'math', tool_name: 'add', duration_ms: 900 },
      { event_type: 'ToolInvocationCompleted', event_id: 'e1', occurred_at: at(0), mcp_server_id: 'github', tool_name: 'create_issue', duration_ms: 100 },
      { event_type: 'ToolInvocationFailed', event_id: 'e2', occurred_at: at(1), mcp_server_id: 'github', tool_name: 'create_issue', duration_ms: 300, error_type: 'RateLimited', error_message: 'HTTP 429' },
      { event_type: 'ToolInvocationCompleted', event_id: 'e3', occurred_at: at(2), mcp_server_id: 'math', tool_name: 'add', duration_ms: 5 },
      { event_type: 'ToolInvocationFailed', event_id: 'e4', occurred_at: at(3), mcp_server_id: 'math', tool_name: 'divide', duration_ms: 2, error_type: 'ZeroDivisionError', error_message: 'division by zero' },
      { event_type: 'HealthCheckFailed', event_id: 'e5', occurred_at: at(4), mcp_server_id: 'github', consecutive_failures: 1, error_message: 'health check timed out after 5s' },
    ]);
    store.close();

    const tools = await runCli(['top', '--once', '--since', '10m', '--store', path, '--no-follow', '--by', 'tool', '-q'], { timeoutMs: 60_000 });
    expect(tools.stderr).toBe('');
    expect(tools.code).toBe(0);
    // Rates over the window's 4 s; the hour-old call of math add is not in it.
    expect(tools.stdout).toBe(
      [
        'SERVER  TOOL          CALLS  CALLS/S  FAIL   ERR%    P50    P95  LAST ERROR',
        'github  create_issue      2      0.5     1  50.0%  100ms  300ms  RateLimited',
        'math    add               1      0.3     0   0.0%  5.0ms  5.0ms  -',
        'math    divide            1      0.3     1   100%  2.0ms  2.0ms  ZeroDivisionError',
        '',
      ].join('\n'),
    );

    const errors = await runCli(['top', '--since', '10m', '--store', path, '--no-follow', '--by', 'error_type', '-q'], { timeoutMs: 60_000 });
    expect(errors.code).toBe(0);
    // Ages are taken at the window's last event.
    expect(errors.stdout).toBe(
      [
        'ERROR TYPE         SERVER  COUNT  SHARE  LAST MESSAGE                      FIRST    LAST',
        'HealthCheckFailed  github      1  33.3%  health check timed out after 5s  0s ago  0s ago',
        'RateLimited        github      1  33.3%  HTTP 429                         3s ago  3s ago',
        'ZeroDivisionError  math        1  33.3%  division by zero                 1s ago  1s ago',
        '',
      ].join('\n'),
    );

    const missing = await runCli(['top', '--since', '10m', '--store', join(dir, 'nope.db'), '--no-follow'], { timeoutMs: 60_000 });
    expect(missing.code).toBe(6);
  }, SPAWNS_TIMEOUT_MS);
});
