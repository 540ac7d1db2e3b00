import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteGatewayStore } from '../helpers/event-store.js';
import { gatewayEvent } from '../helpers/fake-gateway.js';
import { requireProgram } from '../helpers/require-program.js';
import { runCli } from '../helpers/spawn.js';

/**
 * A start is mostly module loading (bench/README.md, startup): tail loads the
 * sink of its output mode and the table's helpers only when it draws the
 * table. The binary runs with a loader hook that logs every module imported.
 */
const HOOK = fileURLToPath(new URL('../fixtures/log-modules.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hangar-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The modules a run of the binary loads, as paths under dist/ or package names. */
async function loaded(name: string, args: string[], code: number, stderr: RegExp): Promise<string[]> {
  const log = join(dir, `${name}.log`);
  const result = await runCli(args, { env: { NODE_OPTIONS: `--import=${HOOK}`, MODULE_LOG: log } });
  expect(result.code).toBe(code);
  expect(result.stderr).toMatch(stderr);
  const urls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  return urls.map((url) => url.replace(/^.*\/dist\//, '').replace(/^.*\/node_modules\/([^/]+)\/.*$/, '$1'));
}

/** The modules a tail that finds nobody listening loads. */
function modulesOf(name: string, args: string[]): Promise<string[]> {
  return loaded(name, ['tail', 'ws://127.0.0.1:1/api/ws/events', '--no-reconnect', ...args], 1, /connection refused/);
}

/** Modules a store-only `tail --history N --no-follow -o ndjson` (no filter, no color, no --ca) does not load. */
const STORE_TAIL_UNNEEDED = ['filter/event-filter.js', 'filter/type-filter.js', 'filter/where.js', 'protocol/catalog.js', 'protocol/catalog-data.js', 'render/template.js', 'render/fields.js', 'render/event-severity.js', 'render/table/sorts.js', 'io/color.js', 'chalk', 'ca-certificate.js', 'node:crypto', 'node:dns/promises'];

/** commander and the program's declaration (commander itself is required, not imported: its wrapper stands for it). */
const COMMANDER = ['commands/commander.js', 'cli/program.js', 'commands/tail/register.js'];

const TABLE_ONLY = ['tail/sinks/table-sink.js', 'render/table/render-table.js', 'render/table/reduce-table.js', 'tail/table-approvals.js', 'client/fleet-snapshot.js', 'client/server-logs.js', 'console/console-controller.js', 'render/approvals/render-approvals-view.js', 'cli-table3'];

describe('tail loads what its output needs', () => {
  it('-o ndjson: neither the table, the console, cli-table3, the pretty or calls sinks, the recorder nor --exec', async () => {
    const modules = await modulesOf('ndjson', ['-o', 'ndjson']);
    expect(modules).toContain('tail/run.js');
    expect(modules).toContain('tail/sinks/ndjson-sink.js');
    // The frames' scan in WebAssembly: loaded for the NDJSON byte path only.
    expect(modules).toContain('protocol/plain-scan-wasm.js');
    for (const module of [...TABLE_ONLY, 'tail/sinks/line-sink.js', 'tail/sinks/calls-sink.js', 'tail/recorder.js', 'tail/exec-action.js']) expect(modules).not.toContain(module);
  });

  it('-o pretty: the line sink and the scan of the frames (for the member spans), not the table', async () => {
    const modules = await modulesOf('pretty', ['-o', 'pretty']);
    expect(modules).toContain('tail/sinks/line-sink.js');
    expect(modules).toContain('protocol/plain-scan-wasm.js');
    for (const module of TABLE_ONLY) expect(modules).not.toContain(module);
  });

  it('-o table: the table and its helpers', async () => {
    const modules = await modulesOf('table', ['-o', 'table']);
    for (const module of TABLE_ONLY) expect(modules).toContain(module);
    expect(modules).not.toContain('protocol/plain-scan-wasm.js');
  });
});

requireProgram('better-sqlite3').describe('tail of the event store alone', () => {
  it('--store FILE with no URL: neither the stream client nor ws', async () => {
    const path = join(dir, 'events.db');
    new SqliteGatewayStore(path).db.close();
    const modules = await loaded('store', ['tail', '--store', path, '--history', '5', '--no-follow', '-o', 'ndjson'], 0, /^/);
    expect(modules).toContain('feed/store-feed.js');
    expect(modules).toContain('tail/sinks/ndjson-sink.js');
    for (const module of ['client/stream-client.js', 'wire/ws.js', 'wire/frame-reader.js']) expect(modules).not.toContain(module);
    // Nor what only some flags or a colored stream need (bench/README.md, "the start of a store-only tail"):
    // the filters and the event catalog, --format's template and the renderers it pulls in, the table's sorts,
    // chalk, node:crypto (--ca's certificate check, the config's writer) and node:dns (bare words).
    for (const module of STORE_TAIL_UNNEEDED) expect(modules).not.toContain(module);
    // A line of tail's flags that readTailLine reads as commander would: neither commander nor the program.
    for (const module of COMMANDER) expect(modules).not.toContain(module);
    // better-sqlite3 is required, not imported (an import has the ESM loader parse it for its exports first).
    expect(modules).not.toContain('better-sqlite3');
    // Nor stdin, which Node builds on first access (a file stream when it is /dev/null).
    expect(modules).not.toContain('process.stdin');
  });

  it('--store FILE with no URL, a backfill read as lines: one WebAssembly scanner, the store lines\', none for a stream client', async () => {
    const path = join(dir, 'lines.db');
    const store = new SqliteGatewayStore(path);
    store.appendAll(Array.from({ length: 2500 }, (_, i) => gatewayEvent('HealthCheckPassed', { mcp_server_id: `m${i % 4}`, seq: i })));
    store.db.close();
    const modules = await loaded('store-lines', ['tail', '--store', path, '--history', '2000', '--no-follow', '-o', 'ndjson', '-q'], 0, /^$/);
    expect(modules.filter((module) => module === 'WebAssembly.Instance')).toEqual(['WebAssembly.Instance']);
  });

  it('a tail line readTailLine leaves to the program (a group of short flags, an unknown flag) loads commander', async () => {
    const path = join(dir, 'events.db');
    const grouped = await loaded('store-grouped', ['tail', '--store', path, '--history', '5', '--no-follow', '-qv', '-o', 'ndjson'], 0, /^/);
    for (const module of COMMANDER) expect(grouped).toContain(module);
    const usage = await loaded('store-unknown', ['tail', '--store', path, '--bogus'], 2, /^hangar-events: unknown option '--bogus'\n\(run with --help for usage\)\n$/);
    for (const module of COMMANDER) expect(usage).toContain(module);
  });

  it('--store with a filter, --format, --ca or a colored stderr: each loads what it needs', async () => {
    const path = join(dir, 'events.db');
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'not a certificate\n');
    const filtered = await loaded('store-filtered', ['tail', '--store', path, '--history', '5', '--no-follow', '-t', 'ToolInvocationCompleted', '-o', 'ndjson'], 0, /^/);
    for (const module of ['filter/event-filter.js', 'protocol/catalog.js']) expect(filtered).toContain(module);
    const formatted = await loaded('store-format', ['tail', '--store', path, '--history', '5', '--no-follow', '--format', '{event_type}'], 0, /^/);
    expect(formatted).toContain('render/template.js');
    const colored = await loaded('store-color', ['tail', '--store', path, '--history', '5', '--no-follow', '--color', 'always', '-o', 'ndjson'], 0, /\x1b\[/);
    expect(colored).toContain('chalk');
    const withCa = await loaded('store-ca', ['tail', 'wss://127.0.0.1:1/api/ws/events', '--ca', ca], 2, /is not a PEM CA certificate/);
    expect(withCa).toContain('node:crypto');
  });

  it('a URL beside --store: the stream client, joined to the store', async () => {
    const modules = await loaded('joined', ['tail', 'ws://127.0.0.1:1/api/ws/events', '--no-reconnect', '--store', join(dir, 'events.db'), '--history', '5', '-o', 'ndjson'], 1, /connection refused/);
    for (const module of ['feed/joined.js', 'client/stream-client.js', 'wire/ws.js']) expect(modules).toContain(module);
  });
});
