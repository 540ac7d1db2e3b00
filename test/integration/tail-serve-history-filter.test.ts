import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HangarEvent } from '../../src/protocol/types.js';
import { DEFAULT_SERVER_OPTIONS, startServer, type RunningServer } from '../../src/server/server.js';
import { SqliteGatewayStore } from '../helpers/event-store.js';
import { requireProgram } from '../helpers/require-program.js';
import { startTail, type InProcessTail } from '../helpers/run-tail.js';
import { killAll, runCli, startCli } from '../helpers/spawn.js';
import { createTestIO } from '../helpers/test-io.js';

/**
 * `--history N` with a filter tail applies itself (globs, -x, --where,
 * --server, --group) means the last N MATCHING events: serve evaluates the
 * whole filter for the replay (`replay_filter`), and says how many it kept
 * when fewer match. Assertions by event_id.
 */

const servers: RunningServer[] = [];
const tails: InProcessTail[] = [];

afterEach(async () => {
  for (const t of tails.splice(0)) {
    t.io.emitSignal('SIGINT');
    await t.done.catch(() => {});
  }
  for (const s of servers.splice(0)) await s.close();
  await killAll();
});

/** 200 events: mostly calls (slow every 17th), a failure every 16th, a health check every 10th, a group event every 25th. */
function fleetHistory(): HangarEvent[] {
  const events: HangarEvent[] = [];
  for (let i = 0; i < 200; i++) {
    const server = ['math', 'git', 'db'][i % 3]!;
    const id = `e${String(i).padStart(3, '0')}`;
    if (i % 25 === 24) events.push({ event_type: 'GroupMemberAdded', group_id: 'pool-a', member_id: server, event_id: id });
    else if (i % 16 === 15) events.push({ event_type: 'ToolInvocationFailed', mcp_server_id: server, tool_name: 'add', error_type: 'Timeout', event_id: id });
    else if (i % 10 === 9) events.push({ event_type: 'HealthCheckPassed', mcp_server_id: server, event_id: id });
    else events.push({ event_type: 'ToolInvocationCompleted', mcp_server_id: server, tool_name: 'add', duration_ms: i % 17 === 0 ? 1500 + i : 12, event_id: id });
  }
  return events;
}

async function serveWith(events: readonly HangarEvent[]): Promise<RunningServer> {
  const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, port: 0 }, createTestIO());
  servers.push(server);
  for (const event of events) server.hub.publish({ ...event });
  return server;
}

const idsOf = (lines: readonly string[]) => lines.filter((l) => l !== '').map((l) => (JSON.parse(l) as HangarEvent).event_id);
const lastIds = (events: readonly HangarEvent[], n: number, keep: (e: HangarEvent) => boolean) =>
  events.filter(keep).slice(-n).map((e) => e.event_id);

async function history(url: string, ...args: string[]): Promise<{ ids: (string | undefined)[]; stderr: string }> {
  const t = startTail([url, '-o', 'ndjson', '--no-follow', ...args]);
  tails.push(t);
  await t.done;
  return { ids: idsOf(t.io.stdout.lines()), stderr: t.io.stderr.text() };
}

describe('--history N against serve counts matching events, for every filter kind', () => {
  const events = fleetHistory();
  const failed = (e: HangarEvent) => e.event_type === 'ToolInvocationFailed';

  it('a type glob (-t *Failed)', async () => {
    const server = await serveWith(events);
    const got = await history(server.url, '--history', '5', '-t', '*Failed');
    expect(got.ids).toEqual(lastIds(events, 5, failed));
    expect(got.ids).toEqual(['e127', 'e143', 'e159', 'e175', 'e191']);
  });

  it('an excluded glob (-x ToolInvocation*)', async () => {
    const server = await serveWith(events);
    const got = await history(server.url, '--history', '4', '-x', 'ToolInvocation*');
    expect(got.ids).toEqual(lastIds(events, 4, (e) => !e.event_type.startsWith('ToolInvocation')));
    expect(got.ids).toEqual(['e174', 'e179', 'e189', 'e199']);
  });

  it('a --where predicate', async () => {
    const server = await serveWith(events);
    const got = await history(server.url, '--history', '3', '--where', 'duration_ms>1000');
    expect(got.ids).toEqual(lastIds(events, 3, (e) => typeof e.duration_ms === 'number' && e.duration_ms > 1000));
    expect(got.ids).toEqual(['e153', 'e170', 'e187']);
  });

  it('a server and a group (-s with --group: events about either)', async () => {
    const server = await serveWith(events);
    const got = await history(server.url, '--history', '4', '-s', 'math', '--group', 'pool-a', '-t', 'HealthCheck*,Group*');
    expect(got.ids).toEqual(['e149', 'e174', 'e189', 'e199']);
  });

  it('fewer matching events than asked: all of them, and how many the server keeps', async () => {
    const server = await serveWith(events);
    const got = await history(server.url, '--history', '50', '-t', '*Failed');
    expect(got.ids).toEqual(events.filter(failed).map((e) => e.event_id));
    expect(got.ids).toHaveLength(12);
    expect(got.stderr).toMatch(/12 matching events replayed from the 200 events the server keeps\n/);
    expect(got.stderr).not.toMatch(/gap|incomplete/);
  });
});

describe('--history N through serve --store counts matching events', () => {
  const sqlite = requireProgram('better-sqlite3');
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-history-filter-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  sqlite.it('-t *Failed and --where reach past the ring into the store', async () => {
    const store = new SqliteGatewayStore(join(dir, 'events.db'));
    try {
      const now = Date.now() / 1000;
      const stored = store.append(fleetHistory().filter((e) => e.mcp_server_id !== undefined).map((e, i) => ({ ...e, occurred_at: now - 200 + i })));
      const serve = startCli(['serve', '--port', '0', '--store', store.path, '--history', '20', '--store-interval', '100ms']);
      const [, url] = await serve.waitFor('stderr', /listening on (ws:\/\/\S+)/, 20_000);
      await serve.waitFor('stderr', /following the store/, 20_000);
      const failures = await runCli(['tail', url!, '--history', '50', '-t', '*Failed', '--no-follow', '-o', 'ndjson']);
      expect(failures.code).toBe(0);
      expect(idsOf(failures.stdout.split('\n'))).toEqual(stored.filter((e) => e.event_type === 'ToolInvocationFailed').map((e) => e.event_id));
      const slow = await runCli(['tail', url!, '--history', '2', '--where', 'duration_ms>1000', '--no-follow', '-o', 'ndjson']);
      expect(idsOf(slow.stdout.split('\n'))).toEqual(['e170', 'e187']);
    } finally {
      store.close();
    }
  }, 60_000);
});
