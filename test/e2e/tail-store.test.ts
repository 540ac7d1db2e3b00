import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import type { HangarEvent } from '../../src/protocol/types.js';
import { FakeGateway, gatewayEvent, startFakeGateway } from '../helpers/fake-gateway.js';
import { SqliteGatewayStore } from '../helpers/event-store.js';
import { createPostgresSchema, needsPostgres, PgGatewayWriter, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { killAll, runCli, startCli, type RunningCli } from '../helpers/spawn.js';

/**
 * tail --store from the real binary, against real SQLite files and a real
 * PostgreSQL written as the gateway writes them, joined to the suite's gateway
 * double sending the same events. Every assertion is by event_id: each event
 * once, in order, nothing lost at the join or across an outage.
 */

interface TestStore {
  /** The --store value and any extra flags (a table prefix). */
  readonly flags: string[];
  append(events: readonly HangarEvent[]): Promise<HangarEvent[]>;
  /** The same in one transaction (a large history). */
  appendAll(events: readonly HangarEvent[]): Promise<HangarEvent[]>;
  close(): Promise<void>;
}

interface Engine {
  readonly name: string;
  create(): Promise<TestStore>;
}

let dir: string;
const gateways: FakeGateway[] = [];
const stores: TestStore[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-tail-store-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await killAll();
  for (const g of gateways.splice(0)) await g.close();
  for (const s of stores.splice(0)) await s.close();
});

let fileCount = 0;
const sqliteEngine: Engine = {
  name: 'SQLite',
  async create() {
    const path = join(dir, `events-${++fileCount}.db`);
    const store = new SqliteGatewayStore(path);
    const test: TestStore = { flags: ['--store', path], append: async (events) => store.append(events), appendAll: async (events) => store.appendAll(events), close: async () => store.close() };
    stores.push(test);
    return test;
  },
};

async function gateway(port?: number): Promise<FakeGateway> {
  const g = await startFakeGateway({ blindWindowMs: 60_000, ...(port ? { port } : {}) });
  gateways.push(g);
  return g;
}

const ids = (events: readonly HangarEvent[]) => events.map((e) => e.event_id);
const lines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as HangarEvent);
const idsOut = (stdout: string) => lines(stdout).map((e) => e.event_id);
const recent = (type: string, fields: Record<string, unknown>, agoSeconds = 0): HangarEvent => ({ ...gatewayEvent(type, fields), occurred_at: Date.now() / 1000 - agoSeconds });

async function waitForLines(cli: RunningCli, count: number): Promise<void> {
  await cli.waitFor('stdout', new RegExp(`^(?:.*\\n){${count}}`), 20_000);
}

