import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import type { HangarEvent } from '../../src/protocol/types.js';
import { FakeGateway, gatewayEvent, startFakeGateway } from '../helpers/fake-gateway.js';
import { SqliteGatewayStore } from '../helpers/event-store.js';
import { killAll, runCli, startCli, type RunningCli } from '../helpers/spawn.js';

/**
 * serve --upstream (a relay in front of the gateway double) and serve --store,
 * from the real binary, with real tails as its clients. Assertions by event_id.
 */

let dir: string;
const gateways: FakeGateway[] = [];
const sqlite = requireProgram('better-sqlite3');
const stores: SqliteGatewayStore[] = [];
let files = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-serve-store-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await killAll();
  for (const g of gateways.splice(0)) await g.close();
  for (const s of stores.splice(0)) s.close();
});

async function gateway(port?: number): Promise<FakeGateway> {
  const g = await startFakeGateway({ blindWindowMs: 60_000, ...(port ? { port } : {}) });
  gateways.push(g);
  return g;
}

function store(): { path: string; store: SqliteGatewayStore } {
  const path = join(dir, `events-${++files}.db`);
  const s = new SqliteGatewayStore(path);
  stores.push(s);
  return { path, store: s };
}

async function serve(args: string[]): Promise<{ cli: RunningCli; url: string }> {
  const cli = startCli(['serve', '--port', '0', ...args]);
  const [, url] = await cli.waitFor('stderr', /listening on (ws:\/\/\S+)/, 20_000);
  return { cli, url: url! };
}

const recent = (type: string, fields: Record<string, unknown>): HangarEvent => ({ ...gatewayEvent(type, fields), occurred_at: Date.now() / 1000 });
const ids = (events: readonly HangarEvent[]) => events.map((e) => e.event_id);
const idsOut = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as HangarEvent).event_id);

async function waitForLines(cli: RunningCli, count: number): Promise<void> {
  await cli.waitFor('stdout', new RegExp(`^(?:.*\\n){${count}}`), 20_000);
}

