import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import { runCli } from '../helpers/spawn.js';

/** The README's way to make a store to try --store with: scripts/make-sqlite-store.mjs, then tail --store reads it. */

const SCRIPT = fileURLToPath(new URL('../../scripts/make-sqlite-store.mjs', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function makeStore(file: string, input: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, file], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.end(input);
  });
}

describe('scripts/make-sqlite-store.mjs', () => {
  requireProgram('better-sqlite3').it('writes a store that tail --store reads back, by filter, as the gateway would store it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-make-store-'));
    dirs.push(dir);
    const file = join(dir, 'events.db');
    const events = [
      { event_type: 'McpServerStarted', event_id: 'e-1', mcp_server_id: 'math', occurred_at: 1765000000 },
      { event_type: 'HealthCheckFailed', event_id: 'e-2', mcp_server_id: 'math', occurred_at: 1765000001, error: 'timeout' },
      { event_type: 'AuthenticationFailed', event_id: 'e-3', occurred_at: 1765000002 },
      { event_type: 'ToolInvocationFailed', event_id: 'e-4', mcp_server_id: 'github', occurred_at: 1765000003, tool_name: 'create_issue' },
    ];
    const made = await makeStore(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\nnot json\n`);
    expect(made.stderr).toContain('make-sqlite-store: line 5 is not an event object with an event_type; skipped');
    expect(made.stderr).toContain(`make-sqlite-store: 3 events stored in ${file}, 1 without a stream not stored (as the gateway), 1 bad lines skipped`);
    expect(made.code).toBe(1);

    const all = await runCli(['tail', '--store', file, '--history', '10', '--no-follow', '-o', 'ndjson']);
    expect(all.code).toBe(0);
    expect(all.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event_id: string }).map((e) => e.event_id)).toEqual(['e-1', 'e-2', 'e-4']);
    const failed = await runCli(['tail', '--store', file, '--history', '10', '--no-follow', '-o', 'ndjson', '-t', '*Failed']);
    expect(failed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event_id: string; event_type: string })).toMatchObject([
      { event_id: 'e-2', event_type: 'HealthCheckFailed' },
      { event_id: 'e-4', event_type: 'ToolInvocationFailed' },
    ]);
  });
});