function storeTests(engine: Engine): void {
  it('store alone, --no-follow: prints the window with the filters, identical to socket events, and exits 0', async () => {
    const store = await engine.create();
    const old = recent('ToolInvocationCompleted', { mcp_server_id: 'math', tool_name: 'add' }, 3 * 3600);
    const inWindow = [
      recent('McpServerStarted', { mcp_server_id: 'math', mode: 'subprocess' }, 1800),
      recent('ToolInvocationCompleted', { mcp_server_id: 'git', tool_name: 'log' }, 1700),
      recent('ToolInvocationFailed', { mcp_server_id: 'math', tool_name: 'div', error_type: 'ZeroDivisionError' }, 1600),
      recent('HealthCheckPassed', { mcp_server_id: 'math', duration_ms: 3 }, 1500),
    ];
    await store.append([old, ...inWindow]);
    const result = await runCli(['tail', ...store.flags, '--since', '2h', '-s', 'math', '--no-follow', '-o', 'ndjson', '--stats']);
    expect(result.code).toBe(0);
    const math = inWindow.filter((e) => e.mcp_server_id === 'math');
    expect(lines(result.stdout)).toEqual(math);
    expect(result.stderr).toMatch(/3 events from the store/);
    expect(result.stderr).toMatch(/stats: 3 events shown .*; 3 from the store/);

    // A past --until closes the window (and implies --no-follow): the math event of 25 minutes ago is after it.
    const untilTime = new Date(Date.now() - 26 * 60 * 1000).toISOString();
    const until = await runCli(['tail', ...store.flags, '--since', '2h', '--until', untilTime, '-s', 'math', '-o', 'ndjson']);
    expect(until.code).toBe(0);
    expect(idsOut(until.stdout)).toEqual(ids(math.slice(0, 2)));

    const last = await runCli(['tail', ...store.flags, '--history', '2', '--type', 'Tool*', '--no-follow', '-o', 'ndjson']);
    expect(last.code).toBe(0);
    expect(idsOut(last.stdout)).toEqual(ids([inWindow[1]!, inWindow[2]!]));
  });

  it('--history N is the last N matching events, however far back they are, with each filter kind', async () => {
    const store = await engine.create();
    // 2,600 rows (the window is read 1,000 at a time): failures every 50th row, a third about math,
    // a slow call every 97th; the matches of each filter are spread over every batch.
    const events = Array.from({ length: 2600 }, (_, i) =>
      recent(i % 50 === 7 ? 'ToolInvocationFailed' : i % 13 === 5 ? 'HealthCheckPassed' : 'ToolInvocationCompleted', {
        mcp_server_id: ['math', 'git', 'fs'][i % 3],
        tool_name: 'add',
        duration_ms: i % 97 === 3 ? 2000 : 10,
        seq: i,
      }, 600),
    );
    await store.appendAll(events);
    const history = async (n: number, filters: string[]) => {
      const result = await runCli(['tail', ...store.flags, '--history', String(n), ...filters, '--no-follow', '-o', 'ndjson']);
      expect(result.code).toBe(0);
      return result;
    };
    const last = (n: number, keep: (e: HangarEvent) => boolean) => ids(events.filter(keep).slice(-n));

    const failed = await history(30, ['-t', '*Failed']);
    expect(idsOut(failed.stdout)).toEqual(last(30, (e) => e.event_type === 'ToolInvocationFailed'));
    expect(failed.stderr).toMatch(/30 events from the store\n/);

    const git = await history(500, ['-s', 'git']);
    expect(idsOut(git.stdout)).toEqual(last(500, (e) => e.mcp_server_id === 'git'));

    const notCompleted = await history(120, ['-x', 'ToolInvocationCompleted']);
    expect(idsOut(notCompleted.stdout)).toEqual(last(120, (e) => e.event_type !== 'ToolInvocationCompleted'));

    const slow = await history(20, ['--where', 'duration_ms>1000']);
    expect(idsOut(slow.stdout)).toEqual(last(20, (e) => (e.duration_ms as number) > 1000));

    // All of them together; and fewer than asked: all there are, and stderr says so.
    const combined = await history(1000, ['-t', 'Tool*', '-x', '*Completed', '-s', 'math,fs', '--where', 'seq>=100']);
    const expected = last(1000, (e) => e.event_type === 'ToolInvocationFailed' && e.mcp_server_id !== 'git' && (e.seq as number) >= 100);
    expect(expected.length).toBeGreaterThan(10);
    expect(expected.length).toBeLessThan(1000);
    expect(idsOut(combined.stdout)).toEqual(expected);
    expect(combined.stderr).toContain(`${expected.length} events from the store (fewer than the 1000 asked for: the store holds no more that match)`);

    // Without a filter the window is the last N rows; past the store's size, all of them.
    const all = await history(5000, []);
    expect(idsOut(all.stdout)).toEqual(ids(events));
    expect(all.stderr).toContain('2600 events from the store (fewer than the 5000 asked for: the store holds no more)');
  }, 120_000);

  it('store alone, following: prints what the gateway appends, in order, each once', async () => {
    const store = await engine.create();
    await store.append([recent('McpServerStarted', { mcp_server_id: 'before' })]);
    const cli = startCli(['tail', ...store.flags, '-o', 'ndjson', '--store-interval', '100ms']);
    await cli.waitFor('stderr', /connected to/, 20_000);
    const appended: HangarEvent[] = [];
    for (let round = 0; round < 3; round++) {
      appended.push(...(await store.append(Array.from({ length: 5 }, (_, i) => recent('HealthCheckPassed', { mcp_server_id: `s${round}-${i}` })))));
    }
    await waitForLines(cli, appended.length);
    expect(idsOut(cli.stdout())).toEqual(ids(appended));
  });

  it('with a gateway: backfill from the store, then live, joined without a gap or a duplicate', async () => {
    const store = await engine.create();
    const history = Array.from({ length: 1500 }, (_, i) => recent('ToolInvocationCompleted', { mcp_server_id: `m${i % 7}`, tool_name: 'add', seq: i }, 600));
    await store.append(history);
    const g = await gateway();
    const cli = startCli(['tail', g.url, ...store.flags, '--since', '1h', '-o', 'ndjson', '--store-interval', '100ms']);
    await g.waitForAttached(1);
    // While tail reads the store, the gateway goes on: each event is stored and sent on the socket.
    const live: HangarEvent[] = [];
    for (let i = 0; i < 30; i++) {
      const event = recent('ToolInvocationCompleted', { mcp_server_id: 'math', tool_name: 'mul', live: i });
      live.push(event);
      await store.append([event]);
      g.publish(event);
    }
    // An event the store does not keep (no server, group or session) still arrives live.
    const unstored = recent('DiscoveryCycleCompleted', { discovered_count: 2 });
    g.publish(unstored);
    await waitForLines(cli, history.length + live.length + 1);
    const out = idsOut(cli.stdout());
    expect(out).toEqual(ids([...history, ...live, unstored]));
    // stderr is its own pipe: wait for its lines rather than read it at once.
    await cli.waitFor('stderr', /(15\d\d) events from the store, then live/);
    await cli.waitFor('stderr', /the store keeps only events that name a server, a group or a session: events without one from before the live stream opened are not in this backfill/);
  }, 60_000);

  it('with a gateway: an outage is filled from the store before live resumes, and the gap report says what the store could not fill', async () => {
    const store = await engine.create();
    const g = await gateway();
    const cli = startCli(['tail', g.url, ...store.flags, '-o', 'ndjson', '--store-interval', '100ms']);
    await g.waitForAttached(1);
    await cli.waitFor('stderr', /connected to/, 20_000);
    const before = [recent('McpServerStarted', { mcp_server_id: 'math' }), recent('HealthCheckPassed', { mcp_server_id: 'math' })];
    for (const event of before) {
      await store.append([event]);
      g.publish(event);
    }
    await waitForLines(cli, 2);
    // The gateway goes away; while it is down its store goes on (another replica writes it).
    const port = g.port;
    await g.close();
    gateways.splice(gateways.indexOf(g), 1);
    const during = await store.append(Array.from({ length: 20 }, (_, i) => recent('ToolInvocationCompleted', { mcp_server_id: 'math', tool_name: 'add', outage: i })));
    const back = await gateway(port);
    await back.waitForAttached(1);
    await cli.waitFor('stderr', /gap: .*20 events of the outage came from the store; the store keeps only events that name a server, a group or a session/, 20_000);
    const after = [recent('ToolInvocationCompleted', { mcp_server_id: 'math', tool_name: 'sub' }), recent('McpServerStopped', { mcp_server_id: 'math' })];
    for (const event of after) {
      await store.append([event]);
      back.publish(event);
    }
    await waitForLines(cli, before.length + during.length + after.length);
    expect(idsOut(cli.stdout())).toEqual(ids([...before, ...during, ...after]));
  }, 60_000);
}

