import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gatewayEvent } from '../helpers/fake-gateway.js';
import { SqliteGatewayStore } from '../helpers/event-store.js';
import { killAll, runCli } from '../helpers/spawn.js';

/**
 * `tail --store FILE --history N` over a store with rows that cannot be read:
 * each is reported and skipped, and when the window printed fewer than N,
 * stderr says why as it is (rows skipped), not that the store holds no more.
 */

let dir: string;
let store: SqliteGatewayStore;
let ids: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-history-skipped-'));
  store = new SqliteGatewayStore(join(dir, 'events.db'));
  const events = Array.from({ length: 30 }, (_, i) => gatewayEvent(i % 2 === 0 ? 'McpServerStarted' : 'HealthCheckPassed', { mcp_server_id: 'math', seq: i }));
  store.append(events.slice(0, 25));
  // Row 26: not JSON. The gateway never writes one, a damaged or hand-edited store can hold one.
  store.db.prepare("INSERT INTO events (stream_id, stream_version, event_type, data, created_at) VALUES ('mcp_server:broken', 0, 'McpServerStarted', '{broken', 'now')").run();
  store.append(events.slice(25));
  ids = events.map((e) => e.event_id as string);
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => killAll());

const idsOut = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { event_id: string }).event_id);

describe('tail --store --history N with unreadable rows in the window', () => {
  it('without a filter: the last N rows, the unreadable one reported, and stderr says the window is short because of it', async () => {
    const result = await runCli(['tail', '--store', store.path, '--history', '10', '--no-follow', '-o', 'ndjson']);
    expect(result.code).toBe(0);
    expect(idsOut(result.stdout)).toEqual(ids.slice(21));
    expect(result.stderr).toMatch(/stored row skipped: row 26 \(McpServerStarted\): data is not valid JSON/);
    expect(result.stderr).toContain('9 events from the store (fewer than the 10 asked for: 1 stored row of the window could not be read (reported above) and was skipped)');
    expect(result.stderr).not.toContain('holds no more');
  });

  it('past the store\'s first row: both reasons', async () => {
    const result = await runCli(['tail', '--store', store.path, '--history', '100', '--no-follow', '-o', 'ndjson']);
    expect(result.code).toBe(0);
    expect(idsOut(result.stdout)).toEqual(ids);
    expect(result.stderr).toContain('30 events from the store (fewer than the 100 asked for: the store holds no more, and 1 stored row of the window could not be read (reported above) and was skipped)');
  });

  it('with a filter: the last N matching events, reaching past the unreadable row', async () => {
    const result = await runCli(['tail', '--store', store.path, '--history', '10', '-t', 'McpServerStarted', '--no-follow', '-o', 'ndjson']);
    expect(result.code).toBe(0);
    expect(idsOut(result.stdout)).toEqual(ids.filter((_, i) => i % 2 === 0).slice(-10));
    expect(result.stderr).toContain('10 events from the store\n');
  });
});
