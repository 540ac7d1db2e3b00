import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/spawn.js';

/**
 * A start is mostly module loading (bench/README.md, startup): tail loads the
 * sink of its output mode and the table's helpers only when it draws the
 * table. The binary runs with a loader hook that logs every module imported.
 */
const HOOK = fileURLToPath(new URL('../fixtures/log-modules.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hangar-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The modules a tail that finds nobody listening loads, as paths under dist/ or package names. */
async function modulesOf(name: string, args: string[]): Promise<string[]> {
  const log = join(dir, `${name}.log`);
  const result = await runCli(['tail', 'ws://127.0.0.1:1/api/ws/events', '--no-reconnect', ...args], { env: { NODE_OPTIONS: `--import=${HOOK}`, MODULE_LOG: log } });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/connection refused/);
  const urls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  return urls.map((url) => url.replace(/^.*\/dist\//, '').replace(/^.*\/node_modules\/([^/]+)\/.*$/, '$1'));
}

const TABLE_ONLY = ['tail/sinks/table-sink.js', 'render/table/render-table.js', 'render/table/reduce-table.js', 'tail/table-approvals.js', 'client/fleet-snapshot.js', 'client/server-logs.js', 'console/console-controller.js', 'render/approvals/render-approvals-view.js', 'cli-table3'];

describe('tail loads what its output needs', () => {
  it('-o ndjson: neither the table, the console, cli-table3, the pretty or calls sinks, the recorder nor --exec', async () => {
    const modules = await modulesOf('ndjson', ['-o', 'ndjson']);
    expect(modules).toContain('tail/run.js');
    expect(modules).toContain('tail/sinks/ndjson-sink.js');
    for (const module of [...TABLE_ONLY, 'tail/sinks/line-sink.js', 'tail/sinks/calls-sink.js', 'tail/recorder.js', 'tail/exec-action.js']) expect(modules).not.toContain(module);
  });

  it('-o pretty: the line sink, not the table', async () => {
    const modules = await modulesOf('pretty', ['-o', 'pretty']);
    expect(modules).toContain('tail/sinks/line-sink.js');
    for (const module of TABLE_ONLY) expect(modules).not.toContain(module);
  });

  it('-o table: the table and its helpers', async () => {
    const modules = await modulesOf('table', ['-o', 'table']);
    for (const module of TABLE_ONLY) expect(modules).toContain(module);
  });
});