requireProgram('better-sqlite3').describe('tail --store with SQLite (spawned binary)', () => {
  storeTests(sqliteEngine);

  it('with a gateway that is down at the start: the backfill comes at once, and what was stored meanwhile before live', async () => {
    const store = await sqliteEngine.create();
    const history = await store.append(Array.from({ length: 3 }, (_, i) => recent('HealthCheckPassed', { mcp_server_id: 'math', seq: i }, 60)));
    // A port nobody listens on yet.
    const probe = await gateway();
    const port = probe.port;
    await probe.close();
    gateways.splice(gateways.indexOf(probe), 1);
    const cli = startCli(['tail', `ws://127.0.0.1:${port}/api/ws/events`, ...store.flags, '--since', '1h', '-o', 'ndjson', '--store-interval', '100ms']);
    await waitForLines(cli, 3);
    const meanwhile = await store.append([recent('McpServerStopped', { mcp_server_id: 'math' })]);
    const g = await gateway(port);
    await g.waitForAttached(1);
    const live = recent('McpServerStarted', { mcp_server_id: 'math' });
    await store.append([live]);
    g.publish(live);
    await waitForLines(cli, 5);
    expect(idsOut(cli.stdout())).toEqual(ids([...history, ...meanwhile, live]));
  }, 60_000);

  it('rows that are not what they claim: a BLOB, a forged event_type, a row over the frame limit; the column is the one event_type on every path', async () => {
    const path = join(dir, `odd-${++fileCount}.db`);
    const store = new SqliteGatewayStore(path);
    stores.push({ flags: [], append: async () => [], appendAll: async () => [], close: async () => store.close() });
    const [first] = store.append([recent('McpServerStarted', { mcp_server_id: 'math' }, 60)]);
    const insert = store.db.prepare("INSERT INTO events (stream_id, stream_version, event_type, data, created_at) VALUES ('mcp_server:odd', ?, ?, ?, 'now')");
    const at = Date.now() / 1000 - 30;
    insert.run(0, 'ToolInvocationFailed', Buffer.from(`{"_version": 1, "event_id": "blob-1", "occurred_at": ${at}, "mcp_server_id": "odd"}`));
    insert.run(1, 'ToolInvocationFailed', `{"_version": 1, "event_id": "forged-1", "occurred_at": ${at}, "event\\u005ftype": "HealthCheckPassed", "mcp_server_id": "odd"}`);
    insert.run(2, 'ToolInvocationFailed', `{"_version": 1, "event_id": "huge-1", "occurred_at": ${at}, "mcp_server_id": "odd", "result": "${'z'.repeat(2 * 1024 * 1024)}"}`);
    const [last] = store.append([recent('McpServerStopped', { mcp_server_id: 'math' }, 10)]);
    const expectIds = [first!.event_id, 'blob-1', 'forged-1', last!.event_id];
    for (const filters of [[], ['-t', '*'], ['--where', 'mcp_server_id~.']]) {
      for (const window of [['--since', '1h'], ['--history', '10']]) {
        const result = await runCli(['tail', '--store', path, ...window, ...filters, '--no-follow', '-o', 'ndjson']);
        expect(result.code).toBe(0);
        expect(idsOut(result.stdout)).toEqual(expectIds);
        // One event_type per line, the column's: as jq sees it, and as the text holds it.
        for (const line of result.stdout.trim().split('\n')) expect(line.match(/"event_type"|event\\u005ftype/g)).toHaveLength(1);
        expect(lines(result.stdout).map((e) => e.event_type)).toEqual(['McpServerStarted', 'ToolInvocationFailed', 'ToolInvocationFailed', 'McpServerStopped']);
        expect(result.stderr).toMatch(/stored row skipped: row 4 \(ToolInvocationFailed\): 2MiB \(2097\d+ bytes\) is larger than the 1048576-byte limit for one event; skipped without reading it/);
      }
    }
    // What a filter on the type sees is the column: the forged row is a failure, not a health check.
    const failed = await runCli(['tail', '--store', path, '--history', '10', '-t', 'HealthCheck*', '--no-follow', '-o', 'ndjson']);
    expect(idsOut(failed.stdout)).toEqual([]);
    const pretty = await runCli(['tail', '--store', path, '--history', '10', '-t', 'ToolInvocationFailed', '--no-follow', '-o', 'pretty']);
    expect(pretty.stdout).not.toMatch(/HealthCheckPassed|Buffer/);
    expect(pretty.stdout.trim().split('\n')).toHaveLength(2);
  }, 60_000);

  it('a missing store, a file that is not a store and a bad table prefix exit 6 with what to check', async () => {
    const missing = await runCli(['tail', '--store', join(dir, 'nope.db'), '--since', '1h', '--no-follow']);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toMatch(/^hangar-events: no SQLite store at sqlite:.*nope.db: .* does not exist; check --store/m);
    writeFileSync(join(dir, 'text.db'), 'not a database, just text. '.repeat(40));
    const text = await runCli(['tail', '--store', join(dir, 'text.db'), '--since', '1h', '--no-follow']);
    expect(text.code).toBe(6);
    expect(text.stderr).toMatch(/is not an SQLite database/);
    expect(text.stderr).not.toMatch(/\n\s+at /);
    const store = await sqliteEngine.create();
    const prefixed = await runCli(['tail', ...store.flags, '--store-table-prefix', 'hangar_', '--since', '1h', '--no-follow']);
    expect(prefixed.code).toBe(6);
    expect(prefixed.stderr).toMatch(/without a table 'hangar_events'; it has 'events' \(no prefix: drop --store-table-prefix\)/);
    const usage = await runCli(['tail', '--store-interval', '1s']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--store-interval sets how often the event store is read: use it with --store/);
  });
});