describe('serve --upstream and serve --store (spawned binary)', () => {
  it('relays a gateway: one upstream connection, many watchers, each with history', async () => {
    const g = await gateway();
    const relay = await serve(['--upstream', g.url]);
    await g.waitForAttached(1);
    await relay.cli.waitFor('stderr', /connected to upstream/);
    const watchers = [startCli(['tail', relay.url, '-o', 'ndjson']), startCli(['tail', relay.url, '-o', 'ndjson', '-s', 'math'])];
    for (const w of watchers) await w.waitFor('stderr', /connected to/);
    const events = [recent('McpServerStarted', { mcp_server_id: 'math' }), recent('ToolInvocationCompleted', { mcp_server_id: 'git', tool_name: 'log' }), recent('HealthCheckPassed', { mcp_server_id: 'math' })];
    for (const e of events) g.publish(e);
    await waitForLines(watchers[0]!, 3);
    await waitForLines(watchers[1]!, 2);
    expect(idsOut(watchers[0]!.stdout())).toEqual(ids(events));
    expect(idsOut(watchers[1]!.stdout())).toEqual(ids([events[0]!, events[2]!]));
    const history = await runCli(['tail', relay.url, '--history', '2', '--no-follow', '-o', 'ndjson']);
    expect(history.code).toBe(0);
    expect(idsOut(history.stdout)).toEqual(ids(events.slice(1)));
    expect(g.connections).toHaveLength(1);
  }, 60_000);

  it('relays several replicas, each event once', async () => {
    const [a, b] = [await gateway(), await gateway()];
    const relay = await serve(['--upstream', a.url, '--upstream', b.url]);
    await a.waitForAttached(1);
    await b.waitForAttached(1);
    const watcher = startCli(['tail', relay.url, '-o', 'ndjson']);
    await watcher.waitFor('stderr', /connected to/);
    const events = Array.from({ length: 10 }, (_, i) => recent('ToolInvocationCompleted', { mcp_server_id: `s${i % 3}`, seq: i }));
    for (const e of events) {
      a.publish(e);
      b.publish(e);
    }
    const marker = recent('McpServerStopped', { mcp_server_id: 'end' });
    b.publish(marker);
    await waitForLines(watcher, 11);
    expect(idsOut(watcher.stdout())).toEqual(ids([...events, marker]));
  }, 60_000);

  sqlite.it('with --store: history starts with the stored events, and an upstream outage is filled from the store', async () => {
    const { path, store: s } = store();
    const stored = s.append(Array.from({ length: 5 }, (_, i) => recent('HealthCheckPassed', { mcp_server_id: 'math', seq: i })));
    const g = await gateway();
    const relay = await serve(['--upstream', g.url, '--store', path, '--store-interval', '100ms']);
    await g.waitForAttached(1);
    await relay.cli.waitFor('stderr', /5 events from the store, then live/);
    const history = await runCli(['tail', relay.url, '--history', '100', '--no-follow', '-o', 'ndjson']);
    expect(idsOut(history.stdout)).toEqual(ids(stored));

    const watcher = startCli(['tail', relay.url, '-o', 'ndjson']);
    await watcher.waitFor('stderr', /connected to/);
    const live = recent('McpServerStarted', { mcp_server_id: 'math' });
    s.append([live]);
    g.publish(live);
    await waitForLines(watcher, 1);
    const port = g.port;
    await g.close();
    gateways.splice(gateways.indexOf(g), 1);
    const during = s.append(Array.from({ length: 4 }, (_, i) => recent('ToolInvocationCompleted', { mcp_server_id: 'math', outage: i })));
    const back = await gateway(port);
    await back.waitForAttached(1);
    await relay.cli.waitFor('stderr', /4 events of the outage came from the store/);
    const after = recent('McpServerStopped', { mcp_server_id: 'math' });
    s.append([after]);
    back.publish(after);
    await waitForLines(watcher, 6);
    expect(idsOut(watcher.stdout())).toEqual(ids([live, ...during, after]));
  }, 60_000);

  sqlite.it('--store alone: the store is the source, its newest events fill the ring, older ones come from the store', async () => {
    const { path, store: s } = store();
    const stored = s.append(Array.from({ length: 8 }, (_, i) => recent('HealthCheckPassed', { mcp_server_id: 'math', seq: i })));
    const relay = await serve(['--store', path, '--history', '5', '--store-interval', '100ms']);
    await relay.cli.waitFor('stderr', /following the store/);
    const history = await runCli(['tail', relay.url, '--history', '100', '--no-follow', '-o', 'ndjson']);
    // The ring holds the newest 5; the replay reaches back through the store for the other 3.
    expect(idsOut(history.stdout)).toEqual(ids(stored));
    const watcher = startCli(['tail', relay.url, '-o', 'ndjson']);
    await watcher.waitFor('stderr', /connected to/);
    const appended = s.append([recent('McpServerStopped', { mcp_server_id: 'math' })]);
    await waitForLines(watcher, 1);
    expect(idsOut(watcher.stdout())).toEqual(ids(appended));
  }, 60_000);

  sqlite.it('--store: a replay older than the ring comes from the store (--history and --since), then the ring, then live', async () => {
    const { path, store: s } = store();
    const stored = s.append(Array.from({ length: 60 }, (_, i) => recent('HealthCheckPassed', { mcp_server_id: i % 3 === 0 ? 'math' : 'git', seq: i })));
    const relay = await serve(['--store', path, '--history', '10', '--store-interval', '100ms']);
    await relay.cli.waitFor('stderr', /following the store/);
    const history = await runCli(['tail', relay.url, '--history', '500', '--no-follow', '-o', 'ndjson']);
    expect(history.code).toBe(0);
    expect(idsOut(history.stdout)).toEqual(ids(stored));
    expect(history.stderr).not.toMatch(/gap|incomplete|no longer/i);
    const since = await runCli(['tail', relay.url, '--since', '1h', '-s', 'math', '--no-follow', '-o', 'ndjson']);
    expect(since.code).toBe(0);
    expect(idsOut(since.stdout)).toEqual(ids(stored.filter((e) => e.mcp_server_id === 'math')));
    // Following: the stored past, then what the gateway appends afterwards, each once.
    const watcher = startCli(['tail', relay.url, '--history', '100', '-o', 'ndjson']);
    await waitForLines(watcher, 60);
    const appended = s.append([recent('McpServerStopped', { mcp_server_id: 'math' })]);
    await waitForLines(watcher, 61);
    expect(idsOut(watcher.stdout())).toEqual(ids([...stored, ...appended]));
  }, 60_000);

  it('an upstream that refuses the relay (no key, then the key) stops serve with exit 4, and the key given is used', async () => {
    const g = await startFakeGateway({ blindWindowMs: 60_000, apiKey: 'gw-secret' });
    gateways.push(g);
    const refused = await runCli(['serve', '--port', '0', '--upstream', g.url], { timeoutMs: 20_000 });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/authentication failed: .* answered HTTP 403/);
    const relay = await serve(['--upstream', g.url, '--upstream-api-key', 'gw-secret']);
    await g.waitForAttached(1);
    expect(g.connections.at(-1)!.headers['x-api-key']).toBe('gw-secret');
    await relay.cli.waitFor('stderr', /connected to upstream/);
  }, 60_000);

  sqlite.it('a store that cannot be read stops serve before it listens (exit 6); upstream flags need --upstream (exit 2)', async () => {
    const missing = await runCli(['serve', '--port', '0', '--store', join(dir, 'nope.db')]);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toMatch(/no SQLite store at/);
    expect(missing.stderr).not.toMatch(/listening on/);
    const usage = await runCli(['serve', '--port', '0', '--upstream-api-key', 'k']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--upstream-api-key sets how serve connects to the gateway it relays: use it with --upstream <url>/);
  });
});