needsPostgres().describe('tail --store with PostgreSQL (spawned binary)', () => {
  let server: PostgresServer;
  let tables = 0;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  const pgEngine: Engine = {
    name: 'PostgreSQL',
    async create() {
      const prefix = `t${++tables}_`;
      await createPostgresSchema(server, prefix);
      const writer = await PgGatewayWriter.connect(server, prefix);
      const test: TestStore = { flags: ['--store', server.url, '--store-table-prefix', prefix], append: (events) => writer.append(events), appendAll: (events) => writer.appendAll(events), close: () => writer.close() };
      stores.push(test);
      return test;
    },
  };
  storeTests(pgEngine);

  it('an unreachable server and a refused password exit 6 without echoing the password', async () => {
    const refused = await runCli(['tail', '--store', 'postgresql://hangar:topsecret@127.0.0.1:1/hangar', '--since', '1h', '--no-follow']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/cannot connect to the PostgreSQL store postgresql:\/\/hangar:\*\*\*@127.0.0.1:1\/hangar: connection refused/);
    const wrong = server.url.replace(encodeURIComponent(server.password), 'topsecret');
    const denied = await runCli(['tail', '--store', wrong, '--since', '1h', '--no-follow']);
    expect(denied.code).toBe(6);
    expect(denied.stderr).toMatch(/the server refused the password/);
    expect(refused.stderr + denied.stderr).not.toContain('topsecret');
    const viaEnv = await runCli(['tail', '--store', server.urlWithoutPassword, '--since', '1h', '--no-follow', '--store-table-prefix', 't1_'], { env: { PGPASSWORD: server.password } });
    expect(viaEnv.code).toBe(0);
  }, 60_000);
});
